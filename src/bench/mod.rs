//! `quorumsim bench`: how fast the engine runs, against a bare heap-plus-RNG event loop
//! measured in the same process.
//!
//! Every engine workload is run with every invariant checked. Each repetition runs one engine
//! workload and then the bare loop right after it, so both see the same machine state
//! (frequency, caches, neighbours); the report gives the median of the repetitions and the
//! ratio of the medians. Timings are wall-clock measurements around whole runs, never inside
//! one: a run's trace hash and event count are deterministic and reported beside them.

mod bare_loop;
mod memory;
mod render;
mod workloads;

use std::time::Instant;

pub use bare_loop::{run_bare_loop, BareRun};
pub use memory::{peak_resident_kib, peak_resident_kib_of};
pub use render::{render_json, render_markdown};
pub use workloads::{engine_workloads, fuzz_seeds, fuzz_workloads, EngineWorkload, FuzzWorkload};

use crate::registry::Registry;
use crate::run::run_scenario;
use crate::sim::{RunReport, RunStats, TraceSink};

/// What to measure and how often.
#[derive(Clone, Copy, Debug)]
pub struct BenchOptions {
    /// Short workloads and one repetition: for tests, not for figures.
    pub quick: bool,
}

impl BenchOptions {
    fn repetitions(self) -> usize {
        if self.quick {
            1
        } else {
            7
        }
    }

    fn bare_events(self) -> u64 {
        if self.quick {
            50_000
        } else {
            2_000_000
        }
    }
}

/// One engine workload's measurements.
#[derive(Clone, Debug)]
pub struct EngineRow {
    pub name: &'static str,
    pub description: &'static str,
    /// Deterministic: the same on every repetition and every machine.
    pub events: u64,
    /// Entries in the committed prefix at the end (deterministic too).
    pub committed: u64,
    pub trace_hash: u64,
    pub outcome: String,
    pub virtual_time_us: u64,
    /// Median wall time of one engine run and of one bare run, in nanoseconds.
    pub engine_ns_median: u64,
    pub bare_ns_median: u64,
    pub bare_events: u64,
    /// Events the bare loop keeps queued: the engine's mean queue depth in this workload
    /// (deterministic), so both queues hold as many events.
    pub bare_pending: usize,
    pub engine_events_per_s: u64,
    pub bare_events_per_s: u64,
    /// Committed entries per wall-clock second: the useful work, which events/s alone hides
    /// (a protocol that batches does more per event).
    pub engine_commits_per_s: u64,
}

impl EngineRow {
    /// Engine events/s over bare-loop events/s.
    pub fn ratio(&self) -> f64 {
        self.engine_events_per_s as f64 / self.bare_events_per_s.max(1) as f64
    }
}

/// One fuzzing workload's measurements.
#[derive(Clone, Debug)]
pub struct FuzzRow {
    pub name: String,
    pub description: String,
    pub seed_count: u64,
    pub jobs_all: usize,
    pub seeds_per_s_one_job: f64,
    pub seeds_per_s_all_jobs: f64,
}

/// Everything `quorumsim bench` measured.
#[derive(Clone, Debug)]
pub struct BenchReport {
    pub quick: bool,
    pub repetitions: usize,
    pub engine: Vec<EngineRow>,
    pub fuzz: Vec<FuzzRow>,
    pub peak_resident_kib: Option<u64>,
    /// Whether freed memory stays in the process between repetitions (see `crate::heap`).
    pub freed_memory_kept: bool,
}

/// Runs every workload (the fuzzing rows for the protocols of `registry`) and returns the
/// measurements.
pub fn run_bench(registry: &Registry, options: BenchOptions) -> BenchReport {
    // The binary sets this at start-up; set it here too, so a bench run from a test or a
    // library measures the same way and the report can say how it measured.
    let freed_memory_kept = crate::heap::keep_freed_memory();
    let engine = engine_workloads()
        .iter()
        .map(|workload| measure_engine(workload, options))
        .collect();
    let fuzz = fuzz_workloads(registry)
        .iter()
        .map(|workload| measure_fuzz(registry, workload, options))
        .collect();
    BenchReport {
        quick: options.quick,
        repetitions: options.repetitions(),
        engine,
        fuzz,
        peak_resident_kib: peak_resident_kib(),
        freed_memory_kept,
    }
}

fn measure_engine(workload: &EngineWorkload, options: BenchOptions) -> EngineRow {
    let scenario = (workload.scenario)(options.quick);
    let bare_events = options.bare_events();
    let mut engine_ns = Vec::new();
    let mut bare_ns = Vec::new();
    // The first repetition's report: every later one must run the same way.
    let mut first: Option<RunReport> = None;
    for repetition in 0..options.repetitions() {
        let started = Instant::now();
        let report = run_scenario(&scenario, scenario.sim.seed, TraceSink::Off);
        engine_ns.push(started.elapsed().as_nanos() as u64);
        let first = first.get_or_insert_with(|| report.clone());
        assert_eq!(
            (first.steps, first.trace_hash),
            (report.steps, report.trace_hash),
            "{}: repetition {repetition} ran differently",
            workload.name
        );
        let pending = mean_queue_depth(&first.stats);
        let started = Instant::now();
        let bare = run_bare_loop(bare_events, pending, repetition as u64);
        bare_ns.push(started.elapsed().as_nanos() as u64);
        assert_eq!(bare.pending, pending, "the bare loop keeps its population");
        std::hint::black_box(bare);
    }
    let first = first.expect("at least one repetition");
    let (events, committed) = (first.steps, first.committed);
    let engine_ns_median = median(&mut engine_ns);
    let bare_ns_median = median(&mut bare_ns);
    EngineRow {
        name: workload.name,
        description: workload.description,
        events,
        committed,
        trace_hash: first.trace_hash,
        outcome: first.outcome.kind().to_string(),
        virtual_time_us: first.end_us,
        engine_ns_median,
        bare_ns_median,
        bare_events,
        bare_pending: mean_queue_depth(&first.stats),
        engine_events_per_s: per_second(events, engine_ns_median),
        bare_events_per_s: per_second(bare_events, bare_ns_median),
        engine_commits_per_s: per_second(committed, engine_ns_median),
    }
}

fn measure_fuzz(registry: &Registry, workload: &FuzzWorkload, options: BenchOptions) -> FuzzRow {
    let seed_count = workload.seed_count(options.quick);
    let jobs_all = std::thread::available_parallelism().map_or(1, usize::from);
    let rate = |jobs: usize| {
        let mut samples: Vec<u64> = (0..options.repetitions())
            .map(|_| {
                let started = Instant::now();
                let ran = fuzz_seeds(registry, workload.protocol, seed_count, jobs);
                assert_eq!(ran, seed_count, "{}: every seed runs", workload.name);
                started.elapsed().as_nanos() as u64
            })
            .collect();
        seed_count as f64 * 1e9 / median(&mut samples).max(1) as f64
    };
    FuzzRow {
        name: workload.name.clone(),
        description: workload.description.clone(),
        seed_count,
        jobs_all,
        seeds_per_s_one_job: rate(1),
        seeds_per_s_all_jobs: rate(jobs_all),
    }
}

/// The engine queue's mean depth over a run, rounded, at least 1.
fn mean_queue_depth(stats: &RunStats) -> usize {
    let mean = stats.queue_depth_sum as f64 / stats.queue_pops.max(1) as f64;
    (mean.round() as usize).max(1)
}

fn median(samples: &mut [u64]) -> u64 {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn per_second(count: u64, nanos: u64) -> u64 {
    (u128::from(count) * 1_000_000_000 / u128::from(nanos.max(1))) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_middle_sample() {
        assert_eq!(median(&mut [5, 1, 9]), 5);
        assert_eq!(median(&mut [7]), 7);
        assert_eq!(median(&mut [4, 1, 3, 2]), 3);
    }

    #[test]
    fn per_second_scales_and_survives_zero_time() {
        assert_eq!(per_second(3, 1_000_000_000), 3);
        assert_eq!(per_second(1_000, 1_000), 1_000_000_000);
        assert_eq!(per_second(5, 0), 5_000_000_000);
    }
}
