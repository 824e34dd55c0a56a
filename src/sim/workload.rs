//! Client load: `Put` commands at random intervals, sent to the leader (as the nodes report
//! it) or to a random live node.

/// Where client commands go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientTarget {
    /// The live node claiming leadership in the highest term; a random live node when none
    /// does (a client that has not found the leader yet).
    Leader,
    /// A random live node; non-leaders turn it away.
    Random,
}

/// A stream of client commands between `start_us` and `stop_us`.
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
