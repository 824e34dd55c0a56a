//! Handlers of `fuzz`, `replay`, `shrink` and `merge`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::exit_code;
use super::print_error_line;
use super::{FuzzArgs, MergeArgs, ReplayArgs, ShrinkArgs};
use crate::fuzz::{
    self, replay, report, shrink, Campaign, CampaignSummary, Choices, Progress, Shard,
};
use crate::registry::Registry;
use crate::run::run_scenario_recorded;
use crate::scenario::{self, Scenario, ScenarioFile};
use crate::sim::TraceSink;

fn bad_input(line: &str) -> u8 {
    print_error_line(&format!("error: {}", scenario::one_line(line)));
    exit_code::BAD_INPUT
}

fn print_out(text: &str) {
    // A closed pipe is not worth a panic; the exit code still tells the verdict.
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Reads, parses and validates a scenario file, keeping its raw shape.
fn load_file(registry: &Registry, path: &Path) -> Result<ScenarioFile, String> {
    let name = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|error| format!("{name}: cannot read: {error}"))?;
    let raw = scenario::parse_file(registry, &name, &text).map_err(|error| error.to_string())?;
    scenario::from_file(registry, &name, &raw).map_err(|error| error.to_string())?;
    Ok(raw)
}

/// The command that replays a written failure.
fn replay_command_line(path: &Path) -> String {
    format!("quorumsim replay {}", path.display())
}

pub fn fuzz_command(registry: &Registry, args: &FuzzArgs) -> u8 {
    let (base_name, base) = match (&args.scenario, &args.protocol) {
        (Some(path), _) => (path.display().to_string(), load_file(registry, path)),
        (None, Some(protocol)) => match fuzz::default_base(registry, protocol) {
            Ok(bundled) => (
                bundled.path.to_string(),
                scenario::parse_file(registry, bundled.path, bundled.text)
                    .map_err(|error| error.to_string()),
            ),
            Err(error) => return bad_input(&format!("--protocol: {error}")),
        },
        // clap requires one of the two.
        (None, None) => return bad_input("fuzz needs --protocol or --scenario"),
    };
    let choices = Choices {
        protocol: args.protocol.clone(),
        bug: args.bug.clone(),
    };
    let base = base.and_then(|base| {
        fuzz::apply_choices(registry, base, &choices)
            .map_err(|error| format!("{base_name}: {error}"))
    });
    let base = match base {
        Ok(base) => base,
        Err(error) => return bad_input(&error),
    };
    if let Err((field, reason)) = fuzz::swarm::check_base(registry, &base) {
        return bad_input(&format!("{base_name}: field `{field}`: {reason}"));
    }
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    if jobs == 0 {
        return bad_input("--jobs must be at least 1");
    }
    let campaign = Campaign {
        registry: registry.clone(),
        base,
        seed_start: args.start,
        seed_count: args.seeds,
        shard: args.shard.unwrap_or(Shard::WHOLE),
        jobs,
        time_budget: args.time_budget,
        out_dir: args.out.clone(),
        resume: args.resume,
    };
    let display = ProgressDisplay::new();
    // Paranoid runs give the same trace hash (the second checker only reads), so a failure
    // they find replays without it; a `checker-disagreement` needs `run --paranoid` to show.
    let paranoid_executor = |scenario: &Scenario, seed: u64| {
        let mut scenario = scenario.clone();
        scenario.sim.paranoid = true;
        fuzz::default_executor(&scenario, seed)
    };
    let executor: &fuzz::Executor<'_> = if args.paranoid {
        &paranoid_executor
    } else {
        &fuzz::default_executor
    };
    let result = fuzz::run_campaign(&campaign, executor, &|progress| {
        display.update(progress);
        true
    });
    display.finish();
    let summary = match result {
        Ok(summary) => summary,
        Err(error) => return bad_input(&error),
    };
    let replays: Vec<String> = summary
        .failing_seeds
        .iter()
        .map(|failure| {
            format!(
                "FAIL seed {}: {}\n  replay: {}",
                failure.seed,
                failure.outcome,
                replay_command_line(&args.out.join(&failure.file))
            )
        })
        .collect();
    if args.json {
        for line in &replays {
            print_error_line(line);
        }
        print_out(&serde_json::to_string_pretty(&summary).expect("a summary serializes"));
    } else {
        for line in &replays {
            print_out(line);
        }
        print_out(&human_summary(&summary, &args.out));
    }
    if let Some(dir) = &args.report {
        if let Err(error) = report::write_report(registry, dir, &summary, &|failure| {
            args.out.join(&failure.file)
        }) {
            // The campaign itself is on disk; its report can be written again from it.
            let summary_path = args.out.join(fuzz::ledger::SUMMARY_FILE);
            return bad_input(&format!(
                "{error}; the campaign is in {}; to write the report elsewhere: \
                 quorumsim merge {} --report OTHER_DIR",
                args.out.display(),
                summary_path.display()
            ));
        }
        print_error_line(&format!(
            "report: {}",
            dir.join(report::REPORT_FILE).display()
        ));
    }
    verdict(&summary)
}

fn verdict(summary: &CampaignSummary) -> u8 {
    if summary.failures > 0 {
        exit_code::FAILED
    } else {
        exit_code::PASS
    }
}

fn human_summary(summary: &CampaignSummary, out: &Path) -> String {
    let mut lines = vec![format!(
        "fuzz {} (base {}): seeds {}..{} shard {}/{}: {} of {} run, {} passed, {} failed",
        summary.protocol,
        summary.base,
        summary.seed_start,
        summary.seed_start.saturating_add(summary.seed_count),
        summary.shards.first().copied().unwrap_or(1),
        summary.shard_count,
        summary.seeds_run,
        summary.seeds_planned,
        summary.passes,
        summary.failures
    )];
    for (kind, count) in &summary.failures_by_kind {
        lines.push(format!("  {kind}: {count}"));
    }
    if !summary.is_complete() {
        lines.push(format!(
            "stopped early; continue with --resume --out {}",
            out.display()
        ));
    }
    lines.push(format!(
        "events: {}, wall time: {:.1} s, {} seeds/s",
        summary.events,
        summary.wall_time_ms as f64 / 1000.0,
        summary.seeds_per_second
    ));
    lines.push(format!(
        "summary: {}",
        out.join(fuzz::ledger::SUMMARY_FILE).display()
    ));
    lines.join("\n")
}

/// A progress bar on a terminal; a plain line every few seconds otherwise (CI logs).
enum ProgressDisplay {
    Bar(ProgressBar, Instant),
    Lines {
        started: Instant,
        last: Mutex<Instant>,
    },
}

const LINE_EVERY: Duration = Duration::from_secs(5);

impl ProgressDisplay {
    fn new() -> ProgressDisplay {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} seeds  {msg}  ETA {eta}")
                    .expect("a valid template"),
            );
            bar.set_message("0 failures");
            ProgressDisplay::Bar(bar, Instant::now())
        } else {
            let now = Instant::now();
            ProgressDisplay::Lines {
                started: now,
                last: Mutex::new(now),
            }
        }
    }

    fn update(&self, progress: &Progress) {
        match self {
            ProgressDisplay::Bar(bar, started) => {
                bar.set_length(progress.planned);
                bar.set_position(progress.done);
                let seconds = started.elapsed().as_secs_f64().max(1e-3);
                bar.set_message(format!(
                    "{:.0} seeds/s  {} failures",
                    progress.done as f64 / seconds,
                    progress.failures
                ));
            }
            ProgressDisplay::Lines { started, last } => {
                let mut last = last.lock().expect("no panics");
                if last.elapsed() < LINE_EVERY && progress.done < progress.planned {
                    return;
                }
                *last = Instant::now();
                let seconds = started.elapsed().as_secs_f64().max(1e-3);
                print_error_line(&format!(
                    "fuzz: {}/{} seeds, {:.0} seeds/s, {} failures",
                    progress.done,
                    progress.planned,
                    progress.done as f64 / seconds,
                    progress.failures
                ));
            }
        }
    }

    fn finish(&self) {
        if let ProgressDisplay::Bar(bar, _) = self {
            bar.finish_and_clear();
        }
    }
}

pub fn replay_command(registry: &Registry, args: &ReplayArgs) -> u8 {
    let loaded = match scenario::load(registry, &args.scenario) {
        Ok(loaded) => loaded,
        Err(error) => return bad_input(&error.to_string()),
    };
    if args.check_determinism {
        return match replay::check_determinism(&loaded) {
            Ok(hash) => {
                print_out(&format!(
                    "deterministic: two runs, identical traces, trace-hash: {hash:016x}"
                ));
                exit_code::PASS
            }
            Err(divergence) => {
                print_out(&format!(
                    "NOT deterministic: trace hashes {:016x} and {:016x}; first difference:\n  run 1: {}\n  run 2: {}",
                    divergence.first_hash, divergence.second_hash, divergence.first, divergence.second
                ));
                exit_code::FAILED
            }
        };
    }
    let replayed = replay::replay(&loaded, args.tail);
    let report = &replayed.report;
    let mut lines = vec![format!(
        "replay: {} ({}, {} nodes, seed {})",
        args.scenario.display(),
        report.protocol,
        report.node_count,
        report.seed
    )];
    lines.extend(report.trace_tail.iter().cloned());
    lines.push(format!("outcome: {}", report.outcome));
    lines.push(format!("trace-hash: {:016x}", report.trace_hash));
    let expected = &loaded.expected_end;
    let code = match &replayed.verdict {
        crate::sim::Outcome::Pass if !expected.is_empty() => {
            lines.push("reproduced: the run ends as the file records".to_string());
            exit_code::PASS
        }
        crate::sim::Outcome::Pass => exit_code::PASS,
        other => {
            lines.push(format!("NOT reproduced: {other}"));
            exit_code::FAILED
        }
    };
    print_out(&lines.join("\n"));
    let diagrams = args.diagrams.outputs();
    if diagrams.wanted() {
        // A second, recorded run of the same file: same seed, same trace hash, so the picture
        // is of the run just replayed. Written after the verdict, so a bad path loses nothing.
        let (report, recording) = run_scenario_recorded(
            &loaded,
            loaded.sim.seed,
            TraceSink::Off,
            diagrams.retention(),
        );
        let source = args.scenario.display().to_string();
        if let Err(error) = crate::viz::write_diagrams(&diagrams, &source, &recording, &report) {
            return bad_input(&error);
        }
    }
    code
}

pub fn shrink_command(registry: &Registry, args: &ShrinkArgs) -> u8 {
    let original = match load_file(registry, &args.scenario) {
        Ok(file) => file,
        Err(error) => return bad_input(&error),
    };
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| shrunk_path(&args.scenario));
    let shrunk = match shrink::shrink(registry, &original, &fuzz::default_executor) {
        Ok(shrunk) => shrunk,
        Err(error) => {
            return bad_input(&format!("{}: {error}", args.scenario.display()));
        }
    };
    let text = serde_json::to_string_pretty(&shrunk.file).expect("a scenario file serializes");
    if let Err(error) = std::fs::write(&output, text + "\n") {
        return bad_input(&format!("{}: cannot write: {error}", output.display()));
    }
    print_out(&format!(
        "shrink: {} fails with {}\nbefore: {}\nafter:  {}\nwrote {} ({} runs)\nreplay: {}",
        args.scenario.display(),
        shrunk.signature,
        shrunk.before,
        shrunk.after,
        output.display(),
        shrunk.runs,
        replay_command_line(&output)
    ));
    exit_code::PASS
}

fn shrunk_path(input: &Path) -> PathBuf {
    let stem = input.file_stem().map_or_else(
        || "scenario".into(),
        |stem| stem.to_string_lossy().into_owned(),
    );
    input.with_file_name(format!("{stem}-shrunk.json"))
}

pub fn merge_command(registry: &Registry, args: &MergeArgs) -> u8 {
    let mut parts = Vec::new();
    for path in &args.summaries {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => return bad_input(&format!("{}: cannot read: {error}", path.display())),
        };
        match serde_json::from_str::<CampaignSummary>(&text) {
            Ok(summary) => parts.push(summary),
            Err(error) => {
                return bad_input(&format!("{}: not a fuzz summary: {error}", path.display()))
            }
        }
    }
    // Each failure's file lies beside the summary of the shard that found it.
    let mut failure_dirs: BTreeMap<u64, PathBuf> = BTreeMap::new();
    for (path, part) in args.summaries.iter().zip(&parts) {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for failure in &part.failing_seeds {
            failure_dirs.insert(failure.seed, dir.clone());
        }
    }
    let merged = match fuzz::merge(&parts) {
        Ok(merged) => merged,
        Err(error) => return bad_input(&error),
    };
    let text = serde_json::to_string_pretty(&merged).expect("a summary serializes");
    if let Some(output) = &args.output {
        if let Err(error) = std::fs::write(output, text.clone() + "\n") {
            return bad_input(&format!("{}: cannot write: {error}", output.display()));
        }
    }
    print_out(&text);
    if let Some(dir) = &args.report {
        let locate = |failure: &fuzz::FailureRecord| {
            failure_dirs
                .get(&failure.seed)
                .map_or_else(PathBuf::new, Clone::clone)
                .join(&failure.file)
        };
        if let Err(error) = report::write_report(registry, dir, &merged, &locate) {
            return bad_input(&error);
        }
        print_error_line(&format!(
            "report: {}",
            dir.join(report::REPORT_FILE).display()
        ));
    }
    verdict(&merged)
}
