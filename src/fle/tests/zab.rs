//! Zab's discovery and synchronisation: epochs, sessions, fresh epoch acks, the election
//! vote after sync.

use super::*;

#[test]
fn the_leader_picks_the_epoch_above_a_quorum_s_accepted_epochs() {
    let mut h = Harness::new(2, 3, FleConfig::default());
    h.notify(0, vote(2, 0, 0), 1, ServerState::Looking);
    h.fire(FleTimer::Finalize);
    h.take_sent();
    h.deliver(
        1,
        FleMsg::FollowerInfo {
            accepted_epoch: 6,
            session: 1,
        },
    );
    assert_eq!(
        h.take_sent(),
        vec![(
            NodeId(1),
            FleMsg::NewEpoch {
                epoch: 7,
                session: 1
            }
        )]
    );
    assert_eq!(h.durable.accepted_epoch, 7);
}

/// Delivers to `to` every message `from` sent it, and drops the rest of `from`'s sends.
fn pump(from: &mut Harness, to: &mut Harness) {
    for (dest, msg) in from.take_sent() {
        if dest == to.id {
            to.deliver(from.id.0, msg);
        }
    }
}

fn syncs_to(sent: &[(NodeId, FleMsg)], node: u16) -> usize {
    sent.iter()
        .filter(|(to, msg)| *to == NodeId(node) && matches!(msg, FleMsg::Sync { .. }))
        .count()
}

/// Follower `h` times out waiting on its leader and goes back to LOOKING.
fn time_out(h: &mut Harness) {
    h.now_us += h.node.config.init_timeout_us + 1;
    h.fire(FleTimer::Ping);
    assert_eq!(h.node.server_state(), ServerState::Looking);
}

#[test]
fn an_epoch_accepted_twice_counts_for_one_leader_only() {
    // Learner.registerWithLeader / Leader.waitForEpochAck: n0 and n2 both choose epoch 1,
    // each from n1's accepted epoch 0. n1 accepts epoch 1 from n2 first (a fresh ack, which
    // gives n2 its quorum), then re-registers with n0: its ack of the epoch it had accepted
    // already must not give n0 a quorum too — two leaders would be synchronising in epoch 1.
    let mut n0 = leading(0, 3);
    let mut n2 = leading(2, 3);
    let mut n1 = following(1, 3, 0);
    pump(&mut n1, &mut n0);
    assert_eq!(n0.node.role().server_state(), ServerState::Leading);
    let first_session_new_epoch = n0.take_sent();
    time_out(&mut n1);
    n1.take_sent();
    n1.with(|node, ctx| node.become_following(ctx, NodeId(2)));
    pump(&mut n1, &mut n2);
    pump(&mut n2, &mut n1);
    assert_eq!(n1.durable.accepted_epoch, 1);
    pump(&mut n1, &mut n2);
    assert_eq!(
        syncs_to(&n2.take_sent(), 1),
        1,
        "n2 has its quorum in epoch 1"
    );
    // n0's NewEpoch of n1's first session reaches n1 late: another session's, ignored.
    let late: Vec<FleMsg> = first_session_new_epoch
        .into_iter()
        .map(|(_, msg)| msg)
        .filter(|msg| matches!(msg, FleMsg::NewEpoch { .. }))
        .collect();
    assert_eq!(late.len(), 1);
    for msg in late {
        n1.deliver(0, msg);
    }
    let sent = n1.take_sent();
    assert!(sent.is_empty(), "{sent:?}");
    time_out(&mut n1);
    n1.take_sent();
    n1.with(|node, ctx| node.become_following(ctx, NodeId(0)));
    pump(&mut n1, &mut n0);
    pump(&mut n0, &mut n1);
    let acks = n1.take_sent();
    assert!(
        matches!(
            acks.as_slice(),
            [(
                _,
                FleMsg::AckEpoch {
                    epoch: 1,
                    fresh: false,
                    ..
                }
            )]
        ),
        "{acks:?}"
    );
    for (_, msg) in acks {
        n0.deliver(1, msg);
    }
    assert_eq!(
        syncs_to(&n0.take_sent(), 1),
        0,
        "n0 has no quorum in epoch 1"
    );
    assert_eq!(n0.durable.current_epoch, 0);
}

#[test]
fn only_fresh_epoch_acks_make_the_quorum_but_every_acker_is_synchronised() {
    let mut h = leading(2, 3);
    for (from, accepted) in [(1, 6), (0, 0)] {
        h.deliver(
            from,
            FleMsg::FollowerInfo {
                accepted_epoch: accepted,
                session: 1,
            },
        );
    }
    h.take_sent();
    let ack = |fresh| FleMsg::AckEpoch {
        epoch: 7,
        current_epoch: 0,
        last_zxid: Zxid::ZERO,
        fresh,
        session: 1,
    };
    h.deliver(1, ack(false));
    assert!(h.take_sent().is_empty(), "a re-ack is no quorum");
    h.deliver(0, ack(true));
    let sent = h.take_sent();
    assert_eq!((syncs_to(&sent, 0), syncs_to(&sent, 1)), (1, 1));
    assert_eq!(h.durable.current_epoch, 7);
}

#[test]
fn a_sync_of_an_old_session_cannot_cut_a_committed_history() {
    // n1 synchronises with n2 in epoch 2 and commits three entries, loses it, registers
    // again; the first session's Sync (two entries) arrives after the second NewEpoch.
    let mut h = following(1, 3, 2);
    let entries = [txn(2, 1), txn(2, 2), txn(2, 3)];
    h.deliver(
        2,
        FleMsg::NewEpoch {
            epoch: 2,
            session: 1,
        },
    );
    let sync = |session, count: usize| FleMsg::Sync {
        epoch: 2,
        from_index: 0,
        entries: entries[..count].to_vec(),
        session,
    };
    let stale = sync(1, 2);
    h.deliver(2, sync(1, 3));
    h.deliver(
        2,
        FleMsg::Ping {
            epoch: 2,
            commit_index: 3,
            last_index: 3,
            session: 1,
        },
    );
    assert_eq!(h.node.commit_index(), 3);
    time_out(&mut h);
    h.with(|node, ctx| node.become_following(ctx, NodeId(2)));
    h.deliver(
        2,
        FleMsg::NewEpoch {
            epoch: 2,
            session: 2,
        },
    );
    h.take_sent();
    h.deliver(2, stale);
    assert!(h.take_sent().is_empty(), "ignored, not acked");
    assert_eq!(h.durable.last_index(), 3);
    assert_eq!(h.node.check_local(&h.durable), Ok(()));
    // The second session's Sync is taken.
    h.deliver(2, sync(2, 3));
    assert!(matches!(
        h.take_sent().as_slice(),
        [(
            _,
            FleMsg::AckSync {
                last_index: 3,
                session: 2,
                ..
            }
        )]
    ));
}

#[test]
fn a_stale_new_epoch_neither_ends_a_session_nor_counts_as_hearing_the_leader() {
    let mut h = following(1, 3, 2);
    h.deliver(
        2,
        FleMsg::NewEpoch {
            epoch: 5,
            session: 1,
        },
    );
    time_out(&mut h);
    h.with(|node, ctx| node.become_following(ctx, NodeId(2)));
    h.deliver(
        2,
        FleMsg::NewEpoch {
            epoch: 6,
            session: 2,
        },
    );
    h.take_sent();
    // The first session's NewEpoch of a lower epoch, duplicated late.
    h.now_us += h.node.config.init_timeout_us / 2 + 1;
    h.deliver(
        2,
        FleMsg::NewEpoch {
            epoch: 5,
            session: 1,
        },
    );
    assert_eq!(h.node.server_state(), ServerState::Following);
    assert!(h.take_sent().is_empty());
    h.now_us += h.node.config.init_timeout_us / 2 + 1;
    h.fire(FleTimer::Ping);
    assert_eq!(
        h.node.server_state(),
        ServerState::Looking,
        "the stale message did not keep the session alive"
    );
}

#[test]
fn a_duplicate_follower_info_leaves_the_session_where_it_is_and_an_old_ack_is_ignored() {
    let mut h = leading(2, 3);
    let info = |session| FleMsg::FollowerInfo {
        accepted_epoch: 0,
        session,
    };
    h.deliver(1, info(1));
    h.deliver(1, info(2));
    h.take_sent();
    h.deliver(
        1,
        FleMsg::AckEpoch {
            epoch: 1,
            current_epoch: 0,
            last_zxid: Zxid::ZERO,
            fresh: true,
            session: 2,
        },
    );
    h.deliver(
        1,
        FleMsg::AckSync {
            epoch: 1,
            last_index: 0,
            session: 2,
        },
    );
    assert!(matches!(h.node.role(), Role::Leading(l) if l.established));
    let command = Command {
        id: 1,
        key: 1,
        value: 1,
    };
    h.with(|node, ctx| node.on_client_request(ctx, command));
    h.take_sent();
    // The first session's FollowerInfo and an ack claiming the entry: both ignored.
    h.deliver(1, info(1));
    h.deliver(1, info(2));
    h.deliver(
        1,
        FleMsg::Ack {
            epoch: 1,
            last_index: 1,
            session: 1,
        },
    );
    assert!(h.take_sent().is_empty(), "no NewEpoch: the session goes on");
    assert_eq!(
        h.node.commit_index(),
        0,
        "an old session's ack counts for nothing"
    );
    h.deliver(
        1,
        FleMsg::Ack {
            epoch: 1,
            last_index: 1,
            session: 2,
        },
    );
    assert_eq!(h.node.commit_index(), 1);
}

#[test]
fn after_sync_the_decided_vote_names_the_new_epoch() {
    // ZOOKEEPER-1732 updateElectionVote: members report the epoch they synchronised in.
    let mut f = Harness::new(1, 3, FleConfig::default());
    f.notify(2, vote(2, 0, 0), 1, ServerState::Looking);
    f.fire(FleTimer::Finalize);
    assert_eq!(f.node.server_state(), ServerState::Following);
    f.deliver(
        2,
        FleMsg::NewEpoch {
            epoch: 1,
            session: 1,
        },
    );
    assert_eq!(f.node.proposal(), vote(2, 0, 0), "not before the sync");
    f.deliver(
        2,
        FleMsg::Sync {
            epoch: 1,
            from_index: 0,
            entries: vec![],
            session: 1,
        },
    );
    assert_eq!(f.node.proposal(), vote(2, 0, 1));
    f.take_sent();
    f.notify(0, vote(0, 0, 0), 1, ServerState::Looking);
    let sent = f.take_sent();
    assert!(
        matches!(
            sent.as_slice(),
            [(
                NodeId(0),
                FleMsg::Notification {
                    vote: sent_vote,
                    round: 1,
                    state: ServerState::Following,
                    ..
                }
            )] if *sent_vote == vote(2, 0, 1)
        ),
        "{sent:?}"
    );
    // The leader, once established.
    let mut l = epoch_acked_leader();
    assert_eq!(
        l.node.proposal(),
        vote(2, 0, 0),
        "not before it is established"
    );
    l.deliver(
        1,
        FleMsg::AckSync {
            epoch: 1,
            last_index: 0,
            session: 1,
        },
    );
    assert_eq!(l.node.proposal(), vote(2, 0, 1));
}

#[test]
fn a_synchronised_follower_that_gives_up_says_it_stopped_following() {
    let mut h = following(1, 3, 2);
    time_out(&mut h);
    assert!(
        !h.out
            .observations
            .iter()
            .any(|o| matches!(o, Observation::StoppedFollowing { .. })),
        "it never said it followed"
    );
    h.with(|node, ctx| node.become_following(ctx, NodeId(2)));
    h.deliver(
        2,
        FleMsg::NewEpoch {
            epoch: 1,
            session: 2,
        },
    );
    h.deliver(
        2,
        FleMsg::Sync {
            epoch: 1,
            from_index: 0,
            entries: vec![],
            session: 2,
        },
    );
    h.out.observations.clear();
    h.now_us += h.node.config.sync_timeout_us + 1;
    h.fire(FleTimer::Ping);
    assert_eq!(
        h.out.observations.first(),
        Some(&Observation::StoppedFollowing {
            term: 1,
            leader: NodeId(2)
        })
    );
}

#[test]
fn a_follower_ahead_of_its_leader_loses_only_its_own_session() {
    // Leader.waitForEpochAck throws in the LearnerHandler of the follower that is ahead:
    // that handler ends and closes its socket, the leader goes on. Here n1 of 3 is ahead;
    // n0's fresh ack still gives n2 its quorum.
    let mut h = leader_with_two_registered();
    let ack = |current_epoch, last_zxid| FleMsg::AckEpoch {
        epoch: 1,
        current_epoch,
        last_zxid,
        fresh: true,
        session: 1,
    };
    h.deliver(1, ack(1, Zxid::new(1, 3)));
    assert_eq!(h.node.server_state(), ServerState::Leading);
    assert_eq!(
        h.take_sent(),
        vec![(NodeId(1), FleMsg::Disconnect { session: 1 })]
    );
    h.deliver(1, ack(1, Zxid::new(1, 3)));
    assert!(h.take_sent().is_empty(), "a closed session stays closed");
    h.deliver(0, ack(0, Zxid::ZERO));
    let sent = h.take_sent();
    assert_eq!((syncs_to(&sent, 0), syncs_to(&sent, 1)), (1, 0));
    assert_eq!(h.durable.current_epoch, 1);
}

#[test]
fn a_re_ack_and_an_ack_after_the_quorum_are_not_checked_for_a_follower_ahead() {
    // Leader.waitForEpochAck skips the check for an ack with current epoch -1 (the follower
    // had accepted the epoch already) and returns at once after the quorum: both followers
    // below are synchronised (and truncated by the sync) though they claim more history.
    let mut h = leader_with_two_registered();
    let ahead = |fresh| FleMsg::AckEpoch {
        epoch: 1,
        current_epoch: 1,
        last_zxid: Zxid::new(1, 3),
        fresh,
        session: 1,
    };
    h.deliver(1, ahead(false));
    assert!(
        h.take_sent().is_empty(),
        "a re-ack is no quorum and no close"
    );
    ack_epoch_1(&mut h, 0);
    let sent = h.take_sent();
    assert_eq!((syncs_to(&sent, 0), syncs_to(&sent, 1)), (1, 1));
    assert_eq!(h.node.server_state(), ServerState::Leading);
}

/// Server 2 of 3 leading epoch 1 without an election, servers 1 and 0 registered in session 1
/// (in that order), what it sent to them taken off.
fn leader_with_two_registered() -> Harness {
    let mut h = leading(2, 3);
    for from in [1, 0] {
        h.deliver(
            from,
            FleMsg::FollowerInfo {
                accepted_epoch: 0,
                session: 1,
            },
        );
    }
    h.take_sent();
    h
}
