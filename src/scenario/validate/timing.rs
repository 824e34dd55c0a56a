//! Where time goes besides the network: the storage model (how long durable writes take)
//! and the clock model (how each node's clock drifts and its timers jitter).

use super::{invalid, ms_setting, Checked};
use crate::scenario::file::{ClocksFile, FaultKind, ScenarioFile, StorageFile};
use crate::sim::{ClockModel, StorageModel};
use crate::time::ms;

/// The largest timer jitter a scenario may ask for: a second.
const TIMER_JITTER_US_MAX: u64 = 1_000_000;

pub(super) fn storage_model(raw: Option<&StorageFile>) -> Checked<StorageModel> {
    let Some(raw) = raw else {
        return Ok(StorageModel::default());
    };
    let write_ms_min = ms_setting("storage.write_ms_min", raw.write_ms_min)?;
    let write_ms_max = ms_setting("storage.write_ms_max", raw.write_ms_max)?;
    if write_ms_max < write_ms_min {
        return invalid(
            "storage.write_ms_max",
            format!("{write_ms_max} is below write_ms_min {write_ms_min}"),
        );
    }
    Ok(StorageModel {
        write_us_min: ms(write_ms_min),
        write_us_max: ms(write_ms_max),
    })
}

pub(super) fn clock_model(raw: Option<&ClocksFile>) -> Checked<ClockModel> {
    let Some(raw) = raw else {
        return Ok(ClockModel::default());
    };
    if raw.drift_ppm_max > ClockModel::DRIFT_PPM_LIMIT {
        return invalid(
            "clocks.drift_ppm_max",
            format!(
                "must be at most {} (a clock ten percent off is broken, not drifting), got {}",
                ClockModel::DRIFT_PPM_LIMIT,
                raw.drift_ppm_max
            ),
        );
    }
    if raw.timer_jitter_us_max > TIMER_JITTER_US_MAX {
        return invalid(
            "clocks.timer_jitter_us_max",
            format!(
                "must be at most {TIMER_JITTER_US_MAX} (a second), got {}",
                raw.timer_jitter_us_max
            ),
        );
    }
    Ok(ClockModel {
        drift_ppm_max: raw.drift_ppm_max,
        timer_jitter_us_max: raw.timer_jitter_us_max,
    })
}

/// A `slow-disk` fault slows writes that take time, and `"writing"` names a node whose writes
/// are not yet on disk: with an instant disk neither could do anything, which is a mistake
/// in the file rather than a fault to skip.
pub(super) fn faults_fit_models(raw: &ScenarioFile, storage: &StorageModel) -> Checked<()> {
    if !storage.is_instant() {
        return Ok(());
    }
    const NEEDS_STORAGE: &str =
        "needs a storage model whose writes take time (a `storage` section with write_ms_max above 0)";
    for (index, fault) in raw.faults.iter().enumerate() {
        if fault.action == FaultKind::SlowDisk {
            return invalid(
                &format!("faults[{index}].action"),
                format!("slow-disk {NEEDS_STORAGE}"),
            );
        }
        if let Some(field) = fault.writing_selector_field() {
            return invalid(
                &format!("faults[{index}].{field}"),
                format!("\"writing\" {NEEDS_STORAGE}"),
            );
        }
    }
    Ok(())
}
