//! The part of the simulator that a handler's effects reach, applied as the handler makes
//! them: the event queue, the network, the timers, the invariant checkers, the trace and the
//! counters. The nodes themselves live beside it in the [`Simulator`](super::Simulator), so a
//! handler can hold its own node's state and this at once.
//!
//! Each effect is applied as it is made rather than collected and applied when the handler
//! returns, so nothing is pushed to a buffer, moved out again and looped over; a protocol
//! cannot tell the difference (see [`Effects`]).

use std::hash::Hash;

use super::clocks::NodeClock;
use super::config::SimConfig;
use super::connections::{Connections, StreamOrder};
use super::leadership::LeadershipView;
use super::outcome::{Outcome, RunStats};
use super::queue::EventQueue;
use super::recording::{DropReason, NodeEventKind, Recorder};
use super::storage::{Disk, GhostBefore, StorageModel};
use super::timers::NodeTimers;
use super::trace::{Trace, TraceSink, TraceTag};
use crate::check::{paranoid_verdict, Checker, ParanoidChecker, Violation};
use crate::net::{Network, Route, Topology};
use crate::prng::{Prng, Stream};
use crate::protocol::{Effects, NodeId, Observation, Protocol, TimerOp};
use crate::time::format_ms;

/// What the queue holds: everything that can happen next in a run.
pub(super) enum Event<M, T> {
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
    /// Over connection-oriented links: `node` learns its connection to `peer` was reset.
    ConnectionReset {
        node: NodeId,
        incarnation: u32,
        peer: NodeId,
    },
    /// A node's writes issued up to now are on disk: the messages waiting for them leave.
    DiskFlushed {
        node: NodeId,
        incarnation: u32,
    },
}

/// The simulator's shared state: all a step touches besides the nodes themselves.
pub(super) struct Engine<P: Protocol> {
    pub(super) now_us: u64,
    pub(super) step: u64,
    /// Hard limit on steps; reaching it is the `LimitReached` outcome, never a hang.
    pub(super) max_steps: u64,
    /// Hard limit on messages in flight at once (a protocol flooding the network).
    pub(super) max_in_flight: u64,
    pub(super) queue: EventQueue<Event<P::Msg, P::Timer>>,
    pub(super) network: Network,
    pub(super) alive: Vec<bool>,
    /// Per node, bumped at every crash: messages and timers addressed to an older
    /// incarnation are lost.
    pub(super) incarnations: Vec<u32>,
    pub(super) timers: Vec<NodeTimers<P::Timer>>,
    /// With connection-oriented links, the arrival order of each link; `None` for datagrams.
    pub(super) streams: Option<StreamOrder>,
    pub(super) storage: StorageModel,
    /// One disk per node; empty with an instant storage model, which needs none.
    pub(super) disks: Vec<Disk<P::Durable, P::Msg>>,
    /// One clock per node; empty while every clock is perfect.
    pub(super) clocks: Vec<NodeClock>,
    /// With writes that take time: the checkers' view of the stepping node's durable state
    /// from before the first durable observation since its last write was told.
    pub(super) ghost_before_write: Option<GhostBefore>,
    pub(super) checker: Checker,
    pub(super) paranoid: Option<ParanoidChecker>,
    pub(super) trace: Trace,
    pub(super) stats: RunStats,
    pub(super) in_flight: u64,
    pub(super) timer_generation_next: u64,
    /// The node whose handler is running, for reporting a panic outside the handler itself.
    pub(super) node_in_step: Option<NodeId>,
    /// Who leads, for aiming faults and the workload and judging liveness; fed the same
    /// observations as the checkers, which only judge.
    pub(super) leadership: LeadershipView,
    pub(super) outcome: Option<Outcome>,
    /// Structured events for pictures; `None` (the default) costs one branch per hook.
    pub(super) recorder: Option<Box<Recorder>>,
}

impl<P: Protocol> Engine<P> {
    /// The engine at time zero, before any node has booted.
    pub(super) fn new(config: &SimConfig, sink: TraceSink) -> Engine<P> {
        let node_count = usize::from(config.node_count);
        Engine {
            now_us: 0,
            step: 0,
            max_steps: config.max_steps,
            max_in_flight: config.max_in_flight,
            queue: EventQueue::default(),
            network: Network::new(
                Topology::full_mesh(config.node_count),
                config.links,
                Prng::new(config.seed, Stream::Network),
            ),
            alive: vec![false; node_count],
            incarnations: vec![0; node_count],
            timers: (0..node_count).map(|_| NodeTimers::default()).collect(),
            streams: (config.connections == Connections::Stream)
                .then(|| StreamOrder::new(config.node_count)),
            storage: config.storage,
            disks: if config.storage.is_instant() {
                Vec::new()
            } else {
                (0..config.node_count)
                    .map(|index| Disk::new(config.seed, NodeId(index)))
                    .collect()
            },
            ghost_before_write: None,
            clocks: if config.needs_clocks() {
                (0..config.node_count)
                    .map(|index| NodeClock::new(config.seed, NodeId(index), &config.clocks))
                    .collect()
            } else {
                Vec::new()
            },
            checker: Checker::new(config.node_count),
            paranoid: config
                .paranoid
                .then(|| ParanoidChecker::new(config.node_count)),
            trace: Trace::new(sink),
            stats: RunStats::default(),
            in_flight: 0,
            timer_generation_next: 0,
            node_in_step: None,
            leadership: LeadershipView::new(config.node_count),
            outcome: None,
            recorder: None,
        }
    }
}

impl<P: Protocol> Effects<P> for Engine<P> {
    fn send(&mut self, from: NodeId, to: NodeId, msg: P::Msg) {
        self.send_message(from, to, msg);
    }

    fn timer(&mut self, node: NodeId, op: TimerOp<P::Timer>) {
        self.apply_timer_op(node, op);
    }

    fn observe(&mut self, node: NodeId, observation: Observation) {
        self.on_observation(node, observation);
    }

    fn persist(&mut self, node: NodeId, before: Option<P::Durable>) {
        if !self.disks.is_empty() {
            let storage = self.storage;
            let disk = &mut self.disks[node.index()];
            disk.write(&storage, self.now_us);
            disk.keep_before(before, self.ghost_before_write.take());
        }
    }
}

impl<P: Protocol> Engine<P> {
    /// Counts a step, or ends the run if the step limit is reached.
    pub(super) fn begin_step(&mut self) -> bool {
        if self.step >= self.max_steps {
            self.outcome = Some(Outcome::LimitReached {
                limit: format!("max_steps = {} reached before the end time", self.max_steps),
                step: self.step,
                at_us: self.now_us,
            });
            return false;
        }
        self.step += 1;
        self.trace.begin_step(self.step, self.now_us);
        true
    }

    /// The common case, a run nobody watches or records with only the incremental checker,
    /// stays a few instructions around the checker's call; the rest is out of line.
    fn on_observation(&mut self, node: NodeId, observation: Observation) {
        if self.recorder.is_some() || self.trace.wants_text() {
            self.show_observation(node, observation);
        }
        if !self.disks.is_empty() && self.ghost_before_write.is_none() && is_durable(&observation) {
            self.keep_ghost_before_write(node);
        }
        self.leadership.observe(node, &observation);
        let verdict = self.checker.observe(node, &observation, self.now_us);
        if verdict.is_err() || self.paranoid.is_some() {
            self.judge_observation(node, observation, verdict);
        }
    }

    /// The checkers' view of `node`'s durable state, before the step changes it.
    #[cold]
    #[inline(never)]
    fn keep_ghost_before_write(&mut self, node: NodeId) {
        self.ghost_before_write = Some(GhostBefore {
            checker: self.checker.durable_ghost(node),
            paranoid: self
                .paranoid
                .as_ref()
                .map(|paranoid| paranoid.durable_ghost(node)),
        });
    }

    /// Writes lost in `node`'s crash: the checkers' view goes back to before them.
    pub(super) fn restore_ghost(&mut self, node: NodeId, ghost: GhostBefore) {
        self.checker.restore_durable_ghost(node, ghost.checker);
        if let (Some(paranoid), Some(before)) = (&mut self.paranoid, ghost.paranoid) {
            paranoid.restore_durable_ghost(node, before);
        }
    }

    /// Records an observation for pictures and writes its trace line. Text only, not hashed:
    /// an observation is what a handler reports about its own state, which the trace already
    /// fixes through the handler's inputs; it can change the run only through the checkers'
    /// verdict and the leadership view, and those reach the hash through the run's end
    /// record, the established-leader records, and the client requests and faults aimed at
    /// the leader.
    #[cold]
    #[inline(never)]
    fn show_observation(&mut self, node: NodeId, observation: Observation) {
        if let Some(recorder) = self.recorder.as_deref_mut() {
            recorder.observation(node, self.now_us, self.step, observation);
        }
        self.note(|| format!("{node} observe {observation:?}"));
    }

    /// Cross-checks with the paranoid checker, if on, and fails the run on a violation.
    #[cold]
    #[inline(never)]
    fn judge_observation(
        &mut self,
        node: NodeId,
        observation: Observation,
        mut verdict: Result<(), Violation>,
    ) {
        if let Some(paranoid) = &mut self.paranoid {
            verdict = paranoid_verdict(verdict, paranoid.observe(node, &observation));
        }
        if let Err(violation) = verdict {
            self.fail(violation);
        }
    }

    /// The node that claims leadership in the highest term among the live ones.
    pub(super) fn current_leader(&mut self) -> Option<NodeId> {
        self.leadership.current_leader(&self.alive)
    }

    /// Marks `node` up or down.
    pub(super) fn set_alive(&mut self, node: NodeId, alive: bool) {
        self.alive[node.index()] = alive;
        self.leadership.on_cluster_changed();
    }

    /// The engine's side of a crash: `node` is down, messages and timers addressed to its old
    /// incarnation are void, and the leadership view and the checkers forget its volatile
    /// claims.
    pub(super) fn crash_node(&mut self, node: NodeId) {
        if self.streams.is_some() {
            for peer in 0..self.incarnations.len() as u16 {
                if peer != node.0 {
                    self.tell_reset(NodeId(peer), node);
                }
            }
        }
        self.incarnations[node.index()] += 1;
        self.timers[node.index()].clear();
        self.leadership.on_crash(node);
        self.checker.on_crash(node);
        if let Some(paranoid) = &mut self.paranoid {
            paranoid.on_crash(node);
        }
        self.set_alive(node, false);
        self.stats.crashes += 1;
        if let Some(recorder) = self.recorder.as_deref_mut() {
            recorder.node_event(node, self.now_us, NodeEventKind::Crashed);
        }
        self.record(&(TraceTag::Crashed, node), || format!("{node} crashed"));
    }

    /// Ends the run with a `Panic` outcome for `node` (None: outside any handler).
    pub(super) fn panicked(&mut self, node: Option<NodeId>, message: String) {
        // A violation the checkers found earlier in the same step stays: it is the first
        // failure, and a protocol's own assertion often trips right after the checkers saw
        // the bad state. A panic is a better finding than a hard limit.
        if matches!(self.outcome, None | Some(Outcome::LimitReached { .. })) {
            self.outcome = Some(Outcome::Panic {
                node,
                message,
                step: self.step,
                at_us: self.now_us,
            });
        }
    }

    /// Records the first violation; the loop stops before the next event.
    pub(super) fn fail(&mut self, violation: Violation) {
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
        match op {
            TimerOp::Set { timer, delay_us } => {
                // The delay is measured on the node's own clock.
                let delay_us = match self.clocks.get_mut(node.index()) {
                    Some(clock) => clock.true_delay_us(delay_us),
                    None => delay_us,
                };
                self.arm_timer(node, timer, self.now_us.saturating_add(delay_us));
            }
            TimerOp::Cancel { timer } => self.timers[node.index()].cancel(timer),
        }
    }

    /// Arms `node`'s `timer` to fire at `at_us` of true time.
    fn arm_timer(&mut self, node: NodeId, timer: P::Timer, at_us: u64) {
        let generation = self.timer_generation_next;
        self.timer_generation_next += 1;
        let seq = self.queue.reserve_seq();
        if self.timers[node.index()].set(timer, at_us, seq, generation) {
            self.queue_timer(node, timer, generation, at_us, seq);
        }
    }

    /// `node`'s clock jumps by `by_us` (forward when positive): each pending timer fires that
    /// much earlier (later), not before now.
    pub(super) fn jump_clock(&mut self, node: NodeId, by_us: i64) {
        for (timer, at_us) in self.timers[node.index()].deadlines() {
            let moved_us = at_us.saturating_add_signed(by_us.saturating_neg());
            self.arm_timer(node, timer, moved_us.max(self.now_us));
        }
    }

    /// Queues the event that carries `node`'s `timer` (of its current incarnation) to
    /// `at_us`, ordered by `seq`, the sequence number reserved when the timer was armed.
    pub(super) fn queue_timer(
        &mut self,
        node: NodeId,
        timer: P::Timer,
        generation: u64,
        at_us: u64,
        seq: u64,
    ) {
        let incarnation = self.incarnations[node.index()];
        let event = Event::Timer {
            node,
            incarnation,
            timer,
            generation,
        };
        self.queue.push_reserved(at_us, seq, event);
    }

    /// The common case, a message on its way to a live node in a run nobody watches, is
    /// routed and queued here; drops, duplicates and everything a watcher sees are out of line.
    fn send_message(&mut self, from: NodeId, to: NodeId, msg: P::Msg) {
        if to.index() >= self.incarnations.len() {
            self.sent_outside_cluster(from, to);
            return;
        }
        self.stats.messages_sent += 1;
        if !self.disks.is_empty() && self.disks[from.index()].busy(self.now_us) {
            self.hold_for_disk(from, to, msg);
            return;
        }
        self.route_message(from, to, msg);
    }

    /// Sends a message that leaves `from` now (at once, or once its writes are on disk).
    /// Inlined into each sender, with the queueing below, so a message is moved into the
    /// queue once instead of through a call per layer.
    #[inline(always)]
    pub(super) fn route_message(&mut self, from: NodeId, to: NodeId, msg: P::Msg) {
        if !self.alive[to.index()] {
            self.drop_to_down_node(from, to, &msg);
            return;
        }
        let route = self.network.route(from, to);
        match route {
            Route::Deliver {
                delay_us,
                duplicate_delay_us: None,
            } if self.recorder.is_none() && !self.trace.wants_text() => {
                self.enqueue_delivery(from, to, delay_us, msg);
            }
            _ => self.send_routed(from, to, msg, route),
        }
    }

    /// A message sent while `from` has writes on their way to disk waits for them.
    #[cold]
    #[inline(never)]
    fn hold_for_disk(&mut self, from: NodeId, to: NodeId, msg: P::Msg) {
        self.note(|| format!("{from} -> {to} waits for its disk: {msg:?}"));
        if let Some(release_at_us) = self.disks[from.index()].hold(to, msg) {
            let incarnation = self.incarnations[from.index()];
            self.queue.push(
                release_at_us,
                Event::DiskFlushed {
                    node: from,
                    incarnation,
                },
            );
        }
    }

    /// A message that reaches a crashed node, or a link cut while it was in flight. Not a
    /// step: the record carries the time itself.
    #[cold]
    #[inline(never)]
    pub(super) fn lost_on_arrival(&mut self, from: NodeId, to: NodeId, reason: DropReason) {
        if let Some(recorder) = self.recorder.as_deref_mut() {
            recorder.arrived(from, to, self.now_us, Err(reason));
        }
        let now_us = self.now_us;
        if reason == DropReason::ReceiverCrashed {
            self.stats.messages_dropped_down += 1;
            self.record(&(TraceTag::LostToCrash, from, to, now_us), || {
                format!("{from} -> {to} lost: {to} crashed")
            });
        } else {
            self.stats.messages_dropped_partition += 1;
            self.record(&(TraceTag::LostInFlight, from, to, now_us), || {
                format!("{from} -> {to} lost in flight: link cut")
            });
        }
    }

    /// A protocol bug, reported like a panic in its handler.
    #[cold]
    #[inline(never)]
    fn sent_outside_cluster(&mut self, from: NodeId, to: NodeId) {
        let message = format!(
            "{from} sent a message to {to}, which is not in this {}-node cluster",
            self.incarnations.len()
        );
        self.panicked(Some(from), message);
    }

    #[cold]
    #[inline(never)]
    fn drop_to_down_node(&mut self, from: NodeId, to: NodeId, msg: &P::Msg) {
        self.stats.messages_dropped_down += 1;
        if let Some(recorder) = self.recorder.as_deref_mut() {
            let fate = Err(DropReason::ReceiverDown);
            recorder.sent(from, to, self.now_us, msg, fate, None);
        }
        self.record(&(TraceTag::DroppedToDownNode, from, to), || {
            format!("{from} -> {to} dropped: {to} is down")
        });
    }

    /// A routed message that is lost or duplicated, or sent in a run someone records or
    /// watches.
    #[cold]
    #[inline(never)]
    fn send_routed(&mut self, from: NodeId, to: NodeId, msg: P::Msg, route: Route) {
        match route {
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
                self.record(&(TraceTag::Dropped, from, to, partitioned), || {
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
                // lost on the way gets a record then: hashing the send as well would detect
                // nothing more.
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

    #[inline(always)]
    fn enqueue_delivery(&mut self, from: NodeId, to: NodeId, delay_us: u64, msg: P::Msg) {
        self.in_flight += 1;
        if self.in_flight > self.max_in_flight && self.outcome.is_none() {
            self.flooded();
        }
        let incarnation = self.incarnations[to.index()];
        let mut at_us = self.now_us.saturating_add(delay_us);
        if let Some(streams) = &mut self.streams {
            at_us = streams.arrival_us(from.index(), to.index(), at_us);
        }
        self.queue.push(
            at_us,
            Event::Deliver {
                from,
                to,
                incarnation,
                msg,
            },
        );
    }

    #[cold]
    #[inline(never)]
    fn flooded(&mut self) {
        self.outcome = Some(Outcome::LimitReached {
            limit: format!("more than {} messages in flight", self.max_in_flight),
            step: self.step,
            at_us: self.now_us,
        });
    }

    /// Folds a record into the trace hash and, when someone watches, writes its line. Inside
    /// a step the step's number and time are already in the hash (see `begin_step`); a record
    /// made outside one carries its time itself.
    pub(super) fn record<H: Hash>(&mut self, record: &H, text: impl FnOnce() -> String) {
        self.trace.record(record);
        self.note(text);
    }

    /// Writes a trace line, when someone watches, without hashing anything.
    pub(super) fn note(&mut self, text: impl FnOnce() -> String) {
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
}

/// Whether an observation reports a change to durable state (what a crash that loses writes
/// can take back).
fn is_durable(observation: &Observation) -> bool {
    matches!(
        observation,
        Observation::LogAppended { .. }
            | Observation::LogTruncated { .. }
            | Observation::Voted { .. }
    )
}
