//! Command-line arguments (clap derive structs only).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

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
    /// Measure engine throughput against a bare event loop; write reports/bench.md.
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
    /// Raft paper Figure 16: time without a leader after the leader crashes.
    ElectionDowntime(ExperimentArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExperimentArgs {
    /// Trials per timeout range.
    #[arg(long, default_value_t = 1000)]
    pub trials: u64,
    /// Base seed: trial i of every range runs with seed + i.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Directory for the CSV, markdown and SVG files.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
}
