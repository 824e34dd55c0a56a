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
