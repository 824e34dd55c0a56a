//! Observations: the protocol-agnostic facts a node reports and the checkers read.
//!
//! Raft's term and ZooKeeper's epoch both map onto `term`; a log index is 1-based. A protocol
//! that reports these facts gets the generic invariants (election safety, committed-prefix
//! agreement, log matching, leader append-only, leader completeness, state machine safety,
//! one vote per term) without writing a checker.

use super::NodeId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Observation {
    /// This node became leader of `term`.
    BecameLeader { term: u64 },
    /// This node stopped leading `term` (it saw a higher term, or lost its quorum).
    SteppedDown { term: u64 },
    /// This node accepted `leader` as the leader of `term`.
    Following { term: u64, leader: NodeId },
    /// This node granted its vote in `term` to `candidate`.
    Voted { term: u64, candidate: NodeId },
    /// This node durably wrote an entry at `index`; anything it held at `index` or above was
    /// replaced. `digest` identifies the entry's payload.
    LogAppended { index: u64, term: u64, digest: u64 },
    /// This node durably removed its entries at `from_index` and above.
    LogTruncated { from_index: u64 },
    /// This node learned that the entry at `index` is committed. Reported once per index per
    /// incarnation, in index order.
    Committed { index: u64, term: u64, digest: u64 },
    /// This node applied `index` to its state machine; `state_digest` is the store's digest
    /// afterwards. Reported once per index per incarnation, in index order.
    Applied { index: u64, state_digest: u64 },
    /// This node no longer follows `leader` in `term` (it went back to electing). A protocol
    /// whose followers learn of a new term only by voting in it need not report this.
    StoppedFollowing { term: u64, leader: NodeId },
}
