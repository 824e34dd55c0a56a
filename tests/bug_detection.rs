//! The fuzzer finds every deliberately broken Raft variant: a campaign over the bundled base
//! with `--bug` catches each within a fixed seed budget, as the invariant the bug breaks, and
//! correct Raft passes the same seeds. The seeds-to-detection figures in reports/ come from
//! `quorumsim experiment bug-detection`.

use quorumsim::fuzz::{self, Campaign, CampaignSummary, Shard};
use quorumsim::registry::Registry;
use quorumsim::scenario::ScenarioFile;

use crate::fuzz::fresh_dir;

/// Per bug: the invariant that must fire, any other finding the bug may also cause, and the
/// seeds `0..budget` the fuzzer must catch it in. Budgets sit above the first detecting seed
/// from 0 measured when they were set (in brackets); the report has the medians.
const DETECTIONS: [(&str, &str, &[&str], u64); 8] = [
    // [526]: the rarest, a chain of leader crashes and isolations.
    ("figure-8-commit", "leader-completeness", &[], 1_100),
    // [43]
    ("vote-not-persisted", "vote-once-per-term", &[], 150),
    // [5]
    ("term-not-persisted", "vote-once-per-term", &[], 60),
    // [3]
    ("append-without-log-matching", "log-matching", &[], 60),
    // [0]: a truncated committed entry also shows as a commit index past the log's end, or
    // as a follower that can no longer catch up (no commits after the heal).
    (
        "truncate-on-stale-append",
        "leader-completeness",
        &["raft-commit-within-log", "expectation-failed"],
        60,
    ),
    // [0]
    ("vote-without-up-to-date", "leader-completeness", &[], 60),
    // [36]: a liveness failure, caught by the residual cut into the leader after the heal.
    ("leader-never-steps-down", "expectation-failed", &[], 150),
    // [465]: a write-loss storm crashes a voter inside the flush that carries its vote while
    // a second candidate asks it in the same term (tests/bugs.rs has the scenario too).
    ("reply-before-persist", "election-safety", &[], 1_100),
];

fn raft_base(bug: Option<&str>) -> ScenarioFile {
    crate::support::fuzz_base("raft", bug)
}

/// Seeds `start..start+count` of the base with `bug`; with `stop_at_first`, the campaign
/// stops taking seeds once one failed.
fn campaign(bug: Option<&str>, start: u64, count: u64, stop_at_first: bool) -> CampaignSummary {
    let name = format!("{}-{start}", bug.unwrap_or("correct"));
    let campaign = Campaign {
        registry: Registry::builtin(),
        base: raft_base(bug),
        seed_start: start,
        seed_count: count,
        shard: Shard::WHOLE,
        jobs: 2,
        time_budget: None,
        out_dir: fresh_dir(&format!("bug-detection-{name}")),
        resume: false,
    };
    fuzz::run_campaign(&campaign, &fuzz::default_executor, &|progress| {
        !stop_at_first || progress.failures == 0
    })
    .expect("the campaign runs")
}

#[test]
fn the_fuzzer_catches_every_raft_bug_as_its_invariant_within_its_budget() {
    let names: Vec<&str> = DETECTIONS.iter().map(|&(bug, ..)| bug).collect();
    let all: Vec<&str> = quorumsim::raft::RaftBug::ALL
        .iter()
        .map(|bug| bug.name())
        .collect();
    assert_eq!(names, all, "every Raft bug has a detection");
    for (bug, invariant, also, budget) in DETECTIONS {
        let summary = campaign(Some(bug), 0, budget, false);
        assert_eq!(summary.seeds_run, budget, "{bug}");
        assert!(
            summary.failures_by_kind.contains_key(invariant),
            "{bug}: no {invariant} in seeds 0..{budget}: {:?}",
            summary.failures_by_kind
        );
        for kind in summary.failures_by_kind.keys() {
            assert!(
                kind == invariant || also.contains(&kind.as_str()),
                "{bug}: unexpected finding {kind}: {:?}",
                summary.failures_by_kind
            );
        }
    }
}

#[test]
fn correct_raft_passes_every_budget() {
    let largest = DETECTIONS.iter().map(|&(.., budget)| budget).max();
    let seeds = largest.expect("detections");
    let summary = campaign(None, 0, seeds, false);
    assert_eq!(summary.seeds_run, seeds);
    assert_eq!(summary.failures, 0, "{:?}", summary.failing_seeds);
}
