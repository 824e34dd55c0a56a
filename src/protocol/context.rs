//! The handler context: what a node may read (id, time, cluster size, durable state, its RNG)
//! and where its effects go. In a run they go straight to the simulator, which applies each
//! as it is made; a scripted test collects them in an [`Outbox`].
//!
//! Writes to durable state are seen as they happen ([`DurableRef`]): with a storage model
//! whose writes take time, a message the handler sends after writing leaves only once the
//! write is on disk, as a real server persists before it replies. The writes a handler makes
//! between two sends are one write: a send waits for the writes made before it, never for
//! those made after it.

use std::ops::{Deref, DerefMut, RangeInclusive};

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
    /// `node` wrote its durable state: what it sends from now on waits for the write.
    /// `before` is the state from before the write, when the simulator asked for it (to
    /// restart from if a crash loses the write). Called before the first send after a run
    /// of writes, and when the handler returns after one.
    fn persist(&mut self, node: NodeId, before: Option<P::Durable>) {
        let _ = (node, before);
    }
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

/// A node's durable state as a handler sees it: reading is free; the first write since the
/// handler began or last sent is noted (and, when the simulator asks, the state as it was
/// before it is kept, so a crash before the write reaches the disk can lose it).
pub struct DurableRef<'a, D> {
    value: &'a mut D,
    written: bool,
    /// Off when writes take no time: nothing then waits for them or can lose them.
    tracks_writes: bool,
    keeps_before: bool,
    before: Option<D>,
}

impl<'a, D: Clone> DurableRef<'a, D> {
    /// With `keeps_before`, each write keeps a copy of the state as it was before it.
    pub fn new(value: &'a mut D, keeps_before: bool) -> Self {
        DurableRef {
            value,
            written: false,
            tracks_writes: true,
            keeps_before,
            before: None,
        }
    }

    /// Writes are not noted at all: for a node whose disk is instant, where no message waits
    /// for a write and no crash can lose one.
    pub fn untracked(value: &'a mut D) -> Self {
        DurableRef {
            value,
            written: false,
            tracks_writes: false,
            keeps_before: false,
            before: None,
        }
    }

    /// Whether the handler has written the state since it began or last sent.
    pub fn is_written(&self) -> bool {
        self.written
    }

    /// Ends the current write: the next change starts another. Returns the state from before
    /// the write, if kept.
    pub fn end_write(&mut self) -> Option<D> {
        self.written = false;
        self.before.take()
    }

    #[cold]
    #[inline(never)]
    fn first_write(&mut self) {
        self.written = true;
        if self.keeps_before {
            self.before = Some(self.value.clone());
        }
    }
}

impl<D> Deref for DurableRef<'_, D> {
    type Target = D;

    fn deref(&self) -> &D {
        self.value
    }
}

impl<D: Clone> DerefMut for DurableRef<'_, D> {
    fn deref_mut(&mut self) -> &mut D {
        if self.tracks_writes && !self.written {
            self.first_write();
        }
        self.value
    }
}

impl<D: std::fmt::Debug> std::fmt::Debug for DurableRef<'_, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value.fmt(f)
    }
}

/// Everything a handler may touch besides `self`.
pub struct Ctx<'a, P: Protocol> {
    /// Durable state: survives crashes. Read it freely; a write is on stable storage before
    /// any message the handler sends after it leaves the node (at once, or after the storage
    /// model's write latency).
    pub durable: DurableRef<'a, P::Durable>,
    id: NodeId,
    node_count: u16,
    now_us: u64,
    is_restart: bool,
    stream_links: bool,
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
        Self::with_durable(
            id,
            node_count,
            now_us,
            is_restart,
            DurableRef::new(durable, false),
            rng,
            out,
        )
    }

    /// [`Ctx::new`] with a [`DurableRef`] the caller set up (the simulator keeps the state
    /// from before a write when writes take time).
    pub fn with_durable(
        id: NodeId,
        node_count: u16,
        now_us: u64,
        is_restart: bool,
        durable: DurableRef<'a, P::Durable>,
        rng: &'a mut Prng,
        out: &'a mut dyn Effects<P>,
    ) -> Self {
        Ctx {
            durable,
            id,
            node_count,
            now_us,
            is_restart,
            stream_links: false,
            rng,
            out,
        }
    }

    /// The same context over connection-oriented links (`true`) or datagrams (`false`).
    pub fn over_streams(mut self, stream_links: bool) -> Self {
        self.stream_links = stream_links;
        self
    }

    /// True over connection-oriented links: a protocol that models what a connection tells
    /// its ends (a refused connect, a reset) acts on it only then, so datagram runs stay as
    /// they are.
    pub fn links_are_streams(&self) -> bool {
        self.stream_links
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn node_count(&self) -> u16 {
        self.node_count
    }

    /// Smallest number of nodes that is a majority of the cluster.
    pub fn quorum(&self) -> usize {
        super::quorum::Majority::of(self.node_count).size()
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
        self.maybe_tell_persist();
        self.out.send(self.id, to, msg);
    }

    /// Sends `msg` to every peer (not to this node).
    pub fn broadcast(&mut self, msg: P::Msg) {
        self.maybe_tell_persist();
        for peer in self.peers() {
            self.out.send(self.id, peer, msg.clone());
        }
    }

    /// Tells the simulator of the writes made since the handler began or last sent, before
    /// anything sent after them leaves. The simulator calls it when the handler returns too.
    pub fn maybe_tell_persist(&mut self) {
        if self.durable.is_written() {
            let before = self.durable.end_write();
            self.out.persist(self.id, before);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prng::Stream;
    use crate::protocol::{ClientReply, Command};

    /// A node that writes its durable counter when told to, and sends around it.
    #[derive(Debug)]
    struct Writer;

    impl Protocol for Writer {
        type Config = ();
        type Msg = u64;
        type Timer = ();
        type Durable = u64;
        const NAME: &'static str = "writer";

        fn on_start(_: &(), _: &mut Ctx<'_, Self>) -> Self {
            Writer
        }

        fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: u64) {
            ctx.send(from, *ctx.durable);
            if msg > 0 {
                *ctx.durable += msg;
                ctx.send(from, *ctx.durable);
                ctx.broadcast(*ctx.durable);
                *ctx.durable += 1;
            }
        }

        fn on_timer(&mut self, _: &mut Ctx<'_, Self>, _: ()) {}

        fn on_client_request(&mut self, _: &mut Ctx<'_, Self>, _: Command) -> ClientReply {
            ClientReply::Accepted
        }
    }

    /// Effects in the order they came, persists included.
    #[derive(Default)]
    struct Log(Vec<String>);

    impl Effects<Writer> for Log {
        fn send(&mut self, _: NodeId, to: NodeId, msg: u64) {
            self.0.push(format!("send {to} {msg}"));
        }
        fn timer(&mut self, _: NodeId, _: TimerOp<()>) {}
        fn observe(&mut self, _: NodeId, _: Observation) {}
        fn persist(&mut self, node: NodeId, before: Option<u64>) {
            self.0.push(format!("persist {node} from {before:?}"));
        }
    }

    /// One delivery of `msg`, as the simulator runs it: the handler, then whatever it wrote
    /// after its last send.
    fn step(durable: &mut u64, keeps_before: bool, msg: u64) -> Vec<String> {
        let mut rng = Prng::new(1, Stream::Node(0));
        let mut log = Log::default();
        let durable = DurableRef::new(durable, keeps_before);
        let mut ctx = Ctx::with_durable(NodeId(0), 3, 0, false, durable, &mut rng, &mut log);
        Writer.on_message(&mut ctx, NodeId(1), msg);
        ctx.maybe_tell_persist();
        log.0
    }

    #[test]
    fn reads_are_free_and_each_send_waits_for_the_writes_before_it_only() {
        let mut durable = 5;
        assert_eq!(
            step(&mut durable, true, 0),
            ["send n1 5"],
            "no write, no persist"
        );
        let log = step(&mut durable, true, 2);
        assert_eq!(durable, 8);
        assert_eq!(
            log,
            [
                "send n1 5",
                "persist n0 from Some(5)",
                "send n1 7",
                "send n1 7",
                "send n2 7",
                "persist n0 from Some(7)",
            ]
        );
        let log = step(&mut durable, false, 1);
        assert_eq!(log[1], "persist n0 from None", "no copy unless asked");
    }
}
