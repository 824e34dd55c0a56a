//! The fault schedule of a scenario file: each fault's fields for its action, the selectors
//! it names, and the network settings in force over time.

use super::{invalid, optional_ms, probability, Checked};
use crate::net::LinkModel;
use crate::protocol::NodeId;
use crate::scenario::file::{FaultFile, FaultKind, ScenarioFile, SelectorFile};
use crate::sim::{Fault, FaultAction, LinkChange, Selector};
use crate::time::{ms, US_PER_MS};

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
        FaultKind::SlowDisk => (&["node", "factor"], &["node", "factor"]),
        FaultKind::ClockSkew => (&["node", "drift_ppm"], &["node", "drift_ppm"]),
        FaultKind::ClockJump => (&["node", "by_ms"], &["node", "by_ms"]),
        FaultKind::Partition => (&["groups"], &["groups"]),
        FaultKind::Cut => (&["from", "to"], &["from", "to"]),
        FaultKind::Heal => (&[], &[]),
        FaultKind::SetNetwork => (NETWORK, &[]),
    }
}

pub(super) fn fault_config(
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
        FaultKind::SlowDisk => FaultAction::SlowDisk {
            node: node()?,
            factor: slowdown(&at, raw.factor)?,
        },
        FaultKind::ClockSkew => FaultAction::ClockSkew {
            node: node()?,
            drift_ppm: drift(&at, raw.drift_ppm)?,
        },
        FaultKind::ClockJump => FaultAction::ClockJump {
            node: node()?,
            by_us: jump(&at, raw.by_ms)?,
        },
    };
    Ok(Fault {
        at_us: ms(raw.at_ms),
        action,
    })
}

/// The largest slowdown a `slow-disk` fault may ask for.
const SLOWDOWN_MAX: u64 = 10_000;

fn slowdown(at: &str, factor: Option<u64>) -> Checked<u64> {
    match factor {
        Some(factor @ 1..=SLOWDOWN_MAX) => Ok(factor),
        other => invalid(
            &format!("{at}.factor"),
            format!(
                "must be between 1 (normal speed) and {SLOWDOWN_MAX}, got {}",
                other.unwrap_or(0)
            ),
        ),
    }
}

fn drift(at: &str, drift_ppm: Option<i64>) -> Checked<i64> {
    let limit = crate::sim::ClockModel::DRIFT_PPM_LIMIT as i64;
    match drift_ppm {
        Some(drift) if drift.abs() <= limit => Ok(drift),
        other => invalid(
            &format!("{at}.drift_ppm"),
            format!(
                "must be between -{limit} and {limit}, got {}",
                other.unwrap_or(0)
            ),
        ),
    }
}

fn jump(at: &str, by_ms: Option<i64>) -> Checked<i64> {
    let limit = super::DURATION_MS_MAX as i64;
    match by_ms {
        Some(by) if by != 0 && by.abs() <= limit => Ok(by * US_PER_MS as i64),
        other => invalid(
            &format!("{at}.by_ms"),
            format!(
                "must be a jump of 1 to {limit} ms, forward or back (negative), got {}",
                other.unwrap_or(0)
            ),
        ),
    }
}

const LIVE_ONLY: &str = "it always names a live node, so the restart would never apply";

/// Rejects a `node` selector that can never name a node the action applies to: restart
/// needs a crashed node, which "leader", "follower", "random" and "writing" never are (they
/// resolve among live nodes); crash needs a live node, which "crashed" never is. Isolating a crashed node is
/// meaningful (it stays cut off after a restart), so isolate takes "crashed" too.
fn node_selector_fits(field: &str, action: FaultKind, selector: SelectorFile) -> Checked<()> {
    let allowed = match action {
        FaultKind::Restart => "a node id or \"crashed\"",
        FaultKind::Crash => "a node id or \"leader\", \"follower\", \"random\", \"writing\"",
        _ => "a node id or \"leader\", \"follower\", \"random\", \"crashed\", \"writing\"",
    };
    let (given, why) = match (action, selector) {
        (_, SelectorFile::Rest) => ("rest", "it is only meaningful in partition groups"),
        (FaultKind::Restart, SelectorFile::Leader) => ("leader", LIVE_ONLY),
        (FaultKind::Restart, SelectorFile::Follower) => ("follower", LIVE_ONLY),
        (FaultKind::Restart, SelectorFile::Random) => ("random", LIVE_ONLY),
        (FaultKind::Restart, SelectorFile::Writing) => ("writing", LIVE_ONLY),
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
pub(super) fn latency_timeline(raw: &ScenarioFile, links: &LinkModel) -> Checked<()> {
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
        SelectorFile::Writing => Selector::Writing,
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
