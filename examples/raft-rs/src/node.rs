//! One raft-rs node as a quorumsim protocol: a `RawNode` driven by a periodic tick timer,
//! with delivered messages stepped into it and client commands proposed to it. Each input is
//! followed by the handling of every `Ready` it produced (`ready.rs`).

use quorumsim::protocol::{ClientReply, Command, Ctx, KvStore, LocalViolation, NodeId, Protocol};
use raft::eraftpb::{HardState, Message, MessageType};
use raft::storage::MemStorage;
use raft::{RawNode, StateRole};

use crate::claims::{Claim, Claims};
use crate::config::RaftRsConfig;
use crate::disk::RaftRsDurable;
use crate::timeout::{ElectionTimeout, KeptTimer};
use crate::wire::{encode_command, node_of, raft_id, RaftRsMsg};

/// raft-rs's commit index never passes the end of its log.
pub const COMMIT_WITHIN_LOG: &str = "raft-rs-commit-within-log";
/// raft-rs's applied index never passes its commit index.
pub const APPLIED_WITHIN_COMMIT: &str = "raft-rs-applied-within-commit";

/// The adapter's one timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RaftRsTimer {
    /// One `RawNode::tick`; re-armed every `tick_interval_us`.
    Tick,
}

/// The volatile state of one node; its disk is `ctx.durable` ([`RaftRsDurable`]).
pub struct RaftRsNode {
    pub(crate) config: RaftRsConfig,
    pub(crate) raw: RawNode<MemStorage>,
    pub(crate) timeout: ElectionTimeout,
    pub(crate) claims: Claims,
    /// The replicated key-value store the committed log drives (volatile).
    pub(crate) store: KvStore,
    /// The last index this incarnation reported committed and applied.
    pub(crate) committed_index: u64,
    pub(crate) applied_index: u64,
    /// [`crate::RaftRsBug::SendBeforePersist`] only: the hard state on its way to disk.
    pub(crate) unwritten_hard_state: Option<HardState>,
}

pub(crate) type NodeCtx<'a> = Ctx<'a, RaftRsNode>;

impl Protocol for RaftRsNode {
    type Config = RaftRsConfig;
    type Msg = RaftRsMsg;
    type Timer = RaftRsTimer;
    type Durable = RaftRsDurable;
    const NAME: &'static str = "raft-rs";

    /// Opens the disk (writing the cluster's voters on a first boot) and builds a `RawNode`
    /// on it, with raft-rs's logging discarded and its election timeout drawn from this
    /// node's stream. The first tick falls somewhere in the first tick interval.
    fn on_start(config: &RaftRsConfig, ctx: &mut NodeCtx<'_>) -> Self {
        if !ctx.durable.is_bootstrapped() {
            let node_count = ctx.node_count();
            ctx.durable.bootstrap(node_count);
        }
        let logger = slog::Logger::root(slog::Discard, slog::o!());
        let raft_config = config.raft_config(raft_id(ctx.id()));
        let mut raw = RawNode::new(&raft_config, ctx.durable.storage(), &logger)
            .expect("a validated configuration and a bootstrapped disk");
        let timeout = ElectionTimeout::new(
            &mut raw.raft,
            config.min_election_tick,
            config.max_election_tick,
            ctx.rng(),
        );
        let claims = Claims::new(&ctx.durable.hard_state());
        let tick_us = config.tick_interval_us;
        ctx.set_timer(RaftRsTimer::Tick, 1..=tick_us);
        let mut node = RaftRsNode {
            config: *config,
            raw,
            timeout,
            claims,
            store: KvStore::default(),
            committed_index: 0,
            applied_index: 0,
            unwritten_hard_state: None,
        };
        node.after_input(ctx);
        node
    }

    fn on_message(&mut self, ctx: &mut NodeCtx<'_>, from: NodeId, msg: RaftRsMsg) {
        debug_assert_eq!(
            msg.0.from,
            raft_id(from),
            "the sender is the message's from"
        );
        let kept = self.maybe_keep_timer(&msg.0);
        // Only proposals are refused (`ProposalDropped`), and peers never send any: a
        // follower's proposal is answered `NotLeader` here instead of forwarded.
        if let Err(error) = self.raw.step(msg.0) {
            panic!("raft-rs refused a message from {from}: {error}");
        }
        if let Some((kept, candidate)) = kept {
            if self.raw.raft.vote != candidate {
                self.timeout.restore(&mut self.raw.raft, kept);
            }
        }
        self.after_input(ctx);
    }

    fn on_timer(&mut self, ctx: &mut NodeCtx<'_>, timer: RaftRsTimer) {
        match timer {
            RaftRsTimer::Tick => {
                self.maybe_write_hard_state(ctx);
                self.raw.tick();
                self.after_input(ctx);
                let tick_us = self.config.tick_interval_us;
                ctx.set_timer(RaftRsTimer::Tick, tick_us..=tick_us);
            }
        }
    }

    /// A leader proposes the command; any other node answers with the leader it knows. A
    /// leader refuses proposals only while transferring leadership or over its uncommitted
    /// size limit, which this adapter never sets up; it would answer `NotLeader` then.
    fn on_client_request(&mut self, ctx: &mut NodeCtx<'_>, command: Command) -> ClientReply {
        if self.raw.raft.state != StateRole::Leader {
            return ClientReply::NotLeader {
                leader_hint: node_of(self.raw.raft.leader_id),
            };
        }
        let accepted = self.raw.propose(Vec::new(), encode_command(&command));
        self.after_input(ctx);
        match accepted {
            Ok(()) => ClientReply::Accepted,
            Err(_) => ClientReply::NotLeader { leader_hint: None },
        }
    }

    /// raft-rs's own bookkeeping: commit within the log, applied within the commit.
    #[inline]
    fn check_local(&self, _durable: &RaftRsDurable) -> Result<(), LocalViolation> {
        let log = &self.raw.raft.raft_log;
        if log.committed <= log.last_index() && log.applied <= log.committed {
            return Ok(());
        }
        self.local_violation()
    }
}

impl RaftRsNode {
    /// The library's node, for tests and tools that look inside.
    pub fn raw(&self) -> &RawNode<MemStorage> {
        &self.raw
    }

    pub fn claim(&self) -> Claim {
        self.claims.claim()
    }

    pub fn store(&self) -> &KvStore {
        &self.store
    }

    pub fn applied_index(&self) -> u64 {
        self.applied_index
    }

    pub fn election_timeout(&self) -> &ElectionTimeout {
        &self.timeout
    }

    /// The `keep_timer_on_refused_vote` experiment: before a higher-term vote request is
    /// stepped, the timer as it stands and the candidate; after it, the timer goes back if
    /// the vote was refused (raft-rs stepped down to the new term and restarted the timer).
    fn maybe_keep_timer(&self, message: &Message) -> Option<(KeptTimer, u64)> {
        let asks_vote = message.get_msg_type() == MessageType::MsgRequestVote;
        if !self.config.keep_timer_on_refused_vote
            || !asks_vote
            || message.term <= self.raw.raft.term
        {
            return None;
        }
        Some((self.timeout.kept(&self.raw.raft), message.from))
    }

    #[cold]
    #[inline(never)]
    fn local_violation(&self) -> Result<(), LocalViolation> {
        let log = &self.raw.raft.raft_log;
        if log.committed > log.last_index() {
            return Err(LocalViolation {
                invariant: COMMIT_WITHIN_LOG,
                detail: format!(
                    "commit index {} is past the last index {}",
                    log.committed,
                    log.last_index()
                ),
            });
        }
        Err(LocalViolation {
            invariant: APPLIED_WITHIN_COMMIT,
            detail: format!(
                "applied index {} is past the commit index {}",
                log.applied, log.committed
            ),
        })
    }
}
