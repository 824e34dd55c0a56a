//! The campaign report (`fuzz --report DIR`, `merge --report DIR`): a markdown page and two
//! SVG charts, made from a [`CampaignSummary`] alone, so a merge of shards reports the same
//! way a whole campaign does.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::charts::{bar_chart_svg, Bar, BarChart};
use super::coverage::SeedTally;
use super::summary::{CampaignSummary, FailureRecord};
use crate::registry::Registry;
use crate::run::{failure_signature, run_scenario_recorded};
use crate::sim::TraceSink;
use crate::viz::{write_diagrams, DiagramOutputs};

pub const REPORT_FILE: &str = "report.md";
pub const FAILURES_CHART_FILE: &str = "failures-by-invariant.svg";
pub const COVERAGE_CHART_FILE: &str = "fault-mix-coverage.svg";

/// Failures whose replay command the report prints.
const REPLAYS_SHOWN: usize = 5;

/// Writes the report into `dir` (created if missing); returns the files written. `locate`
/// gives the path of a failure's scenario file as the reader should type it. The first few
/// failures are replayed from their files and drawn as space-time diagrams beside the page.
pub fn write_report(
    registry: &Registry,
    dir: &Path,
    summary: &CampaignSummary,
    locate: &dyn Fn(&FailureRecord) -> PathBuf,
) -> Result<Vec<PathBuf>, String> {
    let cannot = |path: &Path, error: std::io::Error| {
        format!("{}: cannot write the report: {error}", path.display())
    };
    std::fs::create_dir_all(dir).map_err(|error| cannot(dir, error))?;
    let mut written = Vec::new();
    let mut drawn = BTreeSet::new();
    for failure in summary.failing_seeds.iter().take(REPLAYS_SHOWN) {
        if let Some(path) = draw_failure(registry, dir, failure, locate)? {
            drawn.insert(failure.seed);
            written.push(path);
        }
    }
    let files = [
        (REPORT_FILE, render_report(summary, locate, &drawn)),
        (FAILURES_CHART_FILE, failures_chart(summary)?),
        (COVERAGE_CHART_FILE, coverage_chart(summary)?),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|error| cannot(&path, error))?;
        written.push(path);
    }
    Ok(written)
}

/// The file name of a failure's space-time diagram inside the report folder.
pub fn diagram_file(seed: u64) -> String {
    format!("spacetime-seed-{seed}.svg")
}

/// Replays `failure` from its scenario file with a recording and draws the window before
/// its end into the report folder. `None` when the file cannot be read any more (moved or
/// deleted since the campaign, or names a protocol this binary does not know) or its replay
/// does not end in the recorded failure (a campaign run with another executor): the report
/// then lists the failure without a picture rather than draw some other run.
fn draw_failure(
    registry: &Registry,
    dir: &Path,
    failure: &FailureRecord,
    locate: &dyn Fn(&FailureRecord) -> PathBuf,
) -> Result<Option<PathBuf>, String> {
    let Ok(scenario) = crate::scenario::load(registry, &locate(failure)) else {
        return Ok(None);
    };
    let path = dir.join(diagram_file(failure.seed));
    let outputs = DiagramOutputs {
        svg: Some(path.clone()),
        html: None,
        window: None,
    };
    let (report, recording) = run_scenario_recorded(
        &scenario,
        scenario.sim.seed,
        TraceSink::Off,
        outputs.retention(),
    );
    if failure_signature(&report.outcome) != failure.signature {
        return Ok(None);
    }
    let source = locate(failure).display().to_string();
    write_diagrams(&outputs, &source, &recording, &report)?;
    Ok(Some(path))
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".to_string()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

fn per_second(count: u64, wall_time_ms: u64) -> String {
    if wall_time_ms == 0 {
        "-".to_string()
    } else {
        format!("{:.0}", count as f64 * 1000.0 / wall_time_ms as f64)
    }
}

/// Rows of a `| name | seeds | failed | failure rate |` table.
fn tally_rows<'a>(rows: impl Iterator<Item = (String, &'a SeedTally)>) -> Vec<String> {
    rows.map(|(name, tally)| {
        format!(
            "| {name} | {} | {} | {} |",
            tally.seeds,
            tally.failed,
            percent(tally.failed, tally.seeds)
        )
    })
    .collect()
}

/// The markdown page.
pub fn render_markdown(
    summary: &CampaignSummary,
    locate: &dyn Fn(&FailureRecord) -> PathBuf,
) -> String {
    render_report(summary, locate, &BTreeSet::new())
}

/// The markdown page; the failures whose seeds are in `drawn` link their space-time diagram.
fn render_report(
    summary: &CampaignSummary,
    locate: &dyn Fn(&FailureRecord) -> PathBuf,
    drawn: &BTreeSet<u64>,
) -> String {
    let seed_end = summary.seed_start.saturating_add(summary.seed_count);
    let shards = if summary.shard_count == 1 {
        "whole campaign".to_string()
    } else {
        let list: Vec<String> = summary.shards.iter().map(u64::to_string).collect();
        format!("{} of {}", list.join(", "), summary.shard_count)
    };
    let mut lines = vec![
        format!(
            "# Fuzz campaign: {} (base `{}`)",
            summary.protocol, summary.base
        ),
        String::new(),
        "| | |".to_string(),
        "|---|---|".to_string(),
        format!("| protocol | {} |", summary.protocol),
        format!(
            "| base scenario | `{}` (content hash {}) |",
            summary.base, summary.base_hash
        ),
        format!("| seeds | {}..{} |", summary.seed_start, seed_end),
        format!("| shards | {shards} |"),
        format!(
            "| seeds run | {} of {}{} |",
            summary.seeds_run,
            summary.seeds_planned,
            if summary.is_complete() {
                ""
            } else {
                " (stopped early)"
            }
        ),
        format!("| passed | {} |", summary.passes),
        format!(
            "| failed | {} ({}) |",
            summary.failures,
            percent(summary.failures, summary.seeds_run)
        ),
        format!("| events | {} |", summary.events),
        format!(
            "| wall time | {:.2} s |",
            summary.wall_time_ms as f64 / 1000.0
        ),
        format!(
            "| seeds/s | {} |",
            per_second(summary.seeds_run, summary.wall_time_ms)
        ),
        format!(
            "| events/s | {} |",
            per_second(summary.events, summary.wall_time_ms)
        ),
        String::new(),
        "## Failures by invariant".to_string(),
        String::new(),
    ];
    if summary.failures_by_kind.is_empty() {
        lines.push(format!("No failures in {} seeds.", summary.seeds_run));
    } else {
        lines.push("| invariant or outcome | failures | share | first seed |".to_string());
        lines.push("|---|---:|---:|---:|".to_string());
        for (kind, count) in failures_sorted(summary) {
            let first = summary
                .failing_seeds
                .iter()
                .find(|failure| &failure.signature == kind)
                .map_or_else(String::new, |failure| failure.seed.to_string());
            lines.push(format!(
                "| {kind} | {count} | {} | {first} |",
                percent(count, summary.failures)
            ));
        }
        lines.push(String::new());
        lines.push(format!(
            "First {} of {} failures; each replays byte for byte:",
            summary.failing_seeds.len().min(REPLAYS_SHOWN),
            summary.failing_seeds.len()
        ));
        lines.push(String::new());
        for failure in summary.failing_seeds.iter().take(REPLAYS_SHOWN) {
            lines.push(format!(
                "- seed {}: {}  \n  `quorumsim replay {}`",
                failure.seed,
                failure.outcome,
                locate(failure).display()
            ));
            if drawn.contains(&failure.seed) {
                lines.push(format!(
                    "  [space-time diagram of its end]({})",
                    diagram_file(failure.seed)
                ));
            }
        }
    }
    lines.push(String::new());
    lines.push(format!("![Failures by invariant]({FAILURES_CHART_FILE})"));

    let coverage = &summary.coverage;
    lines.extend([
        String::new(),
        "## Fault-mix coverage".to_string(),
        String::new(),
        format!(
            "Each seed turns on its own mix of fault kinds. For each kind: the seeds that had \
             it on, how many of those failed, and the faults of that kind that struck. All \
             seeds together: {} of {} failed ({}).",
            summary.failures,
            summary.seeds_run,
            percent(summary.failures, summary.seeds_run)
        ),
        String::new(),
        "| fault kind | seeds on | share of seeds | of them failed | failure rate | faults struck |"
            .to_string(),
        "|---|---:|---:|---:|---:|---:|".to_string(),
    ]);
    for (kind, tally) in &coverage.fault_kinds {
        lines.push(format!(
            "| {kind} | {} | {} | {} | {} | {} |",
            tally.seeds,
            percent(tally.seeds, summary.seeds_run),
            tally.failed,
            percent(tally.failed, tally.seeds),
            tally.faults
        ));
    }
    lines.push(String::new());
    lines.push(format!("![Fault-mix coverage]({COVERAGE_CHART_FILE})"));
    let header = |name: &str| {
        [
            String::new(),
            format!("| {name} | seeds | failed | failure rate |"),
            "|---|---:|---:|---:|".to_string(),
        ]
    };
    lines.extend([
        String::new(),
        "## Mixes, cluster sizes, options".to_string(),
    ]);
    lines.extend(header("fault kinds on"));
    lines.extend(tally_rows(
        coverage
            .kinds_per_seed
            .iter()
            .map(|(kinds, tally)| (kinds.to_string(), tally)),
    ));
    lines.extend(header("nodes"));
    lines.extend(tally_rows(
        coverage
            .nodes
            .iter()
            .map(|(nodes, tally)| (nodes.to_string(), tally)),
    ));
    if !coverage.options.is_empty() {
        lines.extend(header("option on"));
        lines.extend(tally_rows(
            coverage
                .options
                .iter()
                .map(|(name, tally)| (format!("`{name}`"), tally)),
        ));
    }
    lines.push(String::new());
    lines.join("\n")
}

/// Failure kinds, most frequent first (ties by name).
fn failures_sorted(summary: &CampaignSummary) -> Vec<(&String, u64)> {
    let mut kinds: Vec<(&String, u64)> = summary
        .failures_by_kind
        .iter()
        .map(|(kind, count)| (kind, *count))
        .collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    kinds
}

fn failures_chart(summary: &CampaignSummary) -> Result<String, String> {
    let bars: Vec<Bar> = failures_sorted(summary)
        .into_iter()
        .map(|(kind, count)| Bar {
            label: kind.clone(),
            value: count,
            part: None,
        })
        .collect();
    let title = format!(
        "Failures by invariant: {} of {} seeds",
        summary.failures, summary.seeds_run
    );
    let empty_note = format!("no failures in {} seeds", summary.seeds_run);
    bar_chart_svg(
        &BarChart {
            title: &title,
            value_axis: "failing seeds",
            part_name: "",
            empty_note: &empty_note,
        },
        &bars,
    )
}

fn coverage_chart(summary: &CampaignSummary) -> Result<String, String> {
    let bars: Vec<Bar> = summary
        .coverage
        .fault_kinds
        .iter()
        .map(|(kind, tally)| Bar {
            label: kind.clone(),
            value: tally.seeds,
            part: Some(tally.failed),
        })
        .collect();
    let title = format!(
        "Fault-mix coverage: seeds with each kind on, of {}",
        summary.seeds_run
    );
    bar_chart_svg(
        &BarChart {
            title: &title,
            value_axis: "seeds with the kind on (red: of them failed)",
            part_name: "failed",
            empty_note: "no fault kinds",
        },
        &bars,
    )
}
