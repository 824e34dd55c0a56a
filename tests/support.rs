//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use quorumsim::fuzz::{self, Choices};
use quorumsim::registry::Registry;
use quorumsim::run::run_scenario;
use quorumsim::scenario::{self, Scenario, ScenarioFile};
use quorumsim::sim::{RunReport, TraceSink};

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Every `*.json` file below `scenarios/`, sorted, so failures list in a stable order.
pub fn bundled_scenarios() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![repo_path("scenarios")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("scenarios/ is readable") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "json") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

pub fn parse(text: &str) -> Scenario {
    scenario::parse(&Registry::builtin(), "inline.json", text)
        .unwrap_or_else(|error| panic!("{error}"))
}

/// The bundled fuzz base of a built-in `protocol`, running `bug` when one is named.
pub fn fuzz_base(protocol: &str, bug: Option<&str>) -> ScenarioFile {
    let registry = Registry::builtin();
    let bundled = fuzz::default_base(&registry, protocol).expect("a bundled base");
    let base = scenario::parse_file(&registry, bundled.path, bundled.text)
        .expect("the bundled base parses");
    let choices = Choices {
        protocol: Some(protocol.to_string()),
        bug: bug.map(str::to_string),
    };
    fuzz::apply_choices(&registry, base, &choices).expect("the choices apply")
}

/// Seed `seed`'s scenario drawn from `base`, whose protocol is built in.
pub fn generate(base: &ScenarioFile, seed: u64) -> ScenarioFile {
    let registry = Registry::builtin();
    let protocol = registry
        .lookup(&base.protocol)
        .expect("a built-in protocol");
    fuzz::swarm::generate(protocol, base, seed).expect("a valid base")
}

pub fn run(scenario: &Scenario, seed: u64) -> RunReport {
    run_scenario(scenario, seed, TraceSink::Off)
}

/// Runs `scenario` twice with each of `seeds`: both runs must end alike (trace hash, steps,
/// outcome) and pass; and different seeds must give different runs (at least 97.5% distinct
/// hashes), or the seed is not reaching the randomness.
pub fn assert_deterministic_and_seed_driven(scenario: &Scenario, seeds: std::ops::Range<u64>) {
    let mut distinct = std::collections::BTreeSet::new();
    let count = seeds.end - seeds.start;
    for seed in seeds {
        let first = run(scenario, seed);
        let second = run(scenario, seed);
        assert_eq!(first.trace_hash, second.trace_hash, "seed {seed} diverged");
        assert_eq!(first.steps, second.steps, "seed {seed} diverged");
        assert_eq!(first.outcome, second.outcome, "seed {seed} diverged");
        assert!(first.outcome.is_pass(), "seed {seed}: {}", first.outcome);
        distinct.insert(first.trace_hash);
    }
    let distinct = distinct.len() as u64;
    assert!(
        distinct * 40 >= count * 39,
        "only {distinct} distinct hashes of {count}"
    );
}

/// A 5-node Raft scenario with every kind of network and node fault, for properties that
/// must hold whatever the seed.
pub const FAULTY_RAFT: &str = r#"{
  "version": 1, "protocol": "raft", "nodes": 5, "seed": 1, "duration_ms": 6000,
  "network": {"latency_ms_min": 1, "latency_ms_max": 20, "drop_probability": 0.05, "duplicate_probability": 0.05},
  "workload": {"start_ms": 200, "interval_ms_min": 10, "interval_ms_max": 40},
  "faults": [
    {"action": "partition", "at_ms": 1000, "groups": [["leader", "follower"], ["rest"]]},
    {"action": "crash", "at_ms": 1500, "node": "follower"},
    {"action": "heal", "at_ms": 2000},
    {"action": "cut", "at_ms": 2500, "from": ["leader"], "to": ["follower", "follower"]},
    {"action": "restart", "at_ms": 3000, "node": "crashed"},
    {"action": "crash", "at_ms": 3200, "node": "leader"},
    {"action": "heal", "at_ms": 3500},
    {"action": "restart", "at_ms": 3600, "node": "crashed"}
  ],
  "expect": {"leader_within_ms": 2000}
}"#;
