//! Connection-oriented links, as a TCP connection between two servers behaves: messages on a
//! link arrive in the order they were sent, none is lost or duplicated while the connection
//! stands (retransmission turns loss into latency), and a crash or a partition resets the
//! connection: both ends still running learn of it (`Protocol::on_connection_reset`) one
//! link latency later, after whatever was already on its way. A message sent over a link that
//! is down is dropped, as a refused connect is; the next send over a link that is up opens a
//! new connection.
//!
//! The default is datagram links: independent messages that may be lost, duplicated and
//! reordered, and no word of a crash.

use super::engine::{Engine, Event};
use crate::protocol::{NodeId, Protocol};

/// How messages travel between nodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Connections {
    /// Independent messages: lost, duplicated and reordered as the link model says.
    #[default]
    Datagram,
    /// Ordered connections that reset on a crash or a partition.
    Stream,
}

/// The latest arrival time on each directed link, so a stream's messages arrive in order.
pub(super) struct StreamOrder {
    node_count: usize,
    last_arrival_us: Vec<u64>,
}

impl StreamOrder {
    pub(super) fn new(node_count: u16) -> StreamOrder {
        let node_count = usize::from(node_count);
        StreamOrder {
            node_count,
            last_arrival_us: vec![0; node_count * node_count],
        }
    }

    /// The arrival time of a message from `from` to `to` that the network would deliver at
    /// `at_us`: no earlier than anything sent before it on the link.
    pub(super) fn arrival_us(&mut self, from: usize, to: usize, at_us: u64) -> u64 {
        let last = &mut self.last_arrival_us[from * self.node_count + to];
        *last = (*last).max(at_us);
        *last
    }

    /// When the last message on the link from `from` to `to` arrives.
    pub(super) fn last_arrival_us(&self, from: usize, to: usize) -> u64 {
        self.last_arrival_us[from * self.node_count + to]
    }
}

impl<P: Protocol> Engine<P> {
    /// Over connection-oriented links: the connection between `a` and `b` is reset; each end
    /// still running learns of it one link latency later, after what was already on its way
    /// to it.
    pub(super) fn reset_connection(&mut self, a: NodeId, b: NodeId) {
        self.tell_reset(a, b);
        self.tell_reset(b, a);
    }

    /// `node`, if it is running, learns its connection to `peer` was reset.
    pub(super) fn tell_reset(&mut self, node: NodeId, peer: NodeId) {
        if !self.alive[node.index()] {
            return;
        }
        let latency_us = self.network.draw_latency_us();
        let Some(streams) = &self.streams else {
            return;
        };
        let after_us = streams.last_arrival_us(peer.index(), node.index());
        let at_us = self.now_us.saturating_add(latency_us).max(after_us);
        let incarnation = self.incarnations[node.index()];
        self.queue.push(
            at_us,
            Event::ConnectionReset {
                node,
                incarnation,
                peer,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_never_overtakes_one_sent_before_it_on_the_same_link() {
        let mut order = StreamOrder::new(3);
        assert_eq!(order.arrival_us(0, 1, 500), 500);
        assert_eq!(order.arrival_us(0, 1, 300), 500, "sent later, drawn faster");
        assert_eq!(order.arrival_us(0, 1, 800), 800);
        assert_eq!(
            order.arrival_us(1, 0, 100),
            100,
            "the other direction is its own"
        );
        assert_eq!(order.arrival_us(0, 2, 100), 100);
        assert_eq!(order.last_arrival_us(0, 1), 800);
    }
}
