//! Fault selectors resolve to the nodes they name, and the leader expectation judges the
//! cluster at its deadline.

use quorumsim::run::run_scenario;
use quorumsim::sim::{Outcome, TraceSink};

use crate::support::parse;

fn scenario_with(faults: &str, expect: &str) -> String {
    format!(
        r#"{{"version": 1, "protocol": "raft", "nodes": 5, "seed": 3, "duration_ms": 4000,
            "workload": {{"start_ms": 100, "interval_ms_min": 10, "interval_ms_max": 20}},
            "faults": [{faults}], "expect": {{{expect}}}}}"#
    )
}

/// The trace lines of a run (the whole trace: these runs are short).
fn trace_lines(text: &str, seed: u64) -> (Outcome, Vec<String>) {
    let report = run_scenario(&parse(text), seed, TraceSink::Tail(1_000_000));
    (report.outcome, report.trace_tail)
}

fn line_with<'a>(lines: &'a [String], needle: &str) -> &'a str {
    lines
        .iter()
        .find(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("no trace line contains `{needle}`"))
}

/// The groups of a `partitioned into [n4, n3] | [n0, n1, n2]` trace line.
fn partition_groups(line: &str) -> Vec<Vec<String>> {
    let groups = &line[line.find("partitioned into ").expect("a partition line") + 17..];
    groups
        .split(" | ")
        .map(|group| {
            group
                .trim_matches(|c| c == '[' || c == ']')
                .split(", ")
                .filter(|name| !name.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// Every node at most once across the groups.
fn assert_disjoint(groups: &[Vec<String>], context: &str) {
    let mut all: Vec<&String> = groups.iter().flatten().collect();
    let count = all.len();
    all.sort();
    all.dedup();
    assert_eq!(
        all.len(),
        count,
        "{context}: a node is in two groups: {groups:?}"
    );
}

#[test]
fn follower_never_resolves_to_the_leader_already_placed() {
    let text = scenario_with(
        r#"{"action": "partition", "at_ms": 2000, "groups": [["leader", "follower"], ["rest"]]}"#,
        "",
    );
    for seed in 0..20 {
        let (_, lines) = trace_lines(&text, seed);
        let groups = partition_groups(line_with(&lines, "partitioned into"));
        assert_disjoint(&groups, &format!("seed {seed}"));
        assert_eq!(groups[0].len(), 2, "seed {seed}: {groups:?}");
        assert_eq!(groups[1].len(), 3, "seed {seed}: {groups:?}");
    }
}

#[test]
fn a_cut_to_the_leader_reaches_the_leader_among_the_senders() {
    let text = scenario_with(
        r#"{"action": "cut", "at_ms": 2000, "from": [0, 1, 2, 3, 4], "to": ["leader"]}"#,
        "",
    );
    let (_, lines) = trace_lines(&text, 1);
    let line = line_with(&lines, "cut [n0, n1, n2, n3, n4] -> ");
    assert!(!line.ends_with("-> []"), "the cut names a receiver: {line}");
}

#[test]
fn the_leader_expectation_fails_without_a_live_majority() {
    let text = scenario_with(
        r#"{"action": "crash", "at_ms": 2000, "node": 0},
           {"action": "crash", "at_ms": 2000, "node": 1},
           {"action": "crash", "at_ms": 2000, "node": 2}"#,
        r#""leader_within_ms": 1500"#,
    );
    let (outcome, _) = trace_lines(&text, 1);
    match outcome {
        Outcome::ExpectationFailed { reasons } => {
            assert!(
                reasons[0].contains("no leader acknowledged by a live quorum"),
                "{reasons:?}"
            )
        }
        other => panic!("expected an unmet expectation, got {other}"),
    }
}

#[test]
fn the_leader_expectation_credits_the_leader_standing_at_the_deadline() {
    // Crash the leader last: the leader standing at the fault is gone, a new one must be
    // elected, and it is the one credited, after the fault.
    let text = scenario_with(
        r#"{"action": "crash", "at_ms": 2000, "node": "leader"}"#,
        r#""leader_within_ms": 1500"#,
    );
    for seed in 0..10 {
        let report = run_scenario(&parse(&text), seed, TraceSink::Off);
        assert!(report.outcome.is_pass(), "seed {seed}: {}", report.outcome);
        let established = report
            .leader_established_us
            .expect("a leader was established");
        assert!(
            established > 2_000_000,
            "seed {seed}: credited at {established} us"
        );
        let last = report.leaders.last().expect("leaders");
        assert!(
            last.at_us >= 2_000_000 && last.at_us <= established,
            "seed {seed}"
        );
    }
}

#[test]
fn role_selectors_never_pick_a_node_another_group_names_by_id() {
    let text = scenario_with(
        r#"{"action": "partition", "at_ms": 2000, "groups": [["random", "leader"], [0, 1]]}"#,
        "",
    );
    for seed in 0..30 {
        let (_, lines) = trace_lines(&text, seed);
        let groups = partition_groups(line_with(&lines, "partitioned into"));
        assert_disjoint(&groups, &format!("seed {seed}"));
        assert_eq!(groups[1], ["n0", "n1"], "seed {seed}: {groups:?}");
    }
}

#[test]
fn followers_cut_off_from_their_leader_do_not_count_for_it() {
    // Every node isolated, with neither pre-vote nor check-quorum: the old leader still claims
    // its term and its followers never hear of another, yet no leader can lead anyone.
    let text = format!(
        r#"{{"version": 1, "protocol": "raft", "nodes": 5, "seed": 3, "duration_ms": 6000,
            "raft": {{"pre_vote": false, "check_quorum": false}},
            "faults": [{}], "expect": {{"leader_within_ms": 2000}}}}"#,
        (0..5)
            .map(|node| format!(r#"{{"action": "isolate", "at_ms": 3000, "node": {node}}}"#))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (outcome, _) = trace_lines(&text, 1);
    assert!(
        matches!(outcome, Outcome::ExpectationFailed { .. }),
        "expected the leader check to fail, got {outcome}"
    );
}
