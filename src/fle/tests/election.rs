//! The vote order and `lookForLeader`'s receive rules, the finalize loop, the notification
//! timeout.

use super::*;

#[test]
fn votes_order_by_epoch_then_zxid_then_id() {
    // totalOrderPredicate: the epoch dominates the zxid, the zxid dominates the id.
    assert!(vote(0, 1, 2).beats(&vote(4, 9, 1), None));
    assert!(vote(0, 9, 1).beats(&vote(4, 8, 1), None));
    assert!(vote(4, 9, 1).beats(&vote(3, 9, 1), None));
    assert!(
        !vote(3, 9, 1).beats(&vote(3, 9, 1), None),
        "a vote does not beat itself"
    );
    assert!(!vote(4, 9, 1).beats(&vote(0, 1, 2), None));
}

#[test]
fn the_1419_order_is_not_total() {
    let bug = Some(FleBug::ZxidBeforeEpoch);
    let stale = vote(4, 0, 1);
    let newer = vote(0, 0, 2);
    // Each beats the other: equal zxids let the id win whatever the epochs.
    assert!(stale.beats(&newer, bug));
    assert!(newer.beats(&stale, bug));
    assert!(!stale.beats(&newer, None));
}

#[test]
fn a_new_server_proposes_itself_in_round_one() {
    let mut h = Harness::new(1, 3, FleConfig::default());
    assert_eq!(h.node.round(), 1);
    assert_eq!(h.node.server_state(), ServerState::Looking);
    let sent = h.sent_votes();
    assert_eq!(sent.len(), 2, "one notification per peer");
    assert!(sent.iter().all(|&(_, v, r)| v == vote(1, 0, 0) && r == 1));
}

#[test]
fn a_better_vote_is_adopted_and_re_broadcast() {
    let mut h = Harness::new(1, 5, FleConfig::default());
    h.take_sent();
    h.notify(0, vote(0, 0, 0), 1, ServerState::Looking);
    assert!(h.sent_votes().is_empty(), "a worse vote changes nothing");
    h.notify(3, vote(3, 0, 0), 1, ServerState::Looking);
    assert_eq!(h.node.proposal(), vote(3, 0, 0));
    let sent = h.sent_votes();
    assert_eq!(sent.len(), 4);
    assert!(sent.iter().all(|&(_, v, _)| v == vote(3, 0, 0)));
}

#[test]
fn a_higher_round_resets_the_votes_and_proposes_the_better_of_it_and_oneself() {
    let mut h = Harness::new(2, 5, FleConfig::default());
    h.notify(3, vote(3, 0, 0), 1, ServerState::Looking);
    h.notify(4, vote(4, 0, 0), 1, ServerState::Looking);
    h.take_sent();
    // Round 3 brings a worse vote than this server's own: it re-proposes itself.
    h.notify(0, vote(0, 0, 0), 3, ServerState::Looking);
    assert_eq!(h.node.round(), 3);
    assert_eq!(h.node.proposal(), vote(2, 0, 0));
    let sent = h.sent_votes();
    assert!(sent.iter().all(|&(_, v, r)| v == vote(2, 0, 0) && r == 3));
    // The old round's votes are gone: n3 and n4's votes for themselves no longer count.
    assert_eq!(
        h.node.voters_for(&vote(4, 0, 0)).collect::<Vec<_>>(),
        Vec::<NodeId>::new()
    );
    assert_eq!(
        h.node.voters_for(&vote(2, 0, 0)).collect::<Vec<_>>(),
        vec![NodeId(2)]
    );
}

#[test]
fn a_lower_round_is_dropped_and_its_looking_sender_answered() {
    let mut h = Harness::new(2, 3, FleConfig::default());
    h.notify(0, vote(0, 0, 0), 4, ServerState::Looking);
    h.take_sent();
    h.notify(1, vote(1, 0, 0), 2, ServerState::Looking);
    assert_eq!(h.node.round(), 4);
    let sent = h.sent_votes();
    assert_eq!(sent, vec![(NodeId(1), vote(2, 0, 0), 4)]);
    assert_eq!(
        h.node.voters_for(&vote(1, 0, 0)).collect::<Vec<_>>(),
        Vec::<NodeId>::new()
    );
}

#[test]
fn a_quorum_waits_finalize_wait_then_decides() {
    let mut h = Harness::new(2, 3, FleConfig::default());
    h.take_timers();
    h.notify(0, vote(2, 0, 0), 1, ServerState::Looking);
    assert_eq!(
        h.node.server_state(),
        ServerState::Looking,
        "no decision yet"
    );
    let timers = h.take_timers();
    assert!(timers.contains(&TimerOp::Set {
        timer: FleTimer::Finalize,
        delay_us: 200_000
    }));
    h.fire(FleTimer::Finalize);
    assert_eq!(h.node.server_state(), ServerState::Leading);
}

#[test]
fn a_better_vote_during_finalize_wait_cancels_the_decision() {
    let mut h = Harness::new(1, 3, FleConfig::default());
    h.notify(0, vote(1, 0, 0), 1, ServerState::Looking);
    h.take_timers();
    h.notify(2, vote(2, 0, 0), 1, ServerState::Looking);
    assert!(h.take_timers().contains(&TimerOp::Cancel {
        timer: FleTimer::Finalize
    }));
    assert_eq!(h.node.proposal(), vote(2, 0, 0));
    assert_eq!(h.node.server_state(), ServerState::Looking);
}

#[test]
fn without_finalize_wait_the_first_quorum_decides() {
    let config = FleConfig {
        bug: Some(FleBug::NoFinalizeWait),
        ..FleConfig::default()
    };
    let mut h = Harness::new(1, 3, config);
    h.notify(0, vote(1, 0, 0), 1, ServerState::Looking);
    assert_eq!(h.node.server_state(), ServerState::Leading);
}

#[test]
fn out_of_election_votes_need_the_leader_to_say_it_leads() {
    let mut h = Harness::new(0, 5, FleConfig::default());
    // Three followers of n3 from round 7 make a quorum for n3, but n3 has not said LEADING.
    for from in [1, 2, 4] {
        h.notify(from, vote(3, 0, 0), 7, ServerState::Following);
    }
    assert_eq!(
        h.node.server_state(),
        ServerState::Looking,
        "checkLeader holds it"
    );
    h.notify(3, vote(3, 0, 0), 7, ServerState::Leading);
    assert_eq!(h.node.server_state(), ServerState::Following);
    assert_eq!(h.node.round(), 7, "the joiner takes the ensemble's round");
    let sent = h.take_sent();
    assert!(sent.contains(&(
        NodeId(3),
        FleMsg::FollowerInfo {
            accepted_epoch: 0,
            session: 1
        }
    )));
}

#[test]
fn without_check_leader_stale_followers_decide() {
    let config = FleConfig {
        bug: Some(FleBug::NoCheckLeader),
        ..FleConfig::default()
    };
    let mut h = Harness::new(0, 5, config);
    for from in [1, 2, 4] {
        h.notify(from, vote(3, 0, 0), 7, ServerState::Following);
    }
    assert_eq!(h.node.server_state(), ServerState::Following);
}

#[test]
fn a_decided_server_answers_looking_ones_with_its_decision() {
    let mut h = Harness::new(2, 3, FleConfig::default());
    h.notify(0, vote(2, 0, 0), 1, ServerState::Looking);
    h.fire(FleTimer::Finalize);
    h.take_sent();
    h.notify(1, vote(1, 0, 0), 1, ServerState::Looking);
    let sent = h.take_sent();
    assert_eq!(
        sent,
        vec![(
            NodeId(1),
            FleMsg::Notification {
                vote: vote(2, 0, 0),
                round: 1,
                state: ServerState::Leading,
                ghost: NotificationGhost {
                    sender_history: HistoryMark::default(),
                    sent_at_us: h.now_us,
                },
            }
        )]
    );
}

#[test]
fn the_notification_timeout_doubles_up_to_its_cap() {
    let config = FleConfig {
        notification_timeout_us_max: 700_000,
        ..FleConfig::default()
    };
    let mut h = Harness::new(0, 3, config);
    h.take_sent();
    let mut delays = Vec::new();
    for _ in 0..4 {
        h.take_timers();
        h.fire(FleTimer::NotificationTimeout);
        assert_eq!(h.sent_votes().len(), 2, "the vote is re-sent");
        for op in h.take_timers() {
            if let TimerOp::Set {
                timer: FleTimer::NotificationTimeout,
                delay_us,
            } = op
            {
                delays.push(delay_us);
            }
        }
    }
    assert_eq!(delays, vec![400_000, 700_000, 700_000, 700_000]);
}

#[test]
fn a_new_proposal_restarts_the_back_off() {
    // The wait grew while nobody answered; a better vote sends a new proposal, and a lost
    // copy of it is re-sent after the initial wait, not the grown one.
    let mut h = Harness::new(0, 5, FleConfig::default());
    for _ in 0..3 {
        h.fire(FleTimer::NotificationTimeout);
    }
    h.take_timers();
    h.notify(1, vote(1, 0, 0), 1, ServerState::Looking);
    assert_eq!(h.node.proposal(), vote(1, 0, 0));
    let initial_us = FleConfig::default().notification_timeout_us_initial;
    assert!(h.take_timers().contains(&TimerOp::Set {
        timer: FleTimer::NotificationTimeout,
        delay_us: initial_us,
    }));
    // A vote that changes nothing leaves the wait as it is.
    h.notify(2, vote(1, 0, 0), 1, ServerState::Looking);
    assert!(!h.take_timers().iter().any(|op| matches!(
        op,
        TimerOp::Set {
            timer: FleTimer::NotificationTimeout,
            ..
        }
    )));
}

#[test]
fn bugs_parse_by_their_names() {
    for bug in FleBug::ALL {
        assert_eq!(FleBug::from_name(bug.name()), Some(bug));
    }
    assert_eq!(FleBug::from_name("no-such-bug"), None);
    assert!(FleBug::names().contains("no-check-leader"));
}

// ----- finalizeWait as ZooKeeper's finalize loop -----

/// Server 2 of 3 with a quorum for itself (server 0's vote): in the finalize wait.
fn in_finalize_wait() -> Harness {
    let mut h = Harness::new(2, 3, FleConfig::default());
    h.notify(0, vote(2, 0, 0), 1, ServerState::Looking);
    assert!(h.take_timers().contains(&TimerOp::Set {
        timer: FleTimer::Finalize,
        delay_us: 200_000
    }));
    h.take_sent();
    h
}

#[test]
fn in_the_finalize_wait_a_vote_that_is_not_better_restarts_the_wait_unread() {
    // lookForLeader's finalize loop: `recvqueue.poll(finalizeWait)` again after every
    // notification that does not beat the proposal; the notification itself is dropped.
    let mut h = in_finalize_wait();
    h.now_us += 150_000;
    h.notify(1, vote(1, 0, 0), 1, ServerState::Looking);
    assert_eq!(
        h.take_timers(),
        vec![TimerOp::Set {
            timer: FleTimer::Finalize,
            delay_us: 200_000
        }],
        "the wait starts over from this notification"
    );
    assert_eq!(
        h.node.voters_for(&vote(1, 0, 0)).collect::<Vec<_>>(),
        Vec::<NodeId>::new()
    );
    assert!(
        h.take_sent().is_empty(),
        "a same-round vote is not answered"
    );
    // ZooKeeper's receiver thread answers a LOOKING sender of an older round whatever
    // lookForLeader is doing; the wait still starts over.
    h.notify(1, vote(1, 0, 0), 0, ServerState::Looking);
    assert!(matches!(
        h.take_sent().as_slice(),
        [(NodeId(1), FleMsg::Notification { round: 1, .. })]
    ));
    assert!(h.take_timers().contains(&TimerOp::Set {
        timer: FleTimer::Finalize,
        delay_us: 200_000
    }));
    assert_eq!(h.node.server_state(), ServerState::Looking);
    h.fire(FleTimer::Finalize);
    assert_eq!(h.node.server_state(), ServerState::Leading);
}

#[test]
fn in_the_finalize_wait_any_better_vote_ends_the_wait_undecided() {
    // The finalize loop breaks on any notification that beats the proposal, whatever its
    // sender's state or round (`totalOrderPredicate` alone decides), and puts it back for
    // the main loop: no decision on the worse proposal.
    let from_a_follower = (vote(1, 0, 5), 1, ServerState::Following);
    let from_an_older_round = (vote(1, 0, 5), 0, ServerState::Looking);
    for (better, round, state) in [from_a_follower, from_an_older_round] {
        let mut h = in_finalize_wait();
        h.notify(1, better, round, state);
        assert!(
            h.take_timers().contains(&TimerOp::Cancel {
                timer: FleTimer::Finalize
            }),
            "{state:?} round {round}"
        );
        assert_eq!(h.node.server_state(), ServerState::Looking);
    }
}

#[test]
fn in_the_finalize_wait_the_notification_timeout_neither_re_sends_nor_backs_off() {
    let mut h = in_finalize_wait();
    h.fire(FleTimer::NotificationTimeout);
    assert!(
        h.take_sent().is_empty(),
        "the finalize loop does not re-send"
    );
    assert_eq!(
        h.take_timers(),
        vec![TimerOp::Set {
            timer: FleTimer::NotificationTimeout,
            delay_us: FleConfig::default().notification_timeout_us_initial
        }]
    );
    // Outside the wait the same timeout re-sends (and backs off: see above).
    let mut alone = Harness::new(2, 3, FleConfig::default());
    alone.take_sent();
    alone.fire(FleTimer::NotificationTimeout);
    assert_eq!(alone.sent_votes().len(), 2);
}
