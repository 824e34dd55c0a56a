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
    /// A deliberately broken variant, to show the checkers catch it; `None` is correct Raft.
    pub bug: Option<RaftBug>,
}

impl RaftConfig {
    /// Whether this configuration runs the deliberately broken variant `bug`.
    pub fn has_bug(&self, bug: RaftBug) -> bool {
        self.bug == Some(bug)
    }
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
            bug: None,
        }
    }
}

/// Deliberately broken variants of Raft. Each is one narrow deviation from the paper, made at
/// the place the correct rule lives (grep for `has_bug(RaftBug::…)`), so that a test can show
/// the checkers catch it. A checker that never fires proves nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RaftBug {
    /// A leader commits an entry of an earlier term once a majority stores it (the Raft paper's
    /// Figure 8 problem; §5.4.2 forbids it).
    Figure8Commit,
    /// votedFor is not persisted before the vote is granted: a restart forgets it.
    VoteNotPersisted,
    /// currentTerm is not persisted: a restart forgets it (and with it, that the vote it
    /// still holds was cast in that term).
    TermNotPersisted,
    /// AppendEntries is accepted without checking prevLogTerm (§5.3's consistency check);
    /// only a missing entry at prevLogIndex is still refused, since a log cannot have holes.
    AppendWithoutLogMatching,
    /// AppendEntries replaces everything after prevLogIndex with its entries, so a stale or
    /// reordered request truncates entries that match (Figure 2, AppendEntries rule 3 says to
    /// delete only on a conflict).
    TruncateOnStaleAppend,
    /// Votes and pre-votes are granted without §5.4.1's up-to-date check.
    VoteWithoutUpToDate,
    /// With CheckQuorum on, a leader never steps down when it stops hearing from a majority,
    /// so a leader cut off from its followers' replies keeps them loyal forever (a liveness
    /// failure; without CheckQuorum this variant is the same as correct Raft).
    LeaderNeverStepsDown,
    /// A voter sends its grant before it writes votedFor. With an instant disk the order is
    /// invisible; with writes that take time, a crash between the reply and the write forgets
    /// a vote the candidate already counted (Figure 2: respond after persisting).
    ReplyBeforePersist,
}

impl RaftBug {
    pub const ALL: [RaftBug; 8] = [
        RaftBug::Figure8Commit,
        RaftBug::VoteNotPersisted,
        RaftBug::TermNotPersisted,
        RaftBug::AppendWithoutLogMatching,
        RaftBug::TruncateOnStaleAppend,
        RaftBug::VoteWithoutUpToDate,
        RaftBug::LeaderNeverStepsDown,
        RaftBug::ReplyBeforePersist,
    ];

    /// The kebab-case name used in scenario files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            RaftBug::Figure8Commit => "figure-8-commit",
            RaftBug::VoteNotPersisted => "vote-not-persisted",
            RaftBug::TermNotPersisted => "term-not-persisted",
            RaftBug::AppendWithoutLogMatching => "append-without-log-matching",
            RaftBug::TruncateOnStaleAppend => "truncate-on-stale-append",
            RaftBug::VoteWithoutUpToDate => "vote-without-up-to-date",
            RaftBug::LeaderNeverStepsDown => "leader-never-steps-down",
            RaftBug::ReplyBeforePersist => "reply-before-persist",
        }
    }

    /// The bug called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<RaftBug> {
        RaftBug::ALL.into_iter().find(|bug| bug.name() == name)
    }

    /// Every name, comma-separated, for error messages.
    pub fn names() -> String {
        let names: Vec<&str> = RaftBug::ALL.iter().map(|bug| bug.name()).collect();
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        for bug in RaftBug::ALL {
            assert_eq!(RaftBug::from_name(bug.name()), Some(bug));
        }
        let mut names: Vec<&str> = RaftBug::ALL.iter().map(|bug| bug.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RaftBug::ALL.len());
        assert_eq!(RaftBug::from_name("figure-8"), None);
    }

    #[test]
    fn correct_raft_is_the_default() {
        assert_eq!(RaftConfig::default().bug, None);
        assert!(!RaftConfig::default().has_bug(RaftBug::Figure8Commit));
    }
}
