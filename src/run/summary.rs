//! The human summary and the JSON object `quorumsim run` prints.

use serde_json::{json, Value};

use crate::sim::{Outcome, RunReport};
use crate::time::format_ms;

/// A short human summary, ending with the line `trace-hash: <hex>`.
pub fn human_summary(source: &str, report: &RunReport, wall_us: u64) -> String {
    let mut lines = vec![
        format!(
            "scenario: {source} ({}, {} nodes, seed {})",
            report.protocol, report.node_count, report.seed
        ),
        format!("outcome: {}", report.outcome),
    ];
    if let Outcome::Violation { violation, .. } = &report.outcome {
        let nodes: Vec<String> = violation.nodes.iter().map(ToString::to_string).collect();
        lines.push(format!("nodes involved: {}", nodes.join(", ")));
    }
    let leaders: Vec<String> = report
        .leaders
        .iter()
        .map(|l| format!("term {} {} at {}", l.term, l.node, format_ms(l.at_us)))
        .collect();
    lines.push(format!(
        "leaders: {}",
        if leaders.is_empty() {
            "none".to_string()
        } else {
            leaders.join(", ")
        }
    ));
    if let Some(at_us) = report.leader_established_us {
        lines.push(format!(
            "leader check: acknowledged by a live quorum from {} through the deadline",
            format_ms(at_us)
        ));
    }
    let stats = &report.stats;
    lines.push(format!(
        "commits: {} (client requests {}, accepted {})",
        report.committed, stats.client_requests, stats.client_accepted
    ));
    lines.push(format!(
        "messages: {} sent, {} delivered, {} dropped by partition, {} lost, {} to down nodes, {} duplicated",
        stats.messages_sent,
        stats.messages_delivered,
        stats.messages_dropped_partition,
        stats.messages_dropped_loss,
        stats.messages_dropped_down,
        stats.messages_duplicated
    ));
    lines.push(format!(
        "faults: {} crashes, {} restarts, {} skipped",
        stats.crashes, stats.restarts, stats.faults_skipped
    ));
    lines.push(format!(
        "virtual time: {}, events: {}, wall time: {}, {} events/s",
        format_ms(report.end_us),
        report.steps,
        format_ms(wall_us),
        events_per_second(report.steps, wall_us)
    ));
    lines.push(format!("trace-hash: {:016x}", report.trace_hash));
    lines.join("\n")
}

/// One JSON object with everything in the human summary, in machine-readable form.
pub fn json_summary(source: &str, report: &RunReport, wall_us: u64) -> Value {
    let stats = &report.stats;
    json!({
        "scenario": source,
        "protocol": report.protocol,
        "nodes": report.node_count,
        "seed": report.seed,
        "outcome": outcome_json(&report.outcome),
        "leaders": report.leaders.iter().map(|l| json!({
            "term": l.term, "node": l.node.0, "at_us": l.at_us,
        })).collect::<Vec<_>>(),
        "leader_established_us": report.leader_established_us,
        "committed": report.committed,
        "virtual_time_us": report.end_us,
        "events": report.steps,
        "wall_time_us": wall_us,
        "events_per_second": events_per_second(report.steps, wall_us),
        "stats": {
            "messages_sent": stats.messages_sent,
            "messages_delivered": stats.messages_delivered,
            "messages_dropped_partition": stats.messages_dropped_partition,
            "messages_dropped_loss": stats.messages_dropped_loss,
            "messages_dropped_down": stats.messages_dropped_down,
            "messages_duplicated": stats.messages_duplicated,
            "timers_fired": stats.timers_fired,
            "client_requests": stats.client_requests,
            "client_accepted": stats.client_accepted,
            "crashes": stats.crashes,
            "restarts": stats.restarts,
            "faults_skipped": stats.faults_skipped,
        },
        "trace_hash": format!("{:016x}", report.trace_hash),
    })
}

fn outcome_json(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Pass => json!({ "kind": "pass" }),
        Outcome::Violation {
            violation,
            step,
            at_us,
        } => json!({
            "kind": "violation",
            "invariant": violation.invariant,
            "nodes": violation.nodes.iter().map(|n| n.0).collect::<Vec<_>>(),
            "detail": violation.detail,
            "step": step,
            "at_us": at_us,
        }),
        Outcome::Panic {
            node,
            message,
            step,
            at_us,
        } => json!({
            "kind": "panic", "node": node.map(|n| n.0), "message": message, "step": step, "at_us": at_us,
        }),
        Outcome::ExpectationFailed { reasons } => json!({
            "kind": "expectation-failed", "reasons": reasons,
        }),
        Outcome::LimitReached { limit, step, at_us } => json!({
            "kind": "limit", "limit": limit, "step": step, "at_us": at_us,
        }),
    }
}

fn events_per_second(events: u64, wall_us: u64) -> u64 {
    if wall_us == 0 {
        return 0;
    }
    (u128::from(events) * 1_000_000 / u128::from(wall_us)) as u64
}
