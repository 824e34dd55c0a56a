//! Scripted tests of one node, driven by hand: what the adapter does with raft-rs's `Ready`
//! (what reaches the disk, what leaves, what is reported) and how it draws the election
//! timeout. Each test states the rule it checks.

use quorumsim::protocol::{ClientReply, Command, NodeId, Observation, Protocol, ScriptedNode};
use raft::eraftpb::{Entry, Message, MessageType};
use raft::StateRole;

use crate::config::{RaftRsBug, RaftRsConfig};
use crate::node::{RaftRsNode, RaftRsTimer};
use crate::wire::{encode_command, entry_digest, RaftRsMsg};

type Harness = ScriptedNode<RaftRsNode>;

fn boot(config: RaftRsConfig) -> Harness {
    let mut harness = Harness::boot(0, 3, &config);
    harness.out = Default::default();
    harness
}

fn message(msg_type: MessageType, from: u64, term: u64) -> Message {
    Message {
        msg_type,
        from,
        to: 1,
        term,
        ..Message::default()
    }
}

fn entry(index: u64, term: u64, data: Vec<u8>) -> Entry {
    Entry {
        index,
        term,
        data: data.into(),
        ..Entry::default()
    }
}

fn put(id: u64) -> Command {
    Command {
        id,
        key: (id % 4) as u32,
        value: id * 10,
    }
}

fn command_data(id: u64) -> Vec<u8> {
    encode_command(&put(id))
}

fn request(harness: &mut Harness, command: Command) -> ClientReply {
    harness.with(|node, ctx| node.on_client_request(ctx, command))
}

fn deliver(harness: &mut Harness, message: Message) {
    let from = (message.from - 1) as u16;
    harness.deliver(from, RaftRsMsg(message));
}

/// Ticks until the node stands for election (at most the longest timeout).
fn tick_until_candidate(harness: &mut Harness) {
    for _ in 0..harness.node.config.max_election_tick {
        harness.fire(RaftRsTimer::Tick);
        if harness.node.raw.raft.state == StateRole::Candidate {
            return;
        }
    }
    panic!("no election after the longest timeout");
}

/// Node n0 of three as leader of term 1, its outbox cleared.
fn leader(config: RaftRsConfig) -> Harness {
    let mut harness = boot(config);
    tick_until_candidate(&mut harness);
    deliver(
        &mut harness,
        message(MessageType::MsgRequestVoteResponse, 2, 1),
    );
    assert_eq!(harness.node.raw.raft.state, StateRole::Leader);
    harness.out = Default::default();
    harness
}

fn sent_types(harness: &mut Harness) -> Vec<(NodeId, MessageType)> {
    harness
        .out
        .sends
        .drain(..)
        .map(|(to, message)| (to, message.0.get_msg_type()))
        .collect()
}

fn observed(harness: &mut Harness) -> Vec<Observation> {
    harness.out.observations.drain(..).collect()
}

/// raft-rs draws with `thread_rng`; the adapter overwrites each draw with one from the node's
/// own stream, so two nodes booted alike keep the same timeouts through resets.
#[test]
fn election_timeouts_come_from_the_node_stream_after_every_reset() {
    let config = RaftRsConfig::default();
    let mut timeouts = Vec::new();
    for _ in 0..2 {
        let mut harness = boot(config);
        let mut seen = vec![harness.node.timeout.timeout_ticks()];
        tick_until_candidate(&mut harness);
        seen.push(harness.node.timeout.timeout_ticks());
        // A higher term resets again: follower of term 5.
        deliver(&mut harness, message(MessageType::MsgHeartbeat, 2, 5));
        seen.push(harness.node.timeout.timeout_ticks());
        assert_eq!(harness.node.timeout.draw_count(), 3);
        for &ticks in &seen {
            assert!((15..30).contains(&ticks), "{seen:?}");
        }
        assert_eq!(
            harness.node.raw.raft.randomized_election_timeout(),
            harness.node.timeout.timeout_ticks()
        );
        timeouts.push(seen);
    }
    assert_eq!(timeouts[0], timeouts[1]);
}

/// Becoming a pre-candidate is the one role change without a reset: no draw.
#[test]
fn a_pre_candidate_keeps_its_timeout() {
    let config = RaftRsConfig {
        pre_vote: true,
        ..RaftRsConfig::default()
    };
    let mut harness = boot(config);
    let ticks = harness.node.timeout.timeout_ticks();
    for _ in 0..ticks {
        harness.fire(RaftRsTimer::Tick);
    }
    assert_eq!(harness.node.raw.raft.state, StateRole::PreCandidate);
    assert_eq!(harness.node.timeout.draw_count(), 1);
    // Its pre-votes are granted: now a candidate of term 1, which resets.
    deliver(
        &mut harness,
        message(MessageType::MsgRequestPreVoteResponse, 2, 1),
    );
    assert_eq!(harness.node.raw.raft.state, StateRole::Candidate);
    assert_eq!(harness.node.timeout.draw_count(), 2);
}

/// A granted vote is on disk before its response leaves, and reported once.
#[test]
fn a_vote_is_reported_written_and_kept_across_a_restart() {
    let config = RaftRsConfig::default();
    let mut harness = boot(config);
    deliver(&mut harness, message(MessageType::MsgRequestVote, 2, 1));
    assert_eq!(
        observed(&mut harness),
        vec![Observation::Voted {
            term: 1,
            candidate: NodeId(1)
        }]
    );
    assert_eq!(
        sent_types(&mut harness),
        vec![(NodeId(1), MessageType::MsgRequestVoteResponse)]
    );
    let hard_state = harness.durable.hard_state();
    assert_eq!((hard_state.term, hard_state.vote), (1, 2));
    // After a restart, the other candidate of term 1 is refused and no vote is reported.
    harness.restart(&config);
    harness.out = Default::default();
    deliver(&mut harness, message(MessageType::MsgRequestVote, 3, 1));
    assert!(observed(&mut harness).is_empty());
    let response = harness.out.sends.pop().expect("a response").1 .0;
    assert!(response.reject);
}

/// A new leader reports itself before its empty entry; a command is written, sent, and once
/// a follower acknowledges it, committed and applied.
#[test]
fn a_leader_reports_its_term_then_its_log_then_commits_and_applies() {
    let mut harness = boot(RaftRsConfig::default());
    tick_until_candidate(&mut harness);
    harness.out = Default::default();
    deliver(
        &mut harness,
        message(MessageType::MsgRequestVoteResponse, 2, 1),
    );
    let empty = entry(1, 1, vec![]);
    assert_eq!(
        observed(&mut harness),
        vec![
            Observation::BecameLeader { term: 1 },
            Observation::LogAppended {
                index: 1,
                term: 1,
                digest: entry_digest(&empty)
            },
        ]
    );
    harness.out = Default::default();
    assert_eq!(request(&mut harness, put(9)), ClientReply::Accepted);
    assert_eq!(harness.durable.last_index(), 2);
    let mut append_response = message(MessageType::MsgAppendResponse, 2, 1);
    append_response.index = 2;
    harness.out = Default::default();
    deliver(&mut harness, append_response);
    let put = entry(2, 1, command_data(9));
    let observations = observed(&mut harness);
    assert_eq!(
        observations[..2],
        [
            Observation::Committed {
                index: 1,
                term: 1,
                digest: entry_digest(&empty)
            },
            Observation::Committed {
                index: 2,
                term: 1,
                digest: entry_digest(&put)
            },
        ]
    );
    assert!(matches!(
        observations[2..],
        [
            Observation::Applied { index: 1, .. },
            Observation::Applied { index: 2, .. }
        ]
    ));
    assert_eq!(harness.node.store.get(1), Some(90));
    assert_eq!(harness.node.applied_index(), 2);
}

/// A follower answers a client with the leader it knows, and a deposed leader reports
/// stepping down before the new leader's entries replace its own.
#[test]
fn a_deposed_leader_steps_down_before_its_log_is_rewritten() {
    let mut harness = leader(RaftRsConfig::default());
    assert_eq!(request(&mut harness, put(1)), ClientReply::Accepted);
    harness.out = Default::default();
    // Leader n2 of term 2 replaces index 2 (uncommitted) with its own entry.
    let mut append = message(MessageType::MsgAppend, 3, 2);
    append.index = 1;
    append.log_term = 1;
    append.entries = vec![entry(2, 2, vec![])].into();
    deliver(&mut harness, append);
    let observations = observed(&mut harness);
    assert_eq!(
        observations[..3],
        [
            Observation::SteppedDown { term: 1 },
            Observation::Following {
                term: 2,
                leader: NodeId(2)
            },
            Observation::LogAppended {
                index: 2,
                term: 2,
                digest: entry_digest(&entry(2, 2, vec![]))
            },
        ]
    );
    assert_eq!(
        request(&mut harness, put(2)),
        ClientReply::NotLeader {
            leader_hint: Some(NodeId(2))
        }
    );
}

/// A follower's commit index arrives with the entries it covers: they are reported committed
/// only once written, never the entry the disk held there before.
#[test]
fn a_follower_commits_only_entries_it_has_written() {
    let mut harness = boot(RaftRsConfig::default());
    let mut first = message(MessageType::MsgAppend, 2, 1);
    first.entries = vec![entry(1, 1, command_data(1))].into();
    deliver(&mut harness, first);
    harness.out = Default::default();
    // Leader n2 of term 2 overwrites index 1 and commits it in the same message.
    let mut second = message(MessageType::MsgAppend, 3, 2);
    second.entries = vec![entry(1, 2, command_data(2))].into();
    second.commit = 1;
    deliver(&mut harness, second);
    let replaced = entry(1, 2, command_data(2));
    let observations = observed(&mut harness);
    let committed: Vec<&Observation> = observations
        .iter()
        .filter(|o| matches!(o, Observation::Committed { .. }))
        .collect();
    assert_eq!(
        committed,
        [&Observation::Committed {
            index: 1,
            term: 2,
            digest: entry_digest(&replaced)
        }]
    );
    let written = observations
        .iter()
        .position(|o| matches!(o, Observation::LogAppended { .. }));
    let commit = observations
        .iter()
        .position(|o| matches!(o, Observation::Committed { .. }));
    assert!(written < commit, "{observations:?}");
}

/// `send-before-persist`: the vote leaves while the disk still has none; the next tick writes it.
#[test]
fn send_before_persist_writes_the_hard_state_a_tick_late() {
    let config = RaftRsConfig {
        bug: Some(RaftRsBug::SendBeforePersist),
        ..RaftRsConfig::default()
    };
    let mut harness = boot(config);
    deliver(&mut harness, message(MessageType::MsgRequestVote, 2, 1));
    assert_eq!(
        sent_types(&mut harness),
        vec![(NodeId(1), MessageType::MsgRequestVoteResponse)]
    );
    assert_eq!(harness.durable.hard_state().vote, 0);
    harness.fire(RaftRsTimer::Tick);
    assert_eq!(harness.durable.hard_state().vote, 2);
}

/// `entries-without-hard-state`: the log reaches the disk, the hard state never does.
#[test]
fn entries_without_hard_state_leaves_the_disk_in_term_zero() {
    let config = RaftRsConfig {
        bug: Some(RaftRsBug::EntriesWithoutHardState),
        ..RaftRsConfig::default()
    };
    let mut harness = boot(config);
    let mut append = message(MessageType::MsgAppend, 2, 3);
    append.entries = vec![entry(1, 3, command_data(1))].into();
    append.commit = 1;
    deliver(&mut harness, append);
    assert_eq!(harness.durable.last_index(), 1);
    assert_eq!(harness.durable.hard_state(), Default::default());
}

/// `apply-before-commit`: an entry is applied as it is written, before it is committed.
#[test]
fn apply_before_commit_applies_on_write() {
    let config = RaftRsConfig {
        bug: Some(RaftRsBug::ApplyBeforeCommit),
        ..RaftRsConfig::default()
    };
    let mut harness = boot(config);
    let mut append = message(MessageType::MsgAppend, 2, 1);
    append.entries = vec![entry(1, 1, command_data(1))].into();
    deliver(&mut harness, append);
    assert_eq!(harness.node.raw.raft.raft_log.committed, 0);
    assert!(observed(&mut harness).contains(&Observation::Applied {
        index: 1,
        state_digest: harness.node.store.digest()
    }));
}

/// `ignore-light-ready`: entries a follower learns are committed together with the append
/// that carries them come back in the `LightReady`, and are never applied.
#[test]
fn ignore_light_ready_skips_what_the_light_ready_commits() {
    for (bug, applied) in [(None, 1), (Some(RaftRsBug::IgnoreLightReady), 0)] {
        let mut harness = boot(RaftRsConfig {
            bug,
            ..RaftRsConfig::default()
        });
        let mut append = message(MessageType::MsgAppend, 2, 1);
        append.entries = vec![entry(1, 1, command_data(1))].into();
        append.commit = 1;
        deliver(&mut harness, append);
        assert_eq!(harness.node.applied_index(), applied, "{bug:?}");
    }
}

/// raft-rs restarts the election timer when a higher-term vote request makes a node step
/// down, even when it refuses the vote (tikv/raft-rs#14); the `keep_timer_on_refused_vote`
/// experiment leaves it running, as Raft's Figure 2 does, and a granted vote still restarts it.
#[test]
fn the_timer_experiment_keeps_the_timer_only_through_a_refused_vote() {
    for keep in [false, true] {
        let config = RaftRsConfig {
            keep_timer_on_refused_vote: keep,
            ..RaftRsConfig::default()
        };
        let mut harness = boot(config);
        let mut append = message(MessageType::MsgAppend, 2, 1);
        append.entries = vec![entry(1, 1, command_data(1))].into();
        deliver(&mut harness, append);
        for _ in 0..5 {
            harness.fire(RaftRsTimer::Tick);
        }
        let timeout = harness.node.timeout.timeout_ticks();
        // A candidate of term 2 whose log is empty: refused, but the term moves on.
        deliver(&mut harness, message(MessageType::MsgRequestVote, 3, 2));
        let raft = &harness.node.raw.raft;
        assert_eq!((raft.term, raft.vote), (2, 0));
        let expected = if keep {
            (5, timeout)
        } else {
            (0, raft.randomized_election_timeout())
        };
        assert_eq!(
            (raft.election_elapsed, raft.randomized_election_timeout()),
            expected,
            "keep: {keep}"
        );
        // A granted vote restarts the timer either way.
        let mut up_to_date = message(MessageType::MsgRequestVote, 3, 3);
        up_to_date.log_term = 1;
        up_to_date.index = 1;
        deliver(&mut harness, up_to_date);
        assert_eq!(harness.node.raw.raft.vote, 3);
        assert_eq!(harness.node.raw.raft.election_elapsed, 0, "keep: {keep}");
    }
}
