//! Every run is reproducible although raft-rs draws its election timeouts from a thread-local
//! generator seeded by the OS: 200 swarm seeds over the fuzz base (every fault kind, every
//! option drawn) give one trace hash twice in this process and once more in the binary's.

use std::process::Command;

use quorumsim::fuzz::swarm;
use quorumsim::run::run_scenario;
use quorumsim::scenario;
use quorumsim::sim::TraceSink;

use crate::{fresh_dir, fuzz_base, registry};

const SEEDS: u64 = 200;

#[test]
fn two_hundred_seeds_hash_alike_twice_and_in_another_process() {
    let registry = registry();
    let entry = registry.lookup("raft-rs").expect("registered");
    let base = fuzz_base(None);
    let dir = fresh_dir("determinism");
    let mut hashes = Vec::new();
    for seed in 0..SEEDS {
        let file = swarm::generate(entry, &base, seed).expect("the base generates");
        let loaded = scenario::from_file(&registry, "generated", &file).expect("valid");
        let first = run_scenario(&loaded, loaded.sim.seed, TraceSink::Off);
        let second = run_scenario(&loaded, loaded.sim.seed, TraceSink::Off);
        assert!(first.outcome.is_pass(), "seed {seed}: {}", first.outcome);
        assert_eq!(first.trace_hash, second.trace_hash, "seed {seed}");
        assert_eq!(first.steps, second.steps, "seed {seed}");
        let text = serde_json::to_string(&file).expect("a scenario file serializes");
        std::fs::write(dir.join(format!("seed-{seed}.json")), text).expect("written");
        hashes.push(format!("{:016x}", first.trace_hash));
    }
    let distinct: std::collections::BTreeSet<&String> = hashes.iter().collect();
    assert_eq!(distinct.len(), hashes.len(), "seeds differ");
    // The binary runs each file in a process of its own, with its own thread-local generator.
    for (seed, hash) in hashes.iter().enumerate() {
        let path = dir.join(format!("seed-{seed}.json"));
        let output = Command::new(env!("CARGO_BIN_EXE_quorumsim-raft-rs"))
            .args(["run", path.to_str().expect("a UTF-8 path"), "--json"])
            .output()
            .expect("the binary runs");
        assert_eq!(output.status.code(), Some(0), "seed {seed}");
        let summary: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("one JSON object");
        assert_eq!(
            summary["trace_hash"].as_str(),
            Some(hash.as_str()),
            "seed {seed}"
        );
    }
}
