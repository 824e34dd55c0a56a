//! Storage as a timed resource. Each node writes its durable state to a disk of its own; a
//! step that writes is one write. The disk flushes one batch at a time, each flush taking a
//! latency drawn from the node's storage stream: a write made while the disk is idle starts a
//! flush at once; writes made while a flush is under way wait together for the next one
//! (group commit, as etcd batches a `Ready` and a database its log flushes), so a slow disk
//! makes a node lag by a flush or two, not by a queue that grows without end. What the node
//! sends after a write leaves once that write is on disk — persist, then send, as etcd's
//! `Ready` and LogCabin's order have it — and a crash loses the writes that were not on disk
//! yet: the node restarts from the state as it was before the first of them.
//!
//! With the default model writes take no time, no state is copied, and the engine behaves as
//! if this module were not there.

use std::collections::VecDeque;

use crate::check::{DurableGhost, ParanoidGhost};
use crate::prng::{Prng, Stream};
use crate::protocol::NodeId;

/// How long a durable write takes: uniform in `write_us_min..=write_us_max`. Zero (the
/// default) is an instant disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageModel {
    pub write_us_min: u64,
    pub write_us_max: u64,
}

impl StorageModel {
    pub fn is_instant(&self) -> bool {
        self.write_us_max == 0
    }
}

/// What the checkers believed of a node's durable state before a write: a crash that loses
/// the write takes them back to it.
#[derive(Clone, Debug)]
pub(super) struct GhostBefore {
    pub(super) checker: DurableGhost,
    pub(super) paranoid: Option<ParanoidGhost>,
}

/// A write not yet on disk, with the durable state from before it and, when the step told
/// the checkers of durable changes, their view from before it.
struct PendingWrite<D> {
    done_at_us: u64,
    before: Option<D>,
    ghost: Option<GhostBefore>,
}

/// What a crash lost: the state to restart from, the checkers' view to go back to, and how
/// many writes were lost.
pub(super) struct LostWrites<D> {
    pub(super) before: Option<D>,
    pub(super) ghost: Option<GhostBefore>,
    pub(super) count: usize,
}

/// A message waiting for the writes issued before it.
pub(super) struct HeldMessage<M> {
    pub(super) release_at_us: u64,
    pub(super) to: NodeId,
    pub(super) msg: M,
}

/// One node's disk.
pub(super) struct Disk<D, M> {
    rng: Prng,
    /// When the flush under way (or the last one) ends.
    flush_done_at_us: u64,
    /// When the next flush, which the writes made during this one wait for, will end.
    next_flush_done_at_us: Option<u64>,
    /// When the last write issued will be on disk.
    free_at_us: u64,
    /// Each write takes this many times the drawn latency (a `slow-disk` fault).
    slowdown: u64,
    pending: VecDeque<PendingWrite<D>>,
    held: VecDeque<HeldMessage<M>>,
}

impl<D, M> Disk<D, M> {
    pub(super) fn new(seed: u64, node: NodeId) -> Self {
        Disk {
            rng: Prng::new(seed, Stream::Storage(node.0)),
            flush_done_at_us: 0,
            next_flush_done_at_us: None,
            free_at_us: 0,
            slowdown: 1,
            pending: VecDeque::new(),
            held: VecDeque::new(),
        }
    }

    /// Whether a message sent at `now_us` must wait for a write.
    pub(super) fn busy(&self, now_us: u64) -> bool {
        self.free_at_us > now_us
    }

    /// Queues the write of a step at `now_us`; returns when it will be on disk.
    pub(super) fn write(&mut self, model: &StorageModel, now_us: u64) -> u64 {
        while self
            .pending
            .front()
            .is_some_and(|write| write.done_at_us <= now_us)
        {
            self.pending.pop_front();
        }
        // The flush that was next has started once the one before it ended.
        if self.flush_done_at_us <= now_us {
            if let Some(next_done_at_us) = self.next_flush_done_at_us.take() {
                self.flush_done_at_us = next_done_at_us;
            }
        }
        self.free_at_us = if self.flush_done_at_us <= now_us {
            self.flush_done_at_us = now_us.saturating_add(self.flush_latency_us(model));
            self.flush_done_at_us
        } else {
            match self.next_flush_done_at_us {
                Some(next_done_at_us) => next_done_at_us,
                None => {
                    let latency_us = self.flush_latency_us(model);
                    let done_at_us = self.flush_done_at_us.saturating_add(latency_us);
                    self.next_flush_done_at_us = Some(done_at_us);
                    done_at_us
                }
            }
        };
        self.pending.push_back(PendingWrite {
            done_at_us: self.free_at_us,
            before: None,
            ghost: None,
        });
        self.free_at_us
    }

    fn flush_latency_us(&mut self, model: &StorageModel) -> u64 {
        self.rng
            .range_inclusive(model.write_us_min, model.write_us_max)
            .saturating_mul(self.slowdown)
    }

    /// Keeps the state (and the checkers' view) from before the write just queued, for a
    /// crash to restore.
    pub(super) fn keep_before(&mut self, before: Option<D>, ghost: Option<GhostBefore>) {
        if let Some(write) = self.pending.back_mut() {
            write.before = before;
            write.ghost = ghost;
        }
    }

    /// Durable facts a step reported without writing anything rest on the writes still on
    /// their way to disk (a vote cast on a term written a step earlier): a crash that loses
    /// the newest of them loses the facts too, so the checkers' view from before the step
    /// goes with it, unless that write already carries an older view. With the disk idle
    /// the facts are on disk already, and the view is dropped.
    pub(super) fn keep_before_pending(&mut self, now_us: u64, ghost: GhostBefore) {
        if let Some(write) = self
            .pending
            .back_mut()
            .filter(|write| write.done_at_us > now_us)
        {
            write.ghost.get_or_insert(ghost);
        }
    }

    /// Holds `msg` to `to` until the writes issued so far are on disk; returns the release
    /// time when the caller must queue a release event for it (the first message of a time).
    pub(super) fn hold(&mut self, to: NodeId, msg: M) -> Option<u64> {
        let release_at_us = self.free_at_us;
        let new_time = self
            .held
            .back()
            .is_none_or(|held| held.release_at_us != release_at_us);
        self.held.push_back(HeldMessage {
            release_at_us,
            to,
            msg,
        });
        new_time.then_some(release_at_us)
    }

    /// The held messages whose writes are on disk at `now_us`, in the order they were sent.
    pub(super) fn release(&mut self, now_us: u64) -> Vec<HeldMessage<M>> {
        let ready = self
            .held
            .iter()
            .take_while(|held| held.release_at_us <= now_us)
            .count();
        self.held.drain(..ready).collect()
    }

    /// A crash at `now_us`: the held messages never left, and the writes not yet on disk are
    /// lost. The first lost write's state is the one to restart from; the first lost write
    /// that changed the checkers' view holds the view to go back to (earlier lost writes
    /// changed nothing they saw).
    pub(super) fn crash(&mut self, now_us: u64) -> LostWrites<D> {
        self.held.clear();
        self.free_at_us = now_us;
        self.flush_done_at_us = now_us;
        self.next_flush_done_at_us = None;
        let mut lost = LostWrites {
            before: None,
            ghost: None,
            count: 0,
        };
        for write in self.pending.drain(..) {
            if write.done_at_us <= now_us {
                continue;
            }
            if lost.count == 0 {
                lost.before = write.before;
            }
            if lost.ghost.is_none() {
                lost.ghost = write.ghost;
            }
            lost.count += 1;
        }
        lost
    }

    pub(super) fn set_slowdown(&mut self, factor: u64) {
        self.slowdown = factor.max(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: StorageModel = StorageModel {
        write_us_min: 1_000,
        write_us_max: 1_000,
    };

    #[test]
    fn writes_during_a_flush_wait_together_for_the_next_one() {
        let mut disk: Disk<u64, ()> = Disk::new(1, NodeId(0));
        assert!(!disk.busy(0));
        assert_eq!(disk.write(&MODEL, 0), 1_000);
        assert_eq!(
            disk.write(&MODEL, 500),
            2_000,
            "the second waits for the first"
        );
        assert_eq!(
            disk.write(&MODEL, 900),
            2_000,
            "and the third flushes with it"
        );
        assert!(disk.busy(1_999) && !disk.busy(2_000));
        assert_eq!(
            disk.write(&MODEL, 1_500),
            3_000,
            "the next flush is under way"
        );
        assert_eq!(
            disk.write(&MODEL, 5_000),
            6_000,
            "an idle disk starts at once"
        );
        disk.set_slowdown(10);
        assert_eq!(disk.write(&MODEL, 6_000), 16_000);
        // However many writes come while a slow flush runs, they wait for one more flush.
        for at_us in (6_100..16_000).step_by(100) {
            assert_eq!(disk.write(&MODEL, at_us), 26_000);
        }
    }

    #[test]
    fn messages_wait_for_the_writes_before_them_and_leave_in_order() {
        let mut disk: Disk<u64, &str> = Disk::new(1, NodeId(0));
        disk.write(&MODEL, 0);
        assert_eq!(disk.hold(NodeId(1), "a"), Some(1_000));
        assert_eq!(
            disk.hold(NodeId(2), "b"),
            None,
            "same release time, one event"
        );
        disk.write(&MODEL, 100);
        assert_eq!(disk.hold(NodeId(1), "c"), Some(2_000));
        let first: Vec<&str> = disk.release(1_000).iter().map(|held| held.msg).collect();
        assert_eq!(first, ["a", "b"]);
        let second: Vec<&str> = disk.release(2_000).iter().map(|held| held.msg).collect();
        assert_eq!(second, ["c"]);
    }

    #[test]
    fn a_crash_loses_the_writes_not_on_disk_and_the_messages_waiting_for_them() {
        let mut disk: Disk<u64, &str> = Disk::new(1, NodeId(0));
        disk.write(&MODEL, 0);
        disk.keep_before(Some(10), None);
        disk.write(&MODEL, 0);
        disk.keep_before(Some(11), None);
        disk.write(&MODEL, 0);
        disk.keep_before(Some(12), None);
        disk.hold(NodeId(1), "reply");
        // The first write is on disk at 1,000; the other two are lost at 1,500.
        let lost = disk.crash(1_500);
        assert_eq!((lost.before, lost.count), (Some(11), 2));
        assert!(disk.release(10_000).is_empty(), "held messages never left");
        assert!(!disk.busy(1_500));
        let lost = disk.crash(2_000);
        assert_eq!(
            (lost.before, lost.count),
            (None, 0),
            "nothing pending, nothing lost"
        );
    }
}
