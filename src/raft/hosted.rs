//! Raft as the tools host it: its scenario section (`"raft": { … }`), its broken variants, and
//! how a fuzz seed draws its timings and switches within a base scenario's bounds.

use serde::{Deserialize, Serialize};

use super::{RaftBug, RaftConfig, RaftNode};
use crate::protocol::{BugVariant, BundledScenario, Hosted, SectionError, SwarmDraw};
use crate::time::{ms, US_PER_MS};

/// The `raft` section of a scenario file; every timing in ms, every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RaftSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election_timeout_ms_min: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election_timeout_ms_max: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_interval_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_vote: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_quorum: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_entries_per_append: Option<u64>,
}

impl BugVariant for RaftBug {
    const ALL: &'static [RaftBug] = &RaftBug::ALL;

    fn name(self) -> &'static str {
        RaftBug::name(self)
    }

    fn summary(self) -> &'static str {
        match self {
            RaftBug::Figure8Commit => {
                "commits an earlier term's entry by counting replicas (the paper's Figure 8)"
            }
            RaftBug::VoteNotPersisted => "votedFor forgotten at a restart",
            RaftBug::TermNotPersisted => "currentTerm forgotten at a restart",
            RaftBug::AppendWithoutLogMatching => {
                "AppendEntries accepted without the prevLogTerm check"
            }
            RaftBug::TruncateOnStaleAppend => {
                "truncates on a stale or reordered AppendEntries even when the entries match"
            }
            RaftBug::VoteWithoutUpToDate => "grants votes without the up-to-date check",
            RaftBug::LeaderNeverStepsDown => {
                "a leader that ignores CheckQuorum (a liveness failure under an asymmetric partition)"
            }
            RaftBug::ReplyBeforePersist => {
                "grants a vote before writing votedFor (seen only with writes that take time)"
            }
        }
    }
}

impl Hosted for RaftNode {
    type Section = RaftSection;
    type Bug = RaftBug;

    const INVARIANTS: &'static [&'static str] =
        &["raft-commit-within-log", "raft-apply-within-commit"];

    const FUZZ_BASE: Option<BundledScenario> = Some(BundledScenario {
        path: "scenarios/fuzz/raft-base.json",
        text: include_str!("../../scenarios/fuzz/raft-base.json"),
    });

    fn configure(
        section: &RaftSection,
        bug: Option<RaftBug>,
        _node_count: u16,
    ) -> Result<RaftConfig, SectionError> {
        let defaults = RaftConfig::default();
        let timeout_ms_min =
            SectionError::check_ms("election_timeout_ms_min", section.election_timeout_ms_min)?
                .unwrap_or(defaults.election_timeout_us_min / US_PER_MS);
        let timeout_ms_max =
            SectionError::check_ms("election_timeout_ms_max", section.election_timeout_ms_max)?
                .unwrap_or(defaults.election_timeout_us_max / US_PER_MS);
        let heartbeat_ms =
            SectionError::check_ms("heartbeat_interval_ms", section.heartbeat_interval_ms)?
                .unwrap_or(defaults.heartbeat_interval_us / US_PER_MS);
        if timeout_ms_min == 0 {
            return Err(SectionError::new(
                "election_timeout_ms_min",
                "must be positive",
            ));
        }
        if timeout_ms_max < timeout_ms_min {
            return Err(SectionError::new(
                "election_timeout_ms_max",
                format!("{timeout_ms_max} is below election_timeout_ms_min {timeout_ms_min}"),
            ));
        }
        if heartbeat_ms == 0 || heartbeat_ms >= timeout_ms_min {
            return Err(SectionError::new(
                "heartbeat_interval_ms",
                format!(
                    "must be positive and below election_timeout_ms_min ({timeout_ms_min}), got {heartbeat_ms}"
                ),
            ));
        }
        let max_entries = section
            .max_entries_per_append
            .unwrap_or(defaults.max_entries_per_append);
        if max_entries == 0 {
            return Err(SectionError::new(
                "max_entries_per_append",
                "must be positive",
            ));
        }
        Ok(RaftConfig {
            election_timeout_us_min: ms(timeout_ms_min),
            election_timeout_us_max: ms(timeout_ms_max),
            heartbeat_interval_us: ms(heartbeat_ms),
            pre_vote: section.pre_vote.unwrap_or(defaults.pre_vote),
            check_quorum: section.check_quorum.unwrap_or(defaults.check_quorum),
            max_entries_per_append: max_entries,
            bug,
        })
    }

    /// Election timeouts drawn inside the base's range, keeping at least half its spread (a
    /// narrow spread against tens of ms of latency livelocks elections by design, which is
    /// not news); the heartbeat between half the base's and all of it; PreVote and
    /// CheckQuorum kept when the base sets them, drawn when it does not; and, when the base
    /// leaves it out, `max_entries_per_append`: a third of the seeds ship one entry per
    /// AppendEntries and a third a few, so a leader catching a follower up holds old-term
    /// entries on a majority for many round trips before its own no-op follows (the window
    /// the paper's Figure 8 needs).
    fn swarm(base: &RaftSection, draw: &mut SwarmDraw<'_>) -> RaftSection {
        let (timeout_min, timeout_max) = draw.range_within(
            base.election_timeout_ms_min.unwrap_or(150),
            base.election_timeout_ms_max.unwrap_or(300),
        );
        let heartbeat_max = base
            .heartbeat_interval_ms
            .unwrap_or(50)
            .min(timeout_min.saturating_sub(1))
            .max(1);
        let heartbeat = draw.half_to_all(heartbeat_max);
        let rng = draw.rng();
        let mut flag = |set: Option<bool>| Some(set.unwrap_or_else(|| rng.below(2) == 0));
        let pre_vote = flag(base.pre_vote);
        let check_quorum = flag(base.check_quorum);
        let max_entries_per_append = base.max_entries_per_append.or_else(|| match rng.below(3) {
            0 => Some(1),
            1 => Some(rng.range_inclusive(2, 8)),
            _ => None,
        });
        RaftSection {
            election_timeout_ms_min: Some(timeout_min),
            election_timeout_ms_max: Some(timeout_max),
            heartbeat_interval_ms: Some(heartbeat),
            pre_vote,
            check_quorum,
            max_entries_per_append,
        }
    }

    fn options(section: &RaftSection) -> Vec<(&'static str, bool)> {
        vec![
            ("pre_vote", section.pre_vote == Some(true)),
            ("check_quorum", section.check_quorum == Some(true)),
        ]
    }

    /// Only with CheckQuorum and PreVote both on. Without CheckQuorum a leader that hears no
    /// one keeps its followers loyal with heartbeats, by design; without PreVote the cut
    /// node, often holding the longest log, wins votes it never hears and bumps the term on
    /// every timeout, which stalls correct Raft too.
    fn replaces_deaf_leader(section: &RaftSection) -> bool {
        section.check_quorum == Some(true) && section.pre_vote == Some(true)
    }
}
