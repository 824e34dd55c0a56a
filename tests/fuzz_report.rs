//! Campaign reports (`fuzz --report`, `merge --report`): the markdown names what failed, the
//! fault-mix coverage adds up, the charts are well-formed SVG, shards report as the whole.

use std::path::{Path, PathBuf};

use quorumsim::fuzz::report::{self, COVERAGE_CHART_FILE, FAILURES_CHART_FILE, REPORT_FILE};
use quorumsim::fuzz::{self, swarm, CampaignSummary, Shard};
use quorumsim::registry::Registry;

use crate::fuzz::{amnesiac, campaign, fresh_dir, quorumsim, run_amnesiac, text};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The SVG parsed as XML; its `<text>` contents, whitespace trimmed.
fn svg_texts(path: &Path) -> Vec<String> {
    let svg = read(path);
    let document = roxmltree::Document::parse(&svg)
        .unwrap_or_else(|error| panic!("{}: not XML: {error}", path.display()));
    assert_eq!(document.root_element().tag_name().name(), "svg");
    document
        .descendants()
        .filter(|node| node.has_tag_name("text"))
        .filter_map(|node| node.text().map(|text| text.trim().to_string()))
        .collect()
}

/// The part of report.md from `heading` to the next `## ` heading.
fn section<'a>(markdown: &'a str, heading: &str) -> &'a str {
    let start = markdown
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading}"));
    let rest = &markdown[start + heading.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

fn write(dir: &Path, summary: &CampaignSummary, out: &Path) -> Vec<PathBuf> {
    report::write_report(&Registry::builtin(), dir, summary, &|failure| {
        out.join(&failure.file)
    })
    .expect("the report is written")
}

#[test]
fn the_report_names_every_failure_and_its_coverage_adds_up() {
    let camp = campaign("report-mix", 60, 2, Shard::WHOLE);
    let summary = run_amnesiac(&camp);
    assert!(summary.failures > 0 && summary.passes > 0, "{summary:?}");
    let dir = fresh_dir("report-mix-report");
    let written = write(&dir, &summary, &camp.out_dir);
    // The page and two charts; no diagrams, since the test protocol's failures do not
    // replay with the built-in Raft (the report draws only runs that reproduce).
    assert_eq!(written.len(), 3);
    let markdown = read(&dir.join(REPORT_FILE));

    let failures = section(&markdown, "## Failures by invariant");
    for (kind, count) in &summary.failures_by_kind {
        assert!(
            failures.contains(&format!("| {kind} | {count} |")),
            "{kind}: {failures}"
        );
    }
    let first = &summary.failing_seeds[0];
    let replay = format!(
        "`quorumsim replay {}`",
        camp.out_dir.join(&first.file).display()
    );
    assert!(failures.contains(&replay), "{failures}");

    let coverage = &summary.coverage;
    assert_eq!(coverage.seeds(), summary.seeds_run);
    assert_eq!(coverage.fault_kinds.len(), swarm::KINDS.len());
    for (kind, tally) in &coverage.fault_kinds {
        assert!(tally.seeds <= summary.seeds_run, "{kind}: {tally:?}");
        assert!(tally.failed <= tally.seeds.min(summary.failures), "{kind}");
    }
    // The broken protocol fails only when a node restarts: every failing seed had crashes
    // on, and no kind without them fails as often.
    assert_eq!(coverage.fault_kinds["crash"].failed, summary.failures);
    let failed_by_size: u64 = coverage.nodes.values().map(|tally| tally.failed).sum();
    assert_eq!(failed_by_size, summary.failures);
    let table = section(&markdown, "## Fault-mix coverage");
    for (kind, tally) in &coverage.fault_kinds {
        let row = format!("| {kind} | {} |", tally.seeds);
        assert!(table.contains(&row), "{row}: {table}");
    }

    let chart_texts = svg_texts(&dir.join(FAILURES_CHART_FILE));
    for kind in summary.failures_by_kind.keys() {
        assert!(chart_texts.contains(kind), "{kind}: {chart_texts:?}");
    }
    let chart_texts = svg_texts(&dir.join(COVERAGE_CHART_FILE));
    let crash = coverage.fault_kinds["crash"];
    let label = format!("{}, {} failed", crash.seeds, crash.failed);
    assert!(chart_texts.contains(&label), "{label}: {chart_texts:?}");
}

#[test]
fn a_quiet_campaign_reports_no_failures() {
    let camp = campaign("report-quiet", 12, 2, Shard::WHOLE);
    let summary = fuzz::run_campaign(&camp, &fuzz::default_executor, &|_| true).unwrap();
    assert_eq!(summary.failures, 0);
    let dir = fresh_dir("report-quiet-report");
    write(&dir, &summary, &camp.out_dir);
    let markdown = read(&dir.join(REPORT_FILE));
    assert!(markdown.contains("No failures in 12 seeds."), "{markdown}");
    assert!(!markdown.contains("quorumsim replay"), "{markdown}");
    let texts = svg_texts(&dir.join(FAILURES_CHART_FILE));
    assert!(texts.contains(&"no failures in 12 seeds".to_string()));
}

#[test]
fn a_base_listing_some_fault_kinds_shows_zero_for_the_others() {
    let mut camp = campaign("report-crash-only", 20, 2, Shard::WHOLE);
    let crash: quorumsim::scenario::file::FaultFile =
        serde_json::from_str(r#"{"at_ms": 500, "action": "crash", "node": "leader"}"#).unwrap();
    camp.base.faults = vec![crash];
    let summary = fuzz::run_campaign(&camp, &amnesiac, &|_| true).unwrap();
    let dir = fresh_dir("report-crash-only-report");
    write(&dir, &summary, &camp.out_dir);
    let table = section(&read(&dir.join(REPORT_FILE)), "## Fault-mix coverage").to_string();
    for kind in swarm::KINDS {
        let seeds = if kind.name() == "crash" { 20 } else { 0 };
        assert_eq!(summary.coverage.fault_kinds[kind.name()].seeds, seeds);
        let row = format!("| {} | {seeds} |", kind.name());
        assert!(table.contains(&row), "{row}: {table}");
    }
}

/// A base whose runs all hit the step limit: failures from the shipped binary.
fn step_limited_base(dir: &Path) -> PathBuf {
    let text = fuzz::default_base(&Registry::builtin(), "raft")
        .expect("bundled")
        .text;
    let mut base: serde_json::Value = serde_json::from_str(text).unwrap();
    base["max_steps"] = serde_json::json!(200);
    let path = dir.join("limited-base.json");
    std::fs::write(&path, base.to_string()).unwrap();
    path
}

#[test]
fn merged_shards_report_the_coverage_of_the_whole_campaign() {
    let dir = fresh_dir("report-cli-shards");
    let base = step_limited_base(&dir);
    let fuzz_run = |name: &str, shard: Option<&str>| {
        let out = dir.join(name);
        let report = dir.join(format!("{name}-report"));
        let mut args = vec![
            "fuzz".to_string(),
            "--protocol=raft".to_string(),
            "--seeds=16".to_string(),
            format!("--scenario={}", base.display()),
            format!("--out={}", out.display()),
            format!("--report={}", report.display()),
        ];
        if let Some(shard) = shard {
            args.push(format!("--shard={shard}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = quorumsim(&args);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
        (out.join("summary.json"), read(&report.join(REPORT_FILE)))
    };
    let (_, whole) = fuzz_run("whole", None);
    let (first, _) = fuzz_run("one", Some("1/2"));
    let (second, _) = fuzz_run("two", Some("2/2"));
    let merged_dir = dir.join("merged-report");
    let output = quorumsim(&[
        "merge",
        first.to_str().unwrap(),
        second.to_str().unwrap(),
        "--report",
        merged_dir.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let merged = read(&merged_dir.join(REPORT_FILE));
    for heading in ["## Fault-mix coverage", "## Mixes, cluster sizes, options"] {
        assert_eq!(
            section(&merged, heading),
            section(&whole, heading),
            "{heading}"
        );
    }
    assert!(whole.contains("| limit | 16 |"), "{whole}");
    assert!(merged.contains("| limit | 16 |"), "{merged}");
    // Each failure's replay names the shard folder that holds its file.
    let seed_1 = format!("{}", dir.join("two").join("raft-seed-1.json").display());
    assert!(merged.contains(&seed_1), "{merged}");
    assert!(merged_dir.join(COVERAGE_CHART_FILE).is_file());
}

#[test]
fn an_unwritable_report_folder_is_one_line_and_keeps_the_failures() {
    let dir = fresh_dir("report-cli-unwritable");
    let base = step_limited_base(&dir);
    let blocker = dir.join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let out = dir.join("out");
    let report = blocker.join("report");
    let output = quorumsim(&[
        "fuzz",
        "--protocol=raft",
        "--seeds=4",
        "--scenario",
        base.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains(&report.display().to_string()),
        "{stderr}"
    );
    assert_eq!(stderr.lines().last(), Some(errors[0]), "{stderr}");
    let failures = read(&out.join(fuzz::ledger::FAILURES_FILE));
    assert_eq!(failures.lines().count(), 4);
    for seed in 0..4 {
        assert!(out.join(format!("raft-seed-{seed}.json")).is_file());
    }
    // The summary on disk writes the report elsewhere.
    let elsewhere = dir.join("elsewhere");
    let summary = out.join("summary.json");
    let output = quorumsim(&[
        "merge",
        summary.to_str().unwrap(),
        "--report",
        elsewhere.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(read(&elsewhere.join(REPORT_FILE)).contains("| limit | 4 |"));
}

#[test]
fn the_first_failures_are_drawn_beside_the_report() {
    let dir = fresh_dir("report-diagrams");
    let (out, report_dir) = (dir.join("out"), dir.join("report"));
    let output = quorumsim(&[
        "fuzz",
        "--protocol",
        "raft",
        "--bug",
        "vote-without-up-to-date",
        "--seeds",
        "40",
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--report",
        report_dir.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let summary: CampaignSummary =
        serde_json::from_str(&read(&out.join("summary.json"))).expect("a summary");
    assert!(
        !summary.failing_seeds.is_empty(),
        "the bug fails some of 40 seeds"
    );
    let markdown = read(&report_dir.join(REPORT_FILE));
    for failure in summary.failing_seeds.iter().take(5) {
        let name = report::diagram_file(failure.seed);
        assert!(markdown.contains(&format!("]({name})")), "{name} is linked");
        // The diagram is of the failing run: it names the invariant that broke.
        let texts = svg_texts(&report_dir.join(&name)).join(" ");
        assert!(texts.contains(&failure.signature), "{name}: {texts}");
    }
}
