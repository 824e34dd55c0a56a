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

use super::crash_trial::{
    client_requests, measure, pick_laggards, run_to_new_leader, simulate, write_files, Environment,
};
pub use super::crash_trial::{GIVE_UP_AFTER_US, LATENCY_US_MAX, LATENCY_US_MIN, NODE_COUNT};
use super::stats::{self, cdf_series, table_cells, table_head, DowntimeTrial, TRIAL_CSV_COLUMNS};
pub use super::stats::{downtimes_us, summarize};
use super::{ElectionProtocol, TimeoutRange};
use crate::prng::{Prng, Stream};
use crate::protocol::NodeId;
use crate::sim::{Fault, FaultAction, RunReport, Selector, Workload};
use crate::time::ms;

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

/// One trial's result; its setting is the timeout range.
pub type Trial = DowntimeTrial<TimeoutRange>;

/// Runs `trials` trials of every range in `ranges`; trial `i` uses seed `base_seed + i` in
/// every range (the same seeds for every range, so ranges differ only in their timeouts).
pub fn run_trials<P: ElectionProtocol>(
    ranges: &[TimeoutRange],
    trials: u64,
    base_seed: u64,
) -> Vec<Trial> {
    stats::run_trials(ranges, trials, base_seed, run_trial::<P>)
}

/// One trial: see the module docs.
pub fn run_trial<P: ElectionProtocol>(range: TimeoutRange, index: u64, seed: u64) -> Trial {
    let heartbeat_us = P::heartbeat_interval_us(range);
    let warmup_us = ms(1_000).max(range.max_us.saturating_mul(10));
    let probe = simulate_range::<P>(range, seed, warmup_us, None, staggered_boot(range));
    let mut trial = Trial::new(range, index, seed);
    let Some(leader) = probe.leaders.last().copied() else {
        trial.invalid = Some("no leader by the end of the warm-up".to_string());
        return trial;
    };
    let mut rng = Prng::new(seed, Stream::Custom(1));
    let laggards = pick_laggards(&mut rng, leader.node);
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
    let request = client_requests(warmup_us, warmup_us);
    let short_horizon_us = ms(2_000).max(range.max_us.saturating_mul(20));
    let report = run_to_new_leader(crash_us, short_horizon_us, |duration_us| {
        simulate_range::<P>(range, seed, duration_us, Some(request), faults.clone())
    });
    // The staggered boot crashes the four other nodes once each, then the leader crashes.
    trial.record(measure(
        &report,
        leader,
        crash_us,
        u64::from(NODE_COUNT),
        "term",
    ));
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

fn simulate_range<P: ElectionProtocol>(
    range: TimeoutRange,
    seed: u64,
    duration_us: u64,
    workload: Option<Workload>,
    faults: Vec<Fault>,
) -> RunReport {
    simulate::<P::Node>(
        &Environment::network_only(),
        P::config(range),
        seed,
        duration_us,
        workload,
        faults,
    )
}

/// One line per trial.
pub fn render_csv(trials: &[Trial]) -> String {
    let mut csv = format!("range_ms,{TRIAL_CSV_COLUMNS}\n");
    for t in trials {
        let _ = writeln!(csv, "{},{}", t.setting.label(), t.csv_fields());
    }
    csv
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
        let _ = writeln!(md, "{}", table_head("timeout (ms)", &["paper"]));
        for &range in ranges {
            let _ = writeln!(
                md,
                "| {} | {} | {} |",
                range.label(),
                table_cells(&summarize(trials, range)),
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
- **Timeouts.** A node draws its election timeout from the range when its term or role
  changes and restarts its timer with that value on every heartbeat, as etcd's raft does;
  an implementation may instead draw at every restart. Either way, each follower's timeout
  when the leader crashes is an independent uniform draw from the range.
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
        .map(|&range| cdf_series(format!("{} ms", range.label()), trials, range))
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
    write_files(out_dir, &files)?;
    Ok(markdown)
}
