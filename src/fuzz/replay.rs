//! Replaying a scenario file exactly: the engine's own outcome, the trace tail before it, and
//! whether it is the end the file records (`expect.violation`, `expect.trace_hash`).

use crate::run::{judge, run_scenario_unjudged};
use crate::scenario::Scenario;
use crate::sim::{Outcome, RunReport, TraceSink};

/// A replayed run: the engine's report (its outcome unjudged, its trace tail kept) and the
/// verdict against the file's expected end.
pub struct Replayed {
    pub report: RunReport,
    pub verdict: Outcome,
}

/// Runs `scenario` with its own seed, keeping the last `tail_lines` lines of the trace.
pub fn replay(scenario: &Scenario, tail_lines: usize) -> Replayed {
    let report = run_scenario_unjudged(scenario, scenario.sim.seed, TraceSink::Tail(tail_lines));
    let verdict = judge(scenario, report.clone()).outcome;
    Replayed { report, verdict }
}

/// Where two runs of one scenario went apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The first trace line that differs (it starts with the step number), from each run;
    /// empty where a run had ended.
    pub first: String,
    pub second: String,
    pub first_hash: u64,
    pub second_hash: u64,
}

/// Runs `scenario` twice with whole traces and compares them line by line and by hash.
pub fn check_determinism(scenario: &Scenario) -> Result<u64, Divergence> {
    let run = || run_scenario_unjudged(scenario, scenario.sim.seed, TraceSink::Tail(usize::MAX));
    let (one, two) = (run(), run());
    let differing = one
        .trace_tail
        .iter()
        .zip(&two.trace_tail)
        .position(|(a, b)| a != b)
        .or_else(|| {
            (one.trace_tail.len() != two.trace_tail.len())
                .then(|| one.trace_tail.len().min(two.trace_tail.len()))
        });
    match differing {
        None if one.trace_hash == two.trace_hash => Ok(one.trace_hash),
        _ => {
            let at = differing.unwrap_or(one.trace_tail.len().saturating_sub(1));
            let line = |report: &RunReport| report.trace_tail.get(at).cloned().unwrap_or_default();
            Err(Divergence {
                first: line(&one),
                second: line(&two),
                first_hash: one.trace_hash,
                second_hash: two.trace_hash,
            })
        }
    }
}
