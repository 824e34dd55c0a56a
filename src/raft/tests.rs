//! Scripted tests of one Raft node, driven by hand through its context. Each test cites the
//! rule it checks.

use super::*;
use crate::protocol::{ScriptedNode, TimerOp};

type Harness = ScriptedNode<RaftNode>;

impl Harness {
    /// A booted node whose start-up sends are already taken.
    fn new(id: u16, node_count: u16, config: RaftConfig) -> Harness {
        let mut harness = Harness::boot(id, node_count, &config);
        harness.take_sent();
        harness
    }

    fn plain(id: u16, node_count: u16) -> Harness {
        let config = RaftConfig {
            pre_vote: false,
            check_quorum: false,
            ..RaftConfig::default()
        };
        Harness::new(id, node_count, config)
    }

    /// Submits one client command per id, as the leader's clients would.
    fn client_requests(&mut self, ids: std::ops::Range<u64>) {
        for id in ids {
            let command = Command {
                id,
                key: 1,
                value: id,
            };
            self.with(|node, ctx| node.on_client_request(ctx, command));
        }
    }

    fn take_sent(&mut self) -> Vec<(NodeId, RaftMsg)> {
        self.out.timers.clear();
        self.out.observations.clear();
        self.out.sends.drain(..).collect()
    }

    fn take_observed(&mut self) -> Vec<Observation> {
        self.out.observations.drain(..).collect()
    }

    fn last_reply(&mut self) -> RaftMsg {
        self.take_sent().pop().expect("a reply was sent").1
    }

    /// Node 0 of 3 holding one entry of term 1, elected leader of term 2 by node 1's vote:
    /// the Figure 8 situation, an old-term entry under a new leader.
    fn figure_8_leader(mut self) -> Harness {
        self.append_log(&[1]);
        self.durable.current_term = 1;
        self.fire(RaftTimer::Election); // term 2
        self.deliver(
            1,
            RaftMsg::VoteReply {
                term: 2,
                granted: true,
            },
        );
        assert!(matches!(self.node.role(), Role::Leader(_)));
        self
    }

    fn append_log(&mut self, terms: &[u64]) {
        for (offset, &term) in terms.iter().enumerate() {
            self.durable.log.append(Entry {
                term,
                payload: Payload::Put(Command {
                    id: offset as u64,
                    key: 0,
                    value: term,
                }),
            });
        }
    }
}

/// Entries from (term, command id) pairs.
fn entries(terms_and_ids: &[(u64, u64)]) -> Vec<Entry> {
    terms_and_ids
        .iter()
        .map(|&(term, id)| Entry {
            term,
            payload: Payload::Put(Command {
                id,
                key: 0,
                value: term,
            }),
        })
        .collect()
}

/// The entry an AppendEntries follows (its prevLogIndex and prevLogTerm).
#[derive(Clone, Copy)]
struct Prev {
    index: u64,
    term: u64,
}

fn append(term: u64, prev: Prev, entries: Vec<Entry>, leader_commit: u64) -> RaftMsg {
    RaftMsg::AppendEntries {
        term,
        prev_log_index: prev.index,
        prev_log_term: prev.term,
        entries: entries.into(),
        leader_commit,
    }
}

#[test]
fn grants_one_vote_per_term() {
    // Reference: Raft §5.2, Figure 2 RequestVote receiver rule 2.
    let mut h = Harness::plain(0, 3);
    let ask = |term| RaftMsg::RequestVote {
        term,
        last_log_index: 0,
        last_log_term: 0,
    };
    h.deliver(1, ask(1));
    assert_eq!(
        h.last_reply(),
        RaftMsg::VoteReply {
            term: 1,
            granted: true
        }
    );
    assert_eq!(h.durable.voted_for, Some(NodeId(1)));
    h.deliver(2, ask(1));
    assert_eq!(
        h.last_reply(),
        RaftMsg::VoteReply {
            term: 1,
            granted: false
        }
    );
    h.deliver(1, ask(1));
    assert_eq!(
        h.last_reply(),
        RaftMsg::VoteReply {
            term: 1,
            granted: true
        }
    );
    h.deliver(2, ask(2));
    assert_eq!(
        h.last_reply(),
        RaftMsg::VoteReply {
            term: 2,
            granted: true
        }
    );
}

#[test]
fn refuses_votes_to_candidates_with_older_logs() {
    // Reference: Raft §5.4.1, the up-to-date check.
    let mut h = Harness::plain(0, 3);
    h.append_log(&[1, 2]);
    h.deliver(
        1,
        RaftMsg::RequestVote {
            term: 3,
            last_log_index: 5,
            last_log_term: 1,
        },
    );
    assert_eq!(
        h.last_reply(),
        RaftMsg::VoteReply {
            term: 3,
            granted: false
        }
    );
    h.deliver(
        2,
        RaftMsg::RequestVote {
            term: 3,
            last_log_index: 1,
            last_log_term: 2,
        },
    );
    assert_eq!(
        h.last_reply(),
        RaftMsg::VoteReply {
            term: 3,
            granted: false
        }
    );
    h.deliver(
        2,
        RaftMsg::RequestVote {
            term: 3,
            last_log_index: 2,
            last_log_term: 2,
        },
    );
    assert_eq!(
        h.last_reply(),
        RaftMsg::VoteReply {
            term: 3,
            granted: true
        }
    );
}

#[test]
fn candidate_persists_term_and_self_vote_before_asking() {
    // Reference: Figure 2 "Candidates" and "Persistent state on all servers".
    let mut h = Harness::plain(0, 3);
    h.fire(RaftTimer::Election);
    assert_eq!(h.durable.current_term, 1);
    assert_eq!(h.durable.voted_for, Some(NodeId(0)));
    let sent = h.take_sent();
    assert_eq!(sent.len(), 2);
    assert!(sent
        .iter()
        .all(|(_, msg)| matches!(msg, RaftMsg::RequestVote { term: 1, .. })));
}

#[test]
fn candidate_with_a_majority_becomes_leader_and_appends_a_noop() {
    // Reference: Raft §5.2 and §8 (a no-op entry at the start of the term).
    let mut h = Harness::plain(0, 3);
    h.fire(RaftTimer::Election);
    h.take_sent();
    h.deliver(
        1,
        RaftMsg::VoteReply {
            term: 1,
            granted: true,
        },
    );
    assert!(matches!(h.node.role(), Role::Leader(_)));
    assert_eq!(h.durable.log.last_index(), 1);
    assert_eq!(
        h.durable.log.entry(1).map(|e| e.payload),
        Some(Payload::Noop)
    );
    let observed = h.take_observed();
    assert!(observed.contains(&Observation::BecameLeader { term: 1 }));
}

#[test]
fn rejects_append_entries_that_do_not_match() {
    // Reference: Raft §5.3, Figure 2 AppendEntries receiver rule 2.
    let mut h = Harness::plain(0, 3);
    h.append_log(&[1]);
    h.deliver(
        1,
        append(2, Prev { index: 2, term: 1 }, entries(&[(2, 9)]), 0),
    );
    assert!(matches!(
        h.last_reply(),
        RaftMsg::AppendReply {
            success: false,
            conflict_index: 2,
            ..
        }
    ));
    h.deliver(
        1,
        append(2, Prev { index: 1, term: 2 }, entries(&[(2, 9)]), 0),
    );
    assert!(matches!(
        h.last_reply(),
        RaftMsg::AppendReply { success: false, .. }
    ));
    assert_eq!(h.durable.log.last_index(), 1);
}

#[test]
fn truncates_a_conflicting_suffix_only() {
    // Reference: Figure 2 AppendEntries receiver rule 3.
    let mut h = Harness::plain(0, 3);
    h.append_log(&[1, 1, 2]);
    h.deliver(
        1,
        append(3, Prev { index: 1, term: 1 }, entries(&[(1, 1), (3, 7)]), 0),
    );
    assert_eq!(h.durable.log.last_index(), 3);
    assert_eq!(h.durable.log.term_at(3), Some(3));
    let observed = h.take_observed();
    assert!(observed.contains(&Observation::LogTruncated { from_index: 3 }));
}

#[test]
fn a_stale_append_entries_does_not_truncate_matching_entries() {
    // Reference: Figure 2 receiver rule 3 applies only to conflicts; a delayed AppendEntries
    // carrying a prefix of what the follower already holds must leave the log alone.
    let mut h = Harness::plain(0, 3);
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
    assert_eq!(h.durable.log.last_index(), 3);
    assert!(matches!(
        h.last_reply(),
        RaftMsg::AppendReply {
            success: true,
            match_index: 1,
            ..
        }
    ));
}

#[test]
fn commit_index_is_bounded_by_the_last_new_entry() {
    // Reference: Figure 2 receiver rule 5, min(leaderCommit, index of last new entry): a
    // follower with a longer, stale suffix must not commit past what the leader vouched for.
    let mut h = Harness::plain(0, 3);
    h.append_log(&[1, 1, 1]);
    h.deliver(1, append(2, Prev { index: 1, term: 1 }, vec![], 3));
    assert_eq!(h.node.commit_index(), 1);
}

#[test]
fn leader_commits_old_term_entries_only_through_a_current_term_entry() {
    // Reference: Raft §5.4.2 and Figure 8: counting replicas of an entry from an earlier term
    // does not commit it.
    let mut h = Harness::plain(0, 3).figure_8_leader();
    h.take_sent();
    // Node 1 acknowledges only the old entry at index 1 (term 1): nothing commits.
    h.deliver(1, matched(1));
    assert_eq!(h.node.commit_index(), 0);
    // Node 1 acknowledges the term-2 no-op at index 2: both commit.
    h.deliver(1, matched(2));
    assert_eq!(h.node.commit_index(), 2);
}

#[test]
fn higher_term_makes_a_leader_step_down() {
    // Reference: Figure 2 "All servers": RPC with a higher term converts to follower.
    let mut h = Harness::plain(0, 3);
    h.fire(RaftTimer::Election);
    h.deliver(
        1,
        RaftMsg::VoteReply {
            term: 1,
            granted: true,
        },
    );
    h.take_observed();
    h.deliver(
        2,
        RaftMsg::AppendReply {
            term: 5,
            success: false,
            match_index: 0,
            rejected_index: 0,
            conflict_index: 0,
        },
    );
    assert!(matches!(h.node.role(), Role::Follower));
    assert_eq!(h.durable.current_term, 5);
    assert_eq!(h.durable.voted_for, None);
    assert!(h
        .take_observed()
        .contains(&Observation::SteppedDown { term: 1 }));
}

#[test]
fn pre_vote_does_not_change_terms() {
    // Reference: dissertation §9.6: a pre-candidate asks without incrementing its term, and a
    // voter answers without adopting the asked term.
    let mut h = Harness::new(0, 3, RaftConfig::default());
    h.fire(RaftTimer::Election);
    assert_eq!(h.durable.current_term, 0);
    assert!(matches!(h.node.role(), Role::PreCandidate { .. }));
    let sent = h.take_sent();
    assert!(sent
        .iter()
        .all(|(_, msg)| matches!(msg, RaftMsg::PreVote { term: 1, .. })));
    let mut voter = Harness::new(1, 3, RaftConfig::default());
    voter.deliver(
        0,
        RaftMsg::PreVote {
            term: 1,
            last_log_index: 0,
            last_log_term: 0,
        },
    );
    assert_eq!(
        voter.last_reply(),
        RaftMsg::PreVoteReply {
            term: 1,
            granted: true
        }
    );
    assert_eq!(voter.durable.current_term, 0);
    assert_eq!(voter.durable.voted_for, None);
}

#[test]
fn pre_vote_majority_starts_a_real_election() {
    let mut h = Harness::new(0, 3, RaftConfig::default());
    h.fire(RaftTimer::Election);
    h.take_sent();
    h.deliver(
        1,
        RaftMsg::PreVoteReply {
            term: 1,
            granted: true,
        },
    );
    assert!(matches!(h.node.role(), Role::Candidate { .. }));
    assert_eq!(h.durable.current_term, 1);
}

#[test]
fn followers_in_a_leader_lease_ignore_vote_requests() {
    // Reference: dissertation §4.2.3 / §6.2 with CheckQuorum: a follower that heard from the
    // leader within the minimum election timeout neither adopts the term nor votes.
    let mut h = Harness::new(0, 3, RaftConfig::default());
    h.deliver(1, append(1, Prev { index: 0, term: 0 }, vec![], 0));
    h.take_sent();
    h.now_us = 10_000;
    h.deliver(
        2,
        RaftMsg::RequestVote {
            term: 2,
            last_log_index: 9,
            last_log_term: 9,
        },
    );
    assert!(h.take_sent().is_empty());
    assert_eq!(h.durable.current_term, 1);
    h.now_us = 10_000 + RaftConfig::default().election_timeout_us_min;
    h.deliver(
        2,
        RaftMsg::RequestVote {
            term: 2,
            last_log_index: 9,
            last_log_term: 9,
        },
    );
    assert_eq!(
        h.last_reply(),
        RaftMsg::VoteReply {
            term: 2,
            granted: true
        }
    );
}

/// n0 of three, with `config` (PreVote on), wins a pre-vote and a vote from n1 in term 1.
fn elected_with_pre_vote(config: RaftConfig) -> Harness {
    let mut h = Harness::new(0, 3, config);
    h.fire(RaftTimer::Election);
    h.deliver(
        1,
        RaftMsg::PreVoteReply {
            term: 1,
            granted: true,
        },
    );
    h.deliver(
        1,
        RaftMsg::VoteReply {
            term: 1,
            granted: true,
        },
    );
    assert!(matches!(h.node.role(), Role::Leader(_)));
    h
}

#[test]
fn check_quorum_steps_down_a_leader_that_hears_no_majority() {
    let mut h = elected_with_pre_vote(RaftConfig::default());
    h.take_observed();
    h.fire(RaftTimer::QuorumCheck);
    assert!(matches!(h.node.role(), Role::Follower));
    assert!(h
        .take_observed()
        .contains(&Observation::SteppedDown { term: 1 }));
}

/// A leader of term 2 over a log of three term-1 entries plus its no-op, with n1's first
/// AppendEntries (prev index 3) already sent.
fn leader_over_three_entries() -> Harness {
    let mut h = Harness::plain(0, 3);
    h.append_log(&[1, 1, 1]);
    h.durable.current_term = 1;
    h.fire(RaftTimer::Election);
    h.deliver(
        1,
        RaftMsg::VoteReply {
            term: 2,
            granted: true,
        },
    );
    assert!(matches!(h.node.role(), Role::Leader(_)));
    h.take_sent();
    h
}

fn rejection(rejected_index: u64, conflict_index: u64) -> RaftMsg {
    RaftMsg::AppendReply {
        term: 2,
        success: false,
        match_index: 0,
        rejected_index,
        conflict_index,
    }
}

fn matched(match_index: u64) -> RaftMsg {
    RaftMsg::AppendReply {
        term: 2,
        success: true,
        match_index,
        rejected_index: 0,
        conflict_index: 0,
    }
}

#[test]
fn leader_backs_off_to_the_conflict_hint_and_ignores_stale_rejections() {
    let mut h = leader_over_three_entries();
    h.deliver(1, rejection(3, 2));
    let retry = h.take_sent();
    assert!(matches!(
        retry.as_slice(),
        [(
            NodeId(1),
            RaftMsg::AppendEntries {
                prev_log_index: 1,
                ..
            }
        )]
    ));
    h.deliver(1, matched(4));
    assert!(
        h.take_sent().is_empty(),
        "n1 has everything: nothing more to send"
    );
    // A rejection arriving late, of a request sent before n1 caught up, changes nothing.
    h.deliver(1, rejection(1, 1));
    assert!(h.take_sent().is_empty());
    h.fire(RaftTimer::Heartbeat);
    let heartbeat = h.take_sent();
    assert!(heartbeat.iter().any(|(to, msg)| *to == NodeId(1)
        && matches!(
            msg,
            RaftMsg::AppendEntries {
                prev_log_index: 4,
                ..
            }
        )));
}

#[test]
fn a_stale_term_refusal_is_not_a_log_rejection() {
    let mut h = leader_over_three_entries();
    h.deliver(1, matched(4));
    h.take_sent();
    // The reply to an AppendEntries from an earlier term carries no rejected index.
    h.deliver(1, rejection(0, 0));
    assert!(h.take_sent().is_empty());
}

#[test]
fn duplicated_success_replies_do_not_start_extra_sends() {
    let mut h = leader_over_three_entries();
    h.deliver(1, matched(4));
    h.take_sent();
    h.client_requests(10..13);
    assert_eq!(
        h.take_sent()
            .iter()
            .filter(|(to, _)| *to == NodeId(1))
            .count(),
        3
    );
    // The same acknowledgement, delivered three times (duplication), sends nothing new.
    for _ in 0..3 {
        h.deliver(1, matched(5));
    }
    assert!(h.take_sent().is_empty());
}

#[test]
fn a_probing_leader_keeps_one_append_entries_in_flight() {
    let mut h = leader_over_three_entries();
    h.deliver(1, rejection(3, 3));
    assert_eq!(h.take_sent().len(), 1, "one probe");
    h.client_requests(10..13);
    let sent = h.take_sent();
    assert!(
        sent.iter().all(|(to, _)| *to != NodeId(1)),
        "no new sends to a probed follower"
    );
    h.fire(RaftTimer::Heartbeat);
    let probes: Vec<_> = h
        .take_sent()
        .into_iter()
        .filter(|(to, _)| *to == NodeId(1))
        .collect();
    assert!(matches!(
        probes.as_slice(),
        [(
            _,
            RaftMsg::AppendEntries {
                prev_log_index: 2,
                ..
            }
        )]
    ));
}

#[test]
fn stepping_down_reports_the_term_that_was_led() {
    let mut h = leader_over_three_entries();
    h.take_observed();
    h.deliver(
        2,
        RaftMsg::VoteReply {
            term: 7,
            granted: false,
        },
    );
    assert!(h
        .take_observed()
        .contains(&Observation::SteppedDown { term: 2 }));
    assert_eq!(h.durable.current_term, 7);
}

#[test]
fn a_follower_with_a_known_leader_does_not_vote_in_that_term() {
    let mut h = Harness::plain(0, 3);
    h.deliver(1, append(3, Prev { index: 0, term: 0 }, vec![], 0));
    h.take_sent();
    h.deliver(
        2,
        RaftMsg::RequestVote {
            term: 3,
            last_log_index: 0,
            last_log_term: 0,
        },
    );
    assert_eq!(
        h.last_reply(),
        RaftMsg::VoteReply {
            term: 3,
            granted: false
        }
    );
    assert_eq!(h.durable.voted_for, None);
}

#[test]
fn without_check_quorum_there_is_no_lease() {
    let config = RaftConfig {
        pre_vote: true,
        check_quorum: false,
        ..RaftConfig::default()
    };
    let mut h = Harness::new(0, 3, config);
    h.deliver(1, append(1, Prev { index: 0, term: 0 }, vec![], 0));
    h.take_sent();
    h.deliver(
        2,
        RaftMsg::PreVote {
            term: 2,
            last_log_index: 0,
            last_log_term: 0,
        },
    );
    assert_eq!(
        h.last_reply(),
        RaftMsg::PreVoteReply {
            term: 2,
            granted: true
        }
    );
}

#[test]
fn restart_keeps_durable_state_and_relearns_commit() {
    let mut h = Harness::plain(0, 3);
    h.deliver(
        1,
        append(1, Prev { index: 0, term: 0 }, entries(&[(1, 1), (1, 2)]), 2),
    );
    assert_eq!(h.node.commit_index(), 2);
    // Crash: the node value is dropped; durable state is handed to a fresh on_start.
    let config = RaftConfig {
        pre_vote: false,
        check_quorum: false,
        ..RaftConfig::default()
    };
    h.restart(&config);
    assert_eq!(h.node.commit_index(), 0);
    assert_eq!(h.durable.log.last_index(), 2);
    assert_eq!(h.durable.current_term, 1);
    h.take_sent();
    h.deliver(1, append(1, Prev { index: 2, term: 1 }, vec![], 2));
    assert_eq!(h.node.commit_index(), 2);
    assert_eq!(h.node.store().len(), 1);
}

#[test]
fn timers_are_requested_as_ranges() {
    let mut h = Harness::plain(0, 3);
    h.fire(RaftTimer::Election);
    let config = RaftConfig::default();
    let range = config.election_timeout_us_min..=config.election_timeout_us_max;
    assert!(h.out.timers.iter().any(|op| matches!(op,
        TimerOp::Set { timer: RaftTimer::Election, delay_us } if range.contains(delay_us))));
}

/// The election timeout is drawn when the term or role changes and reused while they stand,
/// as etcd does: every heartbeat of one term restarts the timer with the same timeout, and a
/// new term draws again (over many terms, more than one value comes up).
#[test]
fn the_election_timeout_is_drawn_per_term_not_per_heartbeat() {
    let mut h = Harness::plain(1, 3);
    let election_delays = |h: &mut Harness| -> Vec<u64> {
        let delays = h
            .out
            .timers
            .iter()
            .filter_map(|op| match op {
                TimerOp::Set {
                    timer: RaftTimer::Election,
                    delay_us,
                } => Some(*delay_us),
                _ => None,
            })
            .collect();
        h.take_sent();
        delays
    };
    let mut per_term = Vec::new();
    for term in 1..=20 {
        for _ in 0..3 {
            h.deliver(0, append(term, Prev { index: 0, term: 0 }, vec![], 0));
        }
        let delays = election_delays(&mut h);
        assert_eq!(delays.len(), 3, "term {term}: one restart per heartbeat");
        assert!(
            delays.iter().all(|&delay| delay == delays[0]),
            "term {term}: {delays:?}"
        );
        per_term.push(delays[0]);
    }
    let config = RaftConfig::default();
    let range = config.election_timeout_us_min..=config.election_timeout_us_max;
    assert!(per_term.iter().all(|delay| range.contains(delay)));
    per_term.sort_unstable();
    per_term.dedup();
    assert!(per_term.len() > 10, "new terms draw anew: {per_term:?}");
}

mod bugs;
