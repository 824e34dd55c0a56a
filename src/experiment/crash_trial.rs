//! The plumbing of a leader-crash trial that does not depend on the protocol: the cluster
//! and network both experiments run on, the laggards, the runs up to the give-up horizon,
//! reading the downtime off the report, and writing the files.

use crate::check::LeaderRecord;
use crate::net::LinkModel;
use crate::prng::Prng;
use crate::protocol::{NodeId, Protocol};
use crate::sim::{
    ClientTarget, ClockModel, Connections, Expectations, Fault, RunReport, SimConfig, Simulator,
    StorageModel, TraceSink, Workload,
};
use crate::time::format_ms;

/// Cluster size of the paper's measurements.
pub const NODE_COUNT: u16 = 5;
/// The network-only model's one-way latency: the slowest of four parallel round trips (the
/// broadcast time) is about 15 ms, all of it on the wire.
pub const LATENCY_US_MIN: u64 = 5_000;
pub const LATENCY_US_MAX: u64 = 8_000;
/// How long after the crash a trial waits for a new leader before giving up.
pub const GIVE_UP_AFTER_US: u64 = 60_000_000;

/// The paper setup's one-way latency: a request or reply over TCP on a gigabit Ethernet LAN,
/// through the kernel's network stack and the RPC library on both ends.
pub const LAN_LATENCY_US_MIN: u64 = 100;
pub const LAN_LATENCY_US_MAX: u64 = 300;
/// The paper setup's durable write: an `fdatasync` of a small file on ext4 over a SATA SSD,
/// a journal commit and a drive cache flush.
pub const SSD_WRITE_US_MIN: u64 = 1_000;
pub const SSD_WRITE_US_MAX: u64 = 5_000;
/// The paper setup's clocks: crystal oscillators within their usual tolerance, and timers
/// that a loaded scheduler wakes up to this late.
pub const CLOCK_DRIFT_PPM_MAX: u64 = 50;
pub const TIMER_JITTER_US_MAX: u64 = 100;

/// Where a trial's time goes besides the protocol's own timers: the links, the connections,
/// the disks and the clocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Environment {
    pub links: LinkModel,
    pub connections: Connections,
    pub storage: StorageModel,
    pub clocks: ClockModel,
}

impl Environment {
    /// All of the broadcast time on the wire (one-way 5-8 ms, no loss), instant disks,
    /// perfect clocks, datagram links.
    pub fn network_only() -> Environment {
        Environment {
            links: LinkModel {
                latency_us_min: LATENCY_US_MIN,
                latency_us_max: LATENCY_US_MAX,
                ..LinkModel::default()
            },
            connections: Connections::default(),
            storage: StorageModel::default(),
            clocks: ClockModel::default(),
        }
    }

    /// The cluster the Raft dissertation measured (LogCabin, one SSD per server, gigabit
    /// Ethernet): LAN latency on TCP-like connections, a timed disk that every message after a
    /// durable change waits for, and real clocks. Its broadcast time is a round trip plus a
    /// disk write, most of it the disk.
    pub fn paper_setup() -> Environment {
        Environment {
            links: LinkModel {
                latency_us_min: LAN_LATENCY_US_MIN,
                latency_us_max: LAN_LATENCY_US_MAX,
                ..LinkModel::default()
            },
            connections: Connections::Stream,
            storage: StorageModel {
                write_us_min: SSD_WRITE_US_MIN,
                write_us_max: SSD_WRITE_US_MAX,
            },
            clocks: ClockModel {
                drift_ppm_max: CLOCK_DRIFT_PPM_MAX,
                timer_jitter_us_max: TIMER_JITTER_US_MAX,
            },
        }
    }
}

impl Environment {
    /// The network-only links, over connections instead of datagrams: what a crash or a cut
    /// tells the live ends is the only difference.
    pub fn network_only_over_streams() -> Environment {
        Environment {
            connections: Connections::Stream,
            ..Environment::network_only()
        }
    }

    /// Servers on one LAN talking over TCP, each writing its log to an SSD, as the paper
    /// setup, with perfect clocks.
    pub fn lan_over_streams() -> Environment {
        Environment {
            clocks: ClockModel::default(),
            ..Environment::paper_setup()
        }
    }
}

/// The engine configuration of every run of a trial: the cluster above in `environment`.
pub(super) fn sim_config(
    environment: &Environment,
    seed: u64,
    duration_us: u64,
    workload: Option<Workload>,
    faults: Vec<Fault>,
) -> SimConfig {
    SimConfig {
        node_count: NODE_COUNT,
        seed,
        duration_us,
        max_steps: 50_000_000,
        max_in_flight: 100_000,
        links: environment.links,
        connections: environment.connections,
        storage: environment.storage,
        clocks: environment.clocks,
        workload,
        faults,
        expect: Expectations::default(),
        paranoid: false,
    }
}

pub(super) fn simulate<N: Protocol>(
    environment: &Environment,
    node_config: N::Config,
    seed: u64,
    duration_us: u64,
    workload: Option<Workload>,
    faults: Vec<Fault>,
) -> RunReport {
    let config = sim_config(environment, seed, duration_us, workload, faults);
    Simulator::<N>::new(config, node_config, TraceSink::Off).run()
}

/// Two followers of `leader` drawn at random: the ones the set-up keeps behind.
pub(super) fn pick_laggards(rng: &mut Prng, leader: NodeId) -> [NodeId; 2] {
    let mut followers: Vec<NodeId> = (0..NODE_COUNT)
        .map(NodeId)
        .filter(|&n| n != leader)
        .collect();
    rng.shuffle(&mut followers);
    [followers[0], followers[1]]
}

/// Client commands to the leader, one per microsecond from `start_us` to `stop_us`.
pub(super) fn client_requests(start_us: u64, stop_us: u64) -> Workload {
    Workload {
        start_us,
        stop_us,
        interval_us_min: 1,
        interval_us_max: 1,
        key_count: 1,
        target: ClientTarget::Leader,
    }
}

/// Runs the trial to `crash_us + short_horizon_us` and, if no leader was established by
/// then, again to [`GIVE_UP_AFTER_US`] after the crash: most trials settle within a few
/// timeouts, only the slow ones pay for the long horizon.
pub(super) fn run_to_new_leader(
    crash_us: u64,
    short_horizon_us: u64,
    run: impl FnMut(u64) -> RunReport,
) -> RunReport {
    run_to_new_leader_within(crash_us, short_horizon_us, GIVE_UP_AFTER_US, run)
}

/// [`run_to_new_leader`] with a give-up horizon of `give_up_after_us` after the crash.
pub(super) fn run_to_new_leader_within(
    crash_us: u64,
    short_horizon_us: u64,
    give_up_after_us: u64,
    mut run: impl FnMut(u64) -> RunReport,
) -> RunReport {
    let mut report = None;
    // A short horizon past the give-up one is the give-up run itself.
    let horizons_us = if short_horizon_us < give_up_after_us {
        vec![short_horizon_us, give_up_after_us]
    } else {
        vec![give_up_after_us]
    };
    for horizon_us in horizons_us {
        let run = run(crash_us + horizon_us);
        let done = run.first_leader_established_us.is_some();
        report = Some(run);
        if done {
            break;
        }
    }
    report.expect("at least one run")
}

/// What a valid trial measured after crashing `leader` at `crash_us`.
pub(super) struct Measurement {
    /// The first leader of a later term and when it became leader, if any.
    pub new_leader: Option<NodeId>,
    pub elected_us: Option<u64>,
    /// Crash until a live quorum acknowledged a new leader, if one did.
    pub downtime_us: Option<u64>,
}

/// Reads the downtime off the trial run's report, or says why the trial is invalid: an
/// invariant broke, a new leader came before the crash (`term_name` is what the protocol
/// calls a term), or the run did not crash `crashes` times.
pub(super) fn measure(
    report: &RunReport,
    leader: LeaderRecord,
    crash_us: u64,
    crashes: u64,
    term_name: &str,
) -> Result<Measurement, String> {
    if !report.outcome.is_pass() {
        // Every invariant is checked in every trial; a broken one is a finding, not a time.
        return Err(format!("the run ended with {}", report.outcome));
    }
    if let Some(early) = report
        .leaders
        .iter()
        .find(|l| l.term > leader.term && l.at_us <= crash_us)
    {
        return Err(format!(
            "{} became leader of {term_name} {} at {}, before the crash",
            early.node,
            early.term,
            format_ms(early.at_us)
        ));
    }
    if report.stats.crashes != crashes {
        return Err("the leader was not crashed".to_string());
    }
    let next = report.leaders.iter().find(|l| l.term > leader.term);
    Ok(Measurement {
        new_leader: next.map(|l| l.node),
        elected_us: next.map(|l| l.at_us),
        downtime_us: report
            .first_leader_established_us
            .map(|at_us| at_us - crash_us),
    })
}

/// Writes `files` (name, text) into `out_dir`, creating it.
pub(super) fn write_files(
    out_dir: &std::path::Path,
    files: &[(&str, String)],
) -> Result<(), String> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("{}: cannot create: {e}", out_dir.display()))?;
    for (name, text) in files {
        let path = out_dir.join(name);
        std::fs::write(&path, text)
            .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    }
    Ok(())
}
