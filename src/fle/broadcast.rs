//! The Zab-like broadcast after an election: discovery (epochs), synchronisation (history),
//! and broadcast (proposals, acks, commits), with pings both ways.
//!
//! Links may drop, duplicate and reorder messages (ZooKeeper has TCP), so every message is
//! idempotent and the ping tick re-sends whatever a peer still lacks. Between ticks the
//! leader streams as Zab does: a proposal goes out as soon as it is appended, the ack of one
//! batch brings the next, and a commit reaches a follower with nothing in flight at once.
//! One batch in flight per follower stands in for TCP's ordering: a reordering network can
//! then never deliver entries past a gap.

use std::collections::{BTreeMap, BTreeSet};

use super::by_server::{server_at, ByServer};
use super::message::Txn;
use super::vote::{make_zxid, zxid_epoch, ServerState};
use super::{append_txn, majority, FleCtx, FleMsg, FleNode, FleTimer};
use crate::protocol::{Batch, ClientReply, Command, NodeId, Observation};

/// Most entries one Propose carries when catching a follower up.
const ENTRIES_PER_PROPOSE_MAX: usize = 64;

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
}

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
    peers: ByServer<Peer>,
    since_us: u64,
}

#[derive(Debug)]
struct Peer {
    /// The follower's registration this leader serves; older ones are ignored.
    session: u64,
    phase: PeerPhase,
    last_heard_us: u64,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PeerPhase {
    /// Sent FollowerInfo; waits for the epoch.
    Connected,
    /// Accepted the epoch; `last_zxid` says where its history ends.
    EpochAcked { last_zxid: u64 },
    /// Sent its Sync; waits for the ack.
    Syncing { last_zxid: u64 },
    /// Holds the leader's history up to `acked_index`. The leader has sent up to
    /// `sent_index`: a batch is in flight while that is past `acked_index`, and the next
    /// goes when its ack comes back (or at the tick, if it was lost). `commit_sent` is the
    /// commit index the follower was last told.
    Synced(Stream),
}

/// Where streaming to a synchronised follower stands (see [`PeerPhase::Synced`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stream {
    acked_index: u64,
    sent_index: u64,
    commit_sent: u64,
}

impl FleNode {
    pub(super) fn become_leading(&mut self, ctx: &mut FleCtx<'_>) {
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

    pub(super) fn become_following(&mut self, ctx: &mut FleCtx<'_>, leader: NodeId) {
        ctx.durable.registrations += 1;
        let session = ctx.durable.registrations;
        self.role = Role::Following(Following {
            leader,
            session,
            epoch: None,
            fresh: false,
            synced: false,
            last_heard_us: ctx.now_us(),
        });
        self.send_follower_info(ctx, leader, session);
        self.arm_ping(ctx);
    }

    /// Zab's registration with `leader`: the epoch this server accepted, in `session`.
    fn send_follower_info(&self, ctx: &mut FleCtx<'_>, leader: NodeId, session: u64) {
        let accepted_epoch = self.accepted_epoch(ctx);
        ctx.send(
            leader,
            FleMsg::FollowerInfo {
                accepted_epoch,
                session,
            },
        );
    }

    /// Back to LOOKING in a new round; an established leader reports that it stepped down,
    /// a synchronised follower that it stopped following.
    #[inline(never)]
    fn look_again(&mut self, ctx: &mut FleCtx<'_>) {
        match &self.role {
            Role::Leading(leading) => {
                if let (true, Some(epoch)) = (leading.established, leading.epoch) {
                    ctx.observe(Observation::SteppedDown { term: epoch });
                }
                // ZooKeeper's Leader.shutdown closes every learner's connection, and each
                // learner goes LOOKING as its read fails: tell every registered follower.
                for (node, peer) in leading.peers.iter() {
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

    fn arm_ping(&self, ctx: &mut FleCtx<'_>) {
        let interval_us = self.config.ping_interval_us;
        ctx.set_timer(FleTimer::Ping, interval_us..=interval_us);
    }

    // ----- leader side -----

    fn leading(&self) -> Option<&Leading> {
        match &self.role {
            Role::Leading(leading) => Some(leading),
            _ => None,
        }
    }

    fn leading_mut(&mut self) -> Option<&mut Leading> {
        match &mut self.role {
            Role::Leading(leading) => Some(leading),
            _ => None,
        }
    }

    /// Every message to its handler: notifications to the election, the rest to Zab. One
    /// match on the message as it arrived, so no variant is moved twice on its way. Every
    /// message of a run goes through here, so the handlers that run rarely once a leader
    /// stands (the election's, registration's, stepping down) are `#[inline(never)]`: inlined,
    /// they gave this function, and so every message, the stack frame of the largest of them.
    pub(super) fn dispatch_message(&mut self, ctx: &mut FleCtx<'_>, from: NodeId, msg: FleMsg) {
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
                    epoch,
                    current_epoch,
                    last_zxid,
                    fresh,
                    session,
                };
                self.on_ack_epoch(ctx, from, ack)
            }
            FleMsg::Sync {
                epoch,
                from_index,
                entries,
                session,
            } => self.on_sync(ctx, from, (epoch, session), from_index, &entries),
            FleMsg::AckSync {
                epoch,
                last_index,
                session,
            } => self.on_ack_sync(ctx, from, (epoch, session), last_index),
            FleMsg::Propose {
                epoch,
                from_index,
                entries,
                commit_index,
                session,
            } => self.on_propose(
                ctx,
                from,
                (epoch, session),
                from_index,
                &entries,
                commit_index,
            ),
            FleMsg::Commit {
                epoch,
                commit_index,
                session,
            } => {
                if self.synced_following_from(ctx, from, (epoch, session)) {
                    self.commit_to(ctx, commit_index);
                }
            }
            FleMsg::Ping {
                epoch,
                commit_index,
                last_index,
                session,
            } => self.on_leader_ping(ctx, from, (epoch, session), commit_index, last_index),
            FleMsg::Ack {
                epoch,
                last_index,
                session,
            } => self.on_ack(ctx, from, (epoch, session), last_index),
        }
    }

    /// The peer `from` in `session` of the epoch this server leads, if it is one.
    fn peer_in(&mut self, from: NodeId, (epoch, session): (u64, u64)) -> Option<&mut Peer> {
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
    fn on_follower_info(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        accepted: u64,
        session: u64,
    ) {
        let now_us = ctx.now_us();
        let Some(leading) = self.leading_mut() else {
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
    /// the same epoch; every ack is checked for a follower ahead of its leader, and every
    /// acking follower is synchronised.
    #[inline(never)]
    fn on_ack_epoch(&mut self, ctx: &mut FleCtx<'_>, from: NodeId, ack: EpochAck) {
        let now_us = ctx.now_us();
        let own = (ctx.durable.current_epoch, ctx.durable.last_zxid());
        let Some(peer) = self.peer_in(from, (ack.epoch, ack.session)) else {
            return;
        };
        peer.last_heard_us = now_us;
        if peer.phase != PeerPhase::Connected {
            return; // a duplicate
        }
        if (ack.current_epoch, ack.last_zxid) > own {
            // The follower is ahead of its leader: this election must not stand.
            self.look_again(ctx);
            return;
        }
        peer.phase = PeerPhase::EpochAcked {
            last_zxid: ack.last_zxid,
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
        let from_index_of = |last_zxid: u64| match last_zxid {
            0 => 0,
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
    fn on_ack_sync(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        epoch_session: (u64, u64),
        last_index: u64,
    ) {
        let now_us = ctx.now_us();
        let Some(peer) = self.peer_in(from, epoch_session) else {
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
            self.feed(ctx, from);
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

    fn on_ack(&mut self, ctx: &mut FleCtx<'_>, from: NodeId, epoch_session: (u64, u64), last: u64) {
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
    fn advance_commit(&mut self, ctx: &mut FleCtx<'_>) {
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
    fn feed_all(&mut self, ctx: &mut FleCtx<'_>) {
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
    fn feed(&mut self, ctx: &mut FleCtx<'_>, node: NodeId) {
        let commit_index = self.commit_index;
        if let Some((peer, epoch)) = self.peer_of_epoch(node, true) {
            peer.feed(ctx, node, epoch, commit_index);
        }
    }

    /// [`Peer::catch_up`] for `node`, if this server leads an epoch.
    fn catch_up(&mut self, ctx: &mut FleCtx<'_>, node: NodeId) {
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
    pub(super) fn propose(&mut self, ctx: &mut FleCtx<'_>, command: Command) -> ClientReply {
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

    pub(super) fn on_ping_timer(&mut self, ctx: &mut FleCtx<'_>) {
        match &self.role {
            Role::Looking => {}
            Role::Leading(_) => self.leader_tick(ctx),
            Role::Following(_) => self.follower_tick(ctx),
        }
    }

    /// Re-sends whatever each peer lacks, then checks that a quorum is still there.
    fn leader_tick(&mut self, ctx: &mut FleCtx<'_>) {
        let now_us = ctx.now_us();
        let majority = majority(ctx);
        let (init_us, sync_us) = (self.config.init_timeout_us, self.config.sync_timeout_us);
        let Role::Leading(leading) = &self.role else {
            return;
        };
        let (epoch, epoch_acked) = (leading.epoch, leading.epoch_acked);
        let slot_count = leading.peers.id_bound();
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
        // Each step below changes its own follower's entry only, so the table is read as the
        // loop goes rather than copied first (a vector per tick).
        for index in 0..slot_count {
            let node = server_at(index);
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
                (PeerPhase::Synced(_), _) => self.catch_up(ctx, node),
                _ => {}
            }
        }
        self.arm_ping(ctx);
    }

    // ----- follower side -----

    /// The follower state, if this server follows `from` in `session`. Hearing is noted by
    /// the caller once the message passed every check.
    fn following_in(&mut self, from: NodeId, session: u64) -> Option<&mut Following> {
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
        (epoch, session): (u64, u64),
    ) -> Option<&mut Following> {
        let following = self.following_in(from, session)?;
        if following.epoch != Some(epoch) {
            return None;
        }
        following.last_heard_us = ctx.now_us();
        Some(following)
    }

    /// Whether `from` is this server's leader in `(epoch, session)` and it has synchronised
    /// with it: proposals and pings count only then (hearing them still resets the failure
    /// detector, as [`Self::following_from`] does).
    fn synced_following_from(
        &mut self,
        ctx: &FleCtx<'_>,
        from: NodeId,
        (epoch, session): (u64, u64),
    ) -> bool {
        self.following_from(ctx, from, (epoch, session))
            .is_some_and(|following| following.synced)
    }

    /// Zab's registerWithLeader: a later epoch is accepted and acked as fresh, the epoch
    /// already accepted is acked but not fresh, an earlier one cannot be led.
    #[inline(never)]
    fn on_new_epoch(&mut self, ctx: &mut FleCtx<'_>, from: NodeId, epoch: u64, session: u64) {
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
                self.send_ack_epoch(ctx, from, (epoch, session), fresh);
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
        self.send_ack_epoch(ctx, from, (epoch, session), fresh);
    }

    fn send_ack_epoch(
        &self,
        ctx: &mut FleCtx<'_>,
        leader: NodeId,
        (epoch, session): (u64, u64),
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
    fn on_sync(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        (epoch, session): (u64, u64),
        from_index: u64,
        entries: &[Txn],
    ) {
        let Some(following) = self.following_from(ctx, from, (epoch, session)) else {
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

    /// ZOOKEEPER-1732's updateElectionVote: once synchronised in `epoch`, the vote this
    /// server reports to LOOKING servers names that epoch, so every member of the ensemble
    /// reports the same (leader, peer epoch) and a late joiner finds a quorum backing it.
    pub(super) fn update_election_vote(&mut self, epoch: u64) {
        if let Some((vote, _)) = &mut self.decided {
            vote.peer_epoch = epoch;
        }
    }

    fn on_propose(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        (epoch, session): (u64, u64),
        from_index: u64,
        entries: &[Txn],
        commit_index: u64,
    ) {
        if !self.synced_following_from(ctx, from, (epoch, session)) {
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
        send_ack(ctx, from, (epoch, session));
        self.commit_to(ctx, commit_index);
    }

    fn on_leader_ping(
        &mut self,
        ctx: &mut FleCtx<'_>,
        from: NodeId,
        (epoch, session): (u64, u64),
        commit_index: u64,
        last_index: u64,
    ) {
        if !self.synced_following_from(ctx, from, (epoch, session)) {
            return;
        }
        // The leader re-sends what is missing when it sees the ack; the commit index alone
        // needs no answer.
        let held = ctx.durable.last_index();
        if held < last_index {
            send_ack(ctx, from, (epoch, session));
        }
        self.commit_to(ctx, commit_index);
    }

    /// Gives up on a silent leader; otherwise re-sends the step it waits on, or pings.
    fn follower_tick(&mut self, ctx: &mut FleCtx<'_>) {
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
                self.send_ack_epoch(ctx, leader, (epoch, session), fresh);
            }
            (Some(epoch), true) => {
                send_ack(ctx, leader, (epoch, session));
            }
        }
        self.arm_ping(ctx);
    }
}

/// A synchronised follower's Ack to `leader`: how much history it holds now.
fn send_ack(ctx: &mut FleCtx<'_>, leader: NodeId, (epoch, session): (u64, u64)) {
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

/// An AckEpoch's fields.
struct EpochAck {
    epoch: u64,
    current_epoch: u64,
    last_zxid: u64,
    fresh: bool,
    session: u64,
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
