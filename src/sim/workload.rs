//! Client load: `Put` commands at random intervals, sent to the leader (as the nodes report
//! it) or to a random live node.

use crate::time::ms;

/// Where client commands go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientTarget {
    /// The live node claiming leadership in the highest term; a random live node when none
    /// does (a client that has not found the leader yet).
    Leader,
    /// A random live node; non-leaders turn it away.
    Random,
}

/// A stream of client commands between `start_us` and `stop_us`. Start from
/// [`Workload::new`] and change what differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Workload {
    pub start_us: u64,
    pub stop_us: u64,
    pub interval_us_min: u64,
    pub interval_us_max: u64,
    /// Commands write keys `0..key_count`.
    pub key_count: u32,
    pub target: ClientTarget,
}

impl Workload {
    /// The shortest gap between commands that [`Workload::new`] sets.
    pub const INTERVAL_US_MIN_DEFAULT: u64 = ms(10);
    /// The longest gap between commands that [`Workload::new`] sets.
    pub const INTERVAL_US_MAX_DEFAULT: u64 = ms(30);
    /// The keys [`Workload::new`] writes, as a scenario file's default: enough for the store's
    /// state to differ between orders of the same commands.
    pub const KEY_COUNT_DEFAULT: u32 = 16;

    /// Commands from the start of the run to its end, one every 10-30 ms (drawn uniformly),
    /// over 16 keys, aimed at the leader.
    pub fn new() -> Workload {
        Workload {
            start_us: 0,
            // The run's own end stops the commands; nothing after it happens.
            stop_us: u64::MAX,
            interval_us_min: Self::INTERVAL_US_MIN_DEFAULT,
            interval_us_max: Self::INTERVAL_US_MAX_DEFAULT,
            key_count: Self::KEY_COUNT_DEFAULT,
            target: ClientTarget::Leader,
        }
    }

    /// The time of the first command.
    pub fn with_start_us(mut self, start_us: u64) -> Workload {
        self.start_us = start_us;
        self
    }

    /// No command after this time.
    pub fn with_stop_us(mut self, stop_us: u64) -> Workload {
        self.stop_us = stop_us;
        self
    }

    /// Each gap between two commands is drawn uniformly from `min_us..=max_us`.
    pub fn with_interval_us(mut self, min_us: u64, max_us: u64) -> Workload {
        self.interval_us_min = min_us;
        self.interval_us_max = max_us;
        self
    }

    /// Commands write keys `0..key_count`.
    pub fn with_key_count(mut self, key_count: u32) -> Workload {
        self.key_count = key_count;
        self
    }

    pub fn with_target(mut self, target: ClientTarget) -> Workload {
        self.target = target;
        self
    }
}

impl Default for Workload {
    fn default() -> Self {
        Workload::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_sets_the_documented_defaults() {
        let workload = Workload::new();
        assert_eq!((workload.start_us, workload.stop_us), (0, u64::MAX));
        assert_eq!(workload.interval_us_min, 10_000);
        assert_eq!(workload.interval_us_max, 30_000);
        assert_eq!(workload.key_count, 16);
        assert_eq!(workload.target, ClientTarget::Leader);
        assert_eq!(Workload::default(), workload);
    }

    #[test]
    fn each_setter_changes_its_field_only() {
        let workload = Workload::new()
            .with_start_us(ms(200))
            .with_stop_us(ms(900))
            .with_interval_us(ms(2), ms(8))
            .with_key_count(4)
            .with_target(ClientTarget::Random);
        let expected = Workload {
            start_us: 200_000,
            stop_us: 900_000,
            interval_us_min: 2_000,
            interval_us_max: 8_000,
            key_count: 4,
            target: ClientTarget::Random,
        };
        assert_eq!(workload, expected);
    }
}
