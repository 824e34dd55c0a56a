//! What happens to a message on its way: drop, delay, duplication. Reordering falls out of
//! independent random latencies; duplicates get their own latency, so they reorder too.

use super::Topology;
use crate::protocol::NodeId;
use crate::sim::prng::{Prng, Ratio};

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
        if self.rng.chance(self.model.drop) {
            return Route::Dropped { partitioned: false };
        }
        let delay_us = self.draw_latency_us();
        let duplicate_delay_us = if self.rng.chance(self.model.duplicate) {
            Some(self.draw_latency_us())
        } else {
            None
        };
        Route::Deliver {
            delay_us,
            duplicate_delay_us,
        }
    }

    fn draw_latency_us(&mut self) -> u64 {
        self.rng
            .range_inclusive(self.model.latency_us_min, self.model.latency_us_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::prng::Stream;

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
