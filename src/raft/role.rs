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
    pub next_index: Vec<u64>,
    pub match_index: Vec<u64>,
    pub recently_active: NodeSet,
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
