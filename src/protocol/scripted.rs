//! One node of a protocol driven by hand, for scripted unit tests of a protocol's rules: the
//! test delivers messages, fires timers and reads what the node sent, with no simulator, no
//! network and no other nodes. The node boots at virtual time 0; move `now_us` to script time.

use super::{Ctx, NodeId, Outbox, Protocol};
use crate::prng::{Prng, Stream};

/// A booted node of `P` with its durable state, random stream and outbox.
pub struct ScriptedNode<P: Protocol> {
    pub id: NodeId,
    pub node_count: u16,
    /// The virtual time the next handler sees.
    pub now_us: u64,
    pub durable: P::Durable,
    pub rng: Prng,
    /// Everything the node's handlers sent, set and observed, until a test takes it.
    pub out: Outbox<P>,
    pub node: P,
    /// Whether the node's links are connection-oriented ([`Ctx::links_are_streams`]).
    pub stream_links: bool,
}

impl<P: Protocol> ScriptedNode<P> {
    /// Boots node `id` of `node_count` with fresh durable state and the node's own stream of
    /// seed 1. What `on_start` sent stays in `out`.
    pub fn boot(id: u16, node_count: u16, config: &P::Config) -> Self {
        let mut durable = P::Durable::default();
        let mut rng = Prng::new(1, Stream::Node(id));
        let mut out = Outbox::default();
        let mut ctx = Ctx::new(
            NodeId(id),
            node_count,
            0,
            false,
            &mut durable,
            &mut rng,
            &mut out,
        );
        let node = P::on_start(config, &mut ctx);
        ScriptedNode {
            id: NodeId(id),
            node_count,
            now_us: 0,
            durable,
            rng,
            out,
            node,
            stream_links: false,
        }
    }

    /// A crash and restart: the node value is dropped and `on_start` boots a new one from the
    /// durable state as it was (`ctx.is_restart()` is true). The outbox is kept.
    pub fn restart(&mut self, config: &P::Config) {
        let mut ctx = Ctx::new(
            self.id,
            self.node_count,
            self.now_us,
            true,
            &mut self.durable,
            &mut self.rng,
            &mut self.out,
        )
        .over_streams(self.stream_links);
        self.node = P::on_start(config, &mut ctx);
    }

    /// Runs `f` on the node with a context at `now_us`.
    pub fn with<R>(&mut self, f: impl FnOnce(&mut P, &mut Ctx<'_, P>) -> R) -> R {
        let mut ctx = Ctx::new(
            self.id,
            self.node_count,
            self.now_us,
            false,
            &mut self.durable,
            &mut self.rng,
            &mut self.out,
        )
        .over_streams(self.stream_links);
        f(&mut self.node, &mut ctx)
    }

    /// Delivers `msg` from node `from`.
    pub fn deliver(&mut self, from: u16, msg: P::Msg) {
        self.with(|node, ctx| node.on_message(ctx, NodeId(from), msg));
    }

    /// Fires `timer`.
    pub fn fire(&mut self, timer: P::Timer) {
        self.with(|node, ctx| node.on_timer(ctx, timer));
    }

    /// Resets the connection to node `peer` (connection-oriented links).
    pub fn reset(&mut self, peer: u16) {
        self.with(|node, ctx| node.on_connection_reset(ctx, NodeId(peer)));
    }
}
