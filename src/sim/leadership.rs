//! The engine's view of leadership: who leads now, which leader a live quorum acknowledges,
//! and how many entries are committed cluster-wide. The engine aims the "leader" and
//! "follower" selectors and the client load with it, and judges the liveness expectations by
//! it.
//!
//! It is fed the same observations as the safety checkers, but it only keeps what the nodes
//! claim and never judges them: whether a claim was legal is the checkers' finding, and no
//! engine decision reads the checkers. Steering and watching stay two jobs, so either can
//! change without moving the other.

use std::collections::BTreeMap;

use crate::protocol::{NodeId, Observation};

/// What a node currently says about leadership. Volatile: a crash resets it to `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Claim {
    None,
    Leader { term: u64 },
    Following { term: u64, leader: NodeId },
}

/// Each node's claim, the committed count, and what the engine asks of them most often.
#[derive(Debug)]
pub(super) struct LeadershipView {
    claims: Vec<Claim>,
    /// The node that first claimed each term: the one believed to lead it.
    first_leader_by_term: BTreeMap<u64, NodeId>,
    /// The highest index any node has reported committed.
    committed_count: u64,
    /// The current leader among live nodes, once asked, until a claim or a node's liveness
    /// changes: the workload asks before every client request, and the answer changes once
    /// per election.
    current_leader: Option<Option<NodeId>>,
    /// A claim, a node's liveness or a link may have changed since the established leader
    /// was last asked for; the liveness tracker asks again only then.
    established_stale: bool,
}

impl LeadershipView {
    pub(super) fn new(node_count: u16) -> LeadershipView {
        LeadershipView {
            claims: vec![Claim::None; usize::from(node_count)],
            first_leader_by_term: BTreeMap::new(),
            committed_count: 0,
            current_leader: None,
            established_stale: false,
        }
    }

    /// Folds in one observation of `node`. Inlined into the engine's observation path, always:
    /// most observations (log writes, applies) do not concern the view and a commit is one
    /// comparison, less than the call the compiler kept with a plain hint.
    #[inline(always)]
    pub(super) fn observe(&mut self, node: NodeId, observation: &Observation) {
        match *observation {
            Observation::Committed { index, .. } => {
                self.committed_count = self.committed_count.max(index);
            }
            Observation::LogAppended { .. }
            | Observation::LogTruncated { .. }
            | Observation::Applied { .. } => {}
            Observation::Voted { term, .. } => self.on_voted(node, term),
            Observation::BecameLeader { term } => self.on_became_leader(node, term),
            Observation::SteppedDown { term } => {
                self.change_claim(node, Some(Claim::Leader { term }), Claim::None);
            }
            Observation::Following { term, leader } => {
                self.change_claim(node, None, Claim::Following { term, leader });
            }
            Observation::StoppedFollowing { term, leader } => {
                let ended = Claim::Following { term, leader };
                self.change_claim(node, Some(ended), Claim::None);
            }
        }
    }

    /// The first node to claim a term leads it. A second claimant is not believed (the
    /// checkers report it as a breach of election safety), so faults and clients are not
    /// aimed at it and its earlier claim stands.
    fn on_became_leader(&mut self, node: NodeId, term: u64) {
        let first = *self.first_leader_by_term.entry(term).or_insert(node);
        if first == node {
            self.claims[node.index()] = Claim::Leader { term };
        }
        self.on_cluster_changed();
    }

    /// `node` now claims `claim`; with `ending`, only if `ending` is what it claimed (a step
    /// down, or the end of a follow claim, ends only the claim it names; a newer one stands).
    /// Either way the answers may change, as the engine has always counted it.
    fn change_claim(&mut self, node: NodeId, ending: Option<Claim>, claim: Claim) {
        let held = &mut self.claims[node.index()];
        if ending.is_none_or(|ending| *held == ending) {
            *held = claim;
        }
        self.on_cluster_changed();
    }

    /// Voting in a later term means the node no longer follows an earlier term's leader.
    /// The established leader is not marked stale here, as the engine never has: marking it
    /// would move the established-leader records, which the trace hash covers, in runs where
    /// a vote is the step's only change of claims.
    fn on_voted(&mut self, node: NodeId, term: u64) {
        let claim = &mut self.claims[node.index()];
        if let Claim::Following { term: followed, .. } = *claim {
            if term > followed {
                *claim = Claim::None;
            }
        }
    }

    /// A crash ends the node's claim.
    pub(super) fn on_crash(&mut self, node: NodeId) {
        self.claims[node.index()] = Claim::None;
        self.on_cluster_changed();
    }

    /// A claim changed, a node went down or came up, or links changed: the cached current
    /// leader is forgotten and the established leader must be asked for again.
    pub(super) fn on_cluster_changed(&mut self) {
        self.current_leader = None;
        self.established_stale = true;
    }

    /// The live node that claims leadership in the highest term (the lowest id on a tie).
    /// Inlined for the cached answer, which is nearly every call.
    #[inline]
    pub(super) fn current_leader(&mut self, alive: &[bool]) -> Option<NodeId> {
        match self.current_leader {
            Some(leader) => leader,
            None => self.find_current_leader(alive),
        }
    }

    fn find_current_leader(&mut self, alive: &[bool]) -> Option<NodeId> {
        let leader = self
            .live_leaders(alive)
            .max_by_key(|&(node, term)| (term, std::cmp::Reverse(node)))
            .map(|(node, _)| node);
        self.current_leader = Some(leader);
        leader
    }

    /// Whether the established leader may have changed since this was last asked; asking
    /// resets it.
    #[inline]
    pub(super) fn take_established_stale(&mut self) -> bool {
        if !self.established_stale {
            return false;
        }
        self.established_stale = false;
        true
    }

    /// A live leader that a quorum acknowledges: itself plus live followers of its term that
    /// claim it and that it can reach, and be reached by, right now (`linked(from, to)`). The
    /// link check keeps a follower cut off from its leader from counting on the strength of
    /// an old claim. The lowest id wins if two qualify.
    pub(super) fn established_leader(
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

    /// The highest index any node has reported committed. While the safety checks hold (each
    /// node reports its commits in order, and no two disagree), this is the length of the
    /// cluster-wide committed prefix.
    pub(super) fn committed_count(&self) -> u64 {
        self.committed_count
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Observation::*;

    const N0: NodeId = NodeId(0);
    const N1: NodeId = NodeId(1);
    const N2: NodeId = NodeId(2);
    const ALL_ALIVE: [bool; 3] = [true, true, true];

    fn all_linked(_: NodeId, _: NodeId) -> bool {
        true
    }

    /// n0 leads term 1 and n1 follows it, in a 3-node cluster.
    fn leader_n0_followed_by_n1() -> LeadershipView {
        let mut view = LeadershipView::new(3);
        view.observe(N0, &BecameLeader { term: 1 });
        let following = Following {
            term: 1,
            leader: N0,
        };
        view.observe(N1, &following);
        view
    }

    #[test]
    fn an_established_leader_needs_a_live_linked_quorum() {
        let view = leader_n0_followed_by_n1();
        assert_eq!(
            view.established_leader(&ALL_ALIVE, all_linked),
            Some((N0, 1))
        );
        assert_eq!(
            view.established_leader(&[true, false, true], all_linked),
            None
        );
        assert_eq!(
            view.established_leader(&[false, true, true], all_linked),
            None
        );
        // A follower that cannot hear the leader (or be heard) does not count, whatever it
        // claims.
        let cut = |from: NodeId, to: NodeId| !(from == N0 && to == N1);
        assert_eq!(view.established_leader(&ALL_ALIVE, cut), None);
    }

    #[test]
    fn the_current_leader_is_the_live_one_of_the_highest_term() {
        let mut view = leader_n0_followed_by_n1();
        assert_eq!(view.current_leader(&ALL_ALIVE), Some(N0));
        view.observe(N2, &BecameLeader { term: 2 });
        assert_eq!(view.current_leader(&ALL_ALIVE), Some(N2));
        // The cache answers until liveness changes; then the live leader is asked again.
        assert_eq!(view.current_leader(&[true, true, false]), Some(N2));
        view.on_cluster_changed();
        assert_eq!(view.current_leader(&[true, true, false]), Some(N0));
        view.on_crash(N0);
        assert_eq!(view.current_leader(&[true, true, false]), None);
    }

    #[test]
    fn a_second_claimant_of_a_term_is_not_believed() {
        let mut view = leader_n0_followed_by_n1();
        view.observe(N2, &BecameLeader { term: 1 });
        assert_eq!(view.claims[N2.index()], Claim::None);
        view.on_crash(N0);
        assert_eq!(view.current_leader(&[false, true, true]), None);
        // The first claimant may claim its own term again (after a restart, say).
        view.observe(N0, &BecameLeader { term: 1 });
        assert_eq!(view.current_leader(&ALL_ALIVE), Some(N0));
    }

    #[test]
    fn a_step_down_ends_only_the_claim_on_that_term() {
        let mut view = leader_n0_followed_by_n1();
        view.observe(N0, &SteppedDown { term: 7 });
        assert_eq!(view.current_leader(&ALL_ALIVE), Some(N0));
        view.observe(N0, &SteppedDown { term: 1 });
        assert_eq!(view.current_leader(&ALL_ALIVE), None);
    }

    #[test]
    fn voting_in_a_later_term_ends_a_follow_claim_without_marking_stale() {
        let mut view = leader_n0_followed_by_n1();
        assert!(view.take_established_stale());
        let vote = Voted {
            term: 2,
            candidate: N1,
        };
        view.observe(N1, &vote);
        assert_eq!(view.claims[N1.index()], Claim::None);
        assert_eq!(view.established_leader(&ALL_ALIVE, all_linked), None);
        assert!(!view.take_established_stale());
    }

    #[test]
    fn stopping_to_follow_ends_only_that_follow_claim() {
        let mut view = leader_n0_followed_by_n1();
        // A claim on another term or leader is not the one that ended.
        let other = StoppedFollowing {
            term: 2,
            leader: N0,
        };
        view.observe(N1, &other);
        assert_eq!(
            view.established_leader(&ALL_ALIVE, all_linked),
            Some((N0, 1))
        );
        let ended = StoppedFollowing {
            term: 1,
            leader: N0,
        };
        view.observe(N1, &ended);
        assert_eq!(view.claims[N1.index()], Claim::None);
        assert_eq!(view.established_leader(&ALL_ALIVE, all_linked), None);
    }

    #[test]
    fn the_committed_count_is_the_highest_index_reported_committed() {
        let mut view = LeadershipView::new(3);
        let commit = |index| Committed {
            index,
            term: 1,
            digest: 0,
        };
        view.observe(N0, &commit(1));
        view.observe(N0, &commit(2));
        view.observe(N1, &commit(1));
        assert_eq!(view.committed_count(), 2);
        // A restarted node commits again from the start; the count stays.
        view.on_crash(N0);
        view.observe(N0, &commit(1));
        assert_eq!(view.committed_count(), 2);
    }

    #[test]
    fn claims_crashes_and_cluster_changes_mark_the_established_leader_stale() {
        let mut view = LeadershipView::new(3);
        assert!(!view.take_established_stale());
        view.observe(N0, &BecameLeader { term: 1 });
        assert!(view.take_established_stale());
        assert!(!view.take_established_stale(), "asking resets it");
        view.observe(
            N0,
            &Committed {
                index: 1,
                term: 1,
                digest: 0,
            },
        );
        assert!(!view.take_established_stale(), "a commit changes no claim");
        view.on_crash(N1);
        assert!(view.take_established_stale());
        view.on_cluster_changed();
        assert!(view.take_established_stale());
    }
}
