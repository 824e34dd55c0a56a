//! Same scenario and seed, same trace hash — over many seeds, and across processes.

use quorumsim::sim::{ClockModel, FaultAction, Selector, StorageModel};
use quorumsim::time::ms;

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

#[test]
fn time_models_are_deterministic_and_change_the_run() {
    // Every time model at once: timed writes, drifting and jittery clocks, a slow disk, a
    // skewed and a jumping clock. Each draws from its own seeded stream.
    let mut scenario = parse(FAULTY_RAFT);
    scenario.sim = scenario
        .sim
        .with_storage(StorageModel {
            write_us_min: 500,
            write_us_max: 5_000,
        })
        .with_clocks(ClockModel {
            drift_ppm_max: 200,
            timer_jitter_us_max: 1_000,
        })
        .with_fault(
            ms(1_500),
            FaultAction::SlowDisk {
                node: Selector::Leader,
                factor: 10,
            },
        )
        .with_fault(
            ms(2_500),
            FaultAction::ClockSkew {
                node: Selector::Follower,
                drift_ppm: -5_000,
            },
        )
        .with_fault(
            ms(3_500),
            FaultAction::ClockJump {
                node: Selector::Random,
                by_us: 40_000,
            },
        );
    assert_deterministic_and_seed_driven(&scenario, 0..100);
    let ideal = parse(FAULTY_RAFT);
    for seed in 0..10 {
        assert_ne!(
            run(&scenario, seed).trace_hash,
            run(&ideal, seed).trace_hash,
            "seed {seed}: the models changed nothing"
        );
    }
}
