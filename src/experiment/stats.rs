//! Order statistics of downtimes and the cells they fill, shared by the Raft and FLE
//! election-downtime experiments: the same summary, the same table columns, the same CDF.

use std::fmt::Write as _;

use super::crash_trial::Measurement;
use super::plot::CdfSeries;
use crate::protocol::NodeId;

/// One leader-crash trial's result, whichever protocol it ran. `S` is what the experiment
/// varies (a Raft timeout range, an FLE timing setting); trials are grouped by it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DowntimeTrial<S> {
    pub setting: S,
    pub index: u64,
    pub seed: u64,
    pub crashed_leader: NodeId,
    pub laggards: [NodeId; 2],
    pub crash_us: u64,
    /// The first leader of a later term (epoch) and when it became leader, if any.
    pub new_leader: Option<NodeId>,
    pub elected_us: Option<u64>,
    /// Crash until a live quorum acknowledged a new leader; `None` if none within
    /// [`GIVE_UP_AFTER_US`](super::crash_trial::GIVE_UP_AFTER_US).
    pub downtime_us: Option<u64>,
    /// Why the trial does not measure what it should, if it does not.
    pub invalid: Option<String>,
}

impl<S> DowntimeTrial<S> {
    /// Trial `index` of `setting`, run with `seed`, before anything is known.
    pub fn new(setting: S, index: u64, seed: u64) -> DowntimeTrial<S> {
        DowntimeTrial {
            setting,
            index,
            seed,
            crashed_leader: NodeId(0),
            laggards: [NodeId(0); 2],
            crash_us: 0,
            new_leader: None,
            elected_us: None,
            downtime_us: None,
            invalid: None,
        }
    }

    fn is_invalid(&self) -> bool {
        self.invalid.is_some()
    }

    /// Takes what the trial run measured, or why it is invalid.
    pub(super) fn record(&mut self, measured: Result<Measurement, String>) {
        match measured {
            Ok(measured) => {
                self.new_leader = measured.new_leader;
                self.elected_us = measured.elected_us;
                self.downtime_us = measured.downtime_us;
            }
            Err(reason) => self.invalid = Some(reason),
        }
    }

    /// The CSV fields after the setting's: trial, seed, crashed leader, laggards, crash
    /// time, new leader, elected after, downtime, why invalid.
    pub(super) fn csv_fields(&self) -> String {
        let after = |at: Option<u64>| at.map_or(String::new(), |at| ms_text(at - self.crash_us));
        let mut fields = String::new();
        let _ = write!(
            fields,
            "{},{},{},{} {},{},{},{},{},{}",
            self.index,
            self.seed,
            self.crashed_leader,
            self.laggards[0],
            self.laggards[1],
            ms_text(self.crash_us),
            self.new_leader.map_or(String::new(), |n| n.to_string()),
            after(self.elected_us),
            self.downtime_us.map_or(String::new(), ms_text),
            self.invalid.as_deref().unwrap_or("").replace(',', ";"),
        );
        fields
    }
}

/// The CSV header of the fields [`DowntimeTrial::csv_fields`] writes.
pub(super) const TRIAL_CSV_COLUMNS: &str =
    "trial,seed,crashed_leader,laggards,crash_ms,new_leader,elected_after_ms,downtime_ms,invalid";

/// Runs `trials` trials of every setting with `run_trial(setting, index, seed)`; trial `i`
/// uses seed `base_seed + i` in every setting (the same seeds for every setting, so
/// settings differ only in themselves).
pub(super) fn run_trials<S: Copy>(
    settings: &[S],
    trials: u64,
    base_seed: u64,
    run_trial: impl Fn(S, u64, u64) -> DowntimeTrial<S>,
) -> Vec<DowntimeTrial<S>> {
    let mut results = Vec::new();
    for &setting in settings {
        for index in 0..trials {
            results.push(run_trial(setting, index, base_seed.wrapping_add(index)));
        }
    }
    results
}

/// Summary statistics of one setting's downtimes.
#[derive(Clone, Debug, PartialEq)]
pub struct DowntimeSummary {
    pub trials: usize,
    pub invalid: usize,
    /// Valid trials with no new leader before giving up.
    pub gave_up: usize,
    pub min_us: Option<u64>,
    pub median_us: Option<u64>,
    pub p99_us: Option<u64>,
    pub max_us: Option<u64>,
    pub mean_us: Option<u64>,
}

/// Sorted downtimes of the valid trials of `setting` that elected a leader.
pub fn downtimes_us<S: Copy + PartialEq>(trials: &[DowntimeTrial<S>], setting: S) -> Vec<u64> {
    let mut values: Vec<u64> = trials
        .iter()
        .filter(|t| t.setting == setting && !t.is_invalid())
        .filter_map(|t| t.downtime_us)
        .collect();
    values.sort_unstable();
    values
}

pub fn summarize<S: Copy + PartialEq>(trials: &[DowntimeTrial<S>], setting: S) -> DowntimeSummary {
    let of_setting: Vec<&DowntimeTrial<S>> =
        trials.iter().filter(|t| t.setting == setting).collect();
    let values = downtimes_us(trials, setting);
    // Nearest-rank percentile on the sorted values.
    let rank = |fraction_permille: usize| {
        (!values.is_empty()).then(|| {
            let rank = (values.len() * fraction_permille).div_ceil(1000).max(1);
            values[rank - 1]
        })
    };
    DowntimeSummary {
        trials: of_setting.len(),
        invalid: of_setting.iter().filter(|t| t.is_invalid()).count(),
        gave_up: of_setting
            .iter()
            .filter(|t| !t.is_invalid() && t.downtime_us.is_none())
            .count(),
        min_us: values.first().copied(),
        median_us: rank(500),
        p99_us: rank(990),
        max_us: values.last().copied(),
        mean_us: (!values.is_empty()).then(|| values.iter().sum::<u64>() / values.len() as u64),
    }
}

/// Milliseconds with three decimals, integer arithmetic only.
pub fn ms_text(us: u64) -> String {
    format!("{}.{:03}", us / 1_000, us % 1_000)
}

/// The markdown table's head: `key_column`, the summary's columns, then `extra_columns`;
/// its separator line follows.
pub fn table_head(key_column: &str, extra_columns: &[&str]) -> String {
    table_head_within(key_column, extra_columns, "60 s")
}

/// [`table_head`] for trials that give up `give_up_after` (`10 s`) after the crash.
pub fn table_head_within(key_column: &str, extra_columns: &[&str], give_up_after: &str) -> String {
    let gave_up = format!("no leader in {give_up_after}");
    let columns: Vec<&str> = [key_column]
        .into_iter()
        .chain(SUMMARY_COLUMNS.iter().copied().take(2))
        .chain([gave_up.as_str()])
        .chain(SUMMARY_COLUMNS.iter().copied().skip(2))
        .chain(extra_columns.iter().copied())
        .collect();
    format!(
        "| {} |\n|{}",
        columns.join(" | "),
        "---|".repeat(columns.len())
    )
}

/// The summary's columns around the one that says how many trials gave up.
const SUMMARY_COLUMNS: [&str; 7] = ["trials", "invalid", "min", "median", "mean", "p99", "max"];

/// The summary's cells of a table row, in the order of [`table_head`], without the outer
/// bars.
pub fn table_cells(s: &DowntimeSummary) -> String {
    let cell = |v: Option<u64>| v.map_or("-".to_string(), |us| format!("{} ms", ms_text(us)));
    format!(
        "{} | {} | {} | {} | {} | {} | {} | {}",
        s.trials,
        s.invalid,
        s.gave_up,
        cell(s.min_us),
        cell(s.median_us),
        cell(s.mean_us),
        cell(s.p99_us),
        cell(s.max_us),
    )
}

/// One CDF line of the plot: the downtimes of `setting` over its valid trials.
pub(super) fn cdf_series<S: Copy + PartialEq>(
    label: String,
    trials: &[DowntimeTrial<S>],
    setting: S,
) -> CdfSeries {
    let summary = summarize(trials, setting);
    CdfSeries {
        label,
        sorted_ms: downtimes_us(trials, setting)
            .into_iter()
            .map(|us| us as f64 / 1_000.0)
            .collect(),
        trial_count: summary.trials - summary.invalid,
    }
}
