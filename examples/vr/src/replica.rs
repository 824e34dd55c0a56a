//! One VR replica: the [`Protocol`] implementation, its role transitions, and what normal
//! operation and view changes share (installing a log, committing, applying). The handlers
//! live in `normal.rs` and `view_change.rs`.

use quorumsim::protocol::{
    command_digest, ClientReply, Command, Ctx, KvStore, LocalViolation, NodeId, Observation,
    Protocol,
};

use crate::config::{VrBug, VrConfig};
use crate::durable::{first_difference, VrDurable};
use crate::message::{Entry, VrMsg};
use crate::role::{PrimaryState, Role, ViewChangeState};

/// A replica's commit-number never passes the end of its log.
pub const COMMIT_WITHIN_LOG: &str = "vr-commit-within-log";
/// A replica is normal exactly when its view is its last normal view, which is never ahead of
/// its view.
pub const STATUS_MATCHES_VIEWS: &str = "vr-status-matches-views";
/// A normal replica is the primary exactly when it is replica view mod n.
pub const PRIMARY_OF_VIEW: &str = "vr-primary-of-view";

/// VR's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VrTimer {
    /// Primary: send Commit to every backup, and the Prepares a backup has not acknowledged.
    Heartbeat,
    /// Backups and replicas in a view change: move to the next view when it fires.
    ViewChange,
    /// Replicas in a view change: resend StartViewChange, DoViewChange and GetState.
    Retransmit,
}

/// The volatile state of one replica; its durable state is `ctx.durable` ([`VrDurable`]).
#[derive(Debug)]
pub struct VrReplica {
    pub(crate) config: VrConfig,
    pub(crate) id: NodeId,
    pub(crate) node_count: u16,
    pub(crate) role: Role,
    /// The op-number of the most recently committed op (volatile: relearned after a restart).
    /// Every op up to it has been applied to `store`.
    pub(crate) commit_number: u64,
    pub(crate) store: KvStore,
    /// This replica's view-change timeout, drawn from the configured range whenever its role
    /// changes and reused each time the timer restarts in between (every message from the
    /// primary restarts it), so a backup does not draw a random number per message.
    view_change_timeout_us: u64,
}

pub(crate) type VrCtx<'a> = Ctx<'a, VrReplica>;

impl Protocol for VrReplica {
    type Config = VrConfig;
    type Msg = VrMsg;
    type Timer = VrTimer;
    type Durable = VrDurable;
    const NAME: &'static str = "vr";

    /// A first boot is normal status in view 0 with replica 0 as primary (§4). A restart
    /// resumes what the disk says: normal in its view, or the view change towards it.
    fn on_start(config: &VrConfig, ctx: &mut VrCtx<'_>) -> Self {
        if ctx.is_restart() {
            forget_unpersisted(config, ctx);
        }
        let (id, node_count) = (ctx.id(), ctx.node_count());
        let mut replica = VrReplica {
            config: *config,
            id,
            node_count,
            role: Role::ViewChange(ViewChangeState::new(id, node_count)),
            commit_number: 0,
            store: KvStore::default(),
            view_change_timeout_us: 0,
        };
        let view = ctx.durable.view;
        let role = if !ctx.durable.is_normal() {
            Role::ViewChange(ViewChangeState::new(id, node_count))
        } else if replica.primary_of(view) == id {
            // A restarted primary knows nothing of its backups: it resends from op 1 and
            // relearns from their PrepareOKs what they hold.
            Role::Primary(PrimaryState::new(node_count, 0))
        } else {
            Role::backup(replica.primary_of(view))
        };
        replica.enter_role(ctx, role);
        if !ctx.durable.is_normal() {
            ctx.broadcast(VrMsg::StartViewChange { view });
            replica.maybe_send_do_view_change(ctx);
        }
        replica
    }

    fn on_message(&mut self, ctx: &mut VrCtx<'_>, from: NodeId, msg: VrMsg) {
        match msg {
            VrMsg::Prepare {
                view,
                op_number,
                entry,
                commit_number,
            } => self.on_prepare(ctx, from, view, op_number, entry, commit_number),
            VrMsg::PrepareOk { view, op_number } => self.on_prepare_ok(ctx, from, view, op_number),
            VrMsg::Commit {
                view,
                commit_number,
            } => self.on_commit(ctx, from, view, commit_number),
            VrMsg::StartViewChange { view } => self.on_start_view_change(ctx, from, view),
            VrMsg::DoViewChange {
                view,
                log,
                last_normal_view,
                commit_number,
            } => self.on_do_view_change(ctx, from, view, log, last_normal_view, commit_number),
            VrMsg::StartView {
                view,
                log,
                commit_number,
            } => self.on_start_view(ctx, from, view, &log, commit_number),
            VrMsg::GetState { view, op_number } => self.on_get_state(ctx, from, view, op_number),
            VrMsg::NewState {
                view,
                after_op_number,
                log_suffix,
                commit_number,
            } => self.on_new_state(ctx, from, view, after_op_number, &log_suffix, commit_number),
        }
    }

    fn on_timer(&mut self, ctx: &mut VrCtx<'_>, timer: VrTimer) {
        match timer {
            VrTimer::Heartbeat => self.on_heartbeat(ctx),
            VrTimer::ViewChange => self.on_view_change_timeout(ctx),
            VrTimer::Retransmit => self.on_retransmit(ctx),
        }
    }

    fn on_client_request(&mut self, ctx: &mut VrCtx<'_>, command: Command) -> ClientReply {
        match self.role {
            Role::Primary(_) => {
                self.prepare(ctx, command);
                ClientReply::Accepted
            }
            Role::Backup { primary, .. } => ClientReply::NotLeader {
                leader_hint: Some(primary),
            },
            Role::ViewChange(_) => ClientReply::NotLeader { leader_hint: None },
        }
    }

    /// Runs after every step: the common case is a few compares; describing a violation is
    /// out of line.
    #[inline]
    fn check_local(&self, durable: &VrDurable) -> Result<(), LocalViolation> {
        let status_matches = self.role.is_normal() == durable.is_normal()
            && durable.last_normal_view <= durable.view;
        let primary_matches = match self.role {
            Role::Primary(_) => self.primary_of(durable.view) == self.id,
            Role::Backup { primary, .. } => self.primary_of(durable.view) == primary,
            Role::ViewChange(_) => true,
        };
        if self.commit_number <= durable.op_number() && status_matches && primary_matches {
            return Ok(());
        }
        self.local_violation(durable)
    }
}

impl VrReplica {
    pub fn role(&self) -> &Role {
        &self.role
    }

    pub fn commit_number(&self) -> u64 {
        self.commit_number
    }

    pub fn store(&self) -> &KvStore {
        &self.store
    }

    /// §4: the primary of view v is replica v mod n.
    pub fn primary_of(&self, view: u64) -> NodeId {
        NodeId((view % u64::from(self.node_count)) as u16)
    }

    /// f+1 of 2f+1: the replicas (this one included) whose agreement makes a step durable.
    /// For an even group size a strict majority, so any two such sets still intersect.
    pub(crate) fn quorum(&self) -> usize {
        usize::from(self.node_count) / 2 + 1
    }

    /// The first broken local invariant, described.
    #[cold]
    #[inline(never)]
    fn local_violation(&self, durable: &VrDurable) -> Result<(), LocalViolation> {
        if self.commit_number > durable.op_number() {
            return Err(LocalViolation {
                invariant: COMMIT_WITHIN_LOG,
                detail: format!(
                    "commit-number {} is past the op-number {}",
                    self.commit_number,
                    durable.op_number()
                ),
            });
        }
        if self.role.is_normal() != durable.is_normal() || durable.last_normal_view > durable.view {
            return Err(LocalViolation {
                invariant: STATUS_MATCHES_VIEWS,
                detail: format!(
                    "status {} with view {} and last normal view {}",
                    self.role.name(),
                    durable.view,
                    durable.last_normal_view
                ),
            });
        }
        Err(LocalViolation {
            invariant: PRIMARY_OF_VIEW,
            detail: format!(
                "{} is a {} in view {}, whose primary is {}",
                self.id,
                self.role.name(),
                durable.view,
                self.primary_of(durable.view)
            ),
        })
    }

    /// Takes on `role` in the current view: reports it and arms the role's timers.
    pub(crate) fn enter_role(&mut self, ctx: &mut VrCtx<'_>, role: Role) {
        self.role = role;
        let (min_us, max_us) = (
            self.config.view_change_timeout_us_min,
            self.config.view_change_timeout_us_max,
        );
        self.view_change_timeout_us = ctx.rng().range_inclusive(min_us, max_us);
        let view = ctx.durable.view;
        match self.role {
            Role::Primary(_) => {
                ctx.observe(Observation::BecameLeader { term: view });
                ctx.cancel_timer(VrTimer::ViewChange);
                ctx.cancel_timer(VrTimer::Retransmit);
                let interval_us = self.config.heartbeat_interval_us;
                ctx.set_timer(VrTimer::Heartbeat, interval_us..=interval_us);
            }
            Role::Backup { primary, .. } => {
                ctx.observe(Observation::Following {
                    term: view,
                    leader: primary,
                });
                ctx.cancel_timer(VrTimer::Retransmit);
                self.reset_view_change_timer(ctx);
            }
            Role::ViewChange(_) => {
                self.reset_view_change_timer(ctx);
                let interval_us = self.config.heartbeat_interval_us;
                ctx.set_timer(VrTimer::Retransmit, interval_us..=interval_us);
            }
        }
    }

    /// Leaves normal status in the current view (before the view moves on): a primary stops
    /// leading, a backup stops following.
    fn leave_role(&mut self, ctx: &mut VrCtx<'_>) {
        let view = ctx.durable.view;
        match self.role {
            Role::Primary(_) => {
                ctx.observe(Observation::SteppedDown { term: view });
                ctx.cancel_timer(VrTimer::Heartbeat);
            }
            Role::Backup { primary, .. } => ctx.observe(Observation::StoppedFollowing {
                term: view,
                leader: primary,
            }),
            Role::ViewChange(_) => {}
        }
    }

    /// Moves to the higher view `view` in view-change status. The view is written to disk
    /// before anything this handler sends leaves (the simulator's persist-before-send).
    pub(crate) fn move_to_view(&mut self, ctx: &mut VrCtx<'_>, view: u64) {
        assert!(view > ctx.durable.view, "views only move forward");
        self.leave_role(ctx);
        ctx.durable.view = view;
        let state = ViewChangeState::new(self.id, self.node_count);
        self.enter_role(ctx, Role::ViewChange(state));
        debug_assert!(!ctx.durable.is_normal());
    }

    /// Ends the view change with this replica in normal status in its view, as primary when
    /// `primary` is itself. Its log is the view's log by now.
    pub(crate) fn become_normal(&mut self, ctx: &mut VrCtx<'_>, primary: NodeId) {
        assert!(
            matches!(self.role, Role::ViewChange(_)),
            "only a view change ends in a new view, not {} status",
            self.role.name()
        );
        assert_eq!(primary, self.primary_of(ctx.durable.view));
        ctx.durable.last_normal_view = ctx.durable.view;
        let role = if primary == self.id {
            // The StartView about to leave carries the whole log to every backup.
            Role::Primary(PrimaryState::new(self.node_count, ctx.durable.op_number()))
        } else {
            Role::backup(primary)
        };
        self.enter_role(ctx, role);
    }

    pub(crate) fn reset_view_change_timer(&self, ctx: &mut VrCtx<'_>) {
        let timeout_us = self.view_change_timeout_us;
        ctx.set_timer(VrTimer::ViewChange, timeout_us..=timeout_us);
    }

    /// VR guarantees facts about what other replicas hold and send: a backup's log is a
    /// prefix of its primary's, committed ops survive every view change. Finding one broken
    /// means a bug somewhere in the group, and correct VR panics. The broken variants break
    /// these facts on purpose, and there the checkers must be what notices (the variants
    /// exist to show that they do): the caller drops the message or carries on instead.
    #[track_caller]
    pub(crate) fn agreement_broken(&self, describe: impl FnOnce() -> String) {
        assert!(self.config.bug.is_some(), "{}", describe());
    }

    /// Makes the log `log[..base_len] ++ suffix`, reporting each change: the ops that already
    /// match stay, the first that differs and all after it are replaced. Committed ops are in
    /// every later view's log (that is what the view change guarantees), so they never differ.
    pub(crate) fn install_log(&mut self, ctx: &mut VrCtx<'_>, base_len: u64, suffix: &[Entry]) {
        let base = usize::try_from(base_len).expect("an op-number fits in memory");
        assert!(
            base <= ctx.durable.log.len(),
            "the kept prefix is in the log"
        );
        let from = first_difference(&ctx.durable.log, base, suffix);
        if from <= self.commit_number {
            let commit_number = self.commit_number;
            self.agreement_broken(|| {
                format!("committed op {from} would be replaced (commit-number {commit_number})")
            });
        }
        if from <= ctx.durable.op_number() {
            ctx.durable.log.truncate(from as usize - 1);
            ctx.observe(Observation::LogTruncated { from_index: from });
        }
        let skip = (from - 1) as usize - base;
        for entry in &suffix[skip.min(suffix.len())..] {
            self.append(ctx, *entry);
        }
        debug_assert_eq!(ctx.durable.op_number(), base_len + suffix.len() as u64);
    }

    /// Appends one entry to the durable log and reports it.
    pub(crate) fn append(&mut self, ctx: &mut VrCtx<'_>, entry: Entry) {
        ctx.durable.log.push(entry);
        ctx.observe(Observation::LogAppended {
            index: ctx.durable.op_number(),
            term: entry.view,
            digest: command_digest(&entry.command),
        });
    }

    /// Commits and applies every op up to `commit_number`, in order (§4.1 steps 5 and 7).
    pub(crate) fn advance_commit(&mut self, ctx: &mut VrCtx<'_>, commit_number: u64) {
        assert!(
            commit_number <= ctx.durable.op_number(),
            "commit past the log"
        );
        while self.commit_number < commit_number {
            self.commit_number += 1;
            let op_number = self.commit_number;
            let entry = *ctx
                .durable
                .entry(op_number)
                .expect("a committed op is logged");
            ctx.observe(Observation::Committed {
                index: op_number,
                term: entry.view,
                digest: command_digest(&entry.command),
            });
            self.store.apply(&entry.command);
            ctx.observe(Observation::Applied {
                index: op_number,
                state_digest: self.store.digest(),
            });
        }
    }
}

/// The persistence bug. A value never written to disk is, after a restart, whatever the disk
/// last held: resetting the durable copy at restart is observationally the same as never
/// having written it, and keeps the correct code paths untouched.
fn forget_unpersisted(config: &VrConfig, ctx: &mut VrCtx<'_>) {
    if config.has_bug(VrBug::ViewNotPersisted) {
        // Bug: only the log reached the disk; the views were kept in memory.
        ctx.durable.view = 0;
        ctx.durable.last_normal_view = 0;
    }
}
