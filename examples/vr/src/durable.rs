//! What a VR replica keeps on disk: its view number, the last view it was normal in, and its
//! log. See the crate docs for why exactly these three.

use crate::message::Entry;

/// A replica's durable state. Its status is not stored: it is normal exactly when
/// `view == last_normal_view`, and in a view change (for `view`) when `view` is larger.
#[derive(Clone, Debug, Default)]
pub struct VrDurable {
    /// The view-number: the highest view this replica has moved to.
    pub view: u64,
    /// The latest view in which this replica's status was normal (`v'` of DoViewChange).
    pub last_normal_view: u64,
    /// The log; op-number n is `log[n - 1]`, and the op-number is the log's length.
    pub log: Vec<Entry>,
}

impl VrDurable {
    pub fn op_number(&self) -> u64 {
        self.log.len() as u64
    }

    pub fn is_normal(&self) -> bool {
        self.view == self.last_normal_view
    }

    /// The entry with op-number `op_number` (1-based), if the log holds it.
    pub fn entry(&self, op_number: u64) -> Option<&Entry> {
        let position = usize::try_from(op_number).ok()?.checked_sub(1)?;
        self.log.get(position)
    }

    /// The entries after op-number `after_op_number`.
    pub fn suffix(&self, after_op_number: u64) -> &[Entry] {
        let start = (after_op_number as usize).min(self.log.len());
        &self.log[start..]
    }
}

/// The first op-number at which `log` and `base ++ new_suffix` differ, where `base` is the
/// first `base_len` entries of `log` (kept as they are): the ops below it are already right.
/// Returns one past the end of both when they are equal.
pub fn first_difference(log: &[Entry], base_len: usize, new_suffix: &[Entry]) -> u64 {
    let held = log.get(base_len..).unwrap_or(&[]);
    let same = held
        .iter()
        .zip(new_suffix)
        .take_while(|(held, new)| held == new)
        .count();
    (base_len + same) as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use quorumsim::protocol::Command;

    fn entries(views: &[u64]) -> Vec<Entry> {
        views
            .iter()
            .enumerate()
            .map(|(id, &view)| Entry {
                view,
                command: Command {
                    id: id as u64,
                    key: 0,
                    value: view,
                },
            })
            .collect()
    }

    #[test]
    fn status_and_op_numbers_come_from_the_stored_fields() {
        let mut durable = VrDurable {
            log: entries(&[0, 0, 1]),
            ..VrDurable::default()
        };
        assert!(durable.is_normal());
        assert_eq!(durable.op_number(), 3);
        assert_eq!(durable.entry(3).map(|entry| entry.view), Some(1));
        assert_eq!(durable.entry(0), None);
        assert_eq!(durable.entry(4), None);
        assert_eq!(durable.suffix(1).len(), 2);
        assert!(durable.suffix(9).is_empty());
        durable.view = 2;
        assert!(!durable.is_normal());
    }

    #[test]
    fn first_difference_finds_where_a_new_log_departs() {
        let log = entries(&[0, 0, 1]);
        assert_eq!(first_difference(&log, 0, &log), 4);
        assert_eq!(first_difference(&log, 0, &entries(&[0, 0])), 3);
        assert_eq!(first_difference(&log, 1, &entries(&[0, 2])[1..]), 2);
        assert_eq!(first_difference(&log, 1, &log[1..2]), 3);
        assert_eq!(first_difference(&log, 3, &[]), 4);
        assert_eq!(first_difference(&[], 0, &log), 1);
    }
}
