//! Safety invariants, checked after every step from the observations nodes report.
//!
//! The checkers keep *ghost state* — leaders by term, votes by term, a shadow of every node's
//! durable log as a chain of prefix hashes, the cluster-wide committed prefix — updated from
//! each observation in O(1) or O(log n), so a check costs O(change) rather than O(history).
//! The one exception is leader completeness, which compares the new leader's log with the
//! committed prefix: O(committed entries), once per election.
//!
//! Every invariant here reads observations only, so it applies unchanged to any protocol that
//! reports them (see [`crate::protocol::Observation`]).
//!
//! The checkers only watch and judge. What the engine decides (which node a fault or a client
//! request is aimed at, whether a leader was established in time) comes from its own view of
//! leadership in [`crate::sim`], fed the same observations; the run's report quotes the
//! leaders and the committed prefix the checks accepted.

mod commits;
mod leadership;
mod logs;
mod paranoid;

use std::collections::BTreeMap;

use crate::protocol::{NodeId, Observation};
pub use paranoid::{paranoid_verdict, ParanoidChecker, ParanoidGhost};

/// Names of the generic invariants, as they appear in reports.
pub mod names {
    /// Raft §5.2 "Election Safety": at most one leader can be elected in a given term. For
    /// ZooKeeper: at most one established leader per epoch.
    pub const ELECTION_SAFETY: &str = "election-safety";
    /// Raft §5.2 / Figure 2 RequestVote receiver rule: a node grants at most one vote per term,
    /// even across crashes (this is why votedFor is durable).
    pub const VOTE_ONCE_PER_TERM: &str = "vote-once-per-term";
    /// No two nodes commit different entries at the same index, and a node's committed
    /// sequence only grows (each index reported once, in order, per incarnation).
    pub const COMMITTED_PREFIX_AGREEMENT: &str = "committed-prefix-agreement";
    /// Raft §5.3 "Log Matching": two logs with an entry of the same index and term are
    /// identical in all entries up through that index.
    pub const LOG_MATCHING: &str = "log-matching";
    /// Raft §5.3 "Leader Append-Only": a leader never overwrites or deletes entries in its log.
    pub const LEADER_APPEND_ONLY: &str = "leader-append-only";
    /// Raft §5.4 "Leader Completeness": a leader's log holds every entry committed before it
    /// was elected in a lower term (first reported committed while no leader had claimed its
    /// term or a higher one).
    pub const LEADER_COMPLETENESS: &str = "leader-completeness";
    /// Raft §5.4.3 "State Machine Safety": every node that applies index i has the same state
    /// afterwards.
    pub const STATE_MACHINE_SAFETY: &str = "state-machine-safety";

    /// Not an invariant of the protocol: in a `--paranoid` run, the incremental and the
    /// from-scratch checker reached different verdicts on the same step (a checker bug).
    pub const CHECKER_DISAGREEMENT: &str = "checker-disagreement";

    /// All generic invariants.
    pub const ALL: [&str; 7] = [
        ELECTION_SAFETY,
        VOTE_ONCE_PER_TERM,
        COMMITTED_PREFIX_AGREEMENT,
        LOG_MATCHING,
        LEADER_APPEND_ONLY,
        LEADER_COMPLETENESS,
        STATE_MACHINE_SAFETY,
    ];
}

/// A broken invariant: which one, the nodes involved, and what was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: &'static str,
    pub nodes: Vec<NodeId>,
    pub detail: String,
}

impl Violation {
    /// The incremental checker's constructor. A violation ends the run, so building one is
    /// kept out of line, and the formatting with it: the checks run after every step, and
    /// formatting code inlined there would make them save and restore more registers.
    #[cold]
    #[inline(never)]
    fn cold(invariant: &'static str, nodes: &[NodeId], detail: std::fmt::Arguments) -> Violation {
        Violation::new(invariant, nodes.to_vec(), std::fmt::format(detail))
    }

    fn new(invariant: &'static str, nodes: Vec<NodeId>, detail: String) -> Violation {
        Violation {
            invariant,
            nodes,
            detail,
        }
    }
}

/// A leader as first seen: the term, the node and the virtual time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaderRecord {
    pub term: u64,
    pub node: NodeId,
    pub at_us: u64,
}

/// The part of the ghost state that mirrors one node's durable state.
#[derive(Clone, Debug)]
pub struct DurableGhost {
    log: logs::NodeLog,
    last_vote: Option<(u64, NodeId)>,
}

/// Ghost state plus the generic invariants over it.
#[derive(Debug)]
pub struct Checker {
    leadership: leadership::Leadership,
    logs: logs::GhostLogs,
    commits: commits::Commits,
}

impl Checker {
    pub fn new(node_count: u16) -> Checker {
        Checker {
            leadership: leadership::Leadership::new(node_count),
            logs: logs::GhostLogs::new(node_count),
            commits: commits::Commits::new(node_count),
        }
    }

    /// Checks one observation against the ghost state, then folds it in. Checks run before
    /// the update because some (leader append-only) compare with what was there before.
    pub fn observe(
        &mut self,
        node: NodeId,
        observation: &Observation,
        now_us: u64,
    ) -> Result<(), Violation> {
        match *observation {
            Observation::BecameLeader { term } => {
                self.leadership.on_became_leader(node, term, now_us)?;
                // Raft §5.4: an entry committed in a term is in the logs of the leaders of all
                // higher terms. A leader of a lower term can still be elected later (late
                // vote replies, or Zab's late NEWLEADER acks), and owes nothing committed since.
                let owed = self.commits.owed_to_leader_of(term);
                self.logs
                    .check_leader_completeness(node, term, &self.commits.committed()[..owed])
            }
            Observation::SteppedDown { term } => {
                self.leadership.on_stepped_down(node, term);
                Ok(())
            }
            Observation::Following { .. } => {
                self.leadership.on_following(node);
                Ok(())
            }
            // Whom a node follows matters to no invariant here, only that it leads no term.
            Observation::StoppedFollowing { .. } => Ok(()),
            Observation::Voted { term, candidate } => {
                self.leadership.on_voted(node, term, candidate)
            }
            Observation::LogAppended {
                index,
                term,
                digest,
            } => {
                let leading = self.leadership.leading_term(node);
                self.logs.on_appended(node, leading, index, term, digest)
            }
            Observation::LogTruncated { from_index } => {
                let leading = self.leadership.leading_term(node);
                self.logs.on_truncated(node, leading, from_index)
            }
            Observation::Committed {
                index,
                term,
                digest,
            } => {
                let leader_term_high = self.leadership.leader_term_high();
                self.commits
                    .on_committed(node, index, term, digest, leader_term_high)?;
                self.logs
                    .check_committed_entry_held(node, index, term, digest)
            }
            Observation::Applied {
                index,
                state_digest,
            } => self.commits.on_applied(node, index, state_digest),
        }
    }

    /// A crash loses a node's volatile claims and its commit/apply progress; its durable log
    /// (and its votes) stay.
    pub fn on_crash(&mut self, node: NodeId) {
        self.leadership.on_crash(node);
        self.commits.on_crash(node);
    }

    /// What `node`'s durable writes have told the checker so far: its shadow log and its
    /// latest vote. The engine keeps one from before each write that is not on disk yet.
    pub fn durable_ghost(&self, node: NodeId) -> DurableGhost {
        DurableGhost {
            log: self.logs.node_log(node),
            last_vote: self.leadership.last_vote(node),
        }
    }

    /// A crash lost writes that were not on disk: `node`'s durable ghost goes back to what it
    /// was before the first of them, as its durable state does. Votes and entries that never
    /// reached the disk were never promised: the replies that carried them never left.
    pub fn restore_durable_ghost(&mut self, node: NodeId, ghost: DurableGhost) {
        self.logs.restore_node_log(node, ghost.log);
        self.leadership.restore_last_vote(node, ghost.last_vote);
    }

    /// Every leader seen, by term.
    pub fn leaders(&self) -> &BTreeMap<u64, LeaderRecord> {
        self.leadership.leaders()
    }

    /// Length of the cluster-wide committed prefix, as far as the checks accepted it.
    pub fn committed_count(&self) -> u64 {
        self.commits.committed().len() as u64
    }
}

#[cfg(test)]
mod tests;
