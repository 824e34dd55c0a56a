//! Leaders by term, votes by term, and each node's current claim (leader / following / none).

use std::collections::BTreeMap;

use super::{names, LeaderRecord, Violation};
use crate::protocol::NodeId;

/// What a node currently says about leadership. Volatile: a crash resets it to `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    None,
    Leader { term: u64 },
    Following { term: u64, leader: NodeId },
}

#[derive(Debug)]
pub struct Leadership {
    leaders: BTreeMap<u64, LeaderRecord>,
    /// The highest term in `leaders` (0 while there is none), kept beside the map because
    /// every commit report reads it: a B-tree walk there cost more than the rest of the check.
    leader_term_high: u64,
    claims: Vec<Claim>,
    /// Per node, its latest vote as (term, candidate). Durable: survives crashes, because a
    /// vote is a promise the node must keep across them. Terms only grow, so the latest vote
    /// is all that is needed: a second vote in that term, or any vote in an earlier term,
    /// breaks the promise. O(1) memory per node, however long the run.
    last_votes: Vec<Option<(u64, NodeId)>>,
}

impl Leadership {
    pub fn new(node_count: u16) -> Leadership {
        Leadership {
            leaders: BTreeMap::new(),
            leader_term_high: 0,
            claims: vec![Claim::None; usize::from(node_count)],
            last_votes: vec![None; usize::from(node_count)],
        }
    }

    /// Election safety: the first leader of a term owns it.
    pub fn on_became_leader(
        &mut self,
        node: NodeId,
        term: u64,
        now_us: u64,
    ) -> Result<(), Violation> {
        let record = *self.leaders.entry(term).or_insert(LeaderRecord {
            term,
            node,
            at_us: now_us,
        });
        if record.node != node {
            return Err(Violation::cold(
                names::ELECTION_SAFETY,
                &[record.node, node],
                format_args!(
                    "two leaders in term {term}: {} (since {}) and {node}",
                    record.node,
                    crate::time::format_ms(record.at_us)
                ),
            ));
        }
        self.leader_term_high = self.leader_term_high.max(term);
        self.claims[node.index()] = Claim::Leader { term };
        Ok(())
    }

    pub fn on_stepped_down(&mut self, node: NodeId, term: u64) {
        if self.claims[node.index()] == (Claim::Leader { term }) {
            self.claims[node.index()] = Claim::None;
        }
    }

    pub fn on_following(&mut self, node: NodeId, term: u64, leader: NodeId) {
        self.claims[node.index()] = Claim::Following { term, leader };
    }

    /// Ends a follower's claim on `leader` in `term`; a newer claim stands.
    pub fn on_stopped_following(&mut self, node: NodeId, term: u64, leader: NodeId) {
        if self.claims[node.index()] == (Claim::Following { term, leader }) {
            self.claims[node.index()] = Claim::None;
        }
    }

    pub fn on_voted(
        &mut self,
        node: NodeId,
        term: u64,
        candidate: NodeId,
    ) -> Result<(), Violation> {
        // Voting in a later term means the node no longer follows an earlier term's leader.
        if let Claim::Following { term: followed, .. } = self.claims[node.index()] {
            if term > followed {
                self.claims[node.index()] = Claim::None;
            }
        }
        let last = &mut self.last_votes[node.index()];
        match *last {
            Some((last_term, earlier)) if last_term == term && earlier != candidate => {
                Err(Violation::cold(
                    names::VOTE_ONCE_PER_TERM,
                    &[node, earlier, candidate],
                    format_args!(
                        "{node} voted twice in term {term}: for {earlier} and for {candidate}"
                    ),
                ))
            }
            Some((last_term, earlier)) if last_term > term => Err(Violation::cold(
                names::VOTE_ONCE_PER_TERM,
                &[node, earlier, candidate],
                format_args!(
                    "{node} voted for {candidate} in term {term} after voting for {earlier} in \
                     term {last_term}: its term went backwards, so it may vote twice in a term"
                ),
            )),
            _ => {
                *last = Some((term, candidate));
                Ok(())
            }
        }
    }

    pub fn on_crash(&mut self, node: NodeId) {
        self.claims[node.index()] = Claim::None;
    }

    pub fn claim(&self, node: NodeId) -> Claim {
        self.claims[node.index()]
    }

    pub fn leading_term(&self, node: NodeId) -> Option<u64> {
        match self.claims[node.index()] {
            Claim::Leader { term } => Some(term),
            _ => None,
        }
    }

    /// The highest term any leader has claimed so far, or 0.
    pub fn leader_term_high(&self) -> u64 {
        self.leader_term_high
    }

    pub fn leaders(&self) -> &BTreeMap<u64, LeaderRecord> {
        &self.leaders
    }

    pub fn current_leader(&self, alive: &[bool]) -> Option<NodeId> {
        self.live_leaders(alive)
            .max_by_key(|&(node, term)| (term, std::cmp::Reverse(node)))
            .map(|(node, _)| node)
    }

    /// A live leader that a quorum acknowledges: itself plus live followers of its term that
    /// claim it and that it can reach, and be reached by, right now. The link check keeps a
    /// follower cut off from its leader from counting on the strength of an old claim.
    pub fn established_leader(
        &self,
        alive: &[bool],
        linked: impl Fn(NodeId, NodeId) -> bool,
    ) -> Option<(NodeId, u64)> {
        let quorum = self.claims.len() / 2 + 1;
        self.live_leaders(alive).find(|&(leader, term)| {
            let followers = self
                .claims
                .iter()
                .enumerate()
                .filter(|&(index, claim)| {
                    let follower = NodeId(index as u16);
                    alive[index]
                        && *claim == (Claim::Following { term, leader })
                        && linked(leader, follower)
                        && linked(follower, leader)
                })
                .count();
            followers + 1 >= quorum
        })
    }

    fn live_leaders<'a>(&'a self, alive: &'a [bool]) -> impl Iterator<Item = (NodeId, u64)> + 'a {
        self.claims
            .iter()
            .enumerate()
            .filter(|&(index, _)| alive[index])
            .filter_map(|(index, claim)| match *claim {
                Claim::Leader { term } => Some((NodeId(index as u16), term)),
                _ => None,
            })
    }
}
