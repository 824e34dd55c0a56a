//! The liveness expectations of a run, and what the engine tracks to judge them: once the
//! last fault has been applied, the leader a live quorum acknowledges and since when; at the
//! deadline, whether one stands; at the end, how much was committed in all and since the last
//! fault. Safety is the checkers' business; this is only whether the run made progress.

use super::engine::Engine;
use super::fault::Fault;
use super::outcome::Expectations;
use super::trace::TraceTag;
use crate::protocol::{NodeId, Protocol};
use crate::time::format_ms;

/// The leader a live quorum acknowledges, in its term, since `since_us`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Established {
    leader: NodeId,
    term: u64,
    since_us: u64,
}

/// The expectations and the state that judges them.
pub(super) struct Liveness {
    expect: Expectations,
    /// When the last scheduled fault fires (0 without faults): the leader deadline counts
    /// from here.
    last_fault_us: u64,
    fault_count: usize,
    faults_applied: usize,
    /// The committed count when the last fault was applied (0 without faults).
    committed_at_last_fault: u64,
    /// The leader deadline has passed and was judged; tracking stops.
    deadline_passed: bool,
    /// Tracked from the last fault until the deadline.
    established: Option<Established>,
    /// Since when the leader standing at the deadline had been established.
    leader_established_us: Option<u64>,
    /// When a leader was first established after the last fault.
    first_leader_established_us: Option<u64>,
    failures: Vec<String>,
}

impl Liveness {
    /// `faults` is the schedule, sorted by time.
    pub(super) fn new(expect: Expectations, faults: &[Fault]) -> Liveness {
        Liveness {
            expect,
            last_fault_us: faults.last().map_or(0, |fault| fault.at_us),
            fault_count: faults.len(),
            faults_applied: 0,
            committed_at_last_fault: 0,
            deadline_passed: false,
            established: None,
            leader_established_us: None,
            first_leader_established_us: None,
            failures: Vec::new(),
        }
    }

    /// When the engine should judge the leader expectation, if there is one: one microsecond
    /// after the deadline, so every event at the deadline itself counts before it.
    pub(super) fn deadline_event_us(&self) -> Option<u64> {
        let within_us = self.expect.leader_within_us?;
        Some(
            self.last_fault_us
                .saturating_add(within_us)
                .saturating_add(1),
        )
    }

    /// A fault of the schedule was applied (or skipped); `committed` is the committed count
    /// now, which the last fault's application keeps as the base of "committed after".
    pub(super) fn on_fault_applied(&mut self, committed: u64) {
        self.faults_applied += 1;
        if self.faults_applied == self.fault_count {
            self.committed_at_last_fault = committed;
        }
    }

    /// After a step: if leadership claims, liveness or links may have changed, asks which
    /// leader a live quorum acknowledges now and, when that changed, notes it and records it
    /// in the trace.
    pub(super) fn maybe_note_established_leader<P: Protocol>(&mut self, engine: &mut Engine<P>) {
        if !engine.leadership.take_established_stale() {
            return;
        }
        // Tracking starts once every fault has been applied (two faults at the same time must
        // not credit the first with a leader the second takes away) and stops at the deadline.
        if self.deadline_passed || self.faults_applied < self.fault_count {
            return;
        }
        let topology = &engine.network.topology;
        let now = engine
            .leadership
            .established_leader(&engine.alive, |from, to| topology.connected(from, to));
        let before = self.established.map(|known| (known.leader, known.term));
        if now == before {
            return;
        }
        self.established = now.map(|(leader, term)| Established {
            leader,
            term,
            since_us: engine.now_us,
        });
        if now.is_some() && self.first_leader_established_us.is_none() {
            self.first_leader_established_us = Some(engine.now_us);
        }
        engine.record(&(TraceTag::EstablishedLeader, now), || match now {
            Some((leader, term)) => {
                format!("leader {leader} of term {term} acknowledged by a live quorum")
            }
            None => "no leader acknowledged by a live quorum".to_string(),
        });
    }

    /// The leader expectation: at the deadline, a leader acknowledged by a live quorum must
    /// stand, established at or after the last fault. A leader that stood at the fault and was
    /// deposed right after does not count; the one that replaced it does.
    pub(super) fn on_deadline(&mut self) {
        if self.deadline_passed {
            return;
        }
        self.deadline_passed = true;
        match self.established {
            Some(established) => self.leader_established_us = Some(established.since_us),
            None => {
                let within_us = self.expect.leader_within_us.unwrap_or(0);
                self.failures.push(format!(
                    "no leader acknowledged by a live quorum {} after the last fault (at {})",
                    format_ms(within_us),
                    format_ms(self.last_fault_us)
                ));
            }
        }
    }

    /// Judges what is left at the end of a run that broke nothing, with `committed` entries
    /// committed cluster-wide: the leader deadline if the run ended before it, and the commit
    /// counts.
    pub(super) fn judge_end(&mut self, committed: u64) {
        if !self.deadline_passed && self.expect.leader_within_us.is_some() {
            self.on_deadline();
        }
        if let Some(commits_min) = self.expect.commits_min {
            if committed < commits_min {
                self.failures.push(format!(
                    "{committed} entries committed, expected at least {commits_min}"
                ));
            }
        }
        if let Some(after_min) = self.expect.commits_after_last_fault_min {
            let after = committed - self.committed_at_last_fault;
            if after < after_min {
                self.failures.push(format!(
                    "{after} entries committed after the last fault (at {}), expected at least {after_min}",
                    format_ms(self.last_fault_us)
                ));
            }
        }
    }

    /// The expectations not met so far, in the order they were found.
    pub(super) fn take_failures(&mut self) -> Vec<String> {
        std::mem::take(&mut self.failures)
    }

    pub(super) fn leader_established_us(&self) -> Option<u64> {
        self.leader_established_us
    }

    pub(super) fn first_leader_established_us(&self) -> Option<u64> {
        self.first_leader_established_us
    }
}
