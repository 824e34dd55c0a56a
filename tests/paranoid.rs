//! `--paranoid` runs a naive from-scratch checker beside the incremental one. On correct
//! Raft and on every bug variant's detecting run, both must reach the same verdict, so the
//! paranoid run's outcome (kind, invariant, step, detail) and trace equal the normal run's.

use quorumsim::scenario::{ProtocolConfig, Scenario};
use quorumsim::sim::RunReport;

use crate::bugs::{first_detecting_seed, load, with_bug, DETECTIONS};
use crate::support::{bundled_scenarios, run};

fn paranoid(scenario: &Scenario) -> Scenario {
    let mut scenario = scenario.clone();
    scenario.sim.paranoid = true;
    scenario
}

fn assert_same_run(normal: &RunReport, paranoid: &RunReport, what: &str) {
    assert_eq!(normal.outcome, paranoid.outcome, "{what}");
    assert_eq!(normal.steps, paranoid.steps, "{what}");
    assert_eq!(normal.trace_hash, paranoid.trace_hash, "{what}");
}

#[test]
fn paranoid_agrees_on_every_bundled_raft_scenario() {
    for path in bundled_scenarios() {
        if !path.parent().is_some_and(|dir| dir.ends_with("raft")) {
            continue; // benchmarks are long; other protocols have their own tests
        }
        let scenario = quorumsim::scenario::load(&path).expect("bundled scenarios load");
        assert!(matches!(scenario.protocol, ProtocolConfig::Raft(_)));
        for seed in 1..=2 {
            let what = format!("{} seed {seed}", path.display());
            let normal = run(&scenario, seed);
            assert!(normal.outcome.is_pass(), "{what}: {}", normal.outcome);
            assert_same_run(&normal, &run(&paranoid(&scenario), seed), &what);
        }
    }
}

#[test]
fn paranoid_agrees_on_every_bug_s_detecting_run() {
    for (bug, path, expected, seeds) in DETECTIONS {
        let scenario = with_bug(load(path), bug);
        let seed = first_detecting_seed(&scenario, expected, seeds).expect("the bug is caught");
        let what = format!("{} on {path} seed {seed}", bug.name());
        assert_same_run(
            &run(&scenario, seed),
            &run(&paranoid(&scenario), seed),
            &what,
        );
    }
}
