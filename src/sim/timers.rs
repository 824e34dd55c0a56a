//! A node's pending timers, re-armed without flooding the event queue.
//!
//! Protocols re-arm timers constantly: a Raft follower resets its election timer on every
//! AppendEntries, so with one queued event per arming almost every timer event would be
//! stale by the time it was popped. Here a re-arm to a deadline no earlier than the timer's
//! event already in the queue (its *carrier*) queues nothing: the new deadline waits in the
//! entry, and when the carrier pops it is pushed again for the deadline. A re-arm to an
//! earlier deadline is queued at once.
//!
//! The order of events is exactly what it would be with one queued event per re-arm: the
//! simulator reserves the event's sequence number when the timer is set and queues it later
//! with that number, and the carrier pops no later than the deferred key, so nothing that
//! should come after the deferred event can be popped before it is queued.

/// What to do with a timer event that has just been popped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerEvent {
    /// The timer fires now.
    Fire,
    /// The timer was re-armed since: queue it again for `at_us` with sequence number `seq`
    /// and `generation`.
    Requeue {
        at_us: u64,
        seq: u64,
        generation: u64,
    },
    /// Cancelled or superseded: nothing happens.
    Stale,
}

#[derive(Clone, Copy, Debug)]
struct Pending<T> {
    timer: T,
    /// Generation of the latest arming: the event that carries it fires the timer.
    generation: u64,
    /// The queued event that will wake this entry: its time and generation.
    carrier_at_us: u64,
    carrier_generation: u64,
    /// A later deadline waiting for the carrier to pop: time and reserved sequence number.
    deferred: Option<(u64, u64)>,
}

/// Pending timers of one node; a few at most, so a Vec.
#[derive(Clone, Debug)]
pub struct NodeTimers<T> {
    pending: Vec<Pending<T>>,
}

impl<T> Default for NodeTimers<T> {
    fn default() -> Self {
        NodeTimers {
            pending: Vec::new(),
        }
    }
}

impl<T: Copy + Eq> NodeTimers<T> {
    /// Arms `timer` for `at_us` (replacing any earlier arming) with the event's `generation`
    /// and reserved `seq`. True when the caller must queue the event now.
    pub fn set(&mut self, timer: T, at_us: u64, seq: u64, generation: u64) -> bool {
        if let Some(entry) = self.pending.iter_mut().find(|entry| entry.timer == timer) {
            entry.generation = generation;
            if entry.carrier_at_us <= at_us {
                entry.deferred = Some((at_us, seq));
                return false;
            }
            entry.carrier_at_us = at_us;
            entry.carrier_generation = generation;
            entry.deferred = None;
            return true;
        }
        self.pending.push(Pending {
            timer,
            generation,
            carrier_at_us: at_us,
            carrier_generation: generation,
            deferred: None,
        });
        true
    }

    /// Disarms `timer` if it is pending; its queued event turns stale.
    pub fn cancel(&mut self, timer: T) {
        self.pending.retain(|entry| entry.timer != timer);
    }

    /// Every pending timer with the deadline it fires at, in the order they were first armed.
    pub fn deadlines(&self) -> Vec<(T, u64)> {
        self.pending
            .iter()
            .map(|entry| {
                let at_us = entry
                    .deferred
                    .map_or(entry.carrier_at_us, |(at_us, _)| at_us);
                (entry.timer, at_us)
            })
            .collect()
    }

    /// Disarms everything (a crash).
    pub fn clear(&mut self) {
        self.pending.clear();
    }

    /// Decides what a popped event of `timer` with `generation` does.
    pub fn on_event(&mut self, timer: T, generation: u64) -> TimerEvent {
        let Some(position) = self.pending.iter().position(|entry| entry.timer == timer) else {
            return TimerEvent::Stale;
        };
        let entry = &mut self.pending[position];
        if entry.carrier_generation != generation {
            return TimerEvent::Stale;
        }
        match entry.deferred.take() {
            None => {
                debug_assert_eq!(entry.generation, generation);
                self.pending.swap_remove(position);
                TimerEvent::Fire
            }
            Some((at_us, seq)) => {
                entry.carrier_at_us = at_us;
                entry.carrier_generation = entry.generation;
                TimerEvent::Requeue {
                    at_us,
                    seq,
                    generation: entry.generation,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_rearm_waits_for_the_carrier_and_an_earlier_one_is_queued() {
        let mut timers = NodeTimers::default();
        assert!(timers.set('e', 100, 1, 10), "first arming is queued");
        assert!(!timers.set('e', 150, 2, 11), "later deadline: deferred");
        assert!(!timers.set('e', 170, 3, 12), "later again: still deferred");
        assert_eq!(
            timers.on_event('e', 10),
            TimerEvent::Requeue {
                at_us: 170,
                seq: 3,
                generation: 12
            }
        );
        assert_eq!(timers.on_event('e', 12), TimerEvent::Fire);
        assert_eq!(timers.on_event('e', 12), TimerEvent::Stale, "fired once");
        assert!(timers.set('e', 300, 4, 13));
        assert!(timers.set('e', 200, 5, 14), "earlier deadline: queued now");
        assert_eq!(timers.on_event('e', 14), TimerEvent::Fire);
        assert_eq!(
            timers.on_event('e', 13),
            TimerEvent::Stale,
            "the later one is stale"
        );
    }

    #[test]
    fn cancel_and_clear_make_queued_events_stale() {
        let mut timers = NodeTimers::default();
        assert!(timers.set('a', 10, 1, 1));
        assert!(timers.set('b', 10, 2, 2));
        assert!(!timers.set('b', 20, 3, 3));
        timers.cancel('a');
        assert_eq!(timers.on_event('a', 1), TimerEvent::Stale);
        timers.clear();
        assert_eq!(timers.on_event('b', 2), TimerEvent::Stale);
        assert!(timers.set('b', 30, 4, 4), "re-armed after a clear: queued");
    }
}
