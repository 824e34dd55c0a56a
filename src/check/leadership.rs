//! Leaders by term, votes by term, and the term each node leads now: what election safety,
//! one vote per term and leader append-only need. Who leads for the engine's purposes
//! (aiming faults and client load) is the engine's own view, not this.

use std::collections::BTreeMap;

use super::{names, LeaderRecord, Violation};
use crate::protocol::NodeId;

#[derive(Debug)]
pub struct Leadership {
    leaders: BTreeMap<u64, LeaderRecord>,
    /// The highest term in `leaders` (0 while there is none), kept beside the map because
    /// every commit report reads it: one load here, a walk down the tree there.
    leader_term_high: u64,
    /// Per node, the term it leads now, if any: leader append-only holds it to its log.
    /// Volatile: stepping down, following a leader, or a crash ends it.
    leading: Vec<Option<u64>>,
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
            leading: vec![None; usize::from(node_count)],
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
        self.leading[node.index()] = Some(term);
        Ok(())
    }

    /// Ends `node`'s leadership of `term`; a newer one stands.
    pub fn on_stepped_down(&mut self, node: NodeId, term: u64) {
        if self.leading[node.index()] == Some(term) {
            self.leading[node.index()] = None;
        }
    }

    /// A node that follows a leader leads no term.
    pub fn on_following(&mut self, node: NodeId) {
        self.leading[node.index()] = None;
    }

    pub fn on_voted(
        &mut self,
        node: NodeId,
        term: u64,
        candidate: NodeId,
    ) -> Result<(), Violation> {
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
        self.leading[node.index()] = None;
    }

    /// `node`'s latest vote, for a checkpoint of what its disk holds.
    pub fn last_vote(&self, node: NodeId) -> Option<(u64, NodeId)> {
        self.last_votes[node.index()]
    }

    /// Puts back `node`'s latest vote as a checkpoint had it (a write lost in a crash).
    pub fn restore_last_vote(&mut self, node: NodeId, vote: Option<(u64, NodeId)>) {
        self.last_votes[node.index()] = vote;
    }

    pub fn leading_term(&self, node: NodeId) -> Option<u64> {
        self.leading[node.index()]
    }

    /// The highest term any leader has claimed so far, or 0.
    pub fn leader_term_high(&self) -> u64 {
        self.leader_term_high
    }

    pub fn leaders(&self) -> &BTreeMap<u64, LeaderRecord> {
        &self.leaders
    }
}
