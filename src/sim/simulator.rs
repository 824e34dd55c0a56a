//! The run loop: pop the earliest event, hand it to a node, apply the node's effects, check
//! the invariants, repeat — until the end time, a violation, or a hard limit.

use std::hash::Hash;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::fault::{Fault, FaultAction, LinkChange, Selector};
use super::outcome::{Expectations, Outcome, RunReport, RunStats};
use super::prng::{Prng, Stream};
use super::queue::EventQueue;
use super::recording::{DropReason, NodeEventKind, Recorder, Recording, Retention};
use super::time::format_ms;
use super::timers::{NodeTimers, TimerEvent};
use super::trace::{Trace, TraceSink};
use super::workload::{ClientTarget, Workload};
use crate::check::{paranoid_verdict, Checker, ParanoidChecker, Violation};
use crate::net::{LinkModel, Network, Route, Topology};
use crate::protocol::{
    ClientReply, ClusterView, Command, Ctx, NodeId, NodeStates, Observation, Outbox, Protocol,
    TimerOp,
};

/// Everything about a run except the protocol's own configuration.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub node_count: u16,
    pub seed: u64,
    /// The run ends at this virtual time.
    pub duration_us: u64,
    /// Hard limit on steps; reaching it is the `LimitReached` outcome, never a hang.
    pub max_steps: u64,
    /// Hard limit on messages in flight at once (a protocol flooding the network).
    pub max_in_flight: u64,
    pub links: LinkModel,
    pub workload: Option<Workload>,
    /// The fault schedule, in any order; it is sorted by time (stably) at the start.
    pub faults: Vec<Fault>,
    pub expect: Expectations,
    /// Also run the naive from-scratch checker after every observation and report any
    /// disagreement with the incremental one (slow; for checking the checker).
    pub paranoid: bool,
}

enum Event<M, T> {
    Boot {
        node: NodeId,
    },
    Deliver {
        from: NodeId,
        to: NodeId,
        incarnation: u32,
        msg: M,
    },
    Timer {
        node: NodeId,
        incarnation: u32,
        timer: T,
        generation: u64,
    },
    Client,
    Fault {
        index: usize,
    },
    LivenessDeadline,
}

struct NodeSlot<P: Protocol> {
    state: Option<P>,
    durable: P::Durable,
    /// Bumped at every crash; messages and timers addressed to an older incarnation are lost.
    incarnation: u32,
    /// Order in which the node last crashed, for the `crashed` selector.
    crash_order: u64,
    timers: NodeTimers<P::Timer>,
    rng: Prng,
}

/// A deterministic simulation of `node_count` nodes running protocol `P`.
pub struct Simulator<P: Protocol> {
    config: SimConfig,
    protocol_config: P::Config,
    now_us: u64,
    step: u64,
    queue: EventQueue<Event<P::Msg, P::Timer>>,
    nodes: Vec<NodeSlot<P>>,
    alive: Vec<bool>,
    network: Network,
    fault_rng: Prng,
    workload_rng: Prng,
    checker: Checker,
    paranoid: Option<ParanoidChecker>,
    trace: Trace,
    outbox: Outbox<P>,
    stats: RunStats,
    in_flight: u64,
    timer_generation_next: u64,
    crash_order_next: u64,
    command_id_next: u64,
    last_fault_us: u64,
    faults_applied: usize,
    /// The committed prefix when the last fault was applied (0 without faults).
    committed_at_last_fault: u64,
    /// The node whose handler is running, for reporting a panic outside the handler itself.
    node_in_step: Option<NodeId>,
    leadership_changed: bool,
    liveness_checked: bool,
    /// The leader a live quorum acknowledges now, its term, and since when — tracked from
    /// the last fault until the liveness deadline.
    established: Option<(NodeId, u64, u64)>,
    /// Since when the leader standing at the deadline had been established.
    leader_established_us: Option<u64>,
    /// When a leader was first established after the last fault.
    first_leader_established_us: Option<u64>,
    expectation_failures: Vec<String>,
    outcome: Option<Outcome>,
    /// Structured events for pictures; `None` (the default) costs one branch per hook.
    recorder: Option<Box<Recorder>>,
}

impl<P: Protocol> Simulator<P> {
    pub fn new(mut config: SimConfig, protocol_config: P::Config, sink: TraceSink) -> Self {
        assert!(config.node_count > 0, "a cluster needs at least one node");
        config.faults.sort_by_key(|fault| fault.at_us);
        let seed = config.seed;
        let nodes = (0..config.node_count)
            .map(|index| NodeSlot {
                state: None,
                durable: P::Durable::default(),
                incarnation: 0,
                crash_order: 0,
                timers: NodeTimers::default(),
                rng: Prng::new(seed, Stream::Node(index)),
            })
            .collect();
        let network = Network::new(
            Topology::full_mesh(config.node_count),
            config.links,
            Prng::new(seed, Stream::Network),
        );
        Simulator {
            last_fault_us: config.faults.last().map_or(0, |fault| fault.at_us),
            alive: vec![false; usize::from(config.node_count)],
            checker: Checker::new(config.node_count),
            paranoid: config
                .paranoid
                .then(|| ParanoidChecker::new(config.node_count)),
            nodes,
            network,
            fault_rng: Prng::new(seed, Stream::Faults),
            workload_rng: Prng::new(seed, Stream::Workload),
            config,
            protocol_config,
            now_us: 0,
            step: 0,
            queue: EventQueue::default(),
            trace: Trace::new(sink),
            outbox: Outbox::default(),
            stats: RunStats::default(),
            in_flight: 0,
            timer_generation_next: 0,
            crash_order_next: 0,
            command_id_next: 1,
            faults_applied: 0,
            committed_at_last_fault: 0,
            node_in_step: None,
            leadership_changed: false,
            liveness_checked: false,
            established: None,
            leader_established_us: None,
            first_leader_established_us: None,
            expectation_failures: Vec::new(),
            outcome: None,
            recorder: None,
        }
    }

    /// Runs to the end and reports. Consumes the simulator: a run happens once.
    pub fn run(self) -> RunReport {
        self.run_to_end().0
    }

    /// Runs to the end like [`Simulator::run`], and also records the messages, timers,
    /// crashes, restarts, faults and observations that `retention` keeps, for pictures. The
    /// trace hash is the same.
    pub fn run_recorded(mut self, retention: Retention) -> (RunReport, Recording) {
        let recorder = Recorder::new(P::NAME, self.config.node_count, retention);
        self.recorder = Some(Box::new(recorder));
        let (report, recording) = self.run_to_end();
        (report, recording.expect("the recorder was switched on"))
    }

    fn run_to_end(mut self) -> (RunReport, Option<Recording>) {
        self.schedule_start();
        while self.outcome.is_none() {
            self.stats.queue_pops += 1;
            self.stats.queue_depth_sum += self.queue.len() as u64;
            let Some((at_us, event)) = self.queue.pop() else {
                // Nothing left to happen (every node down, no workload): time runs out.
                self.now_us = self.config.duration_us;
                break;
            };
            if at_us > self.config.duration_us {
                self.now_us = self.config.duration_us;
                break;
            }
            self.now_us = at_us;
            // One catch for the whole step: a panic in a handler, in a local check, or in a
            // user type's Clone, Hash or Debug called by the engine is a reported outcome.
            let stepped = catch_unwind(AssertUnwindSafe(|| {
                self.dispatch(event);
                self.maybe_note_established_leader();
            }));
            if let Err(payload) = stepped {
                let message = super::panic::describe(payload.as_ref());
                self.panicked(self.node_in_step, message);
            }
        }
        let recording = self
            .recorder
            .take()
            .map(|recorder| recorder.finish(self.now_us));
        (self.finish(), recording)
    }

    fn schedule_start(&mut self) {
        // Every node is up from time zero, so messages sent while the others boot are not
        // lost for being sent to a node whose boot comes later in the queue; boots precede
        // any delivery, which is queued after them.
        self.alive.fill(true);
        for index in 0..self.config.node_count {
            self.queue.push(
                0,
                Event::Boot {
                    node: NodeId(index),
                },
            );
        }
        for index in 0..self.config.faults.len() {
            self.queue
                .push(self.config.faults[index].at_us, Event::Fault { index });
        }
        if let Some(workload) = self.config.workload {
            if workload.start_us <= workload.stop_us {
                self.queue.push(workload.start_us, Event::Client);
            }
        }
        if let Some(within_us) = self.config.expect.leader_within_us {
            // One microsecond late, so every event at the deadline itself counts before it.
            let deadline_us = self.last_fault_us.saturating_add(within_us);
            self.queue
                .push(deadline_us.saturating_add(1), Event::LivenessDeadline);
        }
    }

    fn dispatch(&mut self, event: Event<P::Msg, P::Timer>) {
        match event {
            Event::Boot { node } => {
                if self.begin_step() {
                    self.record(&(1u8, node, false), || format!("{node} boot"));
                    self.run_handler(node, false, |state, config, ctx| {
                        *state = Some(P::on_start(config, ctx));
                    });
                }
            }
            Event::Deliver {
                from,
                to,
                incarnation,
                msg,
            } => self.on_deliver(from, to, incarnation, msg),
            Event::Timer {
                node,
                incarnation,
                timer,
                generation,
            } => self.on_timer_event(node, incarnation, timer, generation),
            Event::Client => self.on_client_event(),
            Event::Fault { index } => {
                if self.begin_step() {
                    self.apply_fault(index);
                }
            }
            Event::LivenessDeadline => self.on_liveness_deadline(),
        }
    }

    /// Counts a step, or ends the run if the step limit is reached.
    fn begin_step(&mut self) -> bool {
        if self.step >= self.config.max_steps {
            self.outcome = Some(Outcome::LimitReached {
                limit: format!(
                    "max_steps = {} reached before the end time",
                    self.config.max_steps
                ),
                step: self.step,
                at_us: self.now_us,
            });
            return false;
        }
        self.step += 1;
        self.trace.begin_step(self.step, self.now_us);
        true
    }

    fn on_deliver(&mut self, from: NodeId, to: NodeId, incarnation: u32, msg: P::Msg) {
        self.in_flight -= 1;
        let slot = &self.nodes[to.index()];
        if !self.alive[to.index()] || slot.incarnation != incarnation {
            self.stats.messages_dropped_down += 1;
            if let Some(recorder) = self.recorder.as_deref_mut() {
                recorder.arrived(from, to, self.now_us, Err(DropReason::ReceiverCrashed));
            }
            // Not a step: the record carries the time itself.
            self.record(&(8u8, from, to, self.now_us), || {
                format!("{from} -> {to} lost: {to} crashed")
            });
            return;
        }
        // A partition that began while the message was in flight cuts it too.
        if !self.network.topology.connected(from, to) {
            self.stats.messages_dropped_partition += 1;
            if let Some(recorder) = self.recorder.as_deref_mut() {
                recorder.arrived(from, to, self.now_us, Err(DropReason::LinkCutInFlight));
            }
            self.record(&(9u8, from, to, self.now_us), || {
                format!("{from} -> {to} lost in flight: link cut")
            });
            return;
        }
        if !self.begin_step() {
            return;
        }
        self.stats.messages_delivered += 1;
        if let Some(recorder) = self.recorder.as_deref_mut() {
            recorder.arrived(from, to, self.now_us, Ok(()));
        }
        self.record(&(2u8, from, to, &msg), || format!("{to} <- {from} {msg:?}"));
        self.run_handler(to, false, |state, _, ctx| {
            let state = state.as_mut().expect("deliveries only reach live nodes");
            state.on_message(ctx, from, msg);
        });
    }

    fn on_timer_event(&mut self, node: NodeId, incarnation: u32, timer: P::Timer, generation: u64) {
        let slot = &mut self.nodes[node.index()];
        if slot.incarnation != incarnation || !self.alive[node.index()] {
            return;
        }
        match slot.timers.on_event(timer, generation) {
            TimerEvent::Fire => {}
            TimerEvent::Requeue {
                at_us,
                seq,
                generation,
            } => {
                self.queue_timer(node, timer, generation, at_us, seq);
                return; // re-armed since it was queued: not a step
            }
            TimerEvent::Stale => return, // cancelled or re-armed earlier: not a step
        }
        if !self.begin_step() {
            return;
        }
        self.stats.timers_fired += 1;
        if let Some(recorder) = self.recorder.as_deref_mut() {
            recorder.timer(node, self.now_us, &timer);
        }
        self.record(&(3u8, node, timer), || format!("{node} timer {timer:?}"));
        self.run_handler(node, false, |state, _, ctx| {
            let state = state.as_mut().expect("timers only fire on live nodes");
            state.on_timer(ctx, timer);
        });
    }

    fn on_client_event(&mut self) {
        let Some(workload) = self.config.workload else {
            return;
        };
        let next_us = self.now_us.saturating_add(
            self.workload_rng
                .range_inclusive(workload.interval_us_min, workload.interval_us_max),
        );
        if next_us <= workload.stop_us {
            self.queue.push(next_us, Event::Client);
        }
        let target = match workload.target {
            ClientTarget::Leader => self.checker.current_leader(&self.alive),
            ClientTarget::Random => None,
        };
        let Some(node) = target.or_else(|| self.pick_live(&[], false, Stream::Workload)) else {
            return; // every node is down: the client's request goes nowhere
        };
        if !self.begin_step() {
            return;
        }
        let command = Command {
            id: self.command_id_next,
            key: self
                .workload_rng
                .below(u64::from(workload.key_count.max(1))) as u32,
            value: self.command_id_next,
        };
        self.command_id_next += 1;
        self.stats.client_requests += 1;
        self.record(&(4u8, node, command), || {
            format!("{node} <- client {command:?}")
        });
        let reply = self.run_handler(node, false, |state, _, ctx| {
            let state = state.as_mut().expect("clients only reach live nodes");
            state.on_client_request(ctx, command)
        });
        if reply == ClientReply::Accepted {
            self.stats.client_accepted += 1;
        }
        self.record(&(5u8, node, reply), || {
            format!("{node} -> client {reply:?}")
        });
    }

    /// The leader expectation: at the deadline, a leader acknowledged by a live quorum must
    /// stand, established at or after the last fault. A leader that stood at the fault and was
    /// deposed right after does not count; the one that replaced it does.
    fn on_liveness_deadline(&mut self) {
        if self.liveness_checked {
            return;
        }
        self.liveness_checked = true;
        match self.established {
            Some((_, _, since_us)) => self.leader_established_us = Some(since_us),
            None => {
                let within_us = self.config.expect.leader_within_us.unwrap_or(0);
                self.expectation_failures.push(format!(
                    "no leader acknowledged by a live quorum {} after the last fault (at {})",
                    format_ms(within_us),
                    format_ms(self.last_fault_us)
                ));
            }
        }
    }

    /// Calls one handler of `node` (`handler` gets its state slot, the protocol's
    /// configuration and the context), then applies its effects and checks. A panic on the
    /// way is caught by the run loop, which learns the node from `node_in_step`. A closure
    /// rather than an enum of inputs: a message then goes straight to `on_message` instead of
    /// being copied into an input and out again.
    fn run_handler<R>(
        &mut self,
        node: NodeId,
        is_restart: bool,
        handler: impl FnOnce(&mut Option<P>, &P::Config, &mut Ctx<'_, P>) -> R,
    ) -> R {
        self.node_in_step = Some(node);
        let node_count = self.config.node_count;
        let now_us = self.now_us;
        let protocol_config = &self.protocol_config;
        let slot = &mut self.nodes[node.index()];
        let mut ctx = Ctx::new(
            node,
            node_count,
            now_us,
            is_restart,
            &mut slot.durable,
            &mut slot.rng,
            &mut self.outbox,
        );
        let reply = handler(&mut slot.state, protocol_config, &mut ctx);
        self.apply_outbox(node);
        self.check_local(node);
        self.node_in_step = None;
        reply
    }

    fn apply_outbox(&mut self, node: NodeId) {
        // Observations and timer changes are `Copy`: read in place, so the outbox is not
        // taken and rebuilt every step (profiling put that at 3% of a run). Only the messages
        // are moved out.
        for position in 0..self.outbox.observations.len() {
            let observation = self.outbox.observations[position];
            self.on_observation(node, observation);
        }
        self.outbox.observations.clear();
        for position in 0..self.outbox.timers.len() {
            let op = self.outbox.timers[position];
            self.apply_timer_op(node, op);
        }
        self.outbox.timers.clear();
        let mut sends = std::mem::take(&mut self.outbox.sends);
        for (to, msg) in sends.drain(..) {
            self.send(node, to, msg);
        }
        self.outbox.sends = sends;
    }

    fn on_observation(&mut self, node: NodeId, observation: Observation) {
        if let Some(recorder) = self.recorder.as_deref_mut() {
            recorder.observation(node, self.now_us, self.step, observation);
        }
        self.record(&(6u8, node, observation), || {
            format!("{node} observe {observation:?}")
        });
        if matches!(
            observation,
            Observation::BecameLeader { .. }
                | Observation::SteppedDown { .. }
                | Observation::Following { .. }
                | Observation::StoppedFollowing { .. }
        ) {
            self.leadership_changed = true;
        }
        let mut verdict = self.checker.observe(node, &observation, self.now_us);
        if let Some(paranoid) = &mut self.paranoid {
            verdict = paranoid_verdict(verdict, paranoid.observe(node, &observation));
        }
        if let Err(violation) = verdict {
            self.fail(violation);
        }
    }

    fn check_local(&mut self, node: NodeId) {
        let slot = &self.nodes[node.index()];
        let Some(state) = &slot.state else {
            return;
        };
        let verdict = state.check_local(&slot.durable).and_then(|()| {
            let table = NodeTable(&self.nodes);
            state.check_cluster(&ClusterView::new(&table))
        });
        if let Err(local) = verdict {
            self.fail(Violation {
                invariant: local.invariant,
                nodes: vec![node],
                detail: local.detail,
            });
        }
    }

    /// Ends the run with a `Panic` outcome for `node` (None: outside any handler).
    fn panicked(&mut self, node: Option<NodeId>, message: String) {
        self.outcome = Some(Outcome::Panic {
            node,
            message,
            step: self.step,
            at_us: self.now_us,
        });
    }

    /// Records the first violation; the loop stops before the next event.
    fn fail(&mut self, violation: Violation) {
        // A violation found in the same step as a hard limit wins: it is the better finding.
        if matches!(self.outcome, None | Some(Outcome::LimitReached { .. })) {
            self.outcome = Some(Outcome::Violation {
                violation,
                step: self.step,
                at_us: self.now_us,
            });
        }
    }

    fn apply_timer_op(&mut self, node: NodeId, op: TimerOp<P::Timer>) {
        let slot = &mut self.nodes[node.index()];
        match op {
            TimerOp::Set { timer, delay_us } => {
                let generation = self.timer_generation_next;
                self.timer_generation_next += 1;
                let at_us = self.now_us.saturating_add(delay_us);
                let seq = self.queue.reserve_seq();
                if slot.timers.set(timer, at_us, seq, generation) {
                    self.queue_timer(node, timer, generation, at_us, seq);
                }
            }
            TimerOp::Cancel { timer } => slot.timers.cancel(timer),
        }
    }

    /// Queues the event that carries `node`'s `timer` (of its current incarnation) to
    /// `at_us`, ordered by `seq`, the sequence number reserved when the timer was armed.
    fn queue_timer(
        &mut self,
        node: NodeId,
        timer: P::Timer,
        generation: u64,
        at_us: u64,
        seq: u64,
    ) {
        let incarnation = self.nodes[node.index()].incarnation;
        let event = Event::Timer {
            node,
            incarnation,
            timer,
            generation,
        };
        self.queue.push_reserved(at_us, seq, event);
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: P::Msg) {
        if to.index() >= self.nodes.len() {
            // A protocol bug, reported like a panic in its handler.
            let message = format!(
                "{from} sent a message to {to}, which is not in this {}-node cluster",
                self.nodes.len()
            );
            self.panicked(Some(from), message);
            return;
        }
        self.stats.messages_sent += 1;
        if !self.alive[to.index()] {
            self.stats.messages_dropped_down += 1;
            if let Some(recorder) = self.recorder.as_deref_mut() {
                let fate = Err(DropReason::ReceiverDown);
                recorder.sent(from, to, self.now_us, &msg, fate, None);
            }
            self.record(&(10u8, from, to), || {
                format!("{from} -> {to} dropped: {to} is down")
            });
            return;
        }
        match self.network.route(from, to) {
            Route::Dropped { partitioned } => {
                if partitioned {
                    self.stats.messages_dropped_partition += 1;
                } else {
                    self.stats.messages_dropped_loss += 1;
                }
                if let Some(recorder) = self.recorder.as_deref_mut() {
                    let why = if partitioned {
                        DropReason::LinkCut
                    } else {
                        DropReason::RandomLoss
                    };
                    recorder.sent(from, to, self.now_us, &msg, Err(why), None);
                }
                self.record(&(11u8, from, to, partitioned), || {
                    let why = if partitioned { "link cut" } else { "lost" };
                    format!("{from} -> {to} dropped ({why}): {msg:?}")
                });
            }
            Route::Deliver {
                delay_us,
                duplicate_delay_us,
            } => {
                if let Some(recorder) = self.recorder.as_deref_mut() {
                    let fate = Ok(delay_us);
                    recorder.sent(from, to, self.now_us, &msg, fate, duplicate_delay_us);
                }
                // Text only: a message that arrives is hashed on arrival (sender, receiver,
                // contents, and its time, which is the send time plus this delay), and one
                // lost on the way gets a record then; hashing the send as well cost a tenth
                // of the trace hash's work and detected nothing more.
                self.note(|| format!("{from} -> {to} in {}: {msg:?}", format_ms(delay_us)));
                if let Some(duplicate_us) = duplicate_delay_us {
                    self.stats.messages_duplicated += 1;
                    self.note(|| {
                        format!(
                            "{from} -> {to} duplicated, copy in {}",
                            format_ms(duplicate_us)
                        )
                    });
                    self.enqueue_delivery(from, to, duplicate_us, msg.clone());
                }
                self.enqueue_delivery(from, to, delay_us, msg);
            }
        }
    }

    fn enqueue_delivery(&mut self, from: NodeId, to: NodeId, delay_us: u64, msg: P::Msg) {
        self.in_flight += 1;
        if self.in_flight > self.config.max_in_flight && self.outcome.is_none() {
            self.outcome = Some(Outcome::LimitReached {
                limit: format!("more than {} messages in flight", self.config.max_in_flight),
                step: self.step,
                at_us: self.now_us,
            });
        }
        let incarnation = self.nodes[to.index()].incarnation;
        self.queue.push(
            self.now_us.saturating_add(delay_us),
            Event::Deliver {
                from,
                to,
                incarnation,
                msg,
            },
        );
    }

    fn apply_fault(&mut self, index: usize) {
        let action = self.config.faults[index].action.clone();
        self.record(&(14u8, index as u64), || format!("fault {action}"));
        let recorded_text = self.recorder.is_some().then(|| action.to_string());
        match action {
            FaultAction::Crash(selector) => match self.resolve(selector, &[]) {
                Some(node) if self.alive[node.index()] => self.crash(node),
                other => self.skip_fault(&action, other),
            },
            FaultAction::Restart(selector) => match self.resolve(selector, &[]) {
                Some(node) if !self.alive[node.index()] => self.restart(node),
                other => self.skip_fault(&action, other),
            },
            FaultAction::Isolate(selector) => match self.resolve(selector, &[]) {
                Some(node) => {
                    self.network.topology.isolate(node);
                    self.record(&(15u8, node), || format!("isolated {node}"));
                }
                None => self.skip_fault(&action, None),
            },
            FaultAction::Partition(groups) => self.partition(&groups),
            FaultAction::Cut { from, to } => {
                // The two sides are resolved independently: "cut every node -> leader" must
                // reach the leader even though it is also among the senders.
                let from = self.resolve_all(&from, &mut Vec::new());
                let to = self.resolve_all(&to, &mut Vec::new());
                self.network.topology.cut(&from, &to);
                self.record(&(16u8, &from, &to), || {
                    format!("cut {} -> {}", node_list(&from), node_list(&to))
                });
            }
            FaultAction::Heal => self.network.topology.heal(),
            FaultAction::SetLinks(change) => self.set_links(change),
        }
        if let Some(text) = recorded_text {
            self.record_fault(text);
        }
        self.faults_applied += 1;
        if self.faults_applied == self.config.faults.len() {
            self.committed_at_last_fault = self.checker.committed_count();
        }
        self.leadership_changed = true;
    }

    /// Notes an applied fault and the links down after it, for a recording.
    fn record_fault(&mut self, text: String) {
        let topology = &self.network.topology;
        let nodes = (0..self.config.node_count).map(NodeId);
        let links_down: Vec<(NodeId, NodeId)> = nodes
            .clone()
            .flat_map(|from| nodes.clone().map(move |to| (from, to)))
            .filter(|&(from, to)| !topology.connected(from, to))
            .collect();
        if let Some(recorder) = self.recorder.as_deref_mut() {
            recorder.fault(self.now_us, self.step, text);
            recorder.connectivity(self.now_us, links_down);
        }
    }

    fn skip_fault(&mut self, action: &FaultAction, resolved: Option<NodeId>) {
        self.stats.faults_skipped += 1;
        self.record(&(17u8, resolved), || match resolved {
            Some(node) => format!("fault {action} skipped: {node} is not in a state it applies to"),
            None => format!("fault {action} skipped: no node matches"),
        });
    }

    fn crash(&mut self, node: NodeId) {
        let slot = &mut self.nodes[node.index()];
        slot.state = None;
        slot.incarnation += 1;
        slot.timers.clear();
        slot.crash_order = self.crash_order_next;
        self.crash_order_next += 1;
        self.alive[node.index()] = false;
        self.checker.on_crash(node);
        if let Some(paranoid) = &mut self.paranoid {
            paranoid.on_crash(node);
        }
        self.stats.crashes += 1;
        if let Some(recorder) = self.recorder.as_deref_mut() {
            recorder.node_event(node, self.now_us, NodeEventKind::Crashed);
        }
        self.record(&(18u8, node), || format!("{node} crashed"));
    }

    fn restart(&mut self, node: NodeId) {
        self.alive[node.index()] = true;
        self.stats.restarts += 1;
        if let Some(recorder) = self.recorder.as_deref_mut() {
            recorder.node_event(node, self.now_us, NodeEventKind::Restarted);
        }
        self.record(&(1u8, node, true), || format!("{node} restart"));
        self.run_handler(node, true, |state, config, ctx| {
            *state = Some(P::on_start(config, ctx));
        });
    }

    /// Explicit ids are placed first, in every group, so a role selector ("leader",
    /// "random", …) never picks a node another group names by id: no node is in two groups.
    fn partition(&mut self, groups: &[Vec<Selector>]) {
        let mut placed: Vec<NodeId> = groups
            .iter()
            .flatten()
            .filter_map(|selector| match selector {
                Selector::Node(node) => Some(*node),
                _ => None,
            })
            .collect();
        let mut resolved: Vec<Vec<NodeId>> = Vec::with_capacity(groups.len());
        for group in groups {
            let mut nodes: Vec<NodeId> = group
                .iter()
                .filter_map(|selector| match selector {
                    Selector::Node(node) => Some(*node),
                    _ => None,
                })
                .collect();
            let roles: Vec<Selector> = group
                .iter()
                .copied()
                .filter(|selector| !matches!(selector, Selector::Node(_)))
                .collect();
            nodes.extend(self.resolve_all(&roles, &mut placed));
            resolved.push(nodes);
        }
        if let Some(rest_group) = groups.iter().position(|g| g.contains(&Selector::Rest)) {
            let rest = (0..self.config.node_count)
                .map(NodeId)
                .filter(|node| !placed.contains(node));
            resolved[rest_group].extend(rest);
        }
        self.network.topology.heal();
        self.network.topology.partition(&resolved);
        self.record(&(19u8, &resolved), || {
            let groups: Vec<String> = resolved.iter().map(|group| node_list(group)).collect();
            format!("partitioned into {}", groups.join(" | "))
        });
    }

    fn set_links(&mut self, change: LinkChange) {
        let model = &mut self.network.model;
        model.drop = change.drop.unwrap_or(model.drop);
        model.duplicate = change.duplicate.unwrap_or(model.duplicate);
        model.latency_us_min = change.latency_us_min.unwrap_or(model.latency_us_min);
        model.latency_us_max = change.latency_us_max.unwrap_or(model.latency_us_max);
        model.latency_us_max = model.latency_us_max.max(model.latency_us_min);
    }

    /// Resolves every selector except `Rest`, skipping those that match nothing or a node
    /// already placed; adds what it resolves to `placed`.
    fn resolve_all(&mut self, selectors: &[Selector], placed: &mut Vec<NodeId>) -> Vec<NodeId> {
        let mut nodes = Vec::new();
        for &selector in selectors {
            if selector == Selector::Rest {
                continue;
            }
            if let Some(node) = self.resolve(selector, placed) {
                if !nodes.contains(&node) {
                    nodes.push(node);
                    if !placed.contains(&node) {
                        placed.push(node);
                    }
                }
            }
        }
        nodes
    }

    fn resolve(&mut self, selector: Selector, placed: &[NodeId]) -> Option<NodeId> {
        match selector {
            Selector::Node(node) => Some(node),
            Selector::Leader => self
                .checker
                .current_leader(&self.alive)
                .filter(|node| !placed.contains(node)),
            Selector::Follower => {
                let mut excluded = placed.to_vec();
                excluded.extend(self.checker.current_leader(&self.alive));
                self.pick_live(&excluded, false, Stream::Faults)
            }
            Selector::Random => self.pick_live(placed, false, Stream::Faults),
            Selector::Crashed => self.pick_live(placed, true, Stream::Faults),
            Selector::Rest => None,
        }
    }

    /// A random live node not in `excluded` — or, with `crashed`, the crashed node that went
    /// down first (deterministic, so "crash leader … restart crashed" pairs up).
    fn pick_live(&mut self, excluded: &[NodeId], crashed: bool, stream: Stream) -> Option<NodeId> {
        let candidates: Vec<NodeId> = (0..self.config.node_count)
            .map(NodeId)
            .filter(|node| self.alive[node.index()] != crashed && !excluded.contains(node))
            .collect();
        if crashed {
            return candidates
                .into_iter()
                .min_by_key(|node| self.nodes[node.index()].crash_order);
        }
        if candidates.is_empty() {
            return None;
        }
        let rng = match stream {
            Stream::Workload => &mut self.workload_rng,
            _ => &mut self.fault_rng,
        };
        Some(candidates[rng.index(candidates.len())])
    }

    fn maybe_note_established_leader(&mut self) {
        if !self.leadership_changed {
            return;
        }
        self.leadership_changed = false;
        // Tracking starts once every fault has been applied (two faults at the same time must
        // not credit the first with a leader the second takes away) and stops at the deadline.
        if self.liveness_checked || self.faults_applied < self.config.faults.len() {
            return;
        }
        let topology = &self.network.topology;
        let now = self
            .checker
            .established_leader(&self.alive, |from, to| topology.connected(from, to));
        let before = self.established.map(|(leader, term, _)| (leader, term));
        if now == before {
            return;
        }
        self.established = now.map(|(leader, term)| (leader, term, self.now_us));
        if now.is_some() && self.first_leader_established_us.is_none() {
            self.first_leader_established_us = Some(self.now_us);
        }
        self.record(&(20u8, now), || match now {
            Some((leader, term)) => {
                format!("leader {leader} of term {term} acknowledged by a live quorum")
            }
            None => "no leader acknowledged by a live quorum".to_string(),
        });
    }

    /// Folds a record into the trace hash and, when someone watches, writes its line. Inside
    /// a step the step's number and time are already in the hash (see `begin_step`); a record
    /// made outside one carries its time itself.
    fn record<H: Hash>(&mut self, record: &H, text: impl FnOnce() -> String) {
        self.trace.record(record);
        self.note(text);
    }

    /// Writes a trace line, when someone watches, without hashing anything.
    fn note(&mut self, text: impl FnOnce() -> String) {
        if self.trace.wants_text() {
            let line = format!(
                "#{:<7} {:>12} {}",
                self.step,
                format_ms(self.now_us),
                text()
            );
            self.trace.line(line);
        }
    }

    fn finish(mut self) -> RunReport {
        if self.outcome.is_none() {
            if !self.liveness_checked && self.config.expect.leader_within_us.is_some() {
                self.on_liveness_deadline();
            }
            if let Some(commits_min) = self.config.expect.commits_min {
                let committed = self.checker.committed_count();
                if committed < commits_min {
                    self.expectation_failures.push(format!(
                        "{committed} entries committed, expected at least {commits_min}"
                    ));
                }
            }
            if let Some(after_min) = self.config.expect.commits_after_last_fault_min {
                let after = self.checker.committed_count() - self.committed_at_last_fault;
                if after < after_min {
                    self.expectation_failures.push(format!(
                        "{after} entries committed after the last fault (at {}), expected at least {after_min}",
                        format_ms(self.last_fault_us)
                    ));
                }
            }
        }
        let outcome = match self.outcome.take() {
            Some(outcome) => outcome,
            None if self.expectation_failures.is_empty() => Outcome::Pass,
            None => Outcome::ExpectationFailed {
                reasons: std::mem::take(&mut self.expectation_failures),
            },
        };
        let summary = format!("end: {}", outcome.kind());
        self.record(&(21u8, outcome.kind(), self.now_us), || summary);
        self.trace.flush();
        RunReport {
            protocol: P::NAME,
            node_count: self.config.node_count,
            seed: self.config.seed,
            outcome,
            steps: self.step,
            end_us: self.now_us,
            trace_hash: self.trace.hash(),
            leaders: self.checker.leaders().values().copied().collect(),
            committed: self.checker.committed_count(),
            leader_established_us: self.leader_established_us,
            first_leader_established_us: self.first_leader_established_us,
            stats: self.stats,
            trace_tail: self.trace.take_tail(),
        }
    }
}

/// The node table as a [`ClusterView`] reads it.
struct NodeTable<'a, P: Protocol>(&'a [NodeSlot<P>]);

impl<P: Protocol> NodeStates<P> for NodeTable<'_, P> {
    fn node_count(&self) -> u16 {
        self.0.len() as u16
    }

    fn live(&self, node: NodeId) -> Option<&P> {
        self.0[node.index()].state.as_ref()
    }

    fn durable(&self, node: NodeId) -> &P::Durable {
        &self.0[node.index()].durable
    }
}

/// `[n0, n3]`: nodes as the trace names them everywhere else.
fn node_list(nodes: &[NodeId]) -> String {
    let names: Vec<String> = nodes.iter().map(ToString::to_string).collect();
    format!("[{}]", names.join(", "))
}
