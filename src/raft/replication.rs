//! Log replication and commitment (Raft §5.3, §5.4.2): AppendEntries both ways, the commit
//! rule, and applying committed entries to the store.

use super::message::{Entry, Payload};
use super::role::Role;
use super::{entry_digest, RaftCtx, RaftMsg, RaftNode, RaftTimer};
use crate::protocol::{NodeId, Observation};

impl RaftNode {
    pub(super) fn on_heartbeat_timeout(&mut self, ctx: &mut RaftCtx<'_>) {
        if !matches!(self.role, Role::Leader(_)) {
            return;
        }
        self.bcast_append_entries(ctx);
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
            state.match_index[ctx.id().index()] = index;
            state.next_index[ctx.id().index()] = index + 1;
        }
    }

    pub(super) fn bcast_append_entries(&mut self, ctx: &mut RaftCtx<'_>) {
        for peer in ctx.peers() {
            self.send_append_entries(ctx, peer);
        }
    }

    /// Sends `peer` everything from its next index (at most `max_entries_per_append`), or an
    /// empty heartbeat when it is up to date. `next_index` advances optimistically past what
    /// was sent (etcd's "replicate" state), so entries in flight are not sent again on every
    /// reply; a lost message shows up as a rejection, and the leader backs off from there.
    fn send_append_entries(&mut self, ctx: &mut RaftCtx<'_>, peer: NodeId) {
        let Role::Leader(state) = &mut self.role else {
            return;
        };
        let next = state.next_index[peer.index()];
        let prev_log_index = next - 1;
        let log = &ctx.durable.log;
        let prev_log_term = log
            .term_at(prev_log_index)
            .expect("next_index never passes the end of the leader's log");
        let last = log
            .last_index()
            .min(prev_log_index + self.config.max_entries_per_append);
        let entries = log.slice(next, last).to_vec();
        if !entries.is_empty() {
            state.next_index[peer.index()] = last + 1;
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
            self.reply_append(ctx, from, false, 0, 0);
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
        match ctx.durable.log.term_at(prev_log_index) {
            None => {
                let retry_from = ctx.durable.log.last_index() + 1;
                self.reply_append(ctx, from, false, 0, retry_from);
                return;
            }
            Some(held_term) if held_term != prev_log_term => {
                let retry_from = ctx
                    .durable
                    .log
                    .first_index_of_term_at(prev_log_index, self.commit_index + 1);
                self.reply_append(ctx, from, false, 0, retry_from);
                return;
            }
            Some(_) => {}
        }
        self.store_entries(ctx, prev_log_index, entries);
        // Rule 5: the commit index may only cover entries this message proved to match.
        let last_new_index = prev_log_index + entries.len() as u64;
        if leader_commit > self.commit_index {
            self.advance_commit(ctx, leader_commit.min(last_new_index));
        }
        self.reply_append(ctx, from, true, last_new_index, 0);
    }

    /// Rules 3 and 4: an existing entry that conflicts with a new one (same index, different
    /// term) is deleted with all that follow it; entries already present are left alone, so a
    /// stale or reordered AppendEntries never truncates a log that matches it.
    fn store_entries(&mut self, ctx: &mut RaftCtx<'_>, prev_log_index: u64, entries: &[Entry]) {
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

    fn reply_append(
        &mut self,
        ctx: &mut RaftCtx<'_>,
        to: NodeId,
        success: bool,
        match_index: u64,
        conflict_index: u64,
    ) {
        let msg = RaftMsg::AppendReply {
            term: ctx.durable.current_term,
            success,
            match_index,
            conflict_index,
        };
        ctx.send(to, msg);
    }

    pub(super) fn on_append_reply(
        &mut self,
        ctx: &mut RaftCtx<'_>,
        from: NodeId,
        term: u64,
        success: bool,
        match_index: u64,
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
        let peer = from.index();
        state.recently_active.insert(peer);
        if success {
            // Replies can arrive reordered or duplicated: indexes only move forward.
            state.match_index[peer] = state.match_index[peer].max(match_index);
            state.next_index[peer] = state.next_index[peer].max(match_index + 1);
            let more_to_send = state.next_index[peer] <= ctx.durable.log.last_index();
            self.maybe_commit(ctx);
            if more_to_send {
                self.send_append_entries(ctx, from);
            }
        } else {
            // Back off to the follower's hint, but never below what is known to match. A stale
            // rejection can only make the leader resend entries, never skip any.
            let floor = state.match_index[peer] + 1;
            let retry = conflict_index.min(state.next_index[peer]).max(floor);
            state.next_index[peer] = retry;
            self.send_append_entries(ctx, from);
        }
    }

    /// Figure 2, "Leaders", last rule: commit the highest N that a majority stores and whose
    /// entry is from the current term. Entries of earlier terms are committed only indirectly
    /// (§5.4.2: counting replicas of an old-term entry is unsafe, see Figure 8).
    pub(super) fn maybe_commit(&mut self, ctx: &mut RaftCtx<'_>) {
        let Role::Leader(state) = &self.role else {
            return;
        };
        let mut matched = state.match_index.clone();
        matched.sort_unstable_by(|a, b| b.cmp(a));
        let majority_index = matched[ctx.quorum() - 1];
        if majority_index > self.commit_index
            && ctx.durable.log.term_at(majority_index) == Some(ctx.durable.current_term)
        {
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
