//! The event queue: a binary heap ordered by `(time, insertion sequence)`.
//!
//! The sequence number makes the order total, so two events at the same virtual time are
//! always taken in the order they were scheduled, whatever the heap does inside.
//!
//! Events themselves (messages can be large) live in a slab; the heap holds only 32-byte
//! keys, so sifting moves little memory. Profiling showed heap sifting of whole events as the
//! single largest cost of a run before this split.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// `(at_us, seq)` packed into one `u128` (time in the high half), so ordering is a single
/// wide comparison instead of a branchy tuple compare; profiling showed the comparisons of
/// heap sifting as a large part of popping. The order is exactly the tuple's.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    order: u128,
    slot: u32,
}

impl Key {
    fn new(at_us: u64, seq: u64, slot: u32) -> Key {
        Key {
            order: (u128::from(at_us) << 64) | u128::from(seq),
            slot,
        }
    }

    fn at_us(self) -> u64 {
        (self.order >> 64) as u64
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    /// Reversed, because `BinaryHeap` is a max-heap and we want the earliest first. `seq` is
    /// unique, so `slot` never decides.
    fn cmp(&self, other: &Self) -> Ordering {
        other.order.cmp(&self.order)
    }
}

/// Min-queue of events by `(at_us, seq)`.
pub struct EventQueue<E> {
    heap: BinaryHeap<Key>,
    slots: Vec<Option<E>>,
    free_slots: Vec<u32>,
    seq_next: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            seq_next: 0,
        }
    }
}

impl<E> EventQueue<E> {
    pub fn push(&mut self, at_us: u64, event: E) {
        let seq = self.reserve_seq();
        self.push_reserved(at_us, seq, event);
    }

    /// Takes the next sequence number for an event queued later with [`Self::push_reserved`]:
    /// it will be ordered as if it had been pushed now.
    pub fn reserve_seq(&mut self) -> u64 {
        let seq = self.seq_next;
        self.seq_next += 1;
        seq
    }

    /// Queues `event` with a sequence number from [`Self::reserve_seq`].
    pub fn push_reserved(&mut self, at_us: u64, seq: u64, event: E) {
        debug_assert!(
            seq < self.seq_next,
            "sequence numbers come from reserve_seq"
        );
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(event);
                slot
            }
            None => {
                let slot = u32::try_from(self.slots.len()).expect("fewer than 2^32 pending events");
                self.slots.push(Some(event));
                slot
            }
        };
        self.heap.push(Key::new(at_us, seq, slot));
    }

    /// Removes and returns the earliest event with its time.
    pub fn pop(&mut self) -> Option<(u64, E)> {
        let key = self.heap.pop()?;
        let event = self.slots[key.slot as usize]
            .take()
            .expect("a queued key always has its event");
        self.free_slots.push(key.slot);
        Some((key.at_us(), event))
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
    use std::collections::BTreeMap;

    use super::*;
    use crate::sim::prng::{Prng, Stream};

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

    #[test]
    fn slots_are_reused_without_disturbing_order() {
        let mut queue = EventQueue::default();
        for (at_us, name) in [(30, "c"), (10, "a"), (20, "b"), (40, "d")] {
            queue.push(at_us, name);
        }
        assert_eq!(queue.pop(), Some((10, "a")));
        assert_eq!(queue.pop(), Some((20, "b")));
        queue.push(25, "b2");
        queue.push(25, "b3");
        assert_eq!(queue.slots.len(), 4, "freed slots were reused");
        let order: Vec<&str> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["b2", "b3", "c", "d"]);
    }

    /// Pushes, reserved pushes and pops as the engine makes them (every key above the last
    /// popped one), checked pop by pop against a sorted map. Delays mix the same instant,
    /// a few microseconds, the 1-10 ms of network latency, a handful of shared future
    /// instants (many events at one time, told apart by sequence number), jumps of 2^40 µs,
    /// and the end of time; reserved sequence numbers are used late and out of order.
    #[test]
    fn pops_in_the_order_of_a_sorted_reference() {
        for seed in 0..16 {
            let mut rng = Prng::new(seed, Stream::Custom(0));
            let mut queue = EventQueue::default();
            let mut reference: BTreeMap<(u64, u64), u64> = BTreeMap::new();
            let mut reserved: Vec<u64> = Vec::new();
            let mut seq_next = 0u64;
            let mut last_popped: Option<(u64, u64)> = None;
            let mut popped = 0usize;
            for id in 0..20_000u64 {
                let now_us = last_popped.map_or(0, |(at_us, _)| at_us);
                let delay_us = match rng.below(16) {
                    0..=2 => 0,
                    3..=4 => rng.below(16),
                    5..=11 => rng.range_inclusive(1_000, 10_000),
                    12..=13 => 1_000 * rng.range_inclusive(1, 4),
                    14 => (1 << 40) + rng.below(1 << 20),
                    _ if rng.below(64) == 0 => u64::MAX,
                    _ => rng.below(1 << 20),
                };
                let mut at_us = now_us.saturating_add(delay_us);
                match rng.below(8) {
                    0..=2 => {
                        queue.push(at_us, id);
                        reference.insert((at_us, seq_next), id);
                        seq_next += 1;
                    }
                    3 => {
                        let seq = queue.reserve_seq();
                        assert_eq!(seq, seq_next);
                        seq_next += 1;
                        reserved.push(seq);
                    }
                    4 if !reserved.is_empty() => {
                        let seq = reserved.swap_remove(rng.index(reserved.len()));
                        // Late enough to come after the last popped event, as the engine's
                        // deferred timers are; at the end of time there is no later instant.
                        if last_popped.is_some_and(|last| (at_us, seq) <= last) {
                            at_us = at_us.saturating_add(1);
                        }
                        if last_popped.is_some_and(|last| (at_us, seq) <= last) {
                            continue;
                        }
                        queue.push_reserved(at_us, seq, id);
                        reference.insert((at_us, seq), id);
                    }
                    _ => {
                        let expected = reference.pop_first();
                        let got = queue.pop();
                        assert_eq!(
                            got,
                            expected.map(|((at_us, _), id)| (at_us, id)),
                            "seed {seed}, pop {popped}"
                        );
                        if let Some((key, _)) = expected {
                            last_popped = Some(key);
                        }
                        popped += 1;
                    }
                }
                assert_eq!(queue.len(), reference.len());
            }
            while let Some(((at_us, _), id)) = reference.pop_first() {
                assert_eq!(queue.pop(), Some((at_us, id)), "seed {seed}, draining");
            }
            assert_eq!(queue.pop(), None);
            assert!(queue.is_empty());
        }
    }

    #[test]
    fn a_reserved_sequence_number_orders_an_event_as_of_its_reservation() {
        let mut queue = EventQueue::default();
        let early = queue.reserve_seq();
        queue.push(10, "pushed-first");
        queue.push(20, "pushed-at-20");
        assert_eq!(queue.pop(), Some((10, "pushed-first")));
        // Reserved before "pushed-at-20" was pushed: it comes first at the same time.
        queue.push_reserved(20, early, "reserved-at-20");
        queue.push(20, "pushed-later-at-20");
        let order: Vec<&str> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(
            order,
            ["reserved-at-20", "pushed-at-20", "pushed-later-at-20"]
        );
    }
}
