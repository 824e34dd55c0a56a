//! Checks a raw scenario and builds the typed one. Each rule returns the field path and a
//! reason; nothing here panics on any input. The fault schedule is checked in `faults.rs`,
//! the storage and clock models in `timing.rs`.

mod faults;
mod timing;

use faults::{fault_config, latency_timeline};

use super::file::{
    ExpectFile, LinkModeFile, NetworkFile, ScenarioFile, TargetFile, WorkloadFile, VERSION,
};
use super::{ExpectedEnd, Scenario};
use crate::check::names as invariants;
use crate::net::LinkModel;
use crate::prng::Ratio;
use crate::registry::{ProtocolEntry, Registry};
use crate::sim::{ClientTarget, Connections, Expectations, Fault, SimConfig, Workload};
use crate::time::{ms, DAY_MS};

type Invalid = (String, String);
pub(super) type Checked<T> = Result<T, Invalid>;

/// Largest cluster a scenario may ask for.
pub const NODES_MAX: u64 = 64;
/// Longest run a scenario may ask for: one virtual day.
pub const DURATION_MS_MAX: u64 = DAY_MS;
pub const MAX_STEPS_DEFAULT: u64 = SimConfig::MAX_STEPS_DEFAULT;
pub const MAX_IN_FLIGHT_DEFAULT: u64 = SimConfig::MAX_IN_FLIGHT_DEFAULT;

pub(super) fn invalid<T>(field: &str, reason: impl Into<String>) -> Checked<T> {
    Err((field.to_string(), reason.into()))
}

pub fn validate(registry: &Registry, raw: &ScenarioFile) -> Checked<Scenario> {
    if raw.version != VERSION {
        return invalid(
            "version",
            format!(
                "unsupported version {}; this build reads version {VERSION}",
                raw.version
            ),
        );
    }
    if raw.nodes == 0 || raw.nodes > NODES_MAX {
        return invalid(
            "nodes",
            format!("must be between 1 and {NODES_MAX}, got {}", raw.nodes),
        );
    }
    let node_count = raw.nodes as u16;
    if raw.duration_ms == 0 || raw.duration_ms > DURATION_MS_MAX {
        return invalid(
            "duration_ms",
            format!(
                "must be between 1 and {DURATION_MS_MAX}, got {}",
                raw.duration_ms
            ),
        );
    }
    let max_steps = positive("max_steps", raw.max_steps, MAX_STEPS_DEFAULT)?;
    let max_in_flight = positive("max_in_flight", raw.max_in_flight, MAX_IN_FLIGHT_DEFAULT)?;
    let entry = registry
        .lookup(&raw.protocol)
        .map_err(|reason| ("protocol".to_string(), reason))?;
    raw.check_keys(&registry.names())?;
    let protocol = entry
        .configure(raw.section(), node_count)
        .map_err(|error| {
            let field = if error.field.is_empty() {
                raw.protocol.clone()
            } else {
                format!("{}.{}", raw.protocol, error.field)
            };
            (field, error.reason)
        })?;
    let links = link_model(&raw.network)?;
    let connections = connections(&raw.network, raw)?;
    let storage = timing::storage_model(raw.storage.as_ref())?;
    let clocks = timing::clock_model(raw.clocks.as_ref())?;
    let workload = match &raw.workload {
        Some(workload) => Some(workload_config(workload, raw.duration_ms)?),
        None => None,
    };
    let faults = raw
        .faults
        .iter()
        .enumerate()
        .map(|(index, fault)| fault_config(index, fault, node_count, raw.duration_ms))
        .collect::<Checked<Vec<Fault>>>()?;
    latency_timeline(raw, &links)?;
    timing::faults_fit_models(raw, &storage)?;
    let last_fault_ms = raw
        .faults
        .iter()
        .map(|fault| fault.at_ms)
        .max()
        .unwrap_or(0);
    let expect = expectations(&raw.expect, last_fault_ms, raw.duration_ms)?;
    let expected_end = expected_end(&raw.expect, entry)?;
    Ok(Scenario {
        name: raw.name.clone(),
        description: raw.description.clone(),
        protocol,
        sim: SimConfig {
            paranoid: false,
            node_count,
            seed: raw.seed,
            duration_us: ms(raw.duration_ms),
            max_steps,
            max_in_flight,
            links,
            connections,
            storage,
            clocks,
            workload,
            faults,
            expect,
        },
        expected_end,
    })
}

/// A millisecond setting: at most [`DURATION_MS_MAX`], so it converts to microseconds exactly
/// instead of saturating into "never".
pub(super) fn ms_setting(field: &str, value: u64) -> Checked<u64> {
    if value > DURATION_MS_MAX {
        return invalid(
            field,
            format!("must be at most {DURATION_MS_MAX} (one virtual day), got {value}"),
        );
    }
    Ok(value)
}

pub(super) fn optional_ms(field: &str, value: Option<u64>) -> Checked<Option<u64>> {
    value.map(|value| ms_setting(field, value)).transpose()
}

fn positive(field: &str, value: Option<u64>, default: u64) -> Checked<u64> {
    match value {
        Some(0) => invalid(field, "must be positive"),
        Some(value) => Ok(value),
        None => Ok(default),
    }
}

pub(super) fn probability(field: &str, value: Option<f64>) -> Checked<Option<Ratio>> {
    match value {
        None => Ok(None),
        Some(p) => match Ratio::from_probability(p) {
            // Stored in parts per million: a value that would round to "never" or "always"
            // would silently mean something other than what the file says.
            Some(ratio) if ratio.is_zero() && p > 0.0 => invalid(
                field,
                format!(
                    "{p:?} would round to 0: probabilities have a resolution of one in a million; \
                     use 0 or at least 0.000001"
                ),
            ),
            Some(ratio) if ratio.ppm() == Ratio::PPM_MAX && p < 1.0 => invalid(
                field,
                format!(
                    "{p:?} would round to 1: probabilities have a resolution of one in a million; \
                     use 1 or at most 0.999999"
                ),
            ),
            Some(ratio) => Ok(Some(ratio)),
            None => invalid(
                field,
                format!("must be a probability between 0 and 1, got {p:?}"),
            ),
        },
    }
}

fn link_model(raw: &NetworkFile) -> Checked<LinkModel> {
    let defaults = LinkModel::default();
    let latency_ms_min = optional_ms("network.latency_ms_min", raw.latency_ms_min)?
        .unwrap_or(defaults.latency_us_min / 1_000);
    let latency_ms_max = optional_ms("network.latency_ms_max", raw.latency_ms_max)?
        .unwrap_or((defaults.latency_us_max / 1_000).max(latency_ms_min));
    if latency_ms_max < latency_ms_min {
        return invalid(
            "network.latency_ms_max",
            format!("{latency_ms_max} is below latency_ms_min {latency_ms_min}"),
        );
    }
    Ok(LinkModel {
        latency_us_min: ms(latency_ms_min),
        latency_us_max: ms(latency_ms_max),
        drop: probability("network.drop_probability", raw.drop_probability)?.unwrap_or_default(),
        duplicate: probability("network.duplicate_probability", raw.duplicate_probability)?
            .unwrap_or_default(),
    })
}

fn workload_config(raw: &WorkloadFile, duration_ms: u64) -> Checked<Workload> {
    ms_setting("workload.start_ms", raw.start_ms)?;
    optional_ms("workload.stop_ms", raw.stop_ms)?;
    ms_setting("workload.interval_ms_min", raw.interval_ms_min)?;
    ms_setting("workload.interval_ms_max", raw.interval_ms_max)?;
    if raw.interval_ms_min == 0 {
        return invalid("workload.interval_ms_min", "must be positive");
    }
    if raw.interval_ms_max < raw.interval_ms_min {
        return invalid(
            "workload.interval_ms_max",
            format!(
                "{} is below interval_ms_min {}",
                raw.interval_ms_max, raw.interval_ms_min
            ),
        );
    }
    if raw.start_ms > duration_ms {
        return invalid(
            "workload.start_ms",
            format!(
                "{} is after the end of the run ({duration_ms})",
                raw.start_ms
            ),
        );
    }
    let stop_ms = raw.stop_ms.unwrap_or(duration_ms);
    if stop_ms > duration_ms {
        return invalid(
            "workload.stop_ms",
            format!("{stop_ms} is after the end of the run ({duration_ms})"),
        );
    }
    if stop_ms < raw.start_ms {
        return invalid(
            "workload.stop_ms",
            format!("{stop_ms} is before start_ms {}", raw.start_ms),
        );
    }
    if raw.keys == 0 || raw.keys > u64::from(u32::MAX) {
        return invalid(
            "workload.keys",
            format!("must be between 1 and {}", u32::MAX),
        );
    }
    Ok(Workload {
        start_us: ms(raw.start_ms),
        stop_us: ms(stop_ms),
        interval_us_min: ms(raw.interval_ms_min),
        interval_us_max: ms(raw.interval_ms_max),
        key_count: raw.keys as u32,
        target: match raw.target {
            TargetFile::Leader => ClientTarget::Leader,
            TargetFile::Random => ClientTarget::Random,
        },
    })
}

fn expectations(raw: &ExpectFile, last_fault_ms: u64, duration_ms: u64) -> Checked<Expectations> {
    if let Some(within_ms) = optional_ms("expect.leader_within_ms", raw.leader_within_ms)? {
        let deadline_ms = last_fault_ms.saturating_add(within_ms);
        if deadline_ms > duration_ms {
            return invalid(
                "expect.leader_within_ms",
                format!(
                    "the deadline ({within_ms} ms after the last fault at {last_fault_ms} ms) \
                     falls after the end of the run ({duration_ms} ms)"
                ),
            );
        }
    }
    Ok(Expectations {
        leader_within_us: raw.leader_within_ms.map(ms),
        commits_min: raw.commits_min,
        commits_after_last_fault_min: raw.commits_after_last_fault_min,
    })
}

/// Connection-oriented links lose and duplicate nothing (a connection retransmits), so a
/// stream scenario that asks for loss or duplication, at the start or in a fault, is a
/// mistake: the error names the first such field.
fn connections(raw: &NetworkFile, file: &ScenarioFile) -> Checked<Connections> {
    if raw.mode != Some(LinkModeFile::Stream) {
        return Ok(Connections::Datagram);
    }
    let asks_loss = |drop: Option<f64>, duplicate: Option<f64>| {
        if drop.is_some_and(|p| p > 0.0) {
            Some("drop_probability")
        } else if duplicate.is_some_and(|p| p > 0.0) {
            Some("duplicate_probability")
        } else {
            None
        }
    };
    let reason = "stream links lose and duplicate nothing (a connection retransmits); \
                  use 0, or \"mode\": \"datagram\"";
    if let Some(field) = asks_loss(raw.drop_probability, raw.duplicate_probability) {
        return invalid(&format!("network.{field}"), reason);
    }
    for (index, fault) in file.faults.iter().enumerate() {
        if let Some(field) = asks_loss(fault.drop_probability, fault.duplicate_probability) {
            return invalid(&format!("faults[{index}].{field}"), reason);
        }
    }
    Ok(Connections::Stream)
}

/// The ends a regression file may expect besides an invariant: every outcome kind but
/// `pass` and `violation` (a violation is named by its invariant).
const FAILURE_KINDS: [&str; 3] = ["panic", "expectation-failed", "limit"];

/// A regression file's expected end must be one the run can end in: a misspelt name would
/// make a file that can never pass.
/// `expect.violation` is a name (an invariant, which a protocol may define, or an outcome
/// kind); `expect.trace_hash` is the 16 hex digits `quorumsim run` prints.
fn expected_end(raw: &ExpectFile, protocol: &dyn ProtocolEntry) -> Checked<ExpectedEnd> {
    if let Some(name) = &raw.violation {
        let known = invariants::ALL
            .iter()
            .chain(&[invariants::CHECKER_DISAGREEMENT])
            .chain(protocol.invariants())
            .chain(&FAILURE_KINDS)
            .any(|known| known == name);
        if !known {
            let mut names: Vec<&str> = invariants::ALL.to_vec();
            names.extend(protocol.invariants());
            names.push(invariants::CHECKER_DISAGREEMENT);
            names.extend(FAILURE_KINDS);
            return invalid(
                "expect.violation",
                format!(
                    "{name:?} is no invariant or failure of protocol {}; expected one of: {}",
                    protocol.name(),
                    names.join(", ")
                ),
            );
        }
    }
    let trace_hash = match &raw.trace_hash {
        None => None,
        Some(hex) => match u64::from_str_radix(hex, 16) {
            Ok(hash) if hex.len() == 16 && hex.chars().all(|c| c.is_ascii_hexdigit()) => Some(hash),
            _ => {
                return invalid(
                    "expect.trace_hash",
                    format!("must be 16 hex digits, as `quorumsim run` prints; got {hex:?}"),
                )
            }
        },
    };
    Ok(ExpectedEnd {
        failure: raw.violation.clone(),
        trace_hash,
    })
}
