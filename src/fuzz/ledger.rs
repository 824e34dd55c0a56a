//! The campaign's output folder: what a campaign killed at any moment has already found, and
//! where `--resume` picks up. Its size grows with the failures, not with the seeds run.
//!
//! - `campaign.json`: the parameters (protocol, base hash, seed range, shard). `--resume`
//!   refuses a folder of another campaign.
//! - `ledger.jsonl`: which of the shard's seeds are finished, and their totals. The first
//!   line is a checkpoint: the shard's first `seeds_taken` seeds (in the order workers take
//!   them, see [`super::shard`]) are finished except the `unfinished` ones, and `totals`
//!   counts exactly those. Each seed that finishes after it appends one line (seed,
//!   signature, events), written as the seed ends. Every [`CHECKPOINT_EVERY_SEEDS`] lines, or
//!   sooner once [`CHECKPOINT_EVERY`] has passed, the file is replaced, through a rename, by a
//!   new checkpoint alone. The ledger is the truth: a seed is done when the checkpoint or a
//!   line says so.
//! - `failures.jsonl`: one line per failure, appended before the seed's ledger line; each
//!   failure's scenario file (`<protocol>-seed-<seed>.json`) is written before either line.
//!
//! On resume, the finished seeds are the checkpoint's and the lines', and their totals the
//! checkpoint's plus each line's (its coverage drawn again from the seed, without running
//! it). A kill mid-line leaves a partial last line: it is dropped and its seed runs again. A
//! failure line whose seed the ledger does not call finished is dropped too (its seed runs
//! again and writes it again). Both files are then rewritten, the ledger as one checkpoint.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::coverage::SeedCoverage;
use super::frontier::Frontier;
use super::shard::{Shard, ShardSeeds};
use super::summary::FailureRecord;
use super::totals::Totals;
use resume::{check_header, resume_from, Resumed};

pub const HEADER_FILE: &str = "campaign.json";
pub const LEDGER_FILE: &str = "ledger.jsonl";
pub const FAILURES_FILE: &str = "failures.jsonl";
pub const SUMMARY_FILE: &str = "summary.json";

/// Seed lines between two checkpoints: the ledger never holds more. A checkpoint is one
/// small file written and renamed, so this keeps that cost far below the seeds' own, even on
/// a network file system, while a whole campaign's ledger stays within tens of kilobytes.
pub const CHECKPOINT_EVERY_SEEDS: u64 = 1024;

/// Longest time between two checkpoints while seeds finish: a killed session's wall time is
/// counted up to its last checkpoint, so the summary's time stays within this of the truth.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// When the ledger is replaced by a checkpoint.
#[derive(Clone, Copy, Debug)]
struct Cadence {
    every_seeds: u64,
    every: Duration,
}

/// Unfinished seeds a resumed ledger may describe. A killed session leaves at most its
/// workers' seeds unfinished; a ledger with more was not written by a campaign.
const UNFINISHED_MAX: usize = 1 << 20;

/// The signature a passing seed's line records.
const PASS: &str = "pass";

/// What makes two runs the same campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignHeader {
    pub protocol: String,
    pub base: String,
    pub base_hash: String,
    pub seed_start: u64,
    pub seed_count: u64,
    pub shard_index: u64,
    pub shard_count: u64,
}

impl CampaignHeader {
    pub fn seeds(&self) -> ShardSeeds {
        ShardSeeds {
            seed_start: self.seed_start,
            seed_count: self.seed_count,
            shard: Shard {
                index: self.shard_index,
                count: self.shard_count,
            },
        }
    }
}

/// The ledger's first line: finished seeds as a count and a short list of exceptions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The shard's first this many seeds are finished, but for `unfinished`.
    pub seeds_taken: u64,
    /// Seeds among those that were running, or left unfinished by a killed session.
    pub unfinished: Vec<u64>,
    /// Counters over exactly the finished seeds.
    pub totals: Totals,
    /// Wall time of the campaign's sessions so far.
    pub wall_time_ms: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckpointLine {
    checkpoint: Checkpoint,
}

#[derive(Serialize)]
struct CheckpointLineOut<'a> {
    checkpoint: &'a Checkpoint,
}

/// One seed that finished after the checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedLine {
    pub seed: u64,
    /// `pass`, or the failure's signature.
    pub signature: String,
    pub events: u64,
}

/// One seed's result, for [`Ledger::record`].
#[derive(Clone, Debug)]
pub struct FinishedSeed {
    /// Its position in the shard, as [`Ledger::take`] gave it.
    pub position: u64,
    pub signature: String,
    pub events: u64,
    pub coverage: SeedCoverage,
    /// Its failure, whose scenario file is already on disk; `None` for a pass.
    pub failure: Option<FailureRecord>,
}

/// Where the campaign stands after a seed: finished seeds (earlier sessions' too) and
/// failures among them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    pub finished: u64,
    pub failures: u64,
}

/// Everything the campaign's sessions found, for its summary.
#[derive(Clone, Debug)]
pub struct Found {
    pub totals: Totals,
    /// Every failure, by seed.
    pub failing_seeds: Vec<FailureRecord>,
    pub wall_time_ms: u64,
}

/// A campaign's output folder, open for workers to take seeds and record them.
pub struct Ledger {
    dir: PathBuf,
    seeds: ShardSeeds,
    cadence: Cadence,
    book: Mutex<Book>,
}

/// The ledger's file and what it describes, under one lock: a seed's line and its place in
/// the frontier and totals change together, so a checkpoint never misses a recorded seed.
struct Book {
    ledger: File,
    failures: File,
    frontier: Frontier,
    totals: Totals,
    failing_seeds: Vec<FailureRecord>,
    lines_since_checkpoint: u64,
    last_checkpoint: Instant,
    earlier_wall_ms: u64,
    session_started: Instant,
}

fn io_error(path: &Path, error: std::io::Error) -> String {
    format!("{}: {error}", path.display())
}

/// Writes `text` to `path` through a temporary file and a rename: readers (and a resume after
/// a kill) see the old content or the new, never half of it.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let temporary = path.with_extension("tmp");
    fs::write(&temporary, text).map_err(|error| io_error(&temporary, error))?;
    fs::rename(&temporary, path).map_err(|error| io_error(path, error))
}

fn open_append(path: &Path) -> Result<File, String> {
    OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|error| io_error(path, error))
}

fn read_text(path: &Path) -> Result<String, String> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(error) => Err(io_error(path, error)),
    }
}

impl Ledger {
    /// Opens the ledger in `dir` for `header`. A fresh campaign needs a folder without one;
    /// with `resume`, an existing ledger must be of the same campaign, and its finished seeds
    /// count as done. `coverage_of` draws a seed's coverage again (for the seeds that
    /// finished after the last checkpoint).
    pub fn open(
        dir: &Path,
        header: &CampaignHeader,
        resume: bool,
        coverage_of: &dyn Fn(u64) -> Result<SeedCoverage, String>,
    ) -> Result<Ledger, String> {
        let cadence = Cadence {
            every_seeds: CHECKPOINT_EVERY_SEEDS,
            every: CHECKPOINT_EVERY,
        };
        Ledger::open_checkpointing(dir, header, resume, coverage_of, cadence)
    }

    fn open_checkpointing(
        dir: &Path,
        header: &CampaignHeader,
        resume: bool,
        coverage_of: &dyn Fn(u64) -> Result<SeedCoverage, String>,
        cadence: Cadence,
    ) -> Result<Ledger, String> {
        fs::create_dir_all(dir).map_err(|error| io_error(dir, error))?;
        let seeds = header.seeds();
        let header_path = dir.join(HEADER_FILE);
        let resumed = if header_path.exists() {
            if !resume {
                return Err(format!(
                    "{} already holds a campaign; pass --resume to continue it or choose another --out",
                    dir.display()
                ));
            }
            check_header(&header_path, header)?;
            resume_from(dir, seeds, coverage_of)?
        } else {
            let text = serde_json::to_string_pretty(header).expect("a header serializes");
            write_atomically(&header_path, &(text + "\n"))?;
            Resumed {
                frontier: Frontier::new(seeds.len()),
                totals: Totals::new(),
                failing_seeds: Vec::new(),
                wall_time_ms: 0,
            }
        };
        let failures_text: String = resumed
            .failing_seeds
            .iter()
            .map(|failure| serde_json::to_string(failure).expect("a failure serializes") + "\n")
            .collect();
        write_atomically(&dir.join(FAILURES_FILE), &failures_text)?;
        let ledger_path = dir.join(LEDGER_FILE);
        let checkpoint = checkpoint_of(
            seeds,
            &resumed.frontier,
            &resumed.totals,
            resumed.wall_time_ms,
        );
        let book = Book {
            ledger: write_checkpoint(&ledger_path, &checkpoint)?,
            failures: open_append(&dir.join(FAILURES_FILE))?,
            frontier: resumed.frontier,
            totals: resumed.totals,
            failing_seeds: resumed.failing_seeds,
            lines_since_checkpoint: 0,
            last_checkpoint: Instant::now(),
            earlier_wall_ms: resumed.wall_time_ms,
            session_started: Instant::now(),
        };
        Ok(Ledger {
            dir: dir.to_path_buf(),
            seeds,
            cadence,
            book: Mutex::new(book),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Seeds in the shard.
    pub fn planned(&self) -> u64 {
        self.seeds.len()
    }

    /// Seeds not finished and not being run.
    pub fn to_take_count(&self) -> u64 {
        self.lock().frontier.to_take_count()
    }

    /// The next seed to run, with its position; `None` when every seed is taken.
    pub fn take(&self) -> Option<(u64, u64)> {
        let position = self.lock().frontier.take()?;
        Some((position, self.seeds.seed_at(position)))
    }

    /// Records a taken seed as finished: its failure line first, then its ledger line, each in
    /// one write, so the ledger never names a failure whose line is missing.
    pub fn record(&self, seed: FinishedSeed) -> Result<Standing, String> {
        let line = SeedLine {
            seed: self.seeds.seed_at(seed.position),
            signature: seed.signature,
            events: seed.events,
        };
        let line = serde_json::to_string(&line).expect("a seed line serializes") + "\n";
        let mut book = self.lock();
        if let Some(failure) = &seed.failure {
            let text = serde_json::to_string(failure).expect("a failure serializes") + "\n";
            book.failures
                .write_all(text.as_bytes())
                .map_err(|error| io_error(&self.dir.join(FAILURES_FILE), error))?;
        }
        book.ledger
            .write_all(line.as_bytes())
            .map_err(|error| io_error(&self.dir.join(LEDGER_FILE), error))?;
        book.frontier.finish(seed.position);
        let failed = seed.failure.is_some();
        book.totals.count(&seed.coverage, failed, seed.events);
        book.failing_seeds.extend(seed.failure);
        book.lines_since_checkpoint += 1;
        if book.lines_since_checkpoint >= self.cadence.every_seeds
            || book.last_checkpoint.elapsed() >= self.cadence.every
        {
            let wall_time_ms = wall_time_ms(&book);
            self.checkpoint(&mut book, wall_time_ms)?;
        }
        Ok(Standing {
            finished: book.frontier.finished_count(),
            failures: book.totals.failures,
        })
    }

    /// Writes a last checkpoint and returns what the campaign found, over all its sessions.
    /// Seeds still taken (a worker stopped by an error) stay unfinished.
    pub fn close(self) -> Result<Found, String> {
        let mut book = self.lock();
        // One reading of the clock for the checkpoint and the summary, so that a resume
        // never counts less time than the summary said.
        let wall_time_ms = wall_time_ms(&book);
        self.checkpoint(&mut book, wall_time_ms)?;
        let mut failing_seeds = std::mem::take(&mut book.failing_seeds);
        failing_seeds.sort_by_key(|failure| failure.seed);
        Ok(Found {
            totals: book.totals.clone(),
            failing_seeds,
            wall_time_ms,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book
            .lock()
            .expect("no panics while the ledger is locked")
    }

    /// Replaces the ledger by one checkpoint of the book as it stands.
    fn checkpoint(&self, book: &mut Book, wall_time_ms: u64) -> Result<(), String> {
        let checkpoint = checkpoint_of(self.seeds, &book.frontier, &book.totals, wall_time_ms);
        book.ledger = write_checkpoint(&self.dir.join(LEDGER_FILE), &checkpoint)?;
        book.lines_since_checkpoint = 0;
        book.last_checkpoint = Instant::now();
        Ok(())
    }
}

fn checkpoint_of(
    seeds: ShardSeeds,
    frontier: &Frontier,
    totals: &Totals,
    wall_time_ms: u64,
) -> Checkpoint {
    Checkpoint {
        seeds_taken: frontier.next(),
        unfinished: (frontier.unfinished().into_iter())
            .map(|position| seeds.seed_at(position))
            .collect(),
        totals: totals.clone(),
        wall_time_ms,
    }
}

/// Replaces the ledger at `path` by `checkpoint` alone and opens it for the lines after it.
fn write_checkpoint(path: &Path, checkpoint: &Checkpoint) -> Result<File, String> {
    let text =
        serde_json::to_string(&CheckpointLineOut { checkpoint }).expect("a checkpoint serializes");
    write_atomically(path, &(text + "\n"))?;
    open_append(path)
}

fn wall_time_ms(book: &Book) -> u64 {
    book.earlier_wall_ms + book.session_started.elapsed().as_millis() as u64
}

mod resume;

#[cfg(test)]
mod tests;
