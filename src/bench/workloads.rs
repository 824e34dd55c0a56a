//! The fixed workloads `quorumsim bench` measures. Each row is one function, so a protocol or
//! driver added later (FastLeaderElection start-up, the fuzzer) plugs in with one entry here.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::fuzz::{self, Campaign, Shard};
use crate::scenario::file::ProtocolName;
use crate::scenario::{self, Scenario};
use crate::time::ms;

/// An engine workload: a scenario the engine runs with every invariant checked.
pub struct EngineWorkload {
    pub name: &'static str,
    pub description: &'static str,
    /// The scenario to run; `quick` asks for a short version (for tests).
    pub scenario: fn(quick: bool) -> Scenario,
}

/// A fuzzing workload: `run(seed_count, jobs)` runs that many seeds on `jobs` threads and
/// returns how many it ran. None exists yet; the fuzzer adds its row here.
pub struct FuzzWorkload {
    pub name: &'static str,
    pub description: &'static str,
    pub seed_count: fn(quick: bool) -> u64,
    pub run: fn(seed_count: u64, jobs: usize) -> u64,
}

/// Every engine row, in report order.
pub fn engine_workloads() -> Vec<EngineWorkload> {
    vec![
        EngineWorkload {
            name: "raft-5-steady",
            description: "5 Raft nodes, client load, no faults, 1-10 ms latency",
            scenario: raft_steady,
        },
        EngineWorkload {
            name: "raft-5-faults",
            description: "scenarios/bench/raft-5-node-300s.json: load, 1% loss and duplication, \
                          leader crash and restart, minority partition",
            scenario: raft_with_faults,
        },
        EngineWorkload {
            name: "fle-5-startup",
            description: "5 FLE servers starting with different histories: the start-up \
                          election, synchronisation, then client load, 1-10 ms latency",
            scenario: fle_startup,
        },
    ]
}

/// Every fuzzing row, in report order.
pub fn fuzz_workloads() -> Vec<FuzzWorkload> {
    vec![
        FuzzWorkload {
            name: "fuzz-raft",
            description: "quorumsim fuzz --protocol raft: the bundled base, 3-5 nodes, 10 s, \
                          swarm faults then a liveness phase",
            seed_count: |quick| if quick { 20 } else { 4_000 },
            run: |seeds, jobs| fuzz_seeds(ProtocolName::Raft, seeds, jobs),
        },
        FuzzWorkload {
            name: "fuzz-fle",
            description: "quorumsim fuzz --protocol fle: the bundled base, 3-5 servers, 10 s, \
                          swarm faults then a liveness phase",
            seed_count: |quick| if quick { 20 } else { 4_000 },
            run: |seeds, jobs| fuzz_seeds(ProtocolName::Fle, seeds, jobs),
        },
    ]
}

/// Runs a campaign of `seed_count` seeds from the protocol's bundled base in a scratch folder
/// (the campaign's ledger needs one) and returns the seeds it ran.
fn fuzz_seeds(protocol: ProtocolName, seed_count: u64, jobs: usize) -> u64 {
    let (name, text) = fuzz::default_base(protocol);
    let base = scenario::parse_file(name, text)
        .unwrap_or_else(|error| panic!("built-in fuzz base: {error}"));
    // Unique per call too, not just per process: two benches in one process (tests run in
    // parallel threads) must not remove each other's ledger.
    static CAMPAIGNS: AtomicU64 = AtomicU64::new(0);
    let out_dir = std::env::temp_dir().join(format!(
        "quorumsim-bench-{}-{}-{}-{jobs}",
        std::process::id(),
        CAMPAIGNS.fetch_add(1, Ordering::Relaxed),
        fuzz::swarm::protocol_label(protocol)
    ));
    let _ = std::fs::remove_dir_all(&out_dir);
    let campaign = Campaign {
        base,
        seed_start: 0,
        seed_count,
        shard: Shard::WHOLE,
        jobs,
        time_budget: None,
        out_dir: out_dir.clone(),
        resume: false,
    };
    let summary = fuzz::run_campaign(&campaign, &fuzz::builtin_executor, &|_| true)
        .unwrap_or_else(|error| panic!("bench campaign: {error}"));
    let _ = std::fs::remove_dir_all(&out_dir);
    summary.seeds_run
}

const RAFT_STEADY: &str = r#"{
  "version": 1, "name": "bench-raft-5-steady", "protocol": "raft", "nodes": 5, "seed": 1,
  "duration_ms": 120000,
  "network": {"latency_ms_min": 1, "latency_ms_max": 10},
  "workload": {"start_ms": 200, "interval_ms_min": 2, "interval_ms_max": 8},
  "expect": {"leader_within_ms": 2000}
}"#;

const FLE_STARTUP: &str = r#"{
  "version": 1, "name": "bench-fle-5-startup", "protocol": "fle", "nodes": 5, "seed": 1,
  "duration_ms": 120000,
  "fle": {"initial_history_lengths": [3, 5, 4, 5, 2]},
  "network": {"latency_ms_min": 1, "latency_ms_max": 10},
  "workload": {"start_ms": 500, "interval_ms_min": 2, "interval_ms_max": 8},
  "expect": {"leader_within_ms": 2000}
}"#;

const RAFT_WITH_FAULTS: &str = include_str!("../../scenarios/bench/raft-5-node-300s.json");

/// Virtual time of the quick versions: enough for an election and a few thousand events.
const QUICK_DURATION_MS: u64 = 5_000;

fn raft_steady(quick: bool) -> Scenario {
    shortened(builtin("bench-raft-5-steady.json", RAFT_STEADY), quick)
}

fn raft_with_faults(quick: bool) -> Scenario {
    shortened(
        builtin("scenarios/bench/raft-5-node-300s.json", RAFT_WITH_FAULTS),
        quick,
    )
}

fn fle_startup(quick: bool) -> Scenario {
    shortened(builtin("bench-fle-5-startup.json", FLE_STARTUP), quick)
}

fn builtin(name: &str, text: &str) -> Scenario {
    scenario::parse(name, text).unwrap_or_else(|error| panic!("built-in scenario: {error}"))
}

/// The quick version runs `QUICK_DURATION_MS` with the fault schedule scaled to fit, so the
/// quick row still crashes, partitions and heals. Count expectations are dropped: they are
/// sized for the full run.
fn shortened(mut scenario: Scenario, quick: bool) -> Scenario {
    if !quick {
        return scenario;
    }
    let full_us = scenario.sim.duration_us;
    let quick_us = ms(QUICK_DURATION_MS).min(full_us);
    for fault in &mut scenario.sim.faults {
        fault.at_us = (u128::from(fault.at_us) * u128::from(quick_us) / u128::from(full_us)) as u64;
    }
    scenario.sim.duration_us = quick_us;
    scenario.sim.expect.commits_min = None;
    scenario
}
