//! Scenario parsing and validation: good files load, and each kind of bad file gets an error
//! naming the field and the reason.

use super::*;

mod limits;
mod timing;

/// The scenario functions with the built-in protocols, which is what these files name.
fn parse(file_name: &str, text: &str) -> Result<Scenario, ScenarioError> {
    super::parse(&Registry::builtin(), file_name, text)
}

fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    super::load(&Registry::builtin(), path)
}

const MINIMAL: &str =
    r#"{"version": 1, "protocol": "raft", "nodes": 3, "seed": 7, "duration_ms": 1000}"#;

fn error_of(text: &str) -> ScenarioError {
    parse("bad.json", text).expect_err("scenario should be rejected")
}

/// The minimal scenario with `field` set to the raw JSON `value`.
fn with(field: &str, value: &str) -> String {
    format!(
        r#"{{"version": 1, "protocol": "raft", "nodes": 3, "seed": 7, "duration_ms": 1000, "{field}": {value}}}"#
    )
}

#[test]
fn minimal_scenario_gets_defaults() {
    let scenario = parse("ok.json", MINIMAL).expect("minimal scenario is valid");
    assert_eq!(scenario.sim.node_count, 3);
    assert_eq!(scenario.sim.seed, 7);
    assert_eq!(scenario.sim.duration_us, 1_000_000);
    assert!(scenario.sim.workload.is_none());
    assert_eq!(scenario.protocol.name(), "raft");
    assert_eq!(scenario.protocol.bug(), None);
}

#[test]
fn unknown_fields_are_rejected_with_their_path() {
    let error = error_of(&with("colour", "1"));
    assert!(error.reason.contains("unknown field `colour`"), "{error}");
    let error = error_of(&with("network", r#"{"latency_ms": 3}"#));
    assert_eq!(error.field, "network.latency_ms");
    assert!(
        error.reason.contains("unknown field `latency_ms`"),
        "{error}"
    );
    let error = error_of(&with(
        "faults",
        r#"[{"action": "heal", "at_ms": 1, "nod": 2}]"#,
    ));
    assert_eq!(error.field, "faults[0].nod");
    assert!(error.reason.contains("unknown field `nod`"), "{error}");
    let error = error_of(&with(
        "faults",
        r#"[{"action": "heal", "at_ms": 1, "node": 2}]"#,
    ));
    assert_eq!(error.field, "faults[0].node");
    assert!(
        error.reason.contains("not used by action \"heal\""),
        "{error}"
    );
    let error = error_of(&with("faults", r#"[{"action": "crash", "at_ms": 1}]"#));
    assert_eq!(error.field, "faults[0].node");
    assert!(
        error.reason.contains("required by action \"crash\""),
        "{error}"
    );
    let error = error_of(&with("faults", r#"[{"action": "explode", "at_ms": 1}]"#));
    assert_eq!(error.field, "faults[0].action");
}

#[test]
fn syntax_errors_give_line_and_column() {
    let error = error_of("{\"version\": 1,\n \"nodes\": }");
    assert!(error.reason.contains("line 2"), "{error}");
    let error = error_of("{\"version\": 1");
    assert!(error.reason.contains("ends early"), "{error}");
    let error = error_of(&format!("{MINIMAL} trailing"));
    assert!(error.reason.contains("trailing"), "{error}");
}

#[test]
fn wrong_types_name_the_field() {
    let error = error_of(
        r#"{"version": 1, "protocol": "raft", "nodes": "five", "seed": 7, "duration_ms": 1000}"#,
    );
    assert_eq!(error.field, "nodes");
    let error = error_of(
        r#"{"version": 1, "protocol": "paxos", "nodes": 3, "seed": 7, "duration_ms": 1000}"#,
    );
    assert_eq!(error.field, "protocol");
    assert_eq!(
        error.reason,
        "unknown protocol \"paxos\"; this binary knows: raft, fle"
    );
    let error = error_of(r#"{"version": 1, "protocol": "raft", "nodes": 3, "duration_ms": 1000}"#);
    assert!(error.reason.contains("missing field `seed`"), "{error}");
}

#[test]
fn out_of_range_values_are_rejected() {
    let cases = [
        (with("max_steps", "0"), "max_steps"),
        (
            with("network", r#"{"drop_probability": 1.5}"#),
            "network.drop_probability",
        ),
        (
            with("network", r#"{"latency_ms_min": 9, "latency_ms_max": 3}"#),
            "network.latency_ms_max",
        ),
        (
            with(
                "raft",
                r#"{"election_timeout_ms_min": 100, "election_timeout_ms_max": 50}"#,
            ),
            "raft.election_timeout_ms_max",
        ),
        (
            with("raft", r#"{"heartbeat_interval_ms": 500}"#),
            "raft.heartbeat_interval_ms",
        ),
        (
            with("raft", r#"{"max_entries_per_append": 0}"#),
            "raft.max_entries_per_append",
        ),
        (
            with(
                "workload",
                r#"{"interval_ms_min": 0, "interval_ms_max": 5}"#,
            ),
            "workload.interval_ms_min",
        ),
        (
            with(
                "workload",
                r#"{"interval_ms_min": 9, "interval_ms_max": 5}"#,
            ),
            "workload.interval_ms_max",
        ),
        (
            with(
                "workload",
                r#"{"start_ms": 900, "stop_ms": 100, "interval_ms_min": 1, "interval_ms_max": 5}"#,
            ),
            "workload.stop_ms",
        ),
        (
            with(
                "workload",
                r#"{"start_ms": 1001, "interval_ms_min": 1, "interval_ms_max": 5}"#,
            ),
            "workload.start_ms",
        ),
        (
            with(
                "workload",
                r#"{"stop_ms": 1001, "interval_ms_min": 1, "interval_ms_max": 5}"#,
            ),
            "workload.stop_ms",
        ),
        (
            with(
                "faults",
                r#"[{"action": "crash", "at_ms": 5000, "node": 1}]"#,
            ),
            "faults[0].at_ms",
        ),
        (
            with("faults", r#"[{"action": "crash", "at_ms": 5, "node": 3}]"#),
            "faults[0].node",
        ),
        (
            with(
                "faults",
                r#"[{"action": "crash", "at_ms": 5, "node": "rest"}]"#,
            ),
            "faults[0].node",
        ),
        (
            with(
                "faults",
                r#"[{"action": "partition", "at_ms": 5, "groups": [[0, 1]]}]"#,
            ),
            "faults[0].groups",
        ),
        (
            with(
                "faults",
                r#"[{"action": "partition", "at_ms": 5, "groups": [[0, 1], [1, 2]]}]"#,
            ),
            "faults[0].groups[1][0]",
        ),
        (
            with(
                "faults",
                r#"[{"action": "partition", "at_ms": 5, "groups": [[0], []]}]"#,
            ),
            "faults[0].groups[1]",
        ),
        (
            with(
                "faults",
                r#"[{"action": "cut", "at_ms": 5, "from": [], "to": [1]}]"#,
            ),
            "faults[0].from",
        ),
        (
            with("faults", r#"[{"action": "set-network", "at_ms": 5}]"#),
            "faults[0]",
        ),
        (
            with("expect", r#"{"leader_within_ms": 5000}"#),
            "expect.leader_within_ms",
        ),
        (
            r#"{"version": 2, "protocol": "raft", "nodes": 3, "seed": 7, "duration_ms": 1000}"#
                .to_string(),
            "version",
        ),
        (
            r#"{"version": 1, "protocol": "raft", "nodes": 0, "seed": 7, "duration_ms": 1000}"#
                .to_string(),
            "nodes",
        ),
        (
            r#"{"version": 1, "protocol": "raft", "nodes": 3, "seed": 7, "duration_ms": 0}"#
                .to_string(),
            "duration_ms",
        ),
    ];
    for (text, field) in cases {
        let error = error_of(&text);
        assert_eq!(error.field, field, "for {text}: {error}");
        assert!(!error.reason.is_empty());
        assert!(!error.to_string().contains('\n'), "one line: {error}");
    }
}

#[test]
fn selectors_parse_by_id_and_by_role() {
    let text = with(
        "faults",
        r#"[{"action": "partition", "at_ms": 5, "groups": [["leader", 2], ["rest"]]},
            {"action": "cut", "at_ms": 6, "from": ["follower"], "to": [0, "random"]},
            {"action": "restart", "at_ms": 7, "node": "crashed"}]"#,
    );
    let scenario = parse("ok.json", &text).expect("valid selectors");
    assert_eq!(scenario.sim.faults.len(), 3);
    let error = error_of(&with(
        "faults",
        r#"[{"action": "crash", "at_ms": 5, "node": "boss"}]"#,
    ));
    assert_eq!(error.field, "faults[0].node");
    assert!(error.reason.contains("unknown variant `boss`"), "{error}");
    let error = error_of(&with(
        "faults",
        r#"[{"action": "crash", "at_ms": 5, "node": -1}]"#,
    ));
    assert_eq!(error.field, "faults[0].node");
}

#[test]
fn unreadable_files_say_so() {
    let error = load(std::path::Path::new("/nonexistent/scenario.json")).unwrap_err();
    assert!(error
        .to_string()
        .starts_with("/nonexistent/scenario.json: cannot read"));
}

/// Asserts that `text` is rejected for `field` with a one-line reason containing `reason`.
fn assert_rejected(text: &str, field: &str, reason: &str) {
    let error = error_of(text);
    assert_eq!(error.field, field, "for {text}: {error}");
    assert!(
        error.reason.contains(reason),
        "for {text}: `{reason}` not in {error}"
    );
    assert!(!error.to_string().contains('\n'), "one line: {error}");
}

#[test]
fn set_network_may_not_leave_latency_max_below_min() {
    // Lowering only the maximum below the minimum in force.
    assert_rejected(
        &with(
            "faults",
            r#"[{"action": "set-network", "at_ms": 5, "latency_ms_max": 0}]"#,
        ),
        "faults[0].latency_ms_max",
        "0 is below latency_ms_min 1 in force at 5 ms (from the default)",
    );
    let network = r#""network": {"latency_ms_min": 10, "latency_ms_max": 20}"#;
    let scenario = |faults: &str| {
        format!(
            r#"{{"version": 1, "protocol": "raft", "nodes": 3, "seed": 7, "duration_ms": 1000, {network}, "faults": {faults}}}"#
        )
    };
    assert_rejected(
        &scenario(r#"[{"action": "set-network", "at_ms": 5, "latency_ms_max": 9}]"#),
        "faults[0].latency_ms_max",
        "9 is below latency_ms_min 10 in force at 5 ms (from network.latency_ms_min)",
    );
    // Raising only the minimum above the maximum in force.
    assert_rejected(
        &scenario(r#"[{"action": "set-network", "at_ms": 5, "latency_ms_min": 21}]"#),
        "faults[0].latency_ms_min",
        "21 is above latency_ms_max 20 in force at 5 ms (from network.latency_ms_max)",
    );
    // Faults apply in time order, not file order: the later-listed fault at 100 ms comes first.
    assert_rejected(
        &scenario(
            r#"[{"action": "set-network", "at_ms": 200, "latency_ms_max": 25},
                {"action": "crash", "at_ms": 150, "node": 1},
                {"action": "set-network", "at_ms": 100, "latency_ms_min": 30, "latency_ms_max": 50}]"#,
        ),
        "faults[0].latency_ms_max",
        "25 is below latency_ms_min 30 in force at 200 ms (from faults[2].latency_ms_min)",
    );
    assert_rejected(
        &scenario(
            r#"[{"action": "set-network", "at_ms": 200, "latency_ms_min": 60},
                {"action": "set-network", "at_ms": 100, "latency_ms_min": 30, "latency_ms_max": 50}]"#,
        ),
        "faults[0].latency_ms_min",
        "60 is above latency_ms_max 50 in force at 200 ms (from faults[1].latency_ms_max)",
    );
    // Equal times keep file order.
    assert_rejected(
        &scenario(
            r#"[{"action": "set-network", "at_ms": 100, "latency_ms_min": 30, "latency_ms_max": 50},
                {"action": "set-network", "at_ms": 100, "latency_ms_max": 25}]"#,
        ),
        "faults[1].latency_ms_max",
        "25 is below latency_ms_min 30",
    );
    let error = error_of(&scenario(
        r#"[{"action": "set-network", "at_ms": 100, "latency_ms_max": 5},
            {"action": "set-network", "at_ms": 100, "latency_ms_min": 3, "latency_ms_max": 50}]"#,
    ));
    assert_eq!(error.field, "faults[0].latency_ms_max", "{error}");
    // Orders that never leave max below min are fine.
    for faults in [
        r#"[{"action": "set-network", "at_ms": 100, "latency_ms_min": 30, "latency_ms_max": 50},
            {"action": "set-network", "at_ms": 100, "latency_ms_max": 35}]"#,
        r#"[{"action": "set-network", "at_ms": 300, "latency_ms_max": 35},
            {"action": "set-network", "at_ms": 100, "latency_ms_min": 30, "latency_ms_max": 50}]"#,
        r#"[{"action": "set-network", "at_ms": 100, "latency_ms_max": 100},
            {"action": "set-network", "at_ms": 200, "latency_ms_min": 100},
            {"action": "set-network", "at_ms": 300, "latency_ms_min": 5, "latency_ms_max": 5}]"#,
    ] {
        let text = scenario(faults);
        parse("ok.json", &text).unwrap_or_else(|error| panic!("{faults}: {error}"));
    }
}

#[test]
fn node_selectors_that_can_never_apply_are_rejected() {
    let fault = |action: &str, node: &str| {
        with(
            "faults",
            &format!(r#"[{{"action": "{action}", "at_ms": 5, "node": {node}}}]"#),
        )
    };
    for role in ["leader", "follower", "random"] {
        let text = fault("restart", &format!("\"{role}\""));
        assert_rejected(
            &text,
            "faults[0].node",
            &format!("\"{role}\" cannot be used with restart: it always names a live node"),
        );
        assert_rejected(
            &text,
            "faults[0].node",
            "restart takes a node id or \"crashed\"",
        );
    }
    assert_rejected(
        &fault("crash", "\"crashed\""),
        "faults[0].node",
        "\"crashed\" cannot be used with crash: it always names a crashed node",
    );
    assert_rejected(
        &fault("crash", "\"crashed\""),
        "faults[0].node",
        "crash takes a node id or \"leader\", \"follower\", \"random\"",
    );
    for action in ["crash", "restart", "isolate"] {
        assert_rejected(
            &fault(action, "\"rest\""),
            "faults[0].node",
            "only meaningful in partition groups",
        );
    }
    assert_rejected(
        &fault("isolate", "\"rest\""),
        "faults[0].node",
        "isolate takes a node id or \"leader\", \"follower\", \"random\", \"crashed\"",
    );
    // What each action may take.
    for (action, nodes) in [
        ("restart", &["1", "\"crashed\""][..]),
        (
            "crash",
            &["1", "\"leader\"", "\"follower\"", "\"random\""][..],
        ),
        (
            "isolate",
            &[
                "1",
                "\"leader\"",
                "\"follower\"",
                "\"random\"",
                "\"crashed\"",
            ][..],
        ),
    ] {
        for node in nodes {
            let text = fault(action, node);
            parse("ok.json", &text).unwrap_or_else(|error| panic!("{action} {node}: {error}"));
        }
    }
}

#[test]
fn control_characters_in_errors_are_escaped() {
    // serde quotes an unknown variant back verbatim, newline included.
    let error = error_of(&with(
        "faults",
        r#"[{"action": "crash", "at_ms": 5, "node": "lea\nder"}]"#,
    ));
    assert_eq!(error.field, "faults[0].node");
    let text = error.to_string();
    assert!(!text.contains('\n'), "one line: {text}");
    assert!(text.contains(r"unknown variant `lea\nder`"), "{text}");
    // An unknown key with control characters appears in both the field and the reason.
    let error = error_of(&with(r"x\ny\r\t\u001b\u2028z", "1"));
    let text = error.to_string();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with(
            r"bad.json: field `x\ny\r\t\u{1b}\u{2028}z`: unknown field `x\ny\r\t\u{1b}\u{2028}z`"
        ),
        "{text}"
    );
    assert!(!text.chars().any(char::is_control), "{text}");
    // Unknown actions and protocols are quoted back too.
    let error = error_of(&with("faults", r#"[{"action": "cr\nash", "at_ms": 5}]"#));
    assert!(!error.to_string().contains('\n'), "{error}");
    // The file name is escaped as well; ordinary text, quotes and non-ASCII are untouched.
    let error = ScenarioError {
        file: "a\nb.json".to_string(),
        field: "nodes".to_string(),
        reason: "«née» \"quoted\" \\ back\tslash".to_string(),
    };
    assert_eq!(
        error.to_string(),
        r#"a\nb.json: field `nodes`: «née» "quoted" \ back\tslash"#
    );
}

#[test]
fn the_version_is_checked_before_the_shape() {
    let reason = "unsupported version 2; this build reads version 1";
    // Fields unknown to version 1 do not hide the real problem.
    assert_rejected(
        r#"{"version": 2, "protocol": "raft", "nodes": 3, "seed": 7, "duration_ms": 1000, "new_field": 1}"#,
        "version",
        reason,
    );
    // Nor do missing fields or fields of another type, or where "version" appears.
    assert_rejected(
        r#"{"new_shape": {"a": [1]}, "version": 2}"#,
        "version",
        reason,
    );
    assert_rejected(r#"{"version": 2, "nodes": "three"}"#, "version", reason);
    assert_rejected(
        r#"{"version": 4294967297, "protocol": "raft"}"#,
        "version",
        "unsupported version 4294967297; this build reads version 1",
    );
    assert_rejected(
        "  \n{\"version\": 0}",
        "version",
        "unsupported version 0; this build reads version 1",
    );
    // Version 1 with an unknown field is still reported by its field.
    let error = error_of(&with("new_field", "1"));
    assert_eq!(error.field, "new_field", "{error}");
    assert!(error.reason.contains("unknown field"), "{error}");
    // Not valid JSON, not an object, or a version that is not an integer: the full parse
    // reports what is wrong.
    let error = error_of(r#"{"version": 2, "protocol": "raft""#);
    assert!(error.reason.contains("ends early"), "{error}");
    let error = error_of(
        r#"{"version": 2, "protocol": "raft", "nodes": 3, "seed": 7, "duration_ms": 1000} x"#,
    );
    assert!(error.reason.contains("trailing"), "{error}");
    let error = error_of("[2]");
    assert_ne!(error.field, "version", "{error}");
    assert!(!error.reason.contains("unsupported"), "{error}");
    for version in ["\"2\"", "-1", "2.0", "null"] {
        let text = format!(
            r#"{{"version": {version}, "protocol": "raft", "nodes": 3, "seed": 7, "duration_ms": 1000}}"#
        );
        let error = error_of(&text);
        assert_eq!(error.field, "version", "{error}");
        assert!(error.reason.contains("invalid"), "{error}");
    }
    let error = error_of(r#"{"protocol": "raft", "nodes": 3, "seed": 7, "duration_ms": 1000}"#);
    assert!(error.reason.contains("missing field `version`"), "{error}");
}
