//! The cluster-wide committed prefix and applied-state digests.

use super::logs::extend_chain;
use super::{names, Violation};
use crate::protocol::NodeId;

/// One index of the cluster-wide committed prefix, in one record: the first report of an
/// index pushes once, and leader completeness reads term, digest and chain together.
#[derive(Clone, Copy, Debug)]
pub struct CommittedEntry {
    pub term: u64,
    pub digest: u64,
    /// Chain hash of the committed prefix up to this index (same formula as the ghost logs'
    /// prefix chains), so a whole prefix compares in O(1).
    pub prefix_chain: u64,
    /// The highest term any leader had claimed when this index was first reported committed:
    /// leaders of higher terms must hold it (leader completeness).
    pub commit_term: u64,
    pub first_committer: NodeId,
}

#[derive(Debug)]
pub struct Commits {
    /// The committed prefix, 1-based index = position + 1.
    committed: Vec<CommittedEntry>,
    /// State digest after each applied index, with the node that applied it first.
    applied: Vec<(u64, NodeId)>,
    nodes: Vec<NodeProgress>,
}

/// What one node has reported. Counts survive a crash: a restarted node may report again
/// from index 1 (Raft relearns its commit index) or carry on where it was (a protocol that
/// persists it), but never skip ahead.
#[derive(Clone, Copy, Debug, Default)]
struct NodeProgress {
    committed_len: u64,
    applied_len: u64,
    restarted_commits: bool,
    restarted_applies: bool,
    reports_commits: bool,
}

impl Commits {
    pub fn new(node_count: u16) -> Commits {
        Commits {
            committed: Vec::new(),
            applied: Vec::new(),
            nodes: vec![NodeProgress::default(); usize::from(node_count)],
        }
    }

    pub fn committed(&self) -> &[CommittedEntry] {
        &self.committed
    }

    /// How many committed entries, from index 1, a leader of `term` must hold: those first
    /// committed while no leader had claimed `term` or a higher one. Commit terms never
    /// decrease along the prefix (the highest leader term only grows, and indexes are first
    /// committed in order), so this is a binary search.
    pub fn owed_to_leader_of(&self, term: u64) -> usize {
        self.committed
            .partition_point(|entry| entry.commit_term < term)
    }

    /// `leader_term_high` is the highest term any leader has claimed so far.
    pub fn on_committed(
        &mut self,
        node: NodeId,
        index: u64,
        term: u64,
        digest: u64,
        leader_term_high: u64,
    ) -> Result<(), Violation> {
        let progress = &mut self.nodes[node.index()];
        progress.reports_commits = true;
        let in_order = reports_next(progress.committed_len, progress.restarted_commits, index);
        if !in_order {
            return Err(commit_out_of_order(node, index, progress.committed_len));
        }
        progress.restarted_commits = false;
        progress.committed_len = index;
        let position = index as usize - 1;
        match self.committed.get(position) {
            None => {
                let previous = self.committed.last().map_or(0, |entry| entry.prefix_chain);
                self.committed.push(CommittedEntry {
                    term,
                    digest,
                    prefix_chain: extend_chain(previous, term, digest),
                    commit_term: leader_term_high,
                    first_committer: node,
                });
                Ok(())
            }
            Some(first) if (first.term, first.digest) == (term, digest) => Ok(()),
            Some(first) => Err(commits_differ(
                first.first_committer,
                first.term,
                node,
                index,
                term,
            )),
        }
    }

    pub fn on_applied(
        &mut self,
        node: NodeId,
        index: u64,
        state_digest: u64,
    ) -> Result<(), Violation> {
        let progress = &mut self.nodes[node.index()];
        let in_order = reports_next(progress.applied_len, progress.restarted_applies, index);
        if !in_order {
            return Err(apply_out_of_order(node, index, progress.applied_len));
        }
        if progress.reports_commits && index > progress.committed_len {
            return Err(applied_uncommitted(node, index, progress.committed_len));
        }
        progress.restarted_applies = false;
        progress.applied_len = index;
        let position = index as usize - 1;
        match self.applied.get(position) {
            None => {
                self.applied.push((state_digest, node));
                Ok(())
            }
            Some(&(first_digest, _)) if first_digest == state_digest => Ok(()),
            Some(&(first_digest, first)) => Err(states_differ(
                first,
                first_digest,
                node,
                index,
                state_digest,
            )),
        }
    }

    pub fn on_crash(&mut self, node: NodeId) {
        let progress = &mut self.nodes[node.index()];
        progress.restarted_commits = true;
        progress.restarted_applies = true;
    }
}

/// Whether `index` may be the next report after `reported_len` reports: exactly the next one,
/// or — first thing after a restart — any index from 1 up to the next one.
fn reports_next(reported_len: u64, restarted: bool, index: u64) -> bool {
    if restarted {
        (1..=reported_len + 1).contains(&index)
    } else {
        index == reported_len + 1
    }
}

// The violations, built out of line from plain values so the checks above keep nothing in
// memory for them.

#[cold]
fn commit_out_of_order(node: NodeId, index: u64, committed_len: u64) -> Violation {
    Violation::cold(
        names::COMMITTED_PREFIX_AGREEMENT,
        &[node],
        format_args!(
            "{node} reported index {index} committed after index {committed_len}: commits are \
             reported once each, in index order, with no gaps"
        ),
    )
}

#[cold]
fn commits_differ(
    first: NodeId,
    first_term: u64,
    node: NodeId,
    index: u64,
    term: u64,
) -> Violation {
    Violation::cold(
        names::COMMITTED_PREFIX_AGREEMENT,
        &[first, node],
        format_args!(
            "index {index} committed as an entry of term {first_term} by {first} \
             and as a different entry of term {term} by {node}"
        ),
    )
}

#[cold]
fn apply_out_of_order(node: NodeId, index: u64, applied_len: u64) -> Violation {
    Violation::cold(
        names::STATE_MACHINE_SAFETY,
        &[node],
        format_args!(
            "{node} applied index {index} after index {applied_len}: entries apply once each, \
             in order"
        ),
    )
}

#[cold]
fn applied_uncommitted(node: NodeId, index: u64, committed_len: u64) -> Violation {
    Violation::cold(
        names::STATE_MACHINE_SAFETY,
        &[node],
        format_args!("{node} applied index {index} but has committed only up to {committed_len}"),
    )
}

#[cold]
fn states_differ(
    first: NodeId,
    first_digest: u64,
    node: NodeId,
    index: u64,
    state_digest: u64,
) -> Violation {
    Violation::cold(
        names::STATE_MACHINE_SAFETY,
        &[first, node],
        format_args!(
            "after applying index {index}, {first} has state {first_digest:016x} \
             and {node} has state {state_digest:016x}"
        ),
    )
}
