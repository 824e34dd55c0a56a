//! What a node keeps on disk: raft-rs's own `MemStorage` (hard state, conf state, log), held
//! in quorumsim's durable state.
//!
//! **Why the node can share it.** raft-rs reads its log through the `Storage` trait, whose
//! methods all take `&self`: the library never writes storage, the application does, in
//! its `Ready` handling. So the `RawNode` gets a second handle on the same `MemStorage`
//! (cloning one shares it), and every write goes through `ctx.durable` in a handler, where
//! quorumsim makes it durable before the handler's messages leave. A crash drops the node
//! and its handle; `on_start` builds a new `RawNode` on the durable storage, as an
//! application reopens its disk. The store the log drives is volatile, so a restarted node
//! applies its committed log again from index 1.

use std::fmt;

use raft::eraftpb::{ConfState, Entry, HardState};
use raft::storage::MemStorage;
use raft::Storage;

/// A node's disk. `Default` is a blank disk; the first boot writes the cluster's voters.
#[derive(Default)]
pub struct RaftRsDurable {
    storage: MemStorage,
}

/// A copy of the disk, not a second handle on it (which is what cloning a `MemStorage`
/// gives): the simulator keeps a copy of the disk as it was before a write that takes time,
/// for a crash that loses the write to restart from.
impl Clone for RaftRsDurable {
    fn clone(&self) -> Self {
        let state = self
            .storage
            .initial_state()
            .expect("MemStorage always answers");
        let copy = MemStorage::new();
        {
            let mut core = copy.wl();
            core.set_conf_state(state.conf_state);
            let last_index = self.last_index();
            if last_index > 0 {
                let context = raft::GetEntriesContext::empty(false);
                let entries = self
                    .storage
                    .entries(1, last_index + 1, None, context)
                    .expect("the log is never compacted");
                core.append(&entries).expect("a copy appends from index 1");
            }
            core.set_hardstate(state.hard_state);
        }
        RaftRsDurable { storage: copy }
    }
}

impl RaftRsDurable {
    /// A handle on the same storage, for the node's `RawNode` to read.
    pub fn storage(&self) -> MemStorage {
        self.storage.clone()
    }

    /// Whether a first boot has written the configuration.
    pub fn is_bootstrapped(&self) -> bool {
        self.storage
            .initial_state()
            .expect("MemStorage always answers")
            .initialized()
    }

    /// The first boot of a node of a fixed cluster writes its voters, raft ids `1..=count`,
    /// as raft-rs's `MemStorage::new_with_conf_state` does.
    pub fn bootstrap(&mut self, node_count: u16) {
        let voters: Vec<u64> = (1..=u64::from(node_count)).collect();
        self.storage
            .wl()
            .set_conf_state(ConfState::from((voters, Vec::<u64>::new())));
    }

    /// Appends a `Ready`'s entries, replacing whatever the log held from the first of them on.
    pub fn append(&mut self, entries: &[Entry]) {
        self.storage
            .wl()
            .append(entries)
            .expect("MemStorage appends without error");
    }

    pub fn set_hard_state(&mut self, hard_state: HardState) {
        self.storage.wl().set_hardstate(hard_state);
    }

    /// Records a `LightReady`'s new commit index.
    pub fn set_commit(&mut self, commit: u64) {
        self.storage.wl().mut_hard_state().commit = commit;
    }

    pub fn hard_state(&self) -> HardState {
        self.storage.rl().hard_state().clone()
    }

    pub fn last_index(&self) -> u64 {
        self.storage
            .last_index()
            .expect("MemStorage always answers")
    }

    /// The entry at `index`, if the log holds it.
    pub fn entry(&self, index: u64) -> Option<Entry> {
        if index == 0 || index > self.last_index() {
            return None;
        }
        let context = raft::GetEntriesContext::empty(false);
        let mut entries = self.storage.entries(index, index + 1, None, context).ok()?;
        entries.pop()
    }
}

/// A disk prints as its hard state and log length: the whole log would swamp a report.
impl fmt::Debug for RaftRsDurable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hard_state = self.hard_state();
        f.debug_struct("RaftRsDurable")
            .field("term", &hard_state.term)
            .field("vote", &hard_state.vote)
            .field("commit", &hard_state.commit)
            .field("last_index", &self.last_index())
            .finish()
    }
}
