//! Deliberately broken Raft variants (`RaftBug`): each is caught by the invariant it breaks,
//! within a small fixed seed budget of a named scenario, and none is on by default.

use quorumsim::raft::RaftBug;
use quorumsim::registry::Registry;
use quorumsim::scenario::{self, Scenario};
use quorumsim::sim::{Outcome, StorageModel};

use crate::support::{bundled_scenarios, repo_path, run};

pub fn load(relative: &str) -> Scenario {
    scenario::load(&Registry::builtin(), &repo_path(relative))
        .unwrap_or_else(|error| panic!("{error}"))
}

pub fn with_bug(mut scenario: Scenario, bug: RaftBug) -> Scenario {
    scenario.protocol = scenario
        .protocol
        .with_bug(bug.name())
        .expect("every RaftBug name is accepted");
    scenario
}

/// What a run found: the invariant for a violation, else the outcome's kind.
fn finding(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Violation { violation, .. } => violation.invariant,
        other => other.kind(),
    }
}

/// For each bug: the scenario that catches it, what it must find, and how many seeds (from 1)
/// may be tried. The budgets leave room: each of these catches its bug on every one of seeds
/// 1..=50 but three-node-cluster, which catches `truncate-on-stale-append` on 46 of 50, and
/// vote-lost-with-its-write, which needs a crash to land inside one flush and catches
/// `reply-before-persist` on 18 of 50 (first on seed 2).
pub const DETECTIONS: [(RaftBug, &str, &str, u64); 8] = [
    (
        RaftBug::Figure8Commit,
        "scenarios/raft/figure-8.json",
        "leader-completeness",
        5,
    ),
    (
        RaftBug::VoteNotPersisted,
        "scenarios/raft/restart-forgets-vote.json",
        "vote-once-per-term",
        5,
    ),
    (
        RaftBug::TermNotPersisted,
        "scenarios/raft/restart-forgets-vote.json",
        "vote-once-per-term",
        5,
    ),
    (
        RaftBug::AppendWithoutLogMatching,
        "scenarios/raft/figure-8.json",
        "log-matching",
        5,
    ),
    (
        RaftBug::TruncateOnStaleAppend,
        "scenarios/raft/three-node-cluster.json",
        "leader-completeness",
        10,
    ),
    (
        RaftBug::VoteWithoutUpToDate,
        "scenarios/raft/restart-mid-election.json",
        "leader-completeness",
        5,
    ),
    (
        RaftBug::LeaderNeverStepsDown,
        "scenarios/raft/leader-cut-off-from-replies.json",
        "expectation-failed",
        5,
    ),
    (
        RaftBug::ReplyBeforePersist,
        "scenarios/raft/vote-lost-with-its-write.json",
        "election-safety",
        10,
    ),
];

/// How many of seeds 1..=50 must catch `bug`: most bugs show on nearly every seed; a vote lost
/// with its write needs a crash inside the one flush that carries it.
fn reliability(bug: RaftBug) -> usize {
    match bug {
        RaftBug::ReplyBeforePersist => 12,
        _ => 45,
    }
}

/// The first seed in 1..=`seeds` on which `scenario` finds `expected`, if any.
pub fn first_detecting_seed(scenario: &Scenario, expected: &str, seeds: u64) -> Option<u64> {
    (1..=seeds).find(|&seed| finding(&run(scenario, seed).outcome) == expected)
}

#[test]
fn every_bug_is_caught_by_its_invariant_within_a_few_seeds() {
    let covered: Vec<RaftBug> = DETECTIONS.iter().map(|&(bug, ..)| bug).collect();
    assert_eq!(covered, RaftBug::ALL, "every bug has a detection");
    for (bug, path, expected, seeds) in DETECTIONS {
        let scenario = with_bug(load(path), bug);
        assert!(
            first_detecting_seed(&scenario, expected, seeds).is_some(),
            "{} not caught as {expected} by {path} on seeds 1..={seeds}",
            bug.name()
        );
    }
}

#[test]
fn detection_is_reliable_not_lucky() {
    // Over seeds 1..=50 each bug is caught, as its invariant, on at least `reliability` seeds.
    for (bug, path, expected, _) in DETECTIONS {
        let scenario = with_bug(load(path), bug);
        let caught = (1..=50)
            .filter(|&seed| finding(&run(&scenario, seed).outcome) == expected)
            .count();
        assert!(
            caught >= reliability(bug),
            "{} caught as {expected} by {path} on only {caught} of 50 seeds",
            bug.name()
        );
    }
}

#[test]
fn replying_before_persisting_shows_only_when_writes_take_time() {
    // The same scenario with an instant disk: the grant and the write happen together, so the
    // order inside the handler cannot be seen and the broken variant passes.
    let mut scenario = with_bug(
        load("scenarios/raft/vote-lost-with-its-write.json"),
        RaftBug::ReplyBeforePersist,
    );
    scenario.sim = scenario.sim.with_storage(StorageModel::default());
    for seed in 1..=20 {
        let outcome = run(&scenario, seed).outcome;
        assert!(outcome.is_pass(), "instant disk, seed {seed}: {outcome}");
    }
}

#[test]
fn the_detecting_scenarios_pass_with_correct_raft() {
    // The same scenarios, bug off, over more seeds than any budget: the finding is the
    // bug's, not the scenario's.
    for (_, path, _, _) in DETECTIONS {
        let scenario = load(path);
        for seed in 1..=50 {
            let outcome = run(&scenario, seed).outcome;
            assert!(outcome.is_pass(), "{path} seed {seed}: {outcome}");
        }
    }
}

#[test]
fn no_bug_is_on_by_default_or_in_any_bundled_scenario() {
    assert_eq!(quorumsim::raft::RaftConfig::default().bug, None);
    assert_eq!(quorumsim::fle::FleConfig::default().bug, None);
    for path in bundled_scenarios() {
        let scenario =
            scenario::load(&Registry::builtin(), &path).unwrap_or_else(|error| panic!("{error}"));
        if scenario.protocol.bug().is_some() {
            // Only a regression file may name a bug, and then it must record the failure the
            // bug causes: it is a test of the checkers, never a scenario that passes as is.
            assert!(
                path.starts_with(repo_path("scenarios/regressions")),
                "{} names a bug",
                path.display()
            );
            assert!(
                scenario.expected_end.failure.is_some(),
                "{} names a bug but records no failure",
                path.display()
            );
        }
    }
}

#[test]
fn a_scenario_file_can_name_a_bug_and_an_unknown_name_is_one_line() {
    let text = |bug: &str| {
        format!(
            r#"{{"version": 1, "protocol": "raft", "nodes": 3, "seed": 1, "duration_ms": 100,
                "raft": {{"bug": "{bug}"}}}}"#
        )
    };
    let named = scenario::parse(
        &Registry::builtin(),
        "inline.json",
        &text("figure-8-commit"),
    )
    .expect("valid");
    assert_eq!(named.protocol.bug(), Some("figure-8-commit"));
    let error = scenario::parse(&Registry::builtin(), "inline.json", &text("figure-9"))
        .expect_err("unknown bug");
    assert_eq!(error.field, "raft.bug");
    let message = error.to_string();
    assert!(!message.contains('\n'), "{message}");
    for bug in RaftBug::ALL {
        assert!(message.contains(bug.name()), "{message}");
    }
}

#[test]
fn with_bug_replaces_the_scenario_s_bug_and_rejects_unknown_names() {
    let protocol = load("scenarios/raft/figure-8.json").protocol;
    let buggy = protocol.with_bug("vote-not-persisted").expect("a Raft bug");
    assert_eq!(buggy.bug(), Some("vote-not-persisted"));
    assert_eq!(protocol.bug(), None, "the original is unchanged");
    let error = protocol.with_bug("no-such-bug").expect_err("unknown");
    assert!(
        error.contains("raft") && error.contains("figure-8-commit"),
        "{error}"
    );
}

fn quorumsim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_quorumsim"))
        .args(args)
        .output()
        .expect("the quorumsim binary runs")
}

#[test]
fn run_bug_turns_a_passing_scenario_into_a_violation() {
    let path = repo_path("scenarios/raft/figure-8.json");
    let path = path.to_str().unwrap();
    let correct = quorumsim(&["run", path, "--seed", "1"]);
    assert_eq!(correct.status.code(), Some(0));
    for extra in [&[][..], &["--paranoid"][..]] {
        let mut args = vec!["run", path, "--seed", "1", "--bug", "figure-8-commit"];
        args.extend_from_slice(extra);
        let broken = quorumsim(&args);
        assert_eq!(broken.status.code(), Some(1), "{args:?}");
        let text = String::from_utf8_lossy(&broken.stdout);
        assert!(
            text.contains("violation of leader-completeness"),
            "{args:?}: {text}"
        );
    }
}

#[test]
fn run_bug_with_an_unknown_name_exits_2_with_one_line_naming_the_protocol() {
    let path = repo_path("scenarios/raft/steady-state.json");
    let output = quorumsim(&["run", path.to_str().unwrap(), "--bug", "figure-9"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: --bug: unknown bug \"figure-9\" for protocol raft; valid names: figure-8-commit,"),
        "{stderr}"
    );
}
