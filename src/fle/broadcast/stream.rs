//! The established leader's broadcast: a client's command is proposed at once, the ack of one
//! batch brings the next, and the commit rule runs on every ack that can move it.

use super::leader::{Leading, Peer, PeerPhase};
use super::{EpochSession, Role};
use crate::fle::message::Txn;
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

/// What prompts the leader to feed a synchronised follower.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Prompt {
    /// A proposal, a commit or an ack: the follower is sent what the stream allows now.
    Change,
    /// The ping tick: whatever a lost batch or ack left missing is sent again, or a ping.
    Tick,
}

impl Peer {
    /// Feeds this follower, `node`, if it is synchronised. The tick sends it what it lacks
    /// from where it last acknowledged, whether or not a batch is in flight (it may have been
    /// lost), or a ping. A change does the same if the follower lacks entries and no batch to
    /// it is in flight; otherwise it sends a Commit if the commit index moved since the
    /// follower was last told (Zab's COMMIT, sent at once).
    ///
    /// One batch in flight per follower is a throttle of this model, not Zab's: a Zab leader
    /// queues every PROPOSAL to every follower at once, over TCP. Here each batch starts
    /// where the follower last acknowledged, so any batch applies whatever the network
    /// reorders, and a window of one keeps such overlapping batches from piling up. A
    /// proposal made while a batch is in flight waits for its ack: under load a commit
    /// takes one to two round trips rather than one.
    ///
    /// Inlined into its callers, which run it for every follower on every proposal and
    /// commit; sending from the last ack, rarer, stays out of line.
    #[inline]
    fn feed(
        &mut self,
        ctx: &mut FleCtx<'_>,
        node: NodeId,
        epoch: u64,
        commit_index: u64,
        prompt: Prompt,
    ) {
        let session = self.session;
        let PeerPhase::Synced(stream) = &mut self.phase else {
            return;
        };
        let lacks_entries = stream.acked_index < ctx.durable.last_index();
        let batch_in_flight = stream.sent_index > stream.acked_index;
        if prompt == Prompt::Tick || (lacks_entries && !batch_in_flight) {
            stream.send_from_ack(ctx, node, EpochSession { epoch, session }, commit_index);
        } else if stream.commit_sent < commit_index {
            stream.commit_sent = commit_index;
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
}

impl Stream {
    /// Sends the follower, `node`, what it lacks from where it last acknowledged (a batch of
    /// at most `ENTRIES_PER_PROPOSE_MAX`, with the commit index), or a ping with the commit
    /// index when it lacks nothing.
    #[inline(never)]
    fn send_from_ack(
        &mut self,
        ctx: &mut FleCtx<'_>,
        node: NodeId,
        EpochSession { epoch, session }: EpochSession,
        commit_index: u64,
    ) {
        let last_index = ctx.durable.last_index();
        self.commit_sent = commit_index;
        if self.acked_index < last_index {
            let from = self.acked_index as usize;
            let to = (from + ENTRIES_PER_PROPOSE_MAX).min(last_index as usize);
            self.sent_index = to as u64;
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
            self.sent_index = self.acked_index;
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
    /// A synchronised follower's ack: it holds `last_index` entries of the history.
    pub(super) fn on_ack(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        tag: EpochSession,
        last_index: u64,
    ) {
        let now_us = ctx.now_us();
        let Some(peer) = self.peer_in(from, tag) else {
            return;
        };
        peer.last_heard_us = now_us;
        let PeerPhase::Synced(stream) = &mut peer.phase else {
            return;
        };
        // Acks of one session may arrive out of order, but the follower's history only grows
        // within a session: progress never goes back.
        let advanced = last_index > stream.acked_index;
        stream.acked_index = stream.acked_index.max(last_index);
        // Until it is established a leader commits nothing and streams nothing: its tick
        // serves its followers.
        if !self.leading().is_some_and(|leading| leading.established) {
            return;
        }
        // Only an ack that moves past the commit index can move it.
        if advanced && last_index > self.commit_index {
            self.advance_commit(ctx);
        }
        self.feed(ctx, from, Prompt::Change);
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

    /// [`Peer::feed`] for every synchronised follower, in id order, on a change.
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
            peer.feed(ctx, node, *epoch, commit_index, Prompt::Change);
        }
    }

    /// [`Peer::feed`] for `node`, if this server leads an epoch.
    pub(super) fn feed(&mut self, ctx: &mut FleCtx<'_>, node: NodeId, prompt: Prompt) {
        let commit_index = self.commit_index;
        let Some(leading) = self.leading_mut() else {
            return;
        };
        if let (Some(epoch), Some(peer)) = (leading.epoch, leading.peers.get_mut(node)) {
            peer.feed(ctx, node, epoch, commit_index, prompt);
        }
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
        let txn = Txn {
            zxid: last_zxid.next_in(epoch),
            command,
        };
        debug_assert!(txn.zxid > last_zxid, "a leader's zxids increase");
        append_txn(ctx, txn);
        self.advance_commit(ctx);
        self.feed_all(ctx);
        ClientReply::Accepted
    }
}
