//! Leader election: election timeouts, pre-vote, RequestVote, becoming leader (Raft §5.2,
//! §5.4.1; dissertation §9.6 for pre-vote).

use super::role::{LeaderState, NodeSet, Progress, Role};
use super::{RaftBug, RaftCtx, RaftMsg, RaftNode, RaftTimer};
use crate::protocol::quorum::Majority;
use crate::protocol::{NodeId, Observation};

impl RaftNode {
    pub(super) fn on_election_timeout(&mut self, ctx: &mut RaftCtx<'_>) {
        debug_assert!(
            !matches!(self.role, Role::Leader(_)),
            "leaders run no election timer"
        );
        if self.config.pre_vote {
            self.become_pre_candidate(ctx);
        } else {
            self.become_candidate(ctx);
        }
    }

    fn become_pre_candidate(&mut self, ctx: &mut RaftCtx<'_>) {
        let mut votes = NodeSet::new(ctx.node_count());
        votes.insert(ctx.id().index());
        self.role = Role::PreCandidate { votes };
        self.leader = None;
        self.leader_contact_us = None;
        self.redraw_election_timeout(ctx);
        self.reset_election_timer(ctx);
        let msg = RaftMsg::PreVote {
            term: ctx.durable.current_term + 1,
            last_log_index: ctx.durable.log.last_index(),
            last_log_term: ctx.durable.log.last_term(),
        };
        ctx.broadcast(msg);
        self.maybe_win_pre_vote(ctx);
    }

    /// Figure 2, "Candidates": increment the term, vote for self, reset the timer, ask all.
    fn become_candidate(&mut self, ctx: &mut RaftCtx<'_>) {
        let term = ctx.durable.current_term + 1;
        ctx.durable.current_term = term;
        ctx.durable.voted_for = Some(ctx.id());
        ctx.observe(Observation::Voted {
            term,
            candidate: ctx.id(),
        });
        let mut votes = NodeSet::new(ctx.node_count());
        votes.insert(ctx.id().index());
        self.role = Role::Candidate { votes };
        self.leader = None;
        self.leader_contact_us = None;
        self.redraw_election_timeout(ctx);
        self.reset_election_timer(ctx);
        let msg = RaftMsg::RequestVote {
            term,
            last_log_index: ctx.durable.log.last_index(),
            last_log_term: ctx.durable.log.last_term(),
        };
        ctx.broadcast(msg);
        self.maybe_win_election(ctx);
    }

    pub(super) fn on_pre_vote(
        &mut self,
        ctx: &mut RaftCtx<'_>,
        from: NodeId,
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    ) {
        // A pre-vote never changes this node's term or vote; it is a question, not an election.
        // With CheckQuorum, a node that hears from a live leader refuses (the lease).
        let granted = term > ctx.durable.current_term
            && !self.in_leader_lease(ctx)
            && self.candidate_up_to_date(ctx, last_log_term, last_log_index);
        let reply_term = if granted {
            term
        } else {
            ctx.durable.current_term
        };
        ctx.send(
            from,
            RaftMsg::PreVoteReply {
                term: reply_term,
                granted,
            },
        );
    }

    pub(super) fn on_pre_vote_reply(
        &mut self,
        ctx: &mut RaftCtx<'_>,
        from: NodeId,
        term: u64,
        granted: bool,
    ) {
        if !granted {
            if term > ctx.durable.current_term {
                self.become_follower(ctx, term, None);
            }
            return;
        }
        let asked_term = ctx.durable.current_term + 1;
        if let Role::PreCandidate { votes } = &mut self.role {
            if term == asked_term {
                votes.insert(from.index());
                self.maybe_win_pre_vote(ctx);
            }
        }
    }

    fn maybe_win_pre_vote(&mut self, ctx: &mut RaftCtx<'_>) {
        if let Role::PreCandidate { votes } = &self.role {
            if Majority::of(ctx.node_count()).is_reached_by(votes.count()) {
                self.become_candidate(ctx);
            }
        }
    }

    /// Figure 2, RequestVote receiver: grant if the term is current, no other vote was cast
    /// in it, and the candidate's log is at least as up-to-date (§5.4.1).
    pub(super) fn on_request_vote(
        &mut self,
        ctx: &mut RaftCtx<'_>,
        from: NodeId,
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    ) {
        if term > ctx.durable.current_term {
            if self.config.check_quorum && self.in_leader_lease(ctx) {
                return; // a live leader exists; do not let a returning node depose it
            }
            self.become_follower(ctx, term, None);
        }
        let current_term = ctx.durable.current_term;
        // Figure 2 grants when votedFor is null or the candidate. Like etcd's canVote, also
        // refuse when this term's leader is already known: the vote could not change the
        // outcome, and granting it would reset the election timer for nothing.
        let vote_free = match ctx.durable.voted_for {
            Some(voted) => voted == from,
            None => self.leader.is_none(),
        };
        let granted = term == current_term
            && vote_free
            && self.candidate_up_to_date(ctx, last_log_term, last_log_index);
        let reply = RaftMsg::VoteReply {
            term: current_term,
            granted,
        };
        if granted && self.config.has_bug(RaftBug::ReplyBeforePersist) {
            ctx.send(from, reply); // bug: the grant leaves before votedFor is written
            ctx.durable.voted_for = Some(from);
            ctx.observe(Observation::Voted {
                term,
                candidate: from,
            });
            self.reset_election_timer(ctx);
            return;
        }
        if granted {
            ctx.durable.voted_for = Some(from);
            ctx.observe(Observation::Voted {
                term,
                candidate: from,
            });
            self.reset_election_timer(ctx);
        }
        ctx.send(from, reply);
    }

    /// §5.4.1: a candidate's log is at least as up-to-date as this node's. Used by both
    /// RequestVote and PreVote, so the bug variant breaks both the same way.
    fn candidate_up_to_date(
        &self,
        ctx: &RaftCtx<'_>,
        last_log_term: u64,
        last_log_index: u64,
    ) -> bool {
        if self.config.has_bug(RaftBug::VoteWithoutUpToDate) {
            return true; // bug: any candidate's log is taken as up-to-date
        }
        ctx.durable
            .log
            .is_behind_or_equal(last_log_term, last_log_index)
    }

    pub(super) fn on_vote_reply(
        &mut self,
        ctx: &mut RaftCtx<'_>,
        from: NodeId,
        term: u64,
        granted: bool,
    ) {
        if term > ctx.durable.current_term {
            self.become_follower(ctx, term, None);
            return;
        }
        if term < ctx.durable.current_term || !granted {
            return;
        }
        if let Role::Candidate { votes } = &mut self.role {
            votes.insert(from.index());
            self.maybe_win_election(ctx);
        }
    }

    fn maybe_win_election(&mut self, ctx: &mut RaftCtx<'_>) {
        if let Role::Candidate { votes } = &self.role {
            if Majority::of(ctx.node_count()).is_reached_by(votes.count()) {
                self.become_leader(ctx);
            }
        }
    }

    /// Figure 2, "Leaders": initialise next/match indexes, append a no-op of the new term
    /// (§8: it lets the leader commit entries of earlier terms), and assert leadership.
    fn become_leader(&mut self, ctx: &mut RaftCtx<'_>) {
        assert!(
            matches!(self.role, Role::Candidate { .. }),
            "only a candidate can become leader, not a {}",
            self.role.name()
        );
        let term = ctx.durable.current_term;
        let node_count = usize::from(ctx.node_count());
        let next = ctx.durable.log.last_index() + 1;
        self.role = Role::Leader(LeaderState {
            progress: vec![Progress::probe_from(next); node_count],
            recently_active: NodeSet::new(ctx.node_count()),
        });
        self.leader = Some(ctx.id());
        ctx.observe(Observation::BecameLeader { term });
        ctx.cancel_timer(RaftTimer::Election);
        self.append_as_leader(ctx, super::Payload::Noop);
        self.bcast_append_entries(ctx, true);
        ctx.set_timer(
            RaftTimer::Heartbeat,
            self.config.heartbeat_interval_us..=self.config.heartbeat_interval_us,
        );
        if self.config.check_quorum {
            let period_us = self.config.election_timeout_us_min;
            ctx.set_timer(RaftTimer::QuorumCheck, period_us..=period_us);
        }
        self.maybe_commit(ctx);
    }

    /// CheckQuorum: a leader that has not heard from a majority in the last period steps down,
    /// so a leader cut off from the cluster stops accepting commands it cannot commit.
    pub(super) fn on_quorum_check(&mut self, ctx: &mut RaftCtx<'_>) {
        let Role::Leader(state) = &mut self.role else {
            return;
        };
        let active = state.recently_active.count() + 1;
        state.recently_active = NodeSet::new(ctx.node_count());
        // The bug variant keeps leading without a quorum.
        let quorum_heard = Majority::of(ctx.node_count()).is_reached_by(active);
        if !quorum_heard && !self.config.has_bug(RaftBug::LeaderNeverStepsDown) {
            let term = ctx.durable.current_term;
            self.become_follower(ctx, term, None);
            return;
        }
        let period_us = self.config.election_timeout_us_min;
        ctx.set_timer(RaftTimer::QuorumCheck, period_us..=period_us);
    }
}
