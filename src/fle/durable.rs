//! What an FLE server keeps on stable storage: its epochs and its history.

use super::message::Txn;
use super::zxid::Zxid;

#[derive(Clone, Debug, Default)]
pub struct FleDurable {
    /// The epoch this server last promised to follow (Zab's acceptedEpoch).
    pub accepted_epoch: u64,
    /// The epoch of the last leader this server synchronised with (Zab's currentEpoch).
    pub current_epoch: u64,
    /// Transactions in zxid order; index i (1-based) is `history[i - 1]`.
    pub history: Vec<Txn>,
    /// How many times this server registered with a leader: each registration's session
    /// number, unique across restarts so that no message of an old session passes for new.
    pub registrations: u64,
}

impl FleDurable {
    pub fn last_zxid(&self) -> Zxid {
        self.history.last().map_or(Zxid::ZERO, |txn| txn.zxid)
    }

    /// How recent this history is: the current epoch and the last zxid.
    pub fn history_mark(&self) -> HistoryMark {
        HistoryMark {
            current_epoch: self.current_epoch,
            last_zxid: self.last_zxid(),
        }
    }

    pub fn last_index(&self) -> u64 {
        self.history.len() as u64
    }

    /// The 1-based index holding `zxid`, if any (zxids increase along the history).
    pub fn index_of(&self, zxid: Zxid) -> Option<u64> {
        self.history
            .binary_search_by_key(&zxid, |txn| txn.zxid)
            .ok()
            .map(|position| position as u64 + 1)
    }
}

/// How recent a server's history is: the epoch it last synchronised in (its current epoch)
/// and its last zxid, ordered in that order. FastLeaderElection ranks votes this way, and a
/// Zab leader checks by it that no follower is ahead of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct HistoryMark {
    pub current_epoch: u64,
    pub last_zxid: Zxid,
}
