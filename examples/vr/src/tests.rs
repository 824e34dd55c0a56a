//! Scripted tests of one replica, driven by hand. Each test cites the rule of VR-Revisited
//! it checks.

use quorumsim::protocol::{
    ClientReply, Command, NodeId, Observation, Protocol, ScriptedNode, TimerOp,
};

use crate::config::{VrBug, VrConfig};
use crate::message::{Entry, VrMsg};
use crate::replica::{VrReplica, VrTimer};
use crate::role::Role;

type Harness = ScriptedNode<VrReplica>;

fn command(id: u64) -> Command {
    Command {
        id,
        key: (id % 4) as u32,
        value: id * 10,
    }
}

/// Entries with ids 1, 2, … in the given views.
fn entries(views: &[u64]) -> Vec<Entry> {
    views
        .iter()
        .enumerate()
        .map(|(offset, &view)| Entry {
            view,
            command: command(offset as u64 + 1),
        })
        .collect()
}

fn boot(id: u16, node_count: u16) -> Harness {
    boot_with(id, node_count, VrConfig::default())
}

fn boot_with(id: u16, node_count: u16, config: VrConfig) -> Harness {
    let mut harness = Harness::boot(id, node_count, &config);
    harness.out = Default::default();
    harness
}

fn sent(harness: &mut Harness) -> Vec<(NodeId, VrMsg)> {
    harness.out.sends.drain(..).collect()
}

fn observed(harness: &mut Harness) -> Vec<Observation> {
    harness.out.observations.drain(..).collect()
}

fn clear(harness: &mut Harness) {
    harness.out = Default::default();
}

/// A replica of a group of `node_count` in view-change status for `view`, last normal in
/// `last_normal_view`, holding `log`: set on disk, then restarted.
fn in_view_change(
    id: u16,
    node_count: u16,
    view: u64,
    last_normal_view: u64,
    log: Vec<Entry>,
    config: VrConfig,
) -> Harness {
    let mut harness = boot_with(id, node_count, config);
    harness.durable.view = view;
    harness.durable.last_normal_view = last_normal_view;
    harness.durable.log = log;
    harness.restart(&config);
    clear(&mut harness);
    harness
}

fn prepare(view: u64, op_number: u64, entry: Entry, commit_number: u64) -> VrMsg {
    VrMsg::Prepare {
        view,
        op_number,
        entry,
        commit_number,
    }
}

fn do_view_change(view: u64, log: Vec<Entry>, last_normal_view: u64, commit: u64) -> VrMsg {
    VrMsg::DoViewChange {
        view,
        log,
        last_normal_view,
        commit_number: commit,
    }
}

#[test]
fn a_first_boot_is_view_0_with_replica_0_as_primary() {
    // Reference: §4, "the primary of view v is replica v mod n"; all start in view 0.
    let config = VrConfig::default();
    let mut primary = Harness::boot(0, 3, &config);
    assert!(matches!(primary.node.role(), Role::Primary(_)));
    assert_eq!(
        observed(&mut primary),
        vec![Observation::BecameLeader { term: 0 }]
    );
    let mut backup = Harness::boot(2, 3, &config);
    assert_eq!(
        observed(&mut backup),
        vec![Observation::Following {
            term: 0,
            leader: NodeId(0)
        }]
    );
    let reply = backup.with(|node, ctx| node.on_client_request(ctx, command(1)));
    assert_eq!(
        reply,
        ClientReply::NotLeader {
            leader_hint: Some(NodeId(0))
        }
    );
}

#[test]
fn the_primary_prepares_and_commits_once_f_backups_acknowledge() {
    // Reference: §4.1 steps 2-5: Prepare to all, commit after f PrepareOKs (f = 2 of 5).
    let mut primary = boot(0, 5);
    let reply = primary.with(|node, ctx| node.on_client_request(ctx, command(1)));
    assert_eq!(reply, ClientReply::Accepted);
    let entry = Entry {
        view: 0,
        command: command(1),
    };
    let sends = sent(&mut primary);
    assert_eq!(sends.len(), 4);
    assert!(sends.iter().all(|(_, msg)| *msg == prepare(0, 1, entry, 0)));
    observed(&mut primary);
    let ok = VrMsg::PrepareOk {
        view: 0,
        op_number: 1,
    };
    primary.deliver(1, ok.clone());
    primary.deliver(1, ok.clone()); // a duplicate is not a second backup
    assert_eq!(primary.node.commit_number(), 0);
    primary.deliver(3, ok);
    assert_eq!(primary.node.commit_number(), 1);
    let observations = observed(&mut primary);
    assert!(matches!(
        observations[..],
        [
            Observation::Committed {
                index: 1,
                term: 0,
                ..
            },
            Observation::Applied { index: 1, .. }
        ]
    ));
    assert_eq!(primary.node.store().get(1), Some(10));
}

#[test]
fn committing_on_f_replicas_is_the_planted_bug() {
    // Reference: §4.1 step 5 needs f PrepareOKs besides the primary; the bug needs one fewer.
    let config = VrConfig {
        bug: Some(VrBug::CommitOnFReplicas),
        ..VrConfig::default()
    };
    let mut primary = boot_with(0, 3, config);
    primary.with(|node, ctx| node.on_client_request(ctx, command(1)));
    assert_eq!(
        primary.node.commit_number(),
        1,
        "committed with no PrepareOK"
    );
}

#[test]
fn a_backup_logs_ops_in_order_keeping_early_ones_until_the_gap_fills() {
    // Reference: §4.1 step 4, "won't accept a prepare with op-number n until it has entries
    // for all earlier requests"; an early one is kept rather than lost to reordering.
    let mut backup = boot(1, 3);
    let log = entries(&[0, 0, 0]);
    backup.deliver(0, prepare(0, 2, log[1], 0));
    assert_eq!(backup.durable.op_number(), 0, "op 2 before op 1 waits");
    backup.deliver(0, prepare(0, 1, log[0], 1));
    assert_eq!(backup.durable.log, log[..2], "op 1 lets op 2 follow");
    backup.deliver(0, prepare(0, 2, log[1], 1)); // duplicates change nothing
    backup.deliver(0, prepare(0, 1, log[0], 1));
    assert_eq!(backup.durable.log, log[..2]);
    let far = crate::normal::EARLY_OPS_MAX + 3;
    backup.deliver(0, prepare(0, far, log[2], 1));
    let acks: Vec<VrMsg> = sent(&mut backup).into_iter().map(|(_, msg)| msg).collect();
    let ack = |op_number| VrMsg::PrepareOk { view: 0, op_number };
    assert_eq!(acks, vec![ack(0), ack(2), ack(2), ack(2), ack(2)]);
    let Role::Backup { early_ops, .. } = backup.node.role() else {
        panic!("still a backup");
    };
    assert!(early_ops.is_empty(), "an op too far ahead is not kept");
    assert_eq!(backup.node.commit_number(), 1, "learned from the Prepare");
    backup.deliver(
        0,
        VrMsg::Commit {
            view: 0,
            commit_number: 3,
        },
    );
    assert_eq!(backup.node.commit_number(), 2, "commits only what it holds");
}

#[test]
fn a_silent_primary_starts_a_view_change_that_is_written_to_disk() {
    // Reference: §4.2 step 1: on a timeout a backup advances its view-number, sets its status
    // to view-change and sends StartViewChange to all.
    let mut backup = boot(1, 3);
    backup.fire(VrTimer::ViewChange);
    assert_eq!(backup.durable.view, 1);
    assert_eq!(backup.durable.last_normal_view, 0);
    assert!(matches!(backup.node.role(), Role::ViewChange(_)));
    assert_eq!(
        observed(&mut backup),
        vec![Observation::StoppedFollowing {
            term: 0,
            leader: NodeId(0)
        }]
    );
    let sends = sent(&mut backup);
    assert_eq!(sends.len(), 2);
    assert!(sends
        .iter()
        .all(|(_, msg)| *msg == VrMsg::StartViewChange { view: 1 }));
    let retransmits = |op: &TimerOp<VrTimer>| {
        matches!(
            op,
            TimerOp::Set {
                timer: VrTimer::Retransmit,
                ..
            }
        )
    };
    assert!(backup.out.timers.iter().any(retransmits));
}

#[test]
fn f_start_view_changes_from_others_send_the_do_view_change_to_the_new_primary() {
    // Reference: §4.2 step 2: with f StartViewChanges from other replicas, send DoViewChange
    // ⟨v, l, v', n, k⟩ to the primary of the new view. f = 2 of 5; view 2's primary is 2.
    let mut replica = boot(4, 5);
    let log = entries(&[0]);
    replica.deliver(0, prepare(0, 1, log[0], 1));
    replica.deliver(3, VrMsg::StartViewChange { view: 2 });
    assert_eq!(
        replica.durable.view, 2,
        "a higher view's StartViewChange is joined"
    );
    replica.deliver(3, VrMsg::StartViewChange { view: 2 }); // a duplicate counts once
    clear(&mut replica);
    replica.deliver(1, VrMsg::StartViewChange { view: 2 });
    assert_eq!(
        sent(&mut replica),
        vec![(NodeId(2), do_view_change(2, log, 0, 1))]
    );
    assert_eq!(
        observed(&mut replica),
        vec![Observation::Voted {
            term: 2,
            candidate: NodeId(2)
        }]
    );
}

#[test]
fn the_new_primary_takes_the_log_with_the_largest_last_normal_view_then_op_number() {
    // Reference: §4.2 step 3: "selects as the new log the one contained in the message with
    // the largest v'; if several messages have the same v' it selects the one among them with
    // the largest n", and the largest commit-number k. Replica 2 of 5 leads view 7.
    let own = entries(&[1, 1, 1, 1]); // long but stale: last normal in view 1
    let mut primary = in_view_change(2, 5, 7, 1, own, VrConfig::default());
    let newer = entries(&[1, 5]);
    let newest = entries(&[1, 5, 5]);
    primary.deliver(0, VrMsg::StartViewChange { view: 7 });
    primary.deliver(1, VrMsg::StartViewChange { view: 7 });
    assert!(matches!(primary.node.role(), Role::ViewChange(_)));
    primary.deliver(0, do_view_change(7, newer, 5, 1));
    assert!(
        matches!(primary.node.role(), Role::ViewChange(_)),
        "two of the three DoViewChanges needed"
    );
    observed(&mut primary);
    clear(&mut primary);
    primary.deliver(1, do_view_change(7, newest.clone(), 5, 2));
    assert!(matches!(primary.node.role(), Role::Primary(_)));
    assert_eq!(primary.durable.log, newest);
    assert_eq!(primary.durable.last_normal_view, 7);
    let observations = observed(&mut primary);
    let became = observations
        .iter()
        .position(|o| *o == Observation::BecameLeader { term: 7 })
        .expect("became primary");
    assert!(
        observations[..became]
            .iter()
            .any(|o| matches!(o, Observation::LogTruncated { from_index: 2 })),
        "the log is replaced before leadership is claimed: {observations:?}"
    );
    let start_view = VrMsg::StartView {
        view: 7,
        log: newest,
        commit_number: 2,
    };
    assert_eq!(
        sent(&mut primary)
            .iter()
            .filter(|(_, msg)| *msg == start_view)
            .count(),
        4
    );
    assert_eq!(primary.node.commit_number(), 2);
}

#[test]
fn the_longest_log_wins_only_in_the_planted_bug() {
    let config = VrConfig {
        bug: Some(VrBug::LogChoiceByOpNumber),
        ..VrConfig::default()
    };
    let own = entries(&[1, 1, 1, 1]);
    let mut primary = in_view_change(2, 3, 5, 1, own.clone(), config);
    primary.deliver(0, do_view_change(5, entries(&[1, 4]), 4, 1));
    assert!(matches!(primary.node.role(), Role::Primary(_)));
    assert_eq!(primary.durable.log, own, "bug: the stale, longer log");
}

#[test]
fn keeping_its_own_log_is_the_planted_bug() {
    let config = VrConfig {
        bug: Some(VrBug::KeepOwnLog),
        ..VrConfig::default()
    };
    let own = entries(&[1]);
    let mut primary = in_view_change(2, 3, 5, 1, own.clone(), config);
    primary.deliver(0, do_view_change(5, entries(&[1, 4, 4]), 4, 3));
    assert!(matches!(primary.node.role(), Role::Primary(_)));
    assert_eq!(primary.durable.log, own);
    assert_eq!(primary.node.commit_number(), 1, "commits only what it has");
}

#[test]
fn a_backup_installs_the_start_view_log_and_acknowledges_it() {
    // Reference: §4.2 step 5: replace the log, set op-number, view-number and status normal,
    // and send PrepareOK for the uncommitted ops.
    let mut backup = boot(0, 3);
    backup.durable.log = entries(&[0, 0, 0]);
    backup.fire(VrTimer::Heartbeat);
    backup.deliver(1, VrMsg::StartViewChange { view: 1 });
    assert!(observed(&mut backup).contains(&Observation::SteppedDown { term: 0 }));
    clear(&mut backup);
    let log = {
        let mut log = entries(&[0, 1]);
        log[1].command.id = 99;
        log
    };
    backup.deliver(
        1,
        VrMsg::StartView {
            view: 1,
            log: log.clone(),
            commit_number: 1,
        },
    );
    assert_eq!(backup.durable.log, log);
    assert_eq!(backup.durable.last_normal_view, 1);
    let observations = observed(&mut backup);
    assert_eq!(observations[0], Observation::LogTruncated { from_index: 2 });
    assert!(matches!(
        observations[1],
        Observation::LogAppended {
            index: 2,
            term: 1,
            ..
        }
    ));
    assert!(observations.contains(&Observation::Following {
        term: 1,
        leader: NodeId(1)
    }));
    assert_eq!(
        sent(&mut backup),
        vec![(
            NodeId(1),
            VrMsg::PrepareOk {
                view: 1,
                op_number: 2
            }
        )]
    );
    // A duplicate StartView changes nothing.
    backup.deliver(
        1,
        VrMsg::StartView {
            view: 1,
            log: entries(&[0]),
            commit_number: 1,
        },
    );
    assert_eq!(backup.durable.log, log);
}

#[test]
fn messages_of_older_views_are_ignored() {
    // Reference: §4, "if the sender is behind, the receiver drops the message".
    let mut replica = in_view_change(1, 3, 4, 3, entries(&[3]), VrConfig::default());
    replica.deliver(0, prepare(3, 2, entries(&[3, 3])[1], 0));
    replica.deliver(2, VrMsg::StartViewChange { view: 2 });
    replica.deliver(
        0,
        VrMsg::StartView {
            view: 3,
            log: vec![],
            commit_number: 0,
        },
    );
    assert_eq!(replica.durable.view, 4);
    assert_eq!(replica.durable.log, entries(&[3]));
    assert!(sent(&mut replica).is_empty());
}

#[test]
fn a_later_views_prepare_fetches_the_view_state_without_truncating_first() {
    // Reference: §5.2 state transfer. The log keeps its uncommitted ops until the new state
    // arrives (a deviation from §5.2, explained at `adopt_view`).
    let mut backup = boot(2, 3);
    backup.durable.log = entries(&[0, 0]);
    backup.deliver(
        0,
        VrMsg::Commit {
            view: 0,
            commit_number: 1,
        },
    );
    clear(&mut backup);
    let newer = entries(&[0, 4, 4]);
    backup.deliver(1, prepare(4, 3, newer[2], 2));
    backup.deliver(1, prepare(4, 3, newer[2], 2));
    assert_eq!(backup.durable.view, 4);
    assert_eq!(backup.durable.log, entries(&[0, 0]), "nothing cut yet");
    assert_eq!(
        sent(&mut backup),
        vec![(
            NodeId(1),
            VrMsg::GetState {
                view: 4,
                op_number: 1
            }
        )],
        "asked once"
    );
    backup.deliver(
        1,
        VrMsg::NewState {
            view: 4,
            after_op_number: 1,
            log_suffix: newer[1..].to_vec(),
            commit_number: 2,
        },
    );
    assert_eq!(backup.durable.log, newer);
    assert!(matches!(
        backup.node.role(),
        Role::Backup {
            primary: NodeId(1),
            ..
        }
    ));
    assert_eq!(backup.node.commit_number(), 2);
}

#[test]
fn the_primary_answers_get_state_with_its_log_after_the_op_number() {
    let mut primary = boot(0, 3);
    for id in 1..=3 {
        primary.with(|node, ctx| node.on_client_request(ctx, command(id)));
    }
    clear(&mut primary);
    primary.deliver(
        2,
        VrMsg::GetState {
            view: 0,
            op_number: 1,
        },
    );
    assert_eq!(
        sent(&mut primary),
        vec![(
            NodeId(2),
            VrMsg::NewState {
                view: 0,
                after_op_number: 1,
                log_suffix: entries(&[0, 0, 0])[1..].to_vec(),
                commit_number: 0,
            }
        )]
    );
}

#[test]
fn a_restart_keeps_view_and_log_and_resumes_the_view_change() {
    // Reference: §4.3 recovery is for replicas without disks; with view, last normal view and
    // log on disk a restarted replica carries on where it was (see the crate docs).
    let config = VrConfig::default();
    let mut replica = in_view_change(1, 3, 4, 2, entries(&[2]), config);
    assert_eq!(replica.durable.view, 4);
    assert!(matches!(replica.node.role(), Role::ViewChange(_)));
    replica.restart(&config);
    let sends = sent(&mut replica);
    assert!(sends
        .iter()
        .all(|(_, msg)| *msg == VrMsg::StartViewChange { view: 4 }));
    assert_eq!(sends.len(), 2);
    // The planted bug forgets the views: back to normal status in view 0, log kept.
    let buggy = VrConfig {
        bug: Some(VrBug::ViewNotPersisted),
        ..config
    };
    let forgetful = in_view_change(1, 3, 4, 2, entries(&[2]), buggy);
    assert_eq!(forgetful.durable.view, 0);
    assert_eq!(forgetful.durable.log, entries(&[2]));
    assert!(matches!(forgetful.node.role(), Role::Backup { .. }));
}

#[test]
fn a_restarted_primary_relearns_its_commit_number_from_prepare_oks() {
    let config = VrConfig::default();
    let mut primary = boot(0, 3);
    for id in 1..=2 {
        primary.with(|node, ctx| node.on_client_request(ctx, command(id)));
    }
    primary.restart(&config);
    clear(&mut primary);
    assert_eq!(primary.node.commit_number(), 0);
    primary.fire(VrTimer::Heartbeat);
    let prepares = sent(&mut primary)
        .into_iter()
        .filter(|(to, msg)| *to == NodeId(1) && matches!(msg, VrMsg::Prepare { .. }))
        .count();
    assert_eq!(
        prepares, 2,
        "resends every op it has no acknowledgement for"
    );
    primary.deliver(
        1,
        VrMsg::PrepareOk {
            view: 0,
            op_number: 2,
        },
    );
    assert_eq!(primary.node.commit_number(), 2);
}

#[test]
fn each_local_invariant_fires_when_broken() {
    let mut replica = boot(1, 3);
    assert_eq!(replica.node.check_local(&replica.durable), Ok(()));
    replica.node.commit_number = 1;
    let violation = replica.node.check_local(&replica.durable).unwrap_err();
    assert_eq!(violation.invariant, "vr-commit-within-log");
    replica.node.commit_number = 0;
    replica.durable.view = 1;
    let violation = replica.node.check_local(&replica.durable).unwrap_err();
    assert_eq!(violation.invariant, "vr-status-matches-views");
    replica.durable.last_normal_view = 1;
    let violation = replica.node.check_local(&replica.durable).unwrap_err();
    assert_eq!(violation.invariant, "vr-primary-of-view");
}
