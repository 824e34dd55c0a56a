//! The run loop: pop the earliest event, hand it to a node, apply the node's effects, check
//! the invariants, repeat — until the end time, a violation, or a hard limit.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::engine::{Engine, Event};
use super::fault::{Fault, FaultAction, LinkChange, Selector};
use super::outcome::{Expectations, Outcome, RunReport, RunStats};
use super::queue::EventQueue;
use super::recording::{DropReason, NodeEventKind, Recorder, Recording, Retention};
use super::timers::{NodeTimers, TimerEvent};
use super::trace::{Trace, TraceSink, TraceTag};
use super::workload::{ClientTarget, Workload};
use crate::check::{Checker, ParanoidChecker, Violation};
use crate::net::{LinkModel, Network, Topology};
use crate::prng::{Prng, Stream};
use crate::protocol::{
    ClientReply, ClusterView, Command, Ctx, LocalViolation, NodeId, NodeStates, Protocol,
};
use crate::time::format_ms;

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

struct NodeSlot<P: Protocol> {
    state: Option<P>,
    durable: P::Durable,
    /// Order in which the node last crashed, for the `crashed` selector.
    crash_order: u64,
    rng: Prng,
}

/// A deterministic simulation of `node_count` nodes running protocol `P`.
pub struct Simulator<P: Protocol> {
    config: SimConfig,
    protocol_config: P::Config,
    nodes: Vec<NodeSlot<P>>,
    /// Everything else a step touches; handlers' effects go straight to it.
    engine: Engine<P>,
    fault_rng: Prng,
    workload_rng: Prng,
    crash_order_next: u64,
    command_id_next: u64,
    last_fault_us: u64,
    faults_applied: usize,
    /// The committed prefix when the last fault was applied (0 without faults).
    committed_at_last_fault: u64,
    liveness_checked: bool,
    /// The leader a live quorum acknowledges now, its term, and since when — tracked from
    /// the last fault until the liveness deadline.
    established: Option<(NodeId, u64, u64)>,
    /// Since when the leader standing at the deadline had been established.
    leader_established_us: Option<u64>,
    /// When a leader was first established after the last fault.
    first_leader_established_us: Option<u64>,
    expectation_failures: Vec<String>,
}

impl<P: Protocol> Simulator<P> {
    pub fn new(mut config: SimConfig, protocol_config: P::Config, sink: TraceSink) -> Self {
        assert!(config.node_count > 0, "a cluster needs at least one node");
        config.faults.sort_by_key(|fault| fault.at_us);
        let seed = config.seed;
        let node_count = usize::from(config.node_count);
        let nodes = (0..config.node_count)
            .map(|index| NodeSlot {
                state: None,
                durable: P::Durable::default(),
                crash_order: 0,
                rng: Prng::new(seed, Stream::Node(index)),
            })
            .collect();
        let engine = Engine {
            now_us: 0,
            step: 0,
            max_steps: config.max_steps,
            max_in_flight: config.max_in_flight,
            queue: EventQueue::default(),
            network: Network::new(
                Topology::full_mesh(config.node_count),
                config.links,
                Prng::new(seed, Stream::Network),
            ),
            alive: vec![false; node_count],
            incarnations: vec![0; node_count],
            timers: (0..node_count).map(|_| NodeTimers::default()).collect(),
            checker: Checker::new(config.node_count),
            paranoid: config
                .paranoid
                .then(|| ParanoidChecker::new(config.node_count)),
            trace: Trace::new(sink),
            stats: RunStats::default(),
            in_flight: 0,
            timer_generation_next: 0,
            node_in_step: None,
            leadership_changed: false,
            current_leader_cached: None,
            outcome: None,
            recorder: None,
        };
        Simulator {
            last_fault_us: config.faults.last().map_or(0, |fault| fault.at_us),
            nodes,
            engine,
            fault_rng: Prng::new(seed, Stream::Faults),
            workload_rng: Prng::new(seed, Stream::Workload),
            config,
            protocol_config,
            crash_order_next: 0,
            command_id_next: 1,
            faults_applied: 0,
            committed_at_last_fault: 0,
            liveness_checked: false,
            established: None,
            leader_established_us: None,
            first_leader_established_us: None,
            expectation_failures: Vec::new(),
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
        self.engine.recorder = Some(Box::new(recorder));
        let (report, recording) = self.run_to_end();
        (report, recording.expect("the recorder was switched on"))
    }

    fn run_to_end(mut self) -> (RunReport, Option<Recording>) {
        self.schedule_start();
        while self.engine.outcome.is_none() {
            self.engine.stats.queue_pops += 1;
            self.engine.stats.queue_depth_sum += self.engine.queue.len() as u64;
            let Some((at_us, event)) = self.engine.queue.pop() else {
                // Nothing left to happen (every node down, no workload): time runs out.
                self.engine.now_us = self.config.duration_us;
                break;
            };
            if at_us > self.config.duration_us {
                self.engine.now_us = self.config.duration_us;
                break;
            }
            self.engine.now_us = at_us;
            // One catch for the whole step: a panic in a handler, in a local check, or in a
            // user type's Clone, Hash or Debug called by the engine is a reported outcome.
            let stepped = catch_unwind(AssertUnwindSafe(|| {
                self.dispatch(event);
                self.maybe_note_established_leader();
            }));
            if let Err(payload) = stepped {
                let message = super::panic::describe(payload.as_ref());
                self.engine.panicked(self.engine.node_in_step, message);
            }
        }
        let recording = self
            .engine
            .recorder
            .take()
            .map(|recorder| recorder.finish(self.engine.now_us));
        (self.finish(), recording)
    }

    fn schedule_start(&mut self) {
        // Every node is up from time zero, so messages sent while the others boot are not
        // lost for being sent to a node whose boot comes later in the queue; boots precede
        // any delivery, which is queued after them.
        self.engine.alive.fill(true);
        for index in 0..self.config.node_count {
            self.engine.queue.push(
                0,
                Event::Boot {
                    node: NodeId(index),
                },
            );
        }
        for index in 0..self.config.faults.len() {
            self.engine
                .queue
                .push(self.config.faults[index].at_us, Event::Fault { index });
        }
        if let Some(workload) = self.config.workload {
            if workload.start_us <= workload.stop_us {
                self.engine.queue.push(workload.start_us, Event::Client);
            }
        }
        if let Some(within_us) = self.config.expect.leader_within_us {
            // One microsecond late, so every event at the deadline itself counts before it.
            let deadline_us = self.last_fault_us.saturating_add(within_us);
            self.engine
                .queue
                .push(deadline_us.saturating_add(1), Event::LivenessDeadline);
        }
    }

    fn dispatch(&mut self, event: Event<P::Msg, P::Timer>) {
        match event {
            Event::Boot { node } => {
                if self.engine.begin_step() {
                    self.engine
                        .record(&(TraceTag::Start, node, false), || format!("{node} boot"));
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
                if self.engine.begin_step() {
                    self.apply_fault(index);
                }
            }
            Event::LivenessDeadline => self.on_liveness_deadline(),
        }
    }

    fn on_deliver(&mut self, from: NodeId, to: NodeId, incarnation: u32, msg: P::Msg) {
        self.engine.in_flight -= 1;
        if !self.engine.alive[to.index()] || self.engine.incarnations[to.index()] != incarnation {
            self.engine
                .lost_on_arrival(from, to, DropReason::ReceiverCrashed);
            return;
        }
        // A partition that began while the message was in flight cuts it too.
        if !self.engine.network.topology.connected(from, to) {
            self.engine
                .lost_on_arrival(from, to, DropReason::LinkCutInFlight);
            return;
        }
        if !self.engine.begin_step() {
            return;
        }
        self.engine.stats.messages_delivered += 1;
        if let Some(recorder) = self.engine.recorder.as_deref_mut() {
            recorder.arrived(from, to, self.engine.now_us, Ok(()));
        }
        self.engine
            .record(&(TraceTag::Deliver, from, to, &msg), || {
                format!("{to} <- {from} {msg:?}")
            });
        self.run_handler(to, false, |state, _, ctx| {
            let state = state.as_mut().expect("deliveries only reach live nodes");
            state.on_message(ctx, from, msg);
        });
    }

    fn on_timer_event(&mut self, node: NodeId, incarnation: u32, timer: P::Timer, generation: u64) {
        let engine = &mut self.engine;
        if engine.incarnations[node.index()] != incarnation || !engine.alive[node.index()] {
            return;
        }
        match engine.timers[node.index()].on_event(timer, generation) {
            TimerEvent::Fire => {}
            TimerEvent::Requeue {
                at_us,
                seq,
                generation,
            } => {
                self.engine.queue_timer(node, timer, generation, at_us, seq);
                return; // re-armed since it was queued: not a step
            }
            TimerEvent::Stale => return, // cancelled or re-armed earlier: not a step
        }
        if !self.engine.begin_step() {
            return;
        }
        self.engine.stats.timers_fired += 1;
        if let Some(recorder) = self.engine.recorder.as_deref_mut() {
            recorder.timer(node, self.engine.now_us, &timer);
        }
        self.engine.record(&(TraceTag::Timer, node, timer), || {
            format!("{node} timer {timer:?}")
        });
        self.run_handler(node, false, |state, _, ctx| {
            let state = state.as_mut().expect("timers only fire on live nodes");
            state.on_timer(ctx, timer);
        });
    }

    fn on_client_event(&mut self) {
        let Some(workload) = self.config.workload else {
            return;
        };
        let next_us = self.engine.now_us.saturating_add(
            self.workload_rng
                .range_inclusive(workload.interval_us_min, workload.interval_us_max),
        );
        if next_us <= workload.stop_us {
            self.engine.queue.push(next_us, Event::Client);
        }
        let target = match workload.target {
            ClientTarget::Leader => self.engine.current_leader(),
            ClientTarget::Random => None,
        };
        let Some(node) = target.or_else(|| self.pick_live(&[], false, Stream::Workload)) else {
            return; // every node is down: the client's request goes nowhere
        };
        if !self.engine.begin_step() {
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
        self.engine.stats.client_requests += 1;
        self.engine
            .record(&(TraceTag::ClientRequest, node, command), || {
                format!("{node} <- client {command:?}")
            });
        let reply = self.run_handler(node, false, |state, _, ctx| {
            let state = state.as_mut().expect("clients only reach live nodes");
            state.on_client_request(ctx, command)
        });
        if reply == ClientReply::Accepted {
            self.engine.stats.client_accepted += 1;
        }
        self.engine
            .record(&(TraceTag::ClientReply, node, reply), || {
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
    /// configuration and the context; its effects go to the engine as it makes them), then
    /// runs the node's local checks. A panic on the
    /// way is caught by the run loop, which learns the node from `node_in_step`. A closure
    /// rather than an enum of inputs: a message then goes straight to `on_message` instead of
    /// being copied into an input and out again.
    fn run_handler<R>(
        &mut self,
        node: NodeId,
        is_restart: bool,
        handler: impl FnOnce(&mut Option<P>, &P::Config, &mut Ctx<'_, P>) -> R,
    ) -> R {
        self.engine.node_in_step = Some(node);
        let node_count = self.config.node_count;
        let now_us = self.engine.now_us;
        let protocol_config = &self.protocol_config;
        let slot = &mut self.nodes[node.index()];
        let mut ctx = Ctx::new(
            node,
            node_count,
            now_us,
            is_restart,
            &mut slot.durable,
            &mut slot.rng,
            &mut self.engine,
        );
        let reply = handler(&mut slot.state, protocol_config, &mut ctx);
        self.check_local(node);
        self.engine.node_in_step = None;
        reply
    }

    /// The node's own checks, after each of its steps. Inlined, so a protocol whose checks
    /// pass with a few compares costs the loop no more than those.
    #[inline]
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
            self.local_failed(node, local);
        }
    }

    #[cold]
    #[inline(never)]
    fn local_failed(&mut self, node: NodeId, local: LocalViolation) {
        self.engine.fail(Violation {
            invariant: local.invariant,
            nodes: vec![node],
            detail: local.detail,
        });
    }

    fn apply_fault(&mut self, index: usize) {
        let action = self.config.faults[index].action.clone();
        self.engine.record(&(TraceTag::Fault, index as u64), || {
            format!("fault {action}")
        });
        let recorded_text = self.engine.recorder.is_some().then(|| action.to_string());
        match action {
            FaultAction::Crash(selector) => match self.resolve(selector, &[]) {
                Some(node) if self.engine.alive[node.index()] => self.crash(node),
                other => self.skip_fault(&action, other),
            },
            FaultAction::Restart(selector) => match self.resolve(selector, &[]) {
                Some(node) if !self.engine.alive[node.index()] => self.restart(node),
                other => self.skip_fault(&action, other),
            },
            FaultAction::Isolate(selector) => match self.resolve(selector, &[]) {
                Some(node) => {
                    self.engine.network.topology.isolate(node);
                    self.engine
                        .record(&(TraceTag::Isolated, node), || format!("isolated {node}"));
                }
                None => self.skip_fault(&action, None),
            },
            FaultAction::Partition(groups) => self.partition(&groups),
            FaultAction::Cut { from, to } => {
                // The two sides are resolved independently: "cut every node -> leader" must
                // reach the leader even though it is also among the senders.
                let from = self.resolve_all(&from, &mut Vec::new());
                let to = self.resolve_all(&to, &mut Vec::new());
                self.engine.network.topology.cut(&from, &to);
                self.engine.record(&(TraceTag::Cut, &from, &to), || {
                    format!("cut {} -> {}", node_list(&from), node_list(&to))
                });
            }
            FaultAction::Heal => self.engine.network.topology.heal(),
            FaultAction::SetLinks(change) => self.set_links(change),
        }
        if let Some(text) = recorded_text {
            self.record_fault(text);
        }
        self.faults_applied += 1;
        if self.faults_applied == self.config.faults.len() {
            self.committed_at_last_fault = self.engine.checker.committed_count();
        }
        self.engine.leadership_changed = true;
    }

    /// Notes an applied fault and the links down after it, for a recording.
    fn record_fault(&mut self, text: String) {
        let topology = &self.engine.network.topology;
        let nodes = (0..self.config.node_count).map(NodeId);
        let links_down: Vec<(NodeId, NodeId)> = nodes
            .clone()
            .flat_map(|from| nodes.clone().map(move |to| (from, to)))
            .filter(|&(from, to)| !topology.connected(from, to))
            .collect();
        if let Some(recorder) = self.engine.recorder.as_deref_mut() {
            recorder.fault(self.engine.now_us, self.engine.step, text);
            recorder.connectivity(self.engine.now_us, links_down);
        }
    }

    fn skip_fault(&mut self, action: &FaultAction, resolved: Option<NodeId>) {
        self.engine.stats.faults_skipped += 1;
        self.engine
            .record(&(TraceTag::FaultSkipped, resolved), || match resolved {
                Some(node) => {
                    format!("fault {action} skipped: {node} is not in a state it applies to")
                }
                None => format!("fault {action} skipped: no node matches"),
            });
    }

    fn crash(&mut self, node: NodeId) {
        let slot = &mut self.nodes[node.index()];
        slot.state = None;
        slot.crash_order = self.crash_order_next;
        self.crash_order_next += 1;
        self.engine.crash_node(node);
    }

    fn restart(&mut self, node: NodeId) {
        self.engine.set_alive(node, true);
        self.engine.stats.restarts += 1;
        if let Some(recorder) = self.engine.recorder.as_deref_mut() {
            recorder.node_event(node, self.engine.now_us, NodeEventKind::Restarted);
        }
        self.engine
            .record(&(TraceTag::Start, node, true), || format!("{node} restart"));
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
        self.engine.network.topology.heal();
        self.engine.network.topology.partition(&resolved);
        self.engine.record(&(TraceTag::Partitioned, &resolved), || {
            let groups: Vec<String> = resolved.iter().map(|group| node_list(group)).collect();
            format!("partitioned into {}", groups.join(" | "))
        });
    }

    fn set_links(&mut self, change: LinkChange) {
        let model = &mut self.engine.network.model;
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
                .engine
                .current_leader()
                .filter(|node| !placed.contains(node)),
            Selector::Follower => {
                let mut excluded = placed.to_vec();
                excluded.extend(self.engine.current_leader());
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
            .filter(|node| self.engine.alive[node.index()] != crashed && !excluded.contains(node))
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
        if !self.engine.leadership_changed {
            return;
        }
        self.engine.leadership_changed = false;
        // Tracking starts once every fault has been applied (two faults at the same time must
        // not credit the first with a leader the second takes away) and stops at the deadline.
        if self.liveness_checked || self.faults_applied < self.config.faults.len() {
            return;
        }
        let topology = &self.engine.network.topology;
        let now = self
            .engine
            .checker
            .established_leader(&self.engine.alive, |from, to| topology.connected(from, to));
        let before = self.established.map(|(leader, term, _)| (leader, term));
        if now == before {
            return;
        }
        self.established = now.map(|(leader, term)| (leader, term, self.engine.now_us));
        if now.is_some() && self.first_leader_established_us.is_none() {
            self.first_leader_established_us = Some(self.engine.now_us);
        }
        self.engine
            .record(&(TraceTag::EstablishedLeader, now), || match now {
                Some((leader, term)) => {
                    format!("leader {leader} of term {term} acknowledged by a live quorum")
                }
                None => "no leader acknowledged by a live quorum".to_string(),
            });
    }

    fn finish(mut self) -> RunReport {
        if self.engine.outcome.is_none() {
            if !self.liveness_checked && self.config.expect.leader_within_us.is_some() {
                self.on_liveness_deadline();
            }
            if let Some(commits_min) = self.config.expect.commits_min {
                let committed = self.engine.checker.committed_count();
                if committed < commits_min {
                    self.expectation_failures.push(format!(
                        "{committed} entries committed, expected at least {commits_min}"
                    ));
                }
            }
            if let Some(after_min) = self.config.expect.commits_after_last_fault_min {
                let after = self.engine.checker.committed_count() - self.committed_at_last_fault;
                if after < after_min {
                    self.expectation_failures.push(format!(
                        "{after} entries committed after the last fault (at {}), expected at least {after_min}",
                        format_ms(self.last_fault_us)
                    ));
                }
            }
        }
        let outcome = match self.engine.outcome.take() {
            Some(outcome) => outcome,
            None if self.expectation_failures.is_empty() => Outcome::Pass,
            None => Outcome::ExpectationFailed {
                reasons: std::mem::take(&mut self.expectation_failures),
            },
        };
        // The whole verdict, with what it names (invariant, nodes, step, time), and how much
        // was committed: observations are not hashed one by one (see `on_observation`).
        let verdict = outcome.to_string();
        let committed = self.engine.checker.committed_count();
        let summary = format!("end: {}", outcome.kind());
        self.engine.record(
            &(
                TraceTag::End,
                verdict.as_str(),
                self.engine.now_us,
                committed,
            ),
            || summary,
        );
        self.engine.trace.flush();
        RunReport {
            protocol: P::NAME,
            node_count: self.config.node_count,
            seed: self.config.seed,
            outcome,
            steps: self.engine.step,
            end_us: self.engine.now_us,
            trace_hash: self.engine.trace.hash(),
            leaders: self.engine.checker.leaders().values().copied().collect(),
            committed: self.engine.checker.committed_count(),
            leader_established_us: self.leader_established_us,
            first_leader_established_us: self.first_leader_established_us,
            stats: self.engine.stats,
            trace_tail: self.engine.trace.take_tail(),
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
