//! Judging a run against what a regression file says it must end in.

use crate::scenario::Scenario;
use crate::sim::{Outcome, RunReport};

/// The name that tells failures apart: the invariant for a violation, else the outcome kind
/// (`pass`, `panic`, `expectation-failed`, `limit`). Shrinking keeps it fixed; campaign
/// summaries count failures by it.
pub fn failure_signature(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Violation { violation, .. } => violation.invariant,
        other => other.kind(),
    }
}

/// `report` with its outcome replaced by the verdict of the scenario's expected end: `Pass`
/// when the run ended in the expected failure with the expected trace hash, an
/// `ExpectationFailed` naming each mismatch otherwise. A scenario without an expected end
/// keeps the engine's outcome.
pub fn judge(scenario: &Scenario, mut report: RunReport) -> RunReport {
    let expected = &scenario.expected_end;
    if expected.is_empty() {
        return report;
    }
    let mut reasons = Vec::new();
    if let Some(failure) = &expected.failure {
        if failure_signature(&report.outcome) != failure {
            reasons.push(format!(
                "expected the run to end in {failure}, it ended in {}",
                report.outcome
            ));
        }
    } else if !report.outcome.is_pass() {
        reasons.push(report.outcome.to_string());
    }
    if let Some(hash) = expected.trace_hash {
        if hash != report.trace_hash {
            reasons.push(format!(
                "expected trace hash {hash:016x}, got {:016x}",
                report.trace_hash
            ));
        }
    }
    report.outcome = if reasons.is_empty() {
        Outcome::Pass
    } else {
        Outcome::ExpectationFailed { reasons }
    };
    report
}
