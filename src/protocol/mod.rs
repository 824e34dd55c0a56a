//! The contract between the simulator and a protocol.
//!
//! A protocol is a sans-IO state machine: it never reads a clock, never spawns, never touches a
//! socket or the OS RNG. Inputs arrive as calls ([`Protocol::on_start`], [`Protocol::on_message`],
//! [`Protocol::on_timer`], [`Protocol::on_client_request`]); outputs leave through the [`Ctx`]:
//! `send`, `broadcast`, `set_timer`, `cancel_timer`, `observe`, and writes to `ctx.durable`.
//!
//! **Durability model.** The simulator owns each node's durable state (`P::Durable`) and lends
//! it to every handler as `ctx.durable`. A write there is on stable storage when the handler
//! returns, before any message the handler sent leaves the node — the "persist before
//! replying" discipline of Raft's Figure 2 holds by construction for state kept there. A crash
//! drops the node value (everything in `self`); a restart calls `on_start` with the durable
//! state as it was. Keeping something in `self` that should have been durable is exactly the
//! class of bug the simulator exists to catch.

mod batch;
mod cluster;
mod command;
mod context;
mod hosted;
mod observation;
pub mod quorum;
mod scripted;

pub use batch::Batch;
pub use cluster::{ClusterView, NodeStates};
pub use command::{command_digest, Command, KvStore};
pub use context::{Ctx, DurableRef, Effects, Outbox, TimerOp};
pub use hosted::{BugVariant, BundledScenario, Hosted, NoBugs, SectionError, SwarmDraw};
pub use observation::Observation;
pub use scripted::ScriptedNode;

use std::fmt;
use std::hash::Hash;

/// A node's identity: its index in the cluster, `0..node_count`. Printed as `n0`, `n1`, …,
/// by `Debug` too, so traces of messages and observations name nodes one way.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u16);

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

impl NodeId {
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

/// What a node says to a client request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientReply {
    /// The node took the command and will try to commit it.
    Accepted,
    /// The node cannot take commands now; it may know who can.
    NotLeader { leader_hint: Option<NodeId> },
}

/// A distributed protocol the simulator can host. See the module docs for the rules.
pub trait Protocol: Sized {
    /// Static parameters shared by all nodes (timeouts, feature switches).
    type Config: Clone + fmt::Debug + Send + Sync;
    /// The protocol's messages: one enum with named fields per kind of message.
    type Msg: Clone + fmt::Debug + Hash;
    /// The protocol's timers. Setting a timer that is already pending replaces it.
    type Timer: Copy + fmt::Debug + Eq + Hash;
    /// State that survives a crash. `Default` is the state of a node's very first boot;
    /// `Clone` lets the simulator keep what is on disk while a write is still on its way.
    type Durable: Default + Clone + fmt::Debug;

    /// Short lowercase name used in scenario files and reports (`"raft"`).
    const NAME: &'static str;

    /// Boots a node: at time zero, and again after each restart with `ctx.durable` as it was
    /// left at the crash (`ctx.is_restart()` tells which).
    fn on_start(config: &Self::Config, ctx: &mut Ctx<'_, Self>) -> Self;

    /// A message from `from` has been delivered.
    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Self::Msg);

    /// A timer set earlier with [`Ctx::set_timer`] has fired.
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Self::Timer);

    /// A client submits `command` to this node.
    fn on_client_request(&mut self, ctx: &mut Ctx<'_, Self>, command: Command) -> ClientReply;

    /// Over connection-oriented links only: the connection to `peer` was reset (it crashed,
    /// or a partition cut the link), as a TCP reset tells a server. Messages `peer` sent
    /// before the reset have arrived. The default does nothing.
    fn on_connection_reset(&mut self, ctx: &mut Ctx<'_, Self>, peer: NodeId) {
        let _ = (ctx, peer);
    }

    /// Local consistency of one node (for example "commit index is within the log"), checked
    /// after every step that node takes. `Err` names the broken property and says how.
    fn check_local(&self, _durable: &Self::Durable) -> Result<(), LocalViolation> {
        Ok(())
    }

    /// A property of this node against the rest of the cluster (for example "the leader I just
    /// became is at least as up to date as every node that elected me"), checked right after
    /// every step this node takes. Keep it cheap when there is nothing to check: it runs on
    /// every step.
    fn check_cluster(&self, _cluster: &ClusterView<'_, Self>) -> Result<(), LocalViolation> {
        Ok(())
    }
}

/// A node-local property that does not hold, from [`Protocol::check_local`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalViolation {
    pub invariant: &'static str,
    pub detail: String,
}
