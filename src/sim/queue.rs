//! The event queue: a binary heap ordered by `(time, insertion sequence)`.
//!
//! The sequence number makes the order total, so two events at the same virtual time are
//! always taken in the order they were scheduled, whatever the heap does inside.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    at_us: u64,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.at_us == other.at_us && self.seq == other.seq
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    /// Reversed, because `BinaryHeap` is a max-heap and we want the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at_us, other.seq).cmp(&(self.at_us, self.seq))
    }
}

/// Min-queue of events by `(at_us, seq)`.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    seq_next: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            seq_next: 0,
        }
    }
}

impl<E> EventQueue<E> {
    pub fn push(&mut self, at_us: u64, event: E) {
        let seq = self.seq_next;
        self.seq_next += 1;
        self.heap.push(Entry { at_us, seq, event });
    }

    /// Removes and returns the earliest event with its time.
    pub fn pop(&mut self) -> Option<(u64, E)> {
        self.heap.pop().map(|entry| (entry.at_us, entry.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_insertion_order() {
        let mut queue = EventQueue::default();
        queue.push(20, "late");
        queue.push(10, "first-at-10");
        queue.push(10, "second-at-10");
        queue.push(5, "earliest");
        queue.push(10, "third-at-10");
        let order: Vec<&str> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(
            order,
            [
                "earliest",
                "first-at-10",
                "second-at-10",
                "third-at-10",
                "late"
            ]
        );
        assert!(queue.is_empty());
    }
}
