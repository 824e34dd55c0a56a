//! The paranoid checker fires on crafted histories that break each invariant, stays quiet on
//! the nearest legal ones, and agrees with the incremental checker on all of them.

use super::*;
use crate::check::Checker;
use crate::protocol::Observation::*;

const N0: NodeId = NodeId(0);
const N1: NodeId = NodeId(1);
const N2: NodeId = NodeId(2);

/// One step of a crafted history: an observation, a crash, the checkers' view of a node's
/// durable state kept before a write, or a crash that loses that write (the view goes back
/// to the one kept).
#[derive(Clone, Copy)]
enum Step {
    Saw(NodeId, Observation),
    Crash(NodeId),
    Checkpoint(NodeId),
    CrashLosingWrite(NodeId),
}
use Step::{Checkpoint, Crash, CrashLosingWrite, Saw};

/// Feeds `history` to both checkers; returns the paranoid verdict after checking that the
/// incremental one agrees on it (the same invariant, at the same step).
fn verdict(history: &[Step]) -> Option<&'static str> {
    let mut fast = Checker::new(3);
    let mut paranoid = ParanoidChecker::new(3);
    let mut kept: Vec<Option<_>> = vec![None, None, None];
    for (at, step) in history.iter().enumerate() {
        let (fast_result, paranoid_result) = match *step {
            Checkpoint(node) => {
                kept[node.index()] = Some((fast.durable_ghost(node), paranoid.durable_ghost(node)));
                (Ok(()), Ok(()))
            }
            CrashLosingWrite(node) => {
                let (fast_ghost, paranoid_ghost) = kept[node.index()]
                    .take()
                    .expect("a checkpoint before the lost write");
                fast.on_crash(node);
                paranoid.on_crash(node);
                fast.restore_durable_ghost(node, fast_ghost);
                paranoid.restore_durable_ghost(node, paranoid_ghost);
                (Ok(()), Ok(()))
            }
            Saw(node, observation) => (
                fast.observe(node, &observation, at as u64),
                paranoid.observe(node, &observation),
            ),
            Crash(node) => {
                fast.on_crash(node);
                paranoid.on_crash(node);
                (Ok(()), Ok(()))
            }
        };
        let fast_name = fast_result.err().map(|violation| violation.invariant);
        let paranoid_name = paranoid_result.err().map(|violation| violation.invariant);
        assert_eq!(
            fast_name, paranoid_name,
            "the checkers disagree at step {at}"
        );
        if paranoid_name.is_some() {
            return paranoid_name;
        }
    }
    None
}

fn append(node: NodeId, index: u64, term: u64, digest: u64) -> Step {
    Saw(
        node,
        LogAppended {
            index,
            term,
            digest,
        },
    )
}

fn commit(node: NodeId, index: u64, term: u64, digest: u64) -> Step {
    Saw(
        node,
        Committed {
            index,
            term,
            digest,
        },
    )
}

fn vote(node: NodeId, term: u64, candidate: NodeId) -> Step {
    Saw(node, Voted { term, candidate })
}

#[test]
fn election_safety() {
    let first = Saw(N0, BecameLeader { term: 2 });
    assert_eq!(
        verdict(&[first, Saw(N1, BecameLeader { term: 2 })]),
        Some(names::ELECTION_SAFETY)
    );
    assert_eq!(verdict(&[first, Saw(N1, BecameLeader { term: 3 })]), None);
}

#[test]
fn vote_once_per_term_even_across_a_crash() {
    let first = vote(N0, 4, N1);
    assert_eq!(
        verdict(&[first, Crash(N0), vote(N0, 4, N2)]),
        Some(names::VOTE_ONCE_PER_TERM)
    );
    assert_eq!(
        verdict(&[first, vote(N0, 3, N2)]),
        Some(names::VOTE_ONCE_PER_TERM)
    );
    assert_eq!(verdict(&[first, vote(N0, 4, N1), vote(N0, 5, N2)]), None);
}

#[test]
fn log_matching_against_live_and_retired_logs() {
    // n1 holds index 2 of term 1 on top of a different index 1 than n0.
    let diverged = [
        append(N0, 1, 1, 10),
        append(N0, 2, 1, 20),
        append(N1, 1, 1, 11),
        append(N1, 2, 1, 20),
    ];
    assert_eq!(verdict(&diverged), Some(names::LOG_MATCHING));
    // The same, after n0 dropped its copy: the entry once existed, so it still counts.
    let retired = [
        append(N0, 1, 1, 10),
        append(N0, 2, 1, 20),
        Saw(N0, LogTruncated { from_index: 1 }),
        append(N1, 1, 1, 11),
        append(N1, 2, 1, 20),
    ];
    assert_eq!(verdict(&retired), Some(names::LOG_MATCHING));
    assert_eq!(
        verdict(&[append(N0, 1, 1, 10), append(N0, 3, 1, 30)]),
        Some(names::LOG_MATCHING),
        "a hole"
    );
    let same = [
        append(N0, 1, 1, 10),
        append(N0, 2, 1, 20),
        append(N1, 1, 1, 10),
        append(N1, 2, 1, 20),
        append(N2, 1, 2, 40),
    ];
    assert_eq!(verdict(&same), None);
}

#[test]
fn leader_append_only() {
    let leading = [
        Saw(N0, BecameLeader { term: 1 }),
        append(N0, 1, 1, 10),
        append(N0, 2, 1, 20),
    ];
    let mut overwrite = leading.to_vec();
    overwrite.push(append(N0, 2, 1, 21));
    assert_eq!(verdict(&overwrite), Some(names::LEADER_APPEND_ONLY));
    let mut truncate = leading.to_vec();
    truncate.push(Saw(N0, LogTruncated { from_index: 2 }));
    assert_eq!(verdict(&truncate), Some(names::LEADER_APPEND_ONLY));
    let mut after_stepping_down = leading.to_vec();
    after_stepping_down.push(Saw(N0, SteppedDown { term: 1 }));
    after_stepping_down.push(Saw(N0, LogTruncated { from_index: 2 }));
    assert_eq!(verdict(&after_stepping_down), None);
}

#[test]
fn leader_completeness() {
    let committed = [
        append(N0, 1, 1, 10),
        append(N1, 1, 1, 10),
        commit(N0, 1, 1, 10),
    ];
    let mut stale_leader = committed.to_vec();
    stale_leader.push(Saw(N2, BecameLeader { term: 2 }));
    assert_eq!(verdict(&stale_leader), Some(names::LEADER_COMPLETENESS));
    let mut complete_leader = committed.to_vec();
    complete_leader.push(Saw(N1, BecameLeader { term: 2 }));
    assert_eq!(verdict(&complete_leader), None);
}

#[test]
fn leader_completeness_binds_leaders_of_higher_terms_only() {
    // n0 leads term 4 and commits index 1; a leader of term 3 elected afterwards (late vote
    // replies, or Zab's late NEWLEADER acks) owes it nothing, a leader of term 5 does.
    let committed_in_term_4 = [
        append(N0, 1, 4, 10),
        Saw(N0, BecameLeader { term: 4 }),
        commit(N0, 1, 4, 10),
    ];
    let mut late_lower_leader = committed_in_term_4.to_vec();
    late_lower_leader.push(Saw(N1, BecameLeader { term: 3 }));
    assert_eq!(verdict(&late_lower_leader), None);
    let mut higher_leader = committed_in_term_4.to_vec();
    higher_leader.push(Saw(N1, BecameLeader { term: 5 }));
    assert_eq!(verdict(&higher_leader), Some(names::LEADER_COMPLETENESS));
}

#[test]
fn committed_prefix_agreement() {
    let logs = [
        append(N0, 1, 1, 10),
        append(N1, 1, 2, 11),
        append(N0, 2, 1, 20),
    ];
    let mut conflict = logs.to_vec();
    conflict.extend([commit(N0, 1, 1, 10), commit(N1, 1, 2, 11)]);
    assert_eq!(verdict(&conflict), Some(names::COMMITTED_PREFIX_AGREEMENT));
    let mut gap = logs.to_vec();
    gap.push(commit(N0, 2, 1, 20));
    assert_eq!(verdict(&gap), Some(names::COMMITTED_PREFIX_AGREEMENT));
    let mut not_held = logs.to_vec();
    not_held.push(commit(N1, 1, 1, 10));
    assert_eq!(verdict(&not_held), Some(names::COMMITTED_PREFIX_AGREEMENT));
    // A restarted node reports again from index 1: legal.
    let mut restarted = logs.to_vec();
    restarted.extend([
        commit(N0, 1, 1, 10),
        commit(N0, 2, 1, 20),
        Crash(N0),
        commit(N0, 1, 1, 10),
    ]);
    assert_eq!(verdict(&restarted), None);
}

#[test]
fn state_machine_safety() {
    let applied = |node, index, state_digest| {
        Saw(
            node,
            Applied {
                index,
                state_digest,
            },
        )
    };
    let committed = [
        append(N0, 1, 1, 10),
        append(N1, 1, 1, 10),
        commit(N0, 1, 1, 10),
        commit(N1, 1, 1, 10),
        applied(N0, 1, 7),
    ];
    let mut different_state = committed.to_vec();
    different_state.push(applied(N1, 1, 8));
    assert_eq!(verdict(&different_state), Some(names::STATE_MACHINE_SAFETY));
    let mut past_commit = committed.to_vec();
    past_commit.push(applied(N0, 2, 9));
    assert_eq!(verdict(&past_commit), Some(names::STATE_MACHINE_SAFETY));
    let mut same_state = committed.to_vec();
    same_state.push(applied(N1, 1, 7));
    assert_eq!(verdict(&same_state), None);
}

#[test]
fn a_disagreement_is_itself_a_violation_naming_both_verdicts() {
    let broke = |invariant| Err(Violation::new(invariant, vec![N1], String::new()));
    let agreed = paranoid_verdict(broke(names::LOG_MATCHING), broke(names::LOG_MATCHING));
    assert_eq!(agreed.unwrap_err().invariant, names::LOG_MATCHING);
    assert_eq!(paranoid_verdict(Ok(()), Ok(())), Ok(()));
    for (incremental, paranoid) in [
        (Ok(()), broke(names::LOG_MATCHING)),
        (broke(names::ELECTION_SAFETY), Ok(())),
        (
            broke(names::ELECTION_SAFETY),
            broke(names::LEADER_COMPLETENESS),
        ),
    ] {
        let violation = paranoid_verdict(incremental, paranoid).unwrap_err();
        assert_eq!(violation.invariant, names::CHECKER_DISAGREEMENT);
        assert_eq!(violation.nodes, vec![N1]);
    }
    let violation = paranoid_verdict(Ok(()), broke(names::LOG_MATCHING)).unwrap_err();
    assert_eq!(
        violation.detail,
        "the incremental checker found no violation, the paranoid checker found log-matching"
    );
}

#[test]
fn a_lost_vote_is_forgotten_even_when_another_node_lost_votes_recorded_before_it() {
    let vote = |node, term, candidate| Saw(node, Voted { term, candidate });
    let history = [
        // n1's vote for itself in term 1 is on its way to disk.
        Checkpoint(N1),
        vote(N1, 1, N1),
        // n0's vote for n1 in term 1 is on its way too, recorded after n1's.
        Checkpoint(N0),
        vote(N0, 1, N1),
        // n1 loses its write first, then n0 loses its own.
        CrashLosingWrite(N1),
        CrashLosingWrite(N0),
        // n0 never voted in term 1, as far as any disk knows: a vote for n2 is its first.
        vote(N0, 1, N2),
    ];
    assert_eq!(verdict(&history), None);
    // The same vote with n0's first one on disk is a second vote in term 1.
    let kept = [
        Checkpoint(N1),
        vote(N1, 1, N1),
        vote(N0, 1, N1),
        CrashLosingWrite(N1),
        Crash(N0),
        vote(N0, 1, N2),
    ];
    assert_eq!(verdict(&kept), Some(names::VOTE_ONCE_PER_TERM));
}
