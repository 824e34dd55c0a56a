//! Connectivity as a directed graph (petgraph's adjacency matrix): an edge `a -> b` means
//! messages from `a` reach `b`. Partitions and one-way cuts remove edges; heal restores the
//! full mesh. A node always reaches itself. The matrix makes the per-message check O(1).

use petgraph::matrix_graph::{DiMatrix, NodeIndex};

use crate::protocol::NodeId;

#[derive(Clone)]
pub struct Topology {
    graph: DiMatrix<(), ()>,
    nodes: Vec<NodeIndex<u16>>,
    /// Every link is up: the common case, answered without a matrix look-up. `connected` runs
    /// twice per message (at send and at delivery), and links are nearly always all up.
    all_up: bool,
}

impl std::fmt::Debug for Topology {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Topology")
            .field("node_count", &self.nodes.len())
            .field("links_down", &self.links_down())
            .finish()
    }
}

impl Topology {
    /// `node_count` nodes, fully connected.
    pub fn full_mesh(node_count: u16) -> Topology {
        let mut graph = DiMatrix::with_capacity(usize::from(node_count));
        let nodes = (0..node_count).map(|_| graph.add_node(())).collect();
        let mut topology = Topology {
            graph,
            nodes,
            all_up: false,
        };
        topology.heal();
        topology
    }

    pub fn node_count(&self) -> u16 {
        self.nodes.len() as u16
    }

    /// Can a message sent by `from` reach `to` right now?
    pub fn connected(&self, from: NodeId, to: NodeId) -> bool {
        self.all_up
            || from == to
            || self
                .graph
                .has_edge(self.nodes[from.index()], self.nodes[to.index()])
    }

    /// Restores every link in both directions.
    pub fn heal(&mut self) {
        for &from in &self.nodes {
            for &to in &self.nodes {
                if from != to {
                    self.graph.update_edge(from, to, ());
                }
            }
        }
        self.all_up = true;
    }

    /// Splits the cluster: links stay up only inside each group. A node in no group is cut
    /// off from everyone. Replaces whatever partition was in force.
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        let mut group_of = vec![usize::MAX; self.nodes.len()];
        for (group_index, group) in groups.iter().enumerate() {
            for node in group {
                debug_assert_eq!(group_of[node.index()], usize::MAX, "{node} in two groups");
                group_of[node.index()] = group_index;
            }
        }
        for from in 0..self.nodes.len() {
            for to in 0..self.nodes.len() {
                let same_group = group_of[from] != usize::MAX && group_of[from] == group_of[to];
                self.set_link(from, to, same_group);
            }
        }
    }

    /// Cuts the one-way links from every node of `from` to every node of `to`; the reverse
    /// direction is untouched (an asymmetric partition).
    pub fn cut(&mut self, from: &[NodeId], to: &[NodeId]) {
        for a in from {
            for b in to {
                self.set_link(a.index(), b.index(), false);
            }
        }
    }

    /// Cuts `node` off from every other node, both ways.
    pub fn isolate(&mut self, node: NodeId) {
        for other in 0..self.nodes.len() {
            self.set_link(node.index(), other, false);
            self.set_link(other, node.index(), false);
        }
    }

    /// Number of directed links that are down.
    pub fn links_down(&self) -> usize {
        let n = self.nodes.len();
        n * n.saturating_sub(1) - self.graph.edge_count()
    }

    fn set_link(&mut self, from: usize, to: usize, up: bool) {
        if from == to {
            return;
        }
        let (a, b) = (self.nodes[from], self.nodes[to]);
        if up {
            self.graph.update_edge(a, b, ());
        } else if self.graph.has_edge(a, b) {
            self.graph.remove_edge(a, b);
        }
        self.all_up = self.links_down() == 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(raw: &[u16]) -> Vec<NodeId> {
        raw.iter().copied().map(NodeId).collect()
    }

    #[test]
    fn partition_keeps_links_inside_groups_only() {
        let mut topology = Topology::full_mesh(5);
        topology.partition(&[ids(&[0, 1]), ids(&[2, 3, 4])]);
        assert!(topology.connected(NodeId(0), NodeId(1)));
        assert!(topology.connected(NodeId(4), NodeId(2)));
        assert!(!topology.connected(NodeId(1), NodeId(2)));
        assert!(!topology.connected(NodeId(3), NodeId(0)));
        assert!(topology.connected(NodeId(3), NodeId(3)));
        topology.heal();
        assert!(topology.connected(NodeId(1), NodeId(2)));
        assert_eq!(topology.links_down(), 0);
    }

    #[test]
    fn cut_is_one_way() {
        let mut topology = Topology::full_mesh(3);
        topology.cut(&ids(&[0]), &ids(&[1, 2]));
        assert!(!topology.connected(NodeId(0), NodeId(1)));
        assert!(topology.connected(NodeId(1), NodeId(0)));
        assert_eq!(topology.links_down(), 2);
    }

    #[test]
    fn isolate_cuts_both_directions() {
        let mut topology = Topology::full_mesh(3);
        topology.isolate(NodeId(2));
        assert!(!topology.connected(NodeId(2), NodeId(0)));
        assert!(!topology.connected(NodeId(1), NodeId(2)));
        assert!(topology.connected(NodeId(0), NodeId(1)));
        // Cutting an already cut link is harmless.
        topology.isolate(NodeId(2));
        assert_eq!(topology.links_down(), 4);
    }

    #[test]
    fn unlisted_nodes_are_cut_off() {
        let mut topology = Topology::full_mesh(3);
        topology.partition(&[ids(&[0, 1])]);
        assert!(!topology.connected(NodeId(2), NodeId(0)));
        assert!(topology.connected(NodeId(0), NodeId(1)));
    }
}
