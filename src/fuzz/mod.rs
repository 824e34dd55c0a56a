//! Seed campaigns: each seed derives a whole run from a base scenario ([`swarm`]), campaigns
//! spread seeds over cores and shards ([`campaign`], [`shard`]), record what they find as
//! they go ([`ledger`]: finished seeds as a [`frontier`], their counters as [`totals`]) and
//! sum up ([`summary`]); failures replay byte for byte ([`replay`]) and shrink to minimal
//! scenarios ([`shrink`]).

pub mod campaign;
#[cfg(feature = "cli")]
mod charts;
pub mod coverage;
pub mod frontier;
pub mod ledger;
pub mod replay;
#[cfg(feature = "cli")]
pub mod report;
pub mod shard;
pub mod shrink;
pub mod summary;
pub mod swarm;
pub mod totals;

pub use campaign::{
    default_executor, parse_time_budget, run_campaign, Campaign, Executor, Progress, Shard,
};
pub use summary::{merge, CampaignSummary, FailureRecord};

use crate::protocol::BundledScenario;
use crate::registry::Registry;
use crate::scenario::file::ScenarioFile;

/// What the command line chooses about the base scenario before generation.
#[derive(Clone, Debug)]
pub struct Choices {
    /// The protocol to fuzz; `None` takes the base's.
    pub protocol: Option<String>,
    /// A deliberately broken variant to run (`--bug`), replacing any the base names.
    pub bug: Option<String>,
}

/// The base scenario bundled with `protocol`, or a one-line reason there is none.
pub fn default_base(registry: &Registry, protocol: &str) -> Result<BundledScenario, String> {
    registry.lookup(protocol)?.fuzz_base().ok_or_else(|| {
        format!("protocol {protocol} bundles no fuzz base; give one with --scenario FILE")
    })
}

/// Applies the command line's choices to the base scenario; the one place they meet it.
/// Errors are the reason alone, for a one-line message.
pub fn apply_choices(
    registry: &Registry,
    mut base: ScenarioFile,
    choices: &Choices,
) -> Result<ScenarioFile, String> {
    if let Some(protocol) = &choices.protocol {
        if base.protocol != *protocol {
            return Err(format!(
                "the base scenario is for protocol {}, not {protocol}",
                base.protocol
            ));
        }
    }
    // A base file's own expected end (a regression file used as a base) is not the
    // generated runs' business.
    base.expect.violation = None;
    base.expect.trace_hash = None;
    if let Some(name) = &choices.bug {
        crate::scenario::set_file_bug(registry, &mut base, name)?;
    }
    Ok(base)
}
