//! raft-rs's randomized election timeout, drawn from the node's own seeded stream.
//!
//! raft-rs draws the timeout with `rand::thread_rng()` in `Raft::reset`, which
//! `become_follower`, `become_candidate` and `become_leader` call (and `Raft::new`, through
//! `become_follower`); `become_pre_candidate` does not. The library cannot be given a
//! generator, but it lets the host overwrite the value (`Raft::set_randomized_election_timeout`),
//! and the value is read only when a tick compares it with the ticks elapsed. So after every
//! call into the library the adapter asks whether a reset happened, and if so overwrites the
//! library's draw with one from `ctx.rng()` before the next tick can read it.
//!
//! **How a reset is recognised.** Every reset changes the term or moves the node to
//! follower, candidate or leader from another role, and nothing else does (the term changes
//! only inside `reset`, apart from loading the hard state in `Raft::new`). The one role change
//! without a reset is to pre-candidate. The adapter never changes the configuration, so the
//! membership paths that could reset without a visible change do not arise.
//!
//! **How that is checked.** Between resets the library's value must be the one the adapter
//! set; if it differs, the library redrew without a term or role change and the adapter would
//! have let its own generator through: [`ElectionTimeout::after_call`] panics, which a run
//! reports as a failure naming the node. (A missed reset goes unnoticed only when the
//! library's draw happens to equal the adapter's value, once in a range's width.)

use quorumsim::prng::Prng;
use raft::{Raft, StateRole, Storage};

/// An election timer's state: its timeout and the ticks elapsed towards it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeptTimer {
    pub timeout_ticks: usize,
    pub elapsed_ticks: usize,
}

/// The adapter's side of one node's randomized election timeout.
#[derive(Debug)]
pub struct ElectionTimeout {
    /// Draws lie in `min_ticks..=max_ticks`, raft-rs's `min_election_tick..max_election_tick`.
    min_ticks: usize,
    max_ticks: usize,
    /// The term and role after the last call, so the next call's reset shows as a change.
    term: u64,
    state: StateRole,
    /// The value the adapter last set.
    timeout_ticks: usize,
    /// How many times the adapter has drawn, for tests.
    draw_count: u64,
}

impl ElectionTimeout {
    /// Replaces the draw `Raft::new` made at boot. `min_election_tick..max_election_tick` is
    /// the library's range (upper bound excluded).
    pub fn new<T: Storage>(
        raft: &mut Raft<T>,
        min_election_tick: usize,
        max_election_tick: usize,
        rng: &mut Prng,
    ) -> ElectionTimeout {
        assert!(min_election_tick < max_election_tick, "a non-empty range");
        let mut timeout = ElectionTimeout {
            min_ticks: min_election_tick,
            max_ticks: max_election_tick - 1,
            term: raft.term,
            state: raft.state,
            timeout_ticks: 0,
            draw_count: 0,
        };
        timeout.redraw(raft, rng);
        timeout
    }

    /// To be called after every call that may step the state machine (`tick`, `step`,
    /// `propose`, `advance`): redraws after a reset, and checks none went unseen.
    pub fn after_call<T: Storage>(&mut self, raft: &mut Raft<T>, rng: &mut Prng) {
        let role_reset = raft.state != self.state && raft.state != StateRole::PreCandidate;
        if raft.term != self.term || role_reset {
            self.term = raft.term;
            self.redraw(raft, rng);
        } else {
            assert_eq!(
                raft.randomized_election_timeout(),
                self.timeout_ticks,
                "raft-rs redrew its election timeout without a term or role change \
                 (term {}, {:?}): the adapter missed a reset",
                raft.term,
                raft.state
            );
        }
        self.state = raft.state;
    }

    /// Puts back an earlier draw and elapsed count after a step that reset them, for the
    /// `keep_timer_on_refused_vote` experiment: the step is then as if the reset had left
    /// the timer alone. Term and role are taken as they are now.
    pub fn restore<T: Storage>(&mut self, raft: &mut Raft<T>, kept: KeptTimer) {
        self.term = raft.term;
        self.state = raft.state;
        self.timeout_ticks = kept.timeout_ticks;
        raft.set_randomized_election_timeout(kept.timeout_ticks);
        raft.election_elapsed = kept.elapsed_ticks;
    }

    /// The timer as it stands, to restore later.
    pub fn kept<T: Storage>(&self, raft: &Raft<T>) -> KeptTimer {
        KeptTimer {
            timeout_ticks: self.timeout_ticks,
            elapsed_ticks: raft.election_elapsed,
        }
    }

    pub fn timeout_ticks(&self) -> usize {
        self.timeout_ticks
    }

    pub fn draw_count(&self) -> u64 {
        self.draw_count
    }

    fn redraw<T: Storage>(&mut self, raft: &mut Raft<T>, rng: &mut Prng) {
        let (min, max) = (self.min_ticks as u64, self.max_ticks as u64);
        self.timeout_ticks = rng.range_inclusive(min, max) as usize;
        self.draw_count += 1;
        raft.set_randomized_election_timeout(self.timeout_ticks);
    }
}
