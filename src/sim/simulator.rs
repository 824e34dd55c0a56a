//! The run loop: pop the earliest event, hand it to a node, apply the node's effects, check
//! the invariants, repeat — until the end time, a violation, or a hard limit. Faults are
//! applied in `inject.rs`, the liveness expectations judged in `liveness.rs`; this file holds
//! the nodes, dispatches events to their handlers, and runs each node's local checks.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::config::SimConfig;
use super::engine::{Engine, Event};
use super::liveness::Liveness;
use super::outcome::{Outcome, RunReport};
use super::recording::{DropReason, Recorder, Recording, Retention};
use super::timers::TimerEvent;
use super::trace::{TraceSink, TraceTag};
use super::workload::ClientTarget;
use crate::check::Violation;
use crate::prng::{Prng, Stream};
use crate::protocol::{
    ClientReply, ClusterView, Command, Ctx, DurableRef, LocalViolation, NodeId, NodeStates,
    Protocol,
};

pub(super) struct NodeSlot<P: Protocol> {
    pub(super) state: Option<P>,
    pub(super) durable: P::Durable,
    /// Order in which the node last crashed, for the `crashed` selector.
    pub(super) crash_order: u64,
    rng: Prng,
}

/// A deterministic simulation of `node_count` nodes running protocol `P`.
pub struct Simulator<P: Protocol> {
    pub(super) config: SimConfig,
    protocol_config: P::Config,
    pub(super) nodes: Vec<NodeSlot<P>>,
    /// Everything else a step touches; handlers' effects go straight to it.
    pub(super) engine: Engine<P>,
    pub(super) fault_rng: Prng,
    pub(super) workload_rng: Prng,
    pub(super) crash_order_next: u64,
    command_id_next: u64,
    pub(super) liveness: Liveness,
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
                crash_order: 0,
                rng: Prng::new(seed, Stream::Node(index)),
            })
            .collect();
        Simulator {
            nodes,
            engine: Engine::new(&config, sink),
            fault_rng: Prng::new(seed, Stream::Faults),
            workload_rng: Prng::new(seed, Stream::Workload),
            liveness: Liveness::new(config.expect, &config.faults),
            config,
            protocol_config,
            crash_order_next: 0,
            command_id_next: 1,
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
                self.liveness
                    .maybe_note_established_leader(&mut self.engine);
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
        if let Some(at_us) = self.liveness.deadline_event_us() {
            self.engine.queue.push(at_us, Event::LivenessDeadline);
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
            Event::LivenessDeadline => self.liveness.on_deadline(),
            Event::DiskFlushed { node, incarnation } => self.on_disk_flushed(node, incarnation),
            Event::ConnectionReset {
                node,
                incarnation,
                peer,
            } => self.on_connection_reset(node, incarnation, peer),
        }
    }

    /// `node` learns that its connection to `peer` was reset.
    fn on_connection_reset(&mut self, node: NodeId, incarnation: u32, peer: NodeId) {
        if self.engine.incarnations[node.index()] != incarnation
            || !self.engine.alive[node.index()]
            || !self.engine.begin_step()
        {
            return;
        }
        self.engine
            .record(&(TraceTag::ConnectionReset, node, peer), || {
                format!("{node} connection to {peer} reset")
            });
        self.run_handler(node, false, |state, _, ctx| {
            let state = state.as_mut().expect("resets only reach live nodes");
            state.on_connection_reset(ctx, peer);
        });
    }

    /// `node`'s writes issued before some of its messages are on disk: those messages leave.
    fn on_disk_flushed(&mut self, node: NodeId, incarnation: u32) {
        if self.engine.incarnations[node.index()] != incarnation || !self.engine.begin_step() {
            return;
        }
        let released = self.engine.disks[node.index()].release(self.engine.now_us);
        self.engine
            .record(&(TraceTag::DiskFlushed, node, released.len()), || {
                format!(
                    "{node} disk: writes on disk, {} messages leave",
                    released.len()
                )
            });
        for held in released {
            self.engine.route_message(node, held.to, held.msg);
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

    /// Calls one handler of `node` (`handler` gets its state slot, the protocol's
    /// configuration and the context; its effects go to the engine as it makes them), then
    /// runs the node's local checks. A panic on the
    /// way is caught by the run loop, which learns the node from `node_in_step`. A closure
    /// rather than an enum of inputs: a message then goes straight to `on_message` instead of
    /// being copied into an input and out again.
    pub(super) fn run_handler<R>(
        &mut self,
        node: NodeId,
        is_restart: bool,
        handler: impl FnOnce(&mut Option<P>, &P::Config, &mut Ctx<'_, P>) -> R,
    ) -> R {
        self.engine.node_in_step = Some(node);
        let node_count = self.config.node_count;
        let now_us = self.engine.now_us;
        let protocol_config = &self.protocol_config;
        let stream_links = self.engine.streams.is_some();
        let slot = &mut self.nodes[node.index()];
        let durable = if self.engine.disks.is_empty() {
            DurableRef::untracked(&mut slot.durable)
        } else {
            DurableRef::new(&mut slot.durable, true)
        };
        let mut ctx = Ctx::with_durable(
            node,
            node_count,
            now_us,
            is_restart,
            durable,
            &mut slot.rng,
            &mut self.engine,
        )
        .over_streams(stream_links);
        let reply = handler(&mut slot.state, protocol_config, &mut ctx);
        // A write with nothing sent after it is a write all the same.
        ctx.maybe_tell_persist();
        if let Some(ghost) = self.engine.ghost_before_write.take() {
            self.engine.disks[node.index()].keep_before_pending(now_us, ghost);
        }
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

    fn finish(mut self) -> RunReport {
        if self.engine.outcome.is_none() {
            self.liveness
                .judge_end(self.engine.leadership.committed_count());
        }
        let outcome = match self.engine.outcome.take() {
            Some(outcome) => outcome,
            None => {
                let reasons = self.liveness.take_failures();
                if reasons.is_empty() {
                    Outcome::Pass
                } else {
                    Outcome::ExpectationFailed { reasons }
                }
            }
        };
        // The whole verdict, with what it names (invariant, nodes, step, time), and how much
        // was committed: observations are not hashed one by one (see `on_observation`).
        // The report's leaders and committed count are what the checker accepted, not what
        // the leadership view was told: the two agree while the safety checks hold, and
        // after a violation the checked figures are the ones worth reporting (and the ones
        // every pinned hash of a failing run covers).
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
            committed,
            leader_established_us: self.liveness.leader_established_us(),
            first_leader_established_us: self.liveness.first_leader_established_us(),
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
