//! raft-rs as quorumsim's tools host it: its section of a scenario file (`"raft-rs": { … }`),
//! its validation into a [`RaftRsConfig`], the swarm draw a fuzz seed makes inside a base
//! scenario's section, and the bundled fuzz base. Everything here goes through quorumsim's
//! public `Hosted` trait.

use quorumsim::protocol::{BugVariant, BundledScenario, Hosted, SectionError, SwarmDraw};
use quorumsim::time::{ms, DAY_MS, US_PER_MS};
use raft::ReadOnlyOption;
use serde::{Deserialize, Serialize};

use crate::config::{RaftRsBug, RaftRsConfig};
use crate::node::{RaftRsNode, APPLIED_WITHIN_COMMIT, COMMIT_WITHIN_LOG};

/// raft-rs settings as written in a scenario file; every field optional. Ticks are raft-rs's
/// unit; `tick_interval_ms` says how long one is. The broken variant is the section's `bug`
/// key, which quorumsim reads for every protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RaftRsSection {
    /// Time between two `RawNode::tick` calls (default 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tick_interval_ms: Option<u64>,
    /// `election_tick` (default 15): CheckQuorum's period and a follower's leader lease.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub election_tick: Option<u64>,
    /// `heartbeat_tick` (default 5), below `election_tick`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_tick: Option<u64>,
    /// The randomized election timeout's range in ticks, `min..max` (default
    /// `election_tick..2 * election_tick`); `min` is at least `election_tick`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_election_tick: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_election_tick: Option<u64>,
    /// Default off, as in raft-rs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_vote: Option<bool>,
    /// Default off, as in raft-rs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_quorum: Option<bool>,
    /// `"safe"` (default) or `"lease-based"` (needs `check_quorum`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only_option: Option<ReadOnly>,
    /// Default 1 MiB; 0 ships one entry per append.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_size_per_msg_bytes: Option<u64>,
    /// Appends in flight to one follower (default 256).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_inflight_msgs: Option<u64>,
    /// No append only to announce a new commit index (default off, as in raft-rs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_bcast_commit: Option<bool>,
    /// Appends to one follower in one `Ready` merge (default off, as in raft-rs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_append: Option<bool>,
    /// An experiment (default off, never drawn): a refused higher-term vote request leaves
    /// the election timer running, as in Raft's Figure 2, where raft-rs restarts it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_timer_on_refused_vote: Option<bool>,
}

/// raft-rs's `ReadOnlyOption`, as a scenario file spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadOnly {
    Safe,
    LeaseBased,
}

impl BugVariant for RaftRsBug {
    const ALL: &'static [RaftRsBug] = &RaftRsBug::ALL;

    fn name(self) -> &'static str {
        RaftRsBug::name(self)
    }

    fn summary(self) -> &'static str {
        self.description()
    }
}

impl Hosted for RaftRsNode {
    type Section = RaftRsSection;
    type Bug = RaftRsBug;

    const INVARIANTS: &'static [&'static str] = &[COMMIT_WITHIN_LOG, APPLIED_WITHIN_COMMIT];

    const FUZZ_BASE: Option<BundledScenario> = Some(BundledScenario {
        path: "examples/raft-rs/scenarios/fuzz-base.json",
        text: include_str!("../scenarios/fuzz-base.json"),
    });

    fn configure(
        section: &RaftRsSection,
        bug: Option<RaftRsBug>,
        _node_count: u16,
    ) -> Result<RaftRsConfig, SectionError> {
        raft_rs_config(section, bug)
    }

    /// The election timeout range is a sub-range of the base's that keeps at least half its
    /// spread (as for quorumsim's Raft), the heartbeat between half the base's and all of
    /// it; the switches are kept when the base sets them and drawn when it does not. Drawn:
    /// PreVote, CheckQuorum, lease-based reads (only with CheckQuorum), skipping the commit
    /// broadcast, merging appends, and, as quorumsim's
    /// Raft draws its entries per append, a third of the seeds ship one entry per append and
    /// a third a few, and a third allow one append in flight and a third a few. A valid base
    /// gives a valid section.
    fn swarm(base: &RaftRsSection, draw: &mut SwarmDraw<'_>) -> RaftRsSection {
        let defaults = Ticks::of(base);
        // raft-rs's range excludes its maximum; range_within's includes it.
        let (min, max_inclusive) = draw.range_within(defaults.min, defaults.max - 1);
        let heartbeat_tick = draw.half_to_all(defaults.heartbeat);
        let rng = draw.rng();
        let mut flag = |set: Option<bool>| Some(set.unwrap_or_else(|| rng.below(2) == 0));
        let pre_vote = flag(base.pre_vote);
        let check_quorum = flag(base.check_quorum);
        let skip_bcast_commit = flag(base.skip_bcast_commit);
        let batch_append = flag(base.batch_append);
        let read_only_option = base.read_only_option.or_else(|| {
            let lease = check_quorum == Some(true) && rng.below(2) == 0;
            Some(if lease {
                ReadOnly::LeaseBased
            } else {
                ReadOnly::Safe
            })
        });
        let max_size_per_msg_bytes = base.max_size_per_msg_bytes.or_else(|| match rng.below(3) {
            0 => Some(0),
            1 => Some(rng.range_inclusive(64, 256)),
            _ => None,
        });
        let max_inflight_msgs = base.max_inflight_msgs.or_else(|| match rng.below(3) {
            0 => Some(1),
            1 => Some(rng.range_inclusive(2, 8)),
            _ => None,
        });
        RaftRsSection {
            tick_interval_ms: base.tick_interval_ms,
            election_tick: Some(defaults.election),
            heartbeat_tick: Some(heartbeat_tick),
            min_election_tick: Some(min),
            max_election_tick: Some(max_inclusive + 1),
            pre_vote,
            check_quorum,
            read_only_option,
            max_size_per_msg_bytes,
            max_inflight_msgs,
            skip_bcast_commit,
            batch_append,
            keep_timer_on_refused_vote: base.keep_timer_on_refused_vote,
        }
    }

    fn options(section: &RaftRsSection) -> Vec<(&'static str, bool)> {
        vec![
            ("pre_vote", section.pre_vote == Some(true)),
            ("check_quorum", section.check_quorum == Some(true)),
            (
                "lease_based_reads",
                section.read_only_option == Some(ReadOnly::LeaseBased),
            ),
            (
                "one_entry_per_append",
                section.max_size_per_msg_bytes == Some(0),
            ),
            ("one_append_in_flight", section.max_inflight_msgs == Some(1)),
            ("skip_bcast_commit", section.skip_bcast_commit == Some(true)),
            ("batch_append", section.batch_append == Some(true)),
        ]
    }

    /// Only with CheckQuorum and PreVote both on, as for quorumsim's Raft: without
    /// CheckQuorum a leader that hears nobody keeps its followers loyal with heartbeats, and
    /// without PreVote the cut-off node disrupts every election with higher terms.
    fn replaces_deaf_leader(section: &RaftRsSection) -> bool {
        section.check_quorum == Some(true) && section.pre_vote == Some(true)
    }
}

/// A section's tick settings with raft-rs's defaults filled in (`max` excluded).
struct Ticks {
    election: u64,
    heartbeat: u64,
    min: u64,
    max: u64,
}

impl Ticks {
    fn of(section: &RaftRsSection) -> Ticks {
        let defaults = RaftRsConfig::default();
        let election = section
            .election_tick
            .unwrap_or(defaults.election_tick as u64);
        Ticks {
            election,
            heartbeat: section
                .heartbeat_tick
                .unwrap_or(defaults.heartbeat_tick as u64),
            min: section.min_election_tick.unwrap_or(election),
            max: section
                .max_election_tick
                .unwrap_or(election.saturating_mul(2)),
        }
    }
}

/// Checks a section and builds the configuration it describes, with `bug` planted.
pub fn raft_rs_config(
    section: &RaftRsSection,
    bug: Option<RaftRsBug>,
) -> Result<RaftRsConfig, SectionError> {
    let defaults = RaftRsConfig::default();
    let tick_ms = SectionError::check_ms("tick_interval_ms", section.tick_interval_ms)?
        .unwrap_or(defaults.tick_interval_us / US_PER_MS);
    if tick_ms == 0 {
        return Err(SectionError::new("tick_interval_ms", "must be positive"));
    }
    let ticks = Ticks::of(section);
    check_ticks(&ticks, tick_ms)?;
    let check_quorum = section.check_quorum.unwrap_or(defaults.check_quorum);
    let read_only_option = match section.read_only_option {
        None | Some(ReadOnly::Safe) => ReadOnlyOption::Safe,
        Some(ReadOnly::LeaseBased) if check_quorum => ReadOnlyOption::LeaseBased,
        Some(ReadOnly::LeaseBased) => {
            return Err(SectionError::new(
                "read_only_option",
                "\"lease-based\" needs check_quorum (raft-rs refuses it without)",
            ))
        }
    };
    let max_inflight_msgs = section
        .max_inflight_msgs
        .unwrap_or(defaults.max_inflight_msgs as u64);
    if max_inflight_msgs == 0 || max_inflight_msgs > 1 << 20 {
        return Err(SectionError::new(
            "max_inflight_msgs",
            format!("must be between 1 and {}, got {max_inflight_msgs}", 1 << 20),
        ));
    }
    let config = RaftRsConfig {
        tick_interval_us: ms(tick_ms),
        election_tick: ticks.election as usize,
        heartbeat_tick: ticks.heartbeat as usize,
        min_election_tick: ticks.min as usize,
        max_election_tick: ticks.max as usize,
        pre_vote: section.pre_vote.unwrap_or(defaults.pre_vote),
        check_quorum,
        read_only_option,
        max_size_per_msg_bytes: section
            .max_size_per_msg_bytes
            .unwrap_or(defaults.max_size_per_msg_bytes),
        max_inflight_msgs: max_inflight_msgs as usize,
        skip_bcast_commit: section
            .skip_bcast_commit
            .unwrap_or(defaults.skip_bcast_commit),
        batch_append: section.batch_append.unwrap_or(defaults.batch_append),
        keep_timer_on_refused_vote: section
            .keep_timer_on_refused_vote
            .unwrap_or(defaults.keep_timer_on_refused_vote),
        bug,
    };
    // What the checks above do not name, raft-rs's own validation still refuses.
    config
        .raft_config(1)
        .validate()
        .map_err(|error| SectionError::new("", error.to_string()))?;
    Ok(config)
}

/// raft-rs's rules on ticks (heartbeat below election, election at most the timeout's
/// minimum, a non-empty timeout range), and a longest timeout of at most one virtual day.
fn check_ticks(ticks: &Ticks, tick_ms: u64) -> Result<(), SectionError> {
    if ticks.heartbeat == 0 {
        return Err(SectionError::new("heartbeat_tick", "must be positive"));
    }
    if ticks.election <= ticks.heartbeat {
        return Err(SectionError::new(
            "election_tick",
            format!(
                "must be above heartbeat_tick ({}), got {}",
                ticks.heartbeat, ticks.election
            ),
        ));
    }
    if ticks.min < ticks.election {
        return Err(SectionError::new(
            "min_election_tick",
            format!(
                "must be at least election_tick ({}), got {}",
                ticks.election, ticks.min
            ),
        ));
    }
    if ticks.max <= ticks.min {
        return Err(SectionError::new(
            "max_election_tick",
            format!(
                "must be above min_election_tick ({}): the range excludes its maximum, got {}",
                ticks.min, ticks.max
            ),
        ));
    }
    if ticks.max.saturating_mul(tick_ms) > DAY_MS {
        return Err(SectionError::new(
            "max_election_tick",
            format!(
                "{} ticks of {tick_ms} ms is more than one virtual day",
                ticks.max
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use quorumsim::prng::{Prng, Stream};

    use super::*;

    fn parse(text: &str) -> Result<RaftRsSection, String> {
        serde_json::from_str(text).map_err(|error| error.to_string())
    }

    #[test]
    fn an_empty_section_is_the_default_configuration() {
        let section = parse("{}").expect("parses");
        assert_eq!(section, RaftRsSection::default());
        assert_eq!(raft_rs_config(&section, None), Ok(RaftRsConfig::default()));
        assert_eq!(serde_json::to_string(&section).unwrap(), "{}");
    }

    #[test]
    fn a_full_section_round_trips_and_configures() {
        let text = r#"{"tick_interval_ms":5,"election_tick":12,"heartbeat_tick":3,"min_election_tick":14,"max_election_tick":20,"pre_vote":true,"check_quorum":true,"read_only_option":"lease-based","max_size_per_msg_bytes":0,"max_inflight_msgs":1,"skip_bcast_commit":true,"batch_append":true,"keep_timer_on_refused_vote":true}"#;
        let section = parse(text).expect("parses");
        assert_eq!(serde_json::to_string(&section).unwrap(), text);
        let config = raft_rs_config(&section, Some(RaftRsBug::IgnoreLightReady)).expect("valid");
        assert_eq!(config.tick_interval_us, 5_000);
        assert_eq!((config.election_tick, config.heartbeat_tick), (12, 3));
        assert_eq!(
            (config.min_election_tick, config.max_election_tick),
            (14, 20)
        );
        assert!(config.pre_vote && config.check_quorum);
        assert_eq!(config.read_only_option, ReadOnlyOption::LeaseBased);
        assert_eq!(config.max_size_per_msg_bytes, 0);
        assert_eq!(config.max_inflight_msgs, 1);
        assert!(config.skip_bcast_commit && config.batch_append);
        assert!(config.keep_timer_on_refused_vote);
        assert_eq!(config.bug, Some(RaftRsBug::IgnoreLightReady));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let error = parse(r#"{"election_timeout_ms_min":100}"#).unwrap_err();
        assert!(error.contains("unknown field"), "{error}");
        let error = parse(r#"{"read_only_option":"fast"}"#).unwrap_err();
        assert!(error.contains("unknown variant"), "{error}");
    }

    #[test]
    fn each_bad_setting_is_named_with_its_reason() {
        let with = |edit: fn(&mut RaftRsSection)| {
            let mut section = RaftRsSection::default();
            edit(&mut section);
            section
        };
        let cases: [(RaftRsSection, &str, &str); 8] = [
            (
                with(|s| s.tick_interval_ms = Some(0)),
                "tick_interval_ms",
                "must be positive",
            ),
            (
                with(|s| s.tick_interval_ms = Some(86_400_001)),
                "tick_interval_ms",
                "one virtual day",
            ),
            (
                with(|s| s.heartbeat_tick = Some(0)),
                "heartbeat_tick",
                "must be positive",
            ),
            (
                with(|s| s.heartbeat_tick = Some(15)),
                "election_tick",
                "must be above heartbeat_tick (15)",
            ),
            (
                with(|s| s.min_election_tick = Some(14)),
                "min_election_tick",
                "at least election_tick (15)",
            ),
            (
                with(|s| s.max_election_tick = Some(15)),
                "max_election_tick",
                "excludes its maximum",
            ),
            (
                with(|s| s.read_only_option = Some(ReadOnly::LeaseBased)),
                "read_only_option",
                "needs check_quorum",
            ),
            (
                with(|s| s.max_inflight_msgs = Some(0)),
                "max_inflight_msgs",
                "between 1 and",
            ),
        ];
        for (section, field, reason) in cases {
            let error = raft_rs_config(&section, None).unwrap_err();
            assert_eq!(error.field, field, "{error}");
            assert!(error.reason.contains(reason), "{error}");
        }
    }

    #[test]
    fn swarm_draws_stay_inside_the_base_and_validate() {
        let base = RaftRsSection {
            election_tick: Some(10),
            heartbeat_tick: Some(4),
            min_election_tick: Some(10),
            max_election_tick: Some(41),
            ..RaftRsSection::default()
        };
        let mut rng = Prng::new(7, Stream::Custom(1));
        let mut draw = |base: &RaftRsSection| {
            let mut draw = SwarmDraw::new(&mut rng, 5, 5_000, true);
            RaftRsNode::swarm(base, &mut draw)
        };
        let mut options = std::collections::BTreeMap::new();
        for _ in 0..600 {
            let drawn = draw(&base);
            let config = raft_rs_config(&drawn, None).expect("a valid base draws valid sections");
            let (min, max) = (config.min_election_tick, config.max_election_tick);
            assert!((10..=25).contains(&min), "{drawn:?}");
            assert!(max - 1 - min >= 15 && max <= 41, "{drawn:?}");
            assert!((2..=4).contains(&config.heartbeat_tick), "{drawn:?}");
            for (name, on) in RaftRsNode::options(&drawn) {
                *options.entry(name).or_insert(0) += u32::from(on);
            }
        }
        // Every switch is drawn both ways.
        for (name, on_count) in options {
            assert!((50..550).contains(&on_count), "{name}: {on_count}");
        }
        // A base that sets the switches keeps them.
        let fixed = RaftRsSection {
            pre_vote: Some(false),
            check_quorum: Some(true),
            read_only_option: Some(ReadOnly::Safe),
            max_size_per_msg_bytes: Some(7),
            max_inflight_msgs: Some(3),
            ..RaftRsSection::default()
        };
        for _ in 0..50 {
            let drawn = draw(&fixed);
            assert_eq!(drawn.pre_vote, Some(false));
            assert_eq!(drawn.check_quorum, Some(true));
            assert_eq!(drawn.read_only_option, Some(ReadOnly::Safe));
            assert_eq!(drawn.max_size_per_msg_bytes, Some(7));
            assert_eq!(drawn.max_inflight_msgs, Some(3));
            assert!(!RaftRsNode::replaces_deaf_leader(&drawn));
            assert!(raft_rs_config(&drawn, None).is_ok());
        }
    }
}
