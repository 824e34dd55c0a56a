//! Whole runs of VR through `quorumsim::sim::Simulator`: correct VR passes every drawn
//! seed, every broken variant is caught by the checkers within a stated seed budget, and a
//! seed replays to the same trace hash.

mod swarm;

use std::collections::BTreeSet;

use quorumsim::net::LinkModel;
use quorumsim::prng::Ratio;
use quorumsim::protocol::NodeId;
use quorumsim::sim::{
    ClientTarget, Expectations, Outcome, SimConfig, Simulator, TraceSink, Workload,
};
use quorumsim::time::ms;
use quorumsim_vr::{VrBug, VrConfig, VrReplica};

/// Seeds `0..CORRECT_SEEDS` of correct VR must all pass: more than any bug's budget, so
/// correct VR passes every seed a variant is caught on.
const CORRECT_SEEDS: u64 = 400;

/// Per broken variant, the invariants that may catch it and the seeds `0..budget` it must be
/// caught in. Budgets sit well above the first catching seed from 0 and above the slowest
/// of ten campaigns started at other seeds.
const DETECTIONS: [(VrBug, &[&str], u64); 4] = [
    (VrBug::KeepOwnLog, &["leader-completeness"], 20),
    (VrBug::LogChoiceByOpNumber, &["leader-completeness"], 200),
    (
        VrBug::CommitOnFReplicas,
        &["leader-completeness", "committed-prefix-agreement"],
        20,
    ),
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

#[test]
fn correct_vr_passes_every_drawn_seed() {
    let mut failures = Vec::new();
    let (mut with_view_changes, mut crashes, mut lost) = (0, 0, 0);
    for seed in 0..CORRECT_SEEDS {
        let report = swarm::run(seed, None);
        if !report.outcome.is_pass() {
            failures.push(format!("seed {seed}: {}", report.outcome));
        }
        with_view_changes += u64::from(report.leaders.len() > 1);
        crashes += report.stats.crashes;
        lost += report.stats.messages_dropped_loss;
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // The seeds exercise what they claim to: view changes, crashes and loss.
    assert!(with_view_changes > CORRECT_SEEDS / 2, "{with_view_changes}");
    assert!(
        crashes > CORRECT_SEEDS && lost > 0,
        "{crashes} crashes, {lost} lost"
    );
}

#[test]
fn every_broken_variant_is_caught_by_a_checker_within_its_budget() {
    let bugs: Vec<VrBug> = DETECTIONS.iter().map(|&(bug, ..)| bug).collect();
    assert_eq!(bugs, VrBug::ALL, "every variant has a detection");
    for (bug, invariants, budget) in DETECTIONS {
        let caught = (0..budget).find_map(|seed| {
            let outcome = swarm::run(seed, Some(bug)).outcome;
            (!outcome.is_pass()).then_some((seed, outcome))
        });
        let Some((seed, outcome)) = caught else {
            panic!("{}: not caught in seeds 0..{budget}", bug.name());
        };
        match outcome {
            Outcome::Violation { violation, .. } => assert!(
                invariants.contains(&violation.invariant),
                "{}: seed {seed} broke {}, not one of {invariants:?}",
                bug.name(),
                violation.invariant
            ),
            other => panic!("{}: seed {seed} ended in {other}", bug.name()),
        }
    }
}

#[test]
fn a_seed_replays_to_the_same_trace_hash() {
    let mut hashes = BTreeSet::new();
    for seed in 0..16 {
        let first = swarm::run(seed, None);
        let second = swarm::run(seed, None);
        assert_eq!(first.trace_hash, second.trace_hash, "seed {seed}");
        assert_eq!(first.steps, second.steps);
        hashes.insert(first.trace_hash);
    }
    assert_eq!(hashes.len(), 16, "seeds differ");
    // A failure replays too, to the same step.
    let first = swarm::run(0, Some(VrBug::KeepOwnLog));
    let second = swarm::run(0, Some(VrBug::KeepOwnLog));
    assert!(!first.outcome.is_pass());
    assert_eq!(first.outcome, second.outcome);
    assert_eq!(first.trace_hash, second.trace_hash);
}

#[test]
fn a_quiet_group_keeps_its_first_primary_and_commits_every_request() {
    let config = SimConfig {
        paranoid: true,
        node_count: 5,
        seed: 3,
        duration_us: ms(2_000),
        max_steps: 1_000_000,
        max_in_flight: 100_000,
        links: LinkModel {
            latency_us_min: ms(1),
            latency_us_max: ms(5),
            drop: Ratio::ZERO,
            duplicate: Ratio::ZERO,
        },
        workload: Some(Workload {
            start_us: ms(10),
            stop_us: ms(1_900),
            interval_us_min: ms(2),
            interval_us_max: ms(6),
            key_count: 8,
            target: ClientTarget::Leader,
        }),
        faults: Vec::new(),
        expect: Expectations {
            leader_within_us: Some(ms(100)),
            commits_min: Some(300),
            ..Expectations::default()
        },
    };
    let report = Simulator::<VrReplica>::new(config, VrConfig::default(), TraceSink::Off).run();
    assert!(report.outcome.is_pass(), "{}", report.outcome);
    assert_eq!(report.protocol, "vr");
    assert_eq!(report.leaders.len(), 1, "no view change without a fault");
    assert_eq!(
        (report.leaders[0].term, report.leaders[0].node),
        (0, NodeId(0))
    );
    assert_eq!(report.committed, report.stats.client_accepted);
}
