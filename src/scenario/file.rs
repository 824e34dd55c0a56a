//! The raw JSON shape of a scenario file, exactly as written. No logic beyond parsing: every
//! struct rejects unknown fields (the top level through [`ScenarioFile::check_keys`]), and
//! `version` says which shape this is. Validation into a
//! typed [`super::Scenario`] happens in `validate.rs`.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The scenario file format this build reads and writes.
pub const VERSION: u32 = 1;

/// A scenario file. Its protocol's settings sit under the protocol's name (`"raft": {…}`);
/// the registry that knows the protocol reads them. That section is the one key the struct
/// does not list, so unknown keys are caught by [`ScenarioFile::check_keys`] instead of by
/// serde.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ScenarioFile {
    pub version: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub protocol: String,
    pub nodes: u64,
    pub seed: u64,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_steps: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u64>,
    /// Protocol sections by key: after [`ScenarioFile::check_keys`], at most the protocol's own.
    #[serde(flatten)]
    pub sections: BTreeMap<String, Value>,
    #[serde(default)]
    pub network: NetworkFile,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clocks: Option<ClocksFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadFile>,
    #[serde(default)]
    pub faults: Vec<FaultFile>,
    #[serde(default)]
    pub expect: ExpectFile,
}

/// The keys of a scenario file other than its protocol's section.
pub const KEYS: [&str; 15] = [
    "version",
    "name",
    "description",
    "protocol",
    "nodes",
    "seed",
    "duration_ms",
    "max_steps",
    "max_in_flight",
    "network",
    "storage",
    "clocks",
    "workload",
    "faults",
    "expect",
];

impl ScenarioFile {
    /// The section of the protocol the file names, if it has one.
    pub fn section(&self) -> Option<&Value> {
        self.sections.get(&self.protocol)
    }

    /// Replaces the section of the protocol the file names.
    pub fn set_section(&mut self, section: Value) {
        self.sections.insert(self.protocol.clone(), section);
    }

    /// Rejects a key that is neither a field of the file nor the section of its protocol:
    /// the section of another protocol `registered` knows, or an unknown field. The error is
    /// the key and the reason.
    pub fn check_keys(&self, registered: &[&str]) -> Result<(), (String, String)> {
        check_section_keys(
            &self.protocol,
            self.sections.keys().map(String::as_str),
            registered,
        )
    }
}

/// [`ScenarioFile::check_keys`] over the keys that are not fields of the file.
pub fn check_section_keys<'a>(
    protocol: &str,
    keys: impl IntoIterator<Item = &'a str>,
    registered: &[&str],
) -> Result<(), (String, String)> {
    let Some(key) = keys.into_iter().find(|key| *key != protocol) else {
        return Ok(());
    };
    let reason = if registered.contains(&key) {
        format!("only used with \"protocol\": \"{key}\"")
    } else {
        let known: Vec<String> = KEYS.iter().map(|key| format!("`{key}`")).collect();
        format!(
            "unknown field `{key}`, expected one of {}, or the section of the protocol the \
             file names",
            known.join(", ")
        )
    };
    Err((key.to_string(), reason))
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkFile {
    /// `datagram` (the default) or `stream`: see `sim::Connections`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<LinkModeFile>,
    pub latency_ms_min: Option<u64>,
    pub latency_ms_max: Option<u64>,
    pub drop_probability: Option<f64>,
    pub duplicate_probability: Option<f64>,
}

/// How long each node's durable writes take: uniform in `write_ms_min..=write_ms_max`.
/// Left out, writes take no time.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StorageFile {
    pub write_ms_min: u64,
    pub write_ms_max: u64,
}

/// How the nodes' clocks run: each node's drift is drawn from `±drift_ppm_max`, and each timer
/// fires up to `timer_jitter_us_max` late. Left out, every clock is perfect.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClocksFile {
    #[serde(default)]
    pub drift_ppm_max: u64,
    #[serde(default)]
    pub timer_jitter_us_max: u64,
}

/// How messages travel: independent datagrams, or ordered connections that reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkModeFile {
    Datagram,
    Stream,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadFile {
    #[serde(default)]
    pub start_ms: u64,
    pub stop_ms: Option<u64>,
    pub interval_ms_min: u64,
    pub interval_ms_max: u64,
    #[serde(default = "default_keys")]
    pub keys: u64,
    #[serde(default)]
    pub target: TargetFile,
}

fn default_keys() -> u64 {
    16
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetFile {
    #[default]
    Leader,
    Random,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_within_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commits_min: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commits_after_last_fault_min: Option<u64>,
    /// The run must end in this failure: an invariant's name (`election-safety`, …) or an
    /// outcome kind (`panic`, `expectation-failed`, `limit`). Regression files record it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violation: Option<String>,
    /// The run's trace hash must be exactly this (16 hex digits): a replay is byte for byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_hash: Option<String>,
}

/// One scheduled fault. `action` names the kind; which other fields it takes depends on the
/// kind (checked in validation, so a misplaced field is reported by its exact path).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FaultFile {
    pub at_ms: u64,
    pub action: FaultKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<SelectorFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Vec<SelectorFile>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Vec<SelectorFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<SelectorFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms_min: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms_max: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_probability: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_probability: Option<f64>,
    /// `slow-disk`: how many times longer the node's writes take (1: back to normal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<u64>,
    /// `clock-skew`: the node's clock gains this many µs per second (negative: loses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_ppm: Option<i64>,
    /// `clock-jump`: the node's clock jumps by this many ms (negative: back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_ms: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    Crash,
    Restart,
    Isolate,
    Partition,
    Cut,
    Heal,
    SetNetwork,
    SlowDisk,
    ClockSkew,
    ClockJump,
}

impl FaultKind {
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Crash => "crash",
            FaultKind::Restart => "restart",
            FaultKind::Isolate => "isolate",
            FaultKind::Partition => "partition",
            FaultKind::Cut => "cut",
            FaultKind::Heal => "heal",
            FaultKind::SetNetwork => "set-network",
            FaultKind::SlowDisk => "slow-disk",
            FaultKind::ClockSkew => "clock-skew",
            FaultKind::ClockJump => "clock-jump",
        }
    }
}

impl FaultFile {
    /// The field naming `"writing"` (`node`, `groups`, `from` or `to`), if any does.
    pub fn writing_selector_field(&self) -> Option<&'static str> {
        let writing = |selector: &SelectorFile| *selector == SelectorFile::Writing;
        if self.node.as_ref().is_some_and(writing) {
            Some("node")
        } else if self.groups.iter().flatten().flatten().any(writing) {
            Some("groups")
        } else if self.from.iter().flatten().any(writing) {
            Some("from")
        } else if self.to.iter().flatten().any(writing) {
            Some("to")
        } else {
            None
        }
    }

    /// The optional fields this fault sets, by name.
    pub fn fields_set(&self) -> Vec<&'static str> {
        let mut set = Vec::new();
        let mut note = |present: bool, name: &'static str| {
            if present {
                set.push(name);
            }
        };
        note(self.node.is_some(), "node");
        note(self.groups.is_some(), "groups");
        note(self.from.is_some(), "from");
        note(self.to.is_some(), "to");
        note(self.latency_ms_min.is_some(), "latency_ms_min");
        note(self.latency_ms_max.is_some(), "latency_ms_max");
        note(self.drop_probability.is_some(), "drop_probability");
        note(
            self.duplicate_probability.is_some(),
            "duplicate_probability",
        );
        note(self.factor.is_some(), "factor");
        note(self.drift_ppm.is_some(), "drift_ppm");
        note(self.by_ms.is_some(), "by_ms");
        set
    }
}

/// A node named by id (a number) or by role (`"leader"`, `"follower"`, `"random"`,
/// `"crashed"`, `"writing"`, and in partitions `"rest"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectorFile {
    Id(u64),
    Leader,
    Follower,
    Random,
    Crashed,
    Writing,
    Rest,
}

const SELECTOR_NAMES: &[&str] = &["leader", "follower", "random", "crashed", "writing", "rest"];

impl<'de> Deserialize<'de> for SelectorFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SelectorVisitor;
        impl Visitor<'_> for SelectorVisitor {
            type Value = SelectorFile;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a node id (0, 1, …) or one of \"leader\", \"follower\", \"random\", \"crashed\", \"writing\", \"rest\"")
            }

            fn visit_u64<E: de::Error>(self, id: u64) -> Result<SelectorFile, E> {
                Ok(SelectorFile::Id(id))
            }

            fn visit_i64<E: de::Error>(self, id: i64) -> Result<SelectorFile, E> {
                Err(E::invalid_value(de::Unexpected::Signed(id), &self))
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<SelectorFile, E> {
                match name {
                    "leader" => Ok(SelectorFile::Leader),
                    "follower" => Ok(SelectorFile::Follower),
                    "random" => Ok(SelectorFile::Random),
                    "crashed" => Ok(SelectorFile::Crashed),
                    "writing" => Ok(SelectorFile::Writing),
                    "rest" => Ok(SelectorFile::Rest),
                    other => Err(E::unknown_variant(other, SELECTOR_NAMES)),
                }
            }
        }
        deserializer.deserialize_any(SelectorVisitor)
    }
}

impl Serialize for SelectorFile {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SelectorFile::Id(id) => serializer.serialize_u64(*id),
            SelectorFile::Leader => serializer.serialize_str("leader"),
            SelectorFile::Follower => serializer.serialize_str("follower"),
            SelectorFile::Random => serializer.serialize_str("random"),
            SelectorFile::Crashed => serializer.serialize_str("crashed"),
            SelectorFile::Writing => serializer.serialize_str("writing"),
            SelectorFile::Rest => serializer.serialize_str("rest"),
        }
    }
}
