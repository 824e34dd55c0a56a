//! Scripted tests of FLE servers, driven by hand through their contexts. Each test cites the
//! rule of ZooKeeper's `lookForLeader` (or of Zab) it checks.

use super::*;
use crate::protocol::{NodeStates, Outbox, TimerOp};
use crate::sim::prng::{Prng, Stream};

struct Harness {
    id: NodeId,
    node_count: u16,
    now_us: u64,
    durable: FleDurable,
    rng: Prng,
    out: Outbox<FleNode>,
    node: FleNode,
}

impl Harness {
    fn new(id: u16, node_count: u16, config: FleConfig) -> Harness {
        let mut durable = FleDurable::default();
        let mut rng = Prng::new(1, Stream::Node(id));
        let mut out = Outbox::default();
        let mut ctx = Ctx::new(
            NodeId(id),
            node_count,
            0,
            false,
            &mut durable,
            &mut rng,
            &mut out,
        );
        let node = FleNode::on_start(&config, &mut ctx);
        Harness {
            id: NodeId(id),
            node_count,
            now_us: 0,
            durable,
            rng,
            out,
            node,
        }
    }

    fn with<R>(&mut self, f: impl FnOnce(&mut FleNode, &mut FleCtx<'_>) -> R) -> R {
        let mut ctx = Ctx::new(
            self.id,
            self.node_count,
            self.now_us,
            false,
            &mut self.durable,
            &mut self.rng,
            &mut self.out,
        );
        f(&mut self.node, &mut ctx)
    }

    fn deliver(&mut self, from: u16, msg: FleMsg) {
        self.with(|node, ctx| node.on_message(ctx, NodeId(from), msg));
    }

    fn notify(&mut self, from: u16, vote: Vote, round: u64, state: ServerState) {
        self.deliver(from, FleMsg::Notification { vote, round, state });
    }

    fn fire(&mut self, timer: FleTimer) {
        self.with(|node, ctx| node.on_timer(ctx, timer));
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

fn vote(leader: u16, zxid: u64, peer_epoch: u64) -> Vote {
    Vote {
        leader: NodeId(leader),
        zxid,
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
    assert_eq!(h.node.voters_for(&vote(4, 0, 0)), Vec::<NodeId>::new());
    assert_eq!(h.node.voters_for(&vote(2, 0, 0)), vec![NodeId(2)]);
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
    assert_eq!(h.node.voters_for(&vote(1, 0, 0)), Vec::<NodeId>::new());
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
    assert!(sent.contains(&(NodeId(3), FleMsg::FollowerInfo { accepted_epoch: 0 })));
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
                state: ServerState::Leading
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
    h.deliver(1, FleMsg::FollowerInfo { accepted_epoch: 6 });
    assert_eq!(
        h.take_sent(),
        vec![(NodeId(1), FleMsg::NewEpoch { epoch: 7 })]
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
