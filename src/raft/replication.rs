//! Log replication and commitment (Raft §5.3, §5.4.2): AppendEntries both ways, the commit
//! rule, and applying committed entries to the store.

use super::message::{Entries, Entry, Payload};
use super::role::{Progress, Role};
use super::{entry_digest, RaftBug, RaftCtx, RaftMsg, RaftNode, RaftTimer};
use crate::protocol::quorum::Majority;
use crate::protocol::{NodeId, Observation};

impl RaftNode {
    pub(super) fn on_heartbeat_timeout(&mut self, ctx: &mut RaftCtx<'_>) {
        if !matches!(self.role, Role::Leader(_)) {
            return;
        }
        self.bcast_append_entries(ctx, true);
        let interval_us = self.config.heartbeat_interval_us;
        ctx.set_timer(RaftTimer::Heartbeat, interval_us..=interval_us);
    }

    /// Appends an entry of the leader's term to its own log.
    pub(super) fn append_as_leader(&mut self, ctx: &mut RaftCtx<'_>, payload: Payload) {
        let term = ctx.durable.current_term;
        let entry = Entry { term, payload };
        let index = ctx.durable.log.append(entry);
        ctx.observe(Observation::LogAppended {
            index,
            term,
            digest: entry_digest(&entry),
        });
        if let Role::Leader(state) = &mut self.role {
            let own = &mut state.progress[ctx.id().index()];
            own.match_index = index;
            own.next_index = index + 1;
        }
    }

    /// Sends AppendEntries to every follower. A heartbeat goes to every follower, probing or
    /// not; otherwise followers with a probe in flight are skipped.
    pub(super) fn bcast_append_entries(&mut self, ctx: &mut RaftCtx<'_>, heartbeat: bool) {
        for peer in ctx.peers() {
            self.send_append_entries(ctx, peer, heartbeat);
        }
    }

    /// Sends `peer` entries from its next index (at most `max_entries_per_append`), or an
    /// empty AppendEntries when it has them all. While replicating, `next_index` moves past
    /// what was sent, so entries in flight are not sent again; while probing, at most one
    /// message is outstanding between heartbeats.
    fn send_append_entries(&mut self, ctx: &mut RaftCtx<'_>, peer: NodeId, heartbeat: bool) {
        let Role::Leader(state) = &mut self.role else {
            return;
        };
        let progress = &mut state.progress[peer.index()];
        if progress.probing && progress.probe_in_flight && !heartbeat {
            return;
        }
        let next = progress.next_index;
        let prev_log_index = next - 1;
        let log = &ctx.durable.log;
        let prev_log_term = log
            .term_at(prev_log_index)
            .expect("next_index never passes the end of the leader's log");
        let last = log
            .last_index()
            .min(prev_log_index + self.config.max_entries_per_append);
        let entries = Entries::from_slice(log.slice(next, last));
        if progress.probing {
            progress.probe_in_flight = true;
        } else if !entries.is_empty() {
            progress.next_index = last + 1;
        }
        let msg = RaftMsg::AppendEntries {
            term: ctx.durable.current_term,
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit: self.commit_index,
        };
        ctx.send(peer, msg);
    }

    /// Figure 2, AppendEntries receiver.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_append_entries(
        &mut self,
        ctx: &mut RaftCtx<'_>,
        from: NodeId,
        term: u64,
        prev_log_index: u64,
        prev_log_term: u64,
        entries: &[Entry],
        leader_commit: u64,
    ) {
        if term < ctx.durable.current_term {
            // Rule 1: reply false, so a stale leader learns the newer term and steps down.
            self.reply_append(ctx, from, AppendOutcome::StaleTerm);
            return;
        }
        if term > ctx.durable.current_term || !matches!(self.role, Role::Follower) {
            assert!(
                !matches!(self.role, Role::Leader(_)) || term > ctx.durable.current_term,
                "two leaders in one term reached each other"
            );
            self.become_follower(ctx, term, Some(from));
        }
        self.note_leader(ctx, from);
        self.reset_election_timer(ctx);

        // Rule 2: the log must hold an entry at prev_log_index whose term is prev_log_term.
        // If not, tell the leader where to retry from.
        let log = &ctx.durable.log;
        let retry_from = match log.term_at(prev_log_index) {
            None => Some(log.last_index() + 1),
            // The bug variant accepts whatever term the log holds at prev_log_index.
            Some(held_term)
                if held_term != prev_log_term
                    && !self.config.has_bug(RaftBug::AppendWithoutLogMatching) =>
            {
                Some(log.first_index_of_term_at(prev_log_index, self.commit_index + 1))
            }
            Some(_) => None,
        };
        if let Some(retry_from) = retry_from {
            let rejected = AppendOutcome::Rejected {
                prev_log_index,
                retry_from,
            };
            self.reply_append(ctx, from, rejected);
            return;
        }
        self.store_entries(ctx, prev_log_index, entries);
        // Rule 5: the commit index may only cover entries this message proved to match.
        let last_new_index = prev_log_index + entries.len() as u64;
        if leader_commit > self.commit_index {
            self.advance_commit(ctx, leader_commit.min(last_new_index));
        }
        self.reply_append(ctx, from, AppendOutcome::Matched { last_new_index });
    }

    /// Rules 3 and 4: an existing entry that conflicts with a new one (same index, different
    /// term) is deleted with all that follow it; entries already present are left alone, so a
    /// stale or reordered AppendEntries never truncates a log that matches it.
    fn store_entries(&mut self, ctx: &mut RaftCtx<'_>, prev_log_index: u64, entries: &[Entry]) {
        if self.config.has_bug(RaftBug::TruncateOnStaleAppend) {
            // Bug: the naive "replace the log after prev_log_index", which drops entries a
            // stale or reordered (shorter) request does not carry, even when they match.
            let keep = prev_log_index + entries.len() as u64;
            if ctx.durable.log.last_index() > keep {
                ctx.durable.log.truncate_from(keep + 1);
                ctx.observe(Observation::LogTruncated {
                    from_index: keep + 1,
                });
            }
        }
        for (offset, entry) in entries.iter().enumerate() {
            let index = prev_log_index + 1 + offset as u64;
            match ctx.durable.log.term_at(index) {
                Some(held_term) if held_term == entry.term => continue,
                Some(_) => {
                    assert!(
                        index > self.commit_index,
                        "a committed entry conflicts with the leader"
                    );
                    ctx.durable.log.truncate_from(index);
                    ctx.observe(Observation::LogTruncated { from_index: index });
                }
                None => {}
            }
            let stored = ctx.durable.log.append(*entry);
            debug_assert_eq!(stored, index);
            ctx.observe(Observation::LogAppended {
                index,
                term: entry.term,
                digest: entry_digest(entry),
            });
        }
    }

    fn reply_append(&mut self, ctx: &mut RaftCtx<'_>, to: NodeId, outcome: AppendOutcome) {
        let (success, match_index, rejected_index, conflict_index) = match outcome {
            AppendOutcome::StaleTerm => (false, 0, 0, 0),
            AppendOutcome::Rejected {
                prev_log_index,
                retry_from,
            } => (false, 0, prev_log_index, retry_from),
            AppendOutcome::Matched { last_new_index } => (true, last_new_index, 0, 0),
        };
        let msg = RaftMsg::AppendReply {
            term: ctx.durable.current_term,
            success,
            match_index,
            rejected_index,
            conflict_index,
        };
        ctx.send(to, msg);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_append_reply(
        &mut self,
        ctx: &mut RaftCtx<'_>,
        from: NodeId,
        term: u64,
        success: bool,
        match_index: u64,
        rejected_index: u64,
        conflict_index: u64,
    ) {
        if term > ctx.durable.current_term {
            self.become_follower(ctx, term, None);
            return;
        }
        if term < ctx.durable.current_term {
            return; // a reply to an earlier term's leader
        }
        let Role::Leader(state) = &mut self.role else {
            return;
        };
        state.recently_active.insert(from.index());
        let progress = &mut state.progress[from.index()];
        let send_more = if success {
            // Heartbeats keep an up-to-date follower informed; only a backlog is sent here.
            on_matched(progress, match_index) && progress.next_index <= ctx.durable.log.last_index()
        } else {
            on_rejected(progress, rejected_index, conflict_index)
        };
        // Only a follower now past the commit index can complete a new majority; the
        // acknowledgements that arrive after one formed (and duplicates) cannot.
        if success && progress.match_index > self.commit_index {
            self.maybe_commit(ctx);
        }
        if send_more {
            self.send_append_entries(ctx, from, false);
        }
    }

    /// Figure 2, "Leaders", last rule: commit the highest N that a majority stores and whose
    /// entry is from the current term. Entries of earlier terms are committed only indirectly
    /// (§5.4.2: counting replicas of an old-term entry is unsafe, see Figure 8).
    pub(super) fn maybe_commit(&mut self, ctx: &mut RaftCtx<'_>) {
        let Role::Leader(state) = &self.role else {
            return;
        };
        let stored = state.progress.iter().map(|progress| progress.match_index);
        let Some(majority_index) =
            Majority::of(ctx.node_count()).highest_index_past(stored, self.commit_index)
        else {
            return;
        };
        // The bug variant counts replicas of an entry of any term (Figure 8).
        let own_term = ctx.durable.log.term_at(majority_index) == Some(ctx.durable.current_term)
            || self.config.has_bug(RaftBug::Figure8Commit);
        if own_term {
            self.advance_commit(ctx, majority_index);
        }
    }

    /// Moves the commit index forward to `new_commit`, reporting and applying each entry.
    fn advance_commit(&mut self, ctx: &mut RaftCtx<'_>, new_commit: u64) {
        assert!(
            new_commit <= ctx.durable.log.last_index(),
            "commit past the log"
        );
        while self.commit_index < new_commit {
            self.commit_index += 1;
            let index = self.commit_index;
            let entry = *ctx
                .durable
                .log
                .entry(index)
                .expect("committed index is in the log");
            ctx.observe(Observation::Committed {
                index,
                term: entry.term,
                digest: entry_digest(&entry),
            });
        }
        self.apply_committed(ctx);
    }

    fn apply_committed(&mut self, ctx: &mut RaftCtx<'_>) {
        while self.last_applied < self.commit_index {
            self.last_applied += 1;
            let index = self.last_applied;
            let entry = ctx
                .durable
                .log
                .entry(index)
                .expect("applied index is in the log");
            if let Payload::Put(command) = entry.payload {
                self.store.apply(&command);
            }
            ctx.observe(Observation::Applied {
                index,
                state_digest: self.store.digest(),
            });
        }
    }
}

/// What a follower answers to an AppendEntries.
enum AppendOutcome {
    /// The request's term is older than the follower's.
    StaleTerm,
    /// The follower's log does not match at `prev_log_index`; retry from `retry_from`.
    Rejected {
        prev_log_index: u64,
        retry_from: u64,
    },
    /// The follower's log now matches the leader's up to `last_new_index`.
    Matched { last_new_index: u64 },
}

/// A success reply: the follower matches up to `match_index`. Returns whether to send more.
/// Replies arrive reordered and duplicated, so only one that moves `match_index` forward (or
/// answers the probe) leads to another send; otherwise each duplicate would start a chain.
fn on_matched(progress: &mut Progress, match_index: u64) -> bool {
    let advanced = match_index > progress.match_index;
    progress.match_index = progress.match_index.max(match_index);
    progress.next_index = progress.next_index.max(match_index + 1);
    let probe_answered = progress.probing && match_index + 1 >= progress.next_index;
    if probe_answered {
        progress.probing = false;
        progress.probe_in_flight = false;
    }
    advanced || probe_answered
}

/// A rejection of the AppendEntries whose previous index was `rejected_index`. Returns whether
/// to send again. A rejection at or below what is known to match is stale (the follower has
/// since accepted more), as is one that does not answer the current probe.
fn on_rejected(progress: &mut Progress, rejected_index: u64, retry_from: u64) -> bool {
    if rejected_index <= progress.match_index {
        return false;
    }
    if progress.probing && rejected_index + 1 != progress.next_index {
        return false;
    }
    let floor = progress.match_index + 1;
    progress.next_index = retry_from.min(rejected_index).max(floor);
    progress.probing = true;
    progress.probe_in_flight = false;
    true
}
