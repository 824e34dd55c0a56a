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
