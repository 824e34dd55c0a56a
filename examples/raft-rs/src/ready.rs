//! Handling a `Ready`, in the order raft-rs documents (the crate docs' "Processing the
//! `Ready` State"): install a snapshot, apply the committed entries, persist the new entries,
//! persist the hard state, send the messages, then `advance` and handle the `LightReady` it
//! returns (persist its commit index, send its messages, apply its committed entries) and
//! `advance_apply`.
//!
//! One departure: raft-rs lets a leader send its appends (`Ready::messages`) before its own
//! write, and counts its own log towards a commit once `advance` is called. With a disk whose
//! writes take time, `advance` comes in the same handler as the write, before the write is on
//! disk (quorumsim tells a protocol nothing when a write lands), so a commit could count a
//! leader copy that a crash then loses. Sent after the write instead, the appends leave once
//! it is on disk, and every acknowledgement a commit counts comes after it: what synchronous
//! `Ready` handling (persist, then `advance`) promises. With an instant disk the two orders
//! are the same run.
//!
//! The order matters for the observations too, which follow the checkers' rules: role changes
//! first (a deposed leader says so before its log is rewritten), a vote when the hard state
//! that records it appears, each log write as it is made, an entry reported committed once
//! raft-rs's commit index covers it and the disk holds it, and applied once the store has
//! taken it.
//!
//! Each broken variant changes one step, where that step lives.

use quorumsim::protocol::Observation;
use raft::eraftpb::{Entry, HardState, Message};
use raft::Ready;

use crate::config::RaftRsBug;
use crate::node::{NodeCtx, RaftRsNode};
use crate::wire::{decode_command, entry_digest, node_of, RaftRsMsg};

/// Readies one input may produce before the library has nothing more to hand over: one, and
/// rarely a second after `advance`. More means the handling loops, which is a bug.
const READY_ROUNDS_MAX: usize = 16;

impl RaftRsNode {
    /// After any call into the library: a reset's election timeout is redrawn from this
    /// node's stream, then every `Ready` is handled.
    pub(crate) fn after_input(&mut self, ctx: &mut NodeCtx<'_>) {
        self.timeout.after_call(&mut self.raw.raft, ctx.rng());
        let mut rounds = 0;
        while self.raw.has_ready() {
            rounds += 1;
            assert!(rounds <= READY_ROUNDS_MAX, "the Ready handling loops");
            let ready = self.raw.ready();
            self.handle_ready(ctx, ready);
            self.timeout.after_call(&mut self.raw.raft, ctx.rng());
        }
    }

    fn handle_ready(&mut self, ctx: &mut NodeCtx<'_>, mut ready: Ready) {
        self.claims.report_role(ctx, &self.raw.raft);
        if let Some(hard_state) = ready.hs() {
            self.claims.report_vote(ctx, hard_state);
        }
        assert!(
            ready.snapshot().is_empty(),
            "raft-rs sent a snapshot, but this adapter never compacts its log"
        );
        self.report_commits(ctx);
        self.apply(ctx, ready.take_committed_entries());
        if !ready.entries().is_empty() {
            self.persist_entries(ctx, ready.entries());
        }
        if let Some(hard_state) = ready.hs() {
            self.persist_hard_state(ctx, hard_state.clone());
        }
        self.send(ctx, ready.take_messages());
        self.send(ctx, ready.take_persisted_messages());
        let mut light = self.raw.advance(ready);
        self.report_commits(ctx);
        if self.config.has_bug(RaftRsBug::IgnoreLightReady) {
            return;
        }
        if let Some(commit) = light.commit_index() {
            self.persist_commit(ctx, commit);
        }
        self.send(ctx, light.take_messages());
        self.apply(ctx, light.take_committed_entries());
        self.raw.advance_apply();
    }

    fn send(&mut self, ctx: &mut NodeCtx<'_>, messages: Vec<Message>) {
        for message in messages {
            let to = node_of(message.to).expect("raft-rs addresses a node");
            debug_assert_ne!(to, ctx.id(), "raft-rs never sends to itself");
            ctx.send(to, RaftRsMsg(message));
        }
    }

    /// Writes a `Ready`'s entries to disk and reports each one. A write from index i replaces
    /// what the log held from i on, which is what `LogAppended` says.
    fn persist_entries(&mut self, ctx: &mut NodeCtx<'_>, entries: &[Entry]) {
        for entry in entries {
            ctx.observe(Observation::LogAppended {
                index: entry.index,
                term: entry.term,
                digest: entry_digest(entry),
            });
        }
        ctx.durable.append(entries);
        if self.config.has_bug(RaftRsBug::ApplyBeforeCommit) {
            for entry in entries {
                if entry.index > self.applied_index {
                    self.apply_entry(ctx, entry);
                }
            }
        }
    }

    fn persist_hard_state(&mut self, ctx: &mut NodeCtx<'_>, hard_state: HardState) {
        match self.config.bug {
            Some(RaftRsBug::SendBeforePersist) => self.unwritten_hard_state = Some(hard_state),
            Some(RaftRsBug::EntriesWithoutHardState) => {}
            _ => ctx.durable.set_hard_state(hard_state),
        }
    }

    fn persist_commit(&mut self, ctx: &mut NodeCtx<'_>, commit: u64) {
        match self.config.bug {
            Some(RaftRsBug::SendBeforePersist) => {
                let durable = &ctx.durable;
                self.unwritten_hard_state
                    .get_or_insert_with(|| durable.hard_state())
                    .commit = commit;
            }
            Some(RaftRsBug::EntriesWithoutHardState) => {}
            _ => ctx.durable.set_commit(commit),
        }
    }

    /// [`RaftRsBug::SendBeforePersist`]: the hard state queued since the last tick reaches
    /// the disk now, long after the messages it should have preceded.
    pub(crate) fn maybe_write_hard_state(&mut self, ctx: &mut NodeCtx<'_>) {
        if let Some(hard_state) = self.unwritten_hard_state.take() {
            ctx.durable.set_hard_state(hard_state);
        }
    }

    /// Reports every entry raft-rs now counts as committed and persisted, in index order,
    /// once per incarnation (a restarted node starts again from index 1: its commit index
    /// comes back from disk). A follower learns a commit index with the entries it covers,
    /// before they are written, and the disk may still hold other entries there that those
    /// will replace: raft-rs's persisted index, which `advance` moves, is the end of the
    /// prefix the disk holds as the library does.
    fn report_commits(&mut self, ctx: &mut NodeCtx<'_>) {
        let log = &self.raw.raft.raft_log;
        let held = log.committed.min(log.persisted);
        while self.committed_index < held {
            let index = self.committed_index + 1;
            let entry = ctx.durable.entry(index).expect("the disk holds the entry");
            ctx.observe(Observation::Committed {
                index,
                term: entry.term,
                digest: entry_digest(&entry),
            });
            self.committed_index = index;
        }
    }

    /// Applies the committed entries raft-rs hands over, each in turn.
    fn apply(&mut self, ctx: &mut NodeCtx<'_>, entries: Vec<Entry>) {
        for entry in &entries {
            // Only a variant that applied early has seen an entry before.
            if entry.index > self.applied_index {
                self.apply_entry(ctx, entry);
            }
        }
    }

    /// A command entry writes the store; a new leader's empty entry leaves it as it is.
    fn apply_entry(&mut self, ctx: &mut NodeCtx<'_>, entry: &Entry) {
        if let Some(command) = decode_command(&entry.data) {
            self.store.apply(&command);
        }
        self.applied_index = entry.index;
        ctx.observe(Observation::Applied {
            index: entry.index,
            state_digest: self.store.digest(),
        });
    }
}
