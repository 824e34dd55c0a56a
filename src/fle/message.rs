//! FLE notifications and the Zab-like broadcast's messages.

use std::hash::{Hash, Hasher};

use super::durable::HistoryMark;
use super::vote::{ServerState, Vote};
use super::zxid::Zxid;
use crate::protocol::{Batch, Command};

/// One transaction of the replicated history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Txn {
    pub zxid: Zxid,
    pub command: Command,
}

/// What the checkers need to know about a notification that a real server could not: the
/// sender's own history and the time it sent it. **Ghost state**: carried for the invariants
/// only; no protocol rule may read it (a real ZooKeeper notification has no such fields).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NotificationGhost {
    /// How recent the sender's history was when it sent the vote.
    pub sender_history: HistoryMark,
    /// The virtual time it was sent, in microseconds.
    pub sent_at_us: u64,
}

/// Hashes to nothing: trace hashes identify what the protocol did, and the ghost is no part
/// of it (so adding it left every recorded FLE trace hash as it was).
impl Hash for NotificationGhost {
    fn hash<H: Hasher>(&self, _state: &mut H) {}
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FleMsg {
    /// FLE: the sender's vote in election round `round`, and its state.
    Notification {
        vote: Vote,
        round: u64,
        state: ServerState,
        /// Checker-only facts about the sending; the protocol never reads them.
        ghost: NotificationGhost,
    },
    /// Zab discovery, follower -> leader (CEPOCH): the follower's accepted epoch. `session`
    /// names this registration; every later Zab message between the two carries it, and a
    /// message of another session is ignored (ZooKeeper gets this from its TCP connection).
    FollowerInfo { accepted_epoch: u64, session: u64 },
    /// Leader -> follower (NEWEPOCH): the epoch the leader will lead.
    NewEpoch { epoch: u64, session: u64 },
    /// Follower -> leader (ACKEPOCH): it accepted `epoch`; its current epoch and last zxid.
    /// `fresh` says this accept raised the follower's accepted epoch; an ack of an epoch it
    /// had accepted already (ZooKeeper's currentEpoch -1) does not count toward the quorum.
    AckEpoch {
        epoch: u64,
        current_epoch: u64,
        last_zxid: Zxid,
        fresh: bool,
        session: u64,
    },
    /// Leader -> follower (NEWLEADER with its DIFF/TRUNC/SNAP): keep the first `from_index`
    /// entries, replace the rest with `entries`, and take `epoch` as the current epoch.
    Sync {
        epoch: u64,
        from_index: u64,
        entries: Vec<Txn>,
        session: u64,
    },
    /// Follower -> leader (ACK of NEWLEADER): synchronised, holding `last_index` entries.
    AckSync {
        epoch: u64,
        last_index: u64,
        session: u64,
    },
    /// Leader -> follower (PROPOSALs, with the COMMIT of what the leader has committed):
    /// entries from `from_index + 1` on, and the leader's commit index.
    Propose {
        epoch: u64,
        from_index: u64,
        entries: Batch<Txn>,
        commit_index: u64,
        session: u64,
    },
    /// Leader -> follower (COMMIT): everything up to `commit_index` is committed. Sent to
    /// every synchronised follower as soon as the commit index moves, unless a Propose that
    /// carries it goes to that follower at the same moment. Never answered.
    Commit {
        epoch: u64,
        commit_index: u64,
        session: u64,
    },
    /// Leader -> follower: this server no longer leads; the session is over. Stands in for
    /// the TCP connection a ZooKeeper leader closes when it shuts down, which sends its
    /// learners back to LOOKING at once instead of after their timeout.
    Disconnect { session: u64 },
    /// Leader -> follower, every tick: still here; the commit index and history length.
    Ping {
        epoch: u64,
        commit_index: u64,
        last_index: u64,
        session: u64,
    },
    /// Follower -> leader (ACK and PING): holds `last_index` entries of this epoch's history.
    Ack {
        epoch: u64,
        last_index: u64,
        session: u64,
    },
    /// A server that does not lead -> a follower registering with it, over connection-oriented
    /// links only: nothing listens on its quorum port, so the connect is refused.
    Refused { session: u64 },
}
