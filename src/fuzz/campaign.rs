//! A campaign: many seeds, each a whole generated run, spread over worker threads.
//!
//! Threads live outside runs: each worker takes the next seed, builds its own simulator for
//! it, and records the result. A seed's result depends on the seed alone, so the summary is
//! the same whatever the number of workers or the order they finish in.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::coverage::Coverage;
use super::ledger::{self, CampaignHeader, Ledger, LedgerEntry};
use super::summary::{count_by_kind, CampaignSummary, FailureRecord};
use super::swarm;
use crate::hash::stable_hash;
use crate::registry::{ProtocolEntry, Registry};
use crate::run::{failure_signature, run_scenario_unjudged};
use crate::scenario::{self, Scenario, ScenarioFile};
use crate::sim::{RunReport, TraceSink};

/// Shard `index` of `count` (1-based): the seeds at offsets `index-1`, `index-1+count`, … of
/// the campaign's range. Interleaved, so every shard gets a like mix of seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// Parses `K/N` with `1 <= K <= N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let invalid =
            || format!("invalid shard '{text}': expected K/N with 1 <= K <= N, such as 2/8");
        let (index, count) = text.split_once('/').ok_or_else(invalid)?;
        let index: u64 = index.trim().parse().map_err(|_| invalid())?;
        let count: u64 = count.trim().parse().map_err(|_| invalid())?;
        if index == 0 || count == 0 || index > count {
            return Err(invalid());
        }
        Ok(Shard { index, count })
    }

    fn holds(self, offset: u64) -> bool {
        offset % self.count == self.index - 1
    }
}

/// `90s`, `5m`, `1h`, `500ms`, or a bare number of seconds.
pub fn parse_time_budget(text: &str) -> Result<std::time::Duration, String> {
    let (number, unit_ms) = if let Some(number) = text.strip_suffix("ms") {
        (number, 1)
    } else if let Some(number) = text.strip_suffix('s') {
        (number, 1_000)
    } else if let Some(number) = text.strip_suffix('m') {
        (number, 60_000)
    } else if let Some(number) = text.strip_suffix('h') {
        (number, 3_600_000)
    } else {
        (text, 1_000)
    };
    let value: u64 = number
        .parse()
        .map_err(|_| format!("expected a duration such as 90s, 5m or 1h, got '{text}'"))?;
    Ok(std::time::Duration::from_millis(
        value.saturating_mul(unit_ms),
    ))
}

/// What to run. `base` has already had the command line's choices applied
/// (see [`super::apply_choices`]).
#[derive(Clone, Debug)]
pub struct Campaign {
    /// The protocols the base may name.
    pub registry: Registry,
    pub base: ScenarioFile,
    pub seed_start: u64,
    pub seed_count: u64,
    pub shard: Shard,
    pub jobs: usize,
    /// Stop taking new seeds after this long; the summary says how many ran.
    pub time_budget: Option<Duration>,
    pub out_dir: PathBuf,
    pub resume: bool,
}

/// Where a campaign stands, for progress displays.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Seeds finished, counting those a resumed campaign found done.
    pub done: u64,
    pub planned: u64,
    pub failures: u64,
}

/// Runs one validated scenario with a seed; the engine's own verdict, not judged against an
/// expected end. Tests pass executors that change how a scenario runs (say, paranoid).
pub type Executor<'a> = dyn Fn(&Scenario, u64) -> RunReport + Sync + 'a;

/// Runs the scenario with its own protocol, as `quorumsim run` does.
pub fn default_executor(scenario: &Scenario, seed: u64) -> RunReport {
    run_scenario_unjudged(scenario, seed, TraceSink::Off)
}

/// A hash of the base file's content: shards and resumes of one campaign must agree on it.
pub fn base_hash(base: &ScenarioFile) -> String {
    let text = serde_json::to_string(base).expect("a scenario file serializes");
    format!("{:016x}", stable_hash(&text))
}

/// The scenario file a failure is written as: the generated file, made to expect exactly the
/// failure it produced.
pub fn failure_file(mut file: ScenarioFile, report: &RunReport) -> ScenarioFile {
    file.expect.violation = Some(failure_signature(&report.outcome).to_string());
    file.expect.trace_hash = Some(format!("{:016x}", report.trace_hash));
    file
}

/// Runs the campaign, writing every failure to `out_dir` as it is found. `on_progress` is
/// called after each seed from the worker that ran it; returning false stops the campaign
/// (as an interruption would: the seeds finished so far are recorded, the rest are not).
pub fn run_campaign(
    campaign: &Campaign,
    execute: &Executor<'_>,
    on_progress: &(dyn Fn(&Progress) -> bool + Sync),
) -> Result<CampaignSummary, String> {
    let started = Instant::now();
    let protocol = campaign.registry.lookup(&campaign.base.protocol)?;
    swarm::check_base(&campaign.registry, &campaign.base)
        .map_err(|(field, reason)| format!("base scenario: field `{field}`: {reason}"))?;
    let header = CampaignHeader {
        protocol: protocol.name().to_string(),
        base: campaign.base.name.clone(),
        base_hash: base_hash(&campaign.base),
        seed_start: campaign.seed_start,
        seed_count: campaign.seed_count,
        shard_index: campaign.shard.index,
        shard_count: campaign.shard.count,
    };
    let (ledger, done) = Ledger::open(&campaign.out_dir, &header, campaign.resume)?;
    // Wall time of earlier sessions, as far as they ended normally (a killed session wrote no
    // summary, so its time is not counted and the rate comes out high).
    let earlier_wall_ms = if done.is_empty() {
        0
    } else {
        std::fs::read_to_string(ledger.dir().join(ledger::SUMMARY_FILE))
            .ok()
            .and_then(|text| serde_json::from_str::<CampaignSummary>(&text).ok())
            .map_or(0, |summary| summary.wall_time_ms)
    };
    let planned: Vec<u64> = (0..campaign.seed_count)
        .filter(|&offset| campaign.shard.holds(offset))
        .map(|offset| campaign.seed_start.wrapping_add(offset))
        .collect();
    let pending: Vec<u64> = planned
        .iter()
        .copied()
        .filter(|seed| done.binary_search_by_key(seed, |entry| entry.seed).is_err())
        .collect();

    let next = AtomicUsize::new(0);
    let finished = AtomicU64::new((planned.len() - pending.len()) as u64);
    let failures = AtomicU64::new(done.iter().filter(|e| e.failure.is_some()).count() as u64);
    let stop = AtomicBool::new(false);
    let first_error: Mutex<Option<String>> = Mutex::new(None);
    let results: Mutex<Vec<LedgerEntry>> = Mutex::new(Vec::with_capacity(pending.len()));
    // Seeds an earlier session finished are regenerated for their coverage; the rest are
    // counted by the workers as they run them. Counting is addition, so the order does not
    // matter.
    let coverage = Mutex::new(Coverage::new());
    for entry in &done {
        let run = swarm::generate_run(protocol, &campaign.base, entry.seed)?;
        let mut coverage = coverage.lock().expect("no panics");
        coverage.add(&campaign.base, &run, entry.failure.is_some());
    }
    let workers = campaign.jobs.max(1).min(pending.len().max(1));

    let work = || {
        let mut mine = Vec::new();
        let mut my_coverage = Coverage::new();
        loop {
            if stop.load(Ordering::Relaxed)
                || campaign
                    .time_budget
                    .is_some_and(|budget| started.elapsed() >= budget)
            {
                break;
            }
            let Some(&seed) = pending.get(next.fetch_add(1, Ordering::Relaxed)) else {
                break;
            };
            match run_seed(campaign, protocol, &ledger, execute, seed, &mut my_coverage) {
                Ok(entry) => {
                    if entry.failure.is_some() {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                    mine.push(entry);
                }
                Err(error) => {
                    first_error.lock().expect("no panics").get_or_insert(error);
                    stop.store(true, Ordering::Relaxed);
                    break;
                }
            }
            let progress = Progress {
                done: finished.fetch_add(1, Ordering::Relaxed) + 1,
                planned: planned.len() as u64,
                failures: failures.load(Ordering::Relaxed),
            };
            if !on_progress(&progress) {
                stop.store(true, Ordering::Relaxed);
            }
        }
        results.lock().expect("no panics").extend(mine);
        coverage.lock().expect("no panics").absorb(&my_coverage);
    };
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(work);
        }
    });
    if let Some(error) = first_error.into_inner().expect("no panics") {
        return Err(error);
    }

    let mut entries = done;
    entries.extend(results.into_inner().expect("no panics"));
    entries.sort_by_key(|entry| entry.seed);
    let failing_seeds: Vec<FailureRecord> =
        entries.iter().filter_map(|e| e.failure.clone()).collect();

    let mut summary = CampaignSummary {
        protocol: header.protocol,
        base: header.base,
        base_hash: header.base_hash,
        seed_start: campaign.seed_start,
        seed_count: campaign.seed_count,
        shards: vec![campaign.shard.index],
        shard_count: campaign.shard.count,
        seeds_planned: planned.len() as u64,
        seeds_run: entries.len() as u64,
        passes: entries.iter().filter(|e| e.failure.is_none()).count() as u64,
        failures: failing_seeds.len() as u64,
        failures_by_kind: count_by_kind(&failing_seeds),
        failing_seeds,
        events: entries.iter().map(|e| e.events).sum(),
        coverage: coverage.into_inner().expect("no panics"),
        wall_time_ms: earlier_wall_ms + started.elapsed().as_millis() as u64,
        seeds_per_second: 0.0,
    };
    summary.set_rate();
    let text = serde_json::to_string_pretty(&summary).expect("a summary serializes");
    ledger::write_atomically(&ledger.dir().join(ledger::SUMMARY_FILE), &(text + "\n"))?;
    Ok(summary)
}

/// Generates, runs and records one seed, and counts its coverage. A failure's scenario file is
/// on disk before the ledger names it.
fn run_seed(
    campaign: &Campaign,
    protocol: &dyn ProtocolEntry,
    ledger: &Ledger,
    execute: &Executor<'_>,
    seed: u64,
    coverage: &mut Coverage,
) -> Result<LedgerEntry, String> {
    let run = swarm::generate_run(protocol, &campaign.base, seed)?;
    let name = format!("{}.json", run.file.name);
    let scenario = scenario::from_file(&campaign.registry, &name, &run.file)
        .unwrap_or_else(|error| panic!("the swarm generated an invalid scenario: {error}"));
    let report = execute(&scenario, seed);
    coverage.add(&campaign.base, &run, !report.outcome.is_pass());
    let signature = failure_signature(&report.outcome).to_string();
    let failure = if report.outcome.is_pass() {
        None
    } else {
        let written = failure_file(run.file, &report);
        let text = serde_json::to_string_pretty(&written).expect("a scenario file serializes");
        ledger::write_atomically(&ledger.dir().join(&name), &(text + "\n"))?;
        Some(FailureRecord {
            seed,
            signature: signature.clone(),
            outcome: report.outcome.to_string(),
            trace_hash: format!("{:016x}", report.trace_hash),
            file: name,
        })
    };
    let entry = LedgerEntry {
        seed,
        signature,
        events: report.steps,
        failure,
    };
    ledger.record(&entry)?;
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_as_k_of_n() {
        assert_eq!(Shard::parse("2/8"), Ok(Shard { index: 2, count: 8 }));
        assert_eq!(Shard::parse("1/1"), Ok(Shard::WHOLE));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "-1/3", ""] {
            let error = Shard::parse(bad).unwrap_err();
            assert!(
                error.starts_with(&format!("invalid shard '{bad}'")),
                "{error}"
            );
        }
    }

    #[test]
    fn shards_partition_the_offsets() {
        let shards: Vec<Shard> = (1..=3).map(|index| Shard { index, count: 3 }).collect();
        for offset in 0..30 {
            let holders = shards.iter().filter(|shard| shard.holds(offset)).count();
            assert_eq!(holders, 1, "offset {offset}");
        }
    }

    #[test]
    fn time_budgets_take_units() {
        assert_eq!(parse_time_budget("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_time_budget("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_time_budget("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_time_budget("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_time_budget("7"), Ok(Duration::from_secs(7)));
        assert!(parse_time_budget("soon").is_err());
        assert!(parse_time_budget("-3s").is_err());
    }
}
