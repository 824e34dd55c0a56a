//! Experiments: many independent seeded runs built in code, summarised into reports/.
//!
//! - [`election_downtime`]: Raft paper §9.3, Figure 16 — time from a leader crash until the
//!   survivors hear a new leader, for a range of election timeout settings.
//! - [`election_downtime_fle`]: the same experiment for FastLeaderElection, over its
//!   failure-detection and election waits (it has no randomized timeout to vary).
//! - [`bug_detection`]: how many fuzz seeds catch each broken variant of any registered
//!   protocol, over independent campaigns.
//! - [`campaign_footprint`]: peak memory and ledger size of fuzz campaigns over huge seed
//!   ranges under a time budget.
//!
//! The Raft experiment is generic over an [`ElectionProtocol`], a protocol whose setting is a
//! randomized timeout range. FLE's settings are not a range (a sync timeout, a ping interval
//! and `finalizeWait`), so its experiment has its own setting type
//! ([`election_downtime_fle::FleSetting`]) and shares the cluster, network, give-up horizon,
//! definition of downtime and plot with the Raft one: the protocol-free parts of a trial are
//! in `crash_trial`, the summaries and table cells of both reports in [`stats`].

pub mod bug_detection;
pub mod campaign_footprint;
mod crash_trial;
pub mod election_downtime;
pub mod election_downtime_fle;
mod election_downtime_report;
mod plot;
pub mod stats;

use crate::protocol::Protocol;
use crate::raft::{RaftConfig, RaftNode};

/// An election timeout range in microseconds, `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeoutRange {
    pub min_us: u64,
    pub max_us: u64,
}

impl TimeoutRange {
    /// `150-155`, in milliseconds as the paper writes it.
    pub fn label(self) -> String {
        format!("{}-{}", self.min_us / 1_000, self.max_us / 1_000)
    }
}

/// A protocol that elects leaders with timeouts and keeps them with heartbeats.
pub trait ElectionProtocol {
    type Node: Protocol;
    /// Name used in reports.
    const NAME: &'static str;
    /// The node configuration for an election timeout range.
    fn config(timeouts: TimeoutRange) -> <Self::Node as Protocol>::Config;
    /// The leader's heartbeat period under that configuration.
    fn heartbeat_interval_us(timeouts: TimeoutRange) -> u64;
}

/// Raft as the paper measured it: heartbeats at half the minimum election timeout, and no
/// PreVote or CheckQuorum (the paper's implementation had neither; both change elections).
pub struct PaperRaft;

impl ElectionProtocol for PaperRaft {
    type Node = RaftNode;
    const NAME: &'static str = "raft";

    fn config(timeouts: TimeoutRange) -> RaftConfig {
        RaftConfig {
            election_timeout_us_min: timeouts.min_us,
            election_timeout_us_max: timeouts.max_us,
            heartbeat_interval_us: Self::heartbeat_interval_us(timeouts),
            pre_vote: false,
            check_quorum: false,
            ..RaftConfig::default()
        }
    }

    fn heartbeat_interval_us(timeouts: TimeoutRange) -> u64 {
        (timeouts.min_us / 2).max(1)
    }
}
