//! FLE over connection-oriented links (`network.mode: "stream"`): a crashed leader's
//! connections reset and its followers go LOOKING at once, as ZooKeeper's do over TCP, so the
//! bundled stream scenarios recover within a bound that the same runs over datagrams miss;
//! and the planted bugs are still caught over streams.

use crate::support::{repo_path, run};
use quorumsim::fle::{names, FleBug};
use quorumsim::prng::Ratio;
use quorumsim::registry::Registry;
use quorumsim::scenario::{self, Scenario};
use quorumsim::sim::{Connections, Outcome};

fn load(name: &str) -> Scenario {
    let path = repo_path(&format!("scenarios/fle/{name}.json"));
    scenario::load(&Registry::builtin(), &path).unwrap_or_else(|error| panic!("{error}"))
}

fn over_datagrams(mut scenario: Scenario) -> Scenario {
    assert_eq!(scenario.sim.connections, Connections::Stream);
    scenario.sim.connections = Connections::Datagram;
    scenario
}

#[test]
fn over_streams_a_crashed_leader_is_replaced_within_a_bound_datagrams_miss() {
    for name in ["leader-crash-stream", "fast-leader-restart-stream"] {
        let scenario = load(name);
        let datagrams = over_datagrams(scenario.clone());
        for seed in 1..=10 {
            let report = run(&scenario, seed);
            assert!(
                report.outcome.is_pass(),
                "{name} seed {seed}: {}",
                report.outcome
            );
            // The followers of the crashed leader wait out the sync timeout instead.
            let report = run(&datagrams, seed);
            assert!(
                matches!(report.outcome, Outcome::ExpectationFailed { .. }),
                "{name} over datagrams, seed {seed}: {}",
                report.outcome
            );
        }
    }
}

#[test]
fn over_streams_a_forgotten_accepted_epoch_is_still_caught() {
    let mut scenario = load("full-restart");
    scenario.sim.connections = Connections::Stream;
    scenario.sim.links.drop = Ratio::ZERO;
    scenario.sim.links.duplicate = Ratio::ZERO;
    let buggy = {
        let mut buggy = scenario.clone();
        buggy.protocol = buggy
            .protocol
            .with_bug(FleBug::AcceptedEpochNotPersisted.name())
            .expect("an FLE bug");
        buggy
    };
    let fired: Vec<Option<&'static str>> = (1..=30)
        .map(|seed| match run(&buggy, seed).outcome {
            Outcome::Violation { violation, .. } => Some(violation.invariant),
            _ => None,
        })
        .collect();
    assert!(fired.contains(&Some("election-safety")), "{fired:?}");
    assert!(
        fired.contains(&Some(names::COMMITTED_ZXID_INCREASING)),
        "{fired:?}"
    );
    for seed in 1..=10 {
        assert!(
            run(&scenario, seed).outcome.is_pass(),
            "correct seed {seed}"
        );
    }
}
