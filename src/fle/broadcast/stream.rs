//! The established leader's broadcast: a client's command is proposed at once, the ack of one
//! batch brings the next, and the commit rule runs on every ack that can move it.

use super::leader::{Leading, Peer, PeerPhase};
use super::Role;
use crate::fle::message::Txn;
use crate::fle::vote::{make_zxid, zxid_epoch};
use crate::fle::{append_txn, majority, FleCtx, FleMsg, FleNode};
use crate::protocol::{Batch, ClientReply, Command, NodeId};

/// Most entries one Propose carries when catching a follower up.
const ENTRIES_PER_PROPOSE_MAX: usize = 64;

/// Where streaming to a synchronised follower stands (see [`PeerPhase::Synced`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Stream {
    pub(super) acked_index: u64,
    pub(super) sent_index: u64,
    pub(super) commit_sent: u64,
}

impl Peer {
    /// Streaming to this follower, `node`, if it is synchronised, clocked by its acks: unless
    /// a batch to it is in flight, sends what it lacks (with the commit index); otherwise, or
    /// when it lacks nothing, a Commit if the commit index moved since it was last told
    /// (Zab's COMMIT, sent at once). A lost batch or ack is made good by the tick.
    ///
    /// One batch in flight per follower is a throttle of this model, not Zab's: a Zab leader
    /// queues every PROPOSAL to every follower at once, over TCP. Here each batch starts
    /// where the follower last acknowledged, so any batch applies whatever the network
    /// reorders, and a window of one keeps such overlapping batches from piling up. A
    /// proposal made while a batch is in flight waits for its ack: under load a commit
    /// takes one to two round trips rather than one.
    fn feed(&mut self, ctx: &mut FleCtx<'_>, node: NodeId, epoch: u64, commit_index: u64) {
        let PeerPhase::Synced(stream) = &mut self.phase else {
            return;
        };
        if stream.acked_index >= stream.sent_index && stream.acked_index < ctx.durable.last_index()
        {
            self.catch_up(ctx, node, epoch, commit_index);
        } else if stream.commit_sent < commit_index {
            stream.commit_sent = commit_index;
            let session = self.session;
            ctx.send(
                node,
                FleMsg::Commit {
                    epoch,
                    commit_index,
                    session,
                },
            );
        }
    }

    /// Sends this follower, `node`, if it is synchronised, what it lacks from where it last
    /// acknowledged (a batch of at most `ENTRIES_PER_PROPOSE_MAX`), or a ping with the commit
    /// index when it lacks nothing.
    fn catch_up(&mut self, ctx: &mut FleCtx<'_>, node: NodeId, epoch: u64, commit_index: u64) {
        let last_index = ctx.durable.last_index();
        let session = self.session;
        let PeerPhase::Synced(Stream {
            acked_index,
            sent_index,
            commit_sent,
        }) = &mut self.phase
        else {
            return;
        };
        *commit_sent = commit_index;
        if *acked_index < last_index {
            let from = *acked_index as usize;
            let to = (from + ENTRIES_PER_PROPOSE_MAX).min(last_index as usize);
            *sent_index = to as u64;
            let entries = Batch::from_slice(&ctx.durable.history[from..to]);
            ctx.send(
                node,
                FleMsg::Propose {
                    epoch,
                    from_index: from as u64,
                    entries,
                    commit_index,
                    session,
                },
            );
        } else {
            *sent_index = *acked_index;
            ctx.send(
                node,
                FleMsg::Ping {
                    epoch,
                    commit_index,
                    last_index,
                    session,
                },
            );
        }
    }
}

impl FleNode {
    pub(super) fn on_ack(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        epoch_session: (u64, u64),
        last: u64,
    ) {
        let now_us = ctx.now_us();
        let commit_index = self.commit_index;
        let established = matches!(
            self.role,
            Role::Leading(Leading {
                established: true,
                ..
            })
        );
        let (epoch, _) = epoch_session;
        let Some(peer) = self.peer_in(from, epoch_session) else {
            return;
        };
        peer.last_heard_us = now_us;
        let PeerPhase::Synced(Stream { acked_index, .. }) = &mut peer.phase else {
            return;
        };
        // Acks of one session may arrive out of order, but the follower's history only grows
        // within a session: progress never goes back.
        let before = *acked_index;
        *acked_index = before.max(last);
        // Only an ack that moves past the commit index can move it.
        if last > before && last > commit_index {
            self.advance_commit(ctx);
            self.feed(ctx, from);
        } else if established {
            // Nothing else moved: feed the follower already in hand.
            peer.feed(ctx, from, epoch, commit_index);
        }
    }

    /// Commits up to the highest index a quorum (this server included) holds.
    pub(super) fn advance_commit(&mut self, ctx: &mut FleCtx<'_>) {
        let majority = majority(ctx);
        let own = ctx.durable.last_index();
        let commit_index = self.commit_index;
        let Some(leading) = self.leading_mut() else {
            return;
        };
        if !leading.established {
            return;
        }
        // What the leader and its synchronised followers hold.
        let synced = leading.peers.values().filter_map(|peer| match peer.phase {
            PeerPhase::Synced(Stream { acked_index, .. }) => Some(acked_index.min(own)),
            _ => None,
        });
        let Some(target) =
            majority.highest_index_past(std::iter::once(own).chain(synced), commit_index)
        else {
            return;
        };
        let commit_before = self.commit_index;
        self.commit_to(ctx, target);
        if self.commit_index > commit_before {
            // Zab's COMMIT goes to every synchronised follower at once.
            self.feed_all(ctx);
        }
    }

    /// [`Peer::feed`] for every synchronised follower, in id order: one pass over the peer
    /// table rather than a look-up per server, as this runs on every proposal and every
    /// commit.
    pub(super) fn feed_all(&mut self, ctx: &mut FleCtx<'_>) {
        let commit_index = self.commit_index;
        let Role::Leading(Leading {
            established: true,
            epoch: Some(epoch),
            peers,
            ..
        }) = &mut self.role
        else {
            return;
        };
        for (node, peer) in peers.iter_mut() {
            peer.feed(ctx, node, *epoch, commit_index);
        }
    }

    /// [`Peer::feed`] for `node`, if this leader is established.
    pub(super) fn feed(&mut self, ctx: &mut FleCtx<'_>, node: NodeId) {
        let commit_index = self.commit_index;
        if let Some((peer, epoch)) = self.peer_of_epoch(node, true) {
            peer.feed(ctx, node, epoch, commit_index);
        }
    }

    /// [`Peer::catch_up`] for `node`, if this server leads an epoch.
    pub(super) fn catch_up(&mut self, ctx: &mut FleCtx<'_>, node: NodeId) {
        let commit_index = self.commit_index;
        if let Some((peer, epoch)) = self.peer_of_epoch(node, false) {
            peer.catch_up(ctx, node, epoch, commit_index);
        }
    }

    /// What this leader keeps of `node`, with the epoch it leads, if it leads one (and is
    /// established, if `established` is asked for).
    fn peer_of_epoch(&mut self, node: NodeId, established: bool) -> Option<(&mut Peer, u64)> {
        let leading = self.leading_mut()?;
        if established && !leading.established {
            return None;
        }
        let epoch = leading.epoch?;
        Some((leading.peers.get_mut(node)?, epoch))
    }

    /// A client's command: an established leader appends it with the next zxid of its epoch
    /// and proposes it to the synchronised followers.
    pub(in crate::fle) fn propose(
        &mut self,
        ctx: &mut FleCtx<'_>,
        command: Command,
    ) -> ClientReply {
        let epoch = match &self.role {
            Role::Leading(Leading {
                established: true,
                epoch: Some(epoch),
                ..
            }) => *epoch,
            Role::Following(following) => {
                return ClientReply::NotLeader {
                    leader_hint: Some(following.leader),
                }
            }
            _ => return ClientReply::NotLeader { leader_hint: None },
        };
        let last_zxid = ctx.durable.last_zxid();
        let counter = if zxid_epoch(last_zxid) == epoch {
            (last_zxid & 0xffff_ffff) + 1
        } else {
            1
        };
        let txn = Txn {
            zxid: make_zxid(epoch, counter),
            command,
        };
        debug_assert!(txn.zxid > last_zxid, "a leader's zxids increase");
        append_txn(ctx, txn);
        self.advance_commit(ctx);
        self.feed_all(ctx);
        ClientReply::Accepted
    }
}
