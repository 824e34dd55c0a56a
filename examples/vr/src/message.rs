//! VR's messages (VR-Revisited Figures 2 and 3, §4 and §5.2), one enum with named fields.
//!
//! The paper's replica number `i` is not carried: the simulator tells the receiver who sent a
//! message. Where the paper sends an op-number beside a whole log, the log's length is that
//! op-number and is not sent twice.

use quorumsim::protocol::Command;

/// One log entry: a client command and the view whose primary assigned it its op-number.
/// The view plays Raft's entry term for the checkers: entries of the same op-number and view
/// came from the same primary, so the logs holding them agree up to there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    pub view: u64,
    pub command: Command,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum VrMsg {
    /// Primary → backups: `entry` is op `op_number` of view `view`; ops up to `commit_number`
    /// are committed.
    Prepare {
        view: u64,
        op_number: u64,
        entry: Entry,
        commit_number: u64,
    },
    /// Backup → primary: this backup's log holds the primary's log of `view` through
    /// `op_number` (a PrepareOK for op n stands for every op up to n, as in §4.1).
    PrepareOk { view: u64, op_number: u64 },
    /// Primary → backups, every heartbeat: ops up to `commit_number` are committed.
    Commit { view: u64, commit_number: u64 },
    /// A replica moves to view `view` and says so to all (§4.2 step 1).
    StartViewChange { view: u64 },
    /// A replica's state for the new primary of `view` (§4.2 step 2): its whole log, the
    /// latest view in which its status was normal, and its commit-number.
    DoViewChange {
        view: u64,
        log: Vec<Entry>,
        last_normal_view: u64,
        commit_number: u64,
    },
    /// The new primary's log for `view` (§4.2 step 3).
    StartView {
        view: u64,
        log: Vec<Entry>,
        commit_number: u64,
    },
    /// A replica that learned of `view` from a Prepare or Commit, but missed its StartView,
    /// asks the primary for the log after `op_number`, its commit-number (§5.2).
    GetState { view: u64, op_number: u64 },
    /// The primary's answer: its log of `view` after `after_op_number` (§5.2).
    NewState {
        view: u64,
        after_op_number: u64,
        log_suffix: Vec<Entry>,
        commit_number: u64,
    },
}
