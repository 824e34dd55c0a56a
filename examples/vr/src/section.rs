//! VR's section of a scenario file (`"vr": { … }`), its validation into a [`VrConfig`], and
//! the swarm draw a fuzz seed makes inside a base scenario's section.
//!
//! Errors name the field as the file spells it (`vr.heartbeat_interval_ms`) and say why, in
//! the manner of the built-in protocols' sections; nothing here panics on any input.

use quorumsim::prng::Prng;
use quorumsim::time::ms;
use serde::{Deserialize, Serialize};

use crate::config::{VrBug, VrConfig};

/// The section's name in a scenario file.
pub const SECTION: &str = "vr";

/// The longest timing a section may ask for: one virtual day, as for every `*_ms` setting
/// of a scenario, so it converts to microseconds exactly.
pub const TIMING_MS_MAX: u64 = 86_400_000;

/// VR settings as written in a scenario file; every field optional, timings in ms.
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
    /// A deliberately broken variant by name (see [`VrBug`]); absent for correct VR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bug: Option<String>,
}

/// A field of the section that is wrong, as (field path, reason).
pub type Invalid = (String, String);

fn invalid<T>(field: &str, reason: impl Into<String>) -> Result<T, Invalid> {
    Err((format!("{SECTION}.{field}"), reason.into()))
}

/// A timing in ms: at most [`TIMING_MS_MAX`], or the default when absent.
fn timing_ms(field: &str, value: Option<u64>, default_us: u64) -> Result<u64, Invalid> {
    match value {
        Some(value) if value > TIMING_MS_MAX => invalid(
            field,
            format!("must be at most {TIMING_MS_MAX} (one virtual day), got {value}"),
        ),
        Some(value) => Ok(value),
        None => Ok(default_us / 1_000),
    }
}

/// Checks a section and builds the configuration it describes.
pub fn vr_config(section: &VrSection) -> Result<VrConfig, Invalid> {
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
        return invalid("view_change_timeout_ms_min", "must be positive");
    }
    if timeout_ms_max < timeout_ms_min {
        return invalid(
            "view_change_timeout_ms_max",
            format!("{timeout_ms_max} is below view_change_timeout_ms_min {timeout_ms_min}"),
        );
    }
    if heartbeat_ms == 0 || heartbeat_ms >= timeout_ms_min {
        return invalid(
            "heartbeat_interval_ms",
            format!(
                "must be positive and below view_change_timeout_ms_min ({timeout_ms_min}), \
                 got {heartbeat_ms}: backups would start view changes under a live primary"
            ),
        );
    }
    let bug = match section.bug.as_deref() {
        None => None,
        Some(name) => match VrBug::from_name(name) {
            Some(bug) => Some(bug),
            None => {
                return invalid(
                    "bug",
                    format!("unknown VR bug {name:?}; valid names: {}", VrBug::names()),
                )
            }
        },
    };
    Ok(VrConfig {
        view_change_timeout_us_min: ms(timeout_ms_min),
        view_change_timeout_us_max: ms(timeout_ms_max),
        heartbeat_interval_us: ms(heartbeat_ms),
        bug,
    })
}

/// One fuzz seed's section, drawn inside the base's bounds: the view-change timeout range
/// is a sub-range of the base's that keeps at least half its spread (a narrow range against
/// tens of ms of latency livelocks view changes by design, which is not news), and the
/// heartbeat lies between half the base's and all of it, below the drawn minimum timeout.
/// A bug the base names is part of every seed drawn from it. A valid base gives a valid
/// section.
pub fn swarm_section(base: &VrSection, rng: &mut Prng) -> VrSection {
    let defaults = VrConfig::default();
    let lo = base
        .view_change_timeout_ms_min
        .unwrap_or(defaults.view_change_timeout_us_min / 1_000);
    let hi = base
        .view_change_timeout_ms_max
        .unwrap_or(defaults.view_change_timeout_us_max / 1_000)
        .max(lo);
    let half_spread = (hi - lo) / 2;
    let timeout_min = rng.range_inclusive(lo, lo + half_spread);
    let timeout_max = rng.range_inclusive(timeout_min + half_spread, hi);
    let heartbeat_max = base
        .heartbeat_interval_ms
        .unwrap_or(defaults.heartbeat_interval_us / 1_000)
        .min(timeout_min.saturating_sub(1))
        .max(1);
    let heartbeat = rng.range_inclusive(heartbeat_max.div_ceil(2), heartbeat_max);
    VrSection {
        view_change_timeout_ms_min: Some(timeout_min),
        view_change_timeout_ms_max: Some(timeout_max),
        heartbeat_interval_ms: Some(heartbeat),
        bug: base.bug.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quorumsim::prng::Stream;

    fn parse(text: &str) -> Result<VrSection, String> {
        serde_json::from_str(text).map_err(|error| error.to_string())
    }

    #[test]
    fn an_empty_section_is_the_default_configuration() {
        let section = parse("{}").expect("parses");
        assert_eq!(section, VrSection::default());
        assert_eq!(vr_config(&section), Ok(VrConfig::default()));
        assert_eq!(serde_json::to_string(&section).unwrap(), "{}");
    }

    #[test]
    fn a_full_section_round_trips_and_configures() {
        let text = r#"{"view_change_timeout_ms_min":100,"view_change_timeout_ms_max":200,"heartbeat_interval_ms":20,"bug":"keep-own-log"}"#;
        let section = parse(text).expect("parses");
        assert_eq!(serde_json::to_string(&section).unwrap(), text);
        let config = vr_config(&section).expect("valid");
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
        let cases: [(VrSection, &str, &str); 6] = [
            (
                VrSection {
                    view_change_timeout_ms_min: Some(0),
                    ..VrSection::default()
                },
                "vr.view_change_timeout_ms_min",
                "must be positive",
            ),
            (
                VrSection {
                    view_change_timeout_ms_min: Some(TIMING_MS_MAX + 1),
                    ..VrSection::default()
                },
                "vr.view_change_timeout_ms_min",
                "one virtual day",
            ),
            (
                VrSection {
                    view_change_timeout_ms_max: Some(100),
                    ..VrSection::default()
                },
                "vr.view_change_timeout_ms_max",
                "is below view_change_timeout_ms_min 150",
            ),
            (
                VrSection {
                    heartbeat_interval_ms: Some(150),
                    ..VrSection::default()
                },
                "vr.heartbeat_interval_ms",
                "below view_change_timeout_ms_min (150)",
            ),
            (
                VrSection {
                    heartbeat_interval_ms: Some(0),
                    ..VrSection::default()
                },
                "vr.heartbeat_interval_ms",
                "must be positive",
            ),
            (
                VrSection {
                    bug: Some("figure-8-commit".to_string()),
                    ..VrSection::default()
                },
                "vr.bug",
                "valid names: keep-own-log, ",
            ),
        ];
        for (section, field, reason) in cases {
            let (got_field, got_reason) = vr_config(&section).unwrap_err();
            assert_eq!(got_field, field);
            assert!(got_reason.contains(reason), "{got_reason}");
        }
    }

    #[test]
    fn swarm_draws_stay_inside_the_base_and_validate() {
        let base = VrSection {
            view_change_timeout_ms_min: Some(100),
            view_change_timeout_ms_max: Some(400),
            heartbeat_interval_ms: Some(60),
            bug: Some("view-not-persisted".to_string()),
        };
        let mut rng = Prng::new(7, Stream::Custom(1));
        let mut distinct = std::collections::BTreeSet::new();
        for _ in 0..500 {
            let drawn = swarm_section(&base, &mut rng);
            let config = vr_config(&drawn).expect("a valid base draws valid sections");
            let (min, max) = (
                config.view_change_timeout_us_min / 1_000,
                config.view_change_timeout_us_max / 1_000,
            );
            assert!((100..=250).contains(&min), "{drawn:?}");
            assert!(max - min >= 150 && max <= 400, "{drawn:?}");
            let heartbeat = config.heartbeat_interval_us / 1_000;
            assert!((30..=60).contains(&heartbeat), "{drawn:?}");
            assert_eq!(config.bug, Some(VrBug::ViewNotPersisted));
            distinct.insert((min, max, heartbeat));
        }
        assert!(distinct.len() > 100, "draws vary: {}", distinct.len());
        // The defaults are a base too, and a tight one still validates.
        let tight = VrSection {
            view_change_timeout_ms_min: Some(2),
            view_change_timeout_ms_max: Some(2),
            heartbeat_interval_ms: Some(1),
            bug: None,
        };
        for base in [VrSection::default(), tight] {
            for _ in 0..50 {
                assert!(vr_config(&swarm_section(&base, &mut rng)).is_ok());
            }
        }
    }
}
