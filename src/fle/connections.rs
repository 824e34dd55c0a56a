//! What FLE and its broadcast do over connection-oriented links, as ZooKeeper's servers do
//! over TCP. Only stream scenarios reach this code: over datagrams there are no resets, and
//! a refusal is sent only where `ctx.links_are_streams()`.
//!
//! - A follower whose connection to its leader resets goes LOOKING at once
//!   (`Follower.followLeader` ends on the IOException).
//! - A leader whose connection to a follower resets drops that follower (its `LearnerHandler`
//!   ends); if it was established and no longer has a quorum of synchronised followers, its
//!   next tick steps down (the check in `Leader.lead`'s loop).
//! - A server that does not lead refuses a registration, as nothing listens on its quorum
//!   port; the learner retries and goes LOOKING when its retries are spent
//!   (`Learner.connectToLeader`).
//! - The election channel re-sends this server's notification to a peer whose connection
//!   reset as soon as that peer is heard from again, as `QuorumCnxManager`'s `SendWorker`
//!   sends the last message on a new connection.

use super::broadcast::Role;
use super::{FleCtx, FleMsg, FleNode};
use crate::protocol::NodeId;

/// How long a learner goes on retrying a registration that is refused:
/// `Learner.connectToLeader` makes five tries with `leaderConnectDelayDuringRetryMs` (100 ms)
/// between them, so it gives up about four delays after the first refusal.
pub const LEADER_CONNECT_RETRIES_US: u64 = 4 * 100_000;

impl FleNode {
    /// Over connection-oriented links, the connection to `peer` was reset.
    pub(super) fn connection_reset(&mut self, ctx: &mut FleCtx<'_>, peer: NodeId) {
        if !self.reconnect_pending.contains(&peer) {
            self.reconnect_pending.push(peer);
        }
        match &self.role {
            Role::Following(following) if following.leader == peer => self.look_again(ctx),
            Role::Leading(_) => self.drop_peer(peer),
            _ => {}
        }
    }

    /// The first message from `peer` since its connection reset opens a new connection:
    /// this server's notification goes out on it first.
    #[inline]
    pub(super) fn note_heard(&mut self, ctx: &mut FleCtx<'_>, peer: NodeId) {
        if self.reconnect_pending.is_empty() {
            return;
        }
        self.resend_on_reconnect(ctx, peer);
    }

    #[cold]
    #[inline(never)]
    fn resend_on_reconnect(&mut self, ctx: &mut FleCtx<'_>, peer: NodeId) {
        let Some(position) = self.reconnect_pending.iter().position(|&p| p == peer) else {
            return;
        };
        self.reconnect_pending.swap_remove(position);
        let notification = self.notification(ctx);
        ctx.send(peer, notification);
    }

    /// A non-leader's answer to a registration, over connection-oriented links only.
    pub(super) fn refuse_registration(&self, ctx: &mut FleCtx<'_>, from: NodeId, session: u64) {
        if ctx.links_are_streams() {
            ctx.send(from, FleMsg::Refused { session });
        }
    }

    /// `from` refused this server's registration in `session`: retry at the next tick, or go
    /// LOOKING once the retries are spent.
    pub(super) fn on_refused(&mut self, ctx: &mut FleCtx<'_>, from: NodeId, session: u64) {
        let now_us = ctx.now_us();
        let Some(following) = self.following_in(from, session) else {
            return;
        };
        if following.epoch.is_some() {
            return; // the leader took the registration since
        }
        let first_us = *following.first_refused_us.get_or_insert(now_us);
        if now_us.saturating_sub(first_us) >= LEADER_CONNECT_RETRIES_US {
            self.look_again(ctx);
        }
    }
}
