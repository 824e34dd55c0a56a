//! Running a validated scenario with the protocol it names, and describing the result.

mod summary;
mod verdict;

pub use summary::{human_summary, json_summary};
pub use verdict::{failure_signature, judge};

use crate::fle::FleNode;
use crate::raft::RaftNode;
use crate::scenario::{ProtocolConfig, Scenario};
use crate::sim::{Recording, Retention, RunReport, Simulator, TraceSink};

/// Runs `scenario` with `seed` (which replaces the scenario's own seed) and judges the end
/// against the scenario's `expect.violation` and `expect.trace_hash`, if it has them.
pub fn run_scenario(scenario: &Scenario, seed: u64, sink: TraceSink) -> RunReport {
    judge(scenario, run_scenario_unjudged(scenario, seed, sink))
}

/// Runs `scenario` with `seed` and reports the engine's own outcome, whatever the scenario
/// says the run must end in. Replay and shrink compare against this.
pub fn run_scenario_unjudged(scenario: &Scenario, seed: u64, sink: TraceSink) -> RunReport {
    let mut sim_config = scenario.sim.clone();
    sim_config.seed = seed;
    match &scenario.protocol {
        ProtocolConfig::Raft(config) => Simulator::<RaftNode>::new(sim_config, *config, sink).run(),
        ProtocolConfig::Fle(config) => {
            Simulator::<FleNode>::new(sim_config, config.clone(), sink).run()
        }
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
        ProtocolConfig::Fle(config) => {
            Simulator::<FleNode>::new(sim_config, config.clone(), sink).run_recorded(retention)
        }
    }
}
