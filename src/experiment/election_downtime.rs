//! Raft paper §9.3 / Figure 16: how long a cluster is without a leader after its leader
//! crashes, for several election timeout ranges.
//!
//! The paper's setup: five servers, broadcast time about 15 ms, heartbeats at half the
//! minimum election timeout; servers with different log lengths (so some candidates cannot
//! win); a synchronized heartbeat from the leader, then the leader crashed at a uniformly
//! random point of its heartbeat interval. Downtime is measured from the crash.
//!
//! One trial here, built from the engine's public API:
//! 1. A probe run of the trial's seed up to `warmup_us` finds the leader `L` and when it was
//!    elected; `L`'s heartbeats then fall at `elected + k * heartbeat` (its heartbeat timer
//!    is fixed, not drawn).
//! 2. The trial run, same seed (identical to the probe up to `warmup_us`), adds at
//!    `warmup_us`: a one-way cut from `L` to two random followers (the laggards), a client
//!    request to `L` whose AppendEntries is dropped on its way to them, and 1 µs later a heal
//!    plus a one-way cut from the laggards to `L`. The laggards keep hearing `L` (their
//!    election timers reset) but their rejections never reach it, so they never catch up:
//!    two survivors have shorter logs and cannot win.
//! 3. The first heartbeat of `L` after that is the synchronized heartbeat; the leader is
//!    crashed (selector `leader`) at a uniformly drawn 1..=heartbeat µs after it.
//! 4. Downtime: from the crash until a new leader is acknowledged by a live quorum (itself
//!    and two followers that accepted its AppendEntries) — the survivors hear it.

use std::fmt::Write as _;

use super::{ElectionProtocol, TimeoutRange};
use crate::net::LinkModel;
use crate::protocol::NodeId;
use crate::sim::prng::{Prng, Stream};
use crate::sim::time::{format_ms, ms};
use crate::sim::{
    ClientTarget, Expectations, Fault, FaultAction, RunReport, Selector, SimConfig, Simulator,
    TraceSink, Workload,
};

/// The ranges of the paper's two graphs: top varies randomness, bottom scales the minimum.
pub fn paper_ranges() -> (Vec<TimeoutRange>, Vec<TimeoutRange>) {
    let range = |min_ms: u64, max_ms: u64| TimeoutRange {
        min_us: ms(min_ms),
        max_us: ms(max_ms),
    };
    let top = [
        (150, 150),
        (150, 151),
        (150, 155),
        (150, 175),
        (150, 200),
        (150, 300),
    ];
    let bottom = [(12, 24), (25, 50), (50, 100), (100, 200)];
    (
        top.iter().map(|&(a, b)| range(a, b)).collect(),
        bottom.iter().map(|&(a, b)| range(a, b)).collect(),
    )
}

/// Cluster size and network of the paper's measurements: one-way latency 5-8 ms, so the
/// slowest of four parallel round trips (the broadcast time) is about 15 ms.
pub const NODE_COUNT: u16 = 5;
pub const LATENCY_US_MIN: u64 = 5_000;
pub const LATENCY_US_MAX: u64 = 8_000;
/// How long after the crash a trial waits for a new leader before giving up.
pub const GIVE_UP_AFTER_US: u64 = 60_000_000;

/// One trial's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trial {
    pub range: TimeoutRange,
    pub index: u64,
    pub seed: u64,
    pub crashed_leader: NodeId,
    pub laggards: [NodeId; 2],
    pub crash_us: u64,
    /// The first leader of a later term and when it became leader, if any.
    pub new_leader: Option<NodeId>,
    pub elected_us: Option<u64>,
    /// Crash until a live quorum acknowledged a new leader; `None` if none within
    /// [`GIVE_UP_AFTER_US`].
    pub downtime_us: Option<u64>,
    /// Why the trial does not measure what it should (the leader changed before the crash),
    /// if it does not.
    pub invalid: Option<String>,
}

/// Runs `trials` trials of every range in `ranges`; trial `i` uses seed `base_seed + i` in
/// every range (the same seeds for every range, so ranges differ only in their timeouts).
pub fn run_trials<P: ElectionProtocol>(
    ranges: &[TimeoutRange],
    trials: u64,
    base_seed: u64,
) -> Vec<Trial> {
    let mut results = Vec::new();
    for &range in ranges {
        for index in 0..trials {
            results.push(run_trial::<P>(range, index, base_seed.wrapping_add(index)));
        }
    }
    results
}

/// One trial: see the module docs.
pub fn run_trial<P: ElectionProtocol>(range: TimeoutRange, index: u64, seed: u64) -> Trial {
    let heartbeat_us = P::heartbeat_interval_us(range);
    let warmup_us = ms(1_000).max(range.max_us.saturating_mul(10));
    let probe = simulate::<P>(range, seed, warmup_us, None, staggered_boot(range));
    let mut trial = Trial {
        range,
        index,
        seed,
        crashed_leader: NodeId(0),
        laggards: [NodeId(0); 2],
        crash_us: 0,
        new_leader: None,
        elected_us: None,
        downtime_us: None,
        invalid: None,
    };
    let Some(leader) = probe.leaders.last().copied() else {
        trial.invalid = Some("no leader by the end of the warm-up".to_string());
        return trial;
    };
    let mut rng = Prng::new(seed, Stream::Custom(1));
    let mut followers: Vec<NodeId> = (0..NODE_COUNT)
        .map(NodeId)
        .filter(|&n| n != leader.node)
        .collect();
    rng.shuffle(&mut followers);
    let laggards = [followers[0], followers[1]];
    let heal_us = warmup_us + 1;
    let beats_before = (heal_us - leader.at_us) / heartbeat_us + 1;
    let synchronized_us = leader.at_us + beats_before * heartbeat_us;
    let crash_us = synchronized_us + rng.range_inclusive(1, heartbeat_us);
    trial.crashed_leader = leader.node;
    trial.laggards = laggards;
    trial.crash_us = crash_us;

    let ids = |nodes: &[NodeId]| nodes.iter().map(|&n| Selector::Node(n)).collect::<Vec<_>>();
    let mut faults = staggered_boot(range);
    faults.extend([
        fault(
            warmup_us,
            FaultAction::Cut {
                from: ids(&[leader.node]),
                to: ids(&laggards),
            },
        ),
        fault(heal_us, FaultAction::Heal),
        fault(
            heal_us,
            FaultAction::Cut {
                from: ids(&laggards),
                to: ids(&[leader.node]),
            },
        ),
        fault(crash_us, FaultAction::Crash(Selector::Leader)),
    ]);
    let request = Workload {
        start_us: warmup_us,
        stop_us: warmup_us,
        interval_us_min: 1,
        interval_us_max: 1,
        key_count: 1,
        target: ClientTarget::Leader,
    };
    // Most trials settle within a few timeouts; only the slow ones pay for the long horizon.
    let short_horizon_us = ms(2_000).max(range.max_us.saturating_mul(20));
    let mut report = None;
    for horizon_us in [short_horizon_us, GIVE_UP_AFTER_US] {
        let run = simulate::<P>(
            range,
            seed,
            crash_us + horizon_us,
            Some(request),
            faults.clone(),
        );
        let done = run.first_leader_established_us.is_some();
        report = Some(run);
        if done {
            break;
        }
    }
    let report = report.expect("at least one run");
    if !report.outcome.is_pass() {
        // Every invariant is checked in every trial; a broken one is a finding, not a time.
        trial.invalid = Some(format!("the run ended with {}", report.outcome));
        return trial;
    }
    if let Some(early) = report
        .leaders
        .iter()
        .find(|l| l.term > leader.term && l.at_us <= crash_us)
    {
        trial.invalid = Some(format!(
            "{} became leader of term {} at {}, before the crash",
            early.node,
            early.term,
            format_ms(early.at_us)
        ));
        return trial;
    }
    if report.stats.crashes != u64::from(NODE_COUNT) {
        trial.invalid = Some("the leader was not crashed".to_string());
        return trial;
    }
    if let Some(next) = report.leaders.iter().find(|l| l.term > leader.term) {
        trial.new_leader = Some(next.node);
        trial.elected_us = Some(next.at_us);
    }
    trial.downtime_us = report
        .first_leader_established_us
        .map(|at_us| at_us - crash_us);
    trial
}

/// A clean first election, whatever the timeouts: every node but n0 is down from 1 µs to
/// well after n0's first election timeout, so n0 campaigns alone and wins. Without this,
/// equal timeouts (150-150) split the first election forever, just as they split the one
/// after the crash, and there would be no leader to crash.
fn staggered_boot(range: TimeoutRange) -> Vec<Fault> {
    let restart_us = 1 + range.max_us - range.min_us + ms(50);
    let mut faults = Vec::new();
    for node in 1..NODE_COUNT {
        faults.push(fault(1, FaultAction::Crash(Selector::Node(NodeId(node)))));
        faults.push(fault(
            restart_us,
            FaultAction::Restart(Selector::Node(NodeId(node))),
        ));
    }
    faults
}

fn fault(at_us: u64, action: FaultAction) -> Fault {
    Fault { at_us, action }
}

fn simulate<P: ElectionProtocol>(
    range: TimeoutRange,
    seed: u64,
    duration_us: u64,
    workload: Option<Workload>,
    faults: Vec<Fault>,
) -> RunReport {
    let config = SimConfig {
        node_count: NODE_COUNT,
        seed,
        duration_us,
        max_steps: 50_000_000,
        max_in_flight: 100_000,
        links: LinkModel {
            latency_us_min: LATENCY_US_MIN,
            latency_us_max: LATENCY_US_MAX,
            ..LinkModel::default()
        },
        workload,
        faults,
        expect: Expectations::default(),
        paranoid: false,
    };
    Simulator::<P::Node>::new(config, P::config(range), TraceSink::Off).run()
}

/// Summary statistics of one range's downtimes.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeSummary {
    pub range: TimeoutRange,
    pub trials: usize,
    pub invalid: usize,
    /// Trials with no new leader within [`GIVE_UP_AFTER_US`].
    pub gave_up: usize,
    pub min_us: Option<u64>,
    pub median_us: Option<u64>,
    pub p99_us: Option<u64>,
    pub max_us: Option<u64>,
    pub mean_us: Option<u64>,
}

/// Sorted downtimes of the valid trials of `range` that elected a leader.
pub fn downtimes_us(trials: &[Trial], range: TimeoutRange) -> Vec<u64> {
    let mut values: Vec<u64> = trials
        .iter()
        .filter(|t| t.range == range && t.invalid.is_none())
        .filter_map(|t| t.downtime_us)
        .collect();
    values.sort_unstable();
    values
}

pub fn summarize(trials: &[Trial], range: TimeoutRange) -> RangeSummary {
    let of_range: Vec<&Trial> = trials.iter().filter(|t| t.range == range).collect();
    let values = downtimes_us(trials, range);
    // Nearest-rank percentile on the sorted values.
    let rank = |fraction_permille: usize| {
        (!values.is_empty()).then(|| {
            let rank = (values.len() * fraction_permille).div_ceil(1000).max(1);
            values[rank - 1]
        })
    };
    RangeSummary {
        range,
        trials: of_range.len(),
        invalid: of_range.iter().filter(|t| t.invalid.is_some()).count(),
        gave_up: of_range
            .iter()
            .filter(|t| t.invalid.is_none() && t.downtime_us.is_none())
            .count(),
        min_us: values.first().copied(),
        median_us: rank(500),
        p99_us: rank(990),
        max_us: values.last().copied(),
        mean_us: (!values.is_empty()).then(|| values.iter().sum::<u64>() / values.len() as u64),
    }
}

/// One line per trial.
pub fn render_csv(trials: &[Trial]) -> String {
    let mut csv = String::from(
        "range_ms,trial,seed,crashed_leader,laggards,crash_ms,new_leader,elected_after_ms,downtime_ms,invalid\n",
    );
    for t in trials {
        let after = |at: Option<u64>| at.map_or(String::new(), |at| ms_text(at - t.crash_us));
        let _ = writeln!(
            csv,
            "{},{},{},{},{} {},{},{},{},{},{}",
            t.range.label(),
            t.index,
            t.seed,
            t.crashed_leader,
            t.laggards[0],
            t.laggards[1],
            ms_text(t.crash_us),
            t.new_leader.map_or(String::new(), |n| n.to_string()),
            after(t.elected_us),
            t.downtime_us.map_or(String::new(), ms_text),
            t.invalid.as_deref().unwrap_or("").replace(',', ";"),
        );
    }
    csv
}

/// Milliseconds with three decimals, integer arithmetic only.
fn ms_text(us: u64) -> String {
    format!("{}.{:03}", us / 1_000, us % 1_000)
}

/// What the paper states for a range, where it states something.
fn paper_figure(range: TimeoutRange) -> &'static str {
    match (range.min_us / 1_000, range.max_us / 1_000) {
        (150, 150) => "\"consistently took longer than 10 seconds\" (100 trials)",
        (150, 155) => "median 287 ms",
        (150, 200) => "worst of 1000: 513 ms",
        (12, 24) => "mean 35 ms, longest 152 ms",
        _ => "(graph only)",
    }
}

/// The markdown report: setup, one table per graph, the paper beside ours.
pub fn render_markdown(
    protocol: &str,
    top: &[TimeoutRange],
    bottom: &[TimeoutRange],
    trials: &[Trial],
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
        "Generated by `quorumsim experiment election-downtime --trials {trials_per_range} --seed {base_seed}` \
         ({protocol}, {NODE_COUNT} nodes, one-way latency {}-{} ms, heartbeat = half the minimum \
         election timeout, no PreVote, no CheckQuorum). Trial `i` of every range uses seed \
         `{base_seed} + i`. Raw data: `election-downtime.csv`; CDF plots: \
         `election-downtime-top.svg`, `election-downtime-bottom.svg`.\n",
        LATENCY_US_MIN / 1_000,
        LATENCY_US_MAX / 1_000
    );
    for (title, ranges) in [
        ("Top graph: randomness of the timeout", top),
        ("Bottom graph: scale of the timeout", bottom),
    ] {
        let _ = writeln!(md, "## {title}\n");
        let _ = writeln!(
            md,
            "| timeout (ms) | trials | invalid | no leader in 60 s | min | median | mean | p99 | max | paper |\n\
             |---|---|---|---|---|---|---|---|---|---|"
        );
        for &range in ranges {
            let s = summarize(trials, range);
            let cell =
                |v: Option<u64>| v.map_or("-".to_string(), |us| format!("{} ms", ms_text(us)));
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                range.label(),
                s.trials,
                s.invalid,
                s.gave_up,
                cell(s.min_us),
                cell(s.median_us),
                cell(s.mean_us),
                cell(s.p99_us),
                cell(s.max_us),
                paper_figure(range)
            );
        }
        md.push('\n');
    }
    md.push_str(METHOD);
    md
}

/// How a trial is built, what the paper says, and where we differ.
const METHOD: &str = "## Method and approximations

- **Synchronized heartbeat.** The engine runs a scenario to its end; it cannot be paused at a
  heartbeat. So each trial first runs a probe of the same seed up to the warm-up time, reads
  when the leader was elected, and computes its heartbeat times (the leader's heartbeat
  timer is a fixed period). The trial run, identical up to the warm-up, crashes the leader
  (selector `leader`) at a uniform 1 µs..=1 heartbeat after the first heartbeat that follows
  the set-up below: every follower heard that heartbeat, and no other before the crash.
- **Shorter logs.** At the warm-up time a one-way cut from the leader to two random
  followers drops the AppendEntries of one client command on its way to them; 1 µs later the
  cut is healed and replaced by a one-way cut from those two to the leader. They keep hearing
  heartbeats (which reset their election timers) but their rejections never reach the
  leader, so they never catch up. The command commits on the other three, so the two cannot
  win an election; the tests check the new leader is never one of them.
- **Clean first election.** Nodes 1-4 are down from 1 µs until after node 0's first
  timeout, so node 0 is elected alone; with 150-150 ms a normal start would split forever.
- **Downtime** is from the crash until a new leader is acknowledged by a live quorum (itself
  and two followers that accepted its AppendEntries); `elected_after_ms` in the CSV is when
  it became leader, one message earlier. A trial with no leader 60 s after the crash counts
  in the \"no leader in 60 s\" column and keeps its CDF line below 100%.
- **Network.** One-way latency uniform in 5-8 ms, so the slowest of four parallel round trips
  (the broadcast time) is about 15 ms; no loss. Raft without PreVote and CheckQuorum, as in
  the paper's implementation; heartbeat = half the minimum election timeout.
- **What differs from the paper.** Virtual time is exact to the microsecond and handlers
  take no time, so nodes with equal timeouts stay in lock-step far longer than real servers,
  whose processing and scheduling jitter adds randomness of its own. That is the likely
  reason our 150-151 and 150-155 ms lines are much slower than the paper's (median 287 ms at
  150-155) while the wider ranges agree with it.

The paper (§9.3): \"In the absence of randomness, leader election consistently took longer
than 10 seconds in our tests due to many split votes. Adding just 5ms of randomness helps
significantly, resulting in a median downtime of 287ms. Using more randomness improves
worst-case behavior: with 50ms of randomness the worst-case completion time (over 1000
trials) was 513ms.\" And: \"With an election timeout of 12-24ms, it takes only 35ms on
average to elect a leader (the longest trial took 152ms).\" Figure 16's caption: 1000 trials
per line, except 100 for 150-150 ms; five servers, broadcast time roughly 15 ms.
";

/// The CDF plot of `ranges` as SVG.
pub fn render_svg(
    title: &str,
    ranges: &[TimeoutRange],
    trials: &[Trial],
    log_x: bool,
) -> Result<String, String> {
    let series: Vec<super::plot::CdfSeries> = ranges
        .iter()
        .map(|&range| super::plot::CdfSeries {
            label: format!("{} ms", range.label()),
            sorted_ms: downtimes_us(trials, range)
                .into_iter()
                .map(|us| us as f64 / 1_000.0)
                .collect(),
            trial_count: {
                let summary = summarize(trials, range);
                summary.trials - summary.invalid
            },
        })
        .collect();
    super::plot::cdf_svg(title, &series, log_x)
}

/// Runs the whole experiment and writes its four files into `out_dir`. Returns the markdown.
pub fn run_and_write<P: ElectionProtocol>(
    trials_per_range: u64,
    base_seed: u64,
    out_dir: &std::path::Path,
) -> Result<String, String> {
    let (top, bottom) = paper_ranges();
    let all: Vec<TimeoutRange> = top.iter().chain(&bottom).copied().collect();
    let trials = run_trials::<P>(&all, trials_per_range, base_seed);
    let markdown = render_markdown(P::NAME, &top, &bottom, &trials, trials_per_range, base_seed);
    let files = [
        ("election-downtime.csv", render_csv(&trials)),
        ("election-downtime.md", markdown.clone()),
        (
            "election-downtime-top.svg",
            render_svg(
                "Leader crash: varying randomness (150-x ms)",
                &top,
                &trials,
                true,
            )?,
        ),
        (
            "election-downtime-bottom.svg",
            render_svg("Leader crash: scaling the timeout", &bottom, &trials, false)?,
        ),
    ];
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("{}: cannot create: {e}", out_dir.display()))?;
    for (name, text) in files {
        let path = out_dir.join(name);
        std::fs::write(&path, text)
            .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    }
    Ok(markdown)
}
