//! `quorumsim bench`: the deterministic parts of its report (event counts, trace hashes) are
//! those of ordinary runs of the same scenarios; timings are printed, never asserted.

use std::process::Command;

use quorumsim::bench::{engine_workloads, run_bench, BenchOptions};
use quorumsim::registry::Registry;
use quorumsim::run::run_scenario;
use quorumsim::sim::TraceSink;

#[test]
fn quick_bench_reports_the_events_and_hashes_of_ordinary_runs() {
    let report = run_bench(&Registry::builtin(), BenchOptions { quick: true });
    let workloads = engine_workloads();
    assert_eq!(report.engine.len(), workloads.len());
    for (row, workload) in report.engine.iter().zip(&workloads) {
        let scenario = (workload.scenario)(true);
        let run = run_scenario(&scenario, scenario.sim.seed, TraceSink::Off);
        assert_eq!(row.name, workload.name);
        assert_eq!(row.events, run.steps, "{}", row.name);
        assert_eq!(row.trace_hash, run.trace_hash, "{}", row.name);
        assert_eq!(row.committed, run.committed, "{}", row.name);
        assert!(row.committed > 0, "{}: the workloads commit", row.name);
        assert_eq!(row.outcome, "pass", "{}", row.name);
        assert!(row.events > 1_000, "{}: {} events", row.name, row.events);
        assert!(row.engine_events_per_s > 0 && row.bare_events_per_s > 0);
        // The yardstick keeps as many events queued as the engine did on average.
        assert!(run.stats.queue_pops >= run.steps, "{}", row.name);
        let depth_mean = run.stats.queue_depth_sum as f64 / run.stats.queue_pops as f64;
        assert!(
            (row.bare_pending as f64 - depth_mean).abs() <= 0.5,
            "{}: bare loop {} pending, engine queue {depth_mean:.2} deep",
            row.name,
            row.bare_pending
        );
    }
    let faults = &report.engine[1];
    let scenario = (workloads[1].scenario)(true);
    assert!(
        scenario
            .sim
            .faults
            .iter()
            .all(|f| f.at_us < scenario.sim.duration_us),
        "the quick fault row still applies its faults"
    );
    assert_ne!(faults.trace_hash, report.engine[0].trace_hash);
    // Both protocols' fuzzers are measured, at one job and at all cores.
    let fuzz_rows: Vec<&str> = report.fuzz.iter().map(|row| row.name.as_str()).collect();
    assert_eq!(fuzz_rows, ["fuzz-raft", "fuzz-fle"]);
    for row in &report.fuzz {
        assert_eq!(row.seed_count, 20, "{}", row.name);
        assert!(row.jobs_all >= 1);
        assert!(row.seeds_per_s_one_job > 0.0 && row.seeds_per_s_all_jobs > 0.0);
    }
}

#[test]
fn bench_cli_writes_json_with_the_same_deterministic_figures() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-cli");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = dir.join("bench.json");
    let output = Command::new(env!("CARGO_BIN_EXE_quorumsim"))
        .args(["bench", "--quick", "--json", "--out", out.to_str().unwrap()])
        .output()
        .expect("the quorumsim binary runs");
    assert_eq!(output.status.code(), Some(0));
    let printed: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("report written"))
            .expect("the file is JSON");
    let figures = |value: &serde_json::Value| -> Vec<(String, u64)> {
        value["engine"]
            .as_array()
            .expect("engine rows")
            .iter()
            .map(|row| {
                (
                    row["trace_hash"].as_str().unwrap().to_string(),
                    row["events"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(figures(&printed), figures(&written));
    let in_process = run_bench(&Registry::builtin(), BenchOptions { quick: true });
    let expected: Vec<(String, u64)> = in_process
        .engine
        .iter()
        .map(|row| (format!("{:016x}", row.trace_hash), row.events))
        .collect();
    assert_eq!(figures(&printed), expected);
    assert!(printed["peak_resident_kib"].is_u64() || printed["peak_resident_kib"].is_null());
    // The binary keeps freed memory wherever the allocator allows it (glibc), and says so.
    assert_eq!(
        printed["freed_memory_kept"].as_bool(),
        Some(cfg!(all(target_os = "linux", target_env = "gnu")))
    );
}
