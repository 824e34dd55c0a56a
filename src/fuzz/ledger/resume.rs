//! Reading back what earlier sessions of a campaign finished (see the parent module for the
//! files' format).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use super::{
    io_error, read_text, CampaignHeader, Checkpoint, CheckpointLine, SeedLine, FAILURES_FILE,
    LEDGER_FILE, PASS, UNFINISHED_MAX,
};
use crate::fuzz::coverage::SeedCoverage;
use crate::fuzz::frontier::Frontier;
use crate::fuzz::shard::ShardSeeds;
use crate::fuzz::summary::FailureRecord;
use crate::fuzz::totals::Totals;

/// What an earlier session left: the frontier, totals and failures of its finished seeds.
pub(super) struct Resumed {
    pub frontier: Frontier,
    pub totals: Totals,
    pub failing_seeds: Vec<FailureRecord>,
    pub wall_time_ms: u64,
}

pub(super) fn check_header(path: &Path, header: &CampaignHeader) -> Result<(), String> {
    let text = fs::read_to_string(path).map_err(|error| io_error(path, error))?;
    let found: CampaignHeader =
        serde_json::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
    if &found == header {
        return Ok(());
    }
    Err(format!(
        "{}: --resume with other parameters than the campaign there ({}, base {}, seeds {}+{}, shard {}/{})",
        path.display(),
        found.protocol,
        found.base,
        found.seed_start,
        found.seed_count,
        found.shard_index,
        found.shard_count
    ))
}

/// Reads what earlier sessions finished from the ledger and the failures file in `dir`.
pub(super) fn resume_from(
    dir: &Path,
    seeds: ShardSeeds,
    coverage_of: &dyn Fn(u64) -> Result<SeedCoverage, String>,
) -> Result<Resumed, String> {
    let path = dir.join(LEDGER_FILE);
    let (checkpoint, lines) = read_ledger(&path, seeds)?;
    let Checkpoint {
        seeds_taken,
        unfinished,
        mut totals,
        wall_time_ms,
    } = checkpoint;
    let mut left: BTreeSet<u64> = unfinished
        .iter()
        .map(|&seed| position(seeds, seed))
        .collect();
    let mut next = seeds_taken;
    // By position: what a line adds beyond the checkpoint, and the gaps between lines.
    for (&at, line) in &lines {
        let counted = at < seeds_taken && !left.contains(&at);
        if counted {
            continue;
        }
        left.remove(&at);
        if at >= next {
            left.extend(next..at);
            next = at + 1;
        }
        if left.len() > UNFINISHED_MAX {
            return Err(format!(
                "{}: seeds finished far out of order (seed {}); not a ledger a campaign wrote",
                path.display(),
                line.seed
            ));
        }
        let coverage = coverage_of(line.seed)?;
        totals.count(&coverage, line.signature != PASS, line.events);
    }
    let frontier = Frontier::resumed(seeds.len(), next, left);
    let failing_seeds = read_failures(&dir.join(FAILURES_FILE), seeds, &frontier)?;
    if failing_seeds.len() as u64 != totals.failures {
        return Err(format!(
            "{}: {} failures of finished seeds, but {} counts {}; was the folder changed by hand?",
            dir.join(FAILURES_FILE).display(),
            failing_seeds.len(),
            LEDGER_FILE,
            totals.failures
        ));
    }
    Ok(Resumed {
        frontier,
        totals,
        failing_seeds,
        wall_time_ms,
    })
}

fn position(seeds: ShardSeeds, seed: u64) -> u64 {
    seeds
        .position_of(seed)
        .expect("read_ledger checked the seed")
}

/// The ledger's checkpoint (an empty one when there is none) and its seed lines by position,
/// the first line per seed. Lines that do not parse (the one a kill cut short) are dropped:
/// their seeds run again.
fn read_ledger(
    path: &Path,
    seeds: ShardSeeds,
) -> Result<(Checkpoint, BTreeMap<u64, SeedLine>), String> {
    let text = read_text(path)?;
    let mut checkpoint = None;
    let mut lines = BTreeMap::new();
    let foreign = |number: usize, field: &str, seed: u64| {
        format!(
            "{} line {}: `{field}`: seed {seed} is not one of this shard's seeds",
            path.display(),
            number + 1
        )
    };
    for (number, text) in text.lines().enumerate() {
        if let Ok(line) = serde_json::from_str::<SeedLine>(text) {
            let at = seeds
                .position_of(line.seed)
                .ok_or_else(|| foreign(number, "seed", line.seed))?;
            lines.entry(at).or_insert(line);
        } else if let Ok(CheckpointLine { checkpoint: found }) = serde_json::from_str(text) {
            if number != 0 {
                return Err(format!(
                    "{} line {}: a checkpoint after seed lines; not a ledger a campaign wrote",
                    path.display(),
                    number + 1
                ));
            }
            if let Some(&seed) = (found.unfinished.iter()).find(|&&seed| {
                seeds
                    .position_of(seed)
                    .is_none_or(|at| at >= found.seeds_taken)
            }) {
                return Err(foreign(number, "checkpoint.unfinished", seed));
            }
            let finished = found.seeds_taken.checked_sub(found.unfinished.len() as u64);
            if found.seeds_taken > seeds.len() || finished != Some(found.totals.seeds) {
                return Err(format!(
                    "{} line 1: `checkpoint.seeds_taken`: {} with {} unfinished does not match \
                     {} seeds counted in a shard of {}",
                    path.display(),
                    found.seeds_taken,
                    found.unfinished.len(),
                    found.totals.seeds,
                    seeds.len()
                ));
            }
            checkpoint = Some(found);
        }
    }
    let checkpoint = checkpoint.unwrap_or(Checkpoint {
        seeds_taken: 0,
        unfinished: Vec::new(),
        totals: Totals::new(),
        wall_time_ms: 0,
    });
    Ok((checkpoint, lines))
}

/// The failures of finished seeds, one per seed, by seed. Lines cut short by a kill, and lines
/// of seeds that did not finish (killed between the two lines), are dropped.
fn read_failures(
    path: &Path,
    seeds: ShardSeeds,
    frontier: &Frontier,
) -> Result<Vec<FailureRecord>, String> {
    let mut by_seed = BTreeMap::new();
    for (number, text) in read_text(path)?.lines().enumerate() {
        let Ok(failure) = serde_json::from_str::<FailureRecord>(text) else {
            continue;
        };
        let Some(at) = seeds.position_of(failure.seed) else {
            return Err(format!(
                "{} line {}: `seed`: seed {} is not one of this shard's seeds",
                path.display(),
                number + 1,
                failure.seed
            ));
        };
        if frontier.is_finished(at) {
            by_seed.entry(failure.seed).or_insert(failure);
        }
    }
    Ok(by_seed.into_values().collect())
}
