//! Fault-mix coverage: what mixes a campaign's seeds explored, kept as counters (not per-seed
//! lists) so a summary stays small and shard summaries add up to the unsharded one.
//!
//! Every counter is a function of the seeds run and their verdicts alone: the same whatever
//! `--jobs`, and a sum over shards, so merging is addition.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::swarm::{self, GeneratedRun};
use crate::scenario::file::ScenarioFile;

/// Seeds with some property, and how many of them failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTally {
    pub seeds: u64,
    pub failed: u64,
}

impl SeedTally {
    fn count(&mut self, failed: bool) {
        self.seeds += 1;
        self.failed += u64::from(failed);
    }

    fn absorb(&mut self, other: &SeedTally) {
        self.seeds += other.seeds;
        self.failed += other.failed;
    }
}

/// One fault kind over a campaign.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultKindTally {
    /// Seeds that turned the kind on, and how many of them failed.
    pub seeds: u64,
    pub failed: u64,
    /// Faults of the kind that struck in those seeds' safety phases (undoing ones and the
    /// heal at the phase boundary not counted).
    pub faults: u64,
}

/// What one seed explored, apart from its verdict. A function of the seed's generated run
/// alone, so it can be had again without running the seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedCoverage {
    /// Each fault kind the seed turned on, with the faults of that kind that struck in its
    /// safety phase (undoing ones and the heal at the phase boundary not counted).
    pub fault_kinds: Vec<(&'static str, u64)>,
    pub nodes: u64,
    /// The protocol's on/off options as the seed drew them.
    pub options: Vec<(&'static str, bool)>,
}

impl SeedCoverage {
    /// What seed `run`, generated from `base`, explores.
    pub fn of(base: &ScenarioFile, run: &GeneratedRun) -> SeedCoverage {
        let file = &run.file;
        let heal_ms = file
            .duration_ms
            .saturating_sub(swarm::liveness_window_ms(base));
        let fault_kinds = run
            .fault_kinds
            .iter()
            .map(|kind| {
                let faults = file
                    .faults
                    .iter()
                    .filter(|fault| fault.action == *kind && fault.at_ms < heal_ms)
                    .count() as u64;
                (kind.name(), faults)
            })
            .collect();
        SeedCoverage {
            fault_kinds,
            nodes: file.nodes,
            options: run.options.clone(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// Every fault kind the swarm knows, by name, whether or not any seed turned it on.
    pub fault_kinds: BTreeMap<String, FaultKindTally>,
    /// Seeds by how many fault kinds they turned on.
    pub kinds_per_seed: BTreeMap<u64, SeedTally>,
    /// Seeds by cluster size.
    pub nodes: BTreeMap<u64, SeedTally>,
    /// Seeds with each protocol option on (see `Hosted::options`; Raft: `pre_vote`,
    /// `check_quorum`); every option the protocol has is listed, on in no seed or not.
    pub options: BTreeMap<String, SeedTally>,
}

impl Coverage {
    /// No seeds yet; every fault kind listed at zero.
    pub fn new() -> Coverage {
        Coverage {
            fault_kinds: swarm::KINDS
                .iter()
                .map(|kind| (kind.name().to_string(), FaultKindTally::default()))
                .collect(),
            ..Coverage::default()
        }
    }

    /// Seeds counted (each seed is in exactly one cluster size).
    pub fn seeds(&self) -> u64 {
        self.nodes.values().map(|tally| tally.seeds).sum()
    }

    /// Counts one seed generated from `base`.
    pub fn add(&mut self, base: &ScenarioFile, run: &GeneratedRun, failed: bool) {
        self.count(&SeedCoverage::of(base, run), failed);
    }

    /// Counts one seed from what it explored.
    pub fn count(&mut self, seed: &SeedCoverage, failed: bool) {
        for &(kind, faults) in &seed.fault_kinds {
            let tally = self.fault_kinds.entry(kind.to_string()).or_default();
            tally.seeds += 1;
            tally.failed += u64::from(failed);
            tally.faults += faults;
        }
        self.kinds_per_seed
            .entry(seed.fault_kinds.len() as u64)
            .or_default()
            .count(failed);
        self.nodes.entry(seed.nodes).or_default().count(failed);
        for &(name, on) in &seed.options {
            let tally = self.options.entry(name.to_string()).or_default();
            if on {
                tally.count(failed);
            }
        }
    }

    /// Adds another part's counters (a shard of the same campaign).
    pub fn absorb(&mut self, other: &Coverage) {
        for (name, tally) in &other.fault_kinds {
            let mine = self.fault_kinds.entry(name.clone()).or_default();
            mine.seeds += tally.seeds;
            mine.failed += tally.failed;
            mine.faults += tally.faults;
        }
        for (size, tally) in &other.kinds_per_seed {
            self.kinds_per_seed.entry(*size).or_default().absorb(tally);
        }
        for (nodes, tally) in &other.nodes {
            self.nodes.entry(*nodes).or_default().absorb(tally);
        }
        for (name, tally) in &other.options {
            self.options.entry(name.clone()).or_default().absorb(tally);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;
    use crate::scenario;
    use crate::scenario::file::FaultKind;

    fn base() -> ScenarioFile {
        let text = include_str!("../../scenarios/fuzz/raft-base.json");
        scenario::parse_file(&Registry::builtin(), "raft-base.json", text)
            .expect("the bundled base parses")
    }

    fn generate_run(base: &ScenarioFile, seed: u64) -> GeneratedRun {
        let registry = Registry::builtin();
        let raft = registry.lookup("raft").expect("built in");
        swarm::generate_run(raft, base, seed).expect("the base is valid")
    }

    fn coverage_of(base: &ScenarioFile, seeds: std::ops::Range<u64>) -> Coverage {
        let mut coverage = Coverage::new();
        for seed in seeds {
            coverage.add(base, &generate_run(base, seed), seed % 7 == 0);
        }
        coverage
    }

    #[test]
    fn counters_add_up_over_the_seeds() {
        let coverage = coverage_of(&base(), 0..200);
        assert_eq!(coverage.seeds(), 200);
        let per_kind: u64 = coverage.kinds_per_seed.values().map(|t| t.seeds).sum();
        assert_eq!(per_kind, 200);
        let kinds_on: u64 = coverage
            .kinds_per_seed
            .iter()
            .map(|(kinds, tally)| kinds * tally.seeds)
            .sum();
        let seeds_on: u64 = coverage.fault_kinds.values().map(|t| t.seeds).sum();
        assert_eq!(kinds_on, seeds_on);
        let failed: u64 = coverage.nodes.values().map(|t| t.failed).sum();
        assert_eq!(failed, (0..200).filter(|seed| seed % 7 == 0).count() as u64);
        for (name, tally) in &coverage.fault_kinds {
            assert!(tally.seeds > 0 && tally.seeds < 200, "{name}: {tally:?}");
            assert!(tally.failed <= tally.seeds && tally.faults > 0, "{name}");
        }
        for (name, tally) in &coverage.options {
            assert!(tally.seeds > 0 && tally.seeds < 200, "{name}: {tally:?}");
        }
    }

    #[test]
    fn a_base_with_one_kind_lists_the_others_at_zero() {
        let mut base = base();
        let mut crash = generate_run(&base, 1).file.faults[0].clone();
        crash.action = FaultKind::Crash;
        crash.node = Some(crate::scenario::file::SelectorFile::Leader);
        base.faults = vec![crash];
        let coverage = coverage_of(&base, 0..40);
        assert_eq!(coverage.fault_kinds.len(), swarm::KINDS.len());
        for (name, tally) in &coverage.fault_kinds {
            let expected = if name == "crash" { 40 } else { 0 };
            assert_eq!(tally.seeds, expected, "{name}");
        }
    }

    #[test]
    fn absorbing_parts_equals_counting_them_together() {
        let base = base();
        let mut parts = coverage_of(&base, 0..30);
        parts.absorb(&coverage_of(&base, 30..80));
        assert_eq!(parts, coverage_of(&base, 0..80));
    }
}
