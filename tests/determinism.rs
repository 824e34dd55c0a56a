//! Same scenario and seed, same trace hash — over many seeds, and across processes.

use std::collections::BTreeSet;

use crate::support::{parse, run, FAULTY_RAFT};

#[test]
fn same_seed_same_trace_hash_over_200_seeds() {
    let scenario = parse(FAULTY_RAFT);
    let mut distinct = BTreeSet::new();
    for seed in 0..200 {
        let first = run(&scenario, seed);
        let second = run(&scenario, seed);
        assert_eq!(first.trace_hash, second.trace_hash, "seed {seed} diverged");
        assert_eq!(first.steps, second.steps, "seed {seed} diverged");
        assert_eq!(first.outcome, second.outcome, "seed {seed} diverged");
        assert!(first.outcome.is_pass(), "seed {seed}: {}", first.outcome);
        distinct.insert(first.trace_hash);
    }
    // Different seeds must give different runs, or the seed is not reaching the randomness.
    assert!(
        distinct.len() >= 195,
        "only {} distinct hashes",
        distinct.len()
    );
}

#[test]
fn the_trace_hash_is_pinned_for_one_run() {
    // If this changes, every recorded failing seed replays differently: only update it for a
    // deliberate change in protocol behaviour, scheduling, or hashing, and say so in the commit.
    let report = run(&parse(FAULTY_RAFT), 42);
    assert_eq!(format!("{:016x}", report.trace_hash), PINNED_HASH_SEED_42);
}

const PINNED_HASH_SEED_42: &str = "5fe5d2a2c6824b8d";

#[test]
fn the_seed_flag_overrides_the_scenario_seed() {
    let scenario = parse(FAULTY_RAFT);
    assert_eq!(
        run(&scenario, 1).trace_hash,
        run(&scenario, scenario.sim.seed).trace_hash
    );
    assert_ne!(run(&scenario, 1).trace_hash, run(&scenario, 2).trace_hash);
}
