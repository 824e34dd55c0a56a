//! `--paranoid` runs a naive from-scratch checker beside the incremental one. On correct
//! Raft and FLE, on every Raft bug variant's detecting run and on every regression file (the
//! shrunk failures of broken variants of both protocols), both must reach the same verdict,
//! so the paranoid run's outcome (kind, invariant, step, detail) and trace equal the normal
//! run's.

use quorumsim::fle::FleBug;
use quorumsim::registry::Registry;
use quorumsim::run::run_scenario_unjudged;
use quorumsim::scenario;
use quorumsim::scenario::Scenario;
use quorumsim::sim::{Outcome, RunReport, TraceSink};

use crate::bugs::{first_detecting_seed, load, with_bug, DETECTIONS};
use crate::fle_bug_detection::fle_base;
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
    assert_agreement_on_scenarios_in("raft");
}

#[test]
fn paranoid_agrees_on_every_bundled_fle_scenario() {
    assert_agreement_on_scenarios_in("fle");
}

/// Every bundled scenario in `scenarios/<dir>/` (benchmarks are long, and regression files
/// have their own test), seeds 1 and 2: it passes, and the paranoid run is the same run. The
/// folder is named after the protocol its scenarios run.
fn assert_agreement_on_scenarios_in(dir: &str) {
    for path in bundled_scenarios() {
        if !path.parent().is_some_and(|parent| parent.ends_with(dir)) {
            continue;
        }
        let scenario =
            quorumsim::scenario::load(&Registry::builtin(), &path).expect("bundled scenarios load");
        assert_eq!(scenario.protocol.name(), dir, "{}", path.display());
        for seed in 1..=2 {
            let what = format!("{} seed {seed}", path.display());
            let normal = run(&scenario, seed);
            assert!(normal.outcome.is_pass(), "{what}: {}", normal.outcome);
            assert_same_run(&normal, &run(&paranoid(&scenario), seed), &what);
        }
    }
}

#[test]
fn paranoid_agrees_on_every_regression_file() {
    // The engine's own verdicts, not judged against the files' recorded ends: a violation
    // must be the same violation at the same step.
    let mut failing = 0;
    for path in bundled_scenarios() {
        if !path
            .parent()
            .is_some_and(|dir| dir.ends_with("regressions"))
        {
            continue;
        }
        let scenario =
            quorumsim::scenario::load(&Registry::builtin(), &path).expect("regression files load");
        let seed = scenario.sim.seed;
        let normal = run_scenario_unjudged(&scenario, seed, TraceSink::Off);
        let checked = run_scenario_unjudged(&paranoid(&scenario), seed, TraceSink::Off);
        assert_same_run(&normal, &checked, &path.display().to_string());
        failing += usize::from(matches!(normal.outcome, Outcome::Violation { .. }));
    }
    assert!(
        failing >= 2,
        "the regression files hold violations of both protocols"
    );
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

#[test]
fn paranoid_agrees_on_every_fle_bug_s_first_failing_seed() {
    // The first seed of the bundled fuzz base that each FLE variant fails, run both ways.
    for bug in FleBug::ALL {
        let base = fle_base(Some(bug));
        let failing = (0..200).find_map(|seed| {
            let file = crate::support::generate(&base, seed);
            let scenario =
                scenario::from_file(&Registry::builtin(), "generated.json", &file).expect("valid");
            let normal = run_scenario_unjudged(&scenario, seed, TraceSink::Off);
            (!normal.outcome.is_pass()).then_some((scenario, seed, normal))
        });
        let (scenario, seed, normal) =
            failing.unwrap_or_else(|| panic!("{} fails no seed of 0..200", bug.name()));
        let checked = run_scenario_unjudged(&paranoid(&scenario), seed, TraceSink::Off);
        assert_same_run(&normal, &checked, &format!("{} seed {seed}", bug.name()));
    }
}
