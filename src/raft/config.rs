//! Raft's timing parameters and feature switches.

/// Static parameters shared by every node of a Raft cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RaftConfig {
    /// Election timeouts are drawn uniformly from `min..=max` (Raft §5.2).
    pub election_timeout_us_min: u64,
    pub election_timeout_us_max: u64,
    /// A leader sends AppendEntries to every follower at least this often.
    pub heartbeat_interval_us: u64,
    /// Run a pre-vote round before incrementing the term (dissertation §9.6), so a node that
    /// was partitioned away cannot disrupt a working leader when it returns.
    pub pre_vote: bool,
    /// A leader that has not heard from a majority within an election timeout steps down;
    /// followers that heard from a leader that recently ignore vote requests (dissertation
    /// §6.2, etcd's CheckQuorum).
    pub check_quorum: bool,
    /// Upper bound on entries in one AppendEntries.
    pub max_entries_per_append: u64,
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            election_timeout_us_min: 150_000,
            election_timeout_us_max: 300_000,
            heartbeat_interval_us: 50_000,
            pre_vote: true,
            check_quorum: true,
            max_entries_per_append: 64,
        }
    }
}
