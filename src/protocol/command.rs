//! Client commands and the small replicated state machine they drive.
//!
//! Every protocol in this crate replicates the same key-value `Put`s, so the state machine
//! safety invariant can compare a digest of the whole store across nodes after each applied
//! index. The digest is maintained incrementally (an order-independent sum over current
//! pairs), so applying a command costs O(log keys), not O(store).

use std::collections::BTreeMap;

use crate::hash::digest2;

/// A client command: write `value` under `key`. `id` is unique per run (the workload's
/// sequence number), so two commands with the same key and value still differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Command {
    pub id: u64,
    pub key: u32,
    pub value: u64,
}

/// The replicated key-value map with a running digest of its contents.
///
/// Workloads write keys `0..keys` (16 by default), so small keys live in a vector indexed by
/// key and only large ones in a map: every applied entry on every node writes here, and a
/// B-tree insert was most of the cost of applying. The digest does not depend on where a
/// pair is stored.
#[derive(Clone, Debug, Default)]
pub struct KvStore {
    /// Values of keys below [`DENSE_KEYS`], by key.
    dense: Vec<Option<u64>>,
    /// Values of larger keys.
    sparse: BTreeMap<u32, u64>,
    len: usize,
    digest: u64,
}

/// Keys below this are held in the vector: at most 4,096 slots of 16 bytes per node.
const DENSE_KEYS: u32 = 4_096;

impl KvStore {
    pub fn apply(&mut self, command: &Command) {
        let previous = if command.key < DENSE_KEYS {
            let position = command.key as usize;
            if self.dense.len() <= position {
                self.dense.resize(position + 1, None);
            }
            self.dense[position].replace(command.value)
        } else {
            self.sparse.insert(command.key, command.value)
        };
        match previous {
            Some(previous) => {
                self.digest = self.digest.wrapping_sub(pair_digest(command.key, previous));
            }
            None => self.len += 1,
        }
        self.digest = self
            .digest
            .wrapping_add(pair_digest(command.key, command.value));
    }

    /// Digest of the store's contents: equal stores have equal digests, whatever the order
    /// their commands were applied in.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    pub fn get(&self, key: u32) -> Option<u64> {
        if key < DENSE_KEYS {
            return self.dense.get(key as usize).copied().flatten();
        }
        self.sparse.get(&key).copied()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One key-value pair's share of the store digest.
fn pair_digest(key: u32, value: u64) -> u64 {
    digest2(u64::from(key), value)
}

/// A command's digest, for the checkers' log and commit comparisons: its id is unique in a
/// run, and the key and value are folded in too.
pub fn command_digest(command: &Command) -> u64 {
    digest2(command.id, pair_digest(command.key, command.value))
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

    /// Small keys sit in the vector, large ones in the map; reads, counts and digests agree
    /// whichever holds a key, and the digest is the same sum of pair hashes as ever.
    #[test]
    fn small_and_large_keys_read_count_and_digest_alike() {
        let mut store = KvStore::default();
        assert!(store.is_empty());
        for (id, key) in [
            (1, 3),
            (2, DENSE_KEYS),
            (3, u32::MAX),
            (4, 3),
            (5, DENSE_KEYS - 1),
        ] {
            store.apply(&put(id, key, id * 10));
        }
        assert_eq!(store.len(), 4);
        assert_eq!(store.get(3), Some(40));
        assert_eq!(store.get(DENSE_KEYS), Some(20));
        assert_eq!(store.get(u32::MAX), Some(30));
        assert_eq!(store.get(DENSE_KEYS - 1), Some(50));
        assert_eq!(store.get(4), None);
        assert_eq!(store.get(DENSE_KEYS + 1), None);
        let expected = [
            (3u32, 40u64),
            (DENSE_KEYS, 20),
            (u32::MAX, 30),
            (DENSE_KEYS - 1, 50),
        ]
        .iter()
        .fold(0u64, |sum, &(key, value)| {
            sum.wrapping_add(pair_digest(key, value))
        });
        assert_eq!(store.digest(), expected);
    }
}
