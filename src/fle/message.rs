//! FLE notifications and the Zab-like broadcast's messages.

use super::vote::{ServerState, Vote};
use crate::protocol::Command;

/// One transaction of the replicated history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Txn {
    pub zxid: u64,
    pub command: Command,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FleMsg {
    /// FLE: the sender's vote in election round `round`, and its state.
    Notification {
        vote: Vote,
        round: u64,
        state: ServerState,
    },
    /// Zab discovery, follower -> leader (CEPOCH): the follower's accepted epoch.
    FollowerInfo { accepted_epoch: u64 },
    /// Leader -> follower (NEWEPOCH): the epoch the leader will lead.
    NewEpoch { epoch: u64 },
    /// Follower -> leader (ACKEPOCH): it accepted `epoch`; its current epoch and last zxid.
    AckEpoch {
        epoch: u64,
        current_epoch: u64,
        last_zxid: u64,
    },
    /// Leader -> follower (NEWLEADER with its DIFF/TRUNC/SNAP): keep the first `from_index`
    /// entries, replace the rest with `entries`, and take `epoch` as the current epoch.
    Sync {
        epoch: u64,
        from_index: u64,
        entries: Vec<Txn>,
    },
    /// Follower -> leader (ACK of NEWLEADER): synchronised, holding `last_index` entries.
    AckSync { epoch: u64, last_index: u64 },
    /// Leader -> follower (PROPOSAL, COMMIT folded in): entries from `from_index + 1` on, and
    /// the leader's commit index.
    Propose {
        epoch: u64,
        from_index: u64,
        entries: Vec<Txn>,
        commit_index: u64,
    },
    /// Leader -> follower: still here; the commit index and history length.
    Ping {
        epoch: u64,
        commit_index: u64,
        last_index: u64,
    },
    /// Follower -> leader (ACK and PING): holds `last_index` entries of this epoch's history.
    Ack { epoch: u64, last_index: u64 },
}
