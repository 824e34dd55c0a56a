//! Raft's messages (Figure 2 of the paper, plus the pre-vote pair of dissertation §9.6).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use crate::protocol::Command;

/// What a log entry carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Payload {
    /// The entry a new leader appends at the start of its term (Raft §5.4.2, §8): committing
    /// it commits everything before it.
    Noop,
    /// A client's key-value write.
    Put(Command),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    pub term: u64,
    pub payload: Payload,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RaftMsg {
    /// "Would you vote for me in `term`?" — sent without incrementing the sender's term.
    PreVote {
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    },
    /// `term` is the term asked about when granted, the responder's own term when refused.
    PreVoteReply {
        term: u64,
        granted: bool,
    },
    RequestVote {
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    },
    VoteReply {
        term: u64,
        granted: bool,
    },
    AppendEntries {
        term: u64,
        prev_log_index: u64,
        prev_log_term: u64,
        entries: Entries,
        leader_commit: u64,
    },
    /// On success `match_index` is the last index known to match the leader. On failure
    /// `rejected_index` is the `prev_log_index` that did not match (0 when the request was
    /// refused for its stale term, not for its log), so the leader can tell a fresh
    /// rejection from a reordered one, and `conflict_index` is where to retry from (a hint
    /// that skips a whole conflicting term at once, Raft §5.3's optimisation).
    AppendReply {
        term: u64,
        success: bool,
        match_index: u64,
        rejected_index: u64,
        conflict_index: u64,
    },
}

/// The entries of one AppendEntries. Nearly every non-empty AppendEntries carries exactly one
/// entry (a client request on its way to an up-to-date follower), so one entry is held inline
/// and only a longer run is allocated: profiling found these vectors as the run's largest
/// source of allocations. Equality, hashing and `Debug` are those of the slice, so trace
/// hashes and trace text are the same as with a `Vec<Entry>`.
#[derive(Clone)]
pub struct Entries(Stored);

#[derive(Clone)]
enum Stored {
    One(Entry),
    /// Zero entries, or two and more.
    Many(Vec<Entry>),
}

impl Entries {
    pub fn from_slice(entries: &[Entry]) -> Entries {
        match entries {
            [entry] => Entries(Stored::One(*entry)),
            _ => Entries(Stored::Many(entries.to_vec())),
        }
    }

    pub fn as_slice(&self) -> &[Entry] {
        match &self.0 {
            Stored::One(entry) => std::slice::from_ref(entry),
            Stored::Many(entries) => entries,
        }
    }
}

impl Default for Entries {
    fn default() -> Self {
        Entries(Stored::Many(Vec::new()))
    }
}

impl From<Vec<Entry>> for Entries {
    fn from(entries: Vec<Entry>) -> Entries {
        match entries[..] {
            [entry] => Entries(Stored::One(entry)),
            _ => Entries(Stored::Many(entries)),
        }
    }
}

impl Deref for Entries {
    type Target = [Entry];

    fn deref(&self) -> &[Entry] {
        self.as_slice()
    }
}

impl PartialEq for Entries {
    fn eq(&self, other: &Entries) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Entries {}

impl Hash for Entries {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl fmt::Debug for Entries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_slice().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::hash::stable_hash;

    fn put(id: u64) -> Entry {
        Entry {
            term: 2,
            payload: Payload::Put(Command {
                id,
                key: 1,
                value: id,
            }),
        }
    }

    /// Trace hashes and trace text depend on this: any count of entries hashes, compares and
    /// prints exactly as the `Vec<Entry>` it replaced.
    #[test]
    fn entries_hash_compare_and_print_as_a_vector() {
        for count in 0..4 {
            let vector: Vec<Entry> = (0..count).map(put).collect();
            let entries = Entries::from_slice(&vector);
            assert_eq!(stable_hash(&entries), stable_hash(&vector));
            assert_eq!(format!("{entries:?}"), format!("{vector:?}"));
            assert_eq!(&*entries, &vector[..]);
            assert_eq!(entries, Entries::from(vector.clone()));
        }
        assert_ne!(
            Entries::from_slice(&[put(1)]),
            Entries::from_slice(&[put(2)])
        );
        assert!(Entries::default().is_empty());
    }
}
