//! Each deliberately broken variant deviates exactly where its correct rule lives: the same
//! script as the correct rule's test, with the bug on, ends the other way.

use super::*;

fn plain_with(bug: RaftBug) -> Harness {
    let config = RaftConfig {
        pre_vote: false,
        check_quorum: false,
        bug: Some(bug),
        ..RaftConfig::default()
    };
    Harness::new(0, 3, config)
}

fn restart(h: &mut Harness, bug: RaftBug) {
    let config = RaftConfig {
        bug: Some(bug),
        ..RaftConfig::default()
    };
    h.restart(&config);
}

fn vote_request(term: u64, last_log_index: u64, last_log_term: u64) -> RaftMsg {
    RaftMsg::RequestVote {
        term,
        last_log_index,
        last_log_term,
    }
}

#[test]
fn vote_without_up_to_date_grants_to_an_older_log_in_votes_and_pre_votes() {
    let mut h = plain_with(RaftBug::VoteWithoutUpToDate);
    h.append_log(&[1, 2]);
    h.deliver(1, vote_request(3, 5, 1));
    assert_eq!(
        h.last_reply(),
        RaftMsg::VoteReply {
            term: 3,
            granted: true
        }
    );
    h.deliver(
        2,
        RaftMsg::PreVote {
            term: 4,
            last_log_index: 0,
            last_log_term: 0,
        },
    );
    assert_eq!(
        h.last_reply(),
        RaftMsg::PreVoteReply {
            term: 4,
            granted: true
        }
    );
}

#[test]
fn the_persistence_bugs_forget_the_vote_or_the_term_at_restart() {
    for (bug, term_after, vote_after) in [
        (RaftBug::VoteNotPersisted, 3, None),
        (RaftBug::TermNotPersisted, 0, Some(NodeId(1))),
    ] {
        let mut h = plain_with(bug);
        h.deliver(1, vote_request(3, 0, 0));
        assert_eq!(h.durable.voted_for, Some(NodeId(1)));
        restart(&mut h, bug);
        assert_eq!(h.durable.current_term, term_after, "{}", bug.name());
        assert_eq!(h.durable.voted_for, vote_after, "{}", bug.name());
        // Either way, a second candidate of term 3 now gets the vote.
        h.take_sent();
        h.deliver(2, vote_request(3, 0, 0));
        assert_eq!(
            h.last_reply(),
            RaftMsg::VoteReply {
                term: 3,
                granted: true
            },
            "{}",
            bug.name()
        );
    }
}

#[test]
fn append_without_log_matching_accepts_a_mismatched_previous_term() {
    let mut h = plain_with(RaftBug::AppendWithoutLogMatching);
    h.append_log(&[1, 1]);
    h.deliver(
        1,
        append(3, Prev { index: 2, term: 2 }, entries(&[(3, 9)]), 0),
    );
    assert_eq!(h.durable.log.last_index(), 3);
    assert!(matches!(
        h.last_reply(),
        RaftMsg::AppendReply { success: true, .. }
    ));
    // A missing entry at prev_log_index is still refused: a log has no holes.
    h.deliver(
        1,
        append(3, Prev { index: 7, term: 3 }, entries(&[(3, 10)]), 0),
    );
    assert!(matches!(
        h.last_reply(),
        RaftMsg::AppendReply { success: false, .. }
    ));
}

#[test]
fn truncate_on_stale_append_drops_matching_entries() {
    let mut h = plain_with(RaftBug::TruncateOnStaleAppend);
    h.deliver(
        1,
        append(
            1,
            Prev { index: 0, term: 0 },
            entries(&[(1, 1), (1, 2), (1, 3)]),
            0,
        ),
    );
    h.take_sent();
    h.deliver(
        1,
        append(1, Prev { index: 0, term: 0 }, entries(&[(1, 1)]), 0),
    );
    assert_eq!(h.durable.log.last_index(), 1);
    assert!(h
        .take_observed()
        .contains(&Observation::LogTruncated { from_index: 2 }));
}

#[test]
fn figure_8_commit_counts_replicas_of_an_old_term_entry() {
    let mut h = plain_with(RaftBug::Figure8Commit).figure_8_leader();
    h.deliver(1, matched(1));
    assert_eq!(
        h.node.commit_index(),
        1,
        "the term-1 entry committed by count"
    );
}

#[test]
fn leader_never_steps_down_keeps_leading_without_a_quorum() {
    let config = RaftConfig {
        bug: Some(RaftBug::LeaderNeverStepsDown),
        ..RaftConfig::default()
    };
    let mut h = elected_with_pre_vote(config);
    h.fire(RaftTimer::QuorumCheck);
    h.fire(RaftTimer::QuorumCheck);
    assert!(matches!(h.node.role(), Role::Leader(_)));
}
