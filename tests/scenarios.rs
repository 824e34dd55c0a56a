//! Every bundled scenario passes, with its own seed and with a spread of others.

use crate::support::{bundled_scenarios, run};
use quorumsim::registry::Registry;
use quorumsim::scenario;

/// Extra seeds each bundled scenario must pass with, beyond its own.
const EXTRA_SEEDS: std::ops::RangeInclusive<u64> = 1..=8;

#[test]
fn every_bundled_scenario_passes() {
    let paths = bundled_scenarios();
    assert!(
        paths.len() >= 8,
        "expected at least 8 bundled scenarios, found {}",
        paths.len()
    );
    let mut failures = Vec::new();
    for path in &paths {
        let loaded =
            scenario::load(&Registry::builtin(), path).unwrap_or_else(|error| panic!("{error}"));
        // A regression file pins its trace, so it reproduces with its own seed only.
        let pinned = !loaded.expected_end.is_empty();
        let seeds = std::iter::once(loaded.sim.seed).chain(EXTRA_SEEDS.filter(|_| !pinned));
        for seed in seeds {
            let report = run(&loaded, seed);
            if !report.outcome.is_pass() {
                failures.push(format!(
                    "{} --seed {seed}: {}",
                    path.display(),
                    report.outcome
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "failing runs:\n{}",
        failures.join("\n")
    );
}

#[test]
fn raft_scenarios_cover_the_required_stories() {
    let names: Vec<String> = bundled_scenarios()
        .iter()
        .filter(|path| path.parent().is_some_and(|dir| dir.ends_with("raft")))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for required in [
        "steady",
        "crash",
        "partition",
        "old-leader",
        "lossy",
        "churn",
        "figure-8",
    ] {
        assert!(
            names.iter().any(|name| name.contains(required)),
            "no scenarios/raft/ file covers `{required}`; have {names:?}"
        );
    }
}
