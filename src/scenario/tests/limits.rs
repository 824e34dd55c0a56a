//! Numeric limits: millisecond values past one virtual day and probabilities too small or
//! too large to represent are rejected by field, and the edges that fit are kept.

use super::{assert_rejected, parse, with};

#[test]
fn millisecond_values_above_one_day_are_rejected_by_field() {
    let over = "86400001";
    let reason = "must be at most 86400000 (one virtual day), got 86400001";
    for (field, text) in [
        (
            "raft.election_timeout_ms_min",
            with("raft", &format!(r#"{{"election_timeout_ms_min": {over}}}"#)),
        ),
        (
            "raft.election_timeout_ms_max",
            with("raft", &format!(r#"{{"election_timeout_ms_max": {over}}}"#)),
        ),
        (
            "raft.heartbeat_interval_ms",
            with("raft", &format!(r#"{{"heartbeat_interval_ms": {over}}}"#)),
        ),
        (
            "network.latency_ms_min",
            with("network", &format!(r#"{{"latency_ms_min": {over}}}"#)),
        ),
        (
            "network.latency_ms_max",
            with("network", &format!(r#"{{"latency_ms_max": {over}}}"#)),
        ),
        (
            "workload.start_ms",
            with(
                "workload",
                &format!(r#"{{"start_ms": {over}, "interval_ms_min": 1, "interval_ms_max": 2}}"#),
            ),
        ),
        (
            "workload.stop_ms",
            with(
                "workload",
                &format!(r#"{{"stop_ms": {over}, "interval_ms_min": 1, "interval_ms_max": 2}}"#),
            ),
        ),
        (
            "workload.interval_ms_min",
            with(
                "workload",
                &format!(r#"{{"interval_ms_min": {over}, "interval_ms_max": 2}}"#),
            ),
        ),
        (
            "workload.interval_ms_max",
            with(
                "workload",
                &format!(r#"{{"interval_ms_min": 1, "interval_ms_max": {over}}}"#),
            ),
        ),
        (
            "faults[0].latency_ms_min",
            with(
                "faults",
                &format!(r#"[{{"action": "set-network", "at_ms": 5, "latency_ms_min": {over}}}]"#),
            ),
        ),
        (
            "faults[0].latency_ms_max",
            with(
                "faults",
                &format!(r#"[{{"action": "set-network", "at_ms": 5, "latency_ms_max": {over}}}]"#),
            ),
        ),
        (
            "expect.leader_within_ms",
            with("expect", &format!(r#"{{"leader_within_ms": {over}}}"#)),
        ),
    ] {
        assert_rejected(&text, field, reason);
    }
}

#[test]
fn saturating_millisecond_values_are_rejected_not_clamped() {
    // Each of these used to become u64::MAX microseconds after conversion.
    assert_rejected(
        &with(
            "raft",
            r#"{"election_timeout_ms_min": 18446744073709552, "election_timeout_ms_max": 18446744073709552, "heartbeat_interval_ms": 18446744073709551}"#,
        ),
        "raft.election_timeout_ms_min",
        "one virtual day",
    );
    assert_rejected(
        &with("raft", r#"{"heartbeat_interval_ms": 18446744073709551}"#),
        "raft.heartbeat_interval_ms",
        "one virtual day",
    );
    assert_rejected(
        &with("network", r#"{"latency_ms_min": 18446744073709551615}"#),
        "network.latency_ms_min",
        "one virtual day",
    );
}

#[test]
fn one_day_exactly_is_accepted() {
    let text = r#"{"version": 1, "protocol": "raft", "nodes": 3, "seed": 7, "duration_ms": 86400000,
        "network": {"latency_ms_min": 86400000, "latency_ms_max": 86400000},
        "workload": {"start_ms": 86400000, "stop_ms": 86400000, "interval_ms_min": 86400000, "interval_ms_max": 86400000},
        "expect": {"leader_within_ms": 86400000}}"#;
    let scenario = parse("ok.json", text).expect("one virtual day is allowed");
    assert_eq!(scenario.sim.links.latency_us_max, 86_400_000_000);
}

#[test]
fn probabilities_that_would_round_to_0_or_1_are_rejected() {
    for (p, rounds_to) in [
        ("0.0000001", "round to 0"),
        ("4.99999e-7", "round to 0"),
        ("1e-300", "round to 0"),
        ("0.9999999", "round to 1"),
        ("0.99999951", "round to 1"),
        // Exactly half a part per million below 1 rounds (half away from zero) to 1.
        ("0.9999995", "round to 1"),
    ] {
        for field in ["drop_probability", "duplicate_probability"] {
            let text = with("network", &format!(r#"{{"{field}": {p}}}"#));
            assert_rejected(&text, &format!("network.{field}"), rounds_to);
            assert_rejected(&text, &format!("network.{field}"), "one in a million");
            let text = with(
                "faults",
                &format!(r#"[{{"action": "set-network", "at_ms": 5, "{field}": {p}}}]"#),
            );
            assert_rejected(&text, &format!("faults[0].{field}"), "one in a million");
        }
    }
}

#[test]
fn representable_probabilities_are_kept() {
    for (p, ppm) in [
        ("0", 0),
        ("0.0", 0),
        ("0.0000005", 1),
        ("0.000001", 1),
        ("0.05", 50_000),
        ("0.999999", 999_999),
        ("1", 1_000_000),
        ("1.0", 1_000_000),
    ] {
        let text = with("network", &format!(r#"{{"drop_probability": {p}}}"#));
        let scenario = parse("ok.json", &text).unwrap_or_else(|error| panic!("{p}: {error}"));
        assert_eq!(scenario.sim.links.drop.ppm(), ppm, "{p}");
    }
}
