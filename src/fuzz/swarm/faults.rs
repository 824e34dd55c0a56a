//! The fault schedule of a seed: which kinds it turns on, and the patterns each kind strikes
//! with (see the parent module's docs).

use super::{FIRST_FAULT_MS, KINDS};
use crate::prng::Prng;
use crate::scenario::file::{FaultFile, FaultKind, NetworkFile, ScenarioFile, SelectorFile};

/// The kinds this seed turns on: a random non-empty subset of those the base allows.
pub(super) fn enabled_kinds(rng: &mut Prng, base: &ScenarioFile, stream: bool) -> Vec<FaultKind> {
    // Connections lose nothing, so loss bursts are not theirs to have.
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

pub(super) fn fault(at_ms: u64, action: FaultKind) -> FaultFile {
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
pub(super) fn victim(rng: &mut Prng, nodes: u64) -> SelectorFile {
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

pub(super) fn fault_schedule(
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
pub(super) fn residual_cut_into_leader(heal_ms: u64, nodes: u64) -> FaultFile {
    let mut cut = fault(heal_ms, FaultKind::Cut);
    cut.from = Some((0..nodes).map(SelectorFile::Id).collect());
    cut.to = Some(vec![SelectorFile::Leader]);
    cut
}

pub(super) fn restart_crashed(at_ms: u64) -> FaultFile {
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
