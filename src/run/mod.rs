//! Running a validated scenario with the protocol it names, and describing the result.

mod summary;

pub use summary::{human_summary, json_summary};

use crate::raft::RaftNode;
use crate::scenario::{ProtocolConfig, Scenario};
use crate::sim::{Recording, Retention, RunReport, Simulator, TraceSink};

/// Runs `scenario` with `seed` (which replaces the scenario's own seed).
pub fn run_scenario(scenario: &Scenario, seed: u64, sink: TraceSink) -> RunReport {
    let mut sim_config = scenario.sim.clone();
    sim_config.seed = seed;
    match &scenario.protocol {
        ProtocolConfig::Raft(config) => Simulator::<RaftNode>::new(sim_config, *config, sink).run(),
    }
}

/// Runs `scenario` like [`run_scenario`] and also records what `retention` keeps of the run
/// for pictures (the space-time diagram). Same trace hash as the unrecorded run.
pub fn run_scenario_recorded(
    scenario: &Scenario,
    seed: u64,
    sink: TraceSink,
    retention: Retention,
) -> (RunReport, Recording) {
    let mut sim_config = scenario.sim.clone();
    sim_config.seed = seed;
    match &scenario.protocol {
        ProtocolConfig::Raft(config) => {
            Simulator::<RaftNode>::new(sim_config, *config, sink).run_recorded(retention)
        }
    }
}
