//! A second, naive checker for `--paranoid` runs: the same generic invariants as
//! [`super::Checker`], written again without its shortcuts, to catch a bug in the fast one.
//!
//! It keeps the whole history in plain form — every node's log as a vector of (term, digest),
//! a copy of a log each time entries leave it, every leader claim, every vote, every commit and
//! apply report — and after each observation re-derives the verdict of every invariant by
//! scanning that history from the start, entry by entry. There are no prefix hashes and no
//! "first seen" tables, and it shares no code with the incremental checker beyond the invariant
//! names. Cost is O(history) per observation, so it is for checking the checker only.
//!
//! The one narrowing: log matching compares the observing node's log with every other log
//! (live or retired) rather than every pair, because two logs that did not change cannot start
//! to disagree.

use std::collections::BTreeMap;

use super::{names, Violation};
use crate::protocol::{NodeId, Observation};

/// An entry as the checkers see it: (term, payload digest).
type Entry = (u64, u64);

/// A node that became leader, with its log and the cluster's commit reports at that moment.
#[derive(Clone, Debug)]
struct Election {
    node: NodeId,
    term: u64,
    log: Vec<Entry>,
    /// How many commit reports existed when it was elected.
    commit_reports_before: usize,
}

/// One `Committed` or `Applied` report.
#[derive(Clone, Copy, Debug)]
struct Report {
    node: NodeId,
    index: u64,
    /// (term, digest) for commits; (state digest, 0) for applies.
    value: Entry,
    /// The first report from this node since it restarted.
    first_after_restart: bool,
    /// Commits: what the node's log held at `index` then (None: nothing, or the node never
    /// reports its log). Applies: the node's highest reported commit then, if it reports any.
    context: Option<Entry>,
}

/// A write that the leader append-only rule forbids, seen while rebuilding the logs.
#[derive(Clone, Copy, Debug)]
struct Rewrite {
    node: NodeId,
    term: u64,
    index: u64,
}

/// The paranoid checker's checkpoint of one node's durable state.
#[derive(Clone, Debug)]
pub struct ParanoidGhost {
    log: Vec<Entry>,
    /// How many votes of this node were recorded: a count of its own, since other nodes'
    /// lost votes may leave the list between the checkpoint and the crash.
    own_votes_recorded: usize,
}

#[derive(Debug)]
pub struct ParanoidChecker {
    logs: Vec<Vec<Entry>>,
    /// Logs as they were just before entries were removed or overwritten: every entry that
    /// ever existed is in a live log or in one of these, with the prefix it had.
    retired_logs: Vec<(NodeId, Vec<Entry>)>,
    reports_log: Vec<bool>,
    /// Writes past the end of a log + 1: (node, index, length).
    holes: Vec<(NodeId, u64, u64)>,
    rewrites: Vec<Rewrite>,
    /// Per node, the term it currently claims to lead, following the same claim rules as the
    /// incremental checker (cleared by stepping down, following, or crashing).
    leading: Vec<Option<u64>>,
    elections: Vec<Election>,
    votes: Vec<(NodeId, u64, NodeId)>,
    commits: Vec<Report>,
    applies: Vec<Report>,
    /// Per node, whether its next commit / apply report is the first since a restart.
    restarted_commits: Vec<bool>,
    restarted_applies: Vec<bool>,
}

impl ParanoidChecker {
    pub fn new(node_count: u16) -> ParanoidChecker {
        let nodes = usize::from(node_count);
        ParanoidChecker {
            logs: vec![Vec::new(); nodes],
            retired_logs: Vec::new(),
            reports_log: vec![false; nodes],
            holes: Vec::new(),
            rewrites: Vec::new(),
            leading: vec![None; nodes],
            elections: Vec::new(),
            votes: Vec::new(),
            commits: Vec::new(),
            applies: Vec::new(),
            restarted_commits: vec![false; nodes],
            restarted_applies: vec![false; nodes],
        }
    }

    /// Records one observation, then re-checks every invariant from scratch. Earlier steps
    /// passed, so whatever breaks now broke with this observation; the order below is the one
    /// in which the incremental checker reports two invariants broken by one observation
    /// (election safety before leader completeness, leader append-only before log matching).
    pub fn observe(&mut self, node: NodeId, observation: &Observation) -> Result<(), Violation> {
        self.record(node, observation);
        self.check_election_safety()?;
        self.check_leader_completeness()?;
        self.check_vote_once_per_term()?;
        self.check_leader_append_only()?;
        self.check_log_matching(node)?;
        self.check_committed_prefix_agreement()?;
        self.check_state_machine_safety()
    }

    /// A crash keeps the durable log and votes; it ends any leadership claim, and the next
    /// commit and apply reports may start over from index 1.
    pub fn on_crash(&mut self, node: NodeId) {
        self.leading[node.index()] = None;
        self.restarted_commits[node.index()] = true;
        self.restarted_applies[node.index()] = true;
    }

    /// `node`'s log and how many votes were recorded, for a checkpoint of what its disk
    /// holds (see `Checker::durable_ghost`).
    pub fn durable_ghost(&self, node: NodeId) -> ParanoidGhost {
        ParanoidGhost {
            log: self.logs[node.index()].clone(),
            own_votes_recorded: self
                .votes
                .iter()
                .filter(|&&(voter, ..)| voter == node)
                .count(),
        }
    }

    /// Writes lost in a crash: `node`'s log as the checkpoint had it, and its votes recorded
    /// since forgotten.
    pub fn restore_durable_ghost(&mut self, node: NodeId, ghost: ParanoidGhost) {
        self.logs[node.index()] = ghost.log;
        let mut own_votes = 0;
        self.votes.retain(|&(voter, ..)| {
            if voter != node {
                return true;
            }
            own_votes += 1;
            own_votes <= ghost.own_votes_recorded
        });
    }

    fn record(&mut self, node: NodeId, observation: &Observation) {
        let at = node.index();
        match *observation {
            Observation::BecameLeader { term } => {
                self.leading[at] = Some(term);
                self.elections.push(Election {
                    node,
                    term,
                    log: self.logs[at].clone(),
                    commit_reports_before: self.commits.len(),
                });
            }
            Observation::SteppedDown { term } => {
                if self.leading[at] == Some(term) {
                    self.leading[at] = None;
                }
            }
            Observation::Following { .. } => self.leading[at] = None,
            // Follower claims are not part of what this checker re-derives.
            Observation::StoppedFollowing { .. } => {}
            Observation::Voted { term, candidate } => self.votes.push((node, term, candidate)),
            Observation::LogAppended {
                index,
                term,
                digest,
            } => self.record_append(node, index, (term, digest)),
            Observation::LogTruncated { from_index } => {
                let length = self.logs[at].len() as u64;
                if from_index <= length {
                    if let Some(term) = self.leading[at] {
                        self.rewrites.push(Rewrite {
                            node,
                            term,
                            index: from_index,
                        });
                    }
                    self.retire_log(node);
                    self.logs[at].truncate(from_index.saturating_sub(1) as usize);
                }
            }
            Observation::Committed {
                index,
                term,
                digest,
            } => {
                let held = if self.reports_log[at] {
                    self.logs[at].get((index as usize).wrapping_sub(1)).copied()
                } else {
                    Some((term, digest)) // a protocol without a log: nothing to compare
                };
                self.commits.push(Report {
                    node,
                    index,
                    value: (term, digest),
                    first_after_restart: std::mem::take(&mut self.restarted_commits[at]),
                    context: held,
                });
            }
            Observation::Applied {
                index,
                state_digest,
            } => {
                let committed = self
                    .commits
                    .iter()
                    .rev()
                    .find(|report| report.node == node)
                    .map(|report| (report.index, 0));
                self.applies.push(Report {
                    node,
                    index,
                    value: (state_digest, 0),
                    first_after_restart: std::mem::take(&mut self.restarted_applies[at]),
                    context: committed,
                });
            }
        }
    }

    fn record_append(&mut self, node: NodeId, index: u64, entry: Entry) {
        let at = node.index();
        self.reports_log[at] = true;
        let length = self.logs[at].len() as u64;
        if index == 0 || index > length + 1 {
            self.holes.push((node, index, length));
            return;
        }
        if index <= length {
            if let Some(term) = self.leading[at] {
                self.rewrites.push(Rewrite { node, term, index });
            }
            self.retire_log(node);
            self.logs[at].truncate(index as usize - 1);
        }
        self.logs[at].push(entry);
    }

    fn retire_log(&mut self, node: NodeId) {
        self.retired_logs
            .push((node, self.logs[node.index()].clone()));
    }

    /// Every pair of leader claims: the same term must mean the same node.
    fn check_election_safety(&self) -> Result<(), Violation> {
        for (position, first) in self.elections.iter().enumerate() {
            for second in &self.elections[position + 1..] {
                if first.term == second.term && first.node != second.node {
                    return Err(Violation::new(
                        names::ELECTION_SAFETY,
                        vec![first.node, second.node],
                        format!(
                            "paranoid: {} and {} both became leader of term {}",
                            first.node, second.node, first.term
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every election: the leader's log then held every entry committed before it in a lower
    /// term, where an index's committed entry is the first one reported for it, and the term
    /// it was committed in is the highest term of the elections recorded before that report.
    fn check_leader_completeness(&self) -> Result<(), Violation> {
        // The highest election term recorded before each commit report (elections are kept in
        // the order they happened, so their report counts never decrease).
        let mut commit_term_at = Vec::with_capacity(self.commits.len());
        let mut high = 0;
        let mut next_election = 0;
        for position in 0..self.commits.len() {
            while let Some(earlier) = self.elections.get(next_election) {
                if earlier.commit_reports_before > position {
                    break;
                }
                high = high.max(earlier.term);
                next_election += 1;
            }
            commit_term_at.push(high);
        }
        for election in &self.elections {
            let mut committed: BTreeMap<u64, (Entry, u64)> = BTreeMap::new();
            for (position, report) in self.commits[..election.commit_reports_before]
                .iter()
                .enumerate()
            {
                committed
                    .entry(report.index)
                    .or_insert((report.value, commit_term_at[position]));
            }
            for (&index, (entry, commit_term)) in &committed {
                if *commit_term >= election.term {
                    continue;
                }
                let held = election.log.get((index as usize).wrapping_sub(1));
                if held != Some(entry) {
                    return Err(Violation::new(
                        names::LEADER_COMPLETENESS,
                        vec![election.node],
                        format!(
                            "paranoid: {} became leader of term {} without committed entry {}",
                            election.node, election.term, index
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every pair of votes by one node, in order: never two candidates in one term, never a
    /// vote in a term below one it already voted in.
    fn check_vote_once_per_term(&self) -> Result<(), Violation> {
        for (position, &(node, term, candidate)) in self.votes.iter().enumerate() {
            for &(later_node, later_term, later_candidate) in &self.votes[position + 1..] {
                let twice = later_term == term && later_candidate != candidate;
                if later_node == node && (twice || later_term < term) {
                    return Err(Violation::new(
                        names::VOTE_ONCE_PER_TERM,
                        vec![node, candidate, later_candidate],
                        format!(
                            "paranoid: {node} voted for {candidate} in term {term}, then for \
                             {later_candidate} in term {later_term}"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_leader_append_only(&self) -> Result<(), Violation> {
        match self.rewrites.first() {
            None => Ok(()),
            Some(rewrite) => Err(Violation::new(
                names::LEADER_APPEND_ONLY,
                vec![rewrite.node],
                format!(
                    "paranoid: {}, leader of term {}, rewrote its log at index {}",
                    rewrite.node, rewrite.term, rewrite.index
                ),
            )),
        }
    }

    /// No holes; and `node`'s log agrees, entry by entry, with every other log that exists or
    /// ever existed, below any index where both hold an entry of the same term.
    fn check_log_matching(&self, node: NodeId) -> Result<(), Violation> {
        if let Some(&(holed, index, length)) = self.holes.first() {
            return Err(Violation::new(
                names::LOG_MATCHING,
                vec![holed],
                format!("paranoid: {holed} wrote index {index} into a log of length {length}"),
            ));
        }
        let log = &self.logs[node.index()];
        let live = self
            .logs
            .iter()
            .enumerate()
            .map(|(index, other)| (NodeId(index as u16), other));
        let retired = self
            .retired_logs
            .iter()
            .map(|(other_node, other)| (*other_node, other));
        for (other_node, other) in live.chain(retired) {
            if let Some(index) = first_log_matching_break(log, other) {
                return Err(Violation::new(
                    names::LOG_MATCHING,
                    vec![other_node, node],
                    format!(
                        "paranoid: {node} and a log of {other_node} hold the same term at index \
                         {index} but differ before it"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Commit reports: each node's in index order with no gaps (a restarted node may start
    /// over at any index up to the next); all reports of one index name the same entry; and a
    /// node that reports its log held the entry it reported.
    fn check_committed_prefix_agreement(&self) -> Result<(), Violation> {
        if let Some(report) = first_out_of_order(&self.commits) {
            return Err(Violation::new(
                names::COMMITTED_PREFIX_AGREEMENT,
                vec![report.node],
                format!(
                    "paranoid: {} reported index {} committed out of order",
                    report.node, report.index
                ),
            ));
        }
        if let Some((first, second)) = first_disagreement(&self.commits) {
            return Err(Violation::new(
                names::COMMITTED_PREFIX_AGREEMENT,
                vec![first.node, second.node],
                format!(
                    "paranoid: {} and {} committed different entries at index {}",
                    first.node, second.node, first.index
                ),
            ));
        }
        for report in &self.commits {
            if report.context != Some(report.value) {
                return Err(Violation::new(
                    names::COMMITTED_PREFIX_AGREEMENT,
                    vec![report.node],
                    format!(
                        "paranoid: {} committed index {} without holding that entry",
                        report.node, report.index
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Apply reports: in order per node, never past the node's own commits (when it reports
    /// any), and the same state after the same index everywhere.
    fn check_state_machine_safety(&self) -> Result<(), Violation> {
        let out_of_order = first_out_of_order(&self.applies);
        let past_commit = self.applies.iter().find(|report| {
            report
                .context
                .is_some_and(|(committed, _)| report.index > committed)
        });
        let disagreement = first_disagreement(&self.applies).map(|(_, second)| second);
        match out_of_order.or(past_commit).or(disagreement) {
            None => Ok(()),
            Some(report) => Err(Violation::new(
                names::STATE_MACHINE_SAFETY,
                vec![report.node],
                format!(
                    "paranoid: {} applied index {} out of order, past its commits, or to a \
                     different state",
                    report.node, report.index
                ),
            )),
        }
    }
}

/// The verdict of a paranoid step: the incremental checker's when both agree on whether an
/// invariant broke and which, otherwise a `checker-disagreement` naming both verdicts.
pub fn paranoid_verdict(
    incremental: Result<(), Violation>,
    paranoid: Result<(), Violation>,
) -> Result<(), Violation> {
    let name = |verdict: &Result<(), Violation>| match verdict {
        Ok(()) => "no violation",
        Err(violation) => violation.invariant,
    };
    let (incremental_name, paranoid_name) = (name(&incremental), name(&paranoid));
    if incremental_name == paranoid_name {
        return incremental;
    }
    let mut nodes = Vec::new();
    for violation in [&incremental, &paranoid]
        .into_iter()
        .filter_map(|v| v.as_ref().err())
    {
        nodes.extend(violation.nodes.iter().copied());
    }
    nodes.sort_unstable();
    nodes.dedup();
    Err(Violation::new(
        names::CHECKER_DISAGREEMENT,
        nodes,
        format!("the incremental checker found {incremental_name}, the paranoid checker found {paranoid_name}"),
    ))
}

/// The first index at which `a` and `b` hold entries of the same term but differ at or below
/// it, comparing every index both hold.
fn first_log_matching_break(a: &[Entry], b: &[Entry]) -> Option<u64> {
    let common = a.len().min(b.len());
    // The highest index where both hold the same term: everything up to it must be equal.
    let last_same_term = (0..common).rev().find(|&i| a[i].0 == b[i].0)?;
    (0..=last_same_term)
        .find(|&i| a[i] != b[i])
        .map(|_| last_same_term as u64 + 1)
}

/// The first report that does not follow its node's previous report in order.
fn first_out_of_order(reports: &[Report]) -> Option<&Report> {
    let mut previous: BTreeMap<NodeId, u64> = BTreeMap::new();
    reports.iter().find(|report| {
        let last = previous.insert(report.node, report.index).unwrap_or(0);
        let in_order = if report.first_after_restart {
            (1..=last + 1).contains(&report.index)
        } else {
            report.index == last + 1
        };
        !in_order
    })
}

/// The first report whose value differs from the first report of the same index.
fn first_disagreement(reports: &[Report]) -> Option<(&Report, &Report)> {
    let mut first_by_index: BTreeMap<u64, &Report> = BTreeMap::new();
    reports.iter().find_map(|report| {
        let first = *first_by_index.entry(report.index).or_insert(report);
        (first.value != report.value).then_some((first, report))
    })
}

#[cfg(test)]
mod tests;
