//! Campaigns of the generic swarm over the bundled base: the same generator, faults and
//! liveness phase the built-in protocols get.

use quorumsim::fuzz::{self, Campaign, CampaignSummary, Shard};
use quorumsim_raft_rs::RaftRsBug;

use crate::{fresh_dir, fuzz_base, registry};

/// Seeds `0..CORRECT_SEEDS` of correct use must all pass: more than any swarm budget below,
/// so correct use passes every seed a variant is caught on. CI fuzzes 2,000 more (`.ci/run`).
const CORRECT_SEEDS: u64 = 400;

/// Per misuse variant caught by the swarm within a test's time, the failures that may catch
/// it and the seeds `0..budget` it must be caught in: about three times the latest first
/// catch of the twenty campaigns of `reports/bug-detection-raft-rs.md` (in brackets).
/// `send-before-persist` needs hundreds of seeds there (median 261, latest 1,179), so its
/// budget is tested on the scenario built to catch it (`scenarios.rs`).
const DETECTIONS: [(RaftRsBug, &[&str], u64); 3] = [
    // [1]
    (RaftRsBug::ApplyBeforeCommit, &["state-machine-safety"], 5),
    // [10]: raft-rs's own assertion fires when a node back in term 0 answers a pre-vote, and
    // a node back in term 0 may let an old leader overwrite entries it reported committed.
    (
        RaftRsBug::EntriesWithoutHardState,
        &["vote-once-per-term", "panic", "committed-prefix-agreement"],
        30,
    ),
    // [1]
    (RaftRsBug::IgnoreLightReady, &["state-machine-safety"], 5),
];

fn campaign(bug: Option<RaftRsBug>, seeds: u64, stop_at_first: bool) -> CampaignSummary {
    let name = bug.map_or("correct", RaftRsBug::name);
    let campaign = Campaign {
        registry: registry(),
        base: fuzz_base(bug.map(RaftRsBug::name)),
        seed_start: 0,
        seed_count: seeds,
        shard: Shard::WHOLE,
        jobs: 2,
        time_budget: None,
        out_dir: fresh_dir(&format!("campaign-{name}")),
        resume: false,
    };
    fuzz::run_campaign(&campaign, &fuzz::default_executor, &|progress| {
        !stop_at_first || progress.failures == 0
    })
    .expect("the campaign runs")
}

#[test]
fn correct_use_passes_every_seed_of_the_swarm() {
    let summary = campaign(None, CORRECT_SEEDS, false);
    assert_eq!(summary.protocol, "raft-rs");
    assert_eq!(summary.seeds_run, CORRECT_SEEDS);
    assert_eq!(summary.failures, 0, "{:#?}", summary.failing_seeds);
    // The seeds exercise what they claim to: every fault kind is drawn and strikes, and
    // every option is drawn both ways.
    for (kind, tally) in &summary.coverage.fault_kinds {
        assert!(tally.seeds > CORRECT_SEEDS / 4, "{kind}: {tally:?}");
        assert!(tally.faults > tally.seeds, "{kind}: {tally:?}");
    }
    for (option, tally) in &summary.coverage.options {
        assert!(tally.seeds > CORRECT_SEEDS / 8, "{option}: {tally:?}");
        assert!(tally.seeds < CORRECT_SEEDS, "{option}: {tally:?}");
    }
}

#[test]
fn every_misuse_variant_is_caught_as_its_failure_within_its_budget() {
    for (bug, failures, budget) in DETECTIONS {
        let summary = campaign(Some(bug), budget, true);
        let Some(first) = summary.failing_seeds.first() else {
            panic!("{}: not caught in seeds 0..{budget}", bug.name());
        };
        assert!(
            failures.contains(&first.signature.as_str()),
            "{}: seed {} ended in {}, not one of {failures:?}",
            bug.name(),
            first.seed,
            first.outcome
        );
    }
}
