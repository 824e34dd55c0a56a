//! Running a validated scenario with the protocol it names, and describing the result.

mod summary;

pub use summary::{human_summary, json_summary};

use crate::fle::FleNode;
use crate::raft::RaftNode;
use crate::scenario::{ProtocolConfig, Scenario};
use crate::sim::{RunReport, Simulator, TraceSink};

/// Runs `scenario` with `seed` (which replaces the scenario's own seed).
pub fn run_scenario(scenario: &Scenario, seed: u64, sink: TraceSink) -> RunReport {
    let mut sim_config = scenario.sim.clone();
    sim_config.seed = seed;
    match &scenario.protocol {
        ProtocolConfig::Raft(config) => Simulator::<RaftNode>::new(sim_config, *config, sink).run(),
        ProtocolConfig::Fle(config) => {
            Simulator::<FleNode>::new(sim_config, config.clone(), sink).run()
        }
    }
}
