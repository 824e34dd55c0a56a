//! Client commands and the small replicated state machine they drive.
//!
//! Every protocol in this crate replicates the same key-value `Put`s, so the state machine
//! safety invariant can compare a digest of the whole store across nodes after each applied
//! index. The digest is maintained incrementally (an order-independent sum over current
//! pairs), so applying a command costs O(log keys), not O(store).

use std::collections::BTreeMap;

use crate::sim::hash::stable_hash;

/// A client command: write `value` under `key`. `id` is unique per run (the workload's
/// sequence number), so two commands with the same key and value still differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Command {
    pub id: u64,
    pub key: u32,
    pub value: u64,
}

/// The replicated key-value map with a running digest of its contents.
#[derive(Clone, Debug, Default)]
pub struct KvStore {
    entries: BTreeMap<u32, u64>,
    digest: u64,
}

impl KvStore {
    pub fn apply(&mut self, command: &Command) {
        if let Some(previous) = self.entries.insert(command.key, command.value) {
            self.digest = self
                .digest
                .wrapping_sub(stable_hash(&(command.key, previous)));
        }
        self.digest = self
            .digest
            .wrapping_add(stable_hash(&(command.key, command.value)));
    }

    /// Digest of the store's contents: equal stores have equal digests, whatever the order
    /// their commands were applied in.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    pub fn get(&self, key: u32) -> Option<u64> {
        self.entries.get(&key).copied()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(id: u64, key: u32, value: u64) -> Command {
        Command { id, key, value }
    }

    #[test]
    fn digest_tracks_contents_not_history() {
        let mut left = KvStore::default();
        left.apply(&put(1, 1, 10));
        left.apply(&put(2, 1, 11));
        left.apply(&put(3, 2, 20));
        let mut right = KvStore::default();
        right.apply(&put(7, 2, 20));
        right.apply(&put(8, 1, 11));
        assert_eq!(left.digest(), right.digest());
        assert_eq!(left.get(1), Some(11));
        right.apply(&put(9, 2, 21));
        assert_ne!(left.digest(), right.digest());
    }
}
