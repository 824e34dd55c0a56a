//! The time models in a scenario file: storage write latency, clock drift and timer jitter,
//! connection-oriented links, and the faults that act on them. Good sections become the
//! engine's models; each bad one is named by field with its reason.

use super::{assert_rejected, parse, with};
use crate::protocol::NodeId;
use crate::sim::{ClockModel, Connections, FaultAction, Selector, StorageModel};

/// The minimal scenario with `storage` and `faults` set to raw JSON.
fn with_storage_and_faults(storage: &str, faults: &str) -> String {
    format!(
        r#"{{"version": 1, "protocol": "raft", "nodes": 3, "seed": 7, "duration_ms": 1000, "storage": {storage}, "faults": {faults}}}"#
    )
}

#[test]
fn time_model_sections_become_the_engine_s_models() {
    let scenario = parse(
        "ok.json",
        &with_storage_and_faults(r#"{"write_ms_min": 1, "write_ms_max": 5}"#, "[]"),
    )
    .expect("valid storage");
    assert_eq!(
        scenario.sim.storage,
        StorageModel {
            write_us_min: 1_000,
            write_us_max: 5_000
        }
    );
    let text = with(
        "clocks",
        r#"{"drift_ppm_max": 100, "timer_jitter_us_max": 150}"#,
    );
    let scenario = parse("ok.json", &text).expect("valid clocks");
    assert_eq!(
        scenario.sim.clocks,
        ClockModel {
            drift_ppm_max: 100,
            timer_jitter_us_max: 150
        }
    );
    let scenario = parse("ok.json", &with("network", r#"{"mode": "stream"}"#)).expect("stream");
    assert_eq!(scenario.sim.connections, Connections::Stream);
}

#[test]
fn a_scenario_without_time_models_keeps_ideal_time() {
    let scenario = parse("ok.json", &with("network", r#"{"latency_ms_min": 1}"#)).expect("ok");
    assert!(scenario.sim.storage.is_instant());
    assert_eq!(scenario.sim.clocks, ClockModel::default());
    assert_eq!(scenario.sim.connections, Connections::Datagram);
}

#[test]
fn bad_time_model_sections_are_rejected_by_field() {
    assert_rejected(
        &with("storage", r#"{"write_ms_min": 5, "write_ms_max": 1}"#),
        "storage.write_ms_max",
        "1 is below write_ms_min 5",
    );
    assert_rejected(
        &with(
            "storage",
            r#"{"write_ms_min": 1, "write_ms_max": 86400001}"#,
        ),
        "storage.write_ms_max",
        "must be at most 86400000",
    );
    assert_rejected(
        &with("storage", r#"{"write_ms": 3}"#),
        "storage.write_ms",
        "unknown field `write_ms`",
    );
    assert_rejected(
        &with("clocks", r#"{"drift_ppm_max": 100001}"#),
        "clocks.drift_ppm_max",
        "must be at most 100000",
    );
    assert_rejected(
        &with("clocks", r#"{"timer_jitter_us_max": 1000001}"#),
        "clocks.timer_jitter_us_max",
        "must be at most 1000000",
    );
    assert_rejected(
        &with("network", r#"{"mode": "carrier-pigeon"}"#),
        "network.mode",
        "unknown variant `carrier-pigeon`",
    );
}

#[test]
fn stream_links_refuse_loss_and_duplication_wherever_it_is_asked() {
    let reason = "stream links lose and duplicate nothing";
    assert_rejected(
        &with("network", r#"{"mode": "stream", "drop_probability": 0.1}"#),
        "network.drop_probability",
        reason,
    );
    assert_rejected(
        &with(
            "network",
            r#"{"mode": "stream", "duplicate_probability": 0.1}"#,
        ),
        "network.duplicate_probability",
        reason,
    );
    let text = r#"{"version": 1, "protocol": "raft", "nodes": 3, "seed": 7, "duration_ms": 1000,
        "network": {"mode": "stream"},
        "faults": [{"action": "set-network", "at_ms": 10, "drop_probability": 0.2}]}"#;
    assert_rejected(text, "faults[0].drop_probability", reason);
}

#[test]
fn time_faults_parse_and_bad_ones_are_rejected_by_field() {
    let storage = r#"{"write_ms_min": 1, "write_ms_max": 2}"#;
    let faults = r#"[
        {"action": "slow-disk", "at_ms": 10, "node": 1, "factor": 20},
        {"action": "clock-skew", "at_ms": 20, "node": "leader", "drift_ppm": -500},
        {"action": "clock-jump", "at_ms": 30, "node": 2, "by_ms": -40}
    ]"#;
    let scenario = parse("ok.json", &with_storage_and_faults(storage, faults)).expect("ok");
    let actions: Vec<&FaultAction> = scenario.sim.faults.iter().map(|f| &f.action).collect();
    assert_eq!(
        actions,
        [
            &FaultAction::SlowDisk {
                node: Selector::Node(NodeId(1)),
                factor: 20
            },
            &FaultAction::ClockSkew {
                node: Selector::Leader,
                drift_ppm: -500
            },
            &FaultAction::ClockJump {
                node: Selector::Node(NodeId(2)),
                by_us: -40_000
            },
        ]
    );
    let one = |fault: &str| with_storage_and_faults(storage, &format!("[{fault}]"));
    assert_rejected(
        &one(r#"{"action": "slow-disk", "at_ms": 1, "node": 1, "factor": 0}"#),
        "faults[0].factor",
        "must be between 1 (normal speed) and 10000, got 0",
    );
    assert_rejected(
        &one(r#"{"action": "clock-skew", "at_ms": 1, "node": 1, "drift_ppm": 200000}"#),
        "faults[0].drift_ppm",
        "must be between -100000 and 100000, got 200000",
    );
    assert_rejected(
        &one(r#"{"action": "clock-jump", "at_ms": 1, "node": 1, "by_ms": 0}"#),
        "faults[0].by_ms",
        "must be a jump of 1 to",
    );
    assert_rejected(
        &one(r#"{"action": "clock-jump", "at_ms": 1, "node": 1}"#),
        "faults[0].by_ms",
        "required by action \"clock-jump\"",
    );
}

#[test]
fn a_slow_disk_fault_needs_a_disk_that_takes_time() {
    assert_rejected(
        &with(
            "faults",
            r#"[{"action": "slow-disk", "at_ms": 1, "node": 0, "factor": 3}]"#,
        ),
        "faults[0].action",
        "slow-disk needs a storage model whose writes take time",
    );
}

#[test]
fn the_writing_selector_needs_a_disk_that_takes_time_and_a_live_node() {
    let crash = r#"[{"action": "crash", "at_ms": 1, "node": "writing"}]"#;
    let scenario = parse(
        "ok.json",
        &with_storage_and_faults(r#"{"write_ms_min": 1, "write_ms_max": 5}"#, crash),
    )
    .expect("a crash of a writing node with a disk that takes time");
    assert_eq!(
        scenario.sim.faults[0].action,
        FaultAction::Crash(Selector::Writing)
    );
    assert_rejected(
        &with("faults", crash),
        "faults[0].node",
        "\"writing\" needs a storage model whose writes take time",
    );
    assert_rejected(
        &with_storage_and_faults(
            r#"{"write_ms_min": 1, "write_ms_max": 5}"#,
            r#"[{"action": "cut", "at_ms": 1, "from": [0], "to": ["writing"]}]"#,
        )
        .replace(r#""storage": {"write_ms_min": 1, "write_ms_max": 5}, "#, ""),
        "faults[0].to",
        "\"writing\" needs a storage model",
    );
    assert_rejected(
        &with_storage_and_faults(
            r#"{"write_ms_min": 1, "write_ms_max": 5}"#,
            r#"[{"action": "restart", "at_ms": 1, "node": "writing"}]"#,
        ),
        "faults[0].node",
        "\"writing\" cannot be used with restart",
    );
}
