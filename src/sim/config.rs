//! What a run is asked to do, apart from the protocol's own settings: the cluster's size, the
//! seed, how long to run, the hard limits, the network, the client load, the fault schedule
//! and the expectations.

use super::fault::Fault;
use super::outcome::Expectations;
use super::workload::Workload;
use crate::net::LinkModel;

/// Everything about a run except the protocol's own configuration.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub node_count: u16,
    pub seed: u64,
    /// The run ends at this virtual time.
    pub duration_us: u64,
    /// Hard limit on steps; reaching it is the `LimitReached` outcome, never a hang.
    pub max_steps: u64,
    /// Hard limit on messages in flight at once (a protocol flooding the network).
    pub max_in_flight: u64,
    pub links: LinkModel,
    pub workload: Option<Workload>,
    /// The fault schedule, in any order; it is sorted by time (stably) at the start.
    pub faults: Vec<Fault>,
    pub expect: Expectations,
    /// Also run the naive from-scratch checker after every observation and report any
    /// disagreement with the incremental one (slow; for checking the checker).
    pub paranoid: bool,
}
