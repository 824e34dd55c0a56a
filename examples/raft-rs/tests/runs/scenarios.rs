//! The bundled raft-rs scenarios (the situations of quorumsim's `scenarios/raft/`): each
//! passes over many seeds.

use quorumsim::run::{failure_signature, run_scenario};
use quorumsim::scenario;
use quorumsim::sim::TraceSink;

use crate::{crate_path, registry};

const SEEDS_PER_SCENARIO: u64 = 10;

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
    assert!(paths.len() >= 15, "{paths:?}");
    for path in paths {
        let loaded = scenario::load(&registry(), &path).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(loaded.protocol.name(), "raft-rs");
        for seed in 1..=SEEDS_PER_SCENARIO {
            let report = run_scenario(&loaded, seed, TraceSink::Off);
            assert!(
                report.outcome.is_pass(),
                "{} seed {seed}: {}",
                path.display(),
                report.outcome
            );
        }
    }
}

#[test]
fn a_quiet_cluster_keeps_its_first_leader_and_commits() {
    let loaded =
        scenario::load(&registry(), &crate_path("scenarios/steady-state.json")).expect("loads");
    let report = run_scenario(&loaded, 3, TraceSink::Off);
    assert!(report.outcome.is_pass(), "{}", report.outcome);
    assert_eq!(report.leaders.len(), 1, "no election without a fault");
    assert!(report.committed > 300, "{}", report.committed);
}

/// The scenario that catches a forgotten vote catches an application that writes raft-rs's
/// hard state late or never, within a few seeds, and passes correct use.
#[test]
fn restart_forgets_vote_catches_a_hard_state_written_late_or_never() {
    let path = crate_path("scenarios/restart-forgets-vote.json");
    let loaded = scenario::load(&registry(), &path).expect("loads");
    for bug in ["send-before-persist", "entries-without-hard-state"] {
        let broken = loaded.protocol.with_bug(bug).expect("a variant");
        let mut scenario = loaded.clone();
        scenario.protocol = broken;
        let caught = (1..=5).find(|&seed| {
            let report = run_scenario(&scenario, seed, TraceSink::Off);
            failure_signature(&report.outcome) == "vote-once-per-term"
        });
        assert!(caught.is_some(), "{bug}: not caught in seeds 1..=5");
    }
}
