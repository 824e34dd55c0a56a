//! The ledger on its own: seeds' coverage and verdicts are made up from the seed, so every
//! order of finishing and every kill point can be written down.

use super::*;

const SEED_START: u64 = 100;

fn header() -> CampaignHeader {
    CampaignHeader {
        protocol: "raft".to_string(),
        base: "base".to_string(),
        base_hash: "0123".to_string(),
        seed_start: SEED_START,
        seed_count: 50,
        shard_index: 2,
        shard_count: 3,
    }
}

fn coverage_of(seed: u64) -> Result<SeedCoverage, String> {
    let fault_kinds = if seed % 2 == 0 {
        vec![("crash", seed % 4)]
    } else {
        vec![]
    };
    Ok(SeedCoverage {
        fault_kinds,
        nodes: 3 + seed % 3,
        options: vec![("pre_vote", seed % 3 == 0)],
    })
}

fn fails(seed: u64) -> bool {
    seed % 5 == 0
}

fn result(position: u64) -> FinishedSeed {
    let seed = header().seeds().seed_at(position);
    let failure = fails(seed).then(|| FailureRecord {
        seed,
        signature: "election-safety".to_string(),
        outcome: "violation".to_string(),
        trace_hash: "0".repeat(16),
        file: format!("raft-seed-{seed}.json"),
    });
    FinishedSeed {
        position,
        signature: if fails(seed) { "election-safety" } else { PASS }.to_string(),
        events: seed * 10,
        coverage: coverage_of(seed).unwrap(),
        failure,
    }
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("quorumsim-ledger-{}", std::process::id()))
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn open(dir: &Path, resume: bool) -> Result<Ledger, String> {
    // Every 4 seeds, and never on time: the tests say where each checkpoint falls.
    let cadence = Cadence {
        every_seeds: 4,
        every: Duration::from_secs(3600),
    };
    Ledger::open_checkpointing(dir, &header(), resume, &coverage_of, cadence)
}

/// Takes every remaining seed and records it, in taking order.
fn finish_all(ledger: &Ledger) {
    while let Some((position, _)) = ledger.take() {
        ledger.record(result(position)).unwrap();
    }
}

/// The whole shard in one session, in a folder of its own (tests run side by side).
fn uninterrupted(name: &str) -> (Found, PathBuf) {
    let dir = fresh_dir(&format!("uninterrupted-{name}"));
    let ledger = open(&dir, false).unwrap();
    finish_all(&ledger);
    (ledger.close().unwrap(), dir)
}

fn ledger_lines(dir: &Path) -> Vec<String> {
    let text = fs::read_to_string(dir.join(LEDGER_FILE)).unwrap();
    text.lines().map(str::to_string).collect()
}

#[test]
fn a_finished_campaign_is_one_checkpoint_of_exact_totals() {
    let (found, dir) = uninterrupted("one-checkpoint");
    let seeds = header().seeds();
    let mut expected = Totals::new();
    for position in 0..seeds.len() {
        let seed = seeds.seed_at(position);
        expected.count(&coverage_of(seed).unwrap(), fails(seed), seed * 10);
    }
    assert_eq!(found.totals, expected);
    assert_eq!(found.totals.seeds, 17);
    let failing: Vec<u64> = found.failing_seeds.iter().map(|f| f.seed).collect();
    let expected: Vec<u64> = (0..17)
        .map(|p| seeds.seed_at(p))
        .filter(|&s| fails(s))
        .collect();
    assert_eq!(failing, expected);
    let lines = ledger_lines(&dir);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with(r#"{"checkpoint":{"seeds_taken":17,"unfinished":[]"#));
}

#[test]
fn the_ledger_stays_under_a_checkpoint_and_its_interval_of_lines() {
    let dir = fresh_dir("bounded");
    let ledger = open(&dir, false).unwrap();
    let mut longest = 0;
    while let Some((position, _)) = ledger.take() {
        ledger.record(result(position)).unwrap();
        longest = longest.max(ledger_lines(&dir).len());
    }
    assert_eq!(longest, 4, "a checkpoint and three lines at most");
}

/// Kills a session after some seeds finished out of order (a worker still on position 5,
/// others past it), with a half-written line at the end; the resumed campaign finishes with
/// the totals of the uninterrupted one and no seed twice.
#[test]
fn a_killed_session_resumes_from_its_checkpoint_and_lines() {
    let dir = fresh_dir("killed");
    let ledger = open(&dir, false).unwrap();
    let taken: Vec<u64> = (0..9).map(|_| ledger.take().unwrap().0).collect();
    assert_eq!(taken, (0..9).collect::<Vec<u64>>());
    for position in [0, 1, 2, 3, 4, 6, 7] {
        ledger.record(result(position)).unwrap();
    }
    // Killed: no close, and the line of position 8 cut short.
    drop(ledger);
    let mut text = fs::read_to_string(dir.join(LEDGER_FILE)).unwrap();
    let seed_8 = header().seeds().seed_at(8);
    text.push_str(&format!("{{\"seed\":{seed_8},\"signa"));
    fs::write(dir.join(LEDGER_FILE), text).unwrap();
    let lines = ledger_lines(&dir);
    assert!(lines[0].contains(r#""seeds_taken":9,"unfinished":[113,116,119,122,125]"#));
    assert_eq!(lines.len(), 5, "{lines:?}");

    let error = open(&dir, false).err().unwrap();
    assert!(error.ends_with("pass --resume to continue it or choose another --out"));
    let resumed = open(&dir, true).unwrap();
    let finished: Vec<u64> = (0..17)
        .filter(|&p| resumed.lock().frontier.is_finished(p))
        .collect();
    assert_eq!(finished, [0, 1, 2, 3, 4, 6, 7]);
    assert_eq!(resumed.take().map(|(p, _)| p), Some(5), "the hole first");
    assert_eq!(resumed.take().map(|(p, _)| p), Some(8));
    resumed.record(result(8)).unwrap();
    resumed.record(result(5)).unwrap();
    finish_all(&resumed);
    let found = resumed.close().unwrap();
    let (whole, _) = uninterrupted("killed");
    assert_eq!(found.totals, whole.totals);
    assert_eq!(found.failing_seeds, whole.failing_seeds);
    let failures = fs::read_to_string(dir.join(FAILURES_FILE)).unwrap();
    assert_eq!(failures.lines().count(), whole.failing_seeds.len());
}

#[test]
fn a_failure_whose_ledger_line_was_not_written_runs_again() {
    let dir = fresh_dir("failure-line-only");
    let ledger = open(&dir, false).unwrap();
    let failing = (0..17).find(|&p| fails(ledger.seeds.seed_at(p))).unwrap();
    for _ in 0..=failing {
        ledger.take();
    }
    for position in 0..failing {
        ledger.record(result(position)).unwrap();
    }
    drop(ledger);
    // Killed between the failure's line and its ledger line.
    let record = result(failing).failure.unwrap();
    let mut failures = fs::read_to_string(dir.join(FAILURES_FILE)).unwrap();
    failures.push_str(&(serde_json::to_string(&record).unwrap() + "\n"));
    fs::write(dir.join(FAILURES_FILE), failures).unwrap();

    let resumed = open(&dir, true).unwrap();
    assert!(!resumed.lock().frontier.is_finished(failing));
    assert!(resumed
        .lock()
        .failing_seeds
        .iter()
        .all(|f| f.seed != record.seed));
    finish_all(&resumed);
    let found = resumed.close().unwrap();
    assert_eq!(
        found.failing_seeds,
        uninterrupted("failure-line-only").0.failing_seeds
    );
}

#[test]
fn a_resumed_finished_campaign_has_nothing_to_take() {
    let dir = fresh_dir("done");
    let ledger = open(&dir, false).unwrap();
    finish_all(&ledger);
    let first = ledger.close().unwrap();
    let again = open(&dir, true).unwrap();
    assert_eq!(again.to_take_count(), 0);
    assert!(again.take().is_none());
    let second = again.close().unwrap();
    assert_eq!(second.totals, first.totals);
    assert!(second.wall_time_ms >= first.wall_time_ms);
}

#[test]
fn ledgers_no_campaign_wrote_are_one_line_errors() {
    let seeds = header().seeds();
    let checkpoint = |taken: u64, unfinished: &[u64], counted: u64| {
        let mut totals = Totals::new();
        totals.seeds = counted;
        let line = serde_json::to_string(&CheckpointLineOut {
            checkpoint: &Checkpoint {
                seeds_taken: taken,
                unfinished: unfinished.to_vec(),
                totals,
                wall_time_ms: 0,
            },
        })
        .unwrap();
        line + "\n"
    };
    let seed_line =
        |seed: u64| format!("{{\"seed\":{seed},\"signature\":\"pass\",\"events\":1}}\n");
    let (first, second) = (seeds.seed_at(0), seeds.seed_at(1));
    for (name, text, expected) in [
        (
            "foreign-seed",
            seed_line(SEED_START),
            "ledger.jsonl line 1: `seed`: seed 100 is not one of this shard's seeds".to_string(),
        ),
        (
            "foreign-unfinished",
            checkpoint(2, &[second + 1], 1),
            format!(
                "ledger.jsonl line 1: `checkpoint.unfinished`: seed {} is not",
                second + 1
            ),
        ),
        (
            "miscounted",
            checkpoint(2, &[first], 2),
            "ledger.jsonl line 1: `checkpoint.seeds_taken`: 2 with 1 unfinished".to_string(),
        ),
        (
            "late-checkpoint",
            seed_line(first) + &checkpoint(0, &[], 0),
            "ledger.jsonl line 2: a checkpoint after seed lines".to_string(),
        ),
        (
            "failure-lost",
            seed_line(first).replace("pass", "election-safety"),
            "failures.jsonl: 0 failures of finished seeds, but ledger.jsonl counts 1".to_string(),
        ),
    ] {
        let dir = fresh_dir(name);
        open(&dir, false).unwrap();
        fs::write(dir.join(LEDGER_FILE), text).unwrap();
        let error = open(&dir, true)
            .err()
            .unwrap_or_else(|| panic!("{name} opened"));
        assert!(error.contains(&expected), "{name}: {error}");
        assert_eq!(error.lines().count(), 1, "{name}: {error}");
    }
}
