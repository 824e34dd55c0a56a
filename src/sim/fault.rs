//! The fault schedule: timed actions on nodes and links. Nodes may be named by id or by role
//! ("leader", "follower", …); roles are resolved when the fault fires, from what the nodes
//! have observed, with ties broken by the fault stream so runs stay deterministic.

use std::fmt;

use crate::prng::Ratio;
use crate::protocol::NodeId;

/// Picks nodes at the moment a fault fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Selector {
    /// This node.
    Node(NodeId),
    /// The live node claiming leadership in the highest term.
    Leader,
    /// A live node that is not the current leader, chosen at random.
    Follower,
    /// A live node chosen at random.
    Random,
    /// A crashed node: the one that went down first.
    Crashed,
    /// A live node whose disk holds writes not yet on disk, chosen at random: crashing it
    /// loses them (with instant disks there is none).
    Writing,
    /// In a partition: every node not placed in another group.
    Rest,
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Node(node) => write!(f, "{node}"),
            Selector::Leader => f.write_str("leader"),
            Selector::Follower => f.write_str("follower"),
            Selector::Random => f.write_str("random"),
            Selector::Crashed => f.write_str("crashed"),
            Selector::Writing => f.write_str("writing"),
            Selector::Rest => f.write_str("rest"),
        }
    }
}

/// A change to the link model; fields left `None` keep their value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LinkChange {
    pub drop: Option<Ratio>,
    pub duplicate: Option<Ratio>,
    pub latency_us_min: Option<u64>,
    pub latency_us_max: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FaultAction {
    /// The node stops: volatile state and pending timers are lost, messages in flight to it
    /// are lost, durable state is kept.
    Crash(Selector),
    /// A crashed node boots again from its durable state.
    Restart(Selector),
    /// Links stay up only inside each group; replaces any earlier partition or cut.
    Partition(Vec<Vec<Selector>>),
    /// One-way cut from every node of `from` to every node of `to`, added to what is down.
    Cut {
        from: Vec<Selector>,
        to: Vec<Selector>,
    },
    /// The node is cut off from all others, both ways.
    Isolate(Selector),
    /// Every link is up again.
    Heal,
    /// New drop/duplicate/latency settings for all links from now on.
    SetLinks(LinkChange),
    /// The node's durable writes take `factor` times as long from now on (1: as the storage
    /// model says), a disk that has gone grey.
    SlowDisk { node: Selector, factor: u64 },
    /// The node's clock gains `drift_ppm` microseconds per second of true time from now on
    /// (negative: loses them).
    ClockSkew { node: Selector, drift_ppm: i64 },
    /// The node's clock jumps by `by_us` (forward when positive): its pending timers fire
    /// that much earlier, not before now (later, for a jump back).
    ClockJump { node: Selector, by_us: i64 },
}

/// One entry of the schedule.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fault {
    pub at_us: u64,
    pub action: FaultAction,
}

impl fmt::Display for FaultAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list(selectors: &[Selector]) -> String {
            let names: Vec<String> = selectors.iter().map(ToString::to_string).collect();
            format!("[{}]", names.join(","))
        }
        match self {
            FaultAction::Crash(selector) => write!(f, "crash {selector}"),
            FaultAction::Restart(selector) => write!(f, "restart {selector}"),
            FaultAction::Isolate(selector) => write!(f, "isolate {selector}"),
            FaultAction::Heal => f.write_str("heal"),
            FaultAction::Partition(groups) => {
                let groups: Vec<String> = groups.iter().map(|g| list(g)).collect();
                write!(f, "partition {}", groups.join(" "))
            }
            FaultAction::Cut { from, to } => write!(f, "cut {} -> {}", list(from), list(to)),
            FaultAction::SetLinks(change) => write!(f, "set-links {change:?}"),
            FaultAction::SlowDisk { node, factor } => write!(f, "slow-disk {node} x{factor}"),
            FaultAction::ClockSkew { node, drift_ppm } => {
                write!(f, "clock-skew {node} {drift_ppm:+} ppm")
            }
            FaultAction::ClockJump { node, by_us } => write!(f, "clock-jump {node} {by_us:+} us"),
        }
    }
}
