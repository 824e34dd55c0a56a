//! The view-change protocol (VR-Revisited §4.2). A backup that hears nothing from its
//! primary moves to the next view and sends StartViewChange; a replica hearing of a higher
//! view joins it. With f+1 of the group in the view change (itself and f others), a replica
//! sends DoViewChange, with its log, last normal view and commit-number, to the new primary,
//! replica v mod n. The new primary, with f+1 DoViewChanges (its own among them), takes the
//! log with the largest (last normal view, op-number) and the largest commit-number, enters
//! normal status and sends StartView; backups install its log. A view change that does not
//! finish within a timeout moves on to the next view.

use quorumsim::protocol::{NodeId, Observation};

use crate::config::VrBug;
use crate::message::{Entry, VrMsg};
use crate::replica::{VrCtx, VrReplica, VrTimer};
use crate::role::{CandidateLog, Role};

impl VrReplica {
    /// A backup's primary went quiet, or a view change did not finish: try the next view.
    pub(crate) fn on_view_change_timeout(&mut self, ctx: &mut VrCtx<'_>) {
        debug_assert!(
            !matches!(self.role, Role::Primary(_)),
            "a primary runs no view-change timer"
        );
        if matches!(self.role, Role::Primary(_)) {
            return;
        }
        let next = ctx.durable.view + 1;
        self.start_view_change(ctx, next);
    }

    /// §4.2 step 1: move to `view` and tell everyone.
    fn start_view_change(&mut self, ctx: &mut VrCtx<'_>, view: u64) {
        self.move_to_view(ctx, view);
        ctx.broadcast(VrMsg::StartViewChange { view });
        self.maybe_send_do_view_change(ctx);
    }

    /// Resends this view change's messages: they, or the answers to them, may be lost.
    pub(crate) fn on_retransmit(&mut self, ctx: &mut VrCtx<'_>) {
        let Role::ViewChange(state) = &self.role else {
            return;
        };
        let view = ctx.durable.view;
        let primary = self.primary_of(view);
        ctx.broadcast(VrMsg::StartViewChange { view });
        if state.do_view_change_sent && primary != self.id {
            let msg = self.do_view_change(ctx);
            ctx.send(primary, msg);
        }
        if let Some(source) = state.state_source {
            let msg = VrMsg::GetState {
                view,
                op_number: self.commit_number,
            };
            ctx.send(source, msg);
        }
        let interval_us = self.config.heartbeat_interval_us;
        ctx.set_timer(VrTimer::Retransmit, interval_us..=interval_us);
    }

    pub(crate) fn on_start_view_change(&mut self, ctx: &mut VrCtx<'_>, from: NodeId, view: u64) {
        if view < ctx.durable.view {
            return;
        }
        if view > ctx.durable.view {
            self.start_view_change(ctx, view);
        }
        // Normal status in this view: the view change is over and the sender will hear of it
        // from the primary's heartbeats.
        let Role::ViewChange(state) = &mut self.role else {
            return;
        };
        if state.start_view_changes.insert(from) {
            self.maybe_send_do_view_change(ctx);
        }
    }

    /// §4.2 step 2: once f others are in this view change too, send DoViewChange to the new
    /// primary (the new primary counts its own). This is the replica's vote in the view.
    pub(crate) fn maybe_send_do_view_change(&mut self, ctx: &mut VrCtx<'_>) {
        let quorum = self.quorum();
        let Role::ViewChange(state) = &mut self.role else {
            return;
        };
        if state.do_view_change_sent || state.start_view_changes.count() < quorum {
            return;
        }
        state.do_view_change_sent = true;
        let view = ctx.durable.view;
        let primary = self.primary_of(view);
        ctx.observe(Observation::Voted {
            term: view,
            candidate: primary,
        });
        if primary == self.id {
            let own = CandidateLog {
                last_normal_view: ctx.durable.last_normal_view,
                log: ctx.durable.log.clone(),
                sender: self.id,
            };
            self.record_do_view_change(own, self.commit_number);
            self.maybe_start_view(ctx);
        } else {
            let msg = self.do_view_change(ctx);
            ctx.send(primary, msg);
        }
    }

    /// This replica's DoViewChange for the current view.
    fn do_view_change(&self, ctx: &VrCtx<'_>) -> VrMsg {
        VrMsg::DoViewChange {
            view: ctx.durable.view,
            log: ctx.durable.log.clone(),
            last_normal_view: ctx.durable.last_normal_view,
            commit_number: self.commit_number,
        }
    }

    pub(crate) fn on_do_view_change(
        &mut self,
        ctx: &mut VrCtx<'_>,
        from: NodeId,
        view: u64,
        log: Vec<Entry>,
        last_normal_view: u64,
        commit_number: u64,
    ) {
        assert_eq!(
            self.primary_of(view),
            self.id,
            "DoViewChange goes to the new primary"
        );
        assert!(
            last_normal_view < view,
            "a DoViewChange comes from a view change"
        );
        if view < ctx.durable.view {
            return;
        }
        if view > ctx.durable.view {
            self.start_view_change(ctx, view);
        }
        let Role::ViewChange(state) = &mut self.role else {
            return; // the view has started; a late or duplicate DoViewChange
        };
        // A replica that sent DoViewChange is in the view change: it counts as its
        // StartViewChange too, whichever arrives first.
        state.start_view_changes.insert(from);
        let candidate = CandidateLog {
            last_normal_view,
            log,
            sender: from,
        };
        self.record_do_view_change(candidate, commit_number);
        self.maybe_send_do_view_change(ctx);
        self.maybe_start_view(ctx);
    }

    /// Folds one DoViewChange into the new primary's tally, once per sender.
    fn record_do_view_change(&mut self, candidate: CandidateLog, commit_number: u64) {
        let by_op_number = self.config.has_bug(VrBug::LogChoiceByOpNumber);
        let Role::ViewChange(state) = &mut self.role else {
            return;
        };
        let tally = &mut state.do_view_changes;
        if !tally.senders.insert(candidate.sender) {
            return;
        }
        tally.commit_number_max = tally.commit_number_max.max(commit_number);
        let rank = |candidate: &CandidateLog| {
            let (last_normal_view, op_number) = candidate.rank();
            if by_op_number {
                (op_number, last_normal_view) // bug: the longest log wins, however old
            } else {
                (last_normal_view, op_number)
            }
        };
        // Ties keep the first: equal (last normal view, op-number) means equal logs.
        let better = tally
            .best
            .as_ref()
            .is_none_or(|best| rank(&candidate) > rank(best));
        if better {
            tally.best = Some(candidate);
        }
    }

    /// §4.2 steps 3-4: with f+1 DoViewChanges, its own among them, the new primary installs
    /// the best log, enters normal status and sends StartView.
    fn maybe_start_view(&mut self, ctx: &mut VrCtx<'_>) {
        let quorum = self.quorum();
        let Role::ViewChange(state) = &mut self.role else {
            return;
        };
        let tally = &mut state.do_view_changes;
        if !tally.senders.contains(self.id) || tally.senders.count() < quorum {
            return;
        }
        let best = tally.best.take().expect("a tally has a best log");
        let mut commit_number = tally.commit_number_max;
        // The bug keeps the new primary's own log, whatever the others hold.
        if !self.config.has_bug(VrBug::KeepOwnLog) {
            self.install_log(ctx, 0, &best.log);
        }
        // Every commit-number reported is within the chosen log: committed ops survive.
        let op_number = ctx.durable.op_number();
        if commit_number > op_number {
            self.agreement_broken(|| {
                format!("commit-number {commit_number} is past the new log's {op_number} ops")
            });
            commit_number = op_number;
        }
        let view = ctx.durable.view;
        self.become_normal(ctx, self.id);
        let msg = VrMsg::StartView {
            view,
            log: ctx.durable.log.clone(),
            commit_number,
        };
        ctx.broadcast(msg);
        self.advance_commit(ctx, commit_number);
        self.maybe_commit(ctx);
    }

    /// §4.2 step 5 at a backup: install the new primary's log and enter normal status.
    pub(crate) fn on_start_view(
        &mut self,
        ctx: &mut VrCtx<'_>,
        from: NodeId,
        view: u64,
        log: &[Entry],
        commit_number: u64,
    ) {
        assert_eq!(
            from,
            self.primary_of(view),
            "only a view's primary starts it"
        );
        if view < ctx.durable.view {
            return;
        }
        if view == ctx.durable.view && self.role.is_normal() {
            return; // a duplicate: this replica is in the view already
        }
        if view > ctx.durable.view {
            self.move_to_view(ctx, view);
        }
        self.install_log(ctx, 0, log);
        self.become_normal(ctx, from);
        let held = ctx.durable.op_number();
        self.advance_commit(ctx, commit_number.min(held));
        // Tells the primary what this backup holds, so it can commit the ops it inherited.
        ctx.send(
            from,
            VrMsg::PrepareOk {
                view,
                op_number: held,
            },
        );
    }
}
