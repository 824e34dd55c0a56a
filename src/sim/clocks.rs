//! Each node's own clock. Virtual time stays the one true time; a node's timers run on its
//! clock, which gains `drift_ppm` microseconds per second of true time (negative: it loses
//! them), and each timer lands up to `timer_jitter_us_max` late, as a scheduler wakes a
//! thread late. A `clock-skew` fault changes a node's drift; a `clock-jump` moves its pending
//! timers (see the engine).
//!
//! With the default model every clock is perfect and no draw is made.

use crate::prng::{Prng, Stream};
use crate::protocol::NodeId;

/// Per-node drift is drawn uniformly from `-drift_ppm_max..=drift_ppm_max` at the start of a
/// run; each timer's lateness from `0..=timer_jitter_us_max`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClockModel {
    pub drift_ppm_max: u64,
    pub timer_jitter_us_max: u64,
}

impl ClockModel {
    /// The largest drift a model may ask for: a clock ten percent off is broken hardware,
    /// not drift.
    pub const DRIFT_PPM_LIMIT: u64 = 100_000;

    pub fn is_perfect(&self) -> bool {
        self.drift_ppm_max == 0 && self.timer_jitter_us_max == 0
    }
}

/// One node's clock.
pub(super) struct NodeClock {
    drift_ppm: i64,
    jitter_us_max: u64,
    rng: Prng,
}

impl NodeClock {
    pub(super) fn new(seed: u64, node: NodeId, model: &ClockModel) -> NodeClock {
        let mut rng = Prng::new(seed, Stream::Clock(node.0));
        let max = model.drift_ppm_max.min(ClockModel::DRIFT_PPM_LIMIT);
        let drift_ppm = rng.range_inclusive(0, 2 * max) as i64 - max as i64;
        NodeClock {
            drift_ppm,
            jitter_us_max: model.timer_jitter_us_max,
            rng,
        }
    }

    #[cfg(test)]
    fn drift_ppm(&self) -> i64 {
        self.drift_ppm
    }

    pub(super) fn set_drift_ppm(&mut self, drift_ppm: i64) {
        let limit = ClockModel::DRIFT_PPM_LIMIT as i64;
        self.drift_ppm = drift_ppm.clamp(-limit, limit);
    }

    /// The true time a timer of `delay_us` on this clock takes.
    pub(super) fn true_delay_us(&mut self, delay_us: u64) -> u64 {
        let rate = (1_000_000 + self.drift_ppm) as u128;
        let scaled = (u128::from(delay_us) * 1_000_000 / rate).min(u128::from(u64::MAX)) as u64;
        if self.jitter_us_max == 0 {
            return scaled;
        }
        scaled.saturating_add(self.rng.range_inclusive(0, self.jitter_us_max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fast_clock_fires_its_timers_early_and_a_slow_one_late() {
        let model = ClockModel::default();
        let mut clock = NodeClock::new(1, NodeId(0), &model);
        assert_eq!(clock.true_delay_us(150_000), 150_000);
        clock.set_drift_ppm(100);
        assert_eq!(clock.true_delay_us(1_000_000), 999_900);
        clock.set_drift_ppm(-100);
        assert_eq!(clock.true_delay_us(1_000_000), 1_000_100);
        clock.set_drift_ppm(5_000_000);
        assert_eq!(clock.drift_ppm(), 100_000, "clamped to the limit");
    }

    #[test]
    fn drift_and_jitter_stay_within_the_model() {
        let model = ClockModel {
            drift_ppm_max: 50,
            timer_jitter_us_max: 150,
        };
        let drifts: Vec<i64> = (0..64)
            .map(|node| NodeClock::new(7, NodeId(node), &model).drift_ppm())
            .collect();
        assert!(drifts.iter().all(|drift| drift.abs() <= 50), "{drifts:?}");
        assert!(drifts.iter().any(|&d| d < 0) && drifts.iter().any(|&d| d > 0));
        let mut clock = NodeClock::new(7, NodeId(0), &model);
        clock.set_drift_ppm(0);
        let delays: Vec<u64> = (0..200).map(|_| clock.true_delay_us(10_000)).collect();
        assert!(delays.iter().all(|d| (10_000..=10_150).contains(d)));
        assert!(delays.iter().any(|&d| d > 10_100));
    }
}
