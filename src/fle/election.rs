//! FastLeaderElection: the receive rules of ZooKeeper's `lookForLeader`, one notification at
//! a time, with the notification timeout and `finalizeWait` as timers.

use super::broadcast::Role;
use super::config::FleBug;
use super::vote::{ServerState, Vote};
use super::{own_vote, Decision, FleCtx, FleMsg, FleNode, FleTimer};
use crate::protocol::NodeId;

impl FleNode {
    /// Enters LOOKING in a new round: propose oneself, tell everyone, wait for votes.
    pub(super) fn start_looking(&mut self, ctx: &mut FleCtx<'_>) {
        debug_assert!(
            !matches!(self.role, Role::Leading(_)),
            "a leader steps down first"
        );
        self.role = Role::Looking;
        self.decided = None;
        self.round += 1;
        self.proposal = own_vote(ctx);
        self.recv_set.clear();
        self.out_of_election.clear();
        self.recv_set.insert(ctx.id(), self.proposal);
        self.notification_timeout_us = self.config.notification_timeout_us_initial;
        self.finalize_pending = false;
        ctx.cancel_timer(FleTimer::Finalize);
        ctx.cancel_timer(FleTimer::Ping);
        self.send_notifications(ctx);
        self.arm_notification_timeout(ctx);
        self.check_proposal_quorum(ctx);
    }

    fn notification(&self) -> FleMsg {
        match self.decided {
            Some((vote, round)) => FleMsg::Notification {
                vote,
                round,
                state: self.server_state(),
            },
            None => FleMsg::Notification {
                vote: self.proposal,
                round: self.round,
                state: ServerState::Looking,
            },
        }
    }

    fn send_notifications(&self, ctx: &mut FleCtx<'_>) {
        ctx.broadcast(self.notification());
    }

    fn arm_notification_timeout(&self, ctx: &mut FleCtx<'_>) {
        let timeout_us = self.notification_timeout_us;
        ctx.set_timer(FleTimer::NotificationTimeout, timeout_us..=timeout_us);
    }

    fn ignores_rounds(&self) -> bool {
        self.config.bug == Some(FleBug::IgnoreRound)
    }

    pub(super) fn on_notification(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        vote: Vote,
        round: u64,
        state: ServerState,
    ) {
        if !matches!(self.role, Role::Looking) {
            // A decided server answers LOOKING servers with the vote it decided on, so a late
            // joiner learns who leads.
            if state == ServerState::Looking {
                ctx.send(from, self.notification());
            }
            return;
        }
        // ZooKeeper's poll(notTimeout): any notification restarts the wait.
        self.arm_notification_timeout(ctx);
        match state {
            ServerState::Looking => self.on_looking_vote(ctx, from, vote, round),
            ServerState::Following | ServerState::Leading => {
                self.on_decided_vote(ctx, from, vote, round, state)
            }
        }
    }

    /// The LOOKING branch of `lookForLeader`.
    fn on_looking_vote(&mut self, ctx: &mut FleCtx<'_>, from: NodeId, vote: Vote, round: u64) {
        let bug = self.config.bug;
        let same_round = round == self.round || self.ignores_rounds();
        if !same_round && round > self.round {
            self.round = round;
            self.recv_set.clear();
            let own = own_vote(ctx);
            self.proposal = if vote.beats(&own, bug) { vote } else { own };
            self.recv_set.insert(ctx.id(), self.proposal);
            self.cancel_finalize(ctx);
            self.send_notifications(ctx);
        } else if !same_round {
            // A stale round: dropped, but its LOOKING sender is told the current one.
            ctx.send(from, self.notification());
            return;
        } else if vote.beats(&self.proposal, bug) {
            self.proposal = vote;
            self.recv_set.insert(ctx.id(), self.proposal);
            self.cancel_finalize(ctx);
            self.send_notifications(ctx);
        }
        self.recv_set.insert(from, vote);
        self.check_proposal_quorum(ctx);
    }

    /// The FOLLOWING/LEADING branch of `lookForLeader`: a vote from a server that has decided.
    fn on_decided_vote(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        vote: Vote,
        round: u64,
        state: ServerState,
    ) {
        self.out_of_election.insert(from, (vote, round, state));
        if round == self.round || self.ignores_rounds() {
            self.recv_set.insert(from, vote);
            let voters = self.voters_for(&vote);
            if voters.len() >= ctx.quorum() && self.check_leader(ctx, vote.leader, round) {
                self.decide(ctx, vote, round, voters);
                return;
            }
        }
        let voters = self.out_of_election_voters_for(&vote);
        if voters.len() >= ctx.quorum() && self.check_leader(ctx, vote.leader, round) {
            self.decide(ctx, vote, round, voters);
        }
    }

    /// ZooKeeper's `checkLeader`: the proposed leader must itself say it is LEADING, or be
    /// this server with this server's round — otherwise a quorum of stale "following X"
    /// votes would send a server after a leader that is gone.
    fn check_leader(&self, ctx: &FleCtx<'_>, leader: NodeId, round: u64) -> bool {
        if self.config.bug == Some(FleBug::NoCheckLeader) {
            return true;
        }
        if leader != ctx.id() {
            return matches!(
                self.out_of_election.get(&leader),
                Some((_, _, ServerState::Leading))
            );
        }
        round == self.round || self.ignores_rounds()
    }

    /// Senders whose vote of this round equals `vote` (ZooKeeper's `termPredicate`).
    pub(super) fn voters_for(&self, vote: &Vote) -> Vec<NodeId> {
        self.recv_set
            .iter()
            .filter(|(_, held)| *held == vote)
            .map(|(&node, _)| node)
            .collect()
    }

    /// Decided senders backing the same leader and epoch as `vote`.
    fn out_of_election_voters_for(&self, vote: &Vote) -> Vec<NodeId> {
        self.out_of_election
            .iter()
            .filter(|(_, (held, _, _))| {
                held.leader == vote.leader && held.peer_epoch == vote.peer_epoch
            })
            .map(|(&node, _)| node)
            .collect()
    }

    /// A quorum backs the proposal: wait `finalizeWait` for a better vote, then decide.
    fn check_proposal_quorum(&mut self, ctx: &mut FleCtx<'_>) {
        let voters = self.voters_for(&self.proposal);
        if voters.len() < ctx.quorum() {
            self.cancel_finalize(ctx);
            return;
        }
        if self.config.bug == Some(FleBug::NoFinalizeWait) {
            let (proposal, round) = (self.proposal, self.round);
            self.decide(ctx, proposal, round, voters);
            return;
        }
        if !self.finalize_pending {
            self.finalize_pending = true;
            let wait_us = self.config.finalize_wait_us;
            ctx.set_timer(FleTimer::Finalize, wait_us..=wait_us);
        }
    }

    fn cancel_finalize(&mut self, ctx: &mut FleCtx<'_>) {
        if self.finalize_pending {
            self.finalize_pending = false;
            ctx.cancel_timer(FleTimer::Finalize);
        }
    }

    pub(super) fn on_finalize(&mut self, ctx: &mut FleCtx<'_>) {
        self.finalize_pending = false;
        if !matches!(self.role, Role::Looking) {
            return;
        }
        // No better vote came in the wait (it would have cancelled it): decide, if the
        // quorum still stands.
        let voters = self.voters_for(&self.proposal);
        if voters.len() >= ctx.quorum() {
            let (proposal, round) = (self.proposal, self.round);
            self.decide(ctx, proposal, round, voters);
        }
    }

    pub(super) fn on_notification_timeout(&mut self, ctx: &mut FleCtx<'_>) {
        if !matches!(self.role, Role::Looking) {
            return;
        }
        self.send_notifications(ctx);
        self.notification_timeout_us = self
            .notification_timeout_us
            .saturating_mul(2)
            .min(self.config.notification_timeout_us_max);
        self.arm_notification_timeout(ctx);
    }

    /// Leaves the election: LEADING if `vote` names this server, FOLLOWING otherwise.
    fn decide(&mut self, ctx: &mut FleCtx<'_>, vote: Vote, round: u64, voters: Vec<NodeId>) {
        assert!(
            matches!(self.role, Role::Looking),
            "only LOOKING servers decide"
        );
        ctx.cancel_timer(FleTimer::NotificationTimeout);
        self.cancel_finalize(ctx);
        self.round = round;
        self.decided = Some((vote, round));
        self.recv_set.clear();
        self.out_of_election.clear();
        if vote.leader == ctx.id() {
            let mine = (ctx.durable.current_epoch, ctx.durable.last_zxid());
            self.decided_this_step = Some(Decision {
                vote,
                round,
                voters,
                mine,
            });
            self.become_leading(ctx);
        } else {
            self.become_following(ctx, vote.leader);
        }
    }
}
