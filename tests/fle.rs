//! FastLeaderElection end to end: the bundled scenarios, start-up outcomes, determinism, and
//! the FLE-specific invariants shown firing on planted bugs and quiet on correct runs.
//! (`scenarios.rs` runs every bundled scenario, these included, with its own seed and 1..=8.)

use std::path::PathBuf;

use crate::support::{
    assert_deterministic_and_seed_driven, bundled_scenarios, parse, repo_path, run,
};
use quorumsim::fle::{names, FleBug};
use quorumsim::registry::Registry;
use quorumsim::scenario::{self, Scenario};
use quorumsim::sim::{Outcome, RunReport};

fn fle_scenarios() -> Vec<PathBuf> {
    bundled_scenarios()
        .into_iter()
        .filter(|path| path.parent().is_some_and(|dir| dir.ends_with("fle")))
        .collect()
}

fn load(name: &str) -> Scenario {
    let path = repo_path(&format!("scenarios/fle/{name}.json"));
    scenario::load(&Registry::builtin(), &path).unwrap_or_else(|error| panic!("{error}"))
}

fn with_bug(mut scenario: Scenario, bug: FleBug) -> Scenario {
    assert_eq!(scenario.protocol.name(), "fle");
    scenario.protocol = scenario.protocol.with_bug(bug.name()).expect("an FLE bug");
    scenario
}

fn violated(report: &RunReport) -> Option<&'static str> {
    match &report.outcome {
        Outcome::Violation { violation, .. } => Some(violation.invariant),
        _ => None,
    }
}

#[test]
fn fle_scenarios_cover_the_required_stories() {
    let paths = fle_scenarios();
    assert!(paths.len() >= 8, "only {} FLE scenarios", paths.len());
    let names: Vec<String> = paths
        .iter()
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for required in [
        "startup-equal-zxids",
        "startup-different-zxids",
        "leader-crash",
        "follower-crash",
        "late-joiner",
        "minority-partition",
        "partitioned-leader",
        "lossy-links",
        "restart-churn",
    ] {
        assert!(names.iter().any(|name| name == required), "no {required}");
    }
    for path in &paths {
        let loaded =
            scenario::load(&Registry::builtin(), path).unwrap_or_else(|error| panic!("{error}"));
        assert!(!loaded.description.is_empty(), "{}", path.display());
        assert_eq!(loaded.protocol.name(), "fle");
    }
}

#[test]
fn with_equal_zxids_the_highest_id_is_elected() {
    let scenario = load("startup-equal-zxids");
    for seed in 1..=20 {
        let report = run(&scenario, seed);
        assert!(report.outcome.is_pass(), "seed {seed}: {}", report.outcome);
        let first = report.leaders.first().expect("a leader");
        assert_eq!((first.term, first.node.0), (1, 4), "seed {seed}");
    }
}

#[test]
fn with_different_zxids_the_highest_zxid_is_elected() {
    // Histories of 3, 8, 5, 2, 6 entries: n1 holds the highest zxid, n4 the highest id.
    let scenario = load("startup-different-zxids");
    for seed in 1..=20 {
        let report = run(&scenario, seed);
        assert!(report.outcome.is_pass(), "seed {seed}: {}", report.outcome);
        let first = report.leaders.first().expect("a leader");
        // Epoch 1 is the start-up history's, so the first leader leads epoch 2.
        assert_eq!((first.term, first.node.0), (2, 1), "seed {seed}");
        assert!(report.committed >= 8, "the start-up history is committed");
    }
}

#[test]
fn the_late_joiner_follows_the_established_leader() {
    let scenario = load("late-joiner");
    for seed in 1..=8 {
        let report = run(&scenario, seed);
        assert!(report.outcome.is_pass(), "seed {seed}: {}", report.outcome);
        // n4 would win a fresh election on its id; it must not lead after joining.
        assert!(
            report.leaders.iter().all(|leader| leader.node.0 != 4),
            "seed {seed}: {:?}",
            report.leaders
        );
    }
}

const FAULTY_FLE: &str = r#"{
  "version": 1, "protocol": "fle", "nodes": 5, "seed": 1, "duration_ms": 5000,
  "fle": {"notification_timeout_ms_max": 1000},
  "network": {"latency_ms_min": 1, "latency_ms_max": 20, "drop_probability": 0.05, "duplicate_probability": 0.05},
  "workload": {"start_ms": 200, "interval_ms_min": 10, "interval_ms_max": 40},
  "faults": [
    {"action": "partition", "at_ms": 1000, "groups": [["leader", "follower"], ["rest"]]},
    {"action": "crash", "at_ms": 1500, "node": "follower"},
    {"action": "heal", "at_ms": 2000},
    {"action": "restart", "at_ms": 2500, "node": "crashed"},
    {"action": "crash", "at_ms": 2700, "node": "leader"},
    {"action": "restart", "at_ms": 3000, "node": "crashed"}
  ],
  "expect": {"leader_within_ms": 2000}
}"#;

#[test]
fn same_seed_same_trace_hash_over_200_seeds() {
    assert_deterministic_and_seed_driven(&parse(FAULTY_FLE), 0..200);
}

#[test]
fn the_trace_hash_is_pinned_for_one_run() {
    // Only update for a deliberate change in FLE behaviour, scheduling or hashing.
    let report = run(&parse(FAULTY_FLE), 42);
    assert_eq!(format!("{:016x}", report.trace_hash), PINNED_HASH_SEED_42);
}

const PINNED_HASH_SEED_42: &str = "d8159d461d6acd8d";

/// Seeds 1..=30 of `scenario` with `bug`: the invariants that fired.
fn sweep(scenario: &Scenario, bug: FleBug) -> Vec<Option<&'static str>> {
    let buggy = with_bug(scenario.clone(), bug);
    (1..=30).map(|seed| violated(&run(&buggy, seed))).collect()
}

#[test]
fn a_forgotten_accepted_epoch_breaks_election_safety_and_zxid_order() {
    let scenario = load("full-restart");
    let fired = sweep(&scenario, FleBug::AcceptedEpochNotPersisted);
    assert!(fired.contains(&Some("election-safety")), "{fired:?}");
    assert!(
        fired.contains(&Some(names::COMMITTED_ZXID_INCREASING)),
        "{fired:?}"
    );
    for seed in 1..=30 {
        assert!(
            run(&scenario, seed).outcome.is_pass(),
            "correct seed {seed}"
        );
    }
}

#[test]
fn the_1419_vote_order_livelocks_the_election() {
    // Neither stale nor fresh servers win: each adopts the other's vote, for ever.
    let scenario = load("idle-epochs");
    let buggy = with_bug(scenario.clone(), FleBug::ZxidBeforeEpoch);
    let limited = (1..=10)
        .filter(|&seed| matches!(run(&buggy, seed).outcome, Outcome::LimitReached { .. }))
        .count();
    assert!(limited >= 5, "only {limited} of 10 seeds livelocked");
    for seed in 1..=10 {
        assert!(
            run(&scenario, seed).outcome.is_pass(),
            "correct seed {seed}"
        );
    }
}

#[test]
fn fle_and_raft_sections_belong_to_their_protocol() {
    let base = |protocol: &str, section: &str| {
        format!(
            r#"{{"version": 1, "protocol": "{protocol}", "nodes": 3, "seed": 1, "duration_ms": 1000{section}}}"#
        )
    };
    let error = scenario::parse(
        &Registry::builtin(),
        "x.json",
        &base("raft", r#", "fle": {}"#),
    )
    .unwrap_err();
    assert_eq!(error.field, "fle");
    let error = scenario::parse(
        &Registry::builtin(),
        "x.json",
        &base("fle", r#", "raft": {}"#),
    )
    .unwrap_err();
    assert_eq!(error.field, "raft");
    let error = scenario::parse(
        &Registry::builtin(),
        "x.json",
        &base("fle", r#", "fle": {"bug": "typo"}"#),
    )
    .unwrap_err();
    assert_eq!(error.field, "fle.bug");
    assert!(error.to_string().contains("no-check-leader"), "{error}");
    let error = scenario::parse(
        &Registry::builtin(),
        "x.json",
        &base("fle", r#", "fle": {"initial_history_lengths": [1, 2]}"#),
    )
    .unwrap_err();
    assert_eq!(error.field, "fle.initial_history_lengths");
    let error = scenario::parse(
        &Registry::builtin(),
        "x.json",
        &base("fle", r#", "fle": {"finalize_wait_ms": 0}"#),
    )
    .unwrap_err();
    assert_eq!(error.field, "fle.finalize_wait_ms");
    let parsed = scenario::parse(
        &Registry::builtin(),
        "x.json",
        &base(
            "fle",
            r#", "fle": {"bug": "ignore-round", "finalize_wait_ms": 50}"#,
        ),
    )
    .unwrap();
    assert_eq!(parsed.protocol.bug(), Some(FleBug::IgnoreRound.name()));
    // The configuration the section built, as its Debug form shows it.
    let config = format!("{:?}", parsed.protocol);
    assert!(config.contains("finalize_wait_us: 50000"), "{config}");
    assert!(config.contains("bug: Some(IgnoreRound)"), "{config}");
}
