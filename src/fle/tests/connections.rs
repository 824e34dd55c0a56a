//! Over connection-oriented links: resets, refused registrations, the re-send on a new
//! connection.

use super::*;

#[test]
fn a_follower_whose_connection_to_its_leader_resets_looks_again_at_once() {
    // Follower.followLeader: the read from the leader fails, the follower goes LOOKING.
    let mut f = following(1, 3, 2);
    f.reset(0);
    assert_eq!(
        f.node.server_state(),
        ServerState::Following,
        "not its leader"
    );
    f.reset(2);
    assert_eq!(f.node.server_state(), ServerState::Looking);
}

#[test]
fn a_leader_that_loses_its_synchronised_quorum_to_a_reset_steps_down_at_its_next_tick() {
    // The reset ends n1's LearnerHandler; Leader.lead's tick finds no synchronised quorum.
    let tick = |reset: bool| {
        let mut l = established_leader();
        if reset {
            l.reset(1);
            assert_eq!(
                l.node.server_state(),
                ServerState::Leading,
                "until the tick"
            );
        }
        l.now_us += l.node.config.ping_interval_us;
        l.fire(FleTimer::Ping);
        l.node.server_state()
    };
    assert_eq!(tick(false), ServerState::Leading);
    assert_eq!(tick(true), ServerState::Looking);
}

#[test]
fn a_server_that_does_not_lead_refuses_registrations_over_streams_only() {
    let registration = FleMsg::FollowerInfo {
        accepted_epoch: 0,
        session: 3,
    };
    let mut h = Harness::new(0, 3, FleConfig::default());
    h.take_sent();
    h.deliver(1, registration.clone());
    assert!(h.take_sent().is_empty(), "datagrams: silence, as before");
    h.stream_links = true;
    h.deliver(1, registration);
    assert_eq!(
        h.take_sent(),
        vec![(NodeId(1), FleMsg::Refused { session: 3 })]
    );
}

#[test]
fn a_refused_learner_retries_then_looks_again() {
    // Learner.connectToLeader: five tries 100 ms apart, then the IOException ends following.
    let mut f = following(1, 3, 2);
    f.now_us = 1_000;
    f.deliver(2, FleMsg::Refused { session: 1 });
    f.deliver(0, FleMsg::Refused { session: 1 });
    f.deliver(2, FleMsg::Refused { session: 9 });
    f.now_us += LEADER_CONNECT_RETRIES_US - 1;
    f.deliver(2, FleMsg::Refused { session: 1 });
    assert_eq!(
        f.node.server_state(),
        ServerState::Following,
        "still retrying"
    );
    f.now_us += 1;
    f.deliver(0, FleMsg::Refused { session: 1 });
    assert_eq!(
        f.node.server_state(),
        ServerState::Following,
        "not its leader"
    );
    f.deliver(2, FleMsg::Refused { session: 1 });
    assert_eq!(f.node.server_state(), ServerState::Looking);
}

#[test]
fn the_first_message_on_a_new_connection_brings_this_server_s_vote_back() {
    // QuorumCnxManager's SendWorker sends the last message first on a new connection.
    let mut h = Harness::new(0, 3, FleConfig::default());
    h.stream_links = true;
    h.reset(1);
    h.take_sent();
    let stray = FleMsg::Refused { session: 1 };
    h.deliver(1, stray.clone());
    assert_eq!(h.sent_votes(), vec![(NodeId(1), vote(0, 0, 0), 1)]);
    h.deliver(1, stray.clone());
    assert!(h.take_sent().is_empty(), "once per connection");
    h.deliver(2, stray);
    assert!(h.take_sent().is_empty(), "n2's connection never reset");
}
