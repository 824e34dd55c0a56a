//! The yardstick: a bare discrete-event loop with nothing but a binary heap and the project's
//! PRNG, measured in the same process as the engine so the ratio between the two cancels out
//! the machine.
//!
//! What it does per event is the irreducible core of any event-driven simulator: pop the
//! earliest `(time, seq)` entry, draw a latency from the same ChaCha8 [`Prng`] the engine
//! uses, and push the next event carrying a payload of the size of a small message. The
//! population stays at `pending` events: the bench passes the mean depth of the engine's own
//! queue in the workload it compares with, so both queues hold as many events. Nothing else:
//! no nodes, no network rules, no checks, no trace.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::prng::{Prng, Stream};

/// One bare event: ordered by `(at_us, seq)`; the payload is carried, never interpreted.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct BareEvent {
    at_us: u64,
    seq: u64,
    payload: [u64; 4],
}

/// Result of one bare run. `checksum` folds every payload and time, so the optimiser cannot
/// drop the work, and it makes the loop's result checkable for determinism.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BareRun {
    pub events: u64,
    pub checksum: u64,
    /// Events left queued at the end: the population the loop kept throughout.
    pub pending: usize,
}

/// Latency range of the bare loop's draws, as in the benchmark scenarios (1-10 ms).
const LATENCY_US_MIN: u64 = 1_000;
const LATENCY_US_MAX: u64 = 10_000;

/// Runs `events` pops with `pending` events in the queue, seeded with `seed`.
pub fn run_bare_loop(events: u64, pending: usize, seed: u64) -> BareRun {
    let mut rng = Prng::new(seed, Stream::Custom(0));
    let mut heap = BinaryHeap::with_capacity(pending + 1);
    let mut seq = 0u64;
    for index in 0..pending as u64 {
        let at_us = rng.range_inclusive(LATENCY_US_MIN, LATENCY_US_MAX);
        heap.push(Reverse(BareEvent {
            at_us,
            seq,
            payload: [index, 0, 0, 0],
        }));
        seq += 1;
    }
    let mut checksum = 0u64;
    for _ in 0..events {
        let Some(Reverse(event)) = heap.pop() else {
            break;
        };
        checksum = checksum
            .rotate_left(5)
            .wrapping_add(event.at_us ^ event.payload[0] ^ event.payload[3]);
        let delay_us = rng.range_inclusive(LATENCY_US_MIN, LATENCY_US_MAX);
        heap.push(Reverse(BareEvent {
            at_us: event.at_us + delay_us,
            seq,
            payload: [
                event.payload[0].wrapping_add(1),
                event.seq,
                delay_us,
                checksum,
            ],
        }));
        seq += 1;
    }
    BareRun {
        events,
        checksum,
        pending: heap.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_checksum_and_the_seed_matters() {
        let first = run_bare_loop(10_000, 64, 1);
        assert_eq!(first, run_bare_loop(10_000, 64, 1));
        assert_eq!(first.events, 10_000);
        assert_eq!(first.pending, 64);
        assert_ne!(first.checksum, run_bare_loop(10_000, 64, 2).checksum);
    }
}
