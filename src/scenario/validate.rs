//! Checks a raw scenario and builds the typed one. Each rule returns the field path and a
//! reason; nothing here panics on any input.

use super::file::{
    ExpectFile, FaultFile, FaultKind, FleFile, NetworkFile, ProtocolName, RaftFile, ScenarioFile,
    SelectorFile, TargetFile, WorkloadFile, VERSION,
};
use super::{ExpectedEnd, ProtocolConfig, Scenario};
use crate::fle::{FleBug, FleConfig};
use crate::net::LinkModel;
use crate::prng::Ratio;
use crate::protocol::NodeId;
use crate::raft::{RaftBug, RaftConfig};
use crate::sim::{
    ClientTarget, Expectations, Fault, FaultAction, LinkChange, Selector, SimConfig, Workload,
};
use crate::time::{ms, US_PER_MS};

type Invalid = (String, String);
type Checked<T> = Result<T, Invalid>;

/// Largest cluster a scenario may ask for.
pub const NODES_MAX: u64 = 64;
/// Longest run a scenario may ask for: one virtual day.
pub const DURATION_MS_MAX: u64 = 86_400_000;
pub const MAX_STEPS_DEFAULT: u64 = 20_000_000;
pub const MAX_IN_FLIGHT_DEFAULT: u64 = 1_000_000;

fn invalid<T>(field: &str, reason: impl Into<String>) -> Checked<T> {
    Err((field.to_string(), reason.into()))
}

pub fn validate(raw: &ScenarioFile) -> Checked<Scenario> {
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
    let protocol = match raw.protocol {
        ProtocolName::Raft => {
            if raw.fle.is_some() {
                return invalid("fle", "only used with \"protocol\": \"fle\"");
            }
            ProtocolConfig::Raft(raft_config(raw.raft.as_ref())?)
        }
        ProtocolName::Fle => {
            if raw.raft.is_some() {
                return invalid("raft", "only used with \"protocol\": \"raft\"");
            }
            ProtocolConfig::Fle(fle_config(raw.fle.as_ref(), raw.nodes)?)
        }
    };
    let links = link_model(&raw.network)?;
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
    let last_fault_ms = raw
        .faults
        .iter()
        .map(|fault| fault.at_ms)
        .max()
        .unwrap_or(0);
    let expect = expectations(&raw.expect, last_fault_ms, raw.duration_ms)?;
    let expected_end = expected_end(&raw.expect)?;
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
            workload,
            faults,
            expect,
        },
        expected_end,
    })
}

/// A millisecond setting: at most [`DURATION_MS_MAX`], so it converts to microseconds exactly
/// instead of saturating into "never".
fn ms_setting(field: &str, value: u64) -> Checked<u64> {
    if value > DURATION_MS_MAX {
        return invalid(
            field,
            format!("must be at most {DURATION_MS_MAX} (one virtual day), got {value}"),
        );
    }
    Ok(value)
}

fn optional_ms(field: &str, value: Option<u64>) -> Checked<Option<u64>> {
    value.map(|value| ms_setting(field, value)).transpose()
}

fn positive(field: &str, value: Option<u64>, default: u64) -> Checked<u64> {
    match value {
        Some(0) => invalid(field, "must be positive"),
        Some(value) => Ok(value),
        None => Ok(default),
    }
}

fn raft_config(raw: Option<&RaftFile>) -> Checked<RaftConfig> {
    let defaults = RaftConfig::default();
    let Some(raw) = raw else {
        return Ok(defaults);
    };
    let timeout_ms_min = optional_ms("raft.election_timeout_ms_min", raw.election_timeout_ms_min)?
        .unwrap_or(defaults.election_timeout_us_min / 1_000);
    let timeout_ms_max = optional_ms("raft.election_timeout_ms_max", raw.election_timeout_ms_max)?
        .unwrap_or(defaults.election_timeout_us_max / 1_000);
    let heartbeat_ms = optional_ms("raft.heartbeat_interval_ms", raw.heartbeat_interval_ms)?
        .unwrap_or(defaults.heartbeat_interval_us / 1_000);
    if timeout_ms_min == 0 {
        return invalid("raft.election_timeout_ms_min", "must be positive");
    }
    if timeout_ms_max < timeout_ms_min {
        return invalid(
            "raft.election_timeout_ms_max",
            format!("{timeout_ms_max} is below election_timeout_ms_min {timeout_ms_min}"),
        );
    }
    if heartbeat_ms == 0 || heartbeat_ms >= timeout_ms_min {
        return invalid(
            "raft.heartbeat_interval_ms",
            format!(
                "must be positive and below election_timeout_ms_min ({timeout_ms_min}), got {heartbeat_ms}"
            ),
        );
    }
    let max_entries = raw
        .max_entries_per_append
        .unwrap_or(defaults.max_entries_per_append);
    if max_entries == 0 {
        return invalid("raft.max_entries_per_append", "must be positive");
    }
    let bug = match raw.bug.as_deref() {
        None => None,
        Some(name) => Some(RaftBug::from_name(name).ok_or_else(|| {
            (
                "raft.bug".to_string(),
                format!(
                    "unknown Raft bug {name:?}; valid names: {}",
                    RaftBug::names()
                ),
            )
        })?),
    };
    Ok(RaftConfig {
        election_timeout_us_min: ms(timeout_ms_min),
        election_timeout_us_max: ms(timeout_ms_max),
        heartbeat_interval_us: ms(heartbeat_ms),
        pre_vote: raw.pre_vote.unwrap_or(defaults.pre_vote),
        check_quorum: raw.check_quorum.unwrap_or(defaults.check_quorum),
        max_entries_per_append: max_entries,
        bug,
    })
}

fn fle_config(raw: Option<&FleFile>, nodes: u64) -> Checked<FleConfig> {
    let defaults = FleConfig::default();
    let Some(raw) = raw else {
        return Ok(defaults);
    };
    let timing = |field: &str, value: Option<u64>, default_us: u64| -> Checked<u64> {
        let name = format!("fle.{field}");
        match optional_ms(&name, value)? {
            Some(0) => invalid(&name, "must be positive"),
            Some(value_ms) => Ok(ms(value_ms)),
            None => Ok(default_us),
        }
    };
    let config = FleConfig {
        finalize_wait_us: timing(
            "finalize_wait_ms",
            raw.finalize_wait_ms,
            defaults.finalize_wait_us,
        )?,
        notification_timeout_us_initial: timing(
            "notification_timeout_ms_initial",
            raw.notification_timeout_ms_initial,
            defaults.notification_timeout_us_initial,
        )?,
        notification_timeout_us_max: timing(
            "notification_timeout_ms_max",
            raw.notification_timeout_ms_max,
            defaults.notification_timeout_us_max,
        )?,
        ping_interval_us: timing(
            "ping_interval_ms",
            raw.ping_interval_ms,
            defaults.ping_interval_us,
        )?,
        sync_timeout_us: timing(
            "sync_timeout_ms",
            raw.sync_timeout_ms,
            defaults.sync_timeout_us,
        )?,
        init_timeout_us: timing(
            "init_timeout_ms",
            raw.init_timeout_ms,
            defaults.init_timeout_us,
        )?,
        initial_history_lengths: raw.initial_history_lengths.clone().unwrap_or_default(),
        bug: match &raw.bug {
            None => None,
            Some(name) => Some(FleBug::from_name(name).ok_or_else(|| {
                (
                    "fle.bug".to_string(),
                    format!("unknown bug \"{name}\"; known bugs: {}", FleBug::names()),
                )
            })?),
        },
    };
    if config.notification_timeout_us_max < config.notification_timeout_us_initial {
        return invalid(
            "fle.notification_timeout_ms_max",
            "is below notification_timeout_ms_initial",
        );
    }
    if config.ping_interval_us >= config.sync_timeout_us {
        return invalid(
            "fle.ping_interval_ms",
            "must be below sync_timeout_ms, or every follower would time out between pings",
        );
    }
    if config.sync_timeout_us > config.init_timeout_us {
        return invalid("fle.init_timeout_ms", "must be at least sync_timeout_ms");
    }
    let lengths = &config.initial_history_lengths;
    if !lengths.is_empty() && lengths.len() as u64 != nodes {
        return invalid(
            "fle.initial_history_lengths",
            format!(
                "has {} entries for {nodes} nodes; give one per node",
                lengths.len()
            ),
        );
    }
    if let Some(index) = lengths
        .iter()
        .position(|&length| length > INITIAL_HISTORY_MAX)
    {
        return invalid(
            &format!("fle.initial_history_lengths[{index}]"),
            format!(
                "must be at most {INITIAL_HISTORY_MAX}, got {}",
                lengths[index]
            ),
        );
    }
    Ok(config)
}

/// Longest start-up history a node may be given.
pub const INITIAL_HISTORY_MAX: u64 = 100_000;

fn probability(field: &str, value: Option<f64>) -> Checked<Option<Ratio>> {
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

/// The optional fields each fault kind takes, and which of them it requires.
fn fault_fields(kind: FaultKind) -> (&'static [&'static str], &'static [&'static str]) {
    const NETWORK: &[&str] = &[
        "latency_ms_min",
        "latency_ms_max",
        "drop_probability",
        "duplicate_probability",
    ];
    match kind {
        FaultKind::Crash | FaultKind::Restart | FaultKind::Isolate => (&["node"], &["node"]),
        FaultKind::Partition => (&["groups"], &["groups"]),
        FaultKind::Cut => (&["from", "to"], &["from", "to"]),
        FaultKind::Heal => (&[], &[]),
        FaultKind::SetNetwork => (NETWORK, &[]),
    }
}

fn fault_config(
    index: usize,
    raw: &FaultFile,
    node_count: u16,
    duration_ms: u64,
) -> Checked<Fault> {
    let at = format!("faults[{index}]");
    if raw.at_ms > duration_ms {
        return invalid(
            &format!("{at}.at_ms"),
            format!("{} is after the end of the run ({duration_ms})", raw.at_ms),
        );
    }
    let (allowed, required) = fault_fields(raw.action);
    let set = raw.fields_set();
    if let Some(extra) = set.iter().find(|field| !allowed.contains(field)) {
        return invalid(
            &format!("{at}.{extra}"),
            format!("not used by action \"{}\"", raw.action.name()),
        );
    }
    if let Some(missing) = required.iter().find(|field| !set.contains(field)) {
        return invalid(
            &format!("{at}.{missing}"),
            format!("required by action \"{}\"", raw.action.name()),
        );
    }
    let node = || -> Checked<Selector> {
        let field = format!("{at}.node");
        let Some(selector) = raw.node else {
            return invalid(&field, "missing");
        };
        node_selector_fits(&field, raw.action, selector)?;
        selector_config(&field, &selector, node_count)
    };
    let action = match raw.action {
        FaultKind::Crash => FaultAction::Crash(node()?),
        FaultKind::Restart => FaultAction::Restart(node()?),
        FaultKind::Isolate => FaultAction::Isolate(node()?),
        FaultKind::Heal => FaultAction::Heal,
        FaultKind::Partition => FaultAction::Partition(partition_groups(
            &at,
            raw.groups.as_deref().unwrap_or_default(),
            node_count,
        )?),
        FaultKind::Cut => FaultAction::Cut {
            from: selector_list(
                &format!("{at}.from"),
                raw.from.as_deref().unwrap_or_default(),
                node_count,
            )?,
            to: selector_list(
                &format!("{at}.to"),
                raw.to.as_deref().unwrap_or_default(),
                node_count,
            )?,
        },
        FaultKind::SetNetwork => FaultAction::SetLinks(link_change(&at, raw)?),
    };
    Ok(Fault {
        at_us: ms(raw.at_ms),
        action,
    })
}

const LIVE_ONLY: &str = "it always names a live node, so the restart would never apply";

/// Rejects a `node` selector that can never name a node the action applies to: restart
/// needs a crashed node, which "leader", "follower" and "random" never are (they resolve among
/// live nodes); crash needs a live node, which "crashed" never is. Isolating a crashed node is
/// meaningful (it stays cut off after a restart), so isolate takes "crashed" too.
fn node_selector_fits(field: &str, action: FaultKind, selector: SelectorFile) -> Checked<()> {
    let allowed = match action {
        FaultKind::Restart => "a node id or \"crashed\"",
        FaultKind::Crash => "a node id or \"leader\", \"follower\", \"random\"",
        _ => "a node id or \"leader\", \"follower\", \"random\", \"crashed\"",
    };
    let (given, why) = match (action, selector) {
        (_, SelectorFile::Rest) => ("rest", "it is only meaningful in partition groups"),
        (FaultKind::Restart, SelectorFile::Leader) => ("leader", LIVE_ONLY),
        (FaultKind::Restart, SelectorFile::Follower) => ("follower", LIVE_ONLY),
        (FaultKind::Restart, SelectorFile::Random) => ("random", LIVE_ONLY),
        (FaultKind::Crash, SelectorFile::Crashed) => (
            "crashed",
            "it always names a crashed node, so the crash would never apply",
        ),
        _ => return Ok(()),
    };
    let name = action.name();
    invalid(
        field,
        format!("\"{given}\" cannot be used with {name}: {why}; {name} takes {allowed}"),
    )
}

fn link_change(at: &str, raw: &FaultFile) -> Checked<LinkChange> {
    if raw.fields_set().is_empty() {
        return invalid(at, "set-network changes nothing; give at least one setting");
    }
    optional_ms(&format!("{at}.latency_ms_min"), raw.latency_ms_min)?;
    optional_ms(&format!("{at}.latency_ms_max"), raw.latency_ms_max)?;
    if let (Some(min), Some(max)) = (raw.latency_ms_min, raw.latency_ms_max) {
        if max < min {
            return invalid(
                &format!("{at}.latency_ms_max"),
                format!("{max} is below latency_ms_min {min}"),
            );
        }
    }
    Ok(LinkChange {
        drop: probability(&format!("{at}.drop_probability"), raw.drop_probability)?,
        duplicate: probability(
            &format!("{at}.duplicate_probability"),
            raw.duplicate_probability,
        )?,
        latency_us_min: raw.latency_ms_min.map(ms),
        latency_us_max: raw.latency_ms_max.map(ms),
    })
}

/// Replays the latency settings as the engine will: the network settings first, then each
/// set-network fault in time order (file order for equal times), each keeping the bound it
/// does not name. A fault that leaves the maximum below the minimum would be quietly "fixed"
/// by the engine; it is rejected here instead, naming the bound it changed.
fn latency_timeline(raw: &ScenarioFile, links: &LinkModel) -> Checked<()> {
    let source = |field: Option<u64>, name: &str| match field {
        Some(_) => format!("network.{name}"),
        None => "the default".to_string(),
    };
    let mut min = (
        links.latency_us_min / US_PER_MS,
        source(raw.network.latency_ms_min, "latency_ms_min"),
    );
    let mut max = (
        links.latency_us_max / US_PER_MS,
        source(raw.network.latency_ms_max, "latency_ms_max"),
    );
    let mut order: Vec<usize> = (0..raw.faults.len()).collect();
    // Stable, like the engine's own sort: equal times keep file order.
    order.sort_by_key(|&index| raw.faults[index].at_ms);
    for index in order {
        let fault = &raw.faults[index];
        if fault.action != FaultKind::SetNetwork {
            continue;
        }
        let at = format!("faults[{index}]");
        if let Some(value) = fault.latency_ms_min {
            min = (value, format!("{at}.latency_ms_min"));
        }
        if let Some(value) = fault.latency_ms_max {
            max = (value, format!("{at}.latency_ms_max"));
        }
        if max.0 >= min.0 {
            continue;
        }
        // A fault that sets both is checked on its own, in `link_change`.
        return if fault.latency_ms_max.is_some() {
            invalid(
                &format!("{at}.latency_ms_max"),
                format!(
                    "{} is below latency_ms_min {} in force at {} ms (from {}); \
                     set latency_ms_min in this fault too",
                    max.0, min.0, fault.at_ms, min.1
                ),
            )
        } else {
            invalid(
                &format!("{at}.latency_ms_min"),
                format!(
                    "{} is above latency_ms_max {} in force at {} ms (from {}); \
                     set latency_ms_max in this fault too",
                    min.0, max.0, fault.at_ms, max.1
                ),
            )
        };
    }
    Ok(())
}

fn selector_config(field: &str, raw: &SelectorFile, node_count: u16) -> Checked<Selector> {
    Ok(match *raw {
        SelectorFile::Id(id) if id < u64::from(node_count) => Selector::Node(NodeId(id as u16)),
        SelectorFile::Id(id) => {
            return invalid(
                field,
                format!(
                    "node {id} does not exist; ids run from 0 to {}",
                    node_count - 1
                ),
            )
        }
        SelectorFile::Leader => Selector::Leader,
        SelectorFile::Follower => Selector::Follower,
        SelectorFile::Random => Selector::Random,
        SelectorFile::Crashed => Selector::Crashed,
        SelectorFile::Rest => Selector::Rest,
    })
}

fn selector_list(field: &str, raw: &[SelectorFile], node_count: u16) -> Checked<Vec<Selector>> {
    if raw.is_empty() {
        return invalid(field, "must name at least one node");
    }
    raw.iter()
        .enumerate()
        .map(|(index, selector)| {
            let field = format!("{field}[{index}]");
            if *selector == SelectorFile::Rest {
                return invalid(&field, "\"rest\" is only meaningful in partition groups");
            }
            selector_config(&field, selector, node_count)
        })
        .collect()
}

fn partition_groups(
    at: &str,
    raw: &[Vec<SelectorFile>],
    node_count: u16,
) -> Checked<Vec<Vec<Selector>>> {
    let field = format!("{at}.groups");
    if raw.len() < 2 {
        return invalid(&field, "a partition needs at least two groups");
    }
    let mut seen_ids = Vec::new();
    let mut rest_count = 0;
    let mut groups = Vec::new();
    for (group_index, group) in raw.iter().enumerate() {
        if group.is_empty() {
            return invalid(
                &format!("{field}[{group_index}]"),
                "a group must not be empty",
            );
        }
        let mut selectors = Vec::new();
        for (index, selector) in group.iter().enumerate() {
            let selector_field = format!("{field}[{group_index}][{index}]");
            let selector = selector_config(&selector_field, selector, node_count)?;
            match selector {
                Selector::Node(node) if seen_ids.contains(&node) => {
                    return invalid(&selector_field, format!("node {} appears twice", node.0));
                }
                Selector::Node(node) => seen_ids.push(node),
                Selector::Rest => rest_count += 1,
                _ => {}
            }
            selectors.push(selector);
        }
        groups.push(selectors);
    }
    if rest_count > 1 {
        return invalid(&field, "\"rest\" may appear in one group only");
    }
    Ok(groups)
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

/// `expect.violation` is a name (an invariant, which a protocol may define, or an outcome
/// kind); `expect.trace_hash` is the 16 hex digits `quorumsim run` prints.
fn expected_end(raw: &ExpectFile) -> Checked<ExpectedEnd> {
    if let Some(name) = &raw.violation {
        let well_formed = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !well_formed || name == "pass" {
            return invalid(
                "expect.violation",
                format!(
                    "must name an invariant (such as \"election-safety\") or one of \"panic\", \
                     \"expectation-failed\", \"limit\"; got {name:?}"
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
