//! The bench report as markdown (for reports/bench.md) and as one JSON object.

use serde_json::{json, Value};

use super::BenchReport;
use crate::time::format_ms;

/// Markdown: what was measured, one table per kind of row, and how to read the ratio.
pub fn render_markdown(report: &BenchReport) -> String {
    let mut out = String::new();
    out.push_str("# `quorumsim bench`\n\n");
    if report.quick {
        out.push_str("**Quick mode** (short workloads, one repetition): not for figures.\n\n");
    }
    out.push_str(&format!(
        "Engine events/s with every invariant checked, beside a bare heap-plus-RNG event loop \
         run in the same process right after each engine run (median of {} interleaved \
         repetitions). An event is one step of the engine: a delivered message, a fired timer, \
         a client request, a fault or a boot.\n\n",
        report.repetitions
    ));
    out.push_str(
        "| workload | events | virtual time | outcome | trace hash | engine events/s | bare events/s (pending) | ratio | committed | commits/s |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for row in &report.engine {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | `{:016x}` | {} | {} ({}) | {:.2} | {} | {} |\n",
            row.name,
            row.events,
            format_ms(row.virtual_time_us),
            row.outcome,
            row.trace_hash,
            millions(row.engine_events_per_s),
            millions(row.bare_events_per_s),
            row.bare_pending,
            row.ratio(),
            row.committed,
            millions(row.engine_commits_per_s)
        ));
    }
    out.push('\n');
    for row in &report.engine {
        out.push_str(&format!("- `{}`: {}\n", row.name, row.description));
    }
    out.push_str(
        "\nThe bare loop: a `BinaryHeap` of `(time, seq)` events with a 32-byte payload, as \
         many pending as the engine's queue held on average in that workload (in brackets); \
         each pop draws a latency from the same ChaCha8 `Prng` the engine uses and pushes the \
         next event. It does no protocol work, no network rules, no invariant checks and no \
         trace hashing, so the ratio is the share of the engine's time that is the \
         unavoidable heap-and-RNG core. (The engine's own queue is a radix heap, not a binary \
         heap: part of what the ratio measures is that choice.)\n\n",
    );
    out.push_str(if report.freed_memory_kept {
        "Freed memory stays in the process between repetitions (`src/heap.rs`): with glibc's \
         defaults each repetition faulted the previous one's logs and checker tables back in \
         page by page, which cost the engine rows about a fifth of their time. A single run \
         in a fresh process still pays once for first touching its memory.\n\n"
    } else {
        "Freed memory goes back to the system between repetitions (this C library's allocator \
         defaults, see `src/heap.rs`): the engine rows include faulting each repetition's \
         memory back in.\n\n"
    });
    if report.fuzz.is_empty() {
        out.push_str("Fuzzing: no fuzz workload is registered in this build.\n\n");
    } else {
        out.push_str("| fuzz workload | seeds | seeds/s, 1 job | seeds/s, all jobs | jobs | scaling |\n|---|---|---|---|---|---|\n");
        for row in &report.fuzz {
            let scaling = row.seeds_per_s_all_jobs / row.seeds_per_s_one_job.max(f64::MIN_POSITIVE);
            out.push_str(&format!(
                "| `{}` | {} | {:.0} | {:.0} | {} | {:.2}x |\n",
                row.name,
                row.seed_count,
                row.seeds_per_s_one_job,
                row.seeds_per_s_all_jobs,
                row.jobs_all,
                scaling
            ));
        }
        out.push('\n');
    }
    let memory = report.peak_resident_kib.map_or_else(
        || "n/a".to_string(),
        |kib| format!("{:.1} MiB", kib as f64 / 1024.0),
    );
    out.push_str(&format!(
        "Peak memory of the whole bench process (VmHWM): {memory}.\n"
    ));
    out
}

/// The same figures as one JSON object.
pub fn render_json(report: &BenchReport) -> Value {
    json!({
        "quick": report.quick,
        "repetitions": report.repetitions,
        "engine": report.engine.iter().map(|row| json!({
            "name": row.name,
            "events": row.events,
            "virtual_time_us": row.virtual_time_us,
            "outcome": row.outcome,
            "trace_hash": format!("{:016x}", row.trace_hash),
            "engine_ns_median": row.engine_ns_median,
            "engine_events_per_second": row.engine_events_per_s,
            "bare_events": row.bare_events,
            "bare_ns_median": row.bare_ns_median,
            "bare_pending_events": row.bare_pending,
            "bare_events_per_second": row.bare_events_per_s,
            "ratio": row.ratio(),
            "committed": row.committed,
            "engine_commits_per_second": row.engine_commits_per_s,
        })).collect::<Vec<_>>(),
        "fuzz": report.fuzz.iter().map(|row| json!({
            "name": row.name,
            "seeds": row.seed_count,
            "jobs_all": row.jobs_all,
            "seeds_per_second_one_job": row.seeds_per_s_one_job,
            "seeds_per_second_all_jobs": row.seeds_per_s_all_jobs,
        })).collect::<Vec<_>>(),
        "peak_resident_kib": report.peak_resident_kib,
        "freed_memory_kept": report.freed_memory_kept,
    })
}

/// `3.84 M`.
fn millions(per_second: u64) -> String {
    format!("{:.2} M", per_second as f64 / 1e6)
}
