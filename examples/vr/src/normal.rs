//! Normal operation (VR-Revisited §4.1) and state transfer (§5.2): the primary assigns each
//! client request the next op-number and sends Prepare; a backup appends ops in order and
//! answers PrepareOK; an op is committed once f+1 replicas (the primary among them) hold it,
//! and backups learn the commit-number from later Prepares and the primary's Commit
//! heartbeats. A replica that learns from a Prepare or Commit that a view started without it
//! asks the primary for the view's log (GetState, NewState).

use quorumsim::protocol::{Command, NodeId};

use crate::config::VrBug;
use crate::message::{Entry, VrMsg};
use crate::replica::{VrCtx, VrReplica, VrTimer};
use crate::role::Role;

/// At most this many Prepares go to one lagging backup per heartbeat or per acknowledgement,
/// so a backup that was away long catches up in bounded bursts.
pub const CATCH_UP_OPS_MAX: u64 = 32;

/// A backup keeps at most this many ops past a gap in its log; later ones are sent again.
pub const EARLY_OPS_MAX: u64 = 256;

impl VrReplica {
    /// §4.1 steps 1-3 at the primary: append the request and send Prepare to every backup
    /// that has everything before it (the others get it when they catch up).
    pub(crate) fn prepare(&mut self, ctx: &mut VrCtx<'_>, command: Command) {
        let view = ctx.durable.view;
        assert_eq!(self.primary_of(view), self.id, "only the primary prepares");
        let entry = Entry { view, command };
        self.append(ctx, entry);
        let op_number = ctx.durable.op_number();
        let Role::Primary(state) = &mut self.role else {
            unreachable!("checked by the caller");
        };
        for peer in ctx.peers() {
            let sent = &mut state.sent_op_numbers[peer.index()];
            if *sent + 1 == op_number {
                *sent = op_number;
                let msg = VrMsg::Prepare {
                    view,
                    op_number,
                    entry,
                    commit_number: self.commit_number,
                };
                ctx.send(peer, msg);
            }
        }
        // A group of one (or a broken quorum rule) commits without waiting for anyone.
        self.maybe_commit(ctx);
    }

    /// §4.1 step 4 at a backup: take op `op_number` only if it is the next one, so the log
    /// stays a prefix of the primary's, and acknowledge what the log now holds.
    pub(crate) fn on_prepare(
        &mut self,
        ctx: &mut VrCtx<'_>,
        from: NodeId,
        view: u64,
        op_number: u64,
        entry: Entry,
        commit_number: u64,
    ) {
        assert_eq!(
            from,
            self.primary_of(view),
            "only a view's primary prepares"
        );
        if view < ctx.durable.view {
            return; // an old primary's; it learns of the new view from the view change
        }
        if view > ctx.durable.view || !self.role.is_normal() {
            self.adopt_view(ctx, view, from);
            return;
        }
        if !matches!(self.role, Role::Backup { .. }) {
            return;
        }
        self.reset_view_change_timer(ctx);
        // A backup holds the view's StartView log, so any op it lacks is of this view (ops
        // it holds may be resent from earlier views).
        if op_number > ctx.durable.op_number() && entry.view != view {
            self.agreement_broken(|| format!("op {op_number} of view {view} is {entry:?}"));
            return;
        }
        self.take_in_order(ctx, op_number, entry);
        // Also for a duplicate or an op past a gap: the primary learns where this log ends.
        let held = ctx.durable.op_number();
        ctx.send(
            from,
            VrMsg::PrepareOk {
                view,
                op_number: held,
            },
        );
        self.advance_commit(ctx, commit_number.min(held));
    }

    /// Appends op `op_number` if it is the next one, then any early ops it lets follow;
    /// keeps it for later if ops before it are missing.
    fn take_in_order(&mut self, ctx: &mut VrCtx<'_>, op_number: u64, entry: Entry) {
        let held = ctx.durable.op_number();
        if op_number > held + 1 {
            if let Role::Backup { early_ops, .. } = &mut self.role {
                if op_number <= held + EARLY_OPS_MAX {
                    early_ops.insert(op_number, entry);
                }
            }
            return;
        }
        if op_number <= held {
            return; // a duplicate, or resent after a loss that did not happen
        }
        self.append(ctx, entry);
        let Role::Backup { early_ops, .. } = &mut self.role else {
            unreachable!("only backups take Prepares");
        };
        let mut next = op_number + 1;
        let mut ready = Vec::new();
        while let Some(entry) = early_ops.remove(&next) {
            ready.push(entry);
            next += 1;
        }
        for entry in ready {
            self.append(ctx, entry);
        }
    }

    /// §4.1 step 5 at the primary.
    pub(crate) fn on_prepare_ok(
        &mut self,
        ctx: &mut VrCtx<'_>,
        from: NodeId,
        view: u64,
        op_number: u64,
    ) {
        if view != ctx.durable.view {
            return;
        }
        if !matches!(self.role, Role::Primary(_)) {
            return;
        }
        if op_number > ctx.durable.op_number() {
            self.agreement_broken(|| {
                format!("a backup acknowledged op {op_number} the primary never prepared")
            });
            return;
        }
        assert_eq!(
            self.primary_of(view),
            self.id,
            "PrepareOKs go to the primary"
        );
        let Role::Primary(state) = &mut self.role else {
            unreachable!("matched above");
        };
        if op_number <= state.acked_op_numbers[from.index()] {
            return; // duplicates and reordered acknowledgements say nothing new
        }
        state.acked_op_numbers[from.index()] = op_number;
        let caught_up_with_sent = op_number >= state.sent_op_numbers[from.index()];
        self.maybe_commit(ctx);
        if caught_up_with_sent && op_number < ctx.durable.op_number() {
            self.send_catch_up(ctx, from);
        }
    }

    /// Commits the highest op that a quorum holds: the primary, and backups by their
    /// PrepareOKs. Unlike Raft, ops of earlier views need no special rule: the view change
    /// ranks logs by the last normal view, so f+1 holders in this view suffice (§4.2).
    pub(crate) fn maybe_commit(&mut self, ctx: &mut VrCtx<'_>) {
        let Role::Primary(state) = &self.role else {
            return;
        };
        let op_number = ctx.durable.op_number();
        let mut held: Vec<u64> = state.acked_op_numbers.clone();
        held[self.id.index()] = op_number;
        held.sort_unstable_by(|a, b| b.cmp(a));
        let mut needed = self.quorum();
        if self.config.has_bug(VrBug::CommitOnFReplicas) {
            needed = needed.saturating_sub(1).max(1); // bug: one holder short of f+1
        }
        let committable = held[needed - 1];
        if committable > self.commit_number {
            self.advance_commit(ctx, committable);
        }
    }

    /// The primary's heartbeat: resend what each backup lacks, and Commit to all (§4.1 step
    /// 6: backups learn commits from it when no Prepare is going out).
    pub(crate) fn on_heartbeat(&mut self, ctx: &mut VrCtx<'_>) {
        let Role::Primary(state) = &mut self.role else {
            return;
        };
        let view = ctx.durable.view;
        let op_number = ctx.durable.op_number();
        // Whatever went out since the last heartbeat and is not acknowledged may be lost.
        for (sent, &acked) in state
            .sent_op_numbers
            .iter_mut()
            .zip(&state.acked_op_numbers)
        {
            *sent = acked;
        }
        for peer in ctx.peers() {
            if self.acked_op_number(peer) < op_number {
                self.send_catch_up(ctx, peer);
            }
            let msg = VrMsg::Commit {
                view,
                commit_number: self.commit_number,
            };
            ctx.send(peer, msg);
        }
        let interval_us = self.config.heartbeat_interval_us;
        ctx.set_timer(VrTimer::Heartbeat, interval_us..=interval_us);
    }

    fn acked_op_number(&self, peer: NodeId) -> u64 {
        match &self.role {
            Role::Primary(state) => state.acked_op_numbers[peer.index()],
            _ => 0,
        }
    }

    /// Sends `peer` the next ops after those already sent to it, at most
    /// [`CATCH_UP_OPS_MAX`].
    fn send_catch_up(&mut self, ctx: &mut VrCtx<'_>, peer: NodeId) {
        let Role::Primary(state) = &mut self.role else {
            return;
        };
        let view = ctx.durable.view;
        let sent = &mut state.sent_op_numbers[peer.index()];
        let last = ctx.durable.op_number().min(*sent + CATCH_UP_OPS_MAX);
        for op_number in *sent + 1..=last {
            let entry = *ctx.durable.entry(op_number).expect("within the log");
            let msg = VrMsg::Prepare {
                view,
                op_number,
                entry,
                commit_number: self.commit_number,
            };
            ctx.send(peer, msg);
        }
        *sent = (*sent).max(last);
    }

    /// §4.1 step 7 at a backup.
    pub(crate) fn on_commit(
        &mut self,
        ctx: &mut VrCtx<'_>,
        from: NodeId,
        view: u64,
        commit_number: u64,
    ) {
        assert_eq!(from, self.primary_of(view), "only a view's primary commits");
        if view < ctx.durable.view {
            return;
        }
        if view > ctx.durable.view || !self.role.is_normal() {
            self.adopt_view(ctx, view, from);
            return;
        }
        if !matches!(self.role, Role::Backup { .. }) {
            return;
        }
        self.reset_view_change_timer(ctx);
        // The log is a prefix of the primary's, so its first ops are the committed ones.
        let held = ctx.durable.op_number();
        self.advance_commit(ctx, commit_number.min(held));
    }

    /// A Prepare or Commit of `view` from its primary `source` shows that the view started
    /// while this replica was elsewhere: move to it (still in view-change status, the
    /// StartView having been missed) and ask the primary for the view's log (§5.2).
    ///
    /// Unlike §5.2 the log is not cut back to the commit-number now: until the new log
    /// arrives, the uncommitted ops may be the only copy of an op committed in an older view
    /// that a further view change (should this primary fail) must still find.
    fn adopt_view(&mut self, ctx: &mut VrCtx<'_>, view: u64, source: NodeId) {
        if view > ctx.durable.view {
            self.move_to_view(ctx, view);
        }
        let Role::ViewChange(state) = &mut self.role else {
            unreachable!("moved to the view in view-change status");
        };
        if state.state_source.is_none() {
            state.state_source = Some(source);
            let msg = VrMsg::GetState {
                view,
                op_number: self.commit_number,
            };
            ctx.send(source, msg);
        }
    }

    /// §5.2 at the primary: send the log after the asker's op-number.
    pub(crate) fn on_get_state(
        &mut self,
        ctx: &mut VrCtx<'_>,
        from: NodeId,
        view: u64,
        op_number: u64,
    ) {
        if view != ctx.durable.view || !matches!(self.role, Role::Primary(_)) {
            return;
        }
        // The asker's op-number is its commit-number, and committed ops are in this log.
        if op_number > ctx.durable.op_number() {
            self.agreement_broken(|| {
                format!("a replica committed op {op_number}, past the primary's log")
            });
            return;
        }
        let msg = VrMsg::NewState {
            view,
            after_op_number: op_number,
            log_suffix: ctx.durable.suffix(op_number).to_vec(),
            commit_number: self.commit_number,
        };
        ctx.send(from, msg);
    }

    /// §5.2 at the asker: its ops up to `after_op_number` are committed, so they are the
    /// primary's too; the rest of the log becomes the primary's, and the view change is over
    /// for this replica.
    pub(crate) fn on_new_state(
        &mut self,
        ctx: &mut VrCtx<'_>,
        from: NodeId,
        view: u64,
        after_op_number: u64,
        log_suffix: &[Entry],
        commit_number: u64,
    ) {
        assert_eq!(
            from,
            self.primary_of(view),
            "only a view's primary sends its state"
        );
        if view != ctx.durable.view || self.role.is_normal() {
            return; // stale, or a duplicate after the first one was installed
        }
        if after_op_number > self.commit_number {
            return; // asked before a restart: the prefix is no longer known to match
        }
        self.install_log(ctx, after_op_number, log_suffix);
        self.become_normal(ctx, from);
        let held = ctx.durable.op_number();
        self.advance_commit(ctx, commit_number.min(held));
        ctx.send(
            from,
            VrMsg::PrepareOk {
                view,
                op_number: held,
            },
        );
    }
}
