//! The cluster-wide committed prefix and applied-state digests.

use super::{names, Violation};
use crate::protocol::NodeId;

#[derive(Debug)]
pub struct Commits {
    /// (term, digest) of each committed index, 1-based index = position + 1, with the node
    /// that committed it first.
    committed: Vec<(u64, u64)>,
    first_committer: Vec<NodeId>,
    /// State digest after each applied index, with the node that applied it first.
    applied: Vec<(u64, NodeId)>,
    /// Per node, how many indexes it has committed / applied in this incarnation.
    committed_len: Vec<u64>,
    applied_len: Vec<u64>,
}

impl Commits {
    pub fn new(node_count: u16) -> Commits {
        let nodes = usize::from(node_count);
        Commits {
            committed: Vec::new(),
            first_committer: Vec::new(),
            applied: Vec::new(),
            committed_len: vec![0; nodes],
            applied_len: vec![0; nodes],
        }
    }

    pub fn committed(&self) -> &[(u64, u64)] {
        &self.committed
    }

    pub fn on_committed(
        &mut self,
        node: NodeId,
        index: u64,
        term: u64,
        digest: u64,
    ) -> Result<(), Violation> {
        let reported = &mut self.committed_len[node.index()];
        if index != *reported + 1 {
            return Err(Violation::new(
                names::COMMITTED_PREFIX_AGREEMENT,
                vec![node],
                format!(
                    "{node} reported index {index} committed right after index {reported}; \
                     a committed sequence only grows, one index at a time"
                ),
            ));
        }
        *reported = index;
        let position = index as usize - 1;
        match self.committed.get(position) {
            None => {
                self.committed.push((term, digest));
                self.first_committer.push(node);
                Ok(())
            }
            Some(&(first_term, first_digest)) if (first_term, first_digest) == (term, digest) => {
                Ok(())
            }
            Some(&(first_term, _)) => {
                let first = self.first_committer[position];
                Err(Violation::new(
                    names::COMMITTED_PREFIX_AGREEMENT,
                    vec![first, node],
                    format!(
                        "index {index} committed as an entry of term {first_term} by {first} \
                         and as a different entry of term {term} by {node}"
                    ),
                ))
            }
        }
    }

    pub fn on_applied(
        &mut self,
        node: NodeId,
        index: u64,
        state_digest: u64,
    ) -> Result<(), Violation> {
        let reported = &mut self.applied_len[node.index()];
        if index != *reported + 1 {
            return Err(Violation::new(
                names::STATE_MACHINE_SAFETY,
                vec![node],
                format!("{node} applied index {index} right after index {reported}; entries apply in order"),
            ));
        }
        *reported = index;
        let position = index as usize - 1;
        match self.applied.get(position) {
            None => {
                self.applied.push((state_digest, node));
                Ok(())
            }
            Some(&(first_digest, _)) if first_digest == state_digest => Ok(()),
            Some(&(first_digest, first)) => Err(Violation::new(
                names::STATE_MACHINE_SAFETY,
                vec![first, node],
                format!(
                    "after applying index {index}, {first} has state {first_digest:016x} \
                     and {node} has state {state_digest:016x}"
                ),
            )),
        }
    }

    pub fn on_crash(&mut self, node: NodeId) {
        self.committed_len[node.index()] = 0;
        self.applied_len[node.index()] = 0;
    }
}
