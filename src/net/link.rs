//! What happens to a message on its way: drop, delay, duplication. Reordering falls out of
//! independent random latencies; duplicates get their own latency, so they reorder too.

use super::Topology;
use crate::prng::{Prng, Ratio};
use crate::protocol::NodeId;

/// Behaviour of every link that is up. Latency is uniform over `latency_us_min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkModel {
    pub latency_us_min: u64,
    pub latency_us_max: u64,
    pub drop: Ratio,
    pub duplicate: Ratio,
}

impl Default for LinkModel {
    fn default() -> Self {
        LinkModel {
            latency_us_min: 1_000,
            latency_us_max: 5_000,
            drop: Ratio::ZERO,
            duplicate: Ratio::ZERO,
        }
    }
}

/// The fate of one sent message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// Lost: the link is down (partition) — `partitioned` — or the loss draw hit.
    Dropped { partitioned: bool },
    /// Delivered after `delay_us`; `duplicate_delay_us` is a second copy's delay, if any.
    Deliver {
        delay_us: u64,
        duplicate_delay_us: Option<u64>,
    },
}

/// Topology plus link model plus the network's random stream.
#[derive(Clone, Debug)]
pub struct Network {
    pub topology: Topology,
    pub model: LinkModel,
    rng: Prng,
}

impl Network {
    pub fn new(topology: Topology, model: LinkModel, rng: Prng) -> Network {
        Network {
            topology,
            model,
            rng,
        }
    }

    /// Decides the fate of a message sent now from `from` to `to`. A message a node sends to
    /// itself is delivered with the same latency model but never lost or duplicated.
    ///
    /// One 64-bit draw decides loss, duplication and latency together (see `MessageDraw`):
    /// one ChaCha output per message where drawing each apart would take up to three. A
    /// duplicate's own latency, and a latency the shared draw cannot give without bias, take
    /// a draw of their own.
    pub fn route(&mut self, from: NodeId, to: NodeId) -> Route {
        if from == to {
            return Route::Deliver {
                delay_us: self.draw_latency_us(),
                duplicate_delay_us: None,
            };
        }
        if !self.topology.connected(from, to) {
            return Route::Dropped { partitioned: true };
        }
        let draw = MessageDraw(self.rng.next_u64());
        if draw.hits(LOSS_BITS, self.model.drop) {
            return Route::Dropped { partitioned: false };
        }
        let delay_us = match draw.latency_us(self.model.latency_us_min, self.model.latency_us_max) {
            Some(delay_us) => delay_us,
            None => self.draw_latency_us(),
        };
        let duplicate_delay_us = draw
            .hits(DUPLICATE_BITS, self.model.duplicate)
            .then(|| self.draw_latency_us());
        Route::Deliver {
            delay_us,
            duplicate_delay_us,
        }
    }

    /// One latency draw of the link model (how long a connection reset takes to arrive).
    pub fn draw_latency_us(&mut self) -> u64 {
        self.rng
            .range_inclusive(self.model.latency_us_min, self.model.latency_us_max)
    }
}

/// One message's 64 random bits, split into three independent fields: bits 0-20 decide
/// loss, bits 21-41 duplication, bits 42-63 the latency.
#[derive(Clone, Copy, Debug)]
struct MessageDraw(u64);

/// Where each field starts.
const LOSS_BITS: u32 = 0;
const DUPLICATE_BITS: u32 = 21;
const LATENCY_BITS: u32 = 42;
/// Loss and duplication fields are 21 bits: a probability resolves to 1/2,097,152, finer than
/// the parts per million a scenario can give.
const CHANCE_FIELD_BITS: u32 = 21;
/// The latency field is the top 22 bits.
const LATENCY_FIELD_BITS: u32 = 64 - LATENCY_BITS;

impl MessageDraw {
    /// True with probability `ratio` (to within 2^-21), from the field at `offset`.
    fn hits(self, offset: u32, ratio: Ratio) -> bool {
        if ratio.is_zero() {
            return false; // the common case of a link without loss or duplication
        }
        let field = (self.0 >> offset) & ((1 << CHANCE_FIELD_BITS) - 1);
        // field / 2^21 < ppm / 10^6, in integers.
        field * u64::from(Ratio::PPM_MAX) < u64::from(ratio.ppm()) << CHANCE_FIELD_BITS
    }

    /// A uniform latency in `min..=max` from the top field, by Lemire's multiply-and-reject on
    /// 22 bits; `None` when the field is rejected (a chance below span / 2^22) or the span is
    /// wider than the field, and the latency needs a draw of its own.
    fn latency_us(self, min: u64, max: u64) -> Option<u64> {
        if max <= min {
            return Some(min);
        }
        let span = max - min + 1;
        let field_values = 1u64 << LATENCY_FIELD_BITS;
        if span > field_values {
            return None;
        }
        let product = (self.0 >> LATENCY_BITS) * span;
        let low = product & (field_values - 1);
        // The rejection threshold (2^22 mod span) is below `span`, so the division that finds
        // it is needed only on the rare draw whose low part is too: Lemire's published form.
        if low < span && low < field_values % span {
            return None;
        }
        Some(min + (product >> LATENCY_FIELD_BITS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prng::Stream;

    fn network(model: LinkModel) -> Network {
        Network::new(Topology::full_mesh(3), model, Prng::new(9, Stream::Network))
    }

    #[test]
    fn latency_stays_in_range() {
        let mut net = network(LinkModel {
            latency_us_min: 100,
            latency_us_max: 200,
            ..LinkModel::default()
        });
        for _ in 0..1_000 {
            match net.route(NodeId(0), NodeId(1)) {
                Route::Deliver { delay_us, .. } => assert!((100..=200).contains(&delay_us)),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn partitioned_links_drop_everything() {
        let mut net = network(LinkModel::default());
        net.topology.cut(&[NodeId(0)], &[NodeId(1)]);
        assert_eq!(
            net.route(NodeId(0), NodeId(1)),
            Route::Dropped { partitioned: true }
        );
        assert!(matches!(
            net.route(NodeId(1), NodeId(0)),
            Route::Deliver { .. }
        ));
    }

    #[test]
    fn drop_and_duplicate_follow_their_ratios() {
        let mut net = network(LinkModel {
            drop: Ratio::from_ppm(200_000),
            duplicate: Ratio::from_ppm(500_000),
            ..LinkModel::default()
        });
        let (mut dropped, mut duplicated) = (0, 0);
        for _ in 0..10_000 {
            match net.route(NodeId(0), NodeId(2)) {
                Route::Dropped { partitioned } => {
                    assert!(!partitioned);
                    dropped += 1;
                }
                Route::Deliver {
                    duplicate_delay_us, ..
                } => duplicated += usize::from(duplicate_delay_us.is_some()),
            }
        }
        assert!((1_800..2_200).contains(&dropped), "dropped {dropped}");
        assert!(
            (3_700..4_300).contains(&duplicated),
            "duplicated {duplicated}"
        );
    }

    #[test]
    fn certain_and_impossible_ratios_are_exact() {
        let mut always_lost = network(LinkModel {
            drop: Ratio::from_ppm(Ratio::PPM_MAX),
            ..LinkModel::default()
        });
        let mut always_copied = network(LinkModel {
            duplicate: Ratio::from_ppm(Ratio::PPM_MAX),
            ..LinkModel::default()
        });
        for _ in 0..10_000 {
            assert_eq!(
                always_lost.route(NodeId(0), NodeId(1)),
                Route::Dropped { partitioned: false }
            );
            assert!(matches!(
                always_copied.route(NodeId(0), NodeId(1)),
                Route::Deliver {
                    duplicate_delay_us: Some(_),
                    ..
                }
            ));
        }
    }

    /// Each latency of a small range comes up as often as the others, whether or not the
    /// same draw also duplicated the message: the fields are independent.
    #[test]
    fn latency_is_uniform_and_independent_of_duplication() {
        let mut net = network(LinkModel {
            latency_us_min: 10,
            latency_us_max: 19,
            duplicate: Ratio::from_ppm(500_000),
            ..LinkModel::default()
        });
        let mut counts = [[0u32; 10]; 2];
        for _ in 0..200_000 {
            if let Route::Deliver {
                delay_us,
                duplicate_delay_us,
            } = net.route(NodeId(0), NodeId(1))
            {
                counts[usize::from(duplicate_delay_us.is_some())][(delay_us - 10) as usize] += 1;
            }
        }
        for row in counts {
            for count in row {
                assert!((9_300..10_700).contains(&count), "counts {counts:?}");
            }
        }
    }

    #[test]
    fn latencies_wider_than_the_shared_field_still_cover_the_range() {
        let (min, max) = (1_000, 1_000 + (1 << 30));
        let mut net = network(LinkModel {
            latency_us_min: min,
            latency_us_max: max,
            ..LinkModel::default()
        });
        let (mut low, mut high) = (false, false);
        for _ in 0..1_000 {
            match net.route(NodeId(0), NodeId(1)) {
                Route::Deliver { delay_us, .. } => {
                    assert!((min..=max).contains(&delay_us));
                    low |= delay_us < min + (1 << 28);
                    high |= delay_us > max - (1 << 28);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(low && high);
    }

    #[test]
    fn self_sends_are_never_lost() {
        let mut net = network(LinkModel {
            drop: Ratio::from_ppm(Ratio::PPM_MAX),
            ..LinkModel::default()
        });
        net.topology.isolate(NodeId(1));
        assert!(matches!(
            net.route(NodeId(1), NodeId(1)),
            Route::Deliver { .. }
        ));
    }
}
