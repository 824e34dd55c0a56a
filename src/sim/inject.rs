//! Fault injection: applying the schedule's actions (crash, restart, isolate, partition,
//! one-way cut, heal, new link settings) when they fire, and resolving the selectors they
//! name ("leader", "follower", "random", "crashed", "rest") against the nodes as they are at
//! that moment. Random picks draw from the fault stream, so a schedule resolves the same way
//! on every run of a seed.

use super::fault::{FaultAction, LinkChange, Selector};
use super::recording::NodeEventKind;
use super::simulator::Simulator;
use super::trace::TraceTag;
use crate::prng::Stream;
use crate::protocol::{NodeId, Protocol};

impl<P: Protocol> Simulator<P> {
    pub(super) fn apply_fault(&mut self, index: usize) {
        let action = self.config.faults[index].action.clone();
        let links_before = self.engine.streams.is_some().then(|| self.links_up());
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
            FaultAction::SlowDisk { node, factor } => match self.resolve(node, &[]) {
                Some(node) if !self.engine.disks.is_empty() => {
                    self.engine.disks[node.index()].set_slowdown(factor);
                    self.engine
                        .record(&(TraceTag::NodeSlowed, node, factor), || {
                            format!("{node} disk: writes take x{factor}")
                        });
                }
                other => self.skip_fault(&action, other),
            },
            FaultAction::ClockSkew { node, drift_ppm } => match self.resolve(node, &[]) {
                Some(node) => {
                    self.engine.clocks[node.index()].set_drift_ppm(drift_ppm);
                    self.engine
                        .record(&(TraceTag::NodeSlowed, node, drift_ppm), || {
                            format!("{node} clock: {drift_ppm:+} ppm")
                        });
                }
                None => self.skip_fault(&action, None),
            },
            FaultAction::ClockJump { node, by_us } => match self.resolve(node, &[]) {
                Some(node) if self.engine.alive[node.index()] => {
                    self.engine.jump_clock(node, by_us);
                    self.engine
                        .record(&(TraceTag::NodeSlowed, node, by_us), || {
                            format!("{node} clock: jumped {by_us:+} us")
                        });
                }
                other => self.skip_fault(&action, other),
            },
        }
        if let Some(before) = links_before {
            self.reset_cut_connections(&before);
        }
        if let Some(text) = recorded_text {
            self.record_fault(text);
        }
        self.liveness
            .on_fault_applied(self.engine.leadership.committed_count());
        // Liveness or links changed: the leader a live quorum acknowledges may have too.
        self.engine.leadership.on_cluster_changed();
    }

    /// Which directed links are up, row by row.
    fn links_up(&self) -> Vec<bool> {
        let nodes = self.config.node_count;
        let topology = &self.engine.network.topology;
        (0..nodes)
            .flat_map(|from| (0..nodes).map(move |to| (NodeId(from), NodeId(to))))
            .map(|(from, to)| topology.connected(from, to))
            .collect()
    }

    /// Over connection-oriented links, a connection whose link went down either way is reset.
    fn reset_cut_connections(&mut self, before: &[bool]) {
        let after = self.links_up();
        let nodes = usize::from(self.config.node_count);
        let went_down = |a: usize, b: usize| before[a * nodes + b] && !after[a * nodes + b];
        for a in 0..nodes {
            for b in a + 1..nodes {
                if went_down(a, b) || went_down(b, a) {
                    self.engine
                        .reset_connection(NodeId(a as u16), NodeId(b as u16));
                }
            }
        }
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
        if !self.engine.disks.is_empty() {
            self.lose_unwritten(node);
        }
    }

    /// Writes not yet on disk when `node` crashed are lost: it restarts from the state
    /// before the first of them.
    fn lose_unwritten(&mut self, node: NodeId) {
        let lost_writes = self.engine.disks[node.index()].crash(self.engine.now_us);
        if let Some(before) = lost_writes.before {
            self.nodes[node.index()].durable = before;
        }
        if let Some(ghost) = lost_writes.ghost {
            self.engine.restore_ghost(node, ghost);
        }
        let lost = lost_writes.count;
        if lost > 0 {
            self.engine.record(&(TraceTag::WritesLost, node, lost), || {
                format!("{node} lost {lost} writes not yet on disk")
            });
        }
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
            Selector::Writing => self.pick_writing(placed),
            Selector::Rest => None,
        }
    }

    /// A random live node not in `excluded` — or, with `crashed`, the crashed node that went
    /// down first (deterministic, so "crash leader … restart crashed" pairs up).
    pub(super) fn pick_live(
        &mut self,
        excluded: &[NodeId],
        crashed: bool,
        stream: Stream,
    ) -> Option<NodeId> {
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

    /// A random live node not in `excluded` whose disk is still writing.
    fn pick_writing(&mut self, excluded: &[NodeId]) -> Option<NodeId> {
        let now_us = self.engine.now_us;
        let disks = &self.engine.disks;
        let candidates: Vec<NodeId> = (0..disks.len())
            .map(|index| NodeId(index as u16))
            .filter(|node| {
                self.engine.alive[node.index()]
                    && !excluded.contains(node)
                    && disks[node.index()].busy(now_us)
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        Some(candidates[self.fault_rng.index(candidates.len())])
    }
}

/// `[n0, n3]`: nodes as the trace names them everywhere else.
fn node_list(nodes: &[NodeId]) -> String {
    let names: Vec<String> = nodes.iter().map(ToString::to_string).collect();
    format!("[{}]", names.join(", "))
}
