//! A read-only view of every node of the cluster, for properties that span nodes and that only
//! the protocol knows how to state (see [`super::Protocol::check_cluster`]).

use super::{NodeId, Protocol};

/// Where a [`ClusterView`] reads node states from: the simulator's node table, or a test's.
pub trait NodeStates<P: Protocol> {
    fn node_count(&self) -> u16;
    /// The node's volatile state, `None` while it is down.
    fn live(&self, node: NodeId) -> Option<&P>;
    /// The node's durable state, as it is now (kept while the node is down).
    fn durable(&self, node: NodeId) -> &P::Durable;
}

/// Every node's live state (if up) and durable state, as they are after a step.
pub struct ClusterView<'a, P: Protocol> {
    states: &'a dyn NodeStates<P>,
}

impl<'a, P: Protocol> ClusterView<'a, P> {
    pub fn new(states: &'a dyn NodeStates<P>) -> Self {
        ClusterView { states }
    }

    pub fn node_count(&self) -> u16 {
        self.states.node_count()
    }

    pub fn live(&self, node: NodeId) -> Option<&'a P> {
        self.states.live(node)
    }

    pub fn durable(&self, node: NodeId) -> &'a P::Durable {
        self.states.durable(node)
    }
}
