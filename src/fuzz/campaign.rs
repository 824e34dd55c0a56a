//! A campaign: many seeds, each a whole generated run, spread over worker threads.
//!
//! Threads live outside runs: each worker takes the next seed, builds its own simulator for
//! it, and records the result. A seed's result depends on the seed alone, so the summary is
//! the same whatever the number of workers or the order they finish in.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::coverage::SeedCoverage;
use super::ledger::{self, CampaignHeader, FinishedSeed, Ledger, Standing};
pub use super::shard::Shard;
use super::summary::{count_by_kind, CampaignSummary, FailureRecord};
use super::swarm;
use crate::hash::stable_hash;
use crate::registry::{ProtocolEntry, Registry};
use crate::run::{failure_signature, run_scenario_unjudged};
use crate::scenario::{self, Scenario, ScenarioFile};
use crate::sim::{RunReport, TraceSink};

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
///
/// Memory grows with the workers and the failures, not with the seeds: seeds are computed
/// from their positions as workers take them, and a finished seed only adds to counters.
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
    let coverage_of = |seed| {
        let run = swarm::generate_run(protocol, &campaign.base, seed)?;
        Ok(SeedCoverage::of(&campaign.base, &run))
    };
    let ledger = Ledger::open(&campaign.out_dir, &header, campaign.resume, &coverage_of)?;
    let stop = AtomicBool::new(false);
    let first_error: Mutex<Option<String>> = Mutex::new(None);
    let to_take = usize::try_from(ledger.to_take_count()).unwrap_or(usize::MAX);
    let workers = campaign.jobs.max(1).min(to_take.max(1));

    let work = || loop {
        let spent = campaign
            .time_budget
            .is_some_and(|budget| started.elapsed() >= budget);
        if stop.load(Ordering::Relaxed) || spent {
            break;
        }
        let Some((position, seed)) = ledger.take() else {
            break;
        };
        match run_seed(campaign, protocol, &ledger, execute, position, seed) {
            Ok(standing) => {
                let progress = Progress {
                    done: standing.finished,
                    planned: ledger.planned(),
                    failures: standing.failures,
                };
                if !on_progress(&progress) {
                    stop.store(true, Ordering::Relaxed);
                }
            }
            Err(error) => {
                first_error.lock().expect("no panics").get_or_insert(error);
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(work);
        }
    });
    let planned = ledger.planned();
    let dir = ledger.dir().to_path_buf();
    let found = ledger.close();
    if let Some(error) = first_error.into_inner().expect("no panics") {
        return Err(error);
    }
    let found = found?;

    let totals = found.totals;
    let mut summary = CampaignSummary {
        protocol: header.protocol,
        base: header.base,
        base_hash: header.base_hash,
        seed_start: campaign.seed_start,
        seed_count: campaign.seed_count,
        shards: vec![campaign.shard.index],
        shard_count: campaign.shard.count,
        seeds_planned: planned,
        seeds_run: totals.seeds,
        passes: totals.passes,
        failures: totals.failures,
        failures_by_kind: count_by_kind(&found.failing_seeds),
        failing_seeds: found.failing_seeds,
        events: totals.events,
        coverage: totals.coverage,
        wall_time_ms: found.wall_time_ms,
        seeds_per_second: 0.0,
    };
    summary.set_rate();
    let text = serde_json::to_string_pretty(&summary).expect("a summary serializes");
    ledger::write_atomically(&dir.join(ledger::SUMMARY_FILE), &(text + "\n"))?;
    Ok(summary)
}

/// Generates, runs and records one seed. A failure's scenario file is on disk before the
/// ledger names it.
fn run_seed(
    campaign: &Campaign,
    protocol: &dyn ProtocolEntry,
    ledger: &Ledger,
    execute: &Executor<'_>,
    position: u64,
    seed: u64,
) -> Result<Standing, String> {
    let run = swarm::generate_run(protocol, &campaign.base, seed)?;
    let name = format!("{}.json", run.file.name);
    let scenario = scenario::from_file(&campaign.registry, &name, &run.file)
        .unwrap_or_else(|error| panic!("the swarm generated an invalid scenario: {error}"));
    let report = execute(&scenario, seed);
    let coverage = SeedCoverage::of(&campaign.base, &run);
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
    ledger.record(FinishedSeed {
        position,
        signature,
        events: report.steps,
        coverage,
        failure,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
