//! The `quorumsim` command line, for the protocols of a [`Registry`]: [`main`] parses the
//! arguments (`args.rs`), runs the command (here and in `fuzzing.rs`), prints the result and
//! returns the exit code ([`exit_code`]). The project's binary is `main(Registry::builtin())`;
//! a user's binary passes a registry with its own protocols added.

mod args;
pub mod exit_code;
mod fuzzing;

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe, UnwindSafe};
use std::process::ExitCode;
use std::time::Instant;

use clap::{CommandFactory, FromArgMatches};

pub use args::*;

use crate::registry::Registry;
use crate::run::{human_summary, json_summary, judge, run_scenario, run_scenario_recorded};
use crate::scenario;
use crate::sim::{panic, TraceSink};
use crate::viz;

/// The whole command line: parses the process's arguments, runs the command with the
/// protocols of `registry` and returns the exit code (0 pass, 1 failure, 2 bad input, 3 a bug
/// in quorumsim). Panic output is silenced process-wide (a handler's panic is an outcome,
/// reported in one line), and freed memory stays in the process (see [`crate::heap`]).
pub fn main(registry: Registry) -> ExitCode {
    panic::install_quiet_hook();
    crate::heap::keep_freed_memory();
    // The registry is only read, so a panic cannot leave it half-changed.
    let code = guarded(AssertUnwindSafe(|| {
        match parse(&registry, std::env::args_os()) {
            Ok(cli) => run(&registry, cli),
            Err(error) => arguments_error(&error),
        }
    }))
    .unwrap_or_else(|line| {
        // Not `eprintln!`: it panics if stderr is gone, and nothing would catch that one.
        let _ = writeln!(std::io::stderr().lock(), "{line}");
        exit_code::INTERNAL
    });
    ExitCode::from(code)
}

/// Parses a command line (program name first) for the protocols of `registry`: `--protocol`
/// takes their names, and help lists them.
pub fn parse<I, T>(registry: &Registry, args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let names = registry.names();
    let command = Cli::command().mut_subcommand("fuzz", |fuzz| {
        fuzz.mut_arg("protocol", |protocol| {
            protocol.value_parser(clap::builder::PossibleValuesParser::new(names))
        })
    });
    Cli::from_arg_matches(&command.try_get_matches_from(args)?)
}

/// Runs `body`. A panic that escapes it (a bug in quorumsim, never bad input) becomes `Err`
/// with the one line to print, `error: internal error: <message> (at file:line)`, instead of a
/// panic report. Needs [`panic::install_quiet_hook`] for the location and for silence.
fn guarded(body: impl FnOnce() -> u8 + UnwindSafe) -> Result<u8, String> {
    catch_unwind(body).map_err(|payload| {
        format!(
            "error: internal error: {}",
            scenario::one_line(&panic::describe(&*payload))
        )
    })
}

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

/// Runs the command with the protocols of `registry` and returns the process exit code.
/// Errors are printed here as one line.
pub fn run(registry: &Registry, cli: Cli) -> u8 {
    match cli.command {
        Command::Run(args) => run_command(registry, &args),
        Command::Fuzz(args) => fuzzing::fuzz_command(registry, &args),
        Command::Replay(args) => fuzzing::replay_command(registry, &args),
        Command::Shrink(args) => fuzzing::shrink_command(registry, &args),
        Command::Merge(args) => fuzzing::merge_command(registry, &args),
        Command::Bench(args) => bench_command(registry, &args),
        Command::Experiment(Experiment::ElectionDowntime(args)) => election_downtime_command(&args),
        Command::Experiment(Experiment::CampaignFootprint(args)) => {
            campaign_footprint_command(registry, &args)
        }
        Command::Experiment(Experiment::BugDetection(args)) => {
            bug_detection_command(registry, &args)
        }
    }
}

fn run_command(registry: &Registry, args: &RunArgs) -> u8 {
    let mut scenario = match scenario::load(registry, &args.scenario) {
        Ok(scenario) => scenario,
        Err(error) => {
            print_error_line(&format!("error: {error}"));
            return exit_code::BAD_INPUT;
        }
    };
    if let Some(bug) = &args.bug {
        match scenario.protocol.with_bug(bug) {
            Ok(protocol) => scenario.protocol = protocol,
            Err(reason) => {
                print_error_line(&format!("error: --bug: {}", scenario::one_line(&reason)));
                return exit_code::BAD_INPUT;
            }
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
    // The picture draws the engine's own end (a violation circled even in a regression file
    // that expects it); the summary and the exit code are the judged verdict either way.
    let (report, drawn) = if diagrams.wanted() {
        let (raw, recording) = run_scenario_recorded(&scenario, seed, sink, diagrams.retention());
        (judge(&scenario, raw.clone()), Some((raw, recording)))
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
    if let Some((raw, recording)) = &drawn {
        // The run's result is printed first: a diagram that cannot be written loses no verdict.
        if let Err(error) = viz::write_diagrams(&diagrams, &source, recording, raw) {
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

fn bench_command(registry: &Registry, args: &BenchArgs) -> u8 {
    let report =
        crate::bench::run_bench(registry, crate::bench::BenchOptions { quick: args.quick });
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

fn bug_detection_command(registry: &Registry, args: &BugDetectionArgs) -> u8 {
    use crate::experiment::bug_detection::{run_and_write, DetectionPlan};
    let mut protocols = Vec::new();
    if args.protocol.is_empty() {
        protocols.extend(
            registry
                .entries()
                .filter(|entry| entry.fuzz_base().is_some()),
        );
    }
    for name in &args.protocol {
        match registry.lookup(name) {
            Ok(entry) => protocols.push(entry),
            Err(reason) => {
                print_error_line(&format!(
                    "error: --protocol: {}",
                    scenario::one_line(&reason)
                ));
                return exit_code::BAD_INPUT;
            }
        }
    }
    let plan = DetectionPlan {
        campaigns: args.campaigns,
        seeds_max: args.seeds_max,
        correct_seeds: args.correct_seeds,
        jobs: args.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        }),
        scratch: std::env::temp_dir()
            .join(format!("quorumsim-bug-detection-{}", std::process::id())),
        program: program_name(),
    };
    if plan.jobs == 0 {
        print_error_line("error: --jobs must be at least 1");
        return exit_code::BAD_INPUT;
    }
    match run_and_write(registry, &protocols, &plan, &args.out) {
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

fn campaign_footprint_command(registry: &Registry, args: &CampaignFootprintArgs) -> u8 {
    use crate::experiment::campaign_footprint::{run_and_write, FootprintPlan};
    if let Err(reason) = registry.lookup(&args.protocol) {
        print_error_line(&format!(
            "error: --protocol: {}",
            scenario::one_line(&reason)
        ));
        return exit_code::BAD_INPUT;
    }
    let program = match std::env::current_exe() {
        Ok(program) => program,
        Err(error) => {
            print_error_line(&format!("error: cannot find this program's file: {error}"));
            return exit_code::BAD_INPUT;
        }
    };
    let plan = FootprintPlan {
        program,
        program_name: program_name(),
        protocol: args.protocol.clone(),
        seed_counts: args.seeds.clone(),
        time_budget: args.time_budget.clone(),
        jobs: args.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        }),
        scratch: std::env::temp_dir().join(format!(
            "quorumsim-campaign-footprint-{}",
            std::process::id()
        )),
    };
    if plan.jobs == 0 {
        print_error_line("error: --jobs must be at least 1");
        return exit_code::BAD_INPUT;
    }
    match run_and_write(&plan, &args.out) {
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

/// The name this binary was started as, for commands it prints.
fn program_name() -> String {
    std::env::args_os()
        .next()
        .and_then(|arg0| {
            std::path::Path::new(&arg0)
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "quorumsim".to_string())
}

/// One protocol's experiment: writes its files, returns its markdown.
type ExperimentRun = fn(&ExperimentArgs) -> Result<String, String>;

fn election_downtime_command(args: &ExperimentArgs) -> u8 {
    use self::ExperimentProtocol;
    use crate::experiment::{election_downtime, election_downtime_fle, PaperRaft};
    let (raft, fle) = match args.protocol {
        ExperimentProtocol::Raft => (true, false),
        ExperimentProtocol::Fle => (false, true),
        ExperimentProtocol::Both => (true, true),
    };
    let runs: [(bool, ExperimentRun); 2] = [
        (raft, |args| {
            election_downtime::run_and_write::<PaperRaft>(args.trials, args.seed, &args.out)
        }),
        (fle, |args| {
            election_downtime_fle::run_and_write(args.trials, args.seed, &args.out)
        }),
    ];
    for (wanted, run) in runs {
        if !wanted {
            continue;
        }
        match run(args) {
            Ok(markdown) => {
                let _ = writeln!(std::io::stdout().lock(), "{}", markdown.trim_end());
            }
            Err(error) => {
                print_error_line(&format!("error: {}", scenario::one_line(&error)));
                return exit_code::BAD_INPUT;
            }
        }
    }
    exit_code::PASS
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn a_panic_becomes_one_line_naming_the_message_and_place() {
        panic::install_quiet_hook();
        let line = guarded(|| panic!("boom\nsecond\rthird")).unwrap_err();
        let prefix = r"error: internal error: boom second\rthird (at src/cli/mod.rs:";
        assert!(line.starts_with(prefix), "{line}");
        assert!(line.ends_with(')'), "{line}");
        assert!(!line.chars().any(char::is_control), "{line:?}");
        let line = guarded(|| std::panic::panic_any(7_u32)).unwrap_err();
        assert!(
            line.starts_with("error: internal error: non-text panic payload (at "),
            "{line}"
        );
    }

    #[test]
    fn without_a_panic_the_exit_code_passes_through() {
        assert_eq!(guarded(|| exit_code::BAD_INPUT), Ok(exit_code::BAD_INPUT));
        assert_eq!(guarded(|| exit_code::PASS), Ok(exit_code::PASS));
    }

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
