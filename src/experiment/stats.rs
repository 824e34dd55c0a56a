//! Order statistics of downtimes and the cells they fill, shared by the Raft and FLE
//! election-downtime experiments: the same summary, the same table columns, the same CDF.

use super::plot::CdfSeries;

/// What the summaries read of one trial, whichever protocol it ran.
pub trait DowntimeTrial {
    /// What the experiment varies (a timeout range, an FLE setting); trials are grouped by it.
    type Setting: Copy + PartialEq;
    fn setting(&self) -> Self::Setting;
    /// The trial does not measure what it should (see its `invalid` reason).
    fn is_invalid(&self) -> bool;
    /// Crash until a live quorum acknowledged a new leader, if one did before giving up.
    fn downtime_us(&self) -> Option<u64>;
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
pub fn downtimes_us<T: DowntimeTrial>(trials: &[T], setting: T::Setting) -> Vec<u64> {
    let mut values: Vec<u64> = trials
        .iter()
        .filter(|t| t.setting() == setting && !t.is_invalid())
        .filter_map(|t| t.downtime_us())
        .collect();
    values.sort_unstable();
    values
}

pub fn summarize<T: DowntimeTrial>(trials: &[T], setting: T::Setting) -> DowntimeSummary {
    let of_setting: Vec<&T> = trials.iter().filter(|t| t.setting() == setting).collect();
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
            .filter(|t| !t.is_invalid() && t.downtime_us().is_none())
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
    let columns: Vec<&str> = [key_column]
        .into_iter()
        .chain(SUMMARY_COLUMNS)
        .chain(extra_columns.iter().copied())
        .collect();
    format!(
        "| {} |\n|{}",
        columns.join(" | "),
        "---|".repeat(columns.len())
    )
}

const SUMMARY_COLUMNS: [&str; 8] = [
    "trials",
    "invalid",
    "no leader in 60 s",
    "min",
    "median",
    "mean",
    "p99",
    "max",
];

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
pub(super) fn cdf_series<T: DowntimeTrial>(
    label: String,
    trials: &[T],
    setting: T::Setting,
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
