//! The fuzzer finds every deliberately broken Raft variant: a campaign over the bundled base
//! with `--bug` catches each within a fixed seed budget, as the invariant the bug breaks, and
//! correct Raft passes the same seeds. The seeds-to-detection figures in
//! reports/bug-detection.md come from `detection_campaigns` below (ignored: it runs minutes).

use quorumsim::fuzz::{self, Campaign, CampaignSummary, Shard};
use quorumsim::registry::Registry;
use quorumsim::scenario::ScenarioFile;

use crate::fuzz::fresh_dir;

/// Per bug: the invariant that must fire, any other finding the bug may also cause, and the
/// seeds `0..budget` the fuzzer must catch it in. Budgets sit above the first detecting seed
/// from 0 measured when they were set (in brackets); the report has the medians.
const DETECTIONS: [(&str, &str, &[&str], u64); 7] = [
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

/// Seeds-to-detection over independent campaigns, for the report: per bug, 20 campaigns
/// starting at 0, 100 000, 200 000, …, each stopping at its first failure (at most 20 000
/// seeds). `cargo test --release bug_detection::detection_campaigns -- --ignored --nocapture`
#[test]
#[ignore]
fn detection_campaigns() {
    for (bug, ..) in DETECTIONS {
        print_seeds_to_detection(bug, &raft_base(Some(bug)));
    }
}

/// Runs the 20 campaigns of `base` (which names `bug`) and prints the median and maximum
/// position of the first failing seed, the first findings by kind, and every count.
pub(crate) fn print_seeds_to_detection(bug: &str, base: &ScenarioFile) {
    const CAMPAIGNS: u64 = 20;
    const CAP: u64 = 20_000;
    let mut counts: Vec<u64> = Vec::new();
    let mut kinds = std::collections::BTreeMap::<String, u64>::new();
    for index in 0..CAMPAIGNS {
        let start = index * 100_000;
        let campaign = Campaign {
            registry: Registry::builtin(),
            base: base.clone(),
            seed_start: start,
            seed_count: CAP,
            shard: Shard::WHOLE,
            jobs: 2,
            time_budget: None,
            out_dir: fresh_dir(&format!("bug-detection-{bug}-{start}")),
            resume: false,
        };
        let summary = fuzz::run_campaign(&campaign, &fuzz::default_executor, &|progress| {
            progress.failures == 0
        })
        .expect("the campaign runs");
        // Seeds still running when the first failure stopped the campaign finish, so the
        // lowest failing seed is the first.
        match summary
            .failing_seeds
            .iter()
            .min_by_key(|record| record.seed)
        {
            Some(first) => {
                counts.push(first.seed - start + 1);
                *kinds.entry(first.signature.clone()).or_default() += 1;
            }
            None => counts.push(u64::MAX),
        }
    }
    counts.sort_unstable();
    let median = (u128::from(counts[9]) + u128::from(counts[10])) / 2;
    println!(
        "{bug:28} median {median:>6} max {:>6} first findings {kinds:?} all {counts:?}",
        counts[counts.len() - 1]
    );
}
