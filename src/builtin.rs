//! The protocols quorumsim ships, registered the way a user registers their own.

use crate::fle::FleNode;
use crate::raft::RaftNode;
use crate::registry::Registry;

impl Registry {
    /// Raft and FastLeaderElection: what the `quorumsim` binary knows. A user's binary starts
    /// from this and adds its own protocols with [`Registry::with`].
    pub fn builtin() -> Registry {
        Registry::empty().with::<RaftNode>().with::<FleNode>()
    }
}
