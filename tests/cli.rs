//! The `quorumsim` binary: exit codes, output shapes, and one-line errors for bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::FAULTY_RAFT;

fn quorumsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quorumsim"))
        .args(args)
        .output()
        .expect("the quorumsim binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes `text` to a fresh file under the target directory and returns its path.
fn scenario_file(name: &str, text: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-scenarios");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write scenario");
    path
}

fn trace_hash_line(text: &str) -> String {
    text.lines().last().unwrap_or_default().to_string()
}

#[test]
fn a_passing_run_exits_0_and_ends_with_the_trace_hash() {
    let path = scenario_file("pass.json", FAULTY_RAFT);
    let output = quorumsim(&["run", path.to_str().unwrap(), "--seed", "3"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let text = stdout(&output);
    assert!(text.contains("outcome: pass"), "{text}");
    let last = trace_hash_line(&text);
    assert!(
        last.starts_with("trace-hash: ") && last.len() == "trace-hash: ".len() + 16,
        "{last}"
    );
}

#[test]
fn two_processes_print_the_same_trace_hash() {
    let path = scenario_file("twice.json", FAULTY_RAFT);
    let first = quorumsim(&["run", path.to_str().unwrap(), "--seed", "11"]);
    let second = quorumsim(&["run", path.to_str().unwrap(), "--seed", "11"]);
    assert_eq!(
        trace_hash_line(&stdout(&first)),
        trace_hash_line(&stdout(&second))
    );
    let other = quorumsim(&["run", path.to_str().unwrap(), "--seed", "12"]);
    assert_ne!(
        trace_hash_line(&stdout(&first)),
        trace_hash_line(&stdout(&other))
    );
}

#[test]
fn json_output_is_one_object_and_matches_the_human_hash() {
    let path = scenario_file("json.json", FAULTY_RAFT);
    let human = quorumsim(&["run", path.to_str().unwrap()]);
    let output = quorumsim(&["run", path.to_str().unwrap(), "--json", "--trace"]);
    assert_eq!(output.status.code(), Some(0));
    let value: serde_json::Value =
        serde_json::from_str(stdout(&output).trim()).expect("stdout is one JSON object");
    assert_eq!(value["outcome"]["kind"], "pass");
    assert_eq!(value["protocol"], "raft");
    assert_eq!(value["nodes"], 5);
    assert!(value["events"].as_u64().unwrap() > 1_000);
    let hash = value["trace_hash"].as_str().unwrap();
    assert_eq!(
        trace_hash_line(&stdout(&human)),
        format!("trace-hash: {hash}")
    );
    // With --json, the trace goes to stderr so stdout stays machine-readable.
    assert!(stderr(&output).contains("boot"));
}

#[test]
fn trace_prints_every_event() {
    let path = scenario_file("trace.json", FAULTY_RAFT);
    let output = quorumsim(&["run", path.to_str().unwrap(), "--trace"]);
    let text = stdout(&output);
    for expected in [
        "n0 boot",
        "fault partition",
        "observe BecameLeader",
        "crashed",
        "restart",
        "AppendEntries",
    ] {
        assert!(text.contains(expected), "trace lacks `{expected}`");
    }
    // The trace does not change the run.
    let plain = quorumsim(&["run", path.to_str().unwrap()]);
    assert_eq!(trace_hash_line(&text), trace_hash_line(&stdout(&plain)));
}

#[test]
fn an_unmet_expectation_exits_1() {
    let text = FAULTY_RAFT.replace(
        r#""expect": {"leader_within_ms": 2000}"#,
        r#""expect": {"commits_min": 1000000}"#,
    );
    let path = scenario_file("unmet.json", &text);
    let output = quorumsim(&["run", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("outcome: expectation failed"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_step_limit_is_a_named_outcome_with_exit_1() {
    let text = FAULTY_RAFT.replace(
        r#""duration_ms": 6000"#,
        r#""duration_ms": 6000, "max_steps": 500"#,
    );
    let path = scenario_file("limit.json", &text);
    let output = quorumsim(&["run", path.to_str().unwrap(), "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(value["outcome"]["kind"], "limit");
    assert_eq!(value["events"], 500);
}

/// Bad input: exit 2, exactly one line on stderr naming the file, nothing on stdout, and no
/// panic text.
fn assert_bad_input(name: &str, text: &str, field: &str) {
    let path = scenario_file(name, text);
    let output = quorumsim(&["run", path.to_str().unwrap()]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{name}: {err}");
    assert_eq!(
        err.lines().count(),
        1,
        "{name}: one line expected, got:\n{err}"
    );
    assert!(
        err.starts_with("error: ") && err.contains(name),
        "{name}: {err}"
    );
    assert!(err.contains(field), "{name}: `{field}` not named in {err}");
    assert!(
        !err.trim_end_matches('\n').chars().any(char::is_control),
        "{name}: control characters in {err:?}"
    );
    assert!(!err.contains("panicked"), "{name}: {err}");
    assert!(stdout(&output).is_empty(), "{name}: stdout should be empty");
}

#[test]
fn malformed_and_invalid_scenarios_exit_2_with_one_line() {
    assert_bad_input("syntax.json", "{\"version\": 1,", "ends early");
    assert_bad_input("not-object.json", "[1, 2]", "invalid type");
    assert_bad_input("empty.json", "", "ends early");
    assert_bad_input(
        "unknown-field.json",
        &FAULTY_RAFT.replace("\"seed\"", "\"sede\""),
        "sede",
    );
    assert_bad_input(
        "bad-type.json",
        &FAULTY_RAFT.replace("\"nodes\": 5", "\"nodes\": \"5\""),
        "nodes",
    );
    assert_bad_input(
        "bad-probability.json",
        &FAULTY_RAFT.replace("0.05, \"dup", "7, \"dup"),
        "network.drop_probability",
    );
    assert_bad_input(
        "bad-node.json",
        &FAULTY_RAFT.replace("\"node\": \"follower\"", "\"node\": 9"),
        "faults[1].node",
    );
    assert_bad_input(
        "bad-version.json",
        &FAULTY_RAFT.replace("\"version\": 1", "\"version\": 7"),
        "version",
    );
    assert_bad_input(
        "bad-deadline.json",
        &FAULTY_RAFT.replace("\"leader_within_ms\": 2000", "\"leader_within_ms\": 9000"),
        "expect.leader_within_ms",
    );
}

#[test]
fn a_missing_file_exits_2() {
    let output = quorumsim(&["run", "no/such/scenario.json"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no/such/scenario.json: cannot read"), "{err}");
}

#[test]
fn bad_arguments_exit_2() {
    let output = quorumsim(&["run", "x.json", "--seed", "minus-one"]);
    assert_eq!(output.status.code(), Some(2));
    let output = quorumsim(&["frobnicate"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn control_characters_in_the_file_stay_escaped_on_one_line() {
    assert_bad_input(
        "newline-selector.json",
        &FAULTY_RAFT.replace("\"node\": \"follower\"", r#""node": "lea\nder""#),
        r"faults[1].node`: unknown variant `lea\nder`",
    );
    assert_bad_input(
        "newline-key.json",
        &FAULTY_RAFT.replace("\"seed\"", r#""x\ny\r\u001b": 0, "seed""#),
        r"field `x\ny\r\u{1b}`: unknown field `x\ny\r\u{1b}`",
    );
}

#[test]
fn a_newer_version_is_reported_as_such_not_as_unknown_fields() {
    let text = FAULTY_RAFT
        .replace("\"version\": 1", "\"version\": 2")
        .replace("\"seed\": 1,", "\"seed\": 1, \"new_field\": 1,");
    assert_bad_input(
        "newer-version.json",
        &text,
        "field `version`: unsupported version 2; this build reads version 1",
    );
    let err = stderr(&quorumsim(&[
        "run",
        scenario_file("newer-version.json", &text).to_str().unwrap(),
    ]));
    assert!(!err.contains("new_field"), "{err}");
}

/// A usage error: exit 2, exactly one line on stderr starting `error: `, nothing on stdout.
fn assert_bad_arguments(args: &[&str], expected: &str) {
    let output = quorumsim(args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(
        err.lines().count(),
        1,
        "{args:?}: one line expected:\n{err}"
    );
    assert_eq!(err.trim_end(), expected, "{args:?}");
    assert!(
        !err.trim_end_matches('\n').chars().any(char::is_control),
        "{args:?}: {err:?}"
    );
    assert!(
        stdout(&output).is_empty(),
        "{args:?}: stdout should be empty"
    );
}

#[test]
fn bad_arguments_are_one_line_on_stderr() {
    assert_bad_arguments(
        &["run", "x.json", "--seed", "minus"],
        "error: invalid value 'minus' for '--seed <SEED>': invalid digit found in string",
    );
    assert_bad_arguments(
        &["frobnicate"],
        "error: unrecognized subcommand 'frobnicate'",
    );
    assert_bad_arguments(
        &["run"],
        "error: the following required arguments were not provided: <SCENARIO>",
    );
    assert_bad_arguments(
        &["run", "x.json", "--sed", "3"],
        "error: unexpected argument '--sed' found",
    );
    assert_bad_arguments(
        &["run", "x.json", "y.json"],
        "error: unexpected argument 'y.json' found",
    );
    assert_bad_arguments(
        &["run", "x.json", "--seed", "1\n2"],
        r"error: invalid value '1\n2' for '--seed <SEED>': invalid digit found in string",
    );
}

#[test]
fn help_and_version_print_to_stdout_and_exit_0() {
    for args in [
        &["--help"][..],
        &["-h"][..],
        &["help"][..],
        &["run", "--help"][..],
        &["help", "run"][..],
    ] {
        let output = quorumsim(args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).contains("Usage: quorumsim"), "{args:?}");
        assert!(stderr(&output).is_empty(), "{args:?}: {}", stderr(&output));
    }
    let output = quorumsim(&["run", "--help"]);
    assert!(stdout(&output).contains("--seed <SEED>"));
    let output = quorumsim(&["--version"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output).trim_end(),
        format!("quorumsim {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn no_command_prints_the_help_to_stderr_and_exits_2() {
    let output = quorumsim(&[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(
        err.contains("Usage: quorumsim <COMMAND>") && err.contains("run"),
        "{err}"
    );
}
