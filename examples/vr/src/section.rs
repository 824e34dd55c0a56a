//! VR as quorumsim's tools host it: its section of a scenario file (`"vr": { … }`), its
//! validation into a [`VrConfig`], the swarm draw a fuzz seed makes inside a base scenario's
//! section, and the bundled fuzz base. Everything here goes through quorumsim's public
//! `Hosted` trait, as any user's protocol would.

use quorumsim::protocol::{BugVariant, BundledScenario, Hosted, SectionError, SwarmDraw};
use quorumsim::time::{ms, US_PER_MS};
use serde::{Deserialize, Serialize};

use crate::config::{VrBug, VrConfig};
use crate::replica::{VrReplica, COMMIT_WITHIN_LOG, PRIMARY_OF_VIEW, STATUS_MATCHES_VIEWS};

/// VR settings as written in a scenario file; every field optional, timings in ms. The
/// broken variant is the section's `bug` key, which quorumsim reads for every protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct VrSection {
    /// A view change starts after a silence drawn from `min..=max` (default 150..=300).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view_change_timeout_ms_min: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view_change_timeout_ms_max: Option<u64>,
    /// The primary's heartbeat (default 50); below `view_change_timeout_ms_min`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_interval_ms: Option<u64>,
}

impl BugVariant for VrBug {
    const ALL: &'static [VrBug] = &VrBug::ALL;

    fn name(self) -> &'static str {
        VrBug::name(self)
    }

    fn summary(self) -> &'static str {
        self.description()
    }
}

impl Hosted for VrReplica {
    type Section = VrSection;
    type Bug = VrBug;

    const INVARIANTS: &'static [&'static str] =
        &[COMMIT_WITHIN_LOG, STATUS_MATCHES_VIEWS, PRIMARY_OF_VIEW];

    const FUZZ_BASE: Option<BundledScenario> = Some(BundledScenario {
        path: "examples/vr/scenarios/fuzz-base.json",
        text: include_str!("../scenarios/fuzz-base.json"),
    });

    fn configure(
        section: &VrSection,
        bug: Option<VrBug>,
        _node_count: u16,
    ) -> Result<VrConfig, SectionError> {
        vr_config(section, bug)
    }

    /// The view-change timeout range is a sub-range of the base's that keeps at least half
    /// its spread (a narrow range against tens of ms of latency livelocks view changes by
    /// design, which is not news), and the heartbeat lies between half the base's and all of
    /// it, below the drawn minimum timeout. A valid base gives a valid section.
    fn swarm(base: &VrSection, draw: &mut SwarmDraw<'_>) -> VrSection {
        let defaults = VrConfig::default();
        let (timeout_min, timeout_max) = draw.range_within(
            base.view_change_timeout_ms_min
                .unwrap_or(defaults.view_change_timeout_us_min / US_PER_MS),
            base.view_change_timeout_ms_max
                .unwrap_or(defaults.view_change_timeout_us_max / US_PER_MS),
        );
        let heartbeat_max = base
            .heartbeat_interval_ms
            .unwrap_or(defaults.heartbeat_interval_us / US_PER_MS)
            .min(timeout_min.saturating_sub(1))
            .max(1);
        VrSection {
            view_change_timeout_ms_min: Some(timeout_min),
            view_change_timeout_ms_max: Some(timeout_max),
            heartbeat_interval_ms: Some(draw.half_to_all(heartbeat_max)),
        }
    }
}

/// A timing in ms, at most one virtual day, or the default when absent.
fn timing_ms(field: &str, value: Option<u64>, default_us: u64) -> Result<u64, SectionError> {
    Ok(SectionError::check_ms(field, value)?.unwrap_or(default_us / US_PER_MS))
}

/// Checks a section and builds the configuration it describes, with `bug` planted.
pub fn vr_config(section: &VrSection, bug: Option<VrBug>) -> Result<VrConfig, SectionError> {
    let defaults = VrConfig::default();
    let timeout_ms_min = timing_ms(
        "view_change_timeout_ms_min",
        section.view_change_timeout_ms_min,
        defaults.view_change_timeout_us_min,
    )?;
    let timeout_ms_max = timing_ms(
        "view_change_timeout_ms_max",
        section.view_change_timeout_ms_max,
        defaults.view_change_timeout_us_max,
    )?;
    let heartbeat_ms = timing_ms(
        "heartbeat_interval_ms",
        section.heartbeat_interval_ms,
        defaults.heartbeat_interval_us,
    )?;
    if timeout_ms_min == 0 {
        return Err(SectionError::new(
            "view_change_timeout_ms_min",
            "must be positive",
        ));
    }
    if timeout_ms_max < timeout_ms_min {
        return Err(SectionError::new(
            "view_change_timeout_ms_max",
            format!("{timeout_ms_max} is below view_change_timeout_ms_min {timeout_ms_min}"),
        ));
    }
    if heartbeat_ms == 0 || heartbeat_ms >= timeout_ms_min {
        return Err(SectionError::new(
            "heartbeat_interval_ms",
            format!(
                "must be positive and below view_change_timeout_ms_min ({timeout_ms_min}), \
                 got {heartbeat_ms}: backups would start view changes under a live primary"
            ),
        ));
    }
    Ok(VrConfig {
        view_change_timeout_us_min: ms(timeout_ms_min),
        view_change_timeout_us_max: ms(timeout_ms_max),
        heartbeat_interval_us: ms(heartbeat_ms),
        bug,
    })
}

#[cfg(test)]
mod tests {
    use quorumsim::prng::{Prng, Stream};

    use super::*;

    fn parse(text: &str) -> Result<VrSection, String> {
        serde_json::from_str(text).map_err(|error| error.to_string())
    }

    #[test]
    fn an_empty_section_is_the_default_configuration() {
        let section = parse("{}").expect("parses");
        assert_eq!(section, VrSection::default());
        assert_eq!(vr_config(&section, None), Ok(VrConfig::default()));
        assert_eq!(serde_json::to_string(&section).unwrap(), "{}");
    }

    #[test]
    fn a_full_section_round_trips_and_configures() {
        let text = r#"{"view_change_timeout_ms_min":100,"view_change_timeout_ms_max":200,"heartbeat_interval_ms":20}"#;
        let section = parse(text).expect("parses");
        assert_eq!(serde_json::to_string(&section).unwrap(), text);
        let config = vr_config(&section, Some(VrBug::KeepOwnLog)).expect("valid");
        assert_eq!(config.view_change_timeout_us_min, 100_000);
        assert_eq!(config.view_change_timeout_us_max, 200_000);
        assert_eq!(config.heartbeat_interval_us, 20_000);
        assert_eq!(config.bug, Some(VrBug::KeepOwnLog));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let error = parse(r#"{"election_timeout_ms_min":100}"#).unwrap_err();
        assert!(error.contains("unknown field"), "{error}");
    }

    #[test]
    fn each_bad_setting_is_named_with_its_reason() {
        let cases: [(VrSection, &str, &str); 5] = [
            (
                VrSection {
                    view_change_timeout_ms_min: Some(0),
                    ..VrSection::default()
                },
                "view_change_timeout_ms_min",
                "must be positive",
            ),
            (
                VrSection {
                    view_change_timeout_ms_min: Some(86_400_001),
                    ..VrSection::default()
                },
                "view_change_timeout_ms_min",
                "one virtual day",
            ),
            (
                VrSection {
                    view_change_timeout_ms_max: Some(100),
                    ..VrSection::default()
                },
                "view_change_timeout_ms_max",
                "is below view_change_timeout_ms_min 150",
            ),
            (
                VrSection {
                    heartbeat_interval_ms: Some(150),
                    ..VrSection::default()
                },
                "heartbeat_interval_ms",
                "below view_change_timeout_ms_min (150)",
            ),
            (
                VrSection {
                    heartbeat_interval_ms: Some(0),
                    ..VrSection::default()
                },
                "heartbeat_interval_ms",
                "must be positive",
            ),
        ];
        for (section, field, reason) in cases {
            let error = vr_config(&section, None).unwrap_err();
            assert_eq!(error.field, field);
            assert!(error.reason.contains(reason), "{error}");
        }
    }

    #[test]
    fn swarm_draws_stay_inside_the_base_and_validate() {
        let base = VrSection {
            view_change_timeout_ms_min: Some(100),
            view_change_timeout_ms_max: Some(400),
            heartbeat_interval_ms: Some(60),
        };
        let mut rng = Prng::new(7, Stream::Custom(1));
        let mut distinct = std::collections::BTreeSet::new();
        let mut draw = |base: &VrSection| {
            let mut draw = SwarmDraw::new(&mut rng, 5, 5_000, true);
            VrReplica::swarm(base, &mut draw)
        };
        for _ in 0..500 {
            let drawn = draw(&base);
            let config = vr_config(&drawn, None).expect("a valid base draws valid sections");
            let (min, max) = (
                config.view_change_timeout_us_min / 1_000,
                config.view_change_timeout_us_max / 1_000,
            );
            assert!((100..=250).contains(&min), "{drawn:?}");
            assert!(max - min >= 150 && max <= 400, "{drawn:?}");
            let heartbeat = config.heartbeat_interval_us / 1_000;
            assert!((30..=60).contains(&heartbeat), "{drawn:?}");
            distinct.insert((min, max, heartbeat));
        }
        assert!(distinct.len() > 100, "draws vary: {}", distinct.len());
        // The defaults are a base too, and a tight one still validates.
        let tight = VrSection {
            view_change_timeout_ms_min: Some(2),
            view_change_timeout_ms_max: Some(2),
            heartbeat_interval_ms: Some(1),
        };
        for base in [VrSection::default(), tight] {
            for _ in 0..50 {
                assert!(vr_config(&draw(&base), None).is_ok());
            }
        }
    }
}
