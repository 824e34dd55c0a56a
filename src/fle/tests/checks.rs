//! The FLE invariants fire on the runs that break them and stay quiet on those that do not.

use super::*;

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

#[test]
fn a_wait_cut_short_by_the_clock_promises_only_what_it_waited() {
    // n0's clock jumps ahead: its finalize timer fires 50 ms after the quorum formed instead
    // of 200 ms. n2's better vote, sent before the quorum and 60 ms on the way, arrives after
    // the decision; correct FLE could not have seen it, so the promise is not broken.
    let mut h = Harness::new(0, 3, FleConfig::default());
    h.now_us = 1_000;
    h.notify(1, vote(1, 0, 0), 1, ServerState::Looking);
    h.now_us += 50_000;
    h.fire(FleTimer::Finalize);
    assert_eq!(h.node.server_state(), ServerState::Following);
    h.now_us = 60_000;
    let ghost = NotificationGhost {
        sender_history: HistoryMark::default(),
        sent_at_us: 0,
    };
    h.notify_with(2, vote(2, 0, 0), 1, ServerState::Looking, ghost);
    assert_eq!(h.node.check_local(&h.durable), Ok(()));
}
