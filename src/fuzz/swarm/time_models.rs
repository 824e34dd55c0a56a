//! A seed's disks and clocks, drawn inside the base's bounds.

use super::faults::{fault, victim};
use super::{pair_within, FIRST_FAULT_MS};
use crate::prng::Prng;
use crate::scenario::file::{ClocksFile, FaultKind, ScenarioFile, SelectorFile, StorageFile};

/// Half the seeds of a base with a `storage` section get a disk whose writes take a time
/// drawn within the base's range, and sometimes a disk that slows down for a while; half
/// of those with `clocks` get drifting, jittery clocks within the base's bounds, and
/// sometimes a clock that is skewed or jumps. The others keep instant disks and perfect
/// clocks.
pub(super) fn time_models(
    rng: &mut Prng,
    base: &ScenarioFile,
    file: &mut ScenarioFile,
    heal_ms: u64,
) {
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

/// On a seed whose disk takes time, half the leader crashes are followed by a **write-loss
/// storm** through the election after them: every few milliseconds a node whose writes are
/// not yet on disk crashes and is back a millisecond or two later, having lost them — the
/// crash between a reply and the write it depends on, where "persist before reply" is
/// tested. Drawn after everything else, so a seed with an instant disk is the run it was
/// without it.
pub(super) fn write_loss_storms(rng: &mut Prng, file: &mut ScenarioFile, heal_ms: u64) {
    if file
        .storage
        .as_ref()
        .is_none_or(|storage| storage.write_ms_max == 0)
    {
        return;
    }
    let leader_crashes: Vec<u64> = file
        .faults
        .iter()
        .filter(|fault| {
            fault.action == FaultKind::Crash && fault.node == Some(SelectorFile::Leader)
        })
        .map(|fault| fault.at_ms)
        .collect();
    let mut storm = Vec::new();
    for crash_ms in leader_crashes {
        if rng.below(2) != 0 {
            continue;
        }
        let period_ms = rng.range_inclusive(2, 15);
        let end_ms = (crash_ms + rng.range_inclusive(100, 1_000)).min(heal_ms);
        let mut at_ms = crash_ms + rng.range_inclusive(1, period_ms);
        while at_ms + 3 < end_ms {
            let mut crash = fault(at_ms, FaultKind::Crash);
            crash.node = Some(SelectorFile::Writing);
            storm.push(crash);
            storm.push(super::faults::restart_crashed(
                at_ms + rng.range_inclusive(1, 3),
            ));
            at_ms += period_ms;
        }
    }
    if !storm.is_empty() {
        file.faults.extend(storm);
        file.faults.sort_by_key(|fault| fault.at_ms);
    }
}
