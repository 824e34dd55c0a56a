//! The fuzzer finds every planted FLE bug, each through the invariant that names what it
//! breaks, within a fixed seed budget of the bundled base; the correct protocol stays clean
//! over the same seeds. Each budget is a window of seeds of the bundled base (a different
//! base or swarm moves the windows: re-measure with `quorumsim fuzz --bug NAME`).

use quorumsim::fle::{names, FleBug};
use quorumsim::fuzz::{self, Campaign, CampaignSummary, Shard};
use quorumsim::registry::Registry;
use quorumsim::scenario::ScenarioFile;

use crate::fuzz::fresh_dir;

pub(crate) fn fle_base(bug: Option<FleBug>) -> ScenarioFile {
    crate::support::fuzz_base("fle", bug.map(FleBug::name))
}

fn fuzz_fle(bug: Option<FleBug>, seed_start: u64, seed_count: u64) -> CampaignSummary {
    let label = bug.map_or("correct", FleBug::name);
    let campaign = Campaign {
        registry: Registry::builtin(),
        base: fle_base(bug),
        seed_start,
        seed_count,
        shard: Shard { index: 1, count: 1 },
        jobs: 2,
        time_budget: None,
        out_dir: fresh_dir(&format!("fle-detect-{label}-{seed_start}")),
        resume: false,
    };
    fuzz::run_campaign(&campaign, &fuzz::default_executor, &|_| true).expect("the campaign runs")
}

/// Fuzzes `bug` over `seed_count` seeds from `seed_start`: at least one failure, every one
/// of them `invariant`; the correct protocol passes the same seeds.
fn assert_detected(bug: FleBug, seed_start: u64, seed_count: u64, invariant: &str) {
    assert_detected_besides(bug, seed_start, seed_count, invariant, &[]);
}

/// [`assert_detected`], where some failures may also be of the kinds in `also` (a bug that
/// livelocks ends some runs at a limit).
fn assert_detected_besides(
    bug: FleBug,
    seed_start: u64,
    seed_count: u64,
    invariant: &str,
    also: &[&str],
) {
    let mut buggy = fuzz_fle(Some(bug), seed_start, seed_count);
    buggy
        .failures_by_kind
        .retain(|kind, _| !also.contains(&kind.as_str()));
    assert!(
        buggy.failures >= 1,
        "{}: no failure in seeds {seed_start}..{}",
        bug.name(),
        seed_start + seed_count
    );
    assert_eq!(
        buggy.failures_by_kind.keys().collect::<Vec<_>>(),
        vec![invariant],
        "{}: {:?}",
        bug.name(),
        buggy.failures_by_kind
    );
    let correct = fuzz_fle(None, seed_start, seed_count);
    assert_eq!(correct.seeds_run, seed_count);
    assert_eq!(
        correct.failures, 0,
        "correct FLE failed: {:?}",
        correct.failing_seeds
    );
}

#[test]
fn the_1419_vote_order_elects_a_leader_behind_its_voters() {
    // Idle safety phases leave servers with equal zxids and different epochs; the id then
    // beats the epoch and a voter from a newer epoch elects a stale leader. Where it does
    // not, the order that is not total can livelock the election into a notification storm
    // that ends at the in-flight limit (`the_1419_vote_order_livelocks_the_election`).
    assert_detected_besides(
        FleBug::ZxidBeforeEpoch,
        50,
        60,
        names::LEADER_QUORUM_DOMINANCE,
        &["limit"],
    );
}

#[test]
fn ignoring_the_round_counts_votes_of_other_elections() {
    // A quorum assembled from votes of different rounds: the decision's grounds are not
    // those `lookForLeader` allows.
    assert_detected(FleBug::IgnoreRound, 0, 20, names::DECISION_BASIS);
}

#[test]
fn without_check_leader_a_late_joiner_follows_a_leader_that_leads_nothing() {
    // Stale "following X" votes send a joiner after X, which never said it leads.
    assert_detected(FleBug::NoCheckLeader, 0, 20, names::DECISION_BASIS);
}

#[test]
fn without_the_finalize_wait_a_better_vote_on_its_way_is_skipped() {
    assert_detected(
        FleBug::NoFinalizeWait,
        0,
        20,
        names::FINALIZE_CATCHES_BETTER_VOTE,
    );
}

#[test]
fn a_forgotten_accepted_epoch_elects_two_leaders_in_one_epoch() {
    assert_detected(FleBug::AcceptedEpochNotPersisted, 90, 40, "election-safety");
}
