//! `quorumsim experiment election-downtime`: structural facts of the Figure 16 experiment,
//! on small trial counts (the distribution itself varies with the seed, so it is not pinned).

use std::process::Command;

use quorumsim::experiment::election_downtime::{paper_ranges, render_csv, run_trials, summarize};
use quorumsim::experiment::{PaperRaft, TimeoutRange};
use quorumsim::sim::time::ms;

fn range(min_ms: u64, max_ms: u64) -> TimeoutRange {
    TimeoutRange {
        min_us: ms(min_ms),
        max_us: ms(max_ms),
    }
}

#[test]
fn every_trial_crashes_the_leader_and_a_log_complete_survivor_takes_over() {
    let ranges = [range(150, 300), range(12, 24), range(50, 100)];
    let trials = run_trials::<PaperRaft>(&ranges, 12, 7);
    assert_eq!(trials.len(), 36);
    for trial in &trials {
        assert_eq!(trial.invalid, None, "{trial:?}");
        let new_leader = trial.new_leader.expect("a new leader was elected");
        assert_ne!(new_leader, trial.crashed_leader, "{trial:?}");
        // The laggards missed a committed entry: the election restriction keeps them out.
        assert!(!trial.laggards.contains(&new_leader), "{trial:?}");
        let downtime_us = trial
            .downtime_us
            .expect("the survivors heard the new leader");
        let heartbeat_us = trial.range.min_us / 2;
        // Followers heard the synchronized heartbeat at most one heartbeat before the crash,
        // so none can time out sooner than this after it.
        assert!(
            downtime_us >= trial.range.min_us - heartbeat_us,
            "{trial:?}"
        );
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
fn the_command_writes_csv_markdown_and_two_svg_plots() {
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
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim_end(),
        markdown.trim_end()
    );
    assert!(markdown.contains("| 150-155 | 2 |") && markdown.contains("| 12-24 | 2 |"));
    let csv = std::fs::read_to_string(dir.join("election-downtime.csv")).expect("csv");
    assert_eq!(csv.lines().count(), 1 + 10 * 2);
    for name in ["election-downtime-top.svg", "election-downtime-bottom.svg"] {
        let svg = std::fs::read_to_string(dir.join(name)).expect("svg");
        assert!(
            svg.starts_with("<svg") && svg.contains("time without leader"),
            "{name}"
        );
    }
}
