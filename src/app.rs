//! Command handlers: load the scenario, run it, print the result, choose the exit code.

mod fuzzing;

use std::io::Write;
use std::time::Instant;

use crate::cli::{BenchArgs, Cli, Command, Experiment, ExperimentArgs, RunArgs};
use crate::exit_code;
use crate::run::{human_summary, json_summary, run_scenario, run_scenario_recorded};
use crate::scenario;
use crate::sim::TraceSink;
use crate::viz;

/// Handles a command line that clap did not turn into a [`Cli`] and returns the exit code.
///
/// `--help` and `--version` (also `help`, `run --help`) print clap's full text to stdout and
/// exit 0. A bare `quorumsim` names no command: clap's help goes to stderr and the exit code is
/// [`exit_code::BAD_INPUT`], as for any usage error. Every other error is one line on stderr:
/// see [`argument_error_line`].
pub fn arguments_error(error: &clap::Error) -> u8 {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // A closed pipe is not worth a panic; the text is all there is to say.
            let _ = error.print();
            exit_code::PASS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            exit_code::BAD_INPUT
        }
        _ => {
            print_error_line(&argument_error_line(error));
            exit_code::BAD_INPUT
        }
    }
}

/// clap's error as one line: its message (`error: invalid value 'minus' for '--seed <SEED>':
/// …`) without the usage and "try '--help'" paragraphs that follow it. A list on indented
/// lines (the missing arguments) is joined onto the line, and control characters that came
/// from the arguments themselves are escaped.
pub fn argument_error_line(error: &clap::Error) -> String {
    // `render` keeps the text and drops the colours.
    let text = error.render().to_string();
    let mut message = String::new();
    for paragraph in text.split("\n\n") {
        let trailer = ["Usage:", "For more information", "  tip:"]
            .iter()
            .any(|start| paragraph.starts_with(start));
        if trailer && !message.is_empty() {
            break;
        }
        if !message.is_empty() {
            message.push_str("\n\n");
        }
        message.push_str(paragraph);
    }
    let message = message.trim_end_matches('\n').replace("\n  ", " ");
    scenario::one_line(&message)
}

/// Writes one error line to stderr. Not `eprintln!`, which panics when stderr is a closed
/// pipe: the exit code still says what happened.
pub(crate) fn print_error_line(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Runs the command and returns the process exit code. Errors are printed here as one line.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Run(args) => run_command(&args),
        Command::Fuzz(args) => fuzzing::fuzz_command(&args),
        Command::Replay(args) => fuzzing::replay_command(&args),
        Command::Shrink(args) => fuzzing::shrink_command(&args),
        Command::Merge(args) => fuzzing::merge_command(&args),
        Command::Bench(args) => bench_command(&args),
        Command::Experiment(Experiment::ElectionDowntime(args)) => election_downtime_command(&args),
    }
}

fn run_command(args: &RunArgs) -> u8 {
    let mut scenario = match scenario::load(&args.scenario) {
        Ok(scenario) => scenario,
        Err(error) => {
            print_error_line(&format!("error: {error}"));
            return exit_code::BAD_INPUT;
        }
    };
    if let Some(bug) = &args.bug {
        if let Err(reason) = scenario.protocol.set_bug(bug) {
            print_error_line(&format!("error: --bug: {}", scenario::one_line(&reason)));
            return exit_code::BAD_INPUT;
        }
    }
    scenario.sim.paranoid |= args.paranoid;
    let seed = args.seed.unwrap_or(scenario.sim.seed);
    let sink = match (args.trace, args.json) {
        (false, _) => TraceSink::Off,
        (true, false) => TraceSink::Writer(Box::new(std::io::LineWriter::new(std::io::stdout()))),
        // Keep stdout a single JSON object: the trace goes to stderr.
        (true, true) => TraceSink::Writer(Box::new(std::io::LineWriter::new(std::io::stderr()))),
    };
    // Wall time is measured around the run, never inside it: it is reported, not simulated.
    let diagrams = args.diagrams.outputs();
    let started = Instant::now();
    let (report, recording) = if diagrams.wanted() {
        let (report, recording) =
            run_scenario_recorded(&scenario, seed, sink, diagrams.retention());
        (report, Some(recording))
    } else {
        (run_scenario(&scenario, seed, sink), None)
    };
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
    drop(stdout);
    if let Some(recording) = &recording {
        // The run's result is printed first: a diagram that cannot be written loses no verdict.
        if let Err(error) = viz::write_diagrams(&diagrams, &source, recording, &report) {
            print_error_line(&format!("error: {}", scenario::one_line(&error)));
            return exit_code::BAD_INPUT;
        }
    }
    if report.outcome.is_pass() {
        exit_code::PASS
    } else {
        exit_code::FAILED
    }
}

fn bench_command(args: &BenchArgs) -> u8 {
    let report = crate::bench::run_bench(crate::bench::BenchOptions { quick: args.quick });
    let text = if args.json {
        crate::bench::render_json(&report).to_string()
    } else {
        crate::bench::render_markdown(&report)
    };
    if let Some(path) = &args.out {
        if let Err(error) = std::fs::write(path, format!("{}\n", text.trim_end())) {
            print_error_line(&format!(
                "error: {}: cannot write the report: {error}",
                scenario::one_line(&path.display().to_string())
            ));
            return exit_code::BAD_INPUT;
        }
    }
    let _ = writeln!(std::io::stdout().lock(), "{}", text.trim_end());
    exit_code::PASS
}

fn election_downtime_command(args: &ExperimentArgs) -> u8 {
    use crate::experiment::{election_downtime, PaperRaft};
    match election_downtime::run_and_write::<PaperRaft>(args.trials, args.seed, &args.out) {
        Ok(markdown) => {
            let _ = writeln!(std::io::stdout().lock(), "{}", markdown.trim_end());
            exit_code::PASS
        }
        Err(error) => {
            print_error_line(&format!("error: {}", scenario::one_line(&error)));
            exit_code::BAD_INPUT
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn error_line(args: &[&str]) -> String {
        let error = Cli::try_parse_from(args).expect_err("arguments should be rejected");
        argument_error_line(&error)
    }

    #[test]
    fn argument_errors_are_clap_s_message_on_one_line() {
        assert_eq!(
            error_line(&["quorumsim", "run", "x.json", "--seed", "minus"]),
            "error: invalid value 'minus' for '--seed <SEED>': invalid digit found in string"
        );
        assert_eq!(
            error_line(&["quorumsim", "frobnicate"]),
            "error: unrecognized subcommand 'frobnicate'"
        );
        assert_eq!(
            error_line(&["quorumsim", "run"]),
            "error: the following required arguments were not provided: <SCENARIO>"
        );
        assert_eq!(
            error_line(&["quorumsim", "run", "x.json", "--sed", "3"]),
            "error: unexpected argument '--sed' found"
        );
        assert_eq!(
            error_line(&["quorumsim", "run", "x.json", "--seed"]),
            "error: a value is required for '--seed <SEED>' but none was supplied"
        );
    }

    #[test]
    fn control_characters_from_arguments_are_escaped() {
        assert_eq!(
            error_line(&["quorumsim", "run", "x.json", "--seed", "1\n\n2\r\t"]),
            r"error: invalid value '1\n\n2\r\t' for '--seed <SEED>': invalid digit found in string"
        );
        let line = error_line(&["quorumsim", "run\nnow"]);
        assert_eq!(line, r"error: unrecognized subcommand 'run\nnow'");
    }

    #[test]
    fn help_and_version_are_not_argument_errors() {
        use clap::error::ErrorKind;
        for (args, kind) in [
            (&["quorumsim", "--help"][..], ErrorKind::DisplayHelp),
            (&["quorumsim", "run", "--help"][..], ErrorKind::DisplayHelp),
            (&["quorumsim", "help", "run"][..], ErrorKind::DisplayHelp),
            (&["quorumsim", "--version"][..], ErrorKind::DisplayVersion),
            (
                &["quorumsim"][..],
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand,
            ),
        ] {
            let error = Cli::try_parse_from(args).expect_err("clap answers with text");
            assert_eq!(error.kind(), kind, "{args:?}");
        }
    }
}
