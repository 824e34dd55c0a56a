//! Raft roles, each with the state only that role has.

/// A set of nodes by index; clusters are small, so a vector of flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSet {
    members: Vec<bool>,
}

impl NodeSet {
    pub fn new(node_count: u16) -> NodeSet {
        NodeSet {
            members: vec![false; usize::from(node_count)],
        }
    }

    pub fn insert(&mut self, index: usize) {
        self.members[index] = true;
    }

    pub fn count(&self) -> usize {
        self.members.iter().filter(|&&member| member).count()
    }
}

#[derive(Clone, Debug)]
pub enum Role {
    Follower,
    /// Collecting pre-votes for `term + 1` without having incremented the term.
    PreCandidate {
        votes: NodeSet,
    },
    Candidate {
        votes: NodeSet,
    },
    Leader(LeaderState),
}

/// Figure 2's "volatile state on leaders", plus CheckQuorum's record of who answered lately.
#[derive(Clone, Debug)]
pub struct LeaderState {
    pub progress: Vec<Progress>,
    pub recently_active: NodeSet,
}

/// What the leader knows of one follower's log (Figure 2's nextIndex and matchIndex), and how
/// it is sending to it, after etcd's progress tracking:
/// - *replicating*: the follower's log is known to match up to `next_index - 1`; entries are
///   sent as soon as they exist and `next_index` advances past them at once (pipelining);
/// - *probing*: after a rejection, one AppendEntries at a time (until it is answered or the
///   next heartbeat), without advancing `next_index`, to find where the logs match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub next_index: u64,
    pub match_index: u64,
    pub probing: bool,
    pub probe_in_flight: bool,
}

impl Progress {
    /// A new leader knows nothing of a follower yet, so it probes from the end of its log.
    pub fn probe_from(next_index: u64) -> Progress {
        Progress {
            next_index,
            match_index: 0,
            probing: true,
            probe_in_flight: false,
        }
    }
}

impl Role {
    pub fn name(&self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::PreCandidate { .. } => "pre-candidate",
            Role::Candidate { .. } => "candidate",
            Role::Leader(_) => "leader",
        }
    }
}
