//! The campaign's output folder: what a campaign killed at any moment has already found, and
//! where `--resume` picks up.
//!
//! - `campaign.json`: the parameters (protocol, base hash, seed range, shard). `--resume`
//!   refuses a folder of another campaign.
//! - `ledger.jsonl`: one line per finished seed, appended and flushed as each seed ends. It
//!   is the truth: a seed is done when its line is there.
//! - `failures.jsonl`: one line per failure, for people and scripts; each failure's scenario
//!   file (`<protocol>-seed-<seed>.json`) is written before either line.
//!
//! A kill mid-line leaves a partial last line; resume drops it and reruns that seed (nothing
//! lost), and rewrites both files from the ledger's whole lines, one per seed (nothing
//! repeated).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::summary::FailureRecord;

pub const HEADER_FILE: &str = "campaign.json";
pub const LEDGER_FILE: &str = "ledger.jsonl";
pub const FAILURES_FILE: &str = "failures.jsonl";
pub const SUMMARY_FILE: &str = "summary.json";

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

/// One finished seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    pub seed: u64,
    /// `pass`, or the failure's signature.
    pub signature: String,
    pub events: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureRecord>,
}

pub struct Ledger {
    dir: PathBuf,
    ledger: Mutex<File>,
    failures: Mutex<File>,
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

impl Ledger {
    /// Opens the ledger in `dir` for `header`. A fresh campaign needs a folder without one;
    /// with `resume`, an existing ledger must be of the same campaign and its finished seeds
    /// are returned, one entry per seed, by seed.
    pub fn open(
        dir: &Path,
        header: &CampaignHeader,
        resume: bool,
    ) -> Result<(Ledger, Vec<LedgerEntry>), String> {
        fs::create_dir_all(dir).map_err(|error| io_error(dir, error))?;
        let header_path = dir.join(HEADER_FILE);
        let mut done = Vec::new();
        if header_path.exists() {
            if !resume {
                return Err(format!(
                    "{} already holds a campaign; pass --resume to continue it or choose another --out",
                    dir.display()
                ));
            }
            let text =
                fs::read_to_string(&header_path).map_err(|error| io_error(&header_path, error))?;
            let found: CampaignHeader = serde_json::from_str(&text)
                .map_err(|error| format!("{}: {error}", header_path.display()))?;
            if &found != header {
                return Err(format!(
                    "{}: --resume with other parameters than the campaign there ({}, base {}, seeds {}+{}, shard {}/{})",
                    header_path.display(),
                    found.protocol,
                    found.base,
                    found.seed_start,
                    found.seed_count,
                    found.shard_index,
                    found.shard_count
                ));
            }
            done = read_entries(&dir.join(LEDGER_FILE))?;
        } else {
            let text = serde_json::to_string_pretty(header).expect("a header serializes");
            write_atomically(&header_path, &(text + "\n"))?;
        }
        // Compact: whole lines only, one per seed; failures.jsonl follows the ledger.
        let mut ledger_text = String::new();
        let mut failures_text = String::new();
        for entry in &done {
            ledger_text.push_str(&serde_json::to_string(entry).expect("an entry serializes"));
            ledger_text.push('\n');
            if let Some(failure) = &entry.failure {
                failures_text.push_str(&serde_json::to_string(failure).expect("serializes"));
                failures_text.push('\n');
            }
        }
        write_atomically(&dir.join(LEDGER_FILE), &ledger_text)?;
        write_atomically(&dir.join(FAILURES_FILE), &failures_text)?;
        let append = |name: &str| {
            let path = dir.join(name);
            OpenOptions::new()
                .append(true)
                .open(&path)
                .map_err(|error| io_error(&path, error))
        };
        let ledger = Ledger {
            dir: dir.to_path_buf(),
            ledger: Mutex::new(append(LEDGER_FILE)?),
            failures: Mutex::new(append(FAILURES_FILE)?),
        };
        Ok((ledger, done))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends a finished seed: its failure line first, then its ledger line, each in one
    /// write, so the ledger never names a failure whose line is missing.
    pub fn record(&self, entry: &LedgerEntry) -> Result<(), String> {
        if let Some(failure) = &entry.failure {
            let line = serde_json::to_string(failure).expect("a failure serializes") + "\n";
            let mut failures = self.failures.lock().expect("no writer panics");
            failures
                .write_all(line.as_bytes())
                .map_err(|error| io_error(&self.dir.join(FAILURES_FILE), error))?;
        }
        let line = serde_json::to_string(entry).expect("an entry serializes") + "\n";
        let mut ledger = self.ledger.lock().expect("no writer panics");
        ledger
            .write_all(line.as_bytes())
            .map_err(|error| io_error(&self.dir.join(LEDGER_FILE), error))
    }
}

/// The whole lines of a ledger, first entry per seed, by seed. Lines that do not parse (the
/// one a kill cut short) are dropped: their seeds run again.
fn read_entries(path: &Path) -> Result<Vec<LedgerEntry>, String> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(io_error(path, error)),
    };
    let mut by_seed = BTreeMap::new();
    for line in text.lines() {
        if let Ok(entry) = serde_json::from_str::<LedgerEntry>(line) {
            by_seed.entry(entry.seed).or_insert(entry);
        }
    }
    Ok(by_seed.into_values().collect())
}
