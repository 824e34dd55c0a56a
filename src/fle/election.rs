//! FastLeaderElection: the receive rules of ZooKeeper's `lookForLeader`, one notification at
//! a time, with the notification timeout and `finalizeWait` as timers.

use super::broadcast::Role;
use super::config::FleBug;
use super::durable::HistoryMark;
use super::message::NotificationGhost;
use super::vote::{DecidedVote, HeldVote, OutOfElectionVote, ServerState, Vote};
use super::{majority, own_vote, Decision, FleCtx, FleMsg, FleNode, FleTimer, Voter};
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
        self.clear_votes();
        self.hold_own_proposal(ctx);
        self.notification_timeout_us = self.config.notification_timeout_us_initial;
        self.finalize_pending = false;
        ctx.cancel_timer(FleTimer::Finalize);
        ctx.cancel_timer(FleTimer::Ping);
        self.send_notifications(ctx);
        self.arm_notification_timeout(ctx);
        self.check_proposal_quorum(ctx);
    }

    pub(super) fn notification(&self, ctx: &FleCtx<'_>) -> FleMsg {
        let ghost = NotificationGhost {
            sender_history: ctx.durable.history_mark(),
            sent_at_us: ctx.now_us(),
        };
        match self.decided {
            Some(DecidedVote { vote, round }) => FleMsg::Notification {
                vote,
                round,
                state: self.server_state(),
                ghost,
            },
            None => FleMsg::Notification {
                vote: self.proposal,
                round: self.round,
                state: ServerState::Looking,
                ghost,
            },
        }
    }

    fn send_notifications(&self, ctx: &mut FleCtx<'_>) {
        let notification = self.notification(ctx);
        ctx.broadcast(notification);
    }

    /// Forgets every vote of the round (and their ghosts).
    fn clear_votes(&mut self) {
        self.recv_set.clear();
        self.out_of_election.clear();
    }

    /// Counts `vote` as `from`'s in this round. The ghost `sender_history` is the sender's
    /// history if it was LOOKING (its vote then ranks the leader above itself), `None` for a
    /// decided sender (its vote says whom it follows, which may be behind it: a late joiner
    /// follows the established leader and has its surplus truncated).
    fn hold_vote(
        &mut self,
        from: NodeId,
        vote: Vote,
        round: u64,
        sender_history: Option<HistoryMark>,
    ) {
        self.recv_set.insert(
            from,
            HeldVote {
                vote,
                round,
                sender_history,
            },
        );
    }

    fn hold_own_proposal(&mut self, ctx: &FleCtx<'_>) {
        let history = ctx.durable.history_mark();
        self.hold_vote(ctx.id(), self.proposal, self.round, Some(history));
    }

    fn arm_notification_timeout(&self, ctx: &mut FleCtx<'_>) {
        let timeout_us = self.notification_timeout_us;
        ctx.set_timer(FleTimer::NotificationTimeout, timeout_us..=timeout_us);
    }

    /// A new proposal went out: the re-send wait starts over from its initial value. Over
    /// TCP the votes it sent would arrive; on a lossy network one that is lost is re-sent
    /// soon, instead of after a wait that grew while this server was cut off.
    fn restart_back_off(&mut self, ctx: &mut FleCtx<'_>) {
        self.notification_timeout_us = self.config.notification_timeout_us_initial;
        self.arm_notification_timeout(ctx);
    }

    fn ignores_rounds(&self) -> bool {
        self.config.bug == Some(FleBug::IgnoreRound)
    }

    #[inline(never)]
    pub(super) fn on_notification(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        vote: Vote,
        round: u64,
        state: ServerState,
        ghost: NotificationGhost,
    ) {
        if !matches!(self.role, Role::Looking) {
            // A decided server answers LOOKING servers with the vote it decided on, so a late
            // joiner learns who leads.
            if state == ServerState::Looking {
                self.check_finalize_promise(ctx, from, vote, round, ghost);
                let notification = self.notification(ctx);
                ctx.send(from, notification);
            }
            return;
        }
        if self.finalize_pending {
            if !vote.beats(&self.proposal, self.config.bug) {
                self.finalize_poll_again(ctx, from, round, state);
                return;
            }
            // A better vote, of any state or round, ends the loop undecided (ZooKeeper puts
            // it back in the queue and leaves the loop); it is then handled as usual below.
            self.cancel_finalize(ctx);
        }
        // Outside the finalize loop, and unlike ZooKeeper's poll(notTimeout), an arriving
        // notification does not restart the re-send wait. ZooKeeper can afford that because
        // its channels are TCP connections that re-send the last notification on reconnect;
        // on this lossy network a server whose own vote was lost would otherwise stay silent
        // for as long as a peer's periodic re-sends keep arriving just before its timer, and
        // the election never completes (found by the fuzzer:
        // scenarios/fle/silenced-by-peer-notifications.json).
        match state {
            ServerState::Looking => {
                self.on_looking_vote(ctx, from, vote, round, ghost.sender_history)
            }
            ServerState::Following | ServerState::Leading => {
                self.on_decided_vote(ctx, from, vote, round, state)
            }
        }
    }

    /// The LOOKING branch of `lookForLeader`.
    fn on_looking_vote(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        vote: Vote,
        round: u64,
        sender_history: HistoryMark,
    ) {
        let bug = self.config.bug;
        let same_round = round == self.round || self.ignores_rounds();
        if !same_round && round > self.round {
            self.round = round;
            self.recv_set.clear();
            let own = own_vote(ctx);
            self.proposal = if vote.beats(&own, bug) { vote } else { own };
            self.hold_own_proposal(ctx);
            self.cancel_finalize(ctx);
            self.send_notifications(ctx);
            self.restart_back_off(ctx);
        } else if !same_round {
            // A stale round: dropped, but its LOOKING sender is told the current one.
            let notification = self.notification(ctx);
            ctx.send(from, notification);
            return;
        } else if vote.beats(&self.proposal, bug) {
            self.proposal = vote;
            self.hold_own_proposal(ctx);
            self.cancel_finalize(ctx);
            self.send_notifications(ctx);
            self.restart_back_off(ctx);
        }
        self.hold_vote(from, vote, round, Some(sender_history));
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
        self.out_of_election
            .insert(from, OutOfElectionVote { vote, round, state });
        if round == self.round || self.ignores_rounds() {
            self.hold_vote(from, vote, round, None);
            if majority(ctx).is_reached_by(self.voters_for(&vote).count())
                && self.check_leader(ctx, vote.leader, round)
            {
                let voters: Vec<NodeId> = self.voters_for(&vote).collect();
                self.check_decision_basis(ctx, &vote, round, &voters, Basis::DecidedInRound);
                self.decide(ctx, vote, round, voters, None);
                return;
            }
        }
        let voters = self.out_of_election_voters_for(&vote);
        if majority(ctx).is_reached_by(voters.len()) && self.check_leader(ctx, vote.leader, round) {
            self.check_decision_basis(ctx, &vote, round, &voters, Basis::OutOfElection);
            self.decide(ctx, vote, round, voters, None);
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
                self.out_of_election.get(leader),
                Some(OutOfElectionVote {
                    state: ServerState::Leading,
                    ..
                })
            );
        }
        round == self.round || self.ignores_rounds()
    }

    /// Senders whose vote of this round equals `vote` (ZooKeeper's `termPredicate`).
    pub(super) fn voters_for<'a>(&'a self, vote: &'a Vote) -> impl Iterator<Item = NodeId> + 'a {
        self.recv_set
            .iter()
            .filter(|(_, held)| held.vote == *vote)
            .map(|(node, _)| node)
    }

    /// Decided senders backing the same leader and epoch as `vote`.
    fn out_of_election_voters_for(&self, vote: &Vote) -> Vec<NodeId> {
        self.out_of_election
            .iter()
            .filter(|(_, held)| {
                held.vote.leader == vote.leader && held.vote.peer_epoch == vote.peer_epoch
            })
            .map(|(node, _)| node)
            .collect()
    }

    /// A quorum backs the proposal: wait `finalizeWait` for a better vote, then decide.
    fn check_proposal_quorum(&mut self, ctx: &mut FleCtx<'_>) {
        if !majority(ctx).is_reached_by(self.voters_for(&self.proposal).count()) {
            self.cancel_finalize(ctx);
            return;
        }
        if self.config.bug == Some(FleBug::NoFinalizeWait) {
            let voters: Vec<NodeId> = self.voters_for(&self.proposal).collect();
            let (proposal, round) = (self.proposal, self.round);
            self.check_decision_basis(ctx, &proposal, round, &voters, Basis::Proposal);
            self.decided_window_us = self.config.finalize_wait_us;
            self.decide(ctx, proposal, round, voters, Some(ctx.now_us()));
            return;
        }
        if !self.finalize_pending {
            self.finalize_pending = true;
            self.quorum_at_us = ctx.now_us();
            self.finalize_armed_at_us = ctx.now_us();
            let wait_us = self.config.finalize_wait_us;
            ctx.set_timer(FleTimer::Finalize, wait_us..=wait_us);
        }
    }

    /// ZooKeeper's finalize loop, on a notification that does not beat the proposal: it is
    /// dropped unread (not counted or remembered) and the loop polls with a fresh
    /// `finalizeWait`, so the decision comes once that long passes without one. ZooKeeper's
    /// receiver thread still answers a LOOKING sender of an older round with this server's
    /// vote, whatever `lookForLeader` is doing, so a lagging server is not left unanswered.
    ///
    /// One answer more than ZooKeeper gives: the proposed leader itself, still LOOKING in
    /// this round, gets this server's vote back. Over TCP it would hold that vote already;
    /// on this lossy network, when the vote was lost, the proposed leader never learns of
    /// its quorum while its voters decide, fall silent and later give up on it, round after
    /// round (found by the fuzzer: without this answer 1 seed in 100,000 of the bundled
    /// base elects no leader in time). Only the proposed leader is answered, so two servers
    /// waiting out the loop cannot answer each other back and forth.
    fn finalize_poll_again(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        round: u64,
        state: ServerState,
    ) {
        let older_round = round < self.round && !self.ignores_rounds();
        let proposed_leader_looking = round == self.round && from == self.proposal.leader;
        if state == ServerState::Looking && (older_round || proposed_leader_looking) {
            let notification = self.notification(ctx);
            ctx.send(from, notification);
        }
        self.finalize_armed_at_us = ctx.now_us();
        let wait_us = self.config.finalize_wait_us;
        ctx.set_timer(FleTimer::Finalize, wait_us..=wait_us);
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
        // `finalizeWait` passed without a notification (a better one would have ended the
        // wait, any other restarts it): decide, if the quorum still stands.
        let voters: Vec<NodeId> = self.voters_for(&self.proposal).collect();
        if majority(ctx).is_reached_by(voters.len()) {
            let (proposal, round) = (self.proposal, self.round);
            self.check_decision_basis(ctx, &proposal, round, &voters, Basis::Proposal);
            let waited_us = ctx.now_us().saturating_sub(self.finalize_armed_at_us);
            self.decided_window_us = waited_us.min(self.config.finalize_wait_us);
            self.decide(ctx, proposal, round, voters, Some(self.quorum_at_us));
        }
    }

    pub(super) fn on_notification_timeout(&mut self, ctx: &mut FleCtx<'_>) {
        if !matches!(self.role, Role::Looking) {
            return;
        }
        if self.finalize_pending {
            // In the finalize loop ZooKeeper is not in the poll whose timeout re-sends: wait
            // on, without re-sending or backing off, until the loop ends.
            self.arm_notification_timeout(ctx);
            return;
        }
        self.send_notifications(ctx);
        // The wait doubles at every re-send, heard or not. ZooKeeper doubles only after a
        // poll that timed out empty, but its arrivals also restart the wait and its channels
        // lose nothing; here, a server whose re-sends draw answers would re-send at its
        // initial interval for ever, and where that is shorter than `finalizeWait` its
        // re-sends keep restarting the finalize loop of a server that holds its quorum.
        self.notification_timeout_us = self
            .notification_timeout_us
            .saturating_mul(2)
            .min(self.config.notification_timeout_us_max);
        self.arm_notification_timeout(ctx);
    }

    /// Checks what `finalizeWait` promises (see [`super::names::FINALIZE_CATCHES_BETTER_VOTE`]),
    /// on a LOOKING notification reaching this decided server. Why correct FLE keeps it: the
    /// decision came `finalizeWait` after the quorum formed at `quorum_at_us` (a better vote
    /// meanwhile would have cancelled it). A notification sent before `quorum_at_us` that took
    /// at most the last wait as it lasted in true time (`finalizeWait`, or less where the
    /// server's clock ran fast or jumped ahead) arrived before the decision, in this round or
    /// a lower one, and
    /// a LOOKING server's proposal only ever grows to the best vote it has heard. So one that
    /// arrives now never beats the decided vote. Ghost-only: nothing here changes behaviour.
    fn check_finalize_promise(
        &mut self,
        ctx: &FleCtx<'_>,
        from: NodeId,
        vote: Vote,
        round: u64,
        ghost: NotificationGhost,
    ) {
        let (
            Some(DecidedVote {
                vote: decided,
                round: decided_round,
            }),
            Some(quorum_at_us),
        ) = (self.decided, self.decided_quorum_at_us)
        else {
            return;
        };
        let travel_us = ctx.now_us().saturating_sub(ghost.sent_at_us);
        if self.breaches().finalize_promise.is_none()
            && round == decided_round
            && ghost.sent_at_us < quorum_at_us
            && travel_us <= self.decided_window_us
            && vote.order(&decided) == std::cmp::Ordering::Greater
        {
            let detail = format!(
                "{} decided on {decided:?} in round {round} (quorum at {} us); {from}'s better \
                 vote {vote:?}, sent at {} us, arrived {travel_us} us later, after the decision",
                self.id, quorum_at_us, ghost.sent_at_us
            );
            self.breaches_mut().finalize_promise = Some(detail);
        }
    }

    /// Checks the grounds of a decision about to be taken (see
    /// [`super::names::DECISION_BASIS`]) from the ghost record of the notifications, never
    /// from the switches a planted bug turns: `voters` of a decision on the vote set must all
    /// have voted in `round`; a decision on decided servers' votes must name a leader that
    /// announced LEADING, or this server in its own round. Correct FLE keeps both by
    /// construction (the vote set is cleared at every new round and holds only same-round
    /// votes; `check_leader` guards both decided-vote paths). Ghost-only.
    fn check_decision_basis(
        &mut self,
        ctx: &FleCtx<'_>,
        vote: &Vote,
        round: u64,
        voters: &[NodeId],
        basis: Basis,
    ) {
        if self.breaches().decision_basis.is_some() {
            return;
        }
        if basis != Basis::OutOfElection {
            let stray = voters.iter().find_map(|&voter| {
                match self.recv_set.get(voter).map(|held| held.round) {
                    Some(cast) if cast == round => None,
                    other => Some((voter, other)),
                }
            });
            if let Some((voter, cast)) = stray {
                let detail = format!(
                    "{} decided on {vote:?} in round {round} counting {voter}'s vote of round {}",
                    self.id,
                    cast.map_or("none".to_string(), |cast| cast.to_string())
                );
                self.breaches_mut().decision_basis = Some(detail);
                return;
            }
        }
        if basis != Basis::Proposal {
            let announced_leading = matches!(
                self.out_of_election.get(vote.leader),
                Some(OutOfElectionVote {
                    state: ServerState::Leading,
                    ..
                })
            );
            let me_in_my_round = vote.leader == ctx.id() && round == self.round;
            if !announced_leading && !me_in_my_round {
                let detail = format!(
                    "{} decided on {vote:?} (round {round}, its own round {}) on decided servers' \
                     votes, but {} never announced LEADING to it",
                    self.id, self.round, vote.leader
                );
                self.breaches_mut().decision_basis = Some(detail);
            }
        }
    }

    /// Leaves the election: LEADING if `vote` names this server, FOLLOWING otherwise.
    /// `quorum_at_us` is when the proposal's quorum formed, for a decision on it (ghost).
    fn decide(
        &mut self,
        ctx: &mut FleCtx<'_>,
        vote: Vote,
        round: u64,
        voters: Vec<NodeId>,
        quorum_at_us: Option<u64>,
    ) {
        assert!(
            matches!(self.role, Role::Looking),
            "only LOOKING servers decide"
        );
        ctx.cancel_timer(FleTimer::NotificationTimeout);
        self.cancel_finalize(ctx);
        self.round = round;
        self.decided = Some(DecidedVote { vote, round });
        self.decided_quorum_at_us = quorum_at_us;
        // Each LOOKING voter's history when it sent the vote that counted; none for a vote
        // that counted from a decided server (out of election).
        let voters = voters
            .into_iter()
            .map(|server| {
                let cast = match self.recv_set.get(server) {
                    Some(held) if held.vote == vote => held.sender_history,
                    _ => None,
                };
                Voter { server, cast }
            })
            .collect();
        self.clear_votes();
        if vote.leader == ctx.id() {
            let mine = ctx.durable.history_mark();
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

/// Which rule of `lookForLeader` a decision follows, for the decision-basis check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Basis {
    /// A quorum of this round's votes for this server's own proposal (after `finalizeWait`).
    Proposal,
    /// A quorum of this round's votes, completed by a decided server's notification.
    DecidedInRound,
    /// A quorum of FOLLOWING/LEADING servers' votes, whatever their rounds.
    OutOfElection,
}
