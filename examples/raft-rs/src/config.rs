//! The adapter's configuration (timing in ticks, raft-rs's own switches) and the deliberately
//! broken ways of handling a `Ready` that the checkers must catch.

use raft::ReadOnlyOption;

/// Static parameters shared by every node of a raft-rs cluster: how often the simulator ticks
/// each `RawNode`, and the `raft::Config` fields a scenario may set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RaftRsConfig {
    /// One `RawNode::tick` every this long. Each node's first tick falls at a phase drawn from
    /// its own stream, so the nodes' tick clocks are not aligned.
    pub tick_interval_us: u64,
    /// `raft::Config::election_tick`: a leader's CheckQuorum period and a follower's lease.
    pub election_tick: usize,
    /// `raft::Config::heartbeat_tick`.
    pub heartbeat_tick: usize,
    /// The randomized election timeout lies in `min_election_tick..max_election_tick` (ticks,
    /// upper bound excluded, as raft-rs draws it).
    pub min_election_tick: usize,
    pub max_election_tick: usize,
    pub pre_vote: bool,
    pub check_quorum: bool,
    pub read_only_option: ReadOnlyOption,
    /// `raft::Config::max_size_per_msg`: 0 ships one entry per append.
    pub max_size_per_msg_bytes: u64,
    /// `raft::Config::max_inflight_msgs`.
    pub max_inflight_msgs: usize,
    /// `raft::Config::skip_bcast_commit`: a leader does not send an append just to tell
    /// followers of a new commit index (they learn it with the next append or heartbeat).
    pub skip_bcast_commit: bool,
    /// `raft::Config::batch_append`: appends to one follower queued in one `Ready` merge.
    pub batch_append: bool,
    /// An experiment, not a raft-rs setting: a node that refuses a higher-term vote request
    /// keeps its election timer running, as Raft's Figure 2 says, instead of restarting it
    /// as raft-rs does (tikv/raft-rs#14). Off unless a scenario turns it on; never drawn.
    pub keep_timer_on_refused_vote: bool,
    /// A deliberately broken variant, to show the checkers catch it; `None` is correct use.
    pub bug: Option<RaftRsBug>,
}

impl RaftRsConfig {
    /// Whether this configuration runs the deliberately broken variant `bug`.
    pub fn has_bug(&self, bug: RaftRsBug) -> bool {
        self.bug == Some(bug)
    }

    /// The `raft::Config` of node `raft_id` (1-based, as raft-rs requires). `applied` is 0 on
    /// every boot: the key-value store is volatile, so a restarted node applies its committed
    /// log again from the start.
    pub fn raft_config(&self, raft_id: u64) -> raft::Config {
        raft::Config {
            id: raft_id,
            election_tick: self.election_tick,
            heartbeat_tick: self.heartbeat_tick,
            min_election_tick: self.min_election_tick,
            max_election_tick: self.max_election_tick,
            pre_vote: self.pre_vote,
            check_quorum: self.check_quorum,
            read_only_option: self.read_only_option,
            max_size_per_msg: self.max_size_per_msg_bytes,
            max_inflight_msgs: self.max_inflight_msgs,
            skip_bcast_commit: self.skip_bcast_commit,
            batch_append: self.batch_append,
            applied: 0,
            ..raft::Config::default()
        }
    }
}

/// raft-rs's own defaults (`raft::Config::default()`) for its switches; the timing is
/// quorumsim Raft's (150-300 ms elections, 50 ms heartbeats) in ticks of 10 ms, where raft-rs
/// leaves the tick length to the application.
impl Default for RaftRsConfig {
    fn default() -> Self {
        RaftRsConfig {
            tick_interval_us: 10_000,
            election_tick: 15,
            heartbeat_tick: 5,
            min_election_tick: 15,
            max_election_tick: 30,
            pre_vote: false,
            check_quorum: false,
            read_only_option: ReadOnlyOption::Safe,
            max_size_per_msg_bytes: 1024 * 1024,
            max_inflight_msgs: 256,
            skip_bcast_commit: false,
            batch_append: false,
            keep_timer_on_refused_vote: false,
            bug: None,
        }
    }
}

/// The classic ways an application gets raft-rs's `Ready` wrong. Each is one narrow deviation
/// from the documented handling, made where the correct step lives (grep for
/// `has_bug(RaftRsBug::…)`). The library itself is never changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RaftRsBug {
    /// Messages leave before the hard state is on disk: the write is queued and reaches the
    /// disk at the node's next tick. A crash in between forgets a vote the candidate already
    /// holds in its memory.
    SendBeforePersist,
    /// Entries are applied to the store as soon as they are persisted, before raft-rs hands
    /// them over as committed.
    ApplyBeforeCommit,
    /// The log is persisted but the hard state (term, vote, commit) never is: a restarted
    /// node is back in term 0 with no vote.
    EntriesWithoutHardState,
    /// The `LightReady` that `advance` returns is dropped: its committed entries are never
    /// applied (and its messages never sent), as in code written for raft-rs 0.6, whose
    /// `advance` returned nothing.
    IgnoreLightReady,
}

impl RaftRsBug {
    pub const ALL: [RaftRsBug; 4] = [
        RaftRsBug::SendBeforePersist,
        RaftRsBug::ApplyBeforeCommit,
        RaftRsBug::EntriesWithoutHardState,
        RaftRsBug::IgnoreLightReady,
    ];

    /// The kebab-case name used in scenario files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            RaftRsBug::SendBeforePersist => "send-before-persist",
            RaftRsBug::ApplyBeforeCommit => "apply-before-commit",
            RaftRsBug::EntriesWithoutHardState => "entries-without-hard-state",
            RaftRsBug::IgnoreLightReady => "ignore-light-ready",
        }
    }

    /// One line saying what is wrong, for listings.
    pub fn description(self) -> &'static str {
        match self {
            RaftRsBug::SendBeforePersist => {
                "sends a Ready's messages before its hard state is on disk (written at the next tick)"
            }
            RaftRsBug::ApplyBeforeCommit => {
                "applies entries when they are persisted, before raft-rs hands them over as committed"
            }
            RaftRsBug::EntriesWithoutHardState => {
                "persists the log but never the hard state (term, vote, commit)"
            }
            RaftRsBug::IgnoreLightReady => {
                "drops the LightReady that advance returns (its committed entries and messages)"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use quorumsim::protocol::BugVariant;

    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        for bug in RaftRsBug::ALL {
            assert_eq!(RaftRsBug::from_name(bug.name()), Some(bug));
            assert!(!bug.description().is_empty());
        }
        let mut names: Vec<&str> = RaftRsBug::ALL.iter().map(|bug| bug.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RaftRsBug::ALL.len());
    }

    #[test]
    fn the_default_is_correct_use_and_a_valid_raft_config() {
        let config = RaftRsConfig::default();
        assert_eq!(config.bug, None);
        let raft = config.raft_config(3);
        assert_eq!(raft.id, 3);
        assert_eq!(
            (raft.min_election_tick(), raft.max_election_tick()),
            (15, 30)
        );
        raft.validate().expect("the defaults are valid");
    }
}
