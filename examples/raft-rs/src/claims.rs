//! What raft-rs exposes about leadership and votes, as the observations quorumsim's generic
//! checkers read: the role and leader it holds (its soft state) become `BecameLeader`,
//! `SteppedDown`, `Following` and `StoppedFollowing`; the vote in its hard state becomes
//! `Voted`.

use quorumsim::protocol::{Ctx, NodeId, Observation, Protocol};
use raft::eraftpb::HardState;
use raft::{Raft, StateRole, Storage};

use crate::wire::node_of;

/// What a node says about leadership, as last reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    None,
    Leader { term: u64 },
    Following { term: u64, leader: NodeId },
}

impl Claim {
    /// The claim raft-rs's state makes now: a leader leads its term; a follower that knows
    /// its term's leader follows it; a (pre-)candidate, or a follower that has not heard from
    /// a leader, claims nothing.
    pub fn of<T: Storage>(raft: &Raft<T>) -> Claim {
        match raft.state {
            StateRole::Leader => Claim::Leader { term: raft.term },
            StateRole::Follower => match node_of(raft.leader_id) {
                Some(leader) => Claim::Following {
                    term: raft.term,
                    leader,
                },
                None => Claim::None,
            },
            StateRole::Candidate | StateRole::PreCandidate => Claim::None,
        }
    }
}

/// The reports one incarnation of a node has made, so each change is reported once.
#[derive(Debug)]
pub struct Claims {
    claim: Claim,
    /// The last vote reported, as raft-rs's (term, raft id); at boot, the vote on disk, which
    /// the previous incarnation reported when it cast it.
    vote: (u64, u64),
}

impl Claims {
    pub fn new(hard_state_on_disk: &HardState) -> Claims {
        Claims {
            claim: Claim::None,
            vote: (hard_state_on_disk.term, hard_state_on_disk.vote),
        }
    }

    pub fn claim(&self) -> Claim {
        self.claim
    }

    /// Reports a change of role or leader. Called at the start of each `Ready`, before its
    /// log writes: a leader that lost its term says so before a new leader's entries replace
    /// its own (leader append-only holds while it leads), and a new leader's log is its
    /// durable log, which every earlier `Ready` has written (raft-rs asserts that a node
    /// becomes leader only with every entry persisted), plus the empty entry of its term that
    /// this `Ready` appends at the end.
    pub fn report_role<P: Protocol, T: Storage>(&mut self, ctx: &mut Ctx<'_, P>, raft: &Raft<T>) {
        let now = Claim::of(raft);
        if now == self.claim {
            return;
        }
        match self.claim {
            Claim::Leader { term } => ctx.observe(Observation::SteppedDown { term }),
            Claim::Following { term, leader } => {
                ctx.observe(Observation::StoppedFollowing { term, leader })
            }
            Claim::None => {}
        }
        match now {
            Claim::Leader { term } => ctx.observe(Observation::BecameLeader { term }),
            Claim::Following { term, leader } => {
                ctx.observe(Observation::Following { term, leader })
            }
            Claim::None => {}
        }
        self.claim = now;
    }

    /// Reports the vote of a `Ready`'s hard state when it is a new one: the moment raft-rs
    /// has decided it and the vote's messages are about to leave. A candidate's vote for
    /// itself counts.
    pub fn report_vote<P: Protocol>(&mut self, ctx: &mut Ctx<'_, P>, hard_state: &HardState) {
        let vote = (hard_state.term, hard_state.vote);
        if vote == self.vote {
            return;
        }
        self.vote = vote;
        if let Some(candidate) = node_of(hard_state.vote) {
            ctx.observe(Observation::Voted {
                term: hard_state.term,
                candidate,
            });
        }
    }
}
