//! Raft's durable state — current term, vote, and the log — with 1-based index helpers.

use super::message::Entry;
use crate::protocol::NodeId;

/// Everything a Raft node must not lose in a crash (Figure 2, "Persistent state on all
/// servers").
#[derive(Clone, Debug, Default)]
pub struct RaftDurable {
    pub current_term: u64,
    pub voted_for: Option<NodeId>,
    pub log: Log,
}

/// The log; index 1 is the first entry, index 0 stands for "before the log" with term 0.
#[derive(Clone, Debug, Default)]
pub struct Log {
    entries: Vec<Entry>,
}

impl Log {
    pub fn last_index(&self) -> u64 {
        self.entries.len() as u64
    }

    pub fn last_term(&self) -> u64 {
        self.entries.last().map_or(0, |entry| entry.term)
    }

    /// The term at `index`: 0 for index 0, `None` past the end.
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == 0 {
            return Some(0);
        }
        self.entry(index).map(|entry| entry.term)
    }

    pub fn entry(&self, index: u64) -> Option<&Entry> {
        let position = usize::try_from(index).ok()?.checked_sub(1)?;
        self.entries.get(position)
    }

    /// Entries `from..=to` (clamped to the log).
    pub fn slice(&self, from: u64, to: u64) -> &[Entry] {
        let start = (from.max(1) - 1) as usize;
        let end = (to as usize).min(self.entries.len());
        if start >= end {
            return &[];
        }
        &self.entries[start..end]
    }

    pub fn append(&mut self, entry: Entry) -> u64 {
        self.entries.push(entry);
        self.last_index()
    }

    /// Removes the entries at `from_index` and above.
    pub fn truncate_from(&mut self, from_index: u64) {
        debug_assert!(from_index >= 1, "index 0 is not an entry");
        self.entries.truncate((from_index - 1) as usize);
    }

    /// The first index of the run of entries with the same term as `index`, not going below
    /// `floor`: where a leader should retry after a conflict at `index`.
    pub fn first_index_of_term_at(&self, index: u64, floor: u64) -> u64 {
        let Some(term) = self.term_at(index) else {
            return index;
        };
        let mut first = index;
        while first > floor.max(1) && self.term_at(first - 1) == Some(term) {
            first -= 1;
        }
        first
    }

    /// Raft §5.4.1: a candidate's log is at least as up-to-date as this one.
    pub fn is_behind_or_equal(&self, candidate_last_term: u64, candidate_last_index: u64) -> bool {
        (candidate_last_term, candidate_last_index) >= (self.last_term(), self.last_index())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raft::message::Payload;

    fn log_of_terms(terms: &[u64]) -> Log {
        let mut log = Log::default();
        for &term in terms {
            log.append(Entry {
                term,
                payload: Payload::Noop,
            });
        }
        log
    }

    #[test]
    fn indexes_are_one_based() {
        let log = log_of_terms(&[1, 1, 2]);
        assert_eq!(log.last_index(), 3);
        assert_eq!(log.last_term(), 2);
        assert_eq!(log.term_at(0), Some(0));
        assert_eq!(log.term_at(1), Some(1));
        assert_eq!(log.term_at(4), None);
        assert_eq!(log.slice(2, 3).len(), 2);
        assert_eq!(log.slice(3, 10).len(), 1);
        assert!(log.slice(4, 10).is_empty());
    }

    #[test]
    fn up_to_date_compares_last_term_then_length() {
        // Reference: Raft §5.4.1.
        let log = log_of_terms(&[1, 2, 2]);
        assert!(log.is_behind_or_equal(3, 1));
        assert!(log.is_behind_or_equal(2, 3));
        assert!(!log.is_behind_or_equal(2, 2));
        assert!(!log.is_behind_or_equal(1, 9));
    }

    #[test]
    fn conflict_hint_skips_the_whole_term() {
        let log = log_of_terms(&[1, 2, 2, 2, 3]);
        assert_eq!(log.first_index_of_term_at(4, 0), 2);
        assert_eq!(log.first_index_of_term_at(4, 3), 3);
        assert_eq!(log.first_index_of_term_at(9, 0), 9);
    }

    #[test]
    fn truncate_removes_the_suffix() {
        let mut log = log_of_terms(&[1, 1, 2]);
        log.truncate_from(2);
        assert_eq!(log.last_index(), 1);
    }
}
