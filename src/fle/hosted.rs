//! FastLeaderElection as the tools host it: its scenario section (`"fle": { … }`), its broken
//! variants, and how a fuzz seed draws its timings within a base scenario's bounds.

use serde::{Deserialize, Serialize};

use super::{names, FleBug, FleConfig, FleNode};
use crate::protocol::{BugVariant, BundledScenario, Hosted, SectionError, SwarmDraw};
use crate::time::{ms, US_PER_MS};

/// Longest start-up history a node may be given.
pub const INITIAL_HISTORY_MAX: u64 = 100_000;

/// The `fle` section of a scenario file; every timing in ms, every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FleSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalize_wait_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_timeout_ms_initial: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_timeout_ms_max: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_interval_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_timeout_ms: Option<u64>,
    /// Per node, how many entries of one common history it starts with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_history_lengths: Option<Vec<u64>>,
}

impl BugVariant for FleBug {
    const ALL: &'static [FleBug] = &FleBug::ALL;

    fn name(self) -> &'static str {
        FleBug::name(self)
    }

    fn summary(self) -> &'static str {
        match self {
            FleBug::ZxidBeforeEpoch => "the ZOOKEEPER-1419-era vote order, which is not total",
            FleBug::IgnoreRound => "notifications counted whatever their election round",
            FleBug::NoCheckLeader => {
                "a late joiner follows or leads on out-of-election votes without checkLeader \
                 (ZOOKEEPER-975 class)"
            }
            FleBug::NoFinalizeWait => {
                "decides on the first quorum, skipping a better vote about to arrive"
            }
            FleBug::AcceptedEpochNotPersisted => "the accepted epoch forgotten at a restart",
        }
    }
}

impl Hosted for FleNode {
    type Section = FleSection;
    type Bug = FleBug;

    const INVARIANTS: &'static [&'static str] = &[
        names::LEADER_QUORUM_DOMINANCE,
        names::FINALIZE_CATCHES_BETTER_VOTE,
        names::DECISION_BASIS,
        names::COMMITTED_ZXID_INCREASING,
        names::COMMIT_WITHIN_HISTORY,
    ];

    const FUZZ_BASE: Option<BundledScenario> = Some(BundledScenario {
        path: "scenarios/fuzz/fle-base.json",
        text: include_str!("../../scenarios/fuzz/fle-base.json"),
    });

    fn configure(
        section: &FleSection,
        bug: Option<FleBug>,
        node_count: u16,
    ) -> Result<FleConfig, SectionError> {
        let defaults = FleConfig::default();
        let timing =
            |field: &str, value: Option<u64>, default_us: u64| match SectionError::check_ms(
                field, value,
            )? {
                Some(0) => Err(SectionError::new(field, "must be positive")),
                Some(value_ms) => Ok(ms(value_ms)),
                None => Ok(default_us),
            };
        let config = FleConfig {
            finalize_wait_us: timing(
                "finalize_wait_ms",
                section.finalize_wait_ms,
                defaults.finalize_wait_us,
            )?,
            notification_timeout_us_initial: timing(
                "notification_timeout_ms_initial",
                section.notification_timeout_ms_initial,
                defaults.notification_timeout_us_initial,
            )?,
            notification_timeout_us_max: timing(
                "notification_timeout_ms_max",
                section.notification_timeout_ms_max,
                defaults.notification_timeout_us_max,
            )?,
            ping_interval_us: timing(
                "ping_interval_ms",
                section.ping_interval_ms,
                defaults.ping_interval_us,
            )?,
            sync_timeout_us: timing(
                "sync_timeout_ms",
                section.sync_timeout_ms,
                defaults.sync_timeout_us,
            )?,
            init_timeout_us: timing(
                "init_timeout_ms",
                section.init_timeout_ms,
                defaults.init_timeout_us,
            )?,
            initial_history_lengths: section.initial_history_lengths.clone().unwrap_or_default(),
            bug,
        };
        check_timings(&config)?;
        check_histories(&config.initial_history_lengths, node_count)?;
        Ok(config)
    }

    /// Each timing drawn between half the base's (or the default's) and all of it, so seeds
    /// explore short finalize waits and tight sync limits; start-up histories are left out.
    /// With a workload, half the seeds hold it back until the heal, so the whole safety phase
    /// is idle. Idle epochs are where FLE's vote order is tested hardest: elections then move
    /// the epoch while every last zxid stays equal, so only the epoch tells an up-to-date
    /// server from a stale one (the ZOOKEEPER-1419 case), which continuous load almost never
    /// produces.
    fn swarm(base: &FleSection, draw: &mut SwarmDraw<'_>) -> FleSection {
        let defaults = FleConfig::default();
        let mut upto = |value: Option<u64>, default_us: u64| {
            Some(draw.half_to_all(value.unwrap_or(default_us / US_PER_MS).max(1)))
        };
        let finalize_wait_ms = upto(base.finalize_wait_ms, defaults.finalize_wait_us);
        let notification_timeout_ms_initial = upto(
            base.notification_timeout_ms_initial,
            defaults.notification_timeout_us_initial,
        );
        let ping_interval_ms = upto(base.ping_interval_ms, defaults.ping_interval_us);
        // The sync limit stays above two ping intervals, or a healthy follower looks dead.
        let sync_timeout_ms = upto(base.sync_timeout_ms, defaults.sync_timeout_us)
            .map(|sync| sync.max(2 * ping_interval_ms.unwrap_or(1) + 1));
        if draw.has_workload() && draw.rng().below(2) == 0 {
            draw.hold_workload_until_heal();
        }
        FleSection {
            finalize_wait_ms,
            notification_timeout_ms_initial,
            notification_timeout_ms_max: base.notification_timeout_ms_max,
            ping_interval_ms,
            sync_timeout_ms,
            init_timeout_ms: base.init_timeout_ms,
            initial_history_lengths: None,
        }
    }
}

fn check_timings(config: &FleConfig) -> Result<(), SectionError> {
    if config.notification_timeout_us_max < config.notification_timeout_us_initial {
        return Err(SectionError::new(
            "notification_timeout_ms_max",
            "is below notification_timeout_ms_initial",
        ));
    }
    if config.ping_interval_us >= config.sync_timeout_us {
        return Err(SectionError::new(
            "ping_interval_ms",
            "must be below sync_timeout_ms, or every follower would time out between pings",
        ));
    }
    if config.sync_timeout_us > config.init_timeout_us {
        return Err(SectionError::new(
            "init_timeout_ms",
            "must be at least sync_timeout_ms",
        ));
    }
    Ok(())
}

fn check_histories(lengths: &[u64], node_count: u16) -> Result<(), SectionError> {
    if !lengths.is_empty() && lengths.len() != usize::from(node_count) {
        return Err(SectionError::new(
            "initial_history_lengths",
            format!(
                "has {} entries for {node_count} nodes; give one per node",
                lengths.len()
            ),
        ));
    }
    if let Some(index) = lengths
        .iter()
        .position(|&length| length > INITIAL_HISTORY_MAX)
    {
        return Err(SectionError::new(
            format!("initial_history_lengths[{index}]"),
            format!(
                "must be at most {INITIAL_HISTORY_MAX}, got {}",
                lengths[index]
            ),
        ));
    }
    Ok(())
}
