//! Each invariant is shown to fire on a history that breaks it, and to stay quiet on the
//! nearest legal history.

use super::*;
use crate::protocol::Observation::*;

const N0: NodeId = NodeId(0);
const N1: NodeId = NodeId(1);
const N2: NodeId = NodeId(2);

fn feed(checker: &mut Checker, history: &[(NodeId, Observation)]) -> Result<(), Violation> {
    for (step, (node, observation)) in history.iter().enumerate() {
        checker.observe(*node, observation, step as u64)?;
    }
    Ok(())
}

fn fires(history: &[(NodeId, Observation)]) -> &'static str {
    let mut checker = Checker::new(3);
    feed(&mut checker, history)
        .expect_err("history should violate an invariant")
        .invariant
}

fn holds(history: &[(NodeId, Observation)]) {
    let mut checker = Checker::new(3);
    feed(&mut checker, history).expect("history is legal");
}

fn append(index: u64, term: u64, digest: u64) -> Observation {
    LogAppended {
        index,
        term,
        digest,
    }
}

fn commit(index: u64, term: u64, digest: u64) -> Observation {
    Committed {
        index,
        term,
        digest,
    }
}

#[test]
fn election_safety_fires_on_two_leaders_in_one_term() {
    assert_eq!(
        fires(&[
            (N0, BecameLeader { term: 2 }),
            (N1, BecameLeader { term: 2 })
        ]),
        names::ELECTION_SAFETY
    );
    holds(&[
        (N0, BecameLeader { term: 2 }),
        (N1, BecameLeader { term: 3 }),
    ]);
}

#[test]
fn vote_once_fires_on_a_second_vote_in_a_term_even_after_a_crash() {
    let mut checker = Checker::new(3);
    feed(
        &mut checker,
        &[(
            N0,
            Voted {
                term: 4,
                candidate: N1,
            },
        )],
    )
    .unwrap();
    checker.on_crash(N0);
    let violation = checker
        .observe(
            N0,
            &Voted {
                term: 4,
                candidate: N2,
            },
            9,
        )
        .unwrap_err();
    assert_eq!(violation.invariant, names::VOTE_ONCE_PER_TERM);
    holds(&[
        (
            N0,
            Voted {
                term: 4,
                candidate: N1,
            },
        ),
        (
            N0,
            Voted {
                term: 4,
                candidate: N1,
            },
        ),
        (
            N0,
            Voted {
                term: 5,
                candidate: N2,
            },
        ),
    ]);
}

#[test]
fn committed_prefix_agreement_fires_on_different_entries_at_one_index() {
    assert_eq!(
        fires(&[(N0, commit(1, 1, 10)), (N1, commit(1, 1, 11))]),
        names::COMMITTED_PREFIX_AGREEMENT
    );
    holds(&[
        (N0, commit(1, 1, 10)),
        (N1, commit(1, 1, 10)),
        (N1, commit(2, 1, 12)),
    ]);
}

#[test]
fn committed_prefix_agreement_fires_on_gaps_and_repeats() {
    assert_eq!(
        fires(&[(N0, commit(2, 1, 10))]),
        names::COMMITTED_PREFIX_AGREEMENT
    );
    assert_eq!(
        fires(&[(N0, commit(1, 1, 10)), (N0, commit(1, 1, 10))]),
        names::COMMITTED_PREFIX_AGREEMENT
    );
}

#[test]
fn a_restarted_node_recommits_from_the_start() {
    let mut checker = Checker::new(3);
    feed(
        &mut checker,
        &[(N0, commit(1, 1, 10)), (N0, commit(2, 1, 11))],
    )
    .unwrap();
    checker.on_crash(N0);
    feed(&mut checker, &[(N0, commit(1, 1, 10))]).unwrap();
    let violation = checker.observe(N0, &commit(2, 2, 99), 5).unwrap_err();
    assert_eq!(violation.invariant, names::COMMITTED_PREFIX_AGREEMENT);
}

#[test]
fn log_matching_fires_when_same_index_and_term_have_different_prefixes() {
    assert_eq!(
        fires(&[
            (N0, append(1, 1, 10)),
            (N0, append(2, 1, 20)),
            (N1, append(1, 1, 11)),
            (N1, append(2, 1, 20)),
        ]),
        names::LOG_MATCHING
    );
    holds(&[
        (N0, append(1, 1, 10)),
        (N0, append(2, 1, 20)),
        (N1, append(1, 1, 10)),
        (N1, append(2, 1, 20)),
    ]);
}

#[test]
fn prefix_chains_tell_apart_entries_whose_term_and_digest_are_swapped() {
    // The chain hashes (previous, term, digest) in one pass, so the word order must count.
    assert_eq!(
        fires(&[
            (N0, append(1, 1, 2)),
            (N0, append(2, 2, 20)),
            (N1, append(1, 2, 1)),
            (N1, append(2, 2, 20)),
        ]),
        names::LOG_MATCHING
    );
    assert_eq!(
        fires(&[
            (N0, append(1, 1, 2)),
            (N0, commit(1, 1, 2)),
            (N1, append(1, 2, 1)),
            (N1, BecameLeader { term: 3 }),
        ]),
        names::LEADER_COMPLETENESS
    );
}

#[test]
fn log_matching_compares_with_the_first_holder_of_a_later_term_at_an_index() {
    let n0_then_n1_in_term_2 = [(N0, append(1, 1, 10)), (N1, append(1, 2, 20))];
    let mut diverging = n0_then_n1_in_term_2.to_vec();
    diverging.push((N2, append(1, 2, 21)));
    assert_eq!(fires(&diverging), names::LOG_MATCHING);
    let mut matching = n0_then_n1_in_term_2.to_vec();
    matching.push((N2, append(1, 2, 20)));
    holds(&matching);
}

#[test]
fn log_matching_fires_on_a_hole() {
    assert_eq!(fires(&[(N0, append(2, 1, 10))]), names::LOG_MATCHING);
}

#[test]
fn leader_append_only_fires_on_truncate_or_overwrite_by_a_leader() {
    let base = [
        (N0, BecameLeader { term: 1 }),
        (N0, append(1, 1, 10)),
        (N0, append(2, 1, 20)),
    ];
    let mut truncating = base.to_vec();
    truncating.push((N0, LogTruncated { from_index: 2 }));
    assert_eq!(fires(&truncating), names::LEADER_APPEND_ONLY);
    let mut overwriting = base.to_vec();
    overwriting.push((N0, append(2, 1, 21)));
    assert_eq!(fires(&overwriting), names::LEADER_APPEND_ONLY);
    // A follower may truncate a conflicting suffix, and a leader that stepped down may too.
    let mut stepped_down = base.to_vec();
    stepped_down.push((N0, SteppedDown { term: 1 }));
    stepped_down.push((N0, LogTruncated { from_index: 2 }));
    holds(&stepped_down);
    // Stepping down from another term leaves the leadership standing.
    let mut other_term = base.to_vec();
    other_term.push((N0, SteppedDown { term: 7 }));
    other_term.push((N0, LogTruncated { from_index: 2 }));
    assert_eq!(fires(&other_term), names::LEADER_APPEND_ONLY);
    // Following a leader ends a leadership too, with or without a step-down report.
    let mut following = base.to_vec();
    following.push((
        N0,
        Following {
            term: 2,
            leader: N1,
        },
    ));
    following.push((N0, LogTruncated { from_index: 2 }));
    holds(&following);
}

#[test]
fn leader_completeness_fires_when_a_leader_lacks_a_committed_entry() {
    assert_eq!(
        fires(&[
            (N0, append(1, 1, 10)),
            (N0, commit(1, 1, 10)),
            (N1, append(1, 2, 30)),
            (N1, BecameLeader { term: 3 }),
        ]),
        names::LEADER_COMPLETENESS
    );
    assert_eq!(
        fires(&[
            (N0, append(1, 1, 10)),
            (N0, commit(1, 1, 10)),
            (N1, BecameLeader { term: 3 })
        ]),
        names::LEADER_COMPLETENESS
    );
    holds(&[
        (N0, append(1, 1, 10)),
        (N0, commit(1, 1, 10)),
        (N1, append(1, 1, 10)),
        (N1, BecameLeader { term: 3 }),
    ]);
}

#[test]
fn state_machine_safety_fires_on_diverging_state() {
    assert_eq!(
        fires(&[
            (
                N0,
                Applied {
                    index: 1,
                    state_digest: 5
                }
            ),
            (
                N1,
                Applied {
                    index: 1,
                    state_digest: 6
                }
            ),
        ]),
        names::STATE_MACHINE_SAFETY
    );
    assert_eq!(
        fires(&[(
            N0,
            Applied {
                index: 2,
                state_digest: 5
            }
        )]),
        names::STATE_MACHINE_SAFETY
    );
    holds(&[
        (
            N0,
            Applied {
                index: 1,
                state_digest: 5,
            },
        ),
        (
            N1,
            Applied {
                index: 1,
                state_digest: 5,
            },
        ),
    ]);
}

#[test]
fn the_leaders_of_each_term_are_recorded_as_first_seen() {
    let mut checker = Checker::new(3);
    let history = [
        (N0, BecameLeader { term: 1 }),
        (N0, SteppedDown { term: 1 }),
        (N1, BecameLeader { term: 3 }),
    ];
    feed(&mut checker, &history).unwrap();
    let leaders: Vec<(u64, NodeId, u64)> = checker
        .leaders()
        .values()
        .map(|record| (record.term, record.node, record.at_us))
        .collect();
    assert_eq!(leaders, [(1, N0, 0), (3, N1, 2)]);
}

#[test]
fn a_vote_in_an_earlier_term_means_the_term_went_backwards() {
    assert_eq!(
        fires(&[
            (
                N0,
                Voted {
                    term: 5,
                    candidate: N1
                }
            ),
            (
                N0,
                Voted {
                    term: 3,
                    candidate: N2
                }
            )
        ]),
        names::VOTE_ONCE_PER_TERM
    );
}

#[test]
fn a_node_may_resume_commits_after_a_restart_but_not_skip_ahead() {
    // A protocol that persists its commit index reports from where it was.
    let mut checker = Checker::new(3);
    feed(
        &mut checker,
        &[(N0, commit(1, 1, 10)), (N0, commit(2, 1, 11))],
    )
    .unwrap();
    checker.on_crash(N0);
    feed(&mut checker, &[(N0, commit(3, 1, 12))]).unwrap();
    checker.on_crash(N0);
    let violation = checker.observe(N0, &commit(5, 1, 14), 9).unwrap_err();
    assert_eq!(violation.invariant, names::COMMITTED_PREFIX_AGREEMENT);
}

#[test]
fn a_node_that_reports_its_log_may_commit_only_what_it_holds() {
    assert_eq!(
        fires(&[(N0, append(1, 1, 10)), (N0, commit(1, 1, 99))]),
        names::COMMITTED_PREFIX_AGREEMENT
    );
    assert_eq!(
        fires(&[
            (N0, append(1, 1, 10)),
            (N0, commit(1, 1, 10)),
            (N0, commit(2, 1, 20))
        ]),
        names::COMMITTED_PREFIX_AGREEMENT
    );
    // Protocols that report no log are not held to it.
    holds(&[(N0, commit(1, 1, 10))]);
}

#[test]
fn a_node_may_apply_only_what_it_committed() {
    assert_eq!(
        fires(&[
            (N0, commit(1, 1, 10)),
            (
                N0,
                Applied {
                    index: 1,
                    state_digest: 3
                }
            ),
            (
                N0,
                Applied {
                    index: 2,
                    state_digest: 4
                }
            )
        ]),
        names::STATE_MACHINE_SAFETY
    );
}
