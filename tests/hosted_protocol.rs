//! A user's protocol gets the whole toolchain once it implements `Hosted` and is registered:
//! scenario files with its own section, `fuzz` campaigns, failure files that name it and its
//! bug and replay byte for byte, and `shrink`. The toy primary-backup log of
//! `user_protocol.rs` is hosted here through the public API only.

use serde::{Deserialize, Serialize};

use quorumsim::fuzz::{self, shrink, Campaign, Choices, Shard};
use quorumsim::protocol::{BugVariant, Hosted, SectionError, SwarmDraw};
use quorumsim::registry::Registry;
use quorumsim::run::{failure_signature, run_scenario};
use quorumsim::scenario::{self, ScenarioFile};
use quorumsim::sim::TraceSink;
use quorumsim::time::ms;

use crate::fuzz::fresh_dir;
use crate::user_protocol::{Breakage, Toy, ToyConfig};

/// The toy's section of a scenario file.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ToySection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resend_interval_ms: Option<u64>,
}

/// The toy's broken variants that the generic invariants must catch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ToyBug {
    AppendAnywhere,
    TwoPrimaries,
}

impl BugVariant for ToyBug {
    const ALL: &'static [ToyBug] = &[ToyBug::AppendAnywhere, ToyBug::TwoPrimaries];

    fn name(self) -> &'static str {
        match self {
            ToyBug::AppendAnywhere => "append-anywhere",
            ToyBug::TwoPrimaries => "two-primaries",
        }
    }

    fn summary(self) -> &'static str {
        match self {
            ToyBug::AppendAnywhere => "followers append at the end whatever the index",
            ToyBug::TwoPrimaries => "n1 also claims to be primary",
        }
    }
}

impl Hosted for Toy {
    type Section = ToySection;
    type Bug = ToyBug;

    fn configure(
        section: &ToySection,
        bug: Option<ToyBug>,
        _node_count: u16,
    ) -> Result<ToyConfig, SectionError> {
        let resend_ms =
            SectionError::check_ms("resend_interval_ms", section.resend_interval_ms)?.unwrap_or(20);
        if resend_ms == 0 {
            return Err(SectionError::new("resend_interval_ms", "must be positive"));
        }
        Ok(ToyConfig {
            resend_us: ms(resend_ms),
            breakage: match bug {
                None => Breakage::None,
                Some(ToyBug::AppendAnywhere) => Breakage::AppendAnywhere,
                Some(ToyBug::TwoPrimaries) => Breakage::TwoPrimaries,
            },
        })
    }

    fn swarm(base: &ToySection, draw: &mut SwarmDraw<'_>) -> ToySection {
        let max = base.resend_interval_ms.unwrap_or(20);
        ToySection {
            resend_interval_ms: Some(draw.rng().range_inclusive(max.div_ceil(2), max)),
        }
    }
}

fn registry() -> Registry {
    Registry::builtin().with::<Toy>()
}

/// A toy base: the fixed primary never moves, so the faults are those it survives.
const TOY_BASE: &str = r#"{
  "version": 1, "name": "toy-base", "protocol": "toy", "nodes": 3, "seed": 1,
  "duration_ms": 4000,
  "toy": {"resend_interval_ms": 20},
  "network": {"latency_ms_min": 1, "latency_ms_max": 15, "drop_probability": 0.05,
              "duplicate_probability": 0.05},
  "workload": {"start_ms": 10, "interval_ms_min": 2, "interval_ms_max": 8, "keys": 4},
  "faults": [{"action": "set-network", "at_ms": 100, "drop_probability": 0.2}],
  "expect": {"leader_within_ms": 500}
}"#;

fn toy_base(bug: Option<&str>) -> ScenarioFile {
    let registry = registry();
    let base = scenario::parse_file(&registry, "toy-base.json", TOY_BASE).expect("parses");
    let choices = Choices {
        protocol: Some("toy".to_string()),
        bug: bug.map(str::to_string),
    };
    fuzz::apply_choices(&registry, base, &choices).expect("the choices apply")
}

#[test]
fn a_user_protocol_runs_from_a_scenario_file_with_its_own_section() {
    let registry = registry();
    let scenario = scenario::parse(&registry, "toy.json", TOY_BASE).expect("a valid toy file");
    assert_eq!(scenario.protocol.name(), "toy");
    let report = run_scenario(&scenario, 3, TraceSink::Off);
    assert!(report.outcome.is_pass(), "{}", report.outcome);
    assert_eq!(report.protocol, "toy");
    assert!(report.committed > 100, "{} committed", report.committed);
    // Its section is validated with the same one-line errors as the built-in ones.
    for (section, field, reason) in [
        (
            r#"{"resend_ms": 5}"#,
            "toy.resend_ms",
            "unknown field `resend_ms`",
        ),
        (
            r#"{"resend_interval_ms": 0}"#,
            "toy.resend_interval_ms",
            "positive",
        ),
        (
            r#"{"bug": "typo"}"#,
            "toy.bug",
            "valid names: append-anywhere, two-primaries",
        ),
        ("[1]", "toy", "must be an object"),
    ] {
        let text = TOY_BASE.replace(r#"{"resend_interval_ms": 20}"#, section);
        let error = scenario::parse(&registry, "toy.json", &text).expect_err(section);
        assert_eq!(error.field, field, "{section}: {error}");
        assert!(error.reason.contains(reason), "{section}: {error}");
    }
    // A binary that does not know the protocol says so, naming those it knows.
    let error = scenario::parse(&Registry::builtin(), "toy.json", TOY_BASE).unwrap_err();
    assert_eq!(error.field, "protocol");
    assert_eq!(
        error.reason,
        "unknown protocol \"toy\"; this binary knows: raft, fle"
    );
    // Another protocol's section in a toy file is an error too.
    let text = TOY_BASE.replace(r#""toy": {"#, r#""raft": {}, "toy": {"#);
    let error = scenario::parse(&registry, "toy.json", &text).unwrap_err();
    assert_eq!(
        (error.field.as_str(), error.reason.as_str()),
        ("raft", "only used with \"protocol\": \"raft\"")
    );
}

fn campaign(name: &str, base: ScenarioFile, seeds: u64) -> (Campaign, fuzz::CampaignSummary) {
    let campaign = Campaign {
        registry: registry(),
        base,
        seed_start: 0,
        seed_count: seeds,
        shard: Shard::WHOLE,
        jobs: 2,
        time_budget: None,
        out_dir: fresh_dir(name),
        resume: false,
    };
    let summary = fuzz::run_campaign(&campaign, &fuzz::default_executor, &|_| true)
        .expect("the campaign runs");
    (campaign, summary)
}

#[test]
fn a_user_protocol_is_fuzzed_and_its_failures_replay_and_shrink() {
    let (_, correct) = campaign("toy-correct", toy_base(None), 40);
    assert_eq!(correct.failures, 0, "{:?}", correct.failing_seeds);
    assert_eq!(correct.protocol, "toy");

    let (broken, summary) = campaign("toy-append-anywhere", toy_base(Some("append-anywhere")), 40);
    assert!(summary.failures >= 30, "{} of 40 caught", summary.failures);
    let failure = &summary.failing_seeds[0];
    let path = broken.out_dir.join(&failure.file);
    let text = std::fs::read_to_string(&path).expect("the failure file is written");
    let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(raw["protocol"], "toy");
    assert_eq!(raw["toy"]["bug"], "append-anywhere");
    assert!(raw["toy"]["resend_interval_ms"].is_u64(), "{text}");

    // Replayed through the registry that knows the toy: the recorded end, byte for byte.
    let loaded = scenario::load(&registry(), &path).expect("the failure file loads");
    assert_eq!(loaded.protocol.bug(), Some("append-anywhere"));
    let replayed = fuzz::replay::replay(&loaded, 5);
    assert!(replayed.verdict.is_pass(), "{}", replayed.verdict);
    assert_eq!(
        format!("{:016x}", replayed.report.trace_hash),
        failure.trace_hash
    );
    assert_eq!(
        fuzz::replay::check_determinism(&loaded),
        Ok(replayed.report.trace_hash)
    );

    // Shrunk through the same registry, it still fails the same way.
    let original: ScenarioFile =
        scenario::parse_file(&registry(), "failure.json", &text).expect("parses");
    let shrunk = shrink::shrink(&registry(), &original, &fuzz::default_executor).expect("shrinks");
    assert_eq!(shrunk.signature, failure.signature);
    let text = serde_json::to_string(&shrunk.file).unwrap();
    let loaded = scenario::parse(&registry(), "shrunk.json", &text).expect("a valid file");
    let again = run_scenario(&loaded, loaded.sim.seed, TraceSink::Off);
    assert!(
        again.outcome.is_pass(),
        "the shrunk file reproduces: {}",
        again.outcome
    );
    assert_eq!(
        failure_signature(&fuzz::replay::replay(&loaded, 0).report.outcome),
        failure.signature
    );
}

#[test]
fn two_primaries_are_caught_by_the_generic_election_safety() {
    let (_, summary) = campaign("toy-two-primaries", toy_base(Some("two-primaries")), 10);
    assert_eq!(summary.failures, 10);
    assert_eq!(
        summary.failures_by_kind.keys().collect::<Vec<_>>(),
        ["election-safety"]
    );
}
