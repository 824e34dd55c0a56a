//! The handler context: what a node may read (id, time, cluster size, durable state, its RNG)
//! and where its effects go. In a run they go straight to the simulator, which applies each
//! as it is made; a scripted test collects them in an [`Outbox`].

use std::ops::RangeInclusive;

use super::{NodeId, Observation, Protocol};
use crate::prng::Prng;

/// A timer change requested by a handler; the delay is already drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerOp<T> {
    Set { timer: T, delay_us: u64 },
    Cancel { timer: T },
}

/// Where a handler's effects go, in the order the handler makes them. A handler runs whole
/// between two events (no crash or delivery can come in between), so applying an effect at
/// once or after the handler returns is the same to the protocol.
pub trait Effects<P: Protocol> {
    /// `from` sends `msg` to `to`.
    fn send(&mut self, from: NodeId, to: NodeId, msg: P::Msg);
    /// `node` arms or disarms one of its timers.
    fn timer(&mut self, node: NodeId, op: TimerOp<P::Timer>);
    /// `node` reports a fact for the checkers.
    fn observe(&mut self, node: NodeId, observation: Observation);
}

/// Effects of one node's handler calls, kept by kind in the order the handler made them, for
/// tests that drive a node by hand.
pub struct Outbox<P: Protocol> {
    pub sends: Vec<(NodeId, P::Msg)>,
    pub timers: Vec<TimerOp<P::Timer>>,
    pub observations: Vec<Observation>,
}

impl<P: Protocol> Default for Outbox<P> {
    fn default() -> Self {
        Outbox {
            sends: Vec::new(),
            timers: Vec::new(),
            observations: Vec::new(),
        }
    }
}

impl<P: Protocol> Outbox<P> {
    pub fn is_empty(&self) -> bool {
        self.sends.is_empty() && self.timers.is_empty() && self.observations.is_empty()
    }
}

impl<P: Protocol> Effects<P> for Outbox<P> {
    fn send(&mut self, _from: NodeId, to: NodeId, msg: P::Msg) {
        self.sends.push((to, msg));
    }

    fn timer(&mut self, _node: NodeId, op: TimerOp<P::Timer>) {
        self.timers.push(op);
    }

    fn observe(&mut self, _node: NodeId, observation: Observation) {
        self.observations.push(observation);
    }
}

/// Everything a handler may touch besides `self`.
pub struct Ctx<'a, P: Protocol> {
    /// Durable state: survives crashes; written through before the handler's sends leave.
    pub durable: &'a mut P::Durable,
    id: NodeId,
    node_count: u16,
    now_us: u64,
    is_restart: bool,
    rng: &'a mut Prng,
    out: &'a mut dyn Effects<P>,
}

impl<'a, P: Protocol> Ctx<'a, P> {
    /// Builds a context. The simulator does this for every step; tests of a protocol can too.
    pub fn new(
        id: NodeId,
        node_count: u16,
        now_us: u64,
        is_restart: bool,
        durable: &'a mut P::Durable,
        rng: &'a mut Prng,
        out: &'a mut dyn Effects<P>,
    ) -> Self {
        Ctx {
            durable,
            id,
            node_count,
            now_us,
            is_restart,
            rng,
            out,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn node_count(&self) -> u16 {
        self.node_count
    }

    /// Smallest number of nodes that is a majority of the cluster.
    pub fn quorum(&self) -> usize {
        usize::from(self.node_count) / 2 + 1
    }

    /// Every other node of the cluster, in id order.
    pub fn peers(&self) -> impl Iterator<Item = NodeId> + 'static {
        let me = self.id;
        (0..self.node_count).map(NodeId).filter(move |&n| n != me)
    }

    /// Virtual time in microseconds.
    pub fn now_us(&self) -> u64 {
        self.now_us
    }

    /// True when this `on_start` follows a crash rather than the first boot.
    pub fn is_restart(&self) -> bool {
        self.is_restart
    }

    /// This node's own seeded random stream, for protocols that need a random choice.
    pub fn rng(&mut self) -> &mut Prng {
        self.rng
    }

    pub fn send(&mut self, to: NodeId, msg: P::Msg) {
        debug_assert!(to.0 < self.node_count, "send to unknown node {to}");
        self.out.send(self.id, to, msg);
    }

    /// Sends `msg` to every peer (not to this node).
    pub fn broadcast(&mut self, msg: P::Msg) {
        for peer in self.peers() {
            self.out.send(self.id, peer, msg.clone());
        }
    }

    /// Arms `timer` to fire after a delay the simulator draws uniformly from `delay_us`
    /// (inclusive), replacing it if it is already pending. Protocols ask for a range rather
    /// than drawing themselves, so all randomness stays on the simulator's seeded streams.
    pub fn set_timer(&mut self, timer: P::Timer, delay_us: RangeInclusive<u64>) {
        let delay_us = self.rng.range_inclusive(*delay_us.start(), *delay_us.end());
        self.out.timer(self.id, TimerOp::Set { timer, delay_us });
    }

    /// Disarms `timer` if it is pending.
    pub fn cancel_timer(&mut self, timer: P::Timer) {
        self.out.timer(self.id, TimerOp::Cancel { timer });
    }

    /// Reports a fact for the invariant checkers and the trace.
    pub fn observe(&mut self, observation: Observation) {
        self.out.observe(self.id, observation);
    }
}
