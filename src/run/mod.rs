//! Running a validated scenario with the protocol it names, and describing the result.

mod summary;
mod verdict;

pub use summary::{human_summary, json_summary};
pub use verdict::{failure_signature, judge};

use crate::scenario::Scenario;
use crate::sim::{Recording, Retention, RunReport, SimConfig, TraceSink};

/// Runs `scenario` with `seed` (which replaces the scenario's own seed) and judges the end
/// against the scenario's `expect.violation` and `expect.trace_hash`, if it has them.
pub fn run_scenario(scenario: &Scenario, seed: u64, sink: TraceSink) -> RunReport {
    judge(scenario, run_scenario_unjudged(scenario, seed, sink))
}

/// Runs `scenario` with `seed` and reports the engine's own outcome, whatever the scenario
/// says the run must end in. Replay and shrink compare against this.
pub fn run_scenario_unjudged(scenario: &Scenario, seed: u64, sink: TraceSink) -> RunReport {
    scenario.protocol.run(sim_config(scenario, seed), sink)
}

/// Runs `scenario` like [`run_scenario_unjudged`] and also records what `retention` keeps of
/// the run for pictures (the space-time diagram), which draw the engine's own outcome. Same
/// trace hash as the unrecorded run; [`judge`] the report for a regression file's verdict.
pub fn run_scenario_recorded(
    scenario: &Scenario,
    seed: u64,
    sink: TraceSink,
    retention: Retention,
) -> (RunReport, Recording) {
    scenario
        .protocol
        .run_recorded(sim_config(scenario, seed), sink, retention)
}

fn sim_config(scenario: &Scenario, seed: u64) -> SimConfig {
    let mut sim_config = scenario.sim.clone();
    sim_config.seed = seed;
    sim_config
}
