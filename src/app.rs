//! Command handlers: load the scenario, run it, print the result, choose the exit code.

use std::io::Write;
use std::time::Instant;

use crate::cli::{Cli, Command, RunArgs};
use crate::exit_code;
use crate::run::{human_summary, json_summary, run_scenario};
use crate::scenario;
use crate::sim::TraceSink;

/// Runs the command and returns the process exit code. Errors are printed here as one line.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Run(args) => run_command(&args),
    }
}

fn run_command(args: &RunArgs) -> u8 {
    let scenario = match scenario::load(&args.scenario) {
        Ok(scenario) => scenario,
        Err(error) => {
            eprintln!("error: {error}");
            return exit_code::BAD_INPUT;
        }
    };
    let seed = args.seed.unwrap_or(scenario.sim.seed);
    let sink = match (args.trace, args.json) {
        (false, _) => TraceSink::Off,
        (true, false) => TraceSink::Writer(Box::new(std::io::LineWriter::new(std::io::stdout()))),
        // Keep stdout a single JSON object: the trace goes to stderr.
        (true, true) => TraceSink::Writer(Box::new(std::io::LineWriter::new(std::io::stderr()))),
    };
    // Wall time is measured around the run, never inside it: it is reported, not simulated.
    let started = Instant::now();
    let report = run_scenario(&scenario, seed, sink);
    let wall_us = started.elapsed().as_micros() as u64;
    let source = args.scenario.display().to_string();
    let text = if args.json {
        json_summary(&source, &report, wall_us).to_string()
    } else {
        human_summary(&source, &report, wall_us)
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe is not an error worth a panic; the exit code still tells the verdict.
    let _ = writeln!(stdout, "{text}");
    if report.outcome.is_pass() {
        exit_code::PASS
    } else {
        exit_code::FAILED
    }
}
