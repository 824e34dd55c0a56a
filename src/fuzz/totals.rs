//! The counters of a set of finished seeds: what a ledger checkpoint records for the seeds it
//! covers, so a resumed campaign's summary is exact without running or listing them again.
//!
//! Every counter is a sum over seeds, so totals of disjoint sets of seeds add up to the totals
//! of their union, in any order.

use serde::{Deserialize, Serialize};

use super::coverage::{Coverage, SeedCoverage};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    pub seeds: u64,
    pub passes: u64,
    pub failures: u64,
    /// Engine steps over the seeds' runs.
    pub events: u64,
    pub coverage: Coverage,
}

impl Totals {
    /// No seeds.
    pub fn new() -> Totals {
        Totals {
            seeds: 0,
            passes: 0,
            failures: 0,
            events: 0,
            coverage: Coverage::new(),
        }
    }

    /// Counts one finished seed.
    pub fn count(&mut self, coverage: &SeedCoverage, failed: bool, events: u64) {
        self.seeds += 1;
        self.passes += u64::from(!failed);
        self.failures += u64::from(failed);
        self.events += events;
        self.coverage.count(coverage, failed);
    }
}

impl Default for Totals {
    fn default() -> Totals {
        Totals::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_adds_one_seed_everywhere() {
        let seed = SeedCoverage {
            fault_kinds: vec![("crash", 3), ("cut", 1)],
            nodes: 5,
            options: vec![("pre_vote", true), ("check_quorum", false)],
        };
        let mut totals = Totals::new();
        totals.count(&seed, true, 40);
        totals.count(&seed, false, 2);
        assert_eq!(
            (totals.seeds, totals.passes, totals.failures, totals.events),
            (2, 1, 1, 42)
        );
        let crash = totals.coverage.fault_kinds["crash"];
        assert_eq!((crash.seeds, crash.failed, crash.faults), (2, 1, 6));
        assert_eq!(totals.coverage.kinds_per_seed[&2].seeds, 2);
        assert_eq!(totals.coverage.nodes[&5].failed, 1);
        assert_eq!(totals.coverage.options["pre_vote"].seeds, 2);
        assert_eq!(totals.coverage.options["check_quorum"].seeds, 0);
    }
}
