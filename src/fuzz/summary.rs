//! The JSON summary of a campaign (or of one shard of it), and merging shard summaries.
//!
//! Everything in a summary except `wall_time_ms` and `seeds_per_second` is a function of the
//! campaign's parameters alone: the same whatever `--jobs`, and the merge of every shard of a
//! campaign equals the summary of the unsharded campaign.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::coverage::Coverage;

/// One failing seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureRecord {
    pub seed: u64,
    /// The invariant broken, or the outcome kind (see [`crate::run::failure_signature`]).
    pub signature: String,
    /// The outcome in words.
    pub outcome: String,
    pub trace_hash: String,
    /// The scenario file that replays it, relative to the campaign's output folder.
    pub file: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSummary {
    pub protocol: String,
    /// The base scenario's name, and a hash of its content: shards of one campaign agree.
    pub base: String,
    pub base_hash: String,
    pub seed_start: u64,
    /// Seeds in the whole campaign, all shards together.
    pub seed_count: u64,
    /// Which shards (1-based) this summary covers, out of `shard_count`. A complete merge
    /// covers them all and is written as shard 1 of 1.
    pub shards: Vec<u64>,
    pub shard_count: u64,
    /// Seeds this summary's shards hold, and how many of them ran (fewer when a time budget
    /// or an interruption stopped the campaign early).
    pub seeds_planned: u64,
    pub seeds_run: u64,
    pub passes: u64,
    pub failures: u64,
    /// Failures counted by signature.
    pub failures_by_kind: BTreeMap<String, u64>,
    /// Every failure, by seed.
    pub failing_seeds: Vec<FailureRecord>,
    /// Engine steps over all runs.
    pub events: u64,
    /// The fault mixes, cluster sizes and options the seeds run explored.
    pub coverage: Coverage,
    pub wall_time_ms: u64,
    pub seeds_per_second: f64,
}

impl CampaignSummary {
    pub fn is_complete(&self) -> bool {
        self.seeds_run == self.seeds_planned
    }

    /// The summary with its timing fields zeroed: what must be equal across `--jobs` and
    /// shardings.
    pub fn without_timing(&self) -> CampaignSummary {
        CampaignSummary {
            wall_time_ms: 0,
            seeds_per_second: 0.0,
            ..self.clone()
        }
    }

    /// Recomputes the counts from `failing_seeds` and sets the rate from the wall time.
    pub fn set_rate(&mut self) {
        self.seeds_per_second = if self.wall_time_ms == 0 {
            0.0
        } else {
            (self.seeds_run as f64 * 1000.0 / self.wall_time_ms as f64 * 10.0).round() / 10.0
        };
    }
}

/// Counts failures by signature.
pub fn count_by_kind(failures: &[FailureRecord]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for failure in failures {
        *counts.entry(failure.signature.clone()).or_insert(0) += 1;
    }
    counts
}

/// Combines shard summaries of one campaign. Rejects summaries of different campaigns
/// (protocol, base, seed range or shard count differ) and shards given twice. Wall time is
/// the longest shard's (shards run side by side); the rate is over that.
pub fn merge(parts: &[CampaignSummary]) -> Result<CampaignSummary, String> {
    let Some(first) = parts.first() else {
        return Err("merge needs at least one summary".to_string());
    };
    let mut merged = first.clone();
    for (index, part) in parts.iter().enumerate().skip(1) {
        let same_campaign = part.protocol == first.protocol
            && part.base_hash == first.base_hash
            && part.seed_start == first.seed_start
            && part.seed_count == first.seed_count
            && part.shard_count == first.shard_count;
        if !same_campaign {
            return Err(format!(
                "summary {} is from another campaign: protocol {}, base {} ({}), seeds {}+{}, \
                 {} shards; the first is protocol {}, base {} ({}), seeds {}+{}, {} shards",
                index + 1,
                part.protocol,
                part.base,
                part.base_hash,
                part.seed_start,
                part.seed_count,
                part.shard_count,
                first.protocol,
                first.base,
                first.base_hash,
                first.seed_start,
                first.seed_count,
                first.shard_count
            ));
        }
        if let Some(shard) = part.shards.iter().find(|s| merged.shards.contains(s)) {
            return Err(format!(
                "summary {} repeats shard {shard}/{}: shards overlap",
                index + 1,
                part.shard_count
            ));
        }
        merged.shards.extend(&part.shards);
        merged.seeds_planned += part.seeds_planned;
        merged.seeds_run += part.seeds_run;
        merged.passes += part.passes;
        merged.failures += part.failures;
        merged
            .failing_seeds
            .extend(part.failing_seeds.iter().cloned());
        merged.events += part.events;
        merged.coverage.absorb(&part.coverage);
        merged.wall_time_ms = merged.wall_time_ms.max(part.wall_time_ms);
    }
    merged.shards.sort_unstable();
    if merged.shards.len() as u64 == merged.shard_count {
        merged.shards = vec![1];
        merged.shard_count = 1;
    }
    merged.failing_seeds.sort_by_key(|failure| failure.seed);
    merged.failures_by_kind = count_by_kind(&merged.failing_seeds);
    merged.set_rate();
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Coverage of 5 seeds of which `failed` failed, all 3 nodes with crashes on.
    fn coverage(failed: u64) -> Coverage {
        let mut coverage = Coverage::new();
        let tally = crate::fuzz::coverage::SeedTally { seeds: 5, failed };
        coverage.nodes.insert(3, tally);
        coverage.kinds_per_seed.insert(1, tally);
        let crash = coverage.fault_kinds.get_mut("crash").unwrap();
        (crash.seeds, crash.failed, crash.faults) = (5, failed, 12);
        coverage
    }

    fn shard(index: u64, count: u64, failing: &[u64]) -> CampaignSummary {
        let failing_seeds: Vec<FailureRecord> = failing
            .iter()
            .map(|&seed| FailureRecord {
                seed,
                signature: "election-safety".to_string(),
                outcome: "violation".to_string(),
                trace_hash: "0".repeat(16),
                file: format!("raft-seed-{seed}.json"),
            })
            .collect();
        CampaignSummary {
            protocol: "raft".to_string(),
            base: "raft-base".to_string(),
            base_hash: "abc".to_string(),
            seed_start: 0,
            seed_count: 10,
            shards: vec![index],
            shard_count: count,
            seeds_planned: 5,
            seeds_run: 5,
            passes: 5 - failing.len() as u64,
            failures: failing.len() as u64,
            failures_by_kind: count_by_kind(&failing_seeds),
            failing_seeds,
            events: 100,
            coverage: coverage(failing.len() as u64),
            wall_time_ms: 1000 * index,
            seeds_per_second: 5.0,
        }
    }

    #[test]
    fn merging_every_shard_gives_one_whole_campaign() {
        let merged = merge(&[shard(2, 2, &[3]), shard(1, 2, &[0, 8])]).unwrap();
        assert_eq!((merged.shards.clone(), merged.shard_count), (vec![1], 1));
        assert_eq!(merged.seeds_run, 10);
        assert_eq!(merged.failures, 3);
        let seeds: Vec<u64> = merged.failing_seeds.iter().map(|f| f.seed).collect();
        assert_eq!(seeds, [0, 3, 8]);
        assert_eq!(merged.failures_by_kind["election-safety"], 3);
        assert_eq!(merged.coverage.seeds(), 10);
        assert_eq!(merged.coverage.nodes[&3].failed, 3);
        let crash = merged.coverage.fault_kinds["crash"];
        assert_eq!((crash.seeds, crash.failed, crash.faults), (10, 3, 24));
        assert_eq!(merged.coverage.fault_kinds["cut"].seeds, 0);
        assert_eq!(merged.wall_time_ms, 2000);
        assert_eq!(merged.seeds_per_second, 5.0);
    }

    #[test]
    fn a_partial_merge_names_its_shards() {
        let merged = merge(&[shard(3, 3, &[]), shard(1, 3, &[])]).unwrap();
        assert_eq!((merged.shards, merged.shard_count), (vec![1, 3], 3));
    }

    #[test]
    fn overlapping_or_foreign_shards_are_rejected() {
        let error = merge(&[shard(1, 2, &[]), shard(1, 2, &[])]).unwrap_err();
        assert_eq!(error, "summary 2 repeats shard 1/2: shards overlap");
        let mut other = shard(2, 2, &[]);
        other.base_hash = "def".to_string();
        let error = merge(&[shard(1, 2, &[]), other]).unwrap_err();
        assert!(
            error.starts_with("summary 2 is from another campaign"),
            "{error}"
        );
        let error = merge(&[shard(1, 2, &[]), shard(2, 3, &[])]).unwrap_err();
        assert!(error.contains("2 shards"), "{error}");
    }
}
