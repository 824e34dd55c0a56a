//! ZooKeeper-style FastLeaderElection (FLE) with a small Zab-like atomic broadcast.
//!
//! **Election.** A server is LOOKING, FOLLOWING or LEADING. A LOOKING server proposes a leader
//! and broadcasts its vote tagged with its election round (the logical clock); votes are
//! ordered by (peer epoch, last zxid, server id), so the server with the newest history wins
//! and ids break ties. The receive rules are those of ZooKeeper's `lookForLeader`: a higher
//! round resets the vote set and re-proposes the better of that vote and one's own; a lower
//! round is dropped (a LOOKING sender of it is answered with the current proposal); a better
//! vote is adopted and re-broadcast; once a quorum backs the proposal the server waits
//! `finalizeWait` for a better vote before deciding. Votes of FOLLOWING/LEADING servers are
//! kept apart ("out of election") so a late joiner finds the established leader, subject to
//! the checkLeader rule. See `election.rs`.
//!
//! **Broadcast.** After an election, followers tell the leader their accepted epoch; the
//! leader picks the next epoch above a quorum's, followers promise it, the leader
//! synchronises each follower to its own history, and once a quorum is synchronised the
//! leader is established, commits its history and serves clients: proposals carry zxids
//! `(epoch << 32) | counter` and commit on a quorum of acks. Pings both ways detect a lost
//! leader or a lost quorum, which sends a server back to LOOKING in a new round. See
//! `broadcast/`.
//!
//! Epochs and history live in `ctx.durable` ([`FleDurable`]); everything else is volatile.

mod broadcast;
mod by_server;
mod config;
mod connections;
mod durable;
mod election;
mod hosted;
mod message;
mod vote;
mod zxid;

pub use broadcast::Role;
use by_server::ByServer;
pub use config::{FleBug, FleConfig};
pub use connections::LEADER_CONNECT_RETRIES_US;
pub use durable::{FleDurable, HistoryMark};
pub use hosted::{FleSection, INITIAL_HISTORY_MAX};
pub use message::{FleMsg, NotificationGhost, Txn};
use vote::{DecidedVote, HeldVote, OutOfElectionVote};
pub use vote::{ServerState, Vote};
pub use zxid::Zxid;

use crate::hash::stable_hash;
use crate::protocol::quorum::Majority;
use crate::protocol::{
    ClientReply, ClusterView, Command, Ctx, KvStore, LocalViolation, NodeId, Observation, Protocol,
};

/// Names of the FLE-specific invariants, as they appear in reports.
pub mod names {
    /// When a server decides LEADING, its (current epoch, last zxid) is at least that of every
    /// member of the quorum whose votes elected it: as each member held it when it sent the
    /// vote that counted, and as it holds it now if that vote still stands.
    pub const LEADER_QUORUM_DOMINANCE: &str = "leader-quorum-dominance";
    /// What `finalizeWait` promises: once a server decides on a quorum for its proposal, no
    /// notification of that round from a LOOKING server that was sent before the quorum formed
    /// and took at most `finalizeWait` to arrive carries a better vote. (Such a notification
    /// arrives inside the wait, and a better vote in the wait cancels the decision.) The wait
    /// is measured in true time: a server whose clock runs fast or jumps ahead waits less,
    /// and promises only that much.
    pub const FINALIZE_CATCHES_BETTER_VOTE: &str = "finalize-catches-better-vote";
    /// The grounds a server decides on are those `lookForLeader` requires, checked from the
    /// notifications as they were delivered (their own round and state, kept as ghosts): a
    /// decision on a quorum of votes counts only votes cast in the decision's election round
    /// (`termPredicate` over one round's vote set), and a decision reached on the votes of
    /// FOLLOWING/LEADING servers names a leader that announced LEADING, or this server in its
    /// own round (`checkLeader`). Without them a quorum can be assembled from votes of
    /// different elections, or a late joiner can lead or follow a server that leads nothing.
    pub const DECISION_BASIS: &str = "fle-decision-basis";
    /// The zxids a server commits strictly increase.
    pub const COMMITTED_ZXID_INCREASING: &str = "committed-zxid-increasing";
    /// A server's commit index never passes the end of its history.
    pub const COMMIT_WITHIN_HISTORY: &str = "fle-commit-within-history";
}

/// FLE's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FleTimer {
    /// LOOKING: nothing heard for the notification timeout; re-send the vote.
    NotificationTimeout,
    /// LOOKING: `finalizeWait` after a quorum backed the proposal; decide unless beaten.
    Finalize,
    /// FOLLOWING/LEADING: ping the other side and check that it is still there.
    Ping,
}

/// The volatile state of one FLE server.
#[derive(Debug)]
pub struct FleNode {
    config: FleConfig,
    id: NodeId,
    role: Role,
    /// The election round (ZooKeeper's logical clock). Volatile, as in ZooKeeper.
    round: u64,
    proposal: Vote,
    /// LOOKING: the votes of the current round, by sender (this server's own included),
    /// with their ghosts.
    recv_set: ByServer<HeldVote>,
    /// LOOKING: votes of FOLLOWING/LEADING servers, with their round and state.
    out_of_election: ByServer<OutOfElectionVote>,
    notification_timeout_us: u64,
    finalize_pending: bool,
    /// Ghost: when the pending finalize wait started (the proposal's quorum formed).
    quorum_at_us: u64,
    /// Ghost: when the quorum behind the decided vote formed, if the decision came from the
    /// proposal's own quorum (not from out-of-election votes).
    decided_quorum_at_us: Option<u64>,
    /// Ghost: when the finalize wait was last (re)started, in true time.
    finalize_armed_at_us: u64,
    /// Ghost: how long the wait before the decision lasted in true time, at most
    /// `finalizeWait` (a clock that runs fast or jumps ends it sooner): a better vote that
    /// took longer to arrive may come after the decision.
    decided_window_us: u64,
    /// FOLLOWING/LEADING: the vote decided on and its round, told to LOOKING servers.
    decided: Option<DecidedVote>,
    commit_index: u64,
    last_committed_zxid: Zxid,
    store: KvStore,
    /// Under [`FleBug::AcceptedEpochNotPersisted`], the accepted epoch lives here.
    volatile_accepted_epoch: u64,
    /// Over connection-oriented links: peers whose connection reset and that have not been
    /// heard from since.
    reconnect_pending: Vec<NodeId>,
    /// Set by the step that decided LEADING, cleared at the start of every handler.
    decided_this_step: Option<Decision>,
    /// The breaches of this server's own invariants found so far; `None` while all hold.
    breaches: Option<Box<Breaches>>,
}

/// The first breach of each of a server's own invariants, described (ghost state). A server
/// keeps it behind one `Option`, so that the check after every step is one compare while
/// all hold.
#[derive(Debug, Default)]
struct Breaches {
    /// The first commit whose zxid did not increase.
    zxid_order: Option<String>,
    /// The first better vote that arrived too late for a decision that should have seen it.
    finalize_promise: Option<String>,
    /// The first decision taken on grounds `lookForLeader` does not allow.
    decision_basis: Option<String>,
}

/// What a server that has found no breach reads.
static NO_BREACHES: Breaches = Breaches {
    zxid_order: None,
    finalize_promise: None,
    decision_basis: None,
};

type FleCtx<'a> = Ctx<'a, FleNode>;

impl Protocol for FleNode {
    type Config = FleConfig;
    type Msg = FleMsg;
    type Timer = FleTimer;
    type Durable = FleDurable;
    const NAME: &'static str = "fle";

    fn on_start(config: &FleConfig, ctx: &mut FleCtx<'_>) -> Self {
        if !ctx.is_restart() {
            load_initial_history(config, ctx);
        }
        let mut node = FleNode {
            config: config.clone(),
            id: ctx.id(),
            role: Role::Looking,
            round: 0,
            proposal: own_vote(ctx),
            recv_set: ByServer::default(),
            out_of_election: ByServer::default(),
            notification_timeout_us: config.notification_timeout_us_initial,
            finalize_pending: false,
            quorum_at_us: 0,
            decided_quorum_at_us: None,
            finalize_armed_at_us: 0,
            decided_window_us: 0,
            decided: None,
            commit_index: 0,
            last_committed_zxid: Zxid::ZERO,
            store: KvStore::default(),
            // A fresh boot reads what the disk was given; a restart has forgotten it.
            volatile_accepted_epoch: if ctx.is_restart() {
                0
            } else {
                ctx.durable.accepted_epoch
            },
            reconnect_pending: Vec::new(),
            decided_this_step: None,
            breaches: None,
        };
        node.start_looking(ctx);
        node
    }

    fn on_message(&mut self, ctx: &mut FleCtx<'_>, from: NodeId, msg: FleMsg) {
        self.forget_last_decision();
        self.note_heard(ctx, from);
        self.dispatch_message(ctx, from, msg);
    }

    fn on_connection_reset(&mut self, ctx: &mut FleCtx<'_>, peer: NodeId) {
        self.forget_last_decision();
        self.connection_reset(ctx, peer);
    }

    fn on_timer(&mut self, ctx: &mut FleCtx<'_>, timer: FleTimer) {
        self.forget_last_decision();
        match timer {
            FleTimer::NotificationTimeout => self.on_notification_timeout(ctx),
            FleTimer::Finalize => self.on_finalize(ctx),
            FleTimer::Ping => self.on_ping_timer(ctx),
        }
    }

    fn on_client_request(&mut self, ctx: &mut FleCtx<'_>, command: Command) -> ClientReply {
        self.forget_last_decision();
        self.propose(ctx, command)
    }

    /// Runs after every step: the common case (nothing broken) is a few compares, inlined
    /// into the engine's loop; building a violation is out of line.
    #[inline]
    fn check_local(&self, durable: &FleDurable) -> Result<(), LocalViolation> {
        if self.breaches.is_none() && self.commit_index <= durable.last_index() {
            return Ok(());
        }
        self.local_violation(durable)
    }

    /// Runs after every step and has work only on the step a server decided LEADING: inlined
    /// so that the other steps cost one compare.
    #[inline]
    fn check_cluster(&self, cluster: &ClusterView<'_, Self>) -> Result<(), LocalViolation> {
        match &self.decided_this_step {
            None => Ok(()),
            Some(decision) => self.check_leader_dominance(decision, cluster),
        }
    }
}

impl FleNode {
    /// The first of this server's local invariants that is broken, described.
    #[cold]
    #[inline(never)]
    fn local_violation(&self, durable: &FleDurable) -> Result<(), LocalViolation> {
        let breaches = self.breaches();
        if let Some(detail) = &breaches.zxid_order {
            return Err(LocalViolation {
                invariant: names::COMMITTED_ZXID_INCREASING,
                detail: detail.clone(),
            });
        }
        if let Some(detail) = &breaches.finalize_promise {
            return Err(LocalViolation {
                invariant: names::FINALIZE_CATCHES_BETTER_VOTE,
                detail: detail.clone(),
            });
        }
        if let Some(detail) = &breaches.decision_basis {
            return Err(LocalViolation {
                invariant: names::DECISION_BASIS,
                detail: detail.clone(),
            });
        }
        if self.commit_index > durable.last_index() {
            return Err(LocalViolation {
                invariant: names::COMMIT_WITHIN_HISTORY,
                detail: format!(
                    "commit index {} is past the end of the history ({})",
                    self.commit_index,
                    durable.last_index()
                ),
            });
        }
        Ok(())
    }

    /// Leader quorum dominance, at the step a server decides LEADING, in two readings of
    /// "every member of the quorum that elected it":
    /// - as each voter held its history when it sent the vote that counted (the notification's
    ///   ghost), for votes sent LOOKING. Correct FLE never breaks it: a LOOKING voter proposes
    ///   a leader only if the leader's vote beats the voter's own in the total order, and a
    ///   LOOKING leader writes nothing, so its history when it decides is the one its vote
    ///   carries. A decided server's notification only says whom it follows, which may be
    ///   behind it (a late joiner follows the established leader, whose sync truncates the
    ///   joiner's uncommitted surplus), so it is not a ranking and is not checked this way.
    /// - as each voter holds it now, for voters whose vote still stands: live and still
    ///   proposing this leader, LOOKING or decided in the same round. A vote cast earlier by a
    ///   server that has since followed another leader is stale (FLE may legitimately decide
    ///   on it; Zab's epoch agreement then stops that leader). A standing voter that is
    ///   LOOKING has written nothing since it voted.
    #[cold]
    #[inline(never)]
    fn check_leader_dominance(
        &self,
        decision: &Decision,
        cluster: &ClusterView<'_, Self>,
    ) -> Result<(), LocalViolation> {
        let mine = &decision.mine;
        let broken = |voter: NodeId, theirs: HistoryMark, when: &str| LocalViolation {
            invariant: names::LEADER_QUORUM_DOMINANCE,
            detail: format!(
                "{} decided LEADING with (epoch {}, zxid {:#x}) but {voter}, which elected it, \
                 {when} (epoch {}, zxid {:#x})",
                self.id, mine.current_epoch, mine.last_zxid, theirs.current_epoch, theirs.last_zxid
            ),
        };
        for &Voter {
            server: voter,
            cast,
        } in &decision.voters
        {
            if let Some(cast) = cast.filter(|cast| cast > mine) {
                return Err(broken(voter, cast, "voted holding"));
            }
            let standing = voter == self.id
                || cast.is_some()
                    && cluster.live(voter).is_some_and(|node| {
                        node.proposal() == decision.vote
                            && (node.round == decision.round
                                || node.server_state() == ServerState::Looking)
                    });
            if !standing {
                continue;
            }
            let theirs = cluster.durable(voter).history_mark();
            if theirs > *mine {
                return Err(broken(voter, theirs, "still backing it, holds"));
            }
        }
        Ok(())
    }

    /// Clears the decision of the step before, so that the check after this step sees only
    /// this step's.
    fn forget_last_decision(&mut self) {
        self.decided_this_step = None;
    }

    /// The breaches found so far.
    fn breaches(&self) -> &Breaches {
        self.breaches.as_deref().unwrap_or(&NO_BREACHES)
    }

    /// The breaches found so far, to record one more.
    fn breaches_mut(&mut self) -> &mut Breaches {
        self.breaches.get_or_insert_with(Box::default)
    }

    pub fn role(&self) -> &Role {
        &self.role
    }

    pub fn server_state(&self) -> ServerState {
        self.role.server_state()
    }

    /// The election round (logical clock).
    pub fn round(&self) -> u64 {
        self.round
    }

    /// The vote this server currently proposes (LOOKING) or decided on.
    pub fn proposal(&self) -> Vote {
        self.decided.map_or(self.proposal, |decided| decided.vote)
    }

    pub fn commit_index(&self) -> u64 {
        self.commit_index
    }

    pub fn store(&self) -> &KvStore {
        &self.store
    }

    fn accepted_epoch(&self, ctx: &FleCtx<'_>) -> u64 {
        if self.config.bug == Some(FleBug::AcceptedEpochNotPersisted) {
            self.volatile_accepted_epoch
        } else {
            ctx.durable.accepted_epoch
        }
    }

    fn set_accepted_epoch(&mut self, ctx: &mut FleCtx<'_>, epoch: u64) {
        if self.config.bug == Some(FleBug::AcceptedEpochNotPersisted) {
            self.volatile_accepted_epoch = epoch;
        } else {
            ctx.durable.accepted_epoch = epoch;
        }
    }

    /// Commits every entry up to `target` (bounded by the history) in order: reports it,
    /// applies it, and checks that committed zxids increase.
    fn commit_to(&mut self, ctx: &mut FleCtx<'_>, target: u64) {
        let target = target.min(ctx.durable.last_index());
        while self.commit_index < target {
            let index = self.commit_index + 1;
            let txn = ctx.durable.history[index as usize - 1];
            if txn.zxid <= self.last_committed_zxid && self.breaches().zxid_order.is_none() {
                let detail = format!(
                    "{} committed zxid {:#x} at index {index} after zxid {:#x}",
                    self.id, txn.zxid, self.last_committed_zxid
                );
                self.breaches_mut().zxid_order = Some(detail);
            }
            self.last_committed_zxid = txn.zxid;
            self.commit_index = index;
            ctx.observe(Observation::Committed {
                index,
                term: txn.zxid.epoch(),
                digest: txn_digest(&txn),
            });
            self.store.apply(&txn.command);
            ctx.observe(Observation::Applied {
                index,
                state_digest: self.store.digest(),
            });
        }
    }
}

/// What a server that just decided LEADING was elected with.
#[derive(Debug)]
struct Decision {
    vote: Vote,
    round: u64,
    /// The servers whose votes made the quorum (this one included).
    voters: Vec<Voter>,
    /// How recent this server's history was when it decided.
    mine: HistoryMark,
}

/// A server whose vote counted toward a decision.
#[derive(Clone, Copy, Debug)]
struct Voter {
    server: NodeId,
    /// Ghost: how recent its history was when it sent the vote that counted, if it sent it
    /// LOOKING.
    cast: Option<HistoryMark>,
}

/// This server's own vote: itself, with its last zxid and current epoch.
fn own_vote(ctx: &FleCtx<'_>) -> Vote {
    Vote {
        leader: ctx.id(),
        zxid: ctx.durable.last_zxid(),
        peer_epoch: ctx.durable.current_epoch,
    }
}

/// The quorums of this server's cluster.
fn majority(ctx: &FleCtx<'_>) -> Majority {
    Majority::of(ctx.node_count())
}

/// Digest identifying a transaction for the checkers.
fn txn_digest(txn: &Txn) -> u64 {
    stable_hash(txn)
}

/// Appends `txn` to this server's durable history and reports the write to the checkers:
/// every way a transaction enters a history (a leader's proposal, a follower's proposal or
/// sync, the initial history) goes through here, so none can skip the report.
fn append_txn(ctx: &mut FleCtx<'_>, txn: Txn) {
    ctx.durable.history.push(txn);
    ctx.observe(Observation::LogAppended {
        index: ctx.durable.last_index(),
        term: txn.zxid.epoch(),
        digest: txn_digest(&txn),
    });
}

/// The epoch of the common history servers may start with.
pub const INITIAL_HISTORY_EPOCH: u64 = 1;

/// The common history writes its entries to this many keys, in turn.
const INITIAL_HISTORY_KEYS: u64 = 16;

/// Entry `index` (1-based) of the common history servers may start with: written in epoch
/// [`INITIAL_HISTORY_EPOCH`], the same on every server.
pub fn initial_txn(index: u64) -> Txn {
    Txn {
        zxid: Zxid::new(INITIAL_HISTORY_EPOCH, index),
        command: Command {
            id: 0,
            key: (index % INITIAL_HISTORY_KEYS) as u32,
            value: index,
        },
    }
}

/// At first boot, a server holds the first `initial_history_length` entries of the common
/// history, written in epoch 1.
fn load_initial_history(config: &FleConfig, ctx: &mut FleCtx<'_>) {
    let length = config.initial_history_length(ctx.id().index());
    if length == 0 || !ctx.durable.history.is_empty() {
        return;
    }
    ctx.durable.accepted_epoch = INITIAL_HISTORY_EPOCH;
    ctx.durable.current_epoch = INITIAL_HISTORY_EPOCH;
    for index in 1..=length {
        append_txn(ctx, initial_txn(index));
    }
}

#[cfg(test)]
mod tests;
