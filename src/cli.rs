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
