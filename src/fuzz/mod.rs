//! Seed campaigns: each seed derives a whole run from a base scenario ([`swarm`]), campaigns
//! spread seeds over cores and shards ([`campaign`]), record what they find as they go
//! ([`ledger`]) and sum up ([`summary`]); failures replay byte for byte ([`replay`]) and
//! shrink to minimal scenarios ([`shrink`]).

pub mod campaign;
#[cfg(feature = "cli")]
mod charts;
pub mod coverage;
pub mod ledger;
pub mod replay;
#[cfg(feature = "cli")]
pub mod report;
pub mod shrink;
pub mod summary;
pub mod swarm;

pub use campaign::{
    builtin_executor, parse_time_budget, run_campaign, Campaign, Executor, Progress, Shard,
};
pub use summary::{merge, CampaignSummary, FailureRecord};

use crate::scenario::file::{ProtocolName, ScenarioFile};

/// What the command line chooses about the base scenario before generation.
#[derive(Clone, Debug)]
pub struct Choices {
    pub protocol: ProtocolName,
    /// A deliberately broken variant to run (`--bug`), replacing any the base names.
    pub bug: Option<String>,
}

/// The base scenario bundled for each protocol.
pub fn default_base(protocol: ProtocolName) -> (&'static str, &'static str) {
    match protocol {
        ProtocolName::Raft => (
            "scenarios/fuzz/raft-base.json",
            include_str!("../../scenarios/fuzz/raft-base.json"),
        ),
        ProtocolName::Fle => (
            "scenarios/fuzz/fle-base.json",
            include_str!("../../scenarios/fuzz/fle-base.json"),
        ),
    }
}

/// Applies the command line's choices to the base scenario; the one place they meet it.
/// Errors are the reason alone, for a one-line message.
pub fn apply_choices(mut base: ScenarioFile, choices: &Choices) -> Result<ScenarioFile, String> {
    if base.protocol != choices.protocol {
        return Err(format!(
            "the base scenario is for protocol {}, not {}",
            swarm::protocol_label(base.protocol),
            swarm::protocol_label(choices.protocol)
        ));
    }
    // A base file's own expected end (a regression file used as a base) is not the
    // generated runs' business.
    base.expect.violation = None;
    base.expect.trace_hash = None;
    if let Some(name) = &choices.bug {
        crate::scenario::set_file_bug(&mut base, name)?;
    }
    Ok(base)
}
