//! Raft, per Figure 2 of "In Search of an Understandable Consensus Algorithm" (Ongaro and
//! Ousterhout, 2014), with PreVote and CheckQuorum from Ongaro's dissertation (§9.6, §6.2).
//!
//! The algorithm in short. Time is divided into terms, each with at most one leader. A
//! follower that hears nothing for a randomised election timeout becomes a candidate: it
//! increments its term, votes for itself, and asks the others for votes; a node grants at most
//! one vote per term, and only to a candidate whose log is at least as up-to-date as its own
//! (§5.4.1). A candidate with a majority becomes leader, appends a no-op, and replicates its
//! log with AppendEntries, which a follower accepts only if its log matches the leader's at
//! the entry before the new ones (§5.3), truncating any conflicting suffix. The leader commits
//! an index once a majority stores it and the entry there is from the leader's own term
//! (§5.4.2, the Figure 8 rule); followers learn the commit index from later AppendEntries.
//! Committed entries are applied in order to a key-value store.
//!
//! Term, vote and log live in `ctx.durable` ([`RaftDurable`]), so they are on stable storage
//! before any reply leaves. Everything in [`RaftNode`] is volatile and rebuilt after a crash.

mod config;
mod election;
mod hosted;
mod log;
mod message;
mod replication;
mod role;

pub use config::{RaftBug, RaftConfig};
pub use hosted::RaftSection;
pub use log::{Log, RaftDurable};
pub use message::{Entries, Entry, Payload, RaftMsg};
pub use role::Role;

use crate::protocol::{
    command_digest, ClientReply, Command, Ctx, KvStore, LocalViolation, NodeId, Observation,
    Protocol,
};

/// Raft's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RaftTimer {
    /// Followers and candidates: start (pre-)election when it fires.
    Election,
    /// Leaders: send AppendEntries to every follower.
    Heartbeat,
    /// Leaders with CheckQuorum: step down unless a majority answered since the last check.
    QuorumCheck,
}

/// The volatile state of one Raft node.
#[derive(Debug)]
pub struct RaftNode {
    config: RaftConfig,
    role: Role,
    /// Highest index known committed (volatile; relearned from the leader after a restart).
    commit_index: u64,
    last_applied: u64,
    store: KvStore,
    leader: Option<NodeId>,
    /// When this node last heard from a leader of its current term.
    leader_contact_us: Option<u64>,
    /// The (term, leader) last reported with `Observation::Following`.
    reported_following: Option<(u64, NodeId)>,
    /// This node's election timeout, drawn from the configured range each time its role or
    /// term changes and reused whenever the timer restarts in between (a heartbeat, a granted
    /// vote), as etcd's raft does: the randomness that splits votes is all there, and a
    /// follower does not draw a random number for every AppendEntries.
    election_timeout_us: u64,
}

type RaftCtx<'a> = Ctx<'a, RaftNode>;

impl Protocol for RaftNode {
    type Config = RaftConfig;
    type Msg = RaftMsg;
    type Timer = RaftTimer;
    type Durable = RaftDurable;
    const NAME: &'static str = "raft";

    fn on_start(config: &RaftConfig, ctx: &mut RaftCtx<'_>) -> Self {
        if ctx.is_restart() {
            forget_unpersisted(config, ctx);
        }
        let mut node = RaftNode {
            config: *config,
            role: Role::Follower,
            commit_index: 0,
            last_applied: 0,
            store: KvStore::default(),
            leader: None,
            leader_contact_us: None,
            reported_following: None,
            election_timeout_us: 0,
        };
        node.redraw_election_timeout(ctx);
        node.reset_election_timer(ctx);
        node
    }

    fn on_message(&mut self, ctx: &mut RaftCtx<'_>, from: NodeId, msg: RaftMsg) {
        match msg {
            RaftMsg::PreVote {
                term,
                last_log_index,
                last_log_term,
            } => self.on_pre_vote(ctx, from, term, last_log_index, last_log_term),
            RaftMsg::PreVoteReply { term, granted } => {
                self.on_pre_vote_reply(ctx, from, term, granted)
            }
            RaftMsg::RequestVote {
                term,
                last_log_index,
                last_log_term,
            } => self.on_request_vote(ctx, from, term, last_log_index, last_log_term),
            RaftMsg::VoteReply { term, granted } => self.on_vote_reply(ctx, from, term, granted),
            RaftMsg::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            } => self.on_append_entries(
                ctx,
                from,
                term,
                prev_log_index,
                prev_log_term,
                &entries,
                leader_commit,
            ),
            RaftMsg::AppendReply {
                term,
                success,
                match_index,
                rejected_index,
                conflict_index,
            } => self.on_append_reply(
                ctx,
                from,
                term,
                success,
                match_index,
                rejected_index,
                conflict_index,
            ),
        }
    }

    fn on_timer(&mut self, ctx: &mut RaftCtx<'_>, timer: RaftTimer) {
        match timer {
            RaftTimer::Election => self.on_election_timeout(ctx),
            RaftTimer::Heartbeat => self.on_heartbeat_timeout(ctx),
            RaftTimer::QuorumCheck => self.on_quorum_check(ctx),
        }
    }

    fn on_client_request(&mut self, ctx: &mut RaftCtx<'_>, command: Command) -> ClientReply {
        if !matches!(self.role, Role::Leader(_)) {
            return ClientReply::NotLeader {
                leader_hint: self.leader,
            };
        }
        self.append_as_leader(ctx, Payload::Put(command));
        self.bcast_append_entries(ctx, false);
        self.maybe_commit(ctx);
        ClientReply::Accepted
    }

    /// Runs after every step: the common case (nothing broken) is two compares, inlined into
    /// the engine's loop; building a violation is out of line.
    #[inline]
    fn check_local(&self, durable: &RaftDurable) -> Result<(), LocalViolation> {
        if self.commit_index <= durable.log.last_index() && self.last_applied <= self.commit_index {
            return Ok(());
        }
        self.local_violation(durable)
    }
}

impl RaftNode {
    /// The first of this node's local invariants that is broken, described.
    #[cold]
    #[inline(never)]
    fn local_violation(&self, durable: &RaftDurable) -> Result<(), LocalViolation> {
        if self.commit_index > durable.log.last_index() {
            return Err(LocalViolation {
                invariant: "raft-commit-within-log",
                detail: format!(
                    "commit index {} is past the end of the log ({})",
                    self.commit_index,
                    durable.log.last_index()
                ),
            });
        }
        if self.last_applied > self.commit_index {
            return Err(LocalViolation {
                invariant: "raft-apply-within-commit",
                detail: format!(
                    "applied index {} is past the commit index {}",
                    self.last_applied, self.commit_index
                ),
            });
        }
        Ok(())
    }

    pub fn role(&self) -> &Role {
        &self.role
    }

    pub fn commit_index(&self) -> u64 {
        self.commit_index
    }

    pub fn store(&self) -> &KvStore {
        &self.store
    }

    /// Restarts the election timer with this node's current timeout.
    fn reset_election_timer(&self, ctx: &mut RaftCtx<'_>) {
        let timeout_us = self.election_timeout_us;
        ctx.set_timer(RaftTimer::Election, timeout_us..=timeout_us);
    }

    /// Draws a new election timeout, uniform over the configured range (Raft §5.2), on the
    /// node's own random stream.
    pub(super) fn redraw_election_timeout(&mut self, ctx: &mut RaftCtx<'_>) {
        let (min_us, max_us) = (
            self.config.election_timeout_us_min,
            self.config.election_timeout_us_max,
        );
        self.election_timeout_us = ctx.rng().range_inclusive(min_us, max_us);
    }

    /// Figure 2, "All servers": a higher term makes any node a follower of that term, with no
    /// vote cast in it yet. Both are written durably before anything else happens.
    fn become_follower(&mut self, ctx: &mut RaftCtx<'_>, term: u64, leader: Option<NodeId>) {
        assert!(term >= ctx.durable.current_term, "terms never go backwards");
        self.redraw_election_timeout(ctx);
        let led_term = ctx.durable.current_term;
        if term > ctx.durable.current_term {
            ctx.durable.current_term = term;
            ctx.durable.voted_for = None;
        }
        if let Role::Leader(_) = self.role {
            // Report the term this node led, not the one it is moving to.
            ctx.observe(Observation::SteppedDown { term: led_term });
            ctx.cancel_timer(RaftTimer::Heartbeat);
            ctx.cancel_timer(RaftTimer::QuorumCheck);
            // A former leader has no election timer running; followers keep theirs.
            self.reset_election_timer(ctx);
        }
        self.role = Role::Follower;
        self.leader = leader;
        if leader.is_none() {
            self.leader_contact_us = None;
        }
    }

    /// Records that `leader` leads the current term, reporting it once per (term, leader).
    fn note_leader(&mut self, ctx: &mut RaftCtx<'_>, leader: NodeId) {
        let term = ctx.durable.current_term;
        self.leader = Some(leader);
        self.leader_contact_us = Some(ctx.now_us());
        if self.reported_following != Some((term, leader)) && leader != ctx.id() {
            self.reported_following = Some((term, leader));
            ctx.observe(Observation::Following { term, leader });
        }
    }

    /// CheckQuorum's lease: a node that heard from a live leader within the minimum election
    /// timeout ignores requests to elect someone else (dissertation §4.2.3, §6.2). As in
    /// etcd, the lease exists only with CheckQuorum: without it a leader cut off from its
    /// followers' replies would never step down, and a lease would let it block every
    /// election for good.
    fn in_leader_lease(&self, ctx: &RaftCtx<'_>) -> bool {
        if !self.config.check_quorum {
            return false;
        }
        if matches!(self.role, Role::Leader(_)) {
            return true;
        }
        self.leader_contact_us.is_some_and(|contact_us| {
            ctx.now_us().saturating_sub(contact_us) < self.config.election_timeout_us_min
        })
    }
}

/// The persistence bugs. A value kept only in volatile memory is gone after a crash: the
/// restarted node reads what stable storage held before the value was ever written, which is
/// the initial value. Resetting the durable copy at restart is observationally the same as
/// never having written it there, and keeps the correct code paths untouched.
fn forget_unpersisted(config: &RaftConfig, ctx: &mut RaftCtx<'_>) {
    if config.has_bug(RaftBug::VoteNotPersisted) {
        ctx.durable.voted_for = None; // bug: votedFor was never written to stable storage
    }
    if config.has_bug(RaftBug::TermNotPersisted) {
        ctx.durable.current_term = 0; // bug: currentTerm was never written to stable storage
    }
}

/// Digest identifying an entry's payload for the checkers (the entry's term travels beside
/// it in the observation).
fn entry_digest(entry: &Entry) -> u64 {
    match &entry.payload {
        Payload::Noop => NOOP_DIGEST,
        Payload::Put(command) => command_digest(command),
    }
}

/// A fixed digest for the no-op entry, apart from any command's (digests of commands are
/// spread over all 64 bits; one landing here is a 2^-64 chance).
const NOOP_DIGEST: u64 = 0x6e6f_6f70_6e6f_6f70;

#[cfg(test)]
mod tests;
