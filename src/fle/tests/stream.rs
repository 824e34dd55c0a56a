//! The broadcast streams, clocked by acks.

use super::*;

fn request(l: &mut Harness, id: u64) -> ClientReply {
    let command = Command {
        id,
        key: 1,
        value: id,
    };
    l.with(|node, ctx| node.on_client_request(ctx, command))
}

/// The (from_index, entry count, commit index) of each Propose sent, and the commit index
/// of each Ping.
fn proposes_and_pings(sent: &[(NodeId, FleMsg)]) -> (Vec<(u64, usize, u64)>, Vec<u64>) {
    let mut proposes = Vec::new();
    let mut pings = Vec::new();
    for (_, msg) in sent {
        match msg {
            FleMsg::Propose {
                from_index,
                entries,
                commit_index,
                ..
            } => proposes.push((*from_index, entries.len(), *commit_index)),
            FleMsg::Ping { commit_index, .. } => pings.push(*commit_index),
            _ => {}
        }
    }
    (proposes, pings)
}

fn ack(l: &mut Harness, last_index: u64) {
    l.deliver(
        1,
        FleMsg::Ack {
            epoch: 1,
            last_index,
            session: 1,
        },
    );
}

#[test]
fn the_leader_proposes_at_once_and_the_ack_clocks_the_next_batch() {
    let mut l = established_leader();
    assert_eq!(request(&mut l, 1), ClientReply::Accepted);
    let (proposes, _) = proposes_and_pings(&l.take_sent());
    assert_eq!(
        proposes,
        vec![(0, 1, 0)],
        "proposed without waiting for a tick"
    );
    // While that batch is in flight, new entries wait for its ack...
    request(&mut l, 2);
    request(&mut l, 3);
    assert!(l.take_sent().is_empty());
    // ...which commits entry 1 (leader and follower are a quorum of 3) and brings the rest
    // in one batch that carries the new commit index.
    ack(&mut l, 1);
    assert_eq!(l.node.commit_index(), 1);
    let sent = l.take_sent();
    assert_eq!(proposes_and_pings(&sent), (vec![(1, 2, 1)], vec![]));
    assert!(commits(&sent).is_empty(), "the batch carries the commit");
    // The last ack commits everything; the follower, with nothing left to receive, is told
    // of the commit at once (Zab's COMMIT).
    ack(&mut l, 3);
    assert_eq!(l.node.commit_index(), 3);
    let sent = l.take_sent();
    assert_eq!(proposes_and_pings(&sent), (vec![], vec![]));
    assert_eq!(commits(&sent), vec![(NodeId(1), 3)]);
    // A duplicate ack changes nothing and sends nothing.
    ack(&mut l, 3);
    assert!(l.take_sent().is_empty());
}

/// The (follower, commit index) of each Commit sent.
fn commits(sent: &[(NodeId, FleMsg)]) -> Vec<(NodeId, u64)> {
    sent.iter()
        .filter_map(|(to, msg)| match msg {
            FleMsg::Commit { commit_index, .. } => Some((*to, *commit_index)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_commit_reaches_a_follower_with_a_batch_in_flight_at_once() {
    // Zab's Leader.commit sends COMMIT to every follower as soon as a quorum acks. Server 2
    // leads 5 servers (quorum 3) with servers 0 and 1 synchronised.
    let mut l = Harness::new(2, 5, FleConfig::default());
    l.notify(0, vote(2, 0, 0), 1, ServerState::Looking);
    l.notify(1, vote(2, 0, 0), 1, ServerState::Looking);
    l.fire(FleTimer::Finalize);
    for follower in [0, 1] {
        l.deliver(
            follower,
            FleMsg::FollowerInfo {
                accepted_epoch: 0,
                session: 1,
            },
        );
    }
    for follower in [0, 1] {
        ack_epoch_1(&mut l, follower);
    }
    for follower in [0, 1] {
        l.deliver(
            follower,
            FleMsg::AckSync {
                epoch: 1,
                last_index: 0,
                session: 1,
            },
        );
    }
    assert_eq!(request(&mut l, 1), ClientReply::Accepted, "established");
    request(&mut l, 2);
    l.take_sent(); // entry 1 to both; entry 2 waits behind it
                   // Server 0's ack of entry 1: the leader and server 0 are two of five, no commit yet.
    let ack_from = |l: &mut Harness, follower: u16, last_index: u64| {
        l.deliver(
            follower,
            FleMsg::Ack {
                epoch: 1,
                last_index,
                session: 1,
            },
        );
    };
    ack_from(&mut l, 0, 1);
    assert_eq!(l.node.commit_index(), 0);
    l.take_sent();
    // Server 1's ack commits entry 1. Server 1 gets entry 2 with the commit; server 0,
    // whose batch (entry 2) is in flight, gets a Commit at once.
    ack_from(&mut l, 1, 1);
    assert_eq!(l.node.commit_index(), 1);
    let sent = l.take_sent();
    assert_eq!(commits(&sent), vec![(NodeId(0), 1)]);
    assert!(sent.iter().any(|(to, msg)| *to == NodeId(1)
        && matches!(
            msg,
            FleMsg::Propose {
                from_index: 1,
                commit_index: 1,
                ..
            }
        )));
}

#[test]
fn acks_of_another_session_or_epoch_move_nothing() {
    let mut l = established_leader();
    request(&mut l, 1);
    request(&mut l, 2);
    l.take_sent();
    for (epoch, session) in [(1, 2), (2, 1)] {
        l.deliver(
            1,
            FleMsg::Ack {
                epoch,
                last_index: 1,
                session,
            },
        );
        assert!(l.take_sent().is_empty(), "epoch {epoch} session {session}");
        assert_eq!(l.node.commit_index(), 0);
    }
}

#[test]
fn a_lost_batch_is_sent_again_from_the_last_ack_at_the_tick() {
    let mut l = established_leader();
    request(&mut l, 1);
    request(&mut l, 2);
    l.take_sent(); // entry 1's Propose is lost; entry 2 waits behind it
    l.now_us += 10_000;
    l.fire(FleTimer::Ping);
    let (proposes, _) = proposes_and_pings(&l.take_sent());
    assert_eq!(proposes, vec![(0, 2, 0)]);
}

#[test]
fn a_follower_answers_a_ping_only_when_it_lacks_entries() {
    let mut f = following(1, 3, 2);
    f.deliver(
        2,
        FleMsg::NewEpoch {
            epoch: 1,
            session: 1,
        },
    );
    f.deliver(
        2,
        FleMsg::Sync {
            epoch: 1,
            from_index: 0,
            entries: vec![txn(1, 1)],
            session: 1,
        },
    );
    f.take_sent();
    let ping = |commit_index, last_index| FleMsg::Ping {
        epoch: 1,
        commit_index,
        last_index,
        session: 1,
    };
    f.deliver(2, ping(1, 1));
    assert!(f.take_sent().is_empty(), "a COMMIT needs no answer");
    assert_eq!(f.node.commit_index(), 1);
    f.deliver(2, ping(1, 2));
    assert!(matches!(
        f.take_sent().as_slice(),
        [(NodeId(2), FleMsg::Ack { last_index: 1, .. })]
    ));
}

#[test]
fn a_leader_that_steps_down_disconnects_its_followers_who_look_again_at_once() {
    // ZooKeeper's Leader.shutdown closes its learners' connections; each learner's read
    // fails and it goes LOOKING without waiting out its timeout.
    let mut l = established_leader();
    l.now_us += l.node.config.sync_timeout_us + 1;
    l.fire(FleTimer::Ping); // nobody acked within the sync timeout: the quorum is gone
    assert_eq!(l.node.server_state(), ServerState::Looking);
    let sent = l.take_sent();
    assert!(sent
        .iter()
        .any(|(to, msg)| *to == NodeId(1) && matches!(msg, FleMsg::Disconnect { session: 1 })));

    let mut f = following(1, 3, 2);
    f.deliver(2, FleMsg::Disconnect { session: 7 });
    assert_eq!(
        f.node.server_state(),
        ServerState::Following,
        "another session's"
    );
    f.deliver(0, FleMsg::Disconnect { session: 1 });
    assert_eq!(
        f.node.server_state(),
        ServerState::Following,
        "not its leader"
    );
    f.deliver(2, FleMsg::Disconnect { session: 1 });
    assert_eq!(f.node.server_state(), ServerState::Looking);
}
