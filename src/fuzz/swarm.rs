//! Swarm generation: one seed derives one whole run from a base scenario — node count,
//! timings, which fault kinds are on and how often they strike, the fault schedule itself —
//! so that across seeds the campaign explores different mixes instead of one average one.
//!
//! How a base scenario expresses bounds (documented in README.md, "Fuzzing"):
//! - `nodes` is the largest cluster; each seed draws 3..=nodes (1..=nodes below 3).
//! - `duration_ms` is the run length. The last [`liveness_window_ms`] of it is the liveness
//!   phase; faults strike only before it (the safety phase).
//! - every `*_ms_min`/`*_ms_max` pair (election timeouts, latency, workload intervals) is the
//!   range each seed draws its own pair from; `heartbeat_interval_ms` is the largest heartbeat.
//! - `drop_probability` and `duplicate_probability` are the largest base rates.
//! - `raft.pre_vote`/`raft.check_quorum` set are kept; left out, each seed draws them.
//! - FLE: half the seeds hold the workload back until the heal, so the safety phase is idle.
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
//! - Raft seeds whose base leaves `max_entries_per_append` out draw it: a third ship one entry
//!   per AppendEntries, a third 2-8, a third the default (catch-up then holds old-term
//!   entries on a majority for many round trips, the window Figure 8 needs).
//!
//! At the phase boundary every fault is undone at once: `heal`, the network back to the
//! seed's own settings, and a `restart` of every node id (a restart of a live node is
//! skipped). That boundary is the last fault, which the liveness expectations count from.
//! One **residual fault** may stay: on Raft seeds of 5+ nodes with CheckQuorum and PreVote
//! both on, half of them cut every link into the leader right after the heal (`cut` from every id to
//! `leader`), for good. The others stay a majority connected both ways, so correct Raft
//! replaces that leader; one that never steps down keeps its followers loyal and the
//! liveness expectations fail. FLE seeds never get it (the gate is Raft's CheckQuorum).

use crate::fle::FleConfig;
use crate::prng::{Prng, Stream};
use crate::scenario::file::{
    ExpectFile, FaultFile, FaultKind, FleFile, NetworkFile, ProtocolName, RaftFile, ScenarioFile,
    SelectorFile, WorkloadFile,
};
use crate::time::US_PER_MS;

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

/// Why a base scenario cannot be fuzzed; the field and the reason.
pub fn check_base(base: &ScenarioFile) -> Result<(), (String, String)> {
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
pub fn generate(base: &ScenarioFile, seed: u64) -> ScenarioFile {
    generate_run(base, seed).file
}

/// One seed's scenario and the fault kinds it turned on (a kind can be on and still never
/// strike, so the file alone does not say).
pub struct GeneratedRun {
    pub file: ScenarioFile,
    /// In [`KINDS`] order.
    pub fault_kinds: Vec<FaultKind>,
}

/// [`generate`], keeping the fault kinds the seed turned on.
pub fn generate_run(base: &ScenarioFile, seed: u64) -> GeneratedRun {
    let mut rng = Prng::new(seed, SWARM_STREAM);
    let nodes = rng.range_inclusive(base.nodes.min(3), base.nodes);
    // Saturating: a base [`check_base`] refuses still generates, with no safety phase.
    let heal_ms = base.duration_ms.saturating_sub(liveness_window_ms(base));
    let network = network(&mut rng, &base.network);
    let mut file = ScenarioFile {
        version: base.version,
        name: format!("{}-seed-{seed}", protocol_label(base.protocol)),
        description: format!(
            "Generated by `quorumsim fuzz` from seed {seed} of base `{}`: faults until {heal_ms} ms, \
             then everything healed and restarted.",
            base.name
        ),
        protocol: base.protocol,
        nodes,
        seed,
        duration_ms: base.duration_ms,
        max_steps: base.max_steps,
        max_in_flight: base.max_in_flight,
        raft: None,
        fle: None,
        network: network.clone(),
        workload: base
            .workload
            .as_ref()
            .map(|workload| workload_within(&mut rng, workload)),
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
    // One arm per protocol: its own section, drawn within the base's.
    match base.protocol {
        ProtocolName::Raft => {
            file.raft = Some(raft_within(&mut rng, base.raft.as_ref()));
        }
        ProtocolName::Fle => {
            file.fle = Some(fle_within(&mut rng, base.fle.as_ref()));
            if let Some(workload) = file.workload.as_mut() {
                fle_workload_within(&mut rng, workload, heal_ms);
            }
        }
    }
    let fault_kinds = enabled_kinds(&mut rng, base);
    file.faults = fault_schedule(&mut rng, &fault_kinds, nodes, heal_ms, &network);
    // Drawn last, so it leaves every other draw of the seed as it was.
    // The others must keep a vote to spare: with none (3 or 4 nodes) every election after
    // the cut needs each of them, and split votes and loss can outlast the bound.
    let spare_vote = nodes - 1 > nodes / 2 + 1;
    let guarded = spare_vote
        && file
            .raft
            .as_ref()
            .is_some_and(|raft| raft.check_quorum == Some(true) && raft.pre_vote == Some(true));
    if guarded && rng.below(2) == 0 {
        file.faults.push(residual_cut_into_leader(heal_ms, nodes));
    }
    GeneratedRun { file, fault_kinds }
}

/// The protocol's name as files and commands spell it.
pub fn protocol_label(protocol: ProtocolName) -> &'static str {
    match protocol {
        ProtocolName::Raft => "raft",
        ProtocolName::Fle => "fle",
    }
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

/// FLE's section: each timing drawn between half the base's (or the default's) and all of it,
/// so seeds explore short finalize waits and tight sync limits; start-up histories and the
/// bug are the base's.
fn fle_within(rng: &mut Prng, base: Option<&FleFile>) -> FleFile {
    let base = base.cloned().unwrap_or_default();
    let defaults = FleConfig::default();
    let mut upto = |value: Option<u64>, default_us: u64| {
        let max = value.unwrap_or(default_us / US_PER_MS).max(1);
        Some(rng.range_inclusive(max.div_ceil(2), max))
    };
    let finalize_wait_ms = upto(base.finalize_wait_ms, defaults.finalize_wait_us);
    let notification_timeout_ms_initial = upto(
        base.notification_timeout_ms_initial,
        defaults.notification_timeout_us_initial,
    );
    let ping_interval_ms = upto(base.ping_interval_ms, defaults.ping_interval_us);
    // The sync limit stays above two ping intervals, or a healthy follower looks dead.
    let sync_timeout_ms = upto(base.sync_timeout_ms, defaults.sync_timeout_us)
        .map(|sync| sync.max(2 * ping_interval_ms.unwrap_or(1) + 1));
    FleFile {
        finalize_wait_ms,
        notification_timeout_ms_initial,
        notification_timeout_ms_max: base.notification_timeout_ms_max,
        ping_interval_ms,
        sync_timeout_ms,
        init_timeout_ms: base.init_timeout_ms,
        initial_history_lengths: None,
        // A bug the base (or `--bug`) names is part of every run drawn from it.
        bug: base.bug.clone(),
    }
}

/// FLE's workload: half the seeds keep it; the other half hold it back until the heal, so
/// the whole safety phase is idle. Idle epochs are where FLE's vote order is tested hardest:
/// elections then move the epoch while every last zxid stays equal, so only the epoch tells
/// an up-to-date server from a stale one (the ZOOKEEPER-1419 case), which continuous load
/// almost never produces.
fn fle_workload_within(rng: &mut Prng, workload: &mut WorkloadFile, heal_ms: u64) {
    let idle = rng.below(2) == 0;
    // A workload that stops before the heal stays as it is: held back, it would never start.
    if idle && workload.stop_ms.is_none_or(|stop_ms| stop_ms > heal_ms) {
        workload.start_ms = workload.start_ms.max(heal_ms);
    }
}

fn raft_within(rng: &mut Prng, base: Option<&RaftFile>) -> RaftFile {
    let base = base.cloned().unwrap_or_default();
    let lo = base.election_timeout_ms_min.unwrap_or(150);
    let hi = base.election_timeout_ms_max.unwrap_or(300).max(lo);
    // The spread stays at least half the base's: a narrow one (a few ms against tens of ms
    // of latency) livelocks elections by design, which is not news.
    let timeout_min = rng.range_inclusive(lo, lo + (hi - lo) / 2);
    let timeout_max = rng.range_inclusive(timeout_min + (hi - lo) / 2, hi);
    let heartbeat_max = base
        .heartbeat_interval_ms
        .unwrap_or(50)
        .min(timeout_min.saturating_sub(1))
        .max(1);
    let heartbeat = rng.range_inclusive(heartbeat_max.div_ceil(2), heartbeat_max);
    let mut flag = |set: Option<bool>| Some(set.unwrap_or_else(|| rng.below(2) == 0));
    RaftFile {
        election_timeout_ms_min: Some(timeout_min),
        election_timeout_ms_max: Some(timeout_max),
        heartbeat_interval_ms: Some(heartbeat),
        pre_vote: flag(base.pre_vote),
        check_quorum: flag(base.check_quorum),
        // Left out, a third of the seeds ship one entry per AppendEntries and a third a few:
        // a leader catching a follower up then holds old-term entries on a majority for many
        // round trips before its own no-op follows (the Figure 8 window).
        max_entries_per_append: base.max_entries_per_append.or_else(|| match rng.below(3) {
            0 => Some(1),
            1 => Some(rng.range_inclusive(2, 8)),
            _ => None,
        }),
        // A bug the base (or `--bug`) names is part of every run drawn from it.
        bug: base.bug.clone(),
    }
}

/// The kinds this seed turns on: a random non-empty subset of those the base allows.
fn enabled_kinds(rng: &mut Prng, base: &ScenarioFile) -> Vec<FaultKind> {
    let allowed: Vec<FaultKind> = KINDS
        .iter()
        .copied()
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
/// ways, so a leader that steps down when it hears no quorum (CheckQuorum) is replaced; one
/// that never does keeps its followers loyal with heartbeats and nothing commits. Only with
/// CheckQuorum and PreVote both on: without CheckQuorum correct Raft stalls the same way, by
/// design; without PreVote the cut node, often holding the longest log, wins votes it never
/// hears and bumps the term on every timeout, which stalls correct Raft too (seen on 8 of
/// 10,000 seeds). Only with 5 or more nodes, so the others keep a vote to spare (a 4-node
/// seed stalled on split votes among the 3 left). No live leader at the heal resolves to no
/// cut, and the phase is clean.
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
        scenario::parse_file("raft-base.json", text).expect("the bundled base parses")
    }

    #[test]
    fn every_generated_scenario_validates_and_stays_within_the_base() {
        let base = base();
        for seed in 0..300 {
            let file = generate(&base, seed);
            let text = serde_json::to_string(&file).unwrap();
            let scenario = scenario::parse("generated.json", &text)
                .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
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
        let base = scenario::parse_file("fle-base.json", text).expect("the bundled base parses");
        let heal_ms = base.duration_ms - liveness_window_ms(&base);
        let mut idle = 0;
        for seed in 0..100 {
            let file = generate(&base, seed);
            let text = serde_json::to_string(&file).unwrap();
            scenario::parse("generated.json", &text)
                .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
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
            let raft = file.raft.as_ref().expect("a Raft section");
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
            if file
                .raft
                .as_ref()
                .and_then(|raft| raft.max_entries_per_append)
                == Some(1)
            {
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
