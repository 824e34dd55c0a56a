//! Raft's messages (Figure 2 of the paper, plus the pre-vote pair of dissertation §9.6).

use crate::protocol::{Batch, Command};

/// What a log entry carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Payload {
    /// The entry a new leader appends at the start of its term (Raft §5.4.2, §8): committing
    /// it commits everything before it.
    Noop,
    /// A client's key-value write.
    Put(Command),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    pub term: u64,
    pub payload: Payload,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RaftMsg {
    /// "Would you vote for me in `term`?" — sent without incrementing the sender's term.
    PreVote {
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    },
    /// `term` is the term asked about when granted, the responder's own term when refused.
    PreVoteReply {
        term: u64,
        granted: bool,
    },
    RequestVote {
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    },
    VoteReply {
        term: u64,
        granted: bool,
    },
    AppendEntries {
        term: u64,
        prev_log_index: u64,
        prev_log_term: u64,
        entries: Entries,
        leader_commit: u64,
    },
    /// On success `match_index` is the last index known to match the leader. On failure
    /// `rejected_index` is the `prev_log_index` that did not match (0 when the request was
    /// refused for its stale term, not for its log), so the leader can tell a fresh
    /// rejection from a reordered one, and `conflict_index` is where to retry from (a hint
    /// that skips a whole conflicting term at once, Raft §5.3's optimisation).
    AppendReply {
        term: u64,
        success: bool,
        match_index: u64,
        rejected_index: u64,
        conflict_index: u64,
    },
}

/// The entries of one AppendEntries: nearly always exactly one (a client request on its way
/// to an up-to-date follower), so it is held inline (see [`Batch`]).
pub type Entries = Batch<Entry>;
