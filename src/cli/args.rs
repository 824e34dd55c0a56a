//! Command-line arguments (clap derive structs only). Protocols are named by string and looked
//! up in the binary's registry, so a user's binary takes its own protocols' names.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::fuzz::Shard;

#[derive(Debug, Parser)]
#[command(
    name = "quorumsim",
    version,
    about = "Deterministic simulator for distributed consensus"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one scenario file and check every invariant after every step.
    Run(RunArgs),
    /// Run many generated seeds of a protocol on all cores; write each failure as a scenario.
    Fuzz(FuzzArgs),
    /// Replay a scenario file (a failure) exactly and check it ends as it records.
    Replay(ReplayArgs),
    /// Shrink a failing scenario to a minimal one that fails the same way.
    Shrink(ShrinkArgs),
    /// Combine the summaries of a campaign's shards into one.
    Merge(MergeArgs),
    /// Measure engine throughput against a bare event loop, fuzzing seeds/s and peak memory.
    Bench(BenchArgs),
    /// Run a named experiment and write its tables and plots.
    #[command(subcommand)]
    Experiment(Experiment),
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file (JSON).
    pub scenario: PathBuf,
    /// Seed to run with, instead of the scenario's own.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print every event as it happens (to stderr when --json is given).
    #[arg(long)]
    pub trace: bool,
    /// Print one JSON object instead of the human summary.
    #[arg(long)]
    pub json: bool,
    /// Run a deliberately broken variant of the protocol (for example `figure-8-commit`),
    /// replacing any the scenario names. Never the default.
    #[arg(long, value_name = "NAME")]
    pub bug: Option<String>,
    /// Also run a second, naive checker that re-checks every invariant from scratch after
    /// each step; a disagreement between the two checkers is itself a violation.
    #[arg(long)]
    pub paranoid: bool,
    #[command(flatten)]
    pub diagrams: DiagramArgs,
}

/// Space-time diagram outputs, shared by every command that runs a scenario.
#[derive(Debug, clap::Args)]
pub struct DiagramArgs {
    /// Write a space-time diagram of the run as SVG to this file.
    #[arg(long, value_name = "PATH")]
    pub svg: Option<PathBuf>,
    /// Write the space-time diagram as a self-contained HTML page to this file.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Time window of the diagram in virtual milliseconds, START:END (default: the last
    /// 500 ms before the violation, or before the end of the run).
    #[arg(long, value_name = "START:END", value_parser = crate::viz::parse_window_ms)]
    pub window_ms: Option<crate::viz::WindowMs>,
}

impl DiagramArgs {
    pub fn outputs(&self) -> crate::viz::DiagramOutputs {
        crate::viz::DiagramOutputs {
            svg: self.svg.clone(),
            html: self.html.clone(),
            window: self.window_ms,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct FuzzArgs {
    /// Protocol to fuzz, by its name in scenario files (optional with --scenario, whose
    /// protocol it must match).
    #[arg(long, required_unless_present = "scenario")]
    pub protocol: Option<String>,
    /// Base scenario whose settings bound the generated runs (default: the protocol's bundled
    /// base, such as scenarios/fuzz/raft-base.json).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Seeds in the campaign (at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 0)]
    pub start: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run shard K of N (1-based) of the campaign's seeds.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// Stop taking new seeds after this long (`90s`, `5m`, `1h`, `500ms`).
    #[arg(long, value_parser = crate::fuzz::parse_time_budget)]
    pub time_budget: Option<std::time::Duration>,
    /// Folder for failures, the ledger and the summary.
    #[arg(long, default_value = "fuzz-out")]
    pub out: PathBuf,
    /// Continue the campaign recorded in --out, skipping the seeds it finished.
    #[arg(long)]
    pub resume: bool,
    /// Run a deliberately broken variant of the protocol (for example `figure-8-commit`),
    /// replacing any the base names; every written failure records it.
    #[arg(long, value_name = "NAME")]
    pub bug: Option<String>,
    /// Also re-check every invariant from scratch after each step with the naive checker;
    /// a disagreement between the two checkers is itself a failure. Much slower.
    #[arg(long)]
    pub paranoid: bool,
    /// Print the JSON summary instead of the human one.
    #[arg(long)]
    pub json: bool,
    /// Also write a report here: report.md and SVG charts (failures by invariant,
    /// fault-mix coverage).
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Scenario file, such as a failure written by `fuzz`.
    pub scenario: PathBuf,
    /// Run it twice and report the first step where the traces differ, if any.
    #[arg(long)]
    pub check_determinism: bool,
    /// Trace lines to print before the end.
    #[arg(long, default_value_t = 30)]
    pub tail: usize,
    #[command(flatten)]
    pub diagrams: DiagramArgs,
}

#[derive(Debug, clap::Args)]
pub struct ShrinkArgs {
    /// A failing scenario file.
    pub scenario: PathBuf,
    /// Where to write the minimal scenario (default: <input>-shrunk.json beside the input).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Summaries (summary.json) of shards of one campaign.
    #[arg(required = true)]
    pub summaries: Vec<PathBuf>,
    /// Also write the merged summary here.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Also write a report of the merged campaign here (see `fuzz --report`).
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Short workloads and one repetition (for tests; not for figures).
    #[arg(long)]
    pub quick: bool,
    /// Also write the report (markdown, or JSON with --json) to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object instead of markdown.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Experiment {
    /// Raft paper Figure 16: time without a leader after the leader crashes (Raft, FLE or
    /// both).
    ElectionDowntime(ExperimentArgs),
    /// Seeds to detection of every broken variant: independent fuzz campaigns per variant
    /// over the protocol's bundled base, and the correct protocol over the same kind of seeds.
    BugDetection(BugDetectionArgs),
    /// Peak memory and ledger size of fuzz campaigns over huge seed ranges under a time
    /// budget, fresh and resumed, each a process of this binary.
    CampaignFootprint(CampaignFootprintArgs),
}

#[derive(Debug, clap::Args)]
pub struct CampaignFootprintArgs {
    /// Protocol to fuzz.
    #[arg(long, default_value = "raft")]
    pub protocol: String,
    /// Seed ranges to measure, one campaign each (repeatable).
    #[arg(long, default_values_t = [1_000_000, 1_000_000_000],
          value_parser = clap::value_parser!(u64).range(1..))]
    pub seeds: Vec<u64>,
    /// Time budget of each session (`2s`, `500ms`).
    #[arg(long, default_value = "2s", value_parser = parse_budget_text)]
    pub time_budget: String,
    /// Worker threads of each campaign (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Directory for campaign-footprint.md.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
}

/// A time budget checked as `fuzz --time-budget` checks it, kept as written: it is passed on
/// to `fuzz` and named in the report.
fn parse_budget_text(text: &str) -> Result<String, String> {
    crate::fuzz::parse_time_budget(text).map(|_| text.to_string())
}

#[derive(Debug, clap::Args)]
pub struct BugDetectionArgs {
    /// Protocols to measure (repeatable; default: every one that bundles a fuzz base).
    #[arg(long)]
    pub protocol: Vec<String>,
    /// Independent campaigns per variant.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub campaigns: u64,
    /// Seeds a campaign may run before the variant counts as not caught in it.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub seeds_max: u64,
    /// Seeds of the correct protocol.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub correct_seeds: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Directory for bug-detection-<protocol>.md.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
}

/// The protocols the election-downtime experiment is written for: it measures what one
/// protocol's election timings mean, so each has its own experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExperimentProtocol {
    Raft,
    Fle,
    Both,
}

#[derive(Debug, clap::Args)]
pub struct ExperimentArgs {
    /// Which protocol's experiment: raft (files election-downtime.*), fle (files
    /// election-downtime-fle.*) or both.
    #[arg(long, value_enum, default_value_t = ExperimentProtocol::Both)]
    pub protocol: ExperimentProtocol,
    /// Trials per timeout range (Raft) or timing setting (FLE).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub trials: u64,
    /// Base seed: trial i of every range runs with seed + i.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Directory for the CSV, markdown and SVG files.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
}
