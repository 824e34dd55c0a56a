//! The Zab-like broadcast after an election: discovery (epochs), synchronisation (history),
//! and broadcast (proposals, acks, commits), with pings both ways.
//!
//! Links may drop, duplicate and reorder messages (ZooKeeper has TCP), so every message is
//! idempotent and the ping tick re-sends whatever a peer still lacks. Between ticks the
//! leader streams as Zab does: a proposal goes out as soon as it is appended, the ack of one
//! batch brings the next, and a commit reaches a follower with nothing in flight at once.
//! One batch in flight per follower stands in for TCP's ordering: a reordering network can
//! then never deliver entries past a gap.
//!
//! - `leader.rs`: the leader's state per follower, and discovery and synchronisation on its
//!   side: registrations, the choice of epoch, epoch acks, syncs, establishment, the tick.
//! - `stream.rs`: the established leader's broadcast: proposals, acks, the commit rule, and
//!   what each synchronised follower is sent.
//! - `follower.rs`: the follower's side of all three phases.

mod follower;
mod leader;
mod stream;

pub use follower::Following;
pub use leader::Leading;

use super::vote::ServerState;
use super::{FleCtx, FleMsg, FleNode, FleTimer, HistoryMark};
use crate::protocol::{NodeId, Observation};
use leader::{EpochAck, PeerPhase};

/// The epoch and the session a Zab message belongs to: the epoch its leader leads, and the
/// follower's registration with that leader. A server takes a message only in the epoch and
/// session it is in (ZooKeeper gets the session from its TCP connection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct EpochSession {
    epoch: u64,
    session: u64,
}

/// What a server does now; role-specific state lives in its variant.
#[derive(Debug)]
pub enum Role {
    Looking,
    Following(Following),
    Leading(Leading),
}

impl Role {
    pub fn server_state(&self) -> ServerState {
        match self {
            Role::Looking => ServerState::Looking,
            Role::Following(_) => ServerState::Following,
            Role::Leading(_) => ServerState::Leading,
        }
    }
}

impl FleNode {
    /// Back to LOOKING in a new round; an established leader reports that it stepped down,
    /// a synchronised follower that it stopped following.
    #[inline(never)]
    pub(super) fn look_again(&mut self, ctx: &mut FleCtx<'_>) {
        match &self.role {
            Role::Leading(leading) => {
                if let (true, Some(epoch)) = (leading.established, leading.epoch) {
                    ctx.observe(Observation::SteppedDown { term: epoch });
                }
                // ZooKeeper's Leader.shutdown closes every learner's connection, and each
                // learner goes LOOKING as its read fails: tell every registered follower.
                let open = leading
                    .peers
                    .iter()
                    .filter(|(_, peer)| peer.phase != PeerPhase::Closed);
                for (node, peer) in open {
                    ctx.send(
                        node,
                        FleMsg::Disconnect {
                            session: peer.session,
                        },
                    );
                }
            }
            Role::Following(following) => {
                if let (true, Some(epoch)) = (following.synced, following.epoch) {
                    ctx.observe(Observation::StoppedFollowing {
                        term: epoch,
                        leader: following.leader,
                    });
                }
            }
            Role::Looking => {}
        }
        self.role = Role::Looking;
        self.start_looking(ctx);
    }

    pub(super) fn arm_ping(&self, ctx: &mut FleCtx<'_>) {
        let interval_us = self.config.ping_interval_us;
        ctx.set_timer(FleTimer::Ping, interval_us..=interval_us);
    }

    /// Every message to its handler: notifications to the election, the rest to Zab. Every
    /// message passes through here, so the handlers that run rarely once a leader stands (the
    /// election's, registration's, stepping down) are `#[inline(never)]`: this function's
    /// frame stays that of the handlers that run on every proposal.
    pub(in crate::fle) fn dispatch_message(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        msg: FleMsg,
    ) {
        match msg {
            FleMsg::Notification {
                vote,
                round,
                state,
                ghost,
            } => self.on_notification(ctx, from, vote, round, state, ghost),
            FleMsg::FollowerInfo {
                accepted_epoch,
                session,
            } => self.on_follower_info(ctx, from, accepted_epoch, session),
            FleMsg::NewEpoch { epoch, session } => self.on_new_epoch(ctx, from, epoch, session),
            FleMsg::Disconnect { session } => {
                if self.following_in(from, session).is_some() {
                    self.look_again(ctx);
                }
            }
            FleMsg::AckEpoch {
                epoch,
                current_epoch,
                last_zxid,
                fresh,
                session,
            } => {
                let ack = EpochAck {
                    tag: EpochSession { epoch, session },
                    history: HistoryMark {
                        current_epoch,
                        last_zxid,
                    },
                    fresh,
                };
                self.on_ack_epoch(ctx, from, ack)
            }
            FleMsg::Sync {
                epoch,
                from_index,
                entries,
                session,
            } => self.on_sync(
                ctx,
                from,
                EpochSession { epoch, session },
                from_index,
                &entries,
            ),
            FleMsg::AckSync {
                epoch,
                last_index,
                session,
            } => self.on_ack_sync(ctx, from, EpochSession { epoch, session }, last_index),
            FleMsg::Propose {
                epoch,
                from_index,
                entries,
                commit_index,
                session,
            } => self.on_propose(
                ctx,
                from,
                EpochSession { epoch, session },
                from_index,
                &entries,
                commit_index,
            ),
            FleMsg::Commit {
                epoch,
                commit_index,
                session,
            } => {
                if self.synced_following_from(ctx, from, EpochSession { epoch, session }) {
                    self.commit_to(ctx, commit_index);
                }
            }
            FleMsg::Ping {
                epoch,
                commit_index,
                last_index,
                session,
            } => self.on_leader_ping(
                ctx,
                from,
                EpochSession { epoch, session },
                commit_index,
                last_index,
            ),
            FleMsg::Ack {
                epoch,
                last_index,
                session,
            } => self.on_ack(ctx, from, EpochSession { epoch, session }, last_index),
            FleMsg::Refused { session } => self.on_refused(ctx, from, session),
        }
    }

    pub(in crate::fle) fn on_ping_timer(&mut self, ctx: &mut FleCtx<'_>) {
        match &self.role {
            Role::Looking => {}
            Role::Leading(_) => self.leader_tick(ctx),
            Role::Following(_) => self.follower_tick(ctx),
        }
    }

    /// ZOOKEEPER-1732's updateElectionVote: once synchronised in `epoch`, the vote this
    /// server reports to LOOKING servers names that epoch, so every member of the ensemble
    /// reports the same (leader, peer epoch) and a late joiner finds a quorum backing it.
    pub(in crate::fle) fn update_election_vote(&mut self, epoch: u64) {
        if let Some(decided) = &mut self.decided {
            decided.vote.peer_epoch = epoch;
        }
    }
}
