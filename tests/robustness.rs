//! Bad input never panics: thousands of seeded mutations of a valid scenario either load or
//! fail with a one-line error, and those that load run (under a small step cap) to an outcome.

use std::panic::{catch_unwind, AssertUnwindSafe};

use quorumsim::scenario;
use quorumsim::sim::prng::{Prng, Stream};
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
    let mut prng = Prng::new(2024, Stream::Custom(7));
    let (mut loaded, mut rejected) = (0, 0);
    for case in 0..3_000 {
        let text = mutate(FAULTY_RAFT, &mut prng);
        let parsed = catch_unwind(AssertUnwindSafe(|| scenario::parse("mutant.json", &text)));
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
