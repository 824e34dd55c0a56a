//! Campaigns of the generic swarm over the bundled base: the same generator, faults and
//! liveness phase the built-in protocols get.

use quorumsim::fuzz::{self, Campaign, CampaignSummary, Shard};
use quorumsim_vr::VrBug;

use crate::{fresh_dir, fuzz_base, registry};

/// Seeds `0..CORRECT_SEEDS` of correct VR must all pass: more than any bug's budget, so
/// correct VR passes every seed a variant is caught on.
const CORRECT_SEEDS: u64 = 600;

/// Per broken variant, the invariants that may catch it and the seeds `0..budget` it must be
/// caught in. Each budget is about three times the latest first catch of ten campaigns
/// started at 0, 100,000, …, 900,000 (in brackets).
const DETECTIONS: [(VrBug, &[&str], u64); 4] = [
    // [2]
    (VrBug::KeepOwnLog, &["leader-completeness"], 20),
    // [40]
    (VrBug::LogChoiceByOpNumber, &["leader-completeness"], 150),
    // [6]
    (
        VrBug::CommitOnFReplicas,
        &["leader-completeness", "committed-prefix-agreement"],
        30,
    ),
    // [42]
    (
        VrBug::ViewNotPersisted,
        &[
            "vote-once-per-term",
            "log-matching",
            "leader-completeness",
            "committed-prefix-agreement",
        ],
        150,
    ),
];

fn campaign(bug: Option<VrBug>, seeds: u64, stop_at_first: bool) -> CampaignSummary {
    let name = bug.map_or("correct", VrBug::name);
    let campaign = Campaign {
        registry: registry(),
        base: fuzz_base(bug.map(VrBug::name)),
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
fn correct_vr_passes_every_seed_of_the_swarm() {
    let summary = campaign(None, CORRECT_SEEDS, false);
    assert_eq!(summary.protocol, "vr");
    assert_eq!(summary.seeds_run, CORRECT_SEEDS);
    assert_eq!(summary.failures, 0, "{:#?}", summary.failing_seeds);
    // The seeds exercise what they claim to: every fault kind is drawn and strikes.
    for (kind, tally) in &summary.coverage.fault_kinds {
        assert!(tally.seeds > CORRECT_SEEDS / 4, "{kind}: {tally:?}");
        assert!(tally.faults > tally.seeds, "{kind}: {tally:?}");
    }
}

#[test]
fn every_broken_variant_is_caught_as_its_invariant_within_its_budget() {
    let bugs: Vec<VrBug> = DETECTIONS.iter().map(|&(bug, ..)| bug).collect();
    assert_eq!(bugs, VrBug::ALL, "every variant has a detection");
    for (bug, invariants, budget) in DETECTIONS {
        let summary = campaign(Some(bug), budget, true);
        let Some(first) = summary.failing_seeds.first() else {
            panic!("{}: not caught in seeds 0..{budget}", bug.name());
        };
        assert!(
            invariants.contains(&first.signature.as_str()),
            "{}: seed {} ended in {}, not one of {invariants:?}",
            bug.name(),
            first.seed,
            first.outcome
        );
    }
}
