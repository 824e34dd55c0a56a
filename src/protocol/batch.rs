//! A short run of items carried by a message, with one item held inline.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// The items of one message (log entries of a Raft AppendEntries, transactions of a Zab
/// proposal). Nearly every such message carries exactly one item (a client request on its
/// way to an up-to-date follower), so one item is held inline and only a longer run is
/// allocated: these vectors would otherwise be the largest source of allocations of a run.
/// Equality, hashing and `Debug` are those of the slice, so trace hashes and trace text are
/// the same as with a `Vec<T>`.
#[derive(Clone)]
pub struct Batch<T: Copy>(Stored<T>);

#[derive(Clone)]
enum Stored<T> {
    One(T),
    /// Zero items, or two and more.
    Many(Vec<T>),
}

impl<T: Copy> Batch<T> {
    pub fn from_slice(items: &[T]) -> Batch<T> {
        match items {
            [item] => Batch(Stored::One(*item)),
            _ => Batch(Stored::Many(items.to_vec())),
        }
    }

    pub fn as_slice(&self) -> &[T] {
        match &self.0 {
            Stored::One(item) => std::slice::from_ref(item),
            Stored::Many(items) => items,
        }
    }
}

impl<T: Copy> Default for Batch<T> {
    fn default() -> Self {
        Batch(Stored::Many(Vec::new()))
    }
}

impl<T: Copy> From<Vec<T>> for Batch<T> {
    fn from(items: Vec<T>) -> Batch<T> {
        match items[..] {
            [item] => Batch(Stored::One(item)),
            _ => Batch(Stored::Many(items)),
        }
    }
}

impl<T: Copy> Deref for Batch<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Copy + PartialEq> PartialEq for Batch<T> {
    fn eq(&self, other: &Batch<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + Eq> Eq for Batch<T> {}

impl<T: Copy + Hash> Hash for Batch<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl<T: Copy + fmt::Debug> fmt::Debug for Batch<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_slice().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::stable_hash;

    /// Trace hashes and trace text depend on this: any count of items hashes, compares and
    /// prints exactly as the `Vec<T>` it replaced.
    #[test]
    fn a_batch_hashes_compares_and_prints_as_a_vector() {
        for count in 0..4u64 {
            let vector: Vec<(u64, u32)> = (0..count).map(|id| (id, 7)).collect();
            let batch = Batch::from_slice(&vector);
            assert_eq!(stable_hash(&batch), stable_hash(&vector));
            assert_eq!(format!("{batch:?}"), format!("{vector:?}"));
            assert_eq!(&*batch, &vector[..]);
            assert_eq!(batch, Batch::from(vector.clone()));
        }
        assert_ne!(Batch::from_slice(&[(1, 0)]), Batch::from_slice(&[(2, 0)]));
        assert!(Batch::<u8>::default().is_empty());
    }
}
