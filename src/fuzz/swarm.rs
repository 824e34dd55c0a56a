//! Swarm generation: one seed derives one whole run from a base scenario — node count,
//! timings, which fault kinds are on and how often they strike, the fault schedule itself —
//! so that across seeds the campaign explores different mixes instead of one average one.
//!
//! How a base scenario expresses bounds (documented in README.md, "Fuzzing"):
//! - `nodes` is the largest cluster; each seed draws 3..=nodes (1..=nodes below 3).
//! - `duration_ms` is the run length. The last [`liveness_window_ms`] of it is the liveness
//!   phase; faults strike only before it (the safety phase).
//! - the network's and the workload's `*_ms_min`/`*_ms_max` pairs are the ranges each seed
//!   draws its own pair from; `drop_probability` and `duplicate_probability` are the largest
//!   base rates.
//! - the protocol's section is drawn by the protocol (`Hosted::swarm`): Raft draws its
//!   election timeouts, heartbeat, PreVote, CheckQuorum and entries per AppendEntries; FLE
//!   its waits and timeouts, and holds the workload of half its seeds back until the heal.
//! - the fault kinds the base's own `faults` use are the kinds a seed may enable (none: all);
//!   the base's fault times are not used.
//! - `expect.leader_within_ms` (default 2000) bounds the leader after the heal;
//!   `expect.commits_after_last_fault_min` (default 1 with a workload) bounds progress.
//!
//! Fault patterns, drawn per fault from the kinds the seed turned on (each pattern is plain
//! faults with selectors, so a written failure replays as is):
//! - crash: a third of the time a plain crash (`leader`, `follower` or an id) restarted up to
//!   3 s later; a third **leader churn**, the Raft paper's Figure 8 shape: the leader is
//!   partitioned with one follower (under the workload only that pair stores its new
//!   entries), crashes, the partition heals and it restarts soon; half the time a train of
//!   `isolate leader` every 2-20 ms then cuts each next leader off within a round trip of its
//!   election (its first entries stay on it alone), then a heal; the next leaders crash and
//!   restart in turn, 2-5 steps in all. A third **voter restart**: the leader crashes and,
//!   around the election that follows, a `follower` or `random` node crashes and restarts
//!   within 1-60 ms, one to three times, between granting a vote and the next request of
//!   the same term.
//! - partition, isolate, one-way cut, loss/duplication bursts: each undone a while later.
//!
//! At the phase boundary every fault is undone at once: `heal`, the network back to the
//! seed's own settings, and a `restart` of every node id (a restart of a live node is
//! skipped). That boundary is the last fault, which the liveness expectations count from.
//! One **residual fault** may stay: on seeds of 5+ nodes whose protocol section replaces a
//! leader that hears nobody (`Hosted::replaces_deaf_leader`: Raft with CheckQuorum and
//! PreVote both on), half of them cut every link into the leader right after the heal (`cut`
//! from every id to `leader`), for good. The others stay a majority connected both ways, so
//! a correct protocol replaces that leader; one that never steps down keeps its followers
//! loyal and the liveness expectations fail.

use std::collections::BTreeMap;

use crate::prng::{Prng, Stream};
use crate::protocol::SwarmDraw;
use crate::registry::{ProtocolEntry, Registry};
use crate::scenario::file::{
    ClocksFile, ExpectFile, FaultFile, FaultKind, LinkModeFile, NetworkFile, ScenarioFile,
    SelectorFile, StorageFile, WorkloadFile,
};

/// The generator's own random stream: independent of every stream the engine draws from.
const SWARM_STREAM: Stream = Stream::Custom(0x5357_4152);

/// Leader bound after the heal when the base gives none.
pub const LEADER_WITHIN_MS_DEFAULT: u64 = 2_000;
/// Time after the leader bound for commits to happen.
const PROGRESS_MS: u64 = 1_000;
/// Faults start after the first election had a chance.
const FIRST_FAULT_MS: u64 = 200;

/// The fault kinds the swarm knows, in the order their switches are drawn.
pub const KINDS: [FaultKind; 5] = [
    FaultKind::Crash,
    FaultKind::Partition,
    FaultKind::Isolate,
    FaultKind::Cut,
    FaultKind::SetNetwork,
];

/// Length of the liveness phase at the end of a run from `base`.
pub fn liveness_window_ms(base: &ScenarioFile) -> u64 {
    base.expect
        .leader_within_ms
        .unwrap_or(LEADER_WITHIN_MS_DEFAULT)
        + PROGRESS_MS
}

/// Why a base scenario cannot be fuzzed; the field and the reason. A base is an ordinary
/// scenario, so it must be a valid one too.
pub fn check_base(registry: &Registry, base: &ScenarioFile) -> Result<(), (String, String)> {
    crate::scenario::from_file(registry, "base", base)
        .map_err(|error| (error.field, error.reason))?;
    let window_ms = liveness_window_ms(base);
    if base.duration_ms < window_ms + 2 * FIRST_FAULT_MS {
        return Err((
            "duration_ms".to_string(),
            format!(
                "{} leaves no safety phase: the liveness phase alone takes {window_ms} ms \
                 (expect.leader_within_ms + {PROGRESS_MS})",
                base.duration_ms
            ),
        ));
    }
    Ok(())
}

/// The scenario of `seed`, drawn within the bounds of `base` (see the module docs). The
/// result is an ordinary scenario file with every fault explicit.
pub fn generate(
    protocol: &dyn ProtocolEntry,
    base: &ScenarioFile,
    seed: u64,
) -> Result<ScenarioFile, String> {
    generate_run(protocol, base, seed).map(|run| run.file)
}

/// One seed's scenario and what the file alone does not say: the fault kinds the seed turned
/// on (a kind can be on and still never strike) and its protocol's options.
pub struct GeneratedRun {
    pub file: ScenarioFile,
    /// In [`KINDS`] order.
    pub fault_kinds: Vec<FaultKind>,
    /// The drawn section's on/off options (see `Hosted::options`).
    pub options: Vec<(&'static str, bool)>,
}

/// [`generate`], keeping the fault kinds the seed turned on and its options. `protocol` is
/// the base's; the error is a base section the protocol does not accept.
pub fn generate_run(
    protocol: &dyn ProtocolEntry,
    base: &ScenarioFile,
    seed: u64,
) -> Result<GeneratedRun, String> {
    let mut rng = Prng::new(seed, SWARM_STREAM);
    let nodes = rng.range_inclusive(base.nodes.min(3), base.nodes);
    // Saturating: a base [`check_base`] refuses still generates, with no safety phase.
    let heal_ms = base.duration_ms.saturating_sub(liveness_window_ms(base));
    let network = network(&mut rng, &base.network);
    let mut workload = base
        .workload
        .as_ref()
        .map(|workload| workload_within(&mut rng, workload));
    let mut draw = SwarmDraw::new(&mut rng, nodes, heal_ms, workload.is_some());
    let swarmed = protocol.swarm(base.section(), &mut draw).map_err(|error| {
        format!(
            "field `{}.{}`: {}",
            base.protocol, error.field, error.reason
        )
    })?;
    if draw.holds_workload() {
        if let Some(workload) = workload.as_mut() {
            hold_until(workload, heal_ms);
        }
    }
    let mut file = ScenarioFile {
        version: base.version,
        name: format!("{}-seed-{seed}", base.protocol),
        description: format!(
            "Generated by `quorumsim fuzz` from seed {seed} of base `{}`: faults until {heal_ms} ms, \
             then everything healed and restarted.",
            base.name
        ),
        protocol: base.protocol.clone(),
        nodes,
        seed,
        duration_ms: base.duration_ms,
        max_steps: base.max_steps,
        max_in_flight: base.max_in_flight,
        sections: BTreeMap::from([(base.protocol.clone(), swarmed.section)]),
        network: network.clone(),
        storage: None,
        clocks: None,
        workload,
        faults: Vec::new(),
        expect: ExpectFile {
            leader_within_ms: Some(
                base.expect
                    .leader_within_ms
                    .unwrap_or(LEADER_WITHIN_MS_DEFAULT),
            ),
            commits_after_last_fault_min: base
                .workload
                .as_ref()
                .map(|_| base.expect.commits_after_last_fault_min.unwrap_or(1)),
            ..ExpectFile::default()
        },
    };
    let fault_kinds = enabled_kinds(&mut rng, base);
    file.faults = fault_schedule(&mut rng, &fault_kinds, nodes, heal_ms, &network);
    // Drawn last, so it leaves every other draw of the seed as it was.
    // The others must keep a vote to spare: with none (3 or 4 nodes) every election after
    // the cut needs each of them, and split votes and loss can outlast the bound.
    let spare_vote = nodes - 1 > nodes / 2 + 1;
    if spare_vote && swarmed.replaces_deaf_leader && rng.below(2) == 0 {
        file.faults.push(residual_cut_into_leader(heal_ms, nodes));
    }
    // Time models last, so a seed that draws neither is the run it was before they existed.
    time_models(&mut rng, base, &mut file, heal_ms);
    let mut options = swarmed.options;
    options.push(("timed_storage", file.storage.is_some()));
    options.push(("drifting_clocks", file.clocks.is_some()));
    Ok(GeneratedRun {
        file,
        fault_kinds,
        options,
    })
}

/// Half the seeds of a base with a `storage` section get a disk whose writes take a time
/// drawn within the base's range, and sometimes a disk that slows down for a while; half
/// of those with `clocks` get drifting, jittery clocks within the base's bounds, and
/// sometimes a clock that is skewed or jumps. The others keep instant disks and perfect
/// clocks.
fn time_models(rng: &mut Prng, base: &ScenarioFile, file: &mut ScenarioFile, heal_ms: u64) {
    let nodes = file.nodes;
    // As for the other kinds, a base that lists faults allows only the kinds it lists.
    let allowed = |kinds: &[FaultKind]| {
        base.faults.is_empty()
            || base
                .faults
                .iter()
                .any(|fault| kinds.contains(&fault.action))
    };
    let mut timed_faults = Vec::new();
    if let Some(storage) = base.storage.as_ref().filter(|_| rng.below(2) == 0) {
        let (write_ms_min, write_ms_max) =
            pair_within(rng, storage.write_ms_min, storage.write_ms_max);
        file.storage = Some(StorageFile {
            write_ms_min,
            write_ms_max,
        });
        if write_ms_max > 0
            && heal_ms > FIRST_FAULT_MS
            && allowed(&[FaultKind::SlowDisk])
            && rng.below(2) == 0
        {
            let at_ms = rng.range_inclusive(FIRST_FAULT_MS, heal_ms - 1);
            let mut slow = fault(at_ms, FaultKind::SlowDisk);
            slow.node = Some(victim(rng, nodes));
            slow.factor = Some(rng.range_inclusive(5, 50));
            timed_faults.push(slow);
            // Undone at the heal at the latest, by id, since a role may have moved.
        }
    }
    if let Some(clocks) = base.clocks.as_ref().filter(|_| rng.below(2) == 0) {
        file.clocks = Some(ClocksFile {
            drift_ppm_max: rng.range_inclusive(0, clocks.drift_ppm_max),
            timer_jitter_us_max: rng.range_inclusive(0, clocks.timer_jitter_us_max),
        });
        if heal_ms > FIRST_FAULT_MS
            && allowed(&[FaultKind::ClockSkew, FaultKind::ClockJump])
            && rng.below(2) == 0
        {
            let at_ms = rng.range_inclusive(FIRST_FAULT_MS, heal_ms - 1);
            let node = Some(SelectorFile::Id(rng.below(nodes)));
            if rng.below(2) == 0 {
                let mut skew = fault(at_ms, FaultKind::ClockSkew);
                skew.node = node;
                let limit = clocks.drift_ppm_max.max(1) as i64 * 100;
                skew.drift_ppm = Some(rng.range_inclusive(0, 2 * limit as u64) as i64 - limit);
                timed_faults.push(skew);
            } else {
                let mut jump = fault(at_ms, FaultKind::ClockJump);
                jump.node = node;
                let by_ms = rng.range_inclusive(1, 500) as i64;
                jump.by_ms = Some(if rng.below(2) == 0 { by_ms } else { -by_ms });
                timed_faults.push(jump);
            }
        }
    }
    if timed_faults.is_empty() {
        return;
    }
    // Everything is undone at the heal: normal disks and clocks back to their drift.
    for id in 0..nodes {
        if file.storage.is_some() {
            let mut normal = fault(heal_ms, FaultKind::SlowDisk);
            normal.node = Some(SelectorFile::Id(id));
            normal.factor = Some(1);
            timed_faults.push(normal);
        }
    }
    file.faults.extend(timed_faults);
    file.faults.sort_by_key(|fault| fault.at_ms);
}

/// A `(min, max)` pair inside `lo..=hi` with min from the lower half and max from the upper
/// half, so a seed never collapses a range its protocol relies on being wide.
fn pair_within(rng: &mut Prng, lo: u64, hi: u64) -> (u64, u64) {
    let mid = lo + (hi.saturating_sub(lo)) / 2;
    (rng.range_inclusive(lo, mid), rng.range_inclusive(mid, hi))
}

/// A probability in `0..=max`, in whole parts per million so it survives the file exactly.
fn probability_within(rng: &mut Prng, max: Option<f64>) -> Option<f64> {
    let max_ppm = (max.unwrap_or(0.0) * 1e6).round() as u64;
    if max_ppm == 0 {
        return None;
    }
    Some(rng.range_inclusive(0, max_ppm) as f64 / 1e6)
}

fn network(rng: &mut Prng, base: &NetworkFile) -> NetworkFile {
    let lo = base.latency_ms_min.unwrap_or(1);
    let hi = base.latency_ms_max.unwrap_or(lo.max(10));
    let (latency_min, latency_max) = pair_within(rng, lo, hi.max(lo));
    NetworkFile {
        mode: base.mode,
        latency_ms_min: Some(latency_min),
        latency_ms_max: Some(latency_max),
        drop_probability: probability_within(rng, base.drop_probability),
        duplicate_probability: probability_within(rng, base.duplicate_probability),
    }
}

fn workload_within(rng: &mut Prng, base: &WorkloadFile) -> WorkloadFile {
    let (interval_min, interval_max) = pair_within(rng, base.interval_ms_min, base.interval_ms_max);
    WorkloadFile {
        interval_ms_min: interval_min.max(1),
        interval_ms_max: interval_max.max(interval_min.max(1)),
        ..base.clone()
    }
}

/// Holds the workload back until `heal_ms`, the protocol's choice for this seed (see
/// `SwarmDraw::hold_workload_until_heal`). A workload that stops before the heal stays as it
/// is: held back, it would never start.
fn hold_until(workload: &mut WorkloadFile, heal_ms: u64) {
    if workload.stop_ms.is_none_or(|stop_ms| stop_ms > heal_ms) {
        workload.start_ms = workload.start_ms.max(heal_ms);
    }
}

/// The kinds this seed turns on: a random non-empty subset of those the base allows.
fn enabled_kinds(rng: &mut Prng, base: &ScenarioFile) -> Vec<FaultKind> {
    // Connections lose nothing, so loss bursts are not theirs to have.
    let stream = base.network.mode == Some(LinkModeFile::Stream);
    let allowed: Vec<FaultKind> = KINDS
        .iter()
        .copied()
        .filter(|kind| !(stream && *kind == FaultKind::SetNetwork))
        .filter(|kind| {
            base.faults.is_empty()
                || base.faults.iter().any(|fault| {
                    fault.action == *kind
                        || (*kind == FaultKind::Crash && fault.action == FaultKind::Restart)
                })
        })
        .collect();
    if allowed.is_empty() {
        return allowed;
    }
    let mut enabled: Vec<FaultKind> = allowed
        .iter()
        .copied()
        .filter(|_| rng.below(2) == 0)
        .collect();
    if enabled.is_empty() {
        enabled.push(allowed[rng.index(allowed.len())]);
    }
    enabled
}

fn fault(at_ms: u64, action: FaultKind) -> FaultFile {
    FaultFile {
        at_ms,
        action,
        node: None,
        groups: None,
        from: None,
        to: None,
        latency_ms_min: None,
        latency_ms_max: None,
        drop_probability: None,
        duplicate_probability: None,
        factor: None,
        drift_ppm: None,
        by_ms: None,
    }
}

/// A node for a crash or an isolation: the leader, a follower, or an id.
fn victim(rng: &mut Prng, nodes: u64) -> SelectorFile {
    match rng.below(3) {
        0 => SelectorFile::Leader,
        1 => SelectorFile::Follower,
        _ => SelectorFile::Id(rng.below(nodes)),
    }
}

/// Node ids in a random order.
fn shuffled_ids(rng: &mut Prng, nodes: u64) -> Vec<SelectorFile> {
    let mut ids: Vec<SelectorFile> = (0..nodes).map(SelectorFile::Id).collect();
    rng.shuffle(&mut ids);
    ids
}

fn fault_schedule(
    rng: &mut Prng,
    kinds: &[FaultKind],
    nodes: u64,
    heal_ms: u64,
    network: &NetworkFile,
) -> Vec<FaultFile> {
    let mut faults = Vec::new();
    if !kinds.is_empty() && heal_ms > FIRST_FAULT_MS {
        // The rate: between one fault per two seconds and three per second of safety phase.
        let per_10s = rng.range_inclusive(5, 30);
        let count = (heal_ms * per_10s).div_ceil(10_000);
        for _ in 0..count {
            let at_ms = rng.range_inclusive(FIRST_FAULT_MS, heal_ms - 1);
            let kind = kinds[rng.index(kinds.len())];
            // Each fault is undone a while later if the safety phase lasts that long.
            let undo_ms = at_ms + rng.range_inclusive(50, 3_000);
            match kind {
                FaultKind::Crash => match rng.below(3) {
                    0 => leader_churn(rng, at_ms, heal_ms, &mut faults),
                    1 => voter_restart(rng, at_ms, heal_ms, &mut faults),
                    _ => {
                        let mut crash = fault(at_ms, FaultKind::Crash);
                        crash.node = Some(victim(rng, nodes));
                        faults.push(crash);
                        if undo_ms < heal_ms {
                            faults.push(restart_crashed(undo_ms));
                        }
                    }
                },
                FaultKind::Partition => {
                    let mut partition = fault(at_ms, FaultKind::Partition);
                    partition.groups = Some(partition_shape(rng, nodes));
                    faults.push(partition);
                    if undo_ms < heal_ms {
                        faults.push(fault(undo_ms, FaultKind::Heal));
                    }
                }
                FaultKind::Isolate => {
                    let mut isolate = fault(at_ms, FaultKind::Isolate);
                    isolate.node = Some(victim(rng, nodes));
                    faults.push(isolate);
                    if undo_ms < heal_ms {
                        faults.push(fault(undo_ms, FaultKind::Heal));
                    }
                }
                FaultKind::Cut => {
                    // One-way: the receivers still reach the senders.
                    let ids = shuffled_ids(rng, nodes);
                    let split = 1 + rng.index((ids.len() - 1).max(1));
                    let mut cut = fault(at_ms, FaultKind::Cut);
                    let (from, to) = ids.split_at(split.min(ids.len()));
                    let to = if to.is_empty() {
                        vec![SelectorFile::Leader]
                    } else {
                        to.to_vec()
                    };
                    cut.from = Some(from.to_vec());
                    cut.to = Some(to);
                    faults.push(cut);
                    if undo_ms < heal_ms {
                        faults.push(fault(undo_ms, FaultKind::Heal));
                    }
                }
                _ => {
                    let mut set = fault(at_ms, FaultKind::SetNetwork);
                    set.drop_probability = Some(rng.range_inclusive(0, 400_000) as f64 / 1e6);
                    set.duplicate_probability = Some(rng.range_inclusive(0, 200_000) as f64 / 1e6);
                    faults.push(set);
                }
            }
        }
    }
    // The phase boundary: everything undone at once.
    faults.push(fault(heal_ms, FaultKind::Heal));
    if kinds.contains(&FaultKind::SetNetwork) {
        let mut restore = fault(heal_ms, FaultKind::SetNetwork);
        restore.drop_probability = Some(network.drop_probability.unwrap_or(0.0));
        restore.duplicate_probability = Some(network.duplicate_probability.unwrap_or(0.0));
        faults.push(restore);
    }
    if kinds.contains(&FaultKind::Crash) {
        for id in 0..nodes {
            let mut restart = fault(heal_ms, FaultKind::Restart);
            restart.node = Some(SelectorFile::Id(id));
            faults.push(restart);
        }
    }
    // Stable: equal times keep the order they were drawn in, as the engine would.
    faults.sort_by_key(|fault| fault.at_ms);
    faults
}

/// The residual fault of the liveness phase: right after the heal, every link into the
/// leader is cut for good while it can still send. The others stay a majority connected both
/// ways, so a leader that steps down when it hears no quorum (Raft's CheckQuorum) is
/// replaced; one that never does keeps its followers loyal with heartbeats and nothing
/// commits. Only for protocols that replace such a leader (`Hosted::replaces_deaf_leader`),
/// and only with 5 or more nodes, so the others keep a vote to spare (with 4, split votes
/// among the 3 left can outlast the bound). No live leader at the heal resolves to no cut,
/// and the phase is clean.
fn residual_cut_into_leader(heal_ms: u64, nodes: u64) -> FaultFile {
    let mut cut = fault(heal_ms, FaultKind::Cut);
    cut.from = Some((0..nodes).map(SelectorFile::Id).collect());
    cut.to = Some(vec![SelectorFile::Leader]);
    cut
}

fn restart_crashed(at_ms: u64) -> FaultFile {
    let mut restart = fault(at_ms, FaultKind::Restart);
    restart.node = Some(SelectorFile::Crashed);
    restart
}

fn crash_leader(at_ms: u64) -> FaultFile {
    let mut crash = fault(at_ms, FaultKind::Crash);
    crash.node = Some(SelectorFile::Leader);
    crash
}

/// Leader churn, the Figure 8 shape: the leader is partitioned with one follower (under the
/// workload it appends entries only that pair stores), crashes, the partition heals and the
/// leader restarts soon after; then the next one or two leaders crash soon after their
/// election and restart too, so old leaders come back and are re-elected while the logs
/// disagree. Steps past the end of the safety phase are left out.
fn leader_churn(rng: &mut Prng, at_ms: u64, heal_ms: u64, faults: &mut Vec<FaultFile>) {
    let mut at_ms = at_ms;
    let mut pair = fault(at_ms, FaultKind::Partition);
    pair.groups = Some(vec![
        vec![SelectorFile::Leader, SelectorFile::Follower],
        vec![SelectorFile::Rest],
    ]);
    faults.push(pair);
    at_ms += rng.range_inclusive(50, 800);
    for step in 0..rng.range_inclusive(2, 5) {
        if at_ms >= heal_ms {
            break;
        }
        faults.push(crash_leader(at_ms));
        if step == 0 {
            faults.push(fault(at_ms, FaultKind::Heal));
        }
        let restart_ms = at_ms + rng.range_inclusive(10, 400);
        if restart_ms < heal_ms {
            faults.push(restart_crashed(restart_ms));
        }
        // Half the time a train of leader isolations follows, every few milliseconds for a
        // while, then a heal: the next leader is cut off within a round trip of its election,
        // so its first entries (in flight, and cut with it) stay on it alone. (A crash would
        // not do: what a node sent before it crashed is still delivered.)
        if rng.below(2) == 0 {
            let period_ms = rng.range_inclusive(2, 20);
            let train_end_ms = at_ms + rng.range_inclusive(200, 1_000);
            let mut isolate_ms = at_ms + period_ms;
            while isolate_ms < train_end_ms.min(heal_ms) {
                let mut isolate = fault(isolate_ms, FaultKind::Isolate);
                isolate.node = Some(SelectorFile::Leader);
                faults.push(isolate);
                isolate_ms += period_ms;
            }
            faults.push(fault(train_end_ms.min(heal_ms), FaultKind::Heal));
            at_ms = train_end_ms;
        }
        // The next crash lands while the next leader catches followers up.
        at_ms += rng.range_inclusive(150, 900);
    }
}

/// A voter restarting mid-election: the leader crashes, and around the election that follows
/// (an election timeout later) a follower or a random node crashes and restarts within a few
/// milliseconds, between granting a vote and the next request of the same term; a round or
/// two more follow. "Restart crashed" takes the node down longest, so each round first
/// brings back the one before (the leader, then the last voter), then takes its voter down.
fn voter_restart(rng: &mut Prng, at_ms: u64, heal_ms: u64, faults: &mut Vec<FaultFile>) {
    faults.push(crash_leader(at_ms));
    let mut voter_ms = at_ms;
    for _ in 0..rng.range_inclusive(1, 3) {
        voter_ms += rng.range_inclusive(100, 400);
        let back_ms = voter_ms + rng.range_inclusive(1, 60);
        if back_ms >= heal_ms {
            break;
        }
        faults.push(restart_crashed(voter_ms));
        let mut crash = fault(voter_ms, FaultKind::Crash);
        crash.node = Some(if rng.below(2) == 0 {
            SelectorFile::Follower
        } else {
            SelectorFile::Random
        });
        faults.push(crash);
        faults.push(restart_crashed(back_ms));
        voter_ms = back_ms;
    }
}

/// Two or three groups of ids, or the leader alone against the rest.
fn partition_shape(rng: &mut Prng, nodes: u64) -> Vec<Vec<SelectorFile>> {
    if nodes < 2 || rng.below(4) == 0 {
        return vec![vec![SelectorFile::Leader], vec![SelectorFile::Rest]];
    }
    let ids = shuffled_ids(rng, nodes);
    let groups = if nodes >= 3 && rng.below(3) == 0 {
        3
    } else {
        2
    };
    let mut cuts: Vec<usize> = Vec::new();
    while cuts.len() < groups - 1 {
        let cut = 1 + rng.index(ids.len() - 1);
        if !cuts.contains(&cut) {
            cuts.push(cut);
        }
    }
    cuts.sort_unstable();
    let mut shape = Vec::new();
    let mut start = 0;
    for cut in cuts.into_iter().chain(std::iter::once(ids.len())) {
        shape.push(ids[start..cut].to_vec());
        start = cut;
    }
    shape
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    fn base() -> ScenarioFile {
        let text = include_str!("../../scenarios/fuzz/raft-base.json");
        scenario::parse_file(&Registry::builtin(), "raft-base.json", text)
            .expect("the bundled base parses")
    }

    /// One seed's run from `base`, whose protocol is built in.
    fn generate_run(base: &ScenarioFile, seed: u64) -> GeneratedRun {
        let registry = Registry::builtin();
        let protocol = registry
            .lookup(&base.protocol)
            .expect("a built-in protocol");
        super::generate_run(protocol, base, seed).expect("the base is valid")
    }

    fn generate(base: &ScenarioFile, seed: u64) -> ScenarioFile {
        generate_run(base, seed).file
    }

    fn parse(text: &str) -> Result<crate::scenario::Scenario, crate::scenario::ScenarioError> {
        scenario::parse(&Registry::builtin(), "generated.json", text)
    }

    fn raft_section(file: &ScenarioFile) -> crate::raft::RaftSection {
        serde_json::from_value(file.section().expect("a Raft section").clone())
            .expect("a Raft section")
    }

    #[test]
    fn every_generated_scenario_validates_and_stays_within_the_base() {
        let base = base();
        for seed in 0..300 {
            let file = generate(&base, seed);
            let text = serde_json::to_string(&file).unwrap();
            let scenario = parse(&text).unwrap_or_else(|error| panic!("seed {seed}: {error}"));
            assert!(file.nodes >= 3 && file.nodes <= base.nodes, "seed {seed}");
            assert_eq!(scenario.sim.seed, seed);
            let heal_ms = base.duration_ms - liveness_window_ms(&base);
            assert!(
                file.faults.iter().all(|f| f.at_ms <= heal_ms),
                "seed {seed}"
            );
            assert_eq!(file.faults.last().map(|f| f.at_ms), Some(heal_ms));
        }
    }

    #[test]
    fn a_seed_always_derives_the_same_scenario_and_seeds_differ() {
        let base = base();
        let first = serde_json::to_string(&generate(&base, 7)).unwrap();
        assert_eq!(first, serde_json::to_string(&generate(&base, 7)).unwrap());
        let shapes: std::collections::BTreeSet<String> = (0..20)
            .map(|seed| {
                let file = generate(&base, seed);
                format!("{} {}", file.nodes, file.faults.len())
            })
            .collect();
        assert!(shapes.len() > 5, "{shapes:?}");
    }

    #[test]
    fn the_swarm_uses_every_kind_and_one_way_cuts() {
        let base = base();
        let mut seen = Vec::new();
        for seed in 0..50 {
            for fault in generate(&base, seed).faults {
                if !seen.contains(&fault.action) {
                    seen.push(fault.action);
                }
            }
        }
        for kind in KINDS.iter().chain(&[FaultKind::Restart, FaultKind::Heal]) {
            assert!(seen.contains(kind), "{kind:?} never generated");
        }
    }

    #[test]
    fn half_the_fle_seeds_keep_the_safety_phase_idle() {
        let text = include_str!("../../scenarios/fuzz/fle-base.json");
        let base = scenario::parse_file(&Registry::builtin(), "fle-base.json", text)
            .expect("the bundled base parses");
        let heal_ms = base.duration_ms - liveness_window_ms(&base);
        let mut idle = 0;
        for seed in 0..100 {
            let file = generate(&base, seed);
            let text = serde_json::to_string(&file).unwrap();
            parse(&text).unwrap_or_else(|error| panic!("seed {seed}: {error}"));
            let start_ms = file.workload.expect("the base has a workload").start_ms;
            if start_ms >= heal_ms {
                idle += 1;
            } else {
                assert_eq!(start_ms, base.workload.as_ref().unwrap().start_ms);
            }
        }
        assert!((30..=70).contains(&idle), "{idle} of 100 idle");
    }

    #[test]
    fn the_residual_cut_comes_only_with_check_quorum_and_pre_vote() {
        let base = base();
        let mut residual = 0;
        for seed in 0..200 {
            let file = generate(&base, seed);
            let raft = raft_section(&file);
            let heal_ms = base.duration_ms - liveness_window_ms(&base);
            let last = file.faults.last().expect("the heal");
            let cut_into_leader = last.action == FaultKind::Cut
                && last.to == Some(vec![SelectorFile::Leader])
                && last.at_ms == heal_ms;
            if cut_into_leader {
                residual += 1;
                assert_eq!(raft.check_quorum, Some(true), "seed {seed}");
                assert_eq!(raft.pre_vote, Some(true), "seed {seed}");
                assert!(file.nodes >= 5, "seed {seed}");
            }
        }
        assert!(residual > 5, "{residual} residual cuts");
    }

    #[test]
    fn leader_churn_and_voter_restarts_are_drawn() {
        let base = base();
        let (mut isolate_leader, mut pair, mut one_entry) = (0, 0, 0);
        for seed in 0..200 {
            let file = generate(&base, seed);
            if raft_section(&file).max_entries_per_append == Some(1) {
                one_entry += 1;
            }
            for fault in &file.faults {
                if fault.action == FaultKind::Isolate && fault.node == Some(SelectorFile::Leader) {
                    isolate_leader += 1;
                }
                let leader_pair = vec![SelectorFile::Leader, SelectorFile::Follower];
                if fault.groups.as_ref().is_some_and(|g| g[0] == leader_pair) {
                    pair += 1;
                }
            }
        }
        assert!(isolate_leader > 0 && pair > 0 && one_entry > 0);
    }

    #[test]
    fn the_base_faults_choose_the_kinds() {
        let mut base = base();
        base.faults = vec![fault(100, FaultKind::Cut)];
        base.faults[0].from = Some(vec![SelectorFile::Id(0)]);
        base.faults[0].to = Some(vec![SelectorFile::Id(1)]);
        for seed in 0..30 {
            for fault in generate(&base, seed).faults {
                assert!(
                    matches!(fault.action, FaultKind::Cut | FaultKind::Heal),
                    "seed {seed}: {fault:?}"
                );
            }
        }
    }
}
