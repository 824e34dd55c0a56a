//! Raft paper §9.3 / Figure 16: how long a cluster is without a leader after its leader
//! crashes, for several election timeout ranges, on two models of where time goes: the paper
//! setup (a LAN, a timed disk that messages after a durable change wait for, real clocks) and
//! the network-only model (all of the broadcast time on the wire) for comparison.
//!
//! The paper's benchmark: five servers, heartbeats at half the minimum election timeout;
//! servers with different log lengths (so some candidates cannot win); a synchronized
//! heartbeat from the leader, then the leader crashed at a uniformly random point of its
//! heartbeat interval. Downtime is measured from the crash until the others hear the new
//! leader.
//!
//! One trial here, built from the engine's public API:
//! 1. A recorded probe of the trial's seed past `warmup_us` finds the leader `L` and when its
//!    heartbeat timer fires (its clock may drift and its timers fire late, so they are read,
//!    not computed).
//! 2. The set-up: a one-way cut from `L` to two random followers (the laggards), a client
//!    request to `L` whose AppendEntries is dropped on its way to them, then a heal plus a
//!    one-way cut from the laggards to `L`. The laggards keep hearing `L` (their election
//!    timers reset) but their rejections never reach it, so they never catch up: two
//!    survivors have shorter logs and cannot win. With an instant disk the set-up is at
//!    `warmup_us` and the first cut lasts 1 µs; with a timed disk it lasts the slowest write
//!    (the AppendEntries waits for the leader's write) and starts once a heartbeat has
//!    arrived, so that the laggards miss none.
//! 3. A second recorded probe with the set-up gives `L`'s first two heartbeats after it: the
//!    first is the synchronized heartbeat, and the trial run (same seed, identical up to the
//!    crash) crashes the leader (selector `leader`) at a uniform point after it, up to the
//!    second.
//! 4. Downtime: from the crash until a new leader is acknowledged by a live quorum (itself
//!    and two followers that accepted its AppendEntries) — the survivors hear it.

use std::fmt::Write as _;

use super::crash_trial::{
    client_requests, measure, pick_laggards, run_to_new_leader_within, sim_config, simulate,
    write_files,
};
pub use super::crash_trial::{
    Environment, CLOCK_DRIFT_PPM_MAX, GIVE_UP_AFTER_US, LAN_LATENCY_US_MAX, LAN_LATENCY_US_MIN,
    LATENCY_US_MAX, LATENCY_US_MIN, NODE_COUNT, SSD_WRITE_US_MAX, SSD_WRITE_US_MIN,
    TIMER_JITTER_US_MAX,
};
use super::election_downtime_report as report;
use super::stats::{self, cdf_series, DowntimeTrial, TRIAL_CSV_COLUMNS};
pub use super::stats::{downtimes_us, summarize};
use super::{ElectionProtocol, TimeoutRange};
use crate::prng::{Prng, Stream};
use crate::protocol::NodeId;
use crate::sim::{
    Fault, FaultAction, Recording, Retention, RunReport, Selector, Simulator, TraceSink, Workload,
};
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

/// Where a trial's time goes and how long it waits for a new leader: the two models the
/// report compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    pub environment: Environment,
    /// A trial with no new leader this long after the crash gives up.
    pub give_up_after_us: u64,
    /// At most this many trials of a zero-randomness range (150-150), if limited.
    pub equal_timeouts_trials_max: Option<u64>,
}

impl Setup {
    /// The Raft dissertation's cluster (see [`Environment::paper_setup`]), waiting 10 s, the
    /// horizon the paper states for its zero-randomness line.
    pub fn paper() -> Setup {
        Setup {
            environment: Environment::paper_setup(),
            give_up_after_us: ms(10_000),
            equal_timeouts_trials_max: Some(PAPER_EQUAL_TIMEOUT_TRIALS),
        }
    }

    /// All of the broadcast time on the wire, waiting 60 s.
    pub fn network_only() -> Setup {
        Setup {
            environment: Environment::network_only(),
            give_up_after_us: GIVE_UP_AFTER_US,
            equal_timeouts_trials_max: None,
        }
    }

    /// How many of `trials_per_range` trials `range` runs on this setup.
    pub fn trials_of(&self, range: TimeoutRange, trials_per_range: u64) -> u64 {
        match self.equal_timeouts_trials_max {
            Some(max) if range.min_us == range.max_us => trials_per_range.min(max),
            _ => trials_per_range,
        }
    }
}

/// Runs `trials` trials of every range in `ranges` on the network-only setup; trial `i` uses
/// seed `base_seed + i` in every range (the same seeds for every range, so ranges differ only
/// in their timeouts).
pub fn run_trials<P: ElectionProtocol>(
    ranges: &[TimeoutRange],
    trials: u64,
    base_seed: u64,
) -> Vec<Trial> {
    run_trials_in::<P>(&Setup::network_only(), ranges, trials, base_seed)
}

/// [`run_trials`] on `setup`.
pub fn run_trials_in<P: ElectionProtocol>(
    setup: &Setup,
    ranges: &[TimeoutRange],
    trials: u64,
    base_seed: u64,
) -> Vec<Trial> {
    stats::run_trials(ranges, trials, base_seed, |range, index, seed| {
        run_trial_in::<P>(setup, range, index, seed)
    })
}

/// One trial on the network-only setup: see the module docs.
pub fn run_trial<P: ElectionProtocol>(range: TimeoutRange, index: u64, seed: u64) -> Trial {
    run_trial_in::<P>(&Setup::network_only(), range, index, seed)
}

/// One trial on `setup`: see the module docs.
pub fn run_trial_in<P: ElectionProtocol>(
    setup: &Setup,
    range: TimeoutRange,
    index: u64,
    seed: u64,
) -> Trial {
    let environment = &setup.environment;
    let heartbeat_us = P::heartbeat_interval_us(range);
    let warmup_us = ms(1_000).max(range.max_us.saturating_mul(10));
    let mut trial = Trial::new(range, index, seed);
    // The probes watch the leader's heartbeat timer over a few heartbeats past a time.
    let watch_us = 3 * heartbeat_us + environment.storage.write_us_max + ms(1);
    let (probe, recording) = simulate_recorded::<P>(
        environment,
        range,
        seed,
        (warmup_us, warmup_us + watch_us),
        None,
        staggered_boot(range),
    );
    let Some(leader) = probe
        .leaders
        .iter()
        .rev()
        .find(|l| l.at_us <= warmup_us)
        .copied()
    else {
        trial.invalid = Some("no leader by the end of the warm-up".to_string());
        return trial;
    };
    let mut rng = Prng::new(seed, Stream::Custom(1));
    let laggards = pick_laggards(&mut rng, leader.node);
    // With an instant disk the client command's AppendEntries leaves at once and a 1 µs cut
    // drops it. A timed disk holds it until the leader's write is on disk, so the cut must
    // outlast the slowest write; it starts once the heartbeat before it has arrived, so that
    // the laggards miss no heartbeat while it lasts.
    let (set_up_us, heal_us) = if environment.storage.is_instant() {
        (warmup_us, warmup_us + 1)
    } else {
        let Some(beat_us) = heartbeats_after(&recording, leader.node, warmup_us)
            .first()
            .copied()
        else {
            trial.invalid = Some("the leader sent no heartbeat after the warm-up".to_string());
            return trial;
        };
        let set_up_us = beat_us + environment.links.latency_us_max + 1;
        (set_up_us, set_up_us + environment.storage.write_us_max + 1)
    };
    trial.crashed_leader = leader.node;
    trial.laggards = laggards;

    let ids = |nodes: &[NodeId]| nodes.iter().map(|&n| Selector::Node(n)).collect::<Vec<_>>();
    let mut faults = staggered_boot(range);
    faults.extend([
        fault(
            set_up_us,
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
    ]);
    let request = client_requests(set_up_us, set_up_us);
    // The synchronized heartbeat is the first the leader sends after the set-up; it is
    // crashed within the heartbeat interval that follows, as the leader's own clock times it.
    let (_, recording) = simulate_recorded::<P>(
        environment,
        range,
        seed,
        (heal_us, heal_us + watch_us),
        Some(request),
        faults.clone(),
    );
    let beats = heartbeats_after(&recording, leader.node, heal_us);
    let [synchronized_us, next_us, ..] = beats[..] else {
        trial.invalid = Some("the leader sent no two heartbeats after the set-up".to_string());
        return trial;
    };
    let crash_us = synchronized_us + rng.range_inclusive(1, next_us - synchronized_us);
    trial.crash_us = crash_us;
    faults.push(fault(crash_us, FaultAction::Crash(Selector::Leader)));
    let short_horizon_us = ms(2_000).max(range.max_us.saturating_mul(20));
    let report = run_to_new_leader_within(
        crash_us,
        short_horizon_us,
        setup.give_up_after_us,
        |duration_us| {
            simulate::<P::Node>(
                environment,
                P::config(range),
                seed,
                duration_us,
                Some(request),
                faults.clone(),
            )
        },
    );
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

/// A run to `watch_us.1` that records what happens from `watch_us.0` on; identical to the
/// trial run up to then (same seed, same faults before it), so it shows when the trial's
/// leader will send its heartbeats.
fn simulate_recorded<P: ElectionProtocol>(
    environment: &Environment,
    range: TimeoutRange,
    seed: u64,
    watch_us: (u64, u64),
    workload: Option<Workload>,
    faults: Vec<Fault>,
) -> (RunReport, Recording) {
    let (start_us, end_us) = watch_us;
    let config = sim_config(environment, seed, end_us, workload, faults);
    Simulator::<P::Node>::new(config, P::config(range), TraceSink::Off)
        .run_recorded(Retention::Between { start_us, end_us })
}

/// When `leader`'s heartbeat timer fired after `after_us`, in order.
fn heartbeats_after(recording: &Recording, leader: NodeId, after_us: u64) -> Vec<u64> {
    recording
        .timers
        .iter()
        .filter(|t| t.node == leader && t.at_us > after_us && t.label == "Heartbeat")
        .map(|t| t.at_us)
        .collect()
}

/// One line per trial.
pub fn render_csv(trials: &[Trial]) -> String {
    let mut csv = format!("range_ms,{TRIAL_CSV_COLUMNS}\n");
    for t in trials {
        let _ = writeln!(csv, "{},{}", t.setting.label(), t.csv_fields());
    }
    csv
}

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

/// The paper's trial count for the zero-randomness line, whatever `--trials` says for the
/// others.
pub const PAPER_EQUAL_TIMEOUT_TRIALS: u64 = 100;

/// Every range of both graphs on `setup`: `trials_per_range` trials each, or fewer where the
/// setup limits a range ([`Setup::trials_of`]).
pub fn run_setup<P: ElectionProtocol>(
    setup: &Setup,
    trials_per_range: u64,
    base_seed: u64,
) -> Vec<Trial> {
    let (top, bottom) = paper_ranges();
    let mut trials = Vec::new();
    for range in top.iter().chain(&bottom) {
        let count = setup.trials_of(*range, trials_per_range);
        trials.extend(run_trials_in::<P>(setup, &[*range], count, base_seed));
    }
    trials
}

/// The paper setup with one part changed at a time, each named for the report: the disk
/// twice as fast and twice as slow, the dissertation's broadcast time taken as all disk, no
/// disk at all, and perfect clocks. Each runs the ranges the paper states figures for.
pub fn variants() -> Vec<(String, Setup)> {
    let paper = Setup::paper();
    let with = |change: &dyn Fn(&mut Environment)| {
        let mut setup = paper;
        change(&mut setup.environment);
        setup
    };
    let disk = |min_us: u64, max_us: u64| {
        with(&|environment: &mut Environment| {
            environment.storage.write_us_min = min_us;
            environment.storage.write_us_max = max_us;
        })
    };
    vec![
        ("paper setup".to_string(), paper),
        ("writes 0.5-2.5 ms".to_string(), disk(500, 2_500)),
        ("writes 2-10 ms".to_string(), disk(2_000, 10_000)),
        (
            "writes 12-17 ms (15 ms all disk)".to_string(),
            disk(12_000, 17_000),
        ),
        ("instant disk".to_string(), disk(0, 0)),
        (
            "perfect clocks".to_string(),
            with(&|environment: &mut Environment| {
                environment.clocks = crate::sim::ClockModel::default();
            }),
        ),
    ]
}

/// [`variants`], each run over the ranges the paper states a figure for.
fn run_variants<P: ElectionProtocol>(
    trials_per_range: u64,
    base_seed: u64,
) -> Vec<(String, Setup, Vec<Trial>)> {
    let (top, bottom) = paper_ranges();
    let stated = [top[0], top[2], top[4], bottom[0]];
    variants()
        .into_iter()
        .map(|(label, setup)| {
            let mut trials = Vec::new();
            for range in stated {
                let count = setup.trials_of(range, trials_per_range);
                trials.extend(run_trials_in::<P>(&setup, &[range], count, base_seed));
            }
            (label, setup, trials)
        })
        .collect()
}

/// How many other seed bases the maxima are measured on, `SEED_BASE_STEP` apart.
pub const OTHER_SEED_BASES: u64 = 4;
pub const SEED_BASE_STEP: u64 = 1_000;

/// The paper setup's lines whose maximum the paper states, on other seed bases: how much a
/// maximum of so many trials moves with the seeds alone.
fn run_other_seed_bases<P: ElectionProtocol>(
    trials_per_range: u64,
    base_seed: u64,
) -> Vec<(u64, Vec<Trial>)> {
    let (top, bottom) = paper_ranges();
    (1..=OTHER_SEED_BASES)
        .map(|k| {
            let seed = base_seed.wrapping_add(k * SEED_BASE_STEP);
            let ranges = [top[4], bottom[0]];
            (
                seed,
                run_trials_in::<P>(&Setup::paper(), &ranges, trials_per_range, seed),
            )
        })
        .collect()
}

/// Runs the whole experiment on both setups and writes its files into `out_dir`: the paper
/// setup's CSV and plots, the network-only CSV, and the markdown with both. Returns the
/// markdown.
pub fn run_and_write<P: ElectionProtocol>(
    trials_per_range: u64,
    base_seed: u64,
    out_dir: &std::path::Path,
) -> Result<String, String> {
    let (top, bottom) = paper_ranges();
    let paper = run_setup::<P>(&Setup::paper(), trials_per_range, base_seed);
    let network_only = run_setup::<P>(&Setup::network_only(), trials_per_range, base_seed);
    let variants = run_variants::<P>(trials_per_range, base_seed);
    let other_seed_bases = run_other_seed_bases::<P>(trials_per_range, base_seed);
    let markdown = report::render_markdown(
        P::NAME,
        &report::Runs {
            paper: &paper,
            network_only: &network_only,
            variants: &variants,
            other_seed_bases: &other_seed_bases,
        },
        trials_per_range,
        base_seed,
    );
    let files = [
        ("election-downtime.csv", render_csv(&paper)),
        (
            "election-downtime-network-only.csv",
            render_csv(&network_only),
        ),
        ("election-downtime.md", markdown.clone()),
        (
            "election-downtime-top.svg",
            render_svg(
                "Leader crash, paper setup: varying randomness (150-x ms)",
                &top,
                &paper,
                true,
            )?,
        ),
        (
            "election-downtime-bottom.svg",
            render_svg(
                "Leader crash, paper setup: scaling the timeout",
                &bottom,
                &paper,
                false,
            )?,
        ),
    ];
    write_files(out_dir, &files)?;
    Ok(markdown)
}
