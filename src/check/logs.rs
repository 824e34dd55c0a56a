//! A shadow of each node's durable log, as (term, digest, prefix-chain-hash) per index, for
//! log matching, leader append-only and leader completeness.

use std::collections::BTreeMap;
use std::hash::Hasher;

use super::commits::CommittedEntry;
use super::{names, Violation};
use crate::hash::StableHasher;
use crate::protocol::NodeId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct GhostEntry {
    term: u64,
    digest: u64,
    /// Hash of every (term, digest) up to and including this entry.
    prefix_chain: u64,
}

/// The first entry seen for one (index, term) anywhere in the cluster, and who held it.
#[derive(Clone, Copy, Debug)]
struct FirstSeen {
    term: u64,
    digest: u64,
    /// The holder's prefix chain just before this entry.
    previous_chain: u64,
    prefix_chain: u64,
    node: NodeId,
}

impl FirstSeen {
    /// A slot whose entry was forgotten: no term matches it, so the next entry seen at its
    /// index is first again.
    const FORGOTTEN: FirstSeen = FirstSeen {
        term: u64::MAX,
        digest: 0,
        previous_chain: 0,
        prefix_chain: 0,
        node: NodeId(u16::MAX),
    };
}

/// One node's shadow log.
#[derive(Clone, Debug, Default)]
pub struct NodeLog {
    entries: Vec<GhostEntry>,
    /// Whether the node has ever reported a log write (protocols without logs never do).
    reports_log: bool,
}

#[derive(Debug)]
pub struct GhostLogs {
    nodes: Vec<NodeLog>,
    /// Per index (position = index - 1), the first entry seen there. Almost every index sees
    /// one term, so that one sits in a flat vector: finding it is an index, not a search, and
    /// no index allocates.
    first_seen_by_index: Vec<FirstSeen>,
    /// The first entry seen for each further term at an index, by (index, term): only where a
    /// leader replaced entries that never committed.
    first_seen_other_terms: BTreeMap<(u64, u64), FirstSeen>,
}

impl GhostLogs {
    pub fn new(node_count: u16) -> GhostLogs {
        GhostLogs {
            nodes: vec![NodeLog::default(); usize::from(node_count)],
            first_seen_by_index: Vec::new(),
            first_seen_other_terms: BTreeMap::new(),
        }
    }

    /// `leading_term` is the term `node` leads, if any: a leader may only append.
    pub fn on_appended(
        &mut self,
        node: NodeId,
        leading_term: Option<u64>,
        index: u64,
        term: u64,
        digest: u64,
    ) -> Result<(), Violation> {
        let log = &mut self.nodes[node.index()];
        log.reports_log = true;
        let length = log.entries.len() as u64;
        if index == 0 || index > length + 1 {
            return Err(hole(node, index, length));
        }
        if index <= length {
            if let Some(leading) = leading_term {
                return Err(leader_rewrote(node, leading, index));
            }
            log.entries.truncate(index as usize - 1);
        }
        let previous_chain = log.entries.last().map_or(0, |entry| entry.prefix_chain);
        let position = index as usize - 1;
        let first = match self.first_seen_by_index.get(position) {
            Some(first) if first.term == term => Some(*first),
            Some(_) => self.first_seen_other_terms.get(&(index, term)).copied(),
            None => None,
        };
        let prefix_chain = match first {
            // The logs match through this entry exactly when the entries match and so do the
            // prefixes before them: comparing those is the chain comparison without hashing,
            // and the first holder's chain is this log's chain too.
            Some(first) => {
                if first.digest != digest || first.previous_chain != previous_chain {
                    return Err(logs_differ(first.node, node, term, index));
                }
                first.prefix_chain
            }
            None => {
                let prefix_chain = extend_chain(previous_chain, term, digest);
                let first = FirstSeen {
                    term,
                    digest,
                    previous_chain,
                    prefix_chain,
                    node,
                };
                // No hole in a node's log, so an index is new cluster-wide only right past
                // the end.
                if position == self.first_seen_by_index.len() {
                    self.first_seen_by_index.push(first);
                } else {
                    self.first_seen_other_terms.insert((index, term), first);
                }
                prefix_chain
            }
        };
        log.entries.push(GhostEntry {
            term,
            digest,
            prefix_chain,
        });
        Ok(())
    }

    /// `node`'s shadow log, for a checkpoint of what its disk holds.
    pub fn node_log(&self, node: NodeId) -> NodeLog {
        self.nodes[node.index()].clone()
    }

    /// Puts back `node`'s shadow log as a checkpoint had it (writes lost in a crash). An
    /// entry `node` was the first to hold and no longer holds existed nowhere else (what it
    /// sent after writing it never left), so it is forgotten too: a leader that restarts in
    /// its own term (as a view-based protocol's primary may) can put another entry there.
    pub fn restore_node_log(&mut self, node: NodeId, log: NodeLog) {
        let holds = |index: u64, first: &FirstSeen| {
            log.entries
                .get(index as usize - 1)
                .is_some_and(|entry| entry.term == first.term && entry.digest == first.digest)
        };
        for (position, first) in self.first_seen_by_index.iter_mut().enumerate() {
            if first.node == node && !holds(position as u64 + 1, first) {
                *first = FirstSeen::FORGOTTEN;
            }
        }
        while self
            .first_seen_by_index
            .last()
            .is_some_and(|first| first.term == FirstSeen::FORGOTTEN.term)
        {
            self.first_seen_by_index.pop();
        }
        self.first_seen_other_terms
            .retain(|&(index, _), first| first.node != node || holds(index, first));
        self.nodes[node.index()] = log;
    }

    pub fn on_truncated(
        &mut self,
        node: NodeId,
        leading_term: Option<u64>,
        from_index: u64,
    ) -> Result<(), Violation> {
        let log = &mut self.nodes[node.index()].entries;
        let keep = from_index.saturating_sub(1) as usize;
        if keep >= log.len() {
            return Ok(());
        }
        if let Some(leading) = leading_term {
            return Err(leader_rewrote(node, leading, from_index));
        }
        log.truncate(keep);
        Ok(())
    }

    /// The new leader's log must hold every committed entry. O(1): the leader's prefix chain
    /// at the committed length must equal the committed prefix's chain; the scan for the first
    /// difference runs only to describe a violation.
    pub fn check_leader_completeness(
        &self,
        node: NodeId,
        term: u64,
        committed: &[CommittedEntry],
    ) -> Result<(), Violation> {
        let Some(expected) = committed.last() else {
            return Ok(());
        };
        let log = &self.nodes[node.index()].entries;
        let held_chain = log.get(committed.len() - 1).map(|entry| entry.prefix_chain);
        if held_chain == Some(expected.prefix_chain) {
            return Ok(());
        }
        let position = committed
            .iter()
            .map(|entry| (entry.term, entry.digest))
            .zip(
                log.iter()
                    .map(|entry| (entry.term, entry.digest))
                    .chain(std::iter::repeat((0, 0))),
            )
            .position(|(want, held)| want != held)
            .unwrap_or(committed.len() - 1);
        let index = position as u64 + 1;
        let committed_term = committed[position].term;
        let what = match log.get(position) {
            Some(entry) => format!("it holds an entry of term {} there", entry.term),
            None => format!("its log ends at index {}", log.len()),
        };
        Err(Violation::cold(
            names::LEADER_COMPLETENESS,
            &[node],
            format_args!(
                "{node} became leader of term {term} without committed entry {index} \
                 (term {committed_term}): {what}"
            ),
        ))
    }

    /// A node that reports its log may only commit an entry it holds.
    pub fn check_committed_entry_held(
        &self,
        node: NodeId,
        index: u64,
        term: u64,
        digest: u64,
    ) -> Result<(), Violation> {
        let log = &self.nodes[node.index()];
        if !log.reports_log {
            return Ok(()); // a protocol without log observations: nothing to compare
        }
        let held = log
            .entries
            .get(index as usize - 1)
            .map(|entry| (entry.term, entry.digest));
        if held == Some((term, digest)) {
            return Ok(());
        }
        Err(commit_not_held(node, index, term))
    }
}

/// The prefix chain after appending the entry `(term, digest)` to a prefix whose chain is
/// `previous` (0 for the empty prefix). The committed prefix uses the same formula, so the two
/// compare. One pass over the three words with one finalisation: every mixing step is a
/// bijection in the word it takes and the finaliser is a bijection, so two prefixes collide
/// only as often as a 64-bit hash must; hashing the entry first and chaining that would pay
/// for two finalisations on every append.
pub(super) fn extend_chain(previous: u64, term: u64, digest: u64) -> u64 {
    let mut hasher = StableHasher::default();
    hasher.write_u64(previous);
    hasher.write_u64(term);
    hasher.write_u64(digest);
    hasher.finish()
}

#[cold]
fn hole(node: NodeId, index: u64, length: u64) -> Violation {
    Violation::cold(
        names::LOG_MATCHING,
        &[node],
        format_args!("{node} wrote index {index} into a log of length {length}, leaving a hole"),
    )
}

#[cold]
fn logs_differ(first_node: NodeId, node: NodeId, term: u64, index: u64) -> Violation {
    Violation::cold(
        names::LOG_MATCHING,
        &[first_node, node],
        format_args!(
            "{first_node} and {node} both hold an entry of term {term} at index {index}, \
             but their logs differ at or before it"
        ),
    )
}

#[cold]
fn commit_not_held(node: NodeId, index: u64, term: u64) -> Violation {
    Violation::cold(
        names::COMMITTED_PREFIX_AGREEMENT,
        &[node],
        format_args!(
            "{node} reported index {index} (term {term}) committed but does not hold that entry"
        ),
    )
}

#[cold]
fn leader_rewrote(node: NodeId, term: u64, index: u64) -> Violation {
    Violation::cold(
        names::LEADER_APPEND_ONLY,
        &[node],
        format_args!(
            "{node}, leader of term {term}, overwrote or deleted its entry at index {index}"
        ),
    )
}
