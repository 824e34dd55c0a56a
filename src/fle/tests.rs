//! Scripted tests of FLE servers, driven by hand through their contexts. Each test cites the
//! rule of ZooKeeper's `lookForLeader` (or of Zab) it checks.

use super::*;
use crate::protocol::{NodeStates, ScriptedNode, TimerOp};

type Harness = ScriptedNode<FleNode>;

impl Harness {
    fn new(id: u16, node_count: u16, config: FleConfig) -> Harness {
        Harness::boot(id, node_count, &config)
    }

    fn notify(&mut self, from: u16, vote: Vote, round: u64, state: ServerState) {
        let ghost = NotificationGhost {
            sender_history: HistoryMark {
                current_epoch: vote.peer_epoch,
                last_zxid: vote.zxid,
            },
            sent_at_us: self.now_us,
        };
        self.notify_with(from, vote, round, state, ghost);
    }

    fn notify_with(
        &mut self,
        from: u16,
        vote: Vote,
        round: u64,
        state: ServerState,
        ghost: NotificationGhost,
    ) {
        self.deliver(
            from,
            FleMsg::Notification {
                vote,
                round,
                state,
                ghost,
            },
        );
    }

    fn take_sent(&mut self) -> Vec<(NodeId, FleMsg)> {
        self.out.observations.clear();
        std::mem::take(&mut self.out.sends)
    }

    fn take_timers(&mut self) -> Vec<TimerOp<FleTimer>> {
        std::mem::take(&mut self.out.timers)
    }

    /// The votes this server sent, with their round.
    fn sent_votes(&mut self) -> Vec<(NodeId, Vote, u64)> {
        self.take_sent()
            .into_iter()
            .filter_map(|(to, msg)| match msg {
                FleMsg::Notification { vote, round, .. } => Some((to, vote, round)),
                _ => None,
            })
            .collect()
    }
}

/// A vote for `leader` with a zxid of counter `zxid_counter` (in epoch 0: these tests
/// compare votes, whatever epoch wrote the zxid) and peer epoch `peer_epoch`.
fn vote(leader: u16, zxid_counter: u64, peer_epoch: u64) -> Vote {
    Vote {
        leader: NodeId(leader),
        zxid: Zxid::new(0, zxid_counter),
        peer_epoch,
    }
}

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
fn bugs_parse_by_their_names() {
    for bug in FleBug::ALL {
        assert_eq!(FleBug::from_name(bug.name()), Some(bug));
    }
    assert_eq!(FleBug::from_name("no-such-bug"), None);
    assert!(FleBug::names().contains("no-check-leader"));
}

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

/// Two servers' states, as a cluster view reads them.
struct Pair<'a>(&'a Harness, &'a Harness);

impl NodeStates<FleNode> for Pair<'_> {
    fn node_count(&self) -> u16 {
        2
    }

    fn live(&self, node: NodeId) -> Option<&FleNode> {
        Some(if node == self.0.id {
            &self.0.node
        } else {
            &self.1.node
        })
    }

    fn durable(&self, node: NodeId) -> &FleDurable {
        if node == self.0.id {
            &self.0.durable
        } else {
            &self.1.durable
        }
    }
}

#[test]
fn leader_quorum_dominance_fires_when_a_standing_voter_is_ahead() {
    // A crafted history: n0 votes for n1 although n0 holds a later epoch.
    let mut leader = Harness::new(1, 2, FleConfig::default());
    let mut voter = Harness::new(0, 2, FleConfig::default());
    voter.notify(1, vote(1, 0, 0), 1, ServerState::Looking);
    assert_eq!(voter.node.proposal(), vote(1, 0, 0));
    leader.notify(0, vote(1, 0, 0), 1, ServerState::Looking);
    leader.fire(FleTimer::Finalize);
    assert_eq!(leader.node.server_state(), ServerState::Leading);
    let quiet = leader
        .node
        .check_cluster(&ClusterView::new(&Pair(&leader, &voter)));
    assert_eq!(quiet, Ok(()));
    voter.durable.current_epoch = 3;
    let fired = leader
        .node
        .check_cluster(&ClusterView::new(&Pair(&leader, &voter)))
        .expect_err("n0 is ahead of the leader it elected");
    assert_eq!(fired.invariant, names::LEADER_QUORUM_DOMINANCE);
    // Only at the deciding step: the next handler clears it.
    leader.fire(FleTimer::Ping);
    let later = leader
        .node
        .check_cluster(&ClusterView::new(&Pair(&leader, &voter)));
    assert_eq!(later, Ok(()));
}

#[test]
fn committed_zxids_must_increase() {
    let mut h = Harness::new(0, 1, FleConfig::default());
    h.fire(FleTimer::Finalize);
    assert_eq!(h.node.check_local(&h.durable), Ok(()));
    // A crafted history whose second entry has a lower zxid than its first.
    h.durable.history = vec![initial_txn(5), initial_txn(4)];
    h.with(|node, ctx| node.commit_to(ctx, 2));
    let fired = h.node.check_local(&h.durable).expect_err("zxid went down");
    assert_eq!(fired.invariant, names::COMMITTED_ZXID_INCREASING);
}

fn mark(current_epoch: u64, last_zxid: Zxid) -> HistoryMark {
    HistoryMark {
        current_epoch,
        last_zxid,
    }
}

/// n1 of two, elected by n0's vote for it, sent `state` with the ghost saying n0 held
/// `sender_history` when it sent it (n0 holds nothing now): n1's cluster check.
fn dominance_check_after_vote(
    state: ServerState,
    sender_history: HistoryMark,
) -> Result<(), LocalViolation> {
    let mut leader = Harness::new(1, 2, FleConfig::default());
    let voter = Harness::new(0, 2, FleConfig::default());
    let ghost = NotificationGhost {
        sender_history,
        sent_at_us: 0,
    };
    leader.notify_with(0, vote(1, 0, 0), 1, state, ghost);
    if leader.node.server_state() == ServerState::Looking {
        leader.fire(FleTimer::Finalize);
    }
    assert_eq!(leader.node.server_state(), ServerState::Leading);
    leader
        .node
        .check_cluster(&ClusterView::new(&Pair(&leader, &voter)))
}

#[test]
fn leader_quorum_dominance_fires_when_a_voter_voted_from_ahead() {
    // A crafted notification: n0's vote for n1 says n0 held epoch 3 when it sent it, although
    // n0 holds nothing now (the second reading alone would not see it).
    let fired = dominance_check_after_vote(ServerState::Looking, mark(3, Zxid::ZERO))
        .expect_err("n0 voted from a later epoch");
    assert_eq!(fired.invariant, names::LEADER_QUORUM_DOMINANCE);
    assert!(fired.detail.contains("voted holding"), "{}", fired.detail);
}

/// n0 of three hears n1's vote at 1 ms (a quorum for n1 with its own), decides when its
/// config lets it, and then n2's better vote, sent at `sent_at_us`, arrives at `arrives_at_us`.
fn late_better_vote(config: FleConfig, sent_at_us: u64, arrives_at_us: u64) -> Harness {
    let wait_us = config.finalize_wait_us;
    let mut h = Harness::new(0, 3, config);
    h.now_us = 1_000;
    h.notify(1, vote(1, 0, 0), 1, ServerState::Looking);
    if h.node.server_state() == ServerState::Looking {
        h.now_us += wait_us;
        h.fire(FleTimer::Finalize);
    }
    assert_eq!(h.node.server_state(), ServerState::Following);
    h.now_us = arrives_at_us;
    let ghost = NotificationGhost {
        sender_history: HistoryMark::default(),
        sent_at_us,
    };
    h.notify_with(2, vote(2, 0, 0), 1, ServerState::Looking, ghost);
    h
}

#[test]
fn a_better_vote_in_flight_at_the_quorum_must_not_arrive_after_the_decision() {
    let skipping = FleConfig {
        bug: Some(FleBug::NoFinalizeWait),
        ..FleConfig::default()
    };
    // Without the wait, n2's vote sent at the start and 10 ms on the way comes too late.
    let h = late_better_vote(skipping.clone(), 0, 10_000);
    let fired = h.node.check_local(&h.durable).expect_err("vote skipped");
    assert_eq!(fired.invariant, names::FINALIZE_CATCHES_BETTER_VOTE);
    // Quiet: a vote sent after the quorum formed, or one slower than finalizeWait, is not
    // promised; nor is a worse vote.
    let h = late_better_vote(skipping.clone(), 2_000, 10_000);
    assert_eq!(h.node.check_local(&h.durable), Ok(()));
    let h = late_better_vote(skipping, 0, 200_001);
    assert_eq!(h.node.check_local(&h.durable), Ok(()));
    // With the wait, every vote that could break the promise arrived in time; what arrives
    // after the decision is too slow to count.
    let h = late_better_vote(FleConfig::default(), 0, 202_000);
    assert_eq!(h.node.check_local(&h.durable), Ok(()));
}

#[test]
fn a_follower_ahead_of_its_leader_is_no_dominance_breach() {
    // n0 says it follows n1 while holding more than n1 (a late joiner whose surplus the sync
    // will truncate): legal, and not a ranking, so the voted-holding reading skips it.
    assert_eq!(
        dominance_check_after_vote(ServerState::Following, mark(3, Zxid::new(0, 7))),
        Ok(())
    );
}

// ----- Zab: sessions, fresh epoch acks, the election vote after sync -----

/// A server that leads (or follows `leader`) without an election, for the Zab tests.
fn leading(id: u16, node_count: u16) -> Harness {
    let mut h = Harness::new(id, node_count, FleConfig::default());
    h.with(|node, ctx| node.become_leading(ctx));
    h.take_sent();
    h
}

fn following(id: u16, node_count: u16, leader: u16) -> Harness {
    let mut h = Harness::new(id, node_count, FleConfig::default());
    h.with(|node, ctx| node.become_following(ctx, NodeId(leader)));
    h
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

fn txn(epoch: u64, counter: u64) -> Txn {
    Txn {
        zxid: Zxid::new(epoch, counter),
        command: Command {
            id: counter,
            key: 1,
            value: counter,
        },
    }
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

// ----- The grounds of a decision (fle-decision-basis) -----

fn with_bug(bug: Option<FleBug>) -> FleConfig {
    FleConfig {
        bug,
        ..FleConfig::default()
    }
}

/// n0 of three hears n1's better vote tagged round 7 while n0 is in round 1, then its
/// finalize wait runs out.
fn vote_from_round_seven(bug: Option<FleBug>) -> Harness {
    let mut h = Harness::new(0, 3, with_bug(bug));
    h.notify(1, vote(1, 0, 0), 7, ServerState::Looking);
    h.fire(FleTimer::Finalize);
    assert_eq!(h.node.server_state(), ServerState::Following);
    h
}

#[test]
fn a_decision_counting_a_vote_of_another_round_breaks_the_decision_basis() {
    let h = vote_from_round_seven(Some(FleBug::IgnoreRound));
    let fired = h
        .node
        .check_local(&h.durable)
        .expect_err("a round-7 vote counted in round 1");
    assert_eq!(fired.invariant, names::DECISION_BASIS);
    assert!(fired.detail.contains("vote of round 7"), "{}", fired.detail);
    // Correct FLE moves to round 7 first, and decides there on round-7 votes.
    let h = vote_from_round_seven(None);
    assert_eq!(h.node.round(), 7);
    assert_eq!(h.node.check_local(&h.durable), Ok(()));
}

/// n0 of five hears n1, n3 and n4 (a quorum) say they follow n2, which has told n0 nothing.
fn followers_of_a_silent_leader(bug: Option<FleBug>) -> Harness {
    let mut h = Harness::new(0, 5, with_bug(bug));
    for follower in [1, 3, 4] {
        h.notify(follower, vote(2, 0, 0), 4, ServerState::Following);
    }
    h
}

#[test]
fn following_a_leader_that_never_said_leading_breaks_the_decision_basis() {
    let h = followers_of_a_silent_leader(Some(FleBug::NoCheckLeader));
    assert_eq!(h.node.server_state(), ServerState::Following);
    let fired = h
        .node
        .check_local(&h.durable)
        .expect_err("checkLeader skipped");
    assert_eq!(fired.invariant, names::DECISION_BASIS);
    assert!(
        fired.detail.contains("never announced LEADING"),
        "{}",
        fired.detail
    );
    // Correct FLE waits for n2 itself to say LEADING, then follows it on the same votes.
    let mut h = followers_of_a_silent_leader(None);
    assert_eq!(h.node.server_state(), ServerState::Looking);
    h.notify(2, vote(2, 0, 0), 4, ServerState::Leading);
    assert_eq!(h.node.server_state(), ServerState::Following);
    assert_eq!(h.node.check_local(&h.durable), Ok(()));
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

// ----- the broadcast streams, clocked by acks -----

/// Server 2 of 3 elected by server 1's vote, with server 1 registered in session 1 and its
/// ack of epoch 1 in: the next step, server 1's AckSync, establishes it.
fn epoch_acked_leader() -> Harness {
    let mut l = Harness::new(2, 3, FleConfig::default());
    l.notify(1, vote(2, 0, 0), 1, ServerState::Looking);
    l.fire(FleTimer::Finalize);
    l.deliver(
        1,
        FleMsg::FollowerInfo {
            accepted_epoch: 0,
            session: 1,
        },
    );
    ack_epoch_1(&mut l, 1);
    l
}

/// `follower`'s fresh AckEpoch of epoch 1 in session 1, with an empty history.
fn ack_epoch_1(l: &mut Harness, follower: u16) {
    l.deliver(
        follower,
        FleMsg::AckEpoch {
            epoch: 1,
            current_epoch: 0,
            last_zxid: Zxid::ZERO,
            fresh: true,
            session: 1,
        },
    );
}

/// Server 2 of 3 established as leader of epoch 1 with server 1 synchronised (and server 0
/// not registered), its history empty.
fn established_leader() -> Harness {
    let mut l = epoch_acked_leader();
    l.deliver(
        1,
        FleMsg::AckSync {
            epoch: 1,
            last_index: 0,
            session: 1,
        },
    );
    assert_eq!(l.node.server_state(), ServerState::Leading);
    l.take_sent();
    l
}

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
