//! The Figure 16 experiment on the paper setup (a LAN, a timed disk, real clocks): what the
//! setup changes against the network-only model, that the set-up still keeps the laggards
//! out, that Raft persists before it sends in time and not only in order, and that a trial is
//! a function of its seed.

use quorumsim::experiment::election_downtime::{
    render_csv, run_trial_in, run_trials_in, summarize, Environment, Setup, Trial, SSD_WRITE_US_MIN,
};
use quorumsim::experiment::{ElectionProtocol, PaperRaft};
use quorumsim::protocol::{NodeId, Observation};
use quorumsim::raft::RaftNode;
use quorumsim::sim::recording::Recording;
use quorumsim::sim::{Fault, FaultAction, Retention, Selector, SimConfig, Simulator, TraceSink};
use quorumsim::time::ms;

use crate::experiment::{assert_log_complete_takeover, range};

#[test]
fn the_paper_setup_elects_far_faster_than_the_network_only_model_and_keeps_laggards_out() {
    let short = range(12, 24);
    let paper = run_trials_in::<PaperRaft>(&Setup::paper(), &[short], 30, 11);
    let network_only = run_trials_in::<PaperRaft>(&Setup::network_only(), &[short], 30, 11);
    for trial in &paper {
        // A candidate writes before its RequestVote leaves.
        assert_log_complete_takeover(trial, SSD_WRITE_US_MIN);
    }
    let mean = |trials: &[Trial]| summarize(trials, short).mean_us.expect("values");
    let (paper_mean, network_mean) = (mean(&paper), mean(&network_only));
    // A RequestVote that needs 5-8 ms to arrive splits most rounds of a 12 ms spread; one
    // that leaves after a write and crosses a LAN splits few.
    assert!(
        paper_mean * 3 < network_mean * 2,
        "paper setup {paper_mean} µs, network-only {network_mean} µs"
    );
}

#[test]
fn equal_timeouts_on_the_paper_setup_find_no_leader_in_ten_seconds() {
    // The paper ran its zero-randomness line 100 times, the others 1000 times.
    assert_eq!(Setup::paper().trials_of(range(150, 150), 1_000), 100);
    assert_eq!(Setup::paper().trials_of(range(150, 155), 1_000), 1_000);
    assert_eq!(
        Setup::network_only().trials_of(range(150, 150), 1_000),
        1_000
    );
    let trials = run_trials_in::<PaperRaft>(&Setup::paper(), &[range(150, 150)], 3, 1);
    let summary = summarize(&trials, range(150, 150));
    assert_eq!((summary.trials, summary.invalid), (3, 0));
    assert!(summary.gave_up >= 2, "{trials:?}");
    assert!(trials
        .iter()
        .all(|t| t.downtime_us.is_none_or(|us| us <= ms(10_000))));
}

#[test]
fn a_paper_setup_trial_is_a_function_of_its_seed() {
    let setup = Setup::paper();
    let first = run_trial_in::<PaperRaft>(&setup, range(150, 200), 0, 21);
    assert_eq!(
        first,
        run_trial_in::<PaperRaft>(&setup, range(150, 200), 0, 21)
    );
    let ranges = [range(150, 155), range(25, 50)];
    let csv = render_csv(&run_trials_in::<PaperRaft>(&setup, &ranges, 4, 3));
    assert_eq!(
        csv,
        render_csv(&run_trials_in::<PaperRaft>(&setup, &ranges, 4, 3))
    );
    assert_ne!(
        csv,
        render_csv(&run_trials_in::<PaperRaft>(&setup, &ranges, 4, 4))
    );
}

/// A recorded run of the paper's Raft on `environment` whose leader crashes twice, so that
/// several elections happen.
fn recorded_elections(environment: &Environment, seed: u64) -> Recording {
    let timeouts = range(150, 300);
    let crash = |at_ms: u64| Fault {
        at_us: ms(at_ms),
        action: FaultAction::Crash(Selector::Leader),
    };
    let restart = |at_ms: u64| Fault {
        at_us: ms(at_ms),
        action: FaultAction::Restart(Selector::Crashed),
    };
    let mut config = SimConfig::new(5)
        .with_seed(seed)
        .with_duration_us(ms(4_000))
        .with_links(environment.links)
        .with_connections(environment.connections)
        .with_storage(environment.storage)
        .with_clocks(environment.clocks);
    config.faults = vec![crash(1_000), restart(1_800), crash(2_500), restart(3_300)];
    let (_, recording) =
        Simulator::<RaftNode>::new(config, PaperRaft::config(timeouts), TraceSink::Off)
            .run_recorded(Retention::All);
    recording
}

/// The term a message's `Debug` text carries.
fn term_of(detail: &str) -> u64 {
    let rest = &detail[detail.find("term: ").expect("a term") + "term: ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().expect("a number")
}

/// How long after the durable change it follows each kind of message left: a candidate's
/// RequestVote after its own vote, a granted VoteReply after the voter's vote, a leader's
/// AppendEntries after it became leader (and appended its no-op).
fn gaps_after_durable_change_us(recording: &Recording) -> Vec<(&'static str, u64)> {
    let voted_at = |node: NodeId, term: u64, candidate: NodeId| {
        recording
            .observations
            .iter()
            .find(|o| o.node == node && o.observation == Observation::Voted { term, candidate })
            .map(|o| o.at_us)
    };
    let led_at = |node: NodeId, term: u64| {
        recording
            .observations
            .iter()
            .find(|o| o.node == node && o.observation == Observation::BecameLeader { term })
            .map(|o| o.at_us)
    };
    let mut gaps = Vec::new();
    for message in recording.messages.iter().filter(|m| !m.duplicate) {
        let term = term_of(&message.detail);
        let changed_at = match message.label.as_str() {
            "RequestVote" => voted_at(message.from, term, message.from),
            "VoteReply" if message.detail.contains("granted: true") => {
                voted_at(message.from, term, message.to)
            }
            "AppendEntries" => led_at(message.from, term),
            _ => None,
        };
        if let Some(changed_at) = changed_at {
            let kind = match message.label.as_str() {
                "RequestVote" => "RequestVote",
                "VoteReply" => "VoteReply",
                _ => "AppendEntries",
            };
            let gap = message
                .sent_us
                .checked_sub(changed_at)
                .expect("sent after the change");
            gaps.push((kind, gap));
        }
    }
    gaps
}

#[test]
fn on_the_paper_setup_raft_sends_only_after_its_durable_change_is_on_disk() {
    let gaps = gaps_after_durable_change_us(&recorded_elections(&Environment::paper_setup(), 5));
    for kind in ["RequestVote", "VoteReply", "AppendEntries"] {
        let of_kind: Vec<u64> = gaps.iter().filter(|g| g.0 == kind).map(|g| g.1).collect();
        assert!(of_kind.len() >= 4, "{kind}: {of_kind:?}");
        // The disk's fastest write is the least a message after a durable change waits.
        assert!(
            of_kind.iter().all(|&gap| gap >= SSD_WRITE_US_MIN),
            "{kind}: {of_kind:?}"
        );
    }
    // With an instant disk the same messages leave in the step that made the change: the
    // check above is about the disk, not about the protocol's own delays.
    let instant =
        gaps_after_durable_change_us(&recorded_elections(&Environment::network_only(), 5));
    for kind in ["RequestVote", "VoteReply", "AppendEntries"] {
        assert!(
            instant.iter().any(|&(k, gap)| k == kind && gap == 0),
            "{kind}: {instant:?}"
        );
    }
}
