//! The follower's side: it registers with the leader it elected, accepts its epoch, takes its
//! history at sync, then appends proposals, commits, and acks.

use super::{EpochSession, Role};
use crate::fle::message::Txn;
use crate::fle::{append_txn, FleCtx, FleMsg, FleNode};
use crate::protocol::{NodeId, Observation};

#[derive(Debug)]
pub struct Following {
    pub leader: NodeId,
    /// This registration's number; the leader echoes it in every message of the session.
    pub session: u64,
    /// The epoch the leader announced and this server accepted.
    pub epoch: Option<u64>,
    /// Accepting `epoch` raised the accepted epoch: the ack counts toward the leader's quorum.
    fresh: bool,
    /// Synchronised with the leader's history in `epoch`.
    pub synced: bool,
    last_heard_us: u64,
    /// Over connection-oriented links: when the leader first refused this registration.
    pub(in crate::fle) first_refused_us: Option<u64>,
}

impl FleNode {
    pub(in crate::fle) fn become_following(&mut self, ctx: &mut FleCtx<'_>, leader: NodeId) {
        ctx.durable.registrations += 1;
        let session = ctx.durable.registrations;
        self.role = Role::Following(Following {
            leader,
            session,
            epoch: None,
            fresh: false,
            synced: false,
            last_heard_us: ctx.now_us(),
            first_refused_us: None,
        });
        self.send_follower_info(ctx, leader, session);
        self.arm_ping(ctx);
    }

    /// Zab's registration with `leader`: the epoch this server accepted, in `session`.
    pub(super) fn send_follower_info(&self, ctx: &mut FleCtx<'_>, leader: NodeId, session: u64) {
        let accepted_epoch = self.accepted_epoch(ctx);
        ctx.send(
            leader,
            FleMsg::FollowerInfo {
                accepted_epoch,
                session,
            },
        );
    }

    /// The follower state, if this server follows `from` in `session`. Hearing is noted by
    /// the caller once the message passed every check.
    pub(in crate::fle) fn following_in(
        &mut self,
        from: NodeId,
        session: u64,
    ) -> Option<&mut Following> {
        match &mut self.role {
            Role::Following(following)
                if following.leader == from && following.session == session =>
            {
                Some(following)
            }
            _ => None,
        }
    }

    /// The follower state, if this server follows `from` in `epoch` and `session`; notes
    /// that it heard from the leader.
    fn following_from(
        &mut self,
        ctx: &FleCtx<'_>,
        from: NodeId,
        EpochSession { epoch, session }: EpochSession,
    ) -> Option<&mut Following> {
        let following = self.following_in(from, session)?;
        if following.epoch != Some(epoch) {
            return None;
        }
        following.last_heard_us = ctx.now_us();
        Some(following)
    }

    /// Whether `from` is this server's leader in `tag`'s epoch and session and it has
    /// synchronised with it: proposals and pings count only then (hearing them still resets
    /// the failure detector, as [`Self::following_from`] does).
    pub(super) fn synced_following_from(
        &mut self,
        ctx: &FleCtx<'_>,
        from: NodeId,
        tag: EpochSession,
    ) -> bool {
        self.following_from(ctx, from, tag)
            .is_some_and(|following| following.synced)
    }

    /// Zab's registerWithLeader: a later epoch is accepted and acked as fresh, the epoch
    /// already accepted is acked but not fresh, an earlier one cannot be led.
    #[inline(never)]
    pub(super) fn on_new_epoch(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        epoch: u64,
        session: u64,
    ) {
        let now_us = ctx.now_us();
        let accepted = self.accepted_epoch(ctx);
        let Some(following) = self.following_in(from, session) else {
            return;
        };
        match following.epoch {
            Some(known) if known != epoch => return, // not this session's leader
            Some(_) => {
                // A duplicate: the same answer again.
                following.last_heard_us = now_us;
                let fresh = following.fresh;
                self.send_ack_epoch(ctx, from, EpochSession { epoch, session }, fresh);
                return;
            }
            None => following.last_heard_us = now_us,
        }
        if epoch < accepted {
            // Promised a later epoch already: this leader cannot lead it.
            self.look_again(ctx);
            return;
        }
        let fresh = epoch > accepted;
        if fresh {
            self.set_accepted_epoch(ctx, epoch);
        }
        if let Role::Following(following) = &mut self.role {
            following.epoch = Some(epoch);
            following.fresh = fresh;
        }
        self.send_ack_epoch(ctx, from, EpochSession { epoch, session }, fresh);
    }

    fn send_ack_epoch(
        &self,
        ctx: &mut FleCtx<'_>,
        leader: NodeId,
        EpochSession { epoch, session }: EpochSession,
        fresh: bool,
    ) {
        let msg = FleMsg::AckEpoch {
            epoch,
            current_epoch: ctx.durable.current_epoch,
            last_zxid: ctx.durable.last_zxid(),
            fresh,
            session,
        };
        ctx.send(leader, msg);
    }

    #[inline(never)]
    pub(super) fn on_sync(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        tag: EpochSession,
        from_index: u64,
        entries: &[Txn],
    ) {
        let EpochSession { epoch, session } = tag;
        let Some(following) = self.following_from(ctx, from, tag) else {
            return;
        };
        if !following.synced {
            following.synced = true;
            replace_history_from(ctx, from_index, entries);
            ctx.durable.current_epoch = epoch;
            self.update_election_vote(epoch);
            ctx.observe(Observation::Following {
                term: epoch,
                leader: from,
            });
        }
        let last_index = ctx.durable.last_index();
        ctx.send(
            from,
            FleMsg::AckSync {
                epoch,
                last_index,
                session,
            },
        );
    }

    pub(super) fn on_propose(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        tag: EpochSession,
        from_index: u64,
        entries: &[Txn],
        commit_index: u64,
    ) {
        if !self.synced_following_from(ctx, from, tag) {
            return;
        }
        let last_index = ctx.durable.last_index();
        if from_index <= last_index {
            // A synchronised follower's history is a prefix of its leader's: keep what it
            // holds, append the rest.
            let skip = (last_index - from_index) as usize;
            for txn in entries.iter().skip(skip) {
                append_txn(ctx, *txn);
            }
        }
        send_ack(ctx, from, tag);
        self.commit_to(ctx, commit_index);
    }

    pub(super) fn on_leader_ping(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        tag: EpochSession,
        commit_index: u64,
        last_index: u64,
    ) {
        if !self.synced_following_from(ctx, from, tag) {
            return;
        }
        // The leader re-sends what is missing when it sees the ack; the commit index alone
        // needs no answer.
        let held = ctx.durable.last_index();
        if held < last_index {
            send_ack(ctx, from, tag);
        }
        self.commit_to(ctx, commit_index);
    }

    /// Gives up on a silent leader; otherwise re-sends the step it waits on, or pings.
    pub(super) fn follower_tick(&mut self, ctx: &mut FleCtx<'_>) {
        let now_us = ctx.now_us();
        let Role::Following(following) = &self.role else {
            return;
        };
        let timeout_us = if following.synced {
            self.config.sync_timeout_us
        } else {
            self.config.init_timeout_us
        };
        if now_us.saturating_sub(following.last_heard_us) > timeout_us {
            self.look_again(ctx);
            return;
        }
        let (leader, session, fresh) = (following.leader, following.session, following.fresh);
        match (following.epoch, following.synced) {
            (None, _) => {
                self.send_follower_info(ctx, leader, session);
            }
            (Some(epoch), false) => {
                self.send_ack_epoch(ctx, leader, EpochSession { epoch, session }, fresh);
            }
            (Some(epoch), true) => {
                send_ack(ctx, leader, EpochSession { epoch, session });
            }
        }
        self.arm_ping(ctx);
    }
}

/// A synchronised follower's Ack to `leader`: how much history it holds now.
fn send_ack(ctx: &mut FleCtx<'_>, leader: NodeId, EpochSession { epoch, session }: EpochSession) {
    let last_index = ctx.durable.last_index();
    ctx.send(
        leader,
        FleMsg::Ack {
            epoch,
            last_index,
            session,
        },
    );
}

/// Makes the history `entries` from `from_index + 1` on, keeping the first `from_index`
/// entries: entries it already holds stay, the first difference and all after it are
/// replaced, and anything past the end of `entries` goes.
fn replace_history_from(ctx: &mut FleCtx<'_>, from_index: u64, entries: &[Txn]) {
    let mut index = from_index;
    for txn in entries {
        index += 1;
        let position = index as usize - 1;
        if ctx.durable.history.get(position) == Some(txn) {
            continue;
        }
        if ctx.durable.history.len() > position {
            ctx.durable.history.truncate(position);
            ctx.observe(Observation::LogTruncated { from_index: index });
        }
        append_txn(ctx, *txn);
    }
    if ctx.durable.last_index() > index {
        ctx.durable.history.truncate(index as usize);
        ctx.observe(Observation::LogTruncated {
            from_index: index + 1,
        });
    }
}
