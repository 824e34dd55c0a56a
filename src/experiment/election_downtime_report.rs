//! The markdown report of the Raft election-downtime experiment: the paper setup beside the
//! paper's stated figures, the network-only model for comparison, how the stated figures move
//! with each part of the setup, and the method with its sources.

use std::fmt::Write as _;

use super::election_downtime::{
    paper_ranges, summarize, Setup, Trial, CLOCK_DRIFT_PPM_MAX, LAN_LATENCY_US_MAX,
    LAN_LATENCY_US_MIN, LATENCY_US_MAX, LATENCY_US_MIN, NODE_COUNT, SSD_WRITE_US_MAX,
    SSD_WRITE_US_MIN, TIMER_JITTER_US_MAX,
};
use super::stats::{ms_text, table_cells, table_head_within, DowntimeSummary};
use super::TimeoutRange;

/// The trials of one experiment run: the paper setup, the network-only model, and the
/// variants of the paper setup that each change one part of it.
pub(super) struct Runs<'a> {
    pub paper: &'a [Trial],
    pub network_only: &'a [Trial],
    pub variants: &'a [(String, Setup, Vec<Trial>)],
    /// The paper setup's 150-200 and 12-24 lines on other seed bases.
    pub other_seed_bases: &'a [(u64, Vec<Trial>)],
}

/// A figure the paper states for a range.
#[derive(Clone, Copy)]
enum Stated {
    /// "consistently took longer than 10 seconds".
    NoLeaderIn10s,
    MedianMs(u64),
    MaxMs(u64),
    MeanAndMaxMs(u64, u64),
}

fn stated(range: TimeoutRange) -> Option<Stated> {
    match (range.min_us / 1_000, range.max_us / 1_000) {
        (150, 150) => Some(Stated::NoLeaderIn10s),
        (150, 155) => Some(Stated::MedianMs(287)),
        (150, 200) => Some(Stated::MaxMs(513)),
        (12, 24) => Some(Stated::MeanAndMaxMs(35, 152)),
        _ => None,
    }
}

/// What the paper states for a range, where it states something.
fn paper_figure(range: TimeoutRange) -> &'static str {
    match stated(range) {
        Some(Stated::NoLeaderIn10s) => "\"consistently took longer than 10 seconds\" (100 trials)",
        Some(Stated::MedianMs(_)) => "median 287 ms",
        Some(Stated::MaxMs(_)) => "worst of 1000: 513 ms",
        Some(Stated::MeanAndMaxMs(..)) => "mean 35 ms, longest 152 ms",
        None => "(graph only)",
    }
}

/// `ours` beside the paper's `paper_ms`, with the difference in percent of the paper's.
fn beside(name: &str, ours_us: Option<u64>, paper_ms: u64) -> String {
    let Some(ours_us) = ours_us else {
        return format!("{name} -");
    };
    let paper_us = paper_ms * 1_000;
    let difference_us = i128::from(ours_us) - i128::from(paper_us);
    let sign = if difference_us < 0 { "-" } else { "+" };
    // Rounded to the nearest tenth of a percent.
    let permille =
        (difference_us.unsigned_abs() * 1_000 + u128::from(paper_us) / 2) / u128::from(paper_us);
    let verdict = if permille <= 100 {
        "within 10%"
    } else {
        "outside 10%"
    };
    format!(
        "{name} {} ms ({sign}{}.{}%, {verdict})",
        ms_text(ours_us),
        permille / 10,
        permille % 10
    )
}

/// Our figure that corresponds to the paper's stated one, and how far apart they are.
fn comparison(summary: &DowntimeSummary, range: TimeoutRange) -> String {
    match stated(range) {
        Some(Stated::NoLeaderIn10s) => format!(
            "no leader in 10 s in {} of {}",
            summary.gave_up,
            summary.trials - summary.invalid
        ),
        Some(Stated::MedianMs(ms)) => beside("median", summary.median_us, ms),
        Some(Stated::MaxMs(ms)) => beside("max", summary.max_us, ms),
        Some(Stated::MeanAndMaxMs(mean, max)) => format!(
            "{}; {} (p99 {} ms)",
            beside("mean", summary.mean_us, mean),
            beside("max", summary.max_us, max),
            summary.p99_us.map_or("-".to_string(), ms_text)
        ),
        None => String::new(),
    }
}

/// The two graphs' tables of `trials`, with the paper's figures and, when `compare`, ours
/// beside them.
fn tables(md: &mut String, trials: &[Trial], give_up_after: &str, compare: bool) {
    let (top, bottom) = paper_ranges();
    for (title, ranges) in [
        ("Top graph: randomness of the timeout", top),
        ("Bottom graph: scale of the timeout", bottom),
    ] {
        let _ = writeln!(md, "### {title}\n");
        let extra: &[&str] = if compare {
            &["paper", "ours beside the paper"]
        } else {
            &["paper"]
        };
        let _ = writeln!(
            md,
            "{}",
            table_head_within("timeout (ms)", extra, give_up_after)
        );
        for range in ranges {
            let summary = summarize(trials, range);
            let _ = write!(
                md,
                "| {} | {} | {} |",
                range.label(),
                table_cells(&summary),
                paper_figure(range)
            );
            if compare {
                let _ = write!(md, " {} |", comparison(&summary, range));
            }
            md.push('\n');
        }
        md.push('\n');
    }
}

/// The stated figures of each variant of the paper setup, one row each.
fn variants_table(md: &mut String, variants: &[(String, Setup, Vec<Trial>)]) {
    let ranges: Vec<TimeoutRange> = paper_ranges()
        .0
        .into_iter()
        .chain(paper_ranges().1)
        .filter(|&range| stated(range).is_some())
        .collect();
    let _ = writeln!(
        md,
        "| setup | 150-150: no leader in 10 s | 150-155 median | 150-200 max | 12-24 mean | \
         12-24 p99 | 12-24 max | invalid trials |\n|---|---|---|---|---|---|---|---|"
    );
    let paper_row = "| paper | \"consistently\" | 287 ms | 513 ms | 35 ms | - | 152 ms | - |";
    let _ = writeln!(md, "{paper_row}");
    let cell = |v: Option<u64>| v.map_or("-".to_string(), |us| format!("{} ms", ms_text(us)));
    for (label, _, trials) in variants {
        let summaries: Vec<DowntimeSummary> = ranges
            .iter()
            .map(|&range| summarize(trials, range))
            .collect();
        let of = |min_ms: u64, max_ms: u64| {
            let at = ranges
                .iter()
                .position(|r| r.min_us == min_ms * 1_000 && r.max_us == max_ms * 1_000)
                .expect("a range with a stated figure");
            &summaries[at]
        };
        let equal = of(150, 150);
        let short = of(12, 24);
        let _ = writeln!(
            md,
            "| {label} | {} of {} | {} | {} | {} | {} | {} | {} |",
            equal.gave_up,
            equal.trials - equal.invalid,
            cell(of(150, 155).median_us),
            cell(of(150, 200).max_us),
            cell(short.mean_us),
            cell(short.p99_us),
            cell(short.max_us),
            summaries.iter().map(|s| s.invalid).sum::<usize>()
        );
    }
    md.push('\n');
}

/// The 150-200 and 12-24 lines' figures on each seed base, the report's own first.
fn seed_bases_table(
    md: &mut String,
    base_seed: u64,
    paper: &[Trial],
    others: &[(u64, Vec<Trial>)],
) {
    let (top, bottom) = paper_ranges();
    let (wide, short) = (top[4], bottom[0]);
    let _ = writeln!(
        md,
        "| seed base | 150-200 p99 | 150-200 max | 12-24 mean | 12-24 p99 | 12-24 max |\n\
         |---|---|---|---|---|---|\n| paper | - | 513 ms | 35 ms | - | 152 ms |"
    );
    let cell = |v: Option<u64>| v.map_or("-".to_string(), |us| format!("{} ms", ms_text(us)));
    let rows = std::iter::once((base_seed, paper)).chain(others.iter().map(|(s, t)| (*s, &t[..])));
    for (seed, trials) in rows {
        let (w, s) = (summarize(trials, wide), summarize(trials, short));
        let _ = writeln!(
            md,
            "| {seed} | {} | {} | {} | {} | {} |",
            cell(w.p99_us),
            cell(w.max_us),
            cell(s.mean_us),
            cell(s.p99_us),
            cell(s.max_us)
        );
    }
    md.push('\n');
}

/// The markdown report: the paper setup beside the paper, the network-only model, the
/// variants, and the method.
pub(super) fn render_markdown(
    protocol: &str,
    runs: &Runs<'_>,
    trials_per_range: u64,
    base_seed: u64,
) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Election downtime after a leader crash (Raft paper, Figure 16)\n"
    );
    let _ = writeln!(
        md,
        "Generated by `quorumsim experiment election-downtime --protocol {protocol} --trials \
         {trials_per_range} --seed {base_seed}` ({NODE_COUNT} nodes, heartbeat = half the \
         minimum election timeout, no PreVote, no CheckQuorum). Trial `i` of every range uses \
         seed `{base_seed} + i`. Raw data: `election-downtime.csv` (paper setup), \
         `election-downtime-network-only.csv`; CDF plots of the paper setup: \
         `election-downtime-top.svg`, `election-downtime-bottom.svg`.\n"
    );
    let _ = writeln!(
        md,
        "## Paper setup\n\nOne-way latency {}-{} ms on ordered connections (TCP), a durable \
         write of {}-{} ms on one disk per node that every message sent after a durable change \
         waits for, clocks within ±{CLOCK_DRIFT_PPM_MAX} ppm and timers up to \
         {TIMER_JITTER_US_MAX} µs late; a trial with no leader 10 s after the crash gives up. \
         The zero-randomness line runs at most the paper's 100 trials. See the method below.\n",
        ms_text(LAN_LATENCY_US_MIN),
        ms_text(LAN_LATENCY_US_MAX),
        SSD_WRITE_US_MIN / 1_000,
        SSD_WRITE_US_MAX / 1_000
    );
    tables(&mut md, runs.paper, "10 s", true);
    let _ = writeln!(
        md,
        "## Network-only model, for comparison\n\nAll of the broadcast time on the wire: \
         one-way latency {}-{} ms on datagram links, instant disks, perfect clocks; a trial \
         gives up 60 s after the crash. Every line runs all the trials.\n",
        LATENCY_US_MIN / 1_000,
        LATENCY_US_MAX / 1_000
    );
    tables(&mut md, runs.network_only, "60 s", false);
    let _ = writeln!(
        md,
        "## What each part of the setup does to the stated figures\n\nThe paper setup with one \
         part changed at a time, on the same seeds and trial counts as above.\n"
    );
    variants_table(&mut md, runs.variants);
    let _ = writeln!(
        md,
        "## How much the seeds alone move the stated figures\n\nThe paper setup's lines whose \
         maximum the paper states, on other seed bases (trial `i` uses seed `base + i`).\n"
    );
    seed_bases_table(&mut md, base_seed, runs.paper, runs.other_seed_bases);
    md.push_str(METHOD);
    md
}

/// How a trial is built, where the setup comes from, and what still differs from the paper.
const METHOD: &str = include_str!("election_downtime_method.md");
