//! How a run ended and what it saw.

use std::fmt;

use crate::check::{LeaderRecord, Violation};
use crate::protocol::NodeId;

/// Bounded liveness expectations of a scenario.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Expectations {
    /// A leader acknowledged by a live quorum must exist within this long after the last
    /// scheduled fault (after the start when there is none).
    pub leader_within_us: Option<u64>,
    /// At least this many entries committed cluster-wide by the end.
    pub commits_min: Option<u64>,
    /// At least this many entries committed cluster-wide after the last scheduled fault:
    /// progress once the faults are over, not just a leader.
    pub commits_after_last_fault_min: Option<u64>,
}

/// The verdict of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every invariant held after every step, and every expectation was met.
    Pass,
    /// A safety invariant broke at `step`, `at_us`.
    Violation {
        violation: Violation,
        step: u64,
        at_us: u64,
    },
    /// A node's handler panicked (or a protocol broke the node contract, such as sending to
    /// a node outside the cluster): a bug, caught and reported. `node` is the node that was
    /// stepping, if any.
    Panic {
        node: Option<NodeId>,
        message: String,
        step: u64,
        at_us: u64,
    },
    /// Safety held but a liveness expectation did not.
    ExpectationFailed { reasons: Vec<String> },
    /// The run hit a hard limit (steps, messages in flight) before its end time.
    LimitReached {
        limit: String,
        step: u64,
        at_us: u64,
    },
}

impl Outcome {
    pub fn is_pass(&self) -> bool {
        matches!(self, Outcome::Pass)
    }

    /// A short stable name: `pass`, `violation`, `panic`, `expectation-failed`, `limit`.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Violation { .. } => "violation",
            Outcome::Panic { .. } => "panic",
            Outcome::ExpectationFailed { .. } => "expectation-failed",
            Outcome::LimitReached { .. } => "limit",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::time::format_ms;
        match self {
            Outcome::Pass => f.write_str("pass"),
            Outcome::Violation {
                violation,
                step,
                at_us,
            } => write!(
                f,
                "violation of {} at step {step}, {}: {}",
                violation.invariant,
                format_ms(*at_us),
                violation.detail
            ),
            Outcome::Panic {
                node,
                message,
                step,
                at_us,
            } => {
                let place = node.map_or_else(|| "the engine".to_string(), |n| n.to_string());
                write!(
                    f,
                    "panic in {place} at step {step}, {}: {message}",
                    format_ms(*at_us)
                )
            }
            Outcome::ExpectationFailed { reasons } => {
                write!(f, "expectation failed: {}", reasons.join("; "))
            }
            Outcome::LimitReached { limit, step, at_us } => {
                write!(
                    f,
                    "limit reached at step {step}, {}: {limit}",
                    format_ms(*at_us)
                )
            }
        }
    }
}

/// Counters of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    pub messages_sent: u64,
    pub messages_delivered: u64,
    pub messages_dropped_partition: u64,
    pub messages_dropped_loss: u64,
    pub messages_dropped_down: u64,
    pub messages_duplicated: u64,
    pub timers_fired: u64,
    pub client_requests: u64,
    pub client_accepted: u64,
    pub crashes: u64,
    pub restarts: u64,
    pub faults_skipped: u64,
    /// Events taken from the queue (steps, and timer events found stale or deferred), and
    /// the sum over them of the events queued at that moment: their ratio is the queue's
    /// mean depth, which the bench's bare loop matches.
    pub queue_pops: u64,
    pub queue_depth_sum: u64,
}

/// Everything a run reports.
#[derive(Clone, Debug)]
pub struct RunReport {
    pub protocol: &'static str,
    pub node_count: u16,
    pub seed: u64,
    pub outcome: Outcome,
    /// Steps taken: delivered messages, fired timers, client requests, faults, boots.
    pub steps: u64,
    /// Virtual time at the end of the run.
    pub end_us: u64,
    pub trace_hash: u64,
    pub leaders: Vec<LeaderRecord>,
    pub committed: u64,
    /// When a leader was first established after the last fault, if it was.
    pub leader_established_us: Option<u64>,
    /// When a leader was first acknowledged by a live quorum after the last fault, even if
    /// it did not last (the end of the downtime a fault caused).
    pub first_leader_established_us: Option<u64>,
    pub stats: RunStats,
    /// The last trace lines (as many as the trace sink kept).
    pub trace_tail: Vec<String>,
}
