//! What a run is asked to do, apart from the protocol's own settings: the cluster's size, the
//! seed, how long to run, the hard limits, the network, the client load, the fault schedule
//! and the expectations.
//!
//! A library user starts from [`SimConfig::new`] and changes what differs:
//!
//! ```
//! use quorumsim::sim::{FaultAction, Selector, SimConfig, Workload};
//! use quorumsim::time::ms;
//!
//! let config = SimConfig::new(5)
//!     .with_seed(42)
//!     .with_duration_us(ms(30_000))
//!     .with_workload(Workload::new().with_start_us(ms(500)))
//!     .with_fault(ms(10_000), FaultAction::Crash(Selector::Leader))
//!     .with_fault(ms(12_000), FaultAction::Restart(Selector::Crashed));
//! assert_eq!(config.faults.len(), 2);
//! ```

use super::clocks::ClockModel;
use super::connections::Connections;
use super::fault::{Fault, FaultAction};
use super::outcome::Expectations;
use super::storage::StorageModel;
use super::workload::Workload;
use crate::net::LinkModel;
use crate::time::ms;

/// Everything about a run except the protocol's own configuration.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub node_count: u16,
    pub seed: u64,
    /// The run ends at this virtual time.
    pub duration_us: u64,
    /// Hard limit on steps; reaching it is the `LimitReached` outcome, never a hang.
    pub max_steps: u64,
    /// Hard limit on messages in flight at once (a protocol flooding the network).
    pub max_in_flight: u64,
    pub links: LinkModel,
    /// Datagram links (the default) or ordered connections that reset on crashes and
    /// partitions.
    pub connections: Connections,
    /// How long each node's durable writes take (default: no time).
    pub storage: StorageModel,
    /// How each node's clock runs (default: every clock perfect).
    pub clocks: ClockModel,
    pub workload: Option<Workload>,
    /// The fault schedule, in any order; it is sorted by time (stably) at the start.
    pub faults: Vec<Fault>,
    pub expect: Expectations,
    /// Also run the naive from-scratch checker after every observation and report any
    /// disagreement with the incremental one (slow; for checking the checker).
    pub paranoid: bool,
}

impl SimConfig {
    /// The run length [`SimConfig::new`] sets: 10 s of virtual time.
    pub const DURATION_US_DEFAULT: u64 = ms(10_000);
    /// The step limit [`SimConfig::new`] sets, as a scenario file's default: far more than a
    /// run of a virtual hour takes, so reaching it means a protocol that never settles.
    pub const MAX_STEPS_DEFAULT: u64 = 20_000_000;
    /// The in-flight limit [`SimConfig::new`] sets, as a scenario file's default.
    pub const MAX_IN_FLIGHT_DEFAULT: u64 = 1_000_000;

    /// A run of `node_count` nodes (at least one; [`Simulator::new`](super::Simulator::new)
    /// checks) with seed 0 for [`Self::DURATION_US_DEFAULT`], the default limits, the
    /// default link model (1-5 ms latency, no loss, no duplicates), no client load, no
    /// faults and no liveness expectations. Safety is checked whatever the configuration.
    pub fn new(node_count: u16) -> SimConfig {
        SimConfig {
            node_count,
            seed: 0,
            duration_us: Self::DURATION_US_DEFAULT,
            max_steps: Self::MAX_STEPS_DEFAULT,
            max_in_flight: Self::MAX_IN_FLIGHT_DEFAULT,
            links: LinkModel::default(),
            connections: Connections::default(),
            storage: StorageModel::default(),
            clocks: ClockModel::default(),
            workload: None,
            faults: Vec::new(),
            expect: Expectations::default(),
            paranoid: false,
        }
    }

    /// The seed every random stream of the run derives from.
    pub fn with_seed(mut self, seed: u64) -> SimConfig {
        self.seed = seed;
        self
    }

    /// The virtual time the run ends at.
    pub fn with_duration_us(mut self, duration_us: u64) -> SimConfig {
        self.duration_us = duration_us;
        self
    }

    pub fn with_max_steps(mut self, max_steps: u64) -> SimConfig {
        self.max_steps = max_steps;
        self
    }

    pub fn with_max_in_flight(mut self, max_in_flight: u64) -> SimConfig {
        self.max_in_flight = max_in_flight;
        self
    }

    /// Latency, loss and duplication of every link from the start.
    pub fn with_links(mut self, links: LinkModel) -> SimConfig {
        self.links = links;
        self
    }

    /// Datagram links or ordered connections.
    pub fn with_connections(mut self, connections: Connections) -> SimConfig {
        self.connections = connections;
        self
    }

    /// How long durable writes take.
    pub fn with_storage(mut self, storage: StorageModel) -> SimConfig {
        self.storage = storage;
        self
    }

    /// How the nodes' clocks drift and their timers jitter.
    pub fn with_clocks(mut self, clocks: ClockModel) -> SimConfig {
        self.clocks = clocks;
        self
    }

    /// Whether the run needs a clock per node: a model that is not perfect, or a fault that
    /// changes a clock's rate.
    pub(super) fn needs_clocks(&self) -> bool {
        !self.clocks.is_perfect()
            || self
                .faults
                .iter()
                .any(|fault| matches!(fault.action, FaultAction::ClockSkew { .. }))
    }

    /// Client commands, as `workload` describes.
    pub fn with_workload(mut self, workload: Workload) -> SimConfig {
        self.workload = Some(workload);
        self
    }

    /// Adds `action` at `at_us` to the fault schedule; faults may be added in any order.
    pub fn with_fault(mut self, at_us: u64, action: FaultAction) -> SimConfig {
        self.faults.push(Fault { at_us, action });
        self
    }

    /// The liveness expectations the run is judged by, besides safety.
    pub fn with_expect(mut self, expect: Expectations) -> SimConfig {
        self.expect = expect;
        self
    }

    /// Whether the naive checker re-checks every observation too (see [`Self::paranoid`]).
    pub fn with_paranoid(mut self, paranoid: bool) -> SimConfig {
        self.paranoid = paranoid;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prng::Ratio;
    use crate::protocol::{ClientReply, Command, Ctx, NodeId, Observation, Protocol};
    use crate::sim::{Outcome, Selector, Simulator, TraceSink};

    #[test]
    fn new_sets_the_documented_defaults() {
        let config = SimConfig::new(3);
        assert_eq!(config.node_count, 3);
        assert_eq!(config.seed, 0);
        assert_eq!(config.duration_us, 10_000_000);
        assert_eq!(config.max_steps, 20_000_000);
        assert_eq!(config.max_in_flight, 1_000_000);
        assert_eq!(config.links, LinkModel::default());
        assert_eq!(config.workload, None);
        assert!(config.faults.is_empty());
        assert_eq!(config.expect, Expectations::default());
        assert!(!config.paranoid);
    }

    #[test]
    fn each_setter_changes_its_field_only() {
        let links = LinkModel {
            drop: Ratio::from_ppm(1_000),
            ..LinkModel::default()
        };
        let expect = Expectations {
            commits_min: Some(7),
            ..Expectations::default()
        };
        let crash = FaultAction::Crash(Selector::Leader);
        let config = SimConfig::new(5)
            .with_seed(9)
            .with_duration_us(ms(2_000))
            .with_max_steps(100)
            .with_max_in_flight(50)
            .with_links(links)
            .with_workload(Workload::new())
            .with_fault(ms(900), crash.clone())
            .with_fault(ms(300), FaultAction::Heal)
            .with_expect(expect)
            .with_paranoid(true);
        assert_eq!(config.node_count, 5);
        assert_eq!(config.seed, 9);
        assert_eq!(config.duration_us, 2_000_000);
        assert_eq!((config.max_steps, config.max_in_flight), (100, 50));
        assert_eq!(config.links, links);
        assert_eq!(config.workload, Some(Workload::new()));
        let schedule = [(900_000, crash), (300_000, FaultAction::Heal)];
        let faults: Vec<(u64, FaultAction)> = config
            .faults
            .iter()
            .map(|fault| (fault.at_us, fault.action.clone()))
            .collect();
        assert_eq!(faults, schedule, "kept in the order given");
        assert_eq!(config.expect, expect);
        assert!(config.paranoid);
    }

    /// Node 0 leads term 1 from the start and the others follow it; the leader takes every
    /// client command and commits it at once, so the count of commits is the count of
    /// commands that reached it.
    #[derive(Debug)]
    struct FixedLeader {
        committed: u64,
    }

    impl Protocol for FixedLeader {
        type Config = ();
        type Msg = ();
        type Timer = ();
        type Durable = ();
        const NAME: &'static str = "fixed-leader";

        fn on_start(_: &(), ctx: &mut Ctx<'_, Self>) -> Self {
            let leader = NodeId(0);
            let claim = if ctx.id() == leader {
                Observation::BecameLeader { term: 1 }
            } else {
                Observation::Following { term: 1, leader }
            };
            ctx.observe(claim);
            FixedLeader { committed: 0 }
        }

        fn on_message(&mut self, _: &mut Ctx<'_, Self>, _: NodeId, _: ()) {}

        fn on_timer(&mut self, _: &mut Ctx<'_, Self>, _: ()) {}

        fn on_client_request(&mut self, ctx: &mut Ctx<'_, Self>, command: Command) -> ClientReply {
            if ctx.id() != NodeId(0) {
                return ClientReply::NotLeader { leader_hint: None };
            }
            self.committed += 1;
            ctx.observe(Observation::Committed {
                index: self.committed,
                term: 1,
                digest: command.id,
            });
            ClientReply::Accepted
        }
    }

    /// The defaults make a run of ten seconds with a command every 10-30 ms, all aimed at
    /// the leader: about 500 commands, every one accepted and committed.
    #[test]
    fn a_run_from_the_defaults_drives_the_leader_for_ten_seconds() {
        let config = SimConfig::new(3)
            .with_workload(Workload::new())
            .with_expect(Expectations {
                leader_within_us: Some(ms(1)),
                commits_min: Some(300),
                commits_after_last_fault_min: None,
            });
        let report = Simulator::<FixedLeader>::new(config, (), TraceSink::Off).run();
        assert_eq!(report.outcome, Outcome::Pass);
        assert_eq!(report.end_us, SimConfig::DURATION_US_DEFAULT);
        let requests = report.stats.client_requests;
        assert!((334..=1_000).contains(&requests), "{requests} requests");
        assert_eq!(report.stats.client_accepted, requests);
        assert_eq!(report.committed, requests);
    }
}
