//! The workloads `quorumsim bench` measures: fixed engine rows on the built-in protocols, and
//! a fuzzing row for every registered protocol that bundles a fuzz base.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::fuzz::{self, Campaign, Shard};
use crate::registry::Registry;
use crate::scenario::{self, Scenario};
use crate::time::ms;

/// An engine workload: a scenario the engine runs with every invariant checked.
pub struct EngineWorkload {
    pub name: &'static str,
    pub description: &'static str,
    /// The scenario to run; `quick` asks for a short version (for tests).
    pub scenario: fn(quick: bool) -> Scenario,
}

/// A fuzzing workload: a campaign of seeds from a protocol's bundled fuzz base.
pub struct FuzzWorkload {
    pub name: String,
    pub description: String,
    pub protocol: &'static str,
}

impl FuzzWorkload {
    pub fn seed_count(&self, quick: bool) -> u64 {
        if quick {
            20
        } else {
            4_000
        }
    }
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

/// A fuzzing row for every protocol of `registry` that bundles a fuzz base, in the
/// registry's order.
pub fn fuzz_workloads(registry: &Registry) -> Vec<FuzzWorkload> {
    registry
        .entries()
        .filter_map(|entry| {
            let base = entry.fuzz_base()?;
            Some(FuzzWorkload {
                name: format!("fuzz-{}", entry.name()),
                description: format!(
                    "quorumsim fuzz --protocol {}: the bundled base ({}), swarm faults then a \
                     liveness phase",
                    entry.name(),
                    base.path
                ),
                protocol: entry.name(),
            })
        })
        .collect()
}

/// Runs a campaign of `seed_count` seeds from the protocol's bundled base in a scratch folder
/// (the campaign's ledger needs one) and returns the seeds it ran.
pub fn fuzz_seeds(registry: &Registry, protocol: &str, seed_count: u64, jobs: usize) -> u64 {
    let bundled = fuzz::default_base(registry, protocol)
        .unwrap_or_else(|error| panic!("bench fuzz row: {error}"));
    let base = scenario::parse_file(registry, bundled.path, bundled.text)
        .unwrap_or_else(|error| panic!("bundled fuzz base: {error}"));
    // Unique per call too, not just per process: two benches in one process (tests run in
    // parallel threads) must not remove each other's ledger.
    static CAMPAIGNS: AtomicU64 = AtomicU64::new(0);
    let out_dir = std::env::temp_dir().join(format!(
        "quorumsim-bench-{}-{}-{protocol}-{jobs}",
        std::process::id(),
        CAMPAIGNS.fetch_add(1, Ordering::Relaxed),
    ));
    let _ = std::fs::remove_dir_all(&out_dir);
    let campaign = Campaign {
        registry: registry.clone(),
        base,
        seed_start: 0,
        seed_count,
        shard: Shard::WHOLE,
        jobs,
        time_budget: None,
        out_dir: out_dir.clone(),
        resume: false,
    };
    let summary = fuzz::run_campaign(&campaign, &fuzz::default_executor, &|_| true)
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

/// The engine rows are the project's fixed yardsticks, so they run the built-in protocols
/// whatever a binary registers.
fn builtin(name: &str, text: &str) -> Scenario {
    scenario::parse(&Registry::builtin(), name, text)
        .unwrap_or_else(|error| panic!("built-in scenario: {error}"))
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
