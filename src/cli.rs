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
}
