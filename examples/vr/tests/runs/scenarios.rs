//! The bundled VR scenarios: each passes over many seeds, and a seed is a run, byte for byte.

use std::collections::BTreeSet;

use quorumsim::run::run_scenario;
use quorumsim::scenario;
use quorumsim::sim::TraceSink;

use crate::{crate_path, registry};

fn bundled() -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(crate_path("scenarios"))
        .expect("the scenarios folder")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_bundled_scenario_passes_over_many_seeds() {
    let paths = bundled();
    assert!(paths.len() >= 5, "{paths:?}");
    for path in paths {
        let loaded = scenario::load(&registry(), &path).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(loaded.protocol.name(), "vr");
        for seed in 1..=30 {
            let report = run_scenario(&loaded, seed, TraceSink::Off);
            assert!(
                report.outcome.is_pass(),
                "{} seed {seed}: {}",
                path.display(),
                report.outcome
            );
            assert!(report.committed > 0, "{} seed {seed}", path.display());
        }
    }
}

#[test]
fn a_seed_is_a_run_and_seeds_differ() {
    let loaded =
        scenario::load(&registry(), &crate_path("scenarios/restart-churn.json")).expect("loads");
    let mut hashes = BTreeSet::new();
    for seed in 0..16 {
        let first = run_scenario(&loaded, seed, TraceSink::Off);
        let second = run_scenario(&loaded, seed, TraceSink::Off);
        assert_eq!(first.trace_hash, second.trace_hash, "seed {seed}");
        assert_eq!(first.steps, second.steps, "seed {seed}");
        hashes.insert(first.trace_hash);
    }
    assert_eq!(hashes.len(), 16, "seeds differ");
}

#[test]
fn a_quiet_group_keeps_its_first_primary() {
    let loaded =
        scenario::load(&registry(), &crate_path("scenarios/fuzz-base.json")).expect("loads");
    let report = run_scenario(&loaded, 3, TraceSink::Off);
    assert!(report.outcome.is_pass(), "{}", report.outcome);
    assert_eq!(report.leaders.len(), 1, "no view change without a fault");
    assert_eq!(report.leaders[0].term, 0);
    assert!(report.committed > 100, "{}", report.committed);
}
