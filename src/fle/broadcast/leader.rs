//! The leader's side of discovery and synchronisation: it registers followers, chooses the
//! epoch above a quorum's accepted epochs, synchronises each follower that accepted it, and
//! is established once a quorum is synchronised. Its tick re-sends what each follower lacks
//! and checks that a quorum is still there.

use std::collections::{BTreeMap, BTreeSet};

use super::stream::{Prompt, Stream};
use super::{EpochSession, Role};
use crate::fle::by_server::ByServer;
use crate::fle::{majority, FleCtx, FleMsg, FleNode, HistoryMark, Zxid};
use crate::protocol::{NodeId, Observation};

#[derive(Debug)]
pub struct Leading {
    /// The epoch this server leads, once a quorum's accepted epochs are known.
    pub epoch: Option<u64>,
    /// Accepted epochs reported before the epoch was chosen (this server's own included).
    accepted_epochs: BTreeMap<NodeId, u64>,
    /// Servers that accepted the epoch (this server included), until a quorum did.
    epoch_acks: BTreeSet<NodeId>,
    epoch_acked: bool,
    /// A quorum is synchronised: the leader commits and serves clients.
    pub established: bool,
    /// The followers by server id.
    pub(super) peers: ByServer<Peer>,
    since_us: u64,
}

#[derive(Debug)]
pub(super) struct Peer {
    /// The follower's registration this leader serves; older ones are ignored.
    pub(super) session: u64,
    pub(super) phase: PeerPhase,
    pub(super) last_heard_us: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PeerPhase {
    /// Sent FollowerInfo; waits for the epoch.
    Connected,
    /// Accepted the epoch; `last_zxid` says where its history ends.
    EpochAcked { last_zxid: Zxid },
    /// Sent its Sync; waits for the ack.
    Syncing { last_zxid: Zxid },
    /// Holds the leader's history up to `acked_index`. The leader has sent up to
    /// `sent_index`: a batch is in flight while that is past `acked_index`, and the next
    /// goes when its ack comes back (or at the tick, if it was lost). `commit_sent` is the
    /// commit index the follower was last told.
    Synced(Stream),
    /// The leader closed this session (its LearnerHandler ended); only a new registration
    /// of the follower opens another.
    Closed,
}

impl FleNode {
    pub(in crate::fle) fn become_leading(&mut self, ctx: &mut FleCtx<'_>) {
        let mut accepted_epochs = BTreeMap::new();
        accepted_epochs.insert(ctx.id(), self.accepted_epoch(ctx));
        self.role = Role::Leading(Leading {
            epoch: None,
            accepted_epochs,
            epoch_acks: BTreeSet::new(),
            epoch_acked: false,
            established: false,
            peers: ByServer::default(),
            since_us: ctx.now_us(),
        });
        self.arm_ping(ctx);
        self.maybe_choose_epoch(ctx);
    }

    pub(super) fn leading(&self) -> Option<&Leading> {
        match &self.role {
            Role::Leading(leading) => Some(leading),
            _ => None,
        }
    }

    pub(super) fn leading_mut(&mut self) -> Option<&mut Leading> {
        match &mut self.role {
            Role::Leading(leading) => Some(leading),
            _ => None,
        }
    }

    /// The peer `from` in `session` of the epoch this server leads, if it is one.
    pub(super) fn peer_in(
        &mut self,
        from: NodeId,
        EpochSession { epoch, session }: EpochSession,
    ) -> Option<&mut Peer> {
        let leading = self.leading_mut()?;
        if leading.epoch != Some(epoch) {
            return None;
        }
        leading
            .peers
            .get_mut(from)
            .filter(|peer| peer.session == session)
    }

    #[inline(never)]
    pub(super) fn on_follower_info(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        accepted: u64,
        session: u64,
    ) {
        let now_us = ctx.now_us();
        let Some(leading) = self.leading_mut() else {
            self.refuse_registration(ctx, from, session);
            return;
        };
        if let Some(peer) = leading.peers.get_mut(from) {
            if session < peer.session {
                return; // an older registration's, delayed
            }
            if session == peer.session {
                // A duplicate: the session goes on where it is (the tick re-sends what the
                // follower lacks).
                peer.last_heard_us = now_us;
                return;
            }
        }
        // A new registration starts over, whatever the follower was before.
        leading.peers.insert(
            from,
            Peer {
                session,
                phase: PeerPhase::Connected,
                last_heard_us: now_us,
            },
        );
        match leading.epoch {
            Some(epoch) => ctx.send(from, FleMsg::NewEpoch { epoch, session }),
            None => {
                leading.accepted_epochs.insert(from, accepted);
                self.maybe_choose_epoch(ctx);
            }
        }
    }

    /// The connection to follower `node` is gone: its LearnerHandler ends. Whether a quorum
    /// is still synchronised is the tick's check, as in `Leader.lead`.
    pub(in crate::fle) fn drop_peer(&mut self, node: NodeId) {
        if let Some(peer) = self
            .leading_mut()
            .and_then(|leading| leading.peers.get_mut(node))
        {
            peer.phase = PeerPhase::Closed;
        }
    }

    /// Zab discovery: with a quorum's accepted epochs known, lead the next epoch above them.
    fn maybe_choose_epoch(&mut self, ctx: &mut FleCtx<'_>) {
        let majority = majority(ctx);
        let Some(leading) = self.leading_mut() else {
            return;
        };
        if leading.epoch.is_some() || !majority.is_reached_by(leading.accepted_epochs.len()) {
            return;
        }
        let epoch = leading.accepted_epochs.values().max().copied().unwrap_or(0) + 1;
        leading.epoch = Some(epoch);
        leading.epoch_acks.insert(ctx.id());
        let connected: Vec<(NodeId, u64)> = leading
            .peers
            .iter()
            .filter(|(_, peer)| peer.phase == PeerPhase::Connected)
            .map(|(node, peer)| (node, peer.session))
            .collect();
        self.set_accepted_epoch(ctx, epoch);
        for (node, session) in connected {
            ctx.send(node, FleMsg::NewEpoch { epoch, session });
        }
        self.maybe_finish_epoch(ctx);
    }

    /// Zab's waitForEpochAck: only a fresh accept counts toward the quorum, since a server
    /// that had accepted the epoch already may have promised it to another leader that chose
    /// the same epoch, and every acking follower is synchronised. A fresh ack that arrives
    /// before the quorum did is checked for a follower ahead of its leader; ZooKeeper checks
    /// no other (a re-ack carries current epoch -1, and once the quorum is in the method
    /// returns at once).
    #[inline(never)]
    pub(super) fn on_ack_epoch(&mut self, ctx: &mut FleCtx<'_>, from: NodeId, ack: EpochAck) {
        let now_us = ctx.now_us();
        let own = ctx.durable.history_mark();
        let epoch_acked = self.leading().is_some_and(|leading| leading.epoch_acked);
        let Some(peer) = self.peer_in(from, ack.tag) else {
            return;
        };
        peer.last_heard_us = now_us;
        if peer.phase != PeerPhase::Connected {
            return; // a duplicate
        }
        if ack.fresh && !epoch_acked && ack.history > own {
            // The follower is ahead of its leader. In ZooKeeper the exception ends only that
            // follower's LearnerHandler, whose socket closes under the follower (which goes
            // LOOKING); the leader goes on and may still find its quorum among the others.
            peer.phase = PeerPhase::Closed;
            let session = peer.session;
            ctx.send(from, FleMsg::Disconnect { session });
            return;
        }
        peer.phase = PeerPhase::EpochAcked {
            last_zxid: ack.history.last_zxid,
        };
        let Some(leading) = self.leading_mut() else {
            return;
        };
        if ack.fresh {
            leading.epoch_acks.insert(from);
        }
        if leading.epoch_acked {
            self.sync_peer(ctx, from);
        } else {
            self.maybe_finish_epoch(ctx);
        }
    }

    /// A quorum accepted the epoch: take it as the current epoch and synchronise everyone
    /// who accepted it.
    fn maybe_finish_epoch(&mut self, ctx: &mut FleCtx<'_>) {
        let majority = majority(ctx);
        let Some(leading) = self.leading_mut() else {
            return;
        };
        if leading.epoch_acked || !majority.is_reached_by(leading.epoch_acks.len()) {
            return;
        }
        let epoch = leading.epoch.expect("acks follow the choice of epoch");
        leading.epoch_acked = true;
        let waiting: Vec<NodeId> = leading
            .peers
            .iter()
            .filter(|(_, peer)| matches!(peer.phase, PeerPhase::EpochAcked { .. }))
            .map(|(node, _)| node)
            .collect();
        ctx.durable.current_epoch = epoch;
        for node in waiting {
            self.sync_peer(ctx, node);
        }
        self.maybe_establish(ctx);
    }

    /// Sends `node` the part of the history it lacks (NEWLEADER with DIFF, or SNAP when its
    /// last zxid is not in this history).
    fn sync_peer(&mut self, ctx: &mut FleCtx<'_>, node: NodeId) {
        let from_index_of = |last_zxid: Zxid| match last_zxid {
            Zxid::ZERO => 0,
            zxid => ctx.durable.index_of(zxid).unwrap_or(0),
        };
        let Some(leading) = self.leading_mut() else {
            return;
        };
        let epoch = leading.epoch.expect("sync follows the choice of epoch");
        let Some(peer) = leading.peers.get_mut(node) else {
            return;
        };
        let session = peer.session;
        let last_zxid = match peer.phase {
            PeerPhase::EpochAcked { last_zxid } | PeerPhase::Syncing { last_zxid } => last_zxid,
            _ => return,
        };
        peer.phase = PeerPhase::Syncing { last_zxid };
        let from_index = from_index_of(last_zxid);
        let entries = ctx.durable.history[from_index as usize..].to_vec();
        ctx.send(
            node,
            FleMsg::Sync {
                epoch,
                from_index,
                entries,
                session,
            },
        );
    }

    #[inline(never)]
    pub(super) fn on_ack_sync(
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
        if !matches!(peer.phase, PeerPhase::Syncing { .. }) {
            return;
        }
        peer.phase = PeerPhase::Synced(Stream {
            acked_index: last_index,
            sent_index: last_index,
            commit_sent: 0,
        });
        let Some(leading) = self.leading_mut() else {
            return;
        };
        let established = leading.established;
        self.maybe_establish(ctx);
        if established {
            self.advance_commit(ctx);
            self.feed(ctx, from, Prompt::Change);
        }
    }

    /// A quorum holds the history: the leader of this epoch is established, commits its
    /// history and tells the synchronised followers (Zab's UPTODATE).
    fn maybe_establish(&mut self, ctx: &mut FleCtx<'_>) {
        let majority = majority(ctx);
        let Some(leading) = self.leading_mut() else {
            return;
        };
        let synced = leading
            .peers
            .values()
            .filter(|peer| matches!(peer.phase, PeerPhase::Synced(_)))
            .count();
        // The leader is synchronised with itself.
        if leading.established || !leading.epoch_acked || !majority.is_reached_by(synced + 1) {
            return;
        }
        leading.established = true;
        let epoch = leading.epoch.expect("established leaders have an epoch");
        self.update_election_vote(epoch);
        ctx.observe(Observation::BecameLeader { term: epoch });
        self.advance_commit(ctx);
        // Whoever the commit did not already reach gets what it lacks.
        self.feed_all(ctx);
    }

    /// Re-sends whatever each peer lacks, then checks that a quorum is still there.
    pub(super) fn leader_tick(&mut self, ctx: &mut FleCtx<'_>) {
        let now_us = ctx.now_us();
        let majority = majority(ctx);
        let (init_us, sync_us) = (self.config.init_timeout_us, self.config.sync_timeout_us);
        let Role::Leading(leading) = &self.role else {
            return;
        };
        let (epoch, epoch_acked) = (leading.epoch, leading.epoch_acked);
        let lost = if leading.established {
            let heard = leading
                .peers
                .values()
                .filter(|peer| {
                    matches!(peer.phase, PeerPhase::Synced(_))
                        && now_us.saturating_sub(peer.last_heard_us) <= sync_us
                })
                .count();
            !majority.is_reached_by(heard + 1)
        } else {
            now_us.saturating_sub(leading.since_us) > init_us
        };
        if lost {
            self.look_again(ctx);
            return;
        }
        // Each step changes only its own follower's entry, so each entry is read as the loop
        // reaches it rather than the table copied first.
        for node in ctx.peers() {
            let Some(peer) = self.leading().and_then(|leading| leading.peers.get(node)) else {
                continue;
            };
            let (phase, session) = (peer.phase, peer.session);
            match (phase, epoch) {
                (PeerPhase::Connected, Some(epoch)) => {
                    ctx.send(node, FleMsg::NewEpoch { epoch, session })
                }
                (PeerPhase::EpochAcked { .. } | PeerPhase::Syncing { .. }, _) if epoch_acked => {
                    self.sync_peer(ctx, node)
                }
                (PeerPhase::Synced(_), _) => self.feed(ctx, node, Prompt::Tick),
                _ => {}
            }
        }
        self.arm_ping(ctx);
    }
}

/// An AckEpoch's fields.
pub(super) struct EpochAck {
    pub(super) tag: EpochSession,
    /// How recent the follower's history is.
    pub(super) history: HistoryMark,
    pub(super) fresh: bool,
}
