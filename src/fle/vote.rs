//! Votes, server states and the total order FastLeaderElection elects by.

use std::cmp::Ordering;

use super::config::FleBug;
use super::durable::HistoryMark;
use super::zxid::Zxid;
use crate::protocol::NodeId;

/// What a server says about the election.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerState {
    Looking,
    Following,
    Leading,
}

/// A proposal for leader: the server, and the last zxid and current epoch it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Vote {
    pub leader: NodeId,
    pub zxid: Zxid,
    pub peer_epoch: u64,
}

impl Vote {
    /// The order of ZooKeeper's `totalOrderPredicate`: peer epoch, then zxid, then id.
    pub fn order(&self, other: &Vote) -> Ordering {
        (self.peer_epoch, self.zxid, self.leader).cmp(&(other.peer_epoch, other.zxid, other.leader))
    }

    /// Whether this vote beats `current` (ZooKeeper's `totalOrderPredicate(new, current)`),
    /// or, under [`FleBug::ZxidBeforeEpoch`], the predicate of the ZOOKEEPER-1419 era.
    pub fn beats(&self, current: &Vote, bug: Option<FleBug>) -> bool {
        if bug == Some(FleBug::ZxidBeforeEpoch) {
            return self.peer_epoch > current.peer_epoch
                || (self.peer_epoch == current.peer_epoch && self.zxid > current.zxid)
                || (self.zxid == current.zxid && self.leader > current.leader);
        }
        self.order(current) == Ordering::Greater
    }
}

/// A vote held in the current round, with what the checks need to know of how it came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeldVote {
    pub vote: Vote,
    /// Ghost, for the decision-basis check only: the round of the notification that carried
    /// it.
    pub round: u64,
    /// Ghost, for the dominance check only: how recent the sender's history was when it
    /// sent the vote, if it sent it LOOKING.
    pub sender_history: Option<HistoryMark>,
}

/// The vote a server decided on and the election round it decided in: what it tells LOOKING
/// servers once FOLLOWING or LEADING.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecidedVote {
    pub vote: Vote,
    pub round: u64,
}

/// A vote heard from a server that has decided (out of election), with the round and state
/// its notification carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfElectionVote {
    pub vote: Vote,
    pub round: u64,
    pub state: ServerState,
}
