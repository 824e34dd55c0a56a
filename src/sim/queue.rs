//! The event queue: a monotone radix heap ordered by `(time, insertion sequence)`.
//!
//! The sequence number makes the order total, so two events at the same virtual time are
//! always taken in the order they were scheduled, whatever the queue does inside.
//!
//! A radix heap files each key in a bucket once and, at the engine's population and spread
//! of keys, moves few of them again, where a binary heap sifts through its levels on every
//! pop. It relies on the engine never scheduling an event before the one it has
//! just popped (see [`EventQueue::push_reserved`] for why that holds); a push that would
//! break this panics instead of being misordered.
//!
//! Events themselves (messages can be large) live in a slab, and each bucket is a list linked
//! through the keys beside it: a key changes bucket by relinking, without copying, and no
//! bucket allocates (a short fuzzing run touches many buckets, each a few times).

/// `(at_us, seq)` packed into one `u128` (time in the high half), so ordering is a single
/// wide comparison and a key's bucket comes from one leading-zero count. The order is exactly
/// the tuple's.
fn order_of(at_us: u64, seq: u64) -> u128 {
    (u128::from(at_us) << 64) | u128::from(seq)
}

fn at_us_of(order: u128) -> u64 {
    (order >> 64) as u64
}

fn seq_of(order: u128) -> u64 {
    order as u64
}

/// A queued event's key, at the same index in `keys` as the event in `slots`: `next` links the
/// keys of one bucket, or the free indices.
#[derive(Clone, Copy)]
struct Key {
    order: u128,
    next: u32,
}

/// End of a list.
const NIL: u32 = u32::MAX;

/// Keys are read as base-256 numbers: 16 digits of 8 bits, digit 15 the highest. Digits this
/// wide put a key pushed 1-10 ms ahead straight into a bucket spanning 256 µs, usually on
/// its own, where the classic one-bit radix heap moves it down through a dozen levels.
const DIGIT_BITS: u32 = 8;
const DIGIT_VALUES: usize = 1 << DIGIT_BITS;
const DIGITS: usize = (u128::BITS / DIGIT_BITS) as usize;
/// One bucket per (digit, value): the highest digit where a key differs from the last popped
/// key, and the key's value there.
const BUCKETS: usize = DIGITS * DIGIT_VALUES;
const WORD_BITS: usize = u64::BITS as usize;
const WORDS: usize = BUCKETS / WORD_BITS;
// The summary of non-empty words is a single u64.
const _: () = assert!(WORDS <= WORD_BITS);

/// The bucket of a key `order` that differs from the last popped key `last_popped_order`.
///
/// A key above the last popped one agrees with it on every digit above the highest one where
/// they differ, and is larger there. So among keys in different buckets, the one in the
/// lower digit is smaller (it still agrees with the last popped key on the other's digit,
/// where the other is larger), and in the same digit, the lower value is smaller: bucket
/// numbers `digit * DIGIT_VALUES + value` go up with the keys in them.
fn bucket_of(order: u128, last_popped_order: u128) -> usize {
    let differing = order ^ last_popped_order;
    debug_assert_ne!(
        differing, 0,
        "a key equal to the last popped one has no bucket"
    );
    let highest_bit = u128::BITS - 1 - differing.leading_zeros();
    let digit = highest_bit / DIGIT_BITS;
    let value = (order >> (digit * DIGIT_BITS)) as usize & (DIGIT_VALUES - 1);
    digit as usize * DIGIT_VALUES + value
}

/// Min-queue of events by `(at_us, seq)`, for keys that never go below the last one popped.
///
/// Popping takes the lowest non-empty bucket: its keys are the smallest (see `bucket_of`).
/// A bucket of one key is popped as it is. A larger one is scanned for its minimum, which
/// becomes the last popped key; the rest share every digit down to the bucket's with it, so
/// each moves to a bucket of a lower digit, never back into this one. Buckets above keep
/// their meaning: the new last popped key agrees with the old one on every digit above the
/// popped bucket's, and on that digit it has the popped bucket's value.
pub struct EventQueue<E> {
    /// Index of the first key of each bucket, `NIL` when it is empty.
    bucket_heads: Box<[u32; BUCKETS]>,
    /// Bit `b % 64` of word `b / 64` is set when bucket `b` is non-empty.
    non_empty_words: [u64; WORDS],
    /// Bit `w` is set when word `w` of `non_empty_words` is not zero: two trailing-zero
    /// counts find the lowest non-empty bucket.
    non_empty_summary: u64,
    /// First of the keys equal to the last popped key, which differ in no digit and so have
    /// no bucket. Only a first key `(0, 0)` can be one: every later push is above the last
    /// popped key.
    at_last_popped: u32,
    last_popped_order: u128,
    /// Whether anything was popped yet: before that, every key may be pushed.
    popped_any: bool,
    len: usize,
    keys: Vec<Key>,
    slots: Vec<Option<E>>,
    /// First of the free indices of `keys` and `slots`, linked through `Key::next`.
    free: u32,
    seq_next: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            bucket_heads: Box::new([NIL; BUCKETS]),
            non_empty_words: [0; WORDS],
            non_empty_summary: 0,
            at_last_popped: NIL,
            last_popped_order: 0,
            popped_any: false,
            len: 0,
            keys: Vec::new(),
            slots: Vec::new(),
            free: NIL,
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
    ///
    /// # Panics
    ///
    /// If `(at_us, seq)` is not after the last popped event's. The engine never does this,
    /// which is what lets a radix heap order its events:
    /// - a new event (a message, a timer, the next client request) is due at or after the
    ///   current time, the last popped event's, and has a sequence number reserved just now,
    ///   above every number handed out before, the popped event's included;
    /// - a timer event queued again when its stale carrier pops (see `timers.rs`) was
    ///   deferred only because its deadline is no earlier than the carrier's, and its
    ///   sequence number was reserved when it was re-armed, after the carrier's: its key is
    ///   above the carrier's, which is the one just popped;
    /// - the events queued before the first pop (boots, faults, the first client request)
    ///   have nothing popped to come after.
    ///
    /// A panic inside a step is reported by the engine as an internal error; an event taken
    /// out of order would silently change the run.
    pub fn push_reserved(&mut self, at_us: u64, seq: u64, event: E) {
        debug_assert!(
            seq < self.seq_next,
            "sequence numbers come from reserve_seq"
        );
        let order = order_of(at_us, seq);
        if order <= self.last_popped_order && self.popped_any {
            self.non_monotone_push(order);
        }
        let index = if self.free != NIL {
            let index = self.free;
            self.free = self.keys[index as usize].next;
            debug_assert!(
                self.slots[index as usize].is_none(),
                "a free slot holds no event"
            );
            self.slots[index as usize] = Some(event);
            index
        } else {
            self.grow(order, event)
        };
        // A reused index still holds the key of the event last popped from it.
        self.keys[index as usize].order = order;
        self.insert(index);
        self.len += 1;
    }

    /// A new index, past the end: only while the queue is longer than it has ever been.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, order: u128, event: E) -> u32 {
        let index = u32::try_from(self.slots.len())
            .ok()
            .filter(|&index| index != NIL)
            .expect("fewer than 2^32 - 1 pending events");
        self.keys.push(Key { order, next: NIL });
        self.slots.push(Some(event));
        index
    }

    #[cold]
    #[inline(never)]
    fn non_monotone_push(&self, order: u128) -> ! {
        panic!(
            "event queue: an event at {} µs (seq {}) was pushed after the event at {} µs \
             (seq {}) had been popped; events must be scheduled after the current one",
            at_us_of(order),
            seq_of(order),
            at_us_of(self.last_popped_order),
            seq_of(self.last_popped_order),
        );
    }

    /// Files the key at `index`, which is not below the last popped key, at the head of its
    /// bucket's list.
    fn insert(&mut self, index: u32) {
        let order = self.keys[index as usize].order;
        if order == self.last_popped_order {
            self.keys[index as usize].next = self.at_last_popped;
            self.at_last_popped = index;
            return;
        }
        let bucket = bucket_of(order, self.last_popped_order);
        let word = bucket / WORD_BITS;
        let bit = 1 << (bucket % WORD_BITS);
        self.keys[index as usize].next = self.bucket_heads[bucket];
        self.bucket_heads[bucket] = index;
        self.non_empty_words[word] |= bit;
        self.non_empty_summary |= 1 << word;
    }

    /// Removes and returns the earliest event with its time.
    pub fn pop(&mut self) -> Option<(u64, E)> {
        let index = if self.at_last_popped != NIL {
            let index = self.at_last_popped;
            self.at_last_popped = self.keys[index as usize].next;
            index
        } else {
            self.pop_from_buckets()?
        };
        self.len -= 1;
        self.popped_any = true;
        let key = &mut self.keys[index as usize];
        key.next = self.free;
        let at_us = at_us_of(key.order);
        self.free = index;
        let event = self.slots[index as usize]
            .take()
            .expect("a queued key always has its event");
        Some((at_us, event))
    }

    /// Unlinks the minimum of the lowest non-empty bucket, makes it the last popped key, and
    /// returns its index.
    fn pop_from_buckets(&mut self) -> Option<u32> {
        if self.non_empty_summary == 0 {
            return None;
        }
        let word = self.non_empty_summary.trailing_zeros() as usize;
        let bit = self.non_empty_words[word].trailing_zeros() as usize;
        let lowest = word * WORD_BITS + bit;
        // The bucket is emptied either way: alone, its key is popped; otherwise the others
        // move to lower buckets.
        self.non_empty_words[word] &= !(1 << bit);
        if self.non_empty_words[word] == 0 {
            self.non_empty_summary &= !(1 << word);
        }
        let head = std::mem::replace(&mut self.bucket_heads[lowest], NIL);
        let first = self.keys[head as usize];
        if first.next == NIL {
            self.last_popped_order = first.order;
            return Some(head);
        }
        let mut min_index = head;
        let mut min_order = first.order;
        let mut index = first.next;
        while index != NIL {
            let key = self.keys[index as usize];
            if key.order < min_order {
                min_index = index;
                min_order = key.order;
            }
            index = key.next;
        }
        self.last_popped_order = min_order;
        // Every other key shares with the minimum all digits down to this bucket's, so each
        // lands in a lower bucket and none comes back to this list while it is walked.
        let mut index = head;
        while index != NIL {
            let next = self.keys[index as usize].next;
            if index != min_index {
                self.insert(index);
            }
            index = next;
        }
        Some(min_index)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::prng::{Prng, Stream};

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

    #[test]
    #[should_panic(expected = "an event at 99 µs (seq 2) was pushed after the event at 100 µs")]
    fn a_push_before_the_last_popped_time_panics() {
        let mut queue = EventQueue::default();
        queue.push(100, "a");
        queue.push(200, "b");
        assert_eq!(queue.pop(), Some((100, "a")));
        queue.push(99, "too early");
    }

    #[test]
    #[should_panic(
        expected = "an event at 100 µs (seq 0) was pushed after the event at 100 µs (seq 1)"
    )]
    fn a_reserved_push_before_the_last_popped_event_panics() {
        let mut queue = EventQueue::default();
        let stale = queue.reserve_seq();
        queue.push(100, "a");
        assert_eq!(queue.pop(), Some((100, "a")));
        queue.push_reserved(100, stale, "same time, earlier sequence number");
    }
}
