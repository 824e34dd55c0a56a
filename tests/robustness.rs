//! Bad input never panics: thousands of seeded mutations of a valid scenario either load or
//! fail with a one-line error, and those that load run (under a small step cap) to an outcome.

use std::panic::{catch_unwind, AssertUnwindSafe};

use quorumsim::prng::{Prng, Stream};
use quorumsim::registry::Registry;
use quorumsim::scenario;
use quorumsim::sim::Outcome;

use crate::support::{run, FAULTY_RAFT};

/// Numbers that probe edges: zero, one, cluster-size limits, fractions, overflow.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "64",
    "65",
    "1.5",
    "-1",
    "1e400",
    "18446744073709551615",
    "18446744073709551616",
];
/// Other values: selectors and wrong types.
const VALUES: &[&str] = &[
    "\"leader\"",
    "\"rest\"",
    "\"crashed\"",
    "\"follower\"",
    "null",
    "true",
    "[]",
    "{}",
    "[[]]",
];

fn mutate(text: &str, prng: &mut Prng) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + prng.index(2) {
        match prng.index(10) {
            // Mostly: swap one number for an edge value, keeping the file well-formed.
            0..=5 => {
                let starts: Vec<usize> = (0..bytes.len())
                    .filter(|&i| {
                        bytes[i].is_ascii_digit()
                            && (i == 0
                                || !bytes[i - 1].is_ascii_alphanumeric() && bytes[i - 1] != b'.')
                    })
                    .collect();
                let at = starts[prng.index(starts.len())];
                let end = (at..bytes.len())
                    .find(|&i| !bytes[i].is_ascii_digit() && bytes[i] != b'.')
                    .unwrap_or(bytes.len());
                let token = NUMBERS[prng.index(NUMBERS.len())].as_bytes();
                bytes.splice(at..end, token.iter().copied());
            }
            6 => {
                let at = prng.index(bytes.len());
                let end = (at..bytes.len())
                    .find(|&i| !bytes[i].is_ascii_alphanumeric())
                    .unwrap_or(bytes.len());
                let token = VALUES[prng.index(VALUES.len())].as_bytes();
                bytes.splice(at..end, token.iter().copied());
            }
            7 => {
                let at = prng.index(bytes.len());
                bytes.remove(at);
            }
            _ => {
                let alphabet = b"{}[],:\"0a ";
                let at = prng.index(bytes.len());
                bytes.insert(at, alphabet[prng.index(alphabet.len())]);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn mutated_scenarios_never_panic() {
    assert_mutants_never_panic(FAULTY_RAFT, 7);
}

#[test]
fn mutated_fle_scenarios_never_panic() {
    // An FLE file with start-up histories, load, a crash and a restart: its own section's
    // fields (timings, histories, bug) are mutated too.
    const FLE: &str = r#"{
  "version": 1, "protocol": "fle", "nodes": 5, "seed": 3, "duration_ms": 4000,
  "fle": {"finalize_wait_ms": 100, "ping_interval_ms": 40, "sync_timeout_ms": 200,
          "initial_history_lengths": [3, 5, 4, 5, 2]},
  "network": {"latency_ms_min": 1, "latency_ms_max": 8, "drop_probability": 0.02},
  "workload": {"start_ms": 500, "interval_ms_min": 10, "interval_ms_max": 30},
  "faults": [
    {"action": "crash", "at_ms": 1500, "node": "leader"},
    {"action": "partition", "at_ms": 2000, "groups": [["follower"], ["rest"]]},
    {"action": "heal", "at_ms": 2500},
    {"action": "restart", "at_ms": 2600, "node": "crashed"}
  ],
  "expect": {"leader_within_ms": 1000}
}"#;
    assert_mutants_never_panic(FLE, 8);
}

/// 3,000 seeded mutations of `base`: parsing never panics and errors are one line naming the
/// file; a mutant that loads runs without a panic and without a safety violation (the
/// protocols are correct, whatever the settings).
fn assert_mutants_never_panic(base: &str, stream: u32) {
    let mut prng = Prng::new(2024, Stream::Custom(stream));
    let (mut loaded, mut rejected) = (0, 0);
    for case in 0..3_000 {
        let text = mutate(base, &mut prng);
        let parsed = catch_unwind(AssertUnwindSafe(|| {
            scenario::parse(&Registry::builtin(), "mutant.json", &text)
        }));
        match parsed {
            Err(_) => panic!("case {case}: parsing panicked on:\n{text}"),
            Ok(Err(error)) => {
                rejected += 1;
                let line = error.to_string();
                assert!(
                    !line.contains('\n'),
                    "case {case}: multi-line error {line:?}"
                );
                assert!(line.starts_with("mutant.json: "), "case {case}: {line}");
            }
            Ok(Ok(mut scenario)) => {
                loaded += 1;
                scenario.sim.max_steps = 20_000;
                let report = catch_unwind(AssertUnwindSafe(|| run(&scenario, case)))
                    .unwrap_or_else(|_| panic!("case {case}: the run panicked on:\n{text}"));
                assert!(
                    !matches!(
                        report.outcome,
                        Outcome::Violation { .. } | Outcome::Panic { .. }
                    ),
                    "case {case}: {} on:\n{text}",
                    report.outcome
                );
            }
        }
    }
    // Both paths must be exercised, or the mutations are too weak or too strong.
    eprintln!("robustness: {loaded} mutants loaded and ran, {rejected} rejected");
    assert!(
        loaded > 300 && rejected > 300,
        "loaded {loaded}, rejected {rejected}"
    );
}
