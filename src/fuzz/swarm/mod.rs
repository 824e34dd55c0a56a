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
//! Links and time models, drawn apart from the rest so a seed that draws none of them is the
//! run it was without them: a base that names no `network.mode` gives a quarter of its seeds
//! stream links (nothing lost or duplicated, no loss bursts); a base with a `storage` or
//! `clocks` section gives half its seeds that model within its bounds (see `time_models`),
//! and on a seed whose disk takes time half the leader crashes are followed by a
//! **write-loss storm**: through the election after the crash, every few milliseconds a node
//! whose writes are not yet on disk (selector `writing`) crashes and is back a millisecond or
//! two later.
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
    ExpectFile, FaultKind, LinkModeFile, NetworkFile, ScenarioFile, WorkloadFile,
};
use faults::{enabled_kinds, fault_schedule, residual_cut_into_leader};
use time_models::{time_models, write_loss_storms};

/// The generator's own random stream: independent of every stream the engine draws from.
const SWARM_STREAM: Stream = Stream::Custom(0x5357_4152);
/// The stream a seed's link mode is drawn from, apart from every other draw: a seed that
/// keeps datagram links is the run it was before link modes were drawn.
const LINK_MODE_STREAM: Stream = Stream::Custom(0x4c49_4e4b);

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
    let stream = match base.network.mode {
        Some(mode) => mode == LinkModeFile::Stream,
        None => Prng::new(seed, LINK_MODE_STREAM).below(4) == 0,
    };
    let network = network(&mut rng, &base.network, stream);
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
    let fault_kinds = enabled_kinds(&mut rng, base, stream);
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
    write_loss_storms(&mut rng, &mut file, heal_ms);
    let mut options = swarmed.options;
    options.push(("timed_storage", file.storage.is_some()));
    options.push(("drifting_clocks", file.clocks.is_some()));
    options.push(("stream_links", stream));
    Ok(GeneratedRun {
        file,
        fault_kinds,
        options,
    })
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

/// The seed's network inside the base's bounds. Stream links lose and duplicate nothing, so
/// a stream seed keeps none of the rates it drew.
fn network(rng: &mut Prng, base: &NetworkFile, stream: bool) -> NetworkFile {
    let lo = base.latency_ms_min.unwrap_or(1);
    let hi = base.latency_ms_max.unwrap_or(lo.max(10));
    let (latency_min, latency_max) = pair_within(rng, lo, hi.max(lo));
    let drop_probability = probability_within(rng, base.drop_probability);
    let duplicate_probability = probability_within(rng, base.duplicate_probability);
    if stream {
        return NetworkFile {
            mode: Some(LinkModeFile::Stream),
            latency_ms_min: Some(latency_min),
            latency_ms_max: Some(latency_max),
            drop_probability: None,
            duplicate_probability: None,
        };
    }
    NetworkFile {
        mode: base.mode,
        latency_ms_min: Some(latency_min),
        latency_ms_max: Some(latency_max),
        drop_probability,
        duplicate_probability,
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

mod faults;
#[cfg(test)]
mod tests;
mod time_models;
