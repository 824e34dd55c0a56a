//! `quorumsim experiment election-downtime`: structural facts of the Figure 16 experiment,
//! on small trial counts (the distribution itself varies with the seed, so it is not pinned).

use std::process::Command;

use quorumsim::experiment::election_downtime::{
    paper_ranges, render_csv, run_trials, summarize, Trial,
};
use quorumsim::experiment::election_downtime_fle::{self as fle, FleSetting};
use quorumsim::experiment::{PaperRaft, TimeoutRange};
use quorumsim::protocol::NodeId;
use quorumsim::time::ms;

pub(crate) fn range(min_ms: u64, max_ms: u64) -> TimeoutRange {
    TimeoutRange {
        min_us: ms(min_ms),
        max_us: ms(max_ms),
    }
}

/// A valid trial whose new leader is neither the crashed one nor a laggard (they missed a
/// committed entry: the election restriction keeps them out), heard no sooner than the
/// earliest timeout after the crash plus `extra_us`; returns its downtime. Followers heard
/// the synchronized heartbeat at most one heartbeat before the crash, so none can time out
/// sooner than a minimum timeout less a heartbeat after it.
pub(crate) fn assert_log_complete_takeover(trial: &Trial, extra_us: u64) -> u64 {
    assert_eq!(trial.invalid, None, "{trial:?}");
    let new_leader = trial.new_leader.expect("a new leader was elected");
    assert_ne!(new_leader, trial.crashed_leader, "{trial:?}");
    assert!(!trial.laggards.contains(&new_leader), "{trial:?}");
    let downtime_us = trial
        .downtime_us
        .expect("the survivors heard the new leader");
    let heartbeat_us = trial.setting.min_us / 2;
    assert!(
        downtime_us >= trial.setting.min_us - heartbeat_us + extra_us,
        "{trial:?}"
    );
    downtime_us
}

#[test]
fn every_trial_crashes_the_leader_and_a_log_complete_survivor_takes_over() {
    let ranges = [range(150, 300), range(12, 24), range(50, 100)];
    let trials = run_trials::<PaperRaft>(&ranges, 12, 7);
    assert_eq!(trials.len(), 36);
    for trial in &trials {
        let downtime_us = assert_log_complete_takeover(trial, 0);
        let elected_us = trial.elected_us.expect("elected");
        assert!(elected_us > trial.crash_us && elected_us <= trial.crash_us + downtime_us);
    }
    for &r in &ranges {
        let summary = summarize(&trials, r);
        assert_eq!(
            (summary.trials, summary.invalid, summary.gave_up),
            (12, 0, 0)
        );
        assert!(summary.min_us <= summary.median_us && summary.median_us <= summary.p99_us);
        assert!(summary.p99_us <= summary.max_us);
    }
}

#[test]
fn equal_timeouts_split_the_vote_and_the_trial_says_so() {
    // The paper: without randomness elections "consistently took longer than 10 seconds".
    let trials = run_trials::<PaperRaft>(&[range(150, 150)], 2, 1);
    for trial in &trials {
        assert_eq!(trial.invalid, None);
        assert!(
            trial.downtime_us.is_none_or(|us| us > ms(10_000)),
            "{trial:?}"
        );
    }
}

#[test]
fn the_csv_is_identical_for_the_same_seed_and_differs_for_another() {
    let (top, bottom) = paper_ranges();
    let ranges = [top[5], bottom[0]];
    let first = render_csv(&run_trials::<PaperRaft>(&ranges, 5, 3));
    assert_eq!(first, render_csv(&run_trials::<PaperRaft>(&ranges, 5, 3)));
    assert_ne!(first, render_csv(&run_trials::<PaperRaft>(&ranges, 5, 4)));
    let mut lines = first.lines();
    assert_eq!(
        lines.next(),
        Some("range_ms,trial,seed,crashed_leader,laggards,crash_ms,new_leader,elected_after_ms,downtime_ms,invalid")
    );
    assert_eq!(lines.clone().count(), 10);
    assert!(lines.all(|line| line.split(',').count() == 10));
}

#[test]
fn the_command_writes_both_protocols_by_default() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("election-downtime");
    let _ = std::fs::remove_dir_all(&dir);
    let output = Command::new(env!("CARGO_BIN_EXE_quorumsim"))
        .args([
            "experiment",
            "election-downtime",
            "--trials",
            "2",
            "--seed",
            "5",
        ])
        .arg("--out")
        .arg(&dir)
        .output()
        .expect("the quorumsim binary runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let markdown = std::fs::read_to_string(dir.join("election-downtime.md")).expect("md");
    let fle_markdown = std::fs::read_to_string(dir.join("election-downtime-fle.md")).expect("md");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("{}\n{}\n", markdown.trim_end(), fle_markdown.trim_end())
    );
    assert!(markdown.contains("| 150-155 | 2 |") && markdown.contains("| 12-24 | 2 |"));
    assert!(fle_markdown.contains("| sync 100 / ping 10 / finalize 50 | 2 | 0 | 0 |"));
    // The paper setup first, beside the paper; the network-only model after it.
    let paper_at = markdown
        .find("## Paper setup")
        .expect("the paper setup's section");
    let network_at = markdown
        .find("## Network-only model")
        .expect("the network-only section");
    assert!(paper_at < network_at);
    assert!(markdown[paper_at..network_at].contains("| no leader in 10 s |"));
    assert!(markdown[network_at..].contains("| no leader in 60 s |"));
    assert!(markdown.contains("| 150-155 | 2 | 0 | 0 |") && markdown.contains("median "));
    for name in [
        "election-downtime.csv",
        "election-downtime-network-only.csv",
    ] {
        let csv = std::fs::read_to_string(dir.join(name)).expect("csv");
        assert_eq!(csv.lines().count(), 1 + 10 * 2, "{name}");
    }
    let fle_csv = std::fs::read_to_string(dir.join("election-downtime-fle.csv")).expect("csv");
    assert_eq!(fle_csv.lines().count(), 1 + fle::all_settings().len() * 2);
    for name in [
        "election-downtime-top.svg",
        "election-downtime-bottom.svg",
        "election-downtime-fle.svg",
    ] {
        let svg = std::fs::read_to_string(dir.join(name)).expect("svg");
        assert!(
            svg.starts_with("<svg") && svg.contains("time without leader"),
            "{name}"
        );
    }
}

#[test]
fn one_protocol_writes_only_its_own_files() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("election-downtime-fle");
    let _ = std::fs::remove_dir_all(&dir);
    let output = Command::new(env!("CARGO_BIN_EXE_quorumsim"))
        .args(["experiment", "election-downtime", "--protocol", "fle"])
        .args(["--trials", "1", "--seed", "2", "--out"])
        .arg(&dir)
        .output()
        .expect("the quorumsim binary runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(dir.join("election-downtime-fle.csv").exists());
    assert!(!dir.join("election-downtime.csv").exists());
    // Raft alone leaves FLE's files as they are.
    std::fs::write(dir.join("election-downtime-fle.md"), "another engineer's").expect("md");
    let output = Command::new(env!("CARGO_BIN_EXE_quorumsim"))
        .args(["experiment", "election-downtime", "--protocol", "raft"])
        .args(["--trials", "1", "--seed", "2", "--out"])
        .arg(&dir)
        .output()
        .expect("the quorumsim binary runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(dir.join("election-downtime-network-only.csv").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("election-downtime-fle.md")).expect("md"),
        "another engineer's"
    );
    let output = Command::new(env!("CARGO_BIN_EXE_quorumsim"))
        .args(["experiment", "election-downtime", "--protocol", "paxos"])
        .output()
        .expect("the quorumsim binary runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}

#[test]
fn fle_trials_establish_a_log_complete_survivor_no_sooner_than_detection_allows() {
    let settings = [
        FleSetting::zookeeper_shaped(100, 50),
        FleSetting::zookeeper_shaped(200, 200),
    ];
    let trials = fle::run_trials(&settings, 12, 7);
    assert_eq!(trials.len(), 24);
    for trial in &trials {
        assert_eq!(trial.invalid, None, "{trial:?}");
        let new_leader = trial.new_leader.expect("a new leader was established");
        assert_ne!(new_leader, trial.crashed_leader, "{trial:?}");
        // The laggards hold a lower last zxid: FLE's vote order keeps them out.
        assert!(!trial.laggards.contains(&new_leader), "{trial:?}");
        let downtime_us = trial.downtime_us.expect("a live quorum acknowledged it");
        let s = trial.setting;
        // Followers heard the synchronized ping at most one ping interval before the crash,
        // give up on the leader only after the sync timeout, and the new leader decides only
        // after finalizeWait.
        assert!(
            downtime_us >= s.sync_timeout_us - s.ping_interval_us + s.finalize_wait_us,
            "{trial:?}"
        );
        let elected_us = trial.elected_us.expect("established");
        assert!(elected_us > trial.crash_us && elected_us <= trial.crash_us + downtime_us);
    }
    // Without the laggards the highest surviving id would always win; the set-up must have
    // made some laggard the highest surviving id, and kept it out.
    assert!(trials.iter().any(|t| {
        let highest_survivor = (0..5)
            .map(NodeId)
            .filter(|&n| n != t.crashed_leader)
            .max()
            .expect("four survivors");
        t.laggards.contains(&highest_survivor)
    }));
    for &setting in &settings {
        let summary = fle::summarize(&trials, setting);
        assert_eq!(
            (summary.trials, summary.invalid, summary.gave_up),
            (12, 0, 0)
        );
        assert!(summary.min_us <= summary.median_us && summary.median_us <= summary.p99_us);
    }
    // A longer finalizeWait and sync timeout cost time: the medians are ordered.
    let median = |s| fle::summarize(&trials, s).median_us.expect("values");
    assert!(median(settings[0]) + 200_000 <= median(settings[1]));
}

#[test]
fn the_fle_csv_is_identical_for_the_same_seed_and_differs_for_another() {
    let settings = [FleSetting::zookeeper_shaped(100, 50)];
    let first = fle::render_csv(&fle::run_trials(&settings, 5, 3));
    assert_eq!(first, fle::render_csv(&fle::run_trials(&settings, 5, 3)));
    assert_ne!(first, fle::render_csv(&fle::run_trials(&settings, 5, 4)));
    let mut lines = first.lines();
    assert_eq!(
        lines.next(),
        Some("environment,restart_after_ms,sync_timeout_ms,ping_interval_ms,finalize_wait_ms,trial,seed,crashed_leader,laggards,crash_ms,new_leader,elected_after_ms,downtime_ms,invalid")
    );
    assert_eq!(lines.clone().count(), 5);
    assert!(lines.all(|line| line.split(',').count() == 14 && line.starts_with("network-only,,")));
}

#[test]
fn over_connections_a_crash_costs_no_sync_timeout() {
    // Over datagrams the followers wait out the sync timeout; over connections the reset
    // sends them LOOKING at once, on the same links and on a LAN, and for a fast restart too.
    let crash = FleSetting::zookeeper_shaped(400, 50);
    let restarts = fle::fast_restart_settings();
    let mut settings = vec![
        crash,
        crash.in_environment(fle::FleEnvironment::NetworkOnlyStream),
        crash.in_environment(fle::FleEnvironment::LanStream),
    ];
    settings.extend(restarts.iter().copied());
    let trials = fle::run_trials(&settings, 8, 11);
    for trial in &trials {
        assert_eq!(trial.invalid, None, "{trial:?}");
        let new_leader = trial.new_leader.expect("a new leader was established");
        assert!(!trial.laggards.contains(&new_leader), "{trial:?}");
    }
    let max = |s| fle::summarize(&trials, s).max_us.expect("values");
    let min = |s| fle::summarize(&trials, s).min_us.expect("values");
    for streams in &settings[1..3] {
        assert!(
            max(*streams) + crash.sync_timeout_us / 2 < min(crash),
            "{streams:?}"
        );
        assert!(min(*streams) >= crash.finalize_wait_us, "{streams:?}");
    }
    let sync_us = restarts[0].sync_timeout_us;
    assert!(
        min(restarts[0]) >= sync_us,
        "over datagrams the sync timeout is paid"
    );
    assert!(max(restarts[1]) + sync_us / 2 < min(restarts[0]));
    assert!(max(restarts[2]) + sync_us / 2 < min(restarts[0]));
}
