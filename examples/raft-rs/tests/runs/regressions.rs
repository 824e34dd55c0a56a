//! Failures triaged to raft-rs itself, kept as regression files (`tests/regressions/`): each
//! must end exactly as it records, and the experiment that explains it must make it pass.

use quorumsim::run::{failure_signature, run_scenario};
use quorumsim::scenario;
use quorumsim::sim::TraceSink;
use serde_json::Value;

use crate::{crate_path, registry};

/// tikv/raft-rs#14: a refused higher-term vote request restarts the election timer. Each
/// file misses its liveness bound as raft-rs is, and meets it when a node keeps its timer as
/// Raft's Figure 2 says (the adapter's `keep_timer_on_refused_vote`): the hand-cut
/// reproducer, and the one failure of the 100,000-seed campaign.
#[test]
fn stale_candidates_delay_the_leader_until_the_timer_is_kept() {
    for name in [
        "stale-candidates-after-heal.json",
        "raft-rs-seed-88048.json",
    ] {
        let path = crate_path(&format!("tests/regressions/{name}"));
        let registry = registry();
        let loaded = scenario::load(&registry, &path).unwrap_or_else(|error| panic!("{error}"));
        let report = run_scenario(&loaded, loaded.sim.seed, TraceSink::Off);
        assert!(
            report.outcome.is_pass(),
            "{name} not reproduced: {}",
            report.outcome
        );

        let text = std::fs::read_to_string(&path).expect("readable");
        let mut file = scenario::parse_file(&registry, name, &text).expect("parses");
        let mut section = file.section().cloned().expect("a raft-rs section");
        section["keep_timer_on_refused_vote"] = Value::Bool(true);
        file.set_section(section);
        file.expect.violation = None;
        file.expect.trace_hash = None;
        let kept = scenario::from_file(&registry, name, &file).expect("valid");
        let report = run_scenario(&kept, kept.sim.seed, TraceSink::Off);
        assert_eq!(
            failure_signature(&report.outcome),
            "pass",
            "{name}: {}",
            report.outcome
        );
    }
}
