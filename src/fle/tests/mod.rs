//! Scripted tests of FLE servers, driven by hand through their contexts. Each test cites the
//! rule of ZooKeeper's `lookForLeader` (or of Zab) it checks.
//!
//! - `election.rs`: the vote order and the receive rules of `lookForLeader`, the finalize
//!   loop, the notification timeout.
//! - `checks.rs`: the FLE invariants (dominance, finalizeWait's promise, the decision basis,
//!   zxid order) fire on the runs that break them and stay quiet on those that do not.
//! - `zab.rs`: discovery and synchronisation: epochs, sessions, fresh epoch acks, the
//!   election vote after sync, giving up on a leader.
//! - `stream.rs`: the broadcast, clocked by acks: proposals, commits, pings, disconnects.
//! - `connections.rs`: over connection-oriented links: resets, refused registrations, the
//!   re-send on a new connection.

mod checks;
mod connections;
mod election;
mod stream;
mod zab;

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

// ----- servers in a role, for the Zab and streaming tests -----

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
