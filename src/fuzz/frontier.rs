//! Which positions of a shard (see [`super::shard`]) are finished, in memory that grows with
//! the unfinished ones only.
//!
//! Workers take positions in increasing order, so at any moment every position below the
//! next one to take is finished, except the few a worker still holds and those an earlier,
//! killed session left unfinished. Those exceptions number at most the workers of the
//! sessions so far; a campaign of any length is described by one number and that short list.

use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frontier {
    /// Positions in the shard.
    end: u64,
    /// The first position never taken.
    next: u64,
    /// Unfinished positions below `next` that no worker holds: taken before any new one.
    left: BTreeSet<u64>,
    /// Positions a worker holds now.
    running: BTreeSet<u64>,
}

impl Frontier {
    /// Nothing finished yet, of `end` positions.
    pub fn new(end: u64) -> Frontier {
        Frontier::resumed(end, 0, BTreeSet::new())
    }

    /// Every position below `next` finished except `left`.
    pub fn resumed(end: u64, next: u64, left: BTreeSet<u64>) -> Frontier {
        assert!(
            next <= end,
            "next {next} beyond the shard's {end} positions"
        );
        assert!(left.last().is_none_or(|&last| last < next));
        Frontier {
            end,
            next,
            left,
            running: BTreeSet::new(),
        }
    }

    /// The next position for a worker: an unfinished one left over first, then a new one.
    pub fn take(&mut self) -> Option<u64> {
        let position = match self.left.pop_first() {
            Some(position) => position,
            None if self.next < self.end => {
                self.next += 1;
                self.next - 1
            }
            None => return None,
        };
        self.running.insert(position);
        Some(position)
    }

    /// Marks a taken position finished.
    pub fn finish(&mut self, position: u64) {
        let held = self.running.remove(&position);
        assert!(held, "position {position} finished without being taken");
    }

    /// The first position never taken: below it, all are finished but [`Frontier::unfinished`].
    pub fn next(&self) -> u64 {
        self.next
    }

    /// Unfinished positions below [`Frontier::next`] (held by a worker or left over), in order.
    pub fn unfinished(&self) -> Vec<u64> {
        let mut all: Vec<u64> = self.left.union(&self.running).copied().collect();
        all.sort_unstable();
        all
    }

    pub fn is_finished(&self, position: u64) -> bool {
        position < self.next && !self.left.contains(&position) && !self.running.contains(&position)
    }

    pub fn finished_count(&self) -> u64 {
        self.next - self.left.len() as u64 - self.running.len() as u64
    }

    /// Positions not finished and not held by a worker: what is still to take.
    pub fn to_take_count(&self) -> u64 {
        self.end - self.next + self.left.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_taken_in_order_and_leftovers_first() {
        let mut frontier = Frontier::resumed(6, 3, BTreeSet::from([1]));
        assert_eq!(frontier.finished_count(), 2);
        assert_eq!(frontier.to_take_count(), 4);
        assert_eq!(frontier.take(), Some(1));
        assert_eq!(frontier.take(), Some(3));
        assert_eq!(frontier.take(), Some(4));
        frontier.finish(3);
        assert_eq!(frontier.unfinished(), [1, 4]);
        assert!(frontier.is_finished(3) && frontier.is_finished(0));
        assert!(!frontier.is_finished(1) && !frontier.is_finished(5));
        frontier.finish(1);
        frontier.finish(4);
        assert_eq!(frontier.take(), Some(5));
        assert_eq!(frontier.take(), None);
        frontier.finish(5);
        assert_eq!(frontier.finished_count(), 6);
        assert!(frontier.unfinished().is_empty());
    }

    #[test]
    #[should_panic(expected = "finished without being taken")]
    fn finishing_an_untaken_position_is_a_bug() {
        Frontier::new(3).finish(0);
    }
}
