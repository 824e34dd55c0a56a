//! Same scenario and seed, same trace hash — over many seeds, and across processes.

use crate::support::{assert_deterministic_and_seed_driven, parse, run, FAULTY_RAFT};

#[test]
fn same_seed_same_trace_hash_over_200_seeds() {
    assert_deterministic_and_seed_driven(&parse(FAULTY_RAFT), 0..200);
}

#[test]
fn the_trace_hash_is_pinned_for_one_run() {
    // If this changes, every recorded failing seed replays differently: only update it for a
    // deliberate change in protocol behaviour, scheduling, or hashing, and say so in the commit.
    let report = run(&parse(FAULTY_RAFT), 42);
    assert_eq!(format!("{:016x}", report.trace_hash), PINNED_HASH_SEED_42);
}

const PINNED_HASH_SEED_42: &str = "97896e70295fc999";

#[test]
fn the_seed_flag_overrides_the_scenario_seed() {
    let scenario = parse(FAULTY_RAFT);
    assert_eq!(
        run(&scenario, 1).trace_hash,
        run(&scenario, scenario.sim.seed).trace_hash
    );
    assert_ne!(run(&scenario, 1).trace_hash, run(&scenario, 2).trace_hash);
}
