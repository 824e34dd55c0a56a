//! Campaign footprint: the peak memory and the ledger size of `fuzz` over seed ranges far
//! longer than its time budget lets it run, as a nightly campaign is. Each campaign is a
//! process of its own (this binary), so its peak resident set is the campaign's alone; each
//! range runs twice, fresh and then resumed, since a resume reads back what the first session
//! finished.
//!
//! Memory is the kernel's own peak resident set of the process (`VmHWM`), read from
//! `/proc/<pid>/status` every few milliseconds while it runs; the ledger's size is sampled
//! alike, so the largest it was between two checkpoints shows.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::bench::peak_resident_kib_of;
use crate::fuzz::ledger::{LEDGER_FILE, SUMMARY_FILE};
use crate::fuzz::CampaignSummary;

/// How often a running campaign is looked at.
const SAMPLE_EVERY: Duration = Duration::from_millis(2);

/// What to measure.
#[derive(Clone, Debug)]
pub struct FootprintPlan {
    /// The binary whose `fuzz` is measured.
    pub program: PathBuf,
    /// The name the report's command uses for it.
    pub program_name: String,
    pub protocol: String,
    /// The seed ranges, one campaign each.
    pub seed_counts: Vec<u64>,
    /// `--time-budget` of each session, as given on the command line.
    pub time_budget: String,
    pub jobs: usize,
    /// Scratch space for the campaigns' folders.
    pub scratch: PathBuf,
}

/// One session of one campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FootprintRow {
    pub seed_count: u64,
    pub resumed: bool,
    /// Seeds finished by the campaign so far, this session's and earlier ones'.
    pub seeds_run: u64,
    pub wall_ms: u64,
    /// `None` where the operating system does not tell.
    pub peak_resident_kib: Option<u64>,
    /// The largest the ledger was seen while the session ran, and its size at the end.
    pub ledger_bytes_max: u64,
    pub ledger_bytes_end: u64,
    /// Every file of the campaign's folder at the end (failures included).
    pub folder_bytes_end: u64,
}

/// Runs every campaign of the plan, fresh and then resumed.
pub fn measure(plan: &FootprintPlan) -> Result<Vec<FootprintRow>, String> {
    let mut rows = Vec::new();
    for &seed_count in &plan.seed_counts {
        let out = plan.scratch.join(format!("seeds-{seed_count}"));
        let _ = std::fs::remove_dir_all(&out);
        for resumed in [false, true] {
            rows.push(measure_session(plan, seed_count, &out, resumed)?);
        }
        let _ = std::fs::remove_dir_all(&out);
    }
    Ok(rows)
}

fn fuzz_arguments(plan: &FootprintPlan, seed_count: u64, out: &Path, resumed: bool) -> Vec<String> {
    let mut arguments: Vec<String> = [
        "fuzz",
        "--protocol",
        &plan.protocol,
        "--seeds",
        &seed_count.to_string(),
        "--time-budget",
        &plan.time_budget,
        "--jobs",
        &plan.jobs.to_string(),
        "--out",
    ]
    .iter()
    .map(|argument| argument.to_string())
    .collect();
    arguments.push(out.display().to_string());
    if resumed {
        arguments.push("--resume".to_string());
    }
    arguments
}

fn measure_session(
    plan: &FootprintPlan,
    seed_count: u64,
    out: &Path,
    resumed: bool,
) -> Result<FootprintRow, String> {
    std::fs::create_dir_all(&plan.scratch)
        .map_err(|error| format!("{}: {error}", plan.scratch.display()))?;
    let errors_path = plan.scratch.join(format!("seeds-{seed_count}.stderr"));
    let errors = std::fs::File::create(&errors_path)
        .map_err(|error| format!("{}: {error}", errors_path.display()))?;
    let started = Instant::now();
    let mut child = Command::new(&plan.program)
        .args(fuzz_arguments(plan, seed_count, out, resumed))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(errors)
        .spawn()
        .map_err(|error| format!("{}: cannot start: {error}", plan.program.display()))?;
    let ledger = out.join(LEDGER_FILE);
    let (mut peak_resident_kib, mut ledger_bytes_max) = (None, 0);
    let status = loop {
        // Read before asking whether it ended: a process that has ended has no memory left
        // to read.
        let peak = peak_resident_kib_of(child.id());
        peak_resident_kib = peak_resident_kib.max(peak);
        ledger_bytes_max = ledger_bytes_max.max(file_bytes(&ledger));
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(SAMPLE_EVERY),
            Err(error) => return Err(format!("waiting for {}: {error}", plan.program.display())),
        }
    };
    let wall_ms = started.elapsed().as_millis() as u64;
    // 0: every seed run passed; 1: some failed. Both are measurements.
    if !matches!(status.code(), Some(0 | 1)) {
        let text = std::fs::read_to_string(&errors_path).unwrap_or_default();
        return Err(format!(
            "fuzz over {seed_count} seeds ended with {status}: {}",
            text.lines().last().unwrap_or("")
        ));
    }
    let summary_path = out.join(SUMMARY_FILE);
    let summary: CampaignSummary = std::fs::read_to_string(&summary_path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .ok_or_else(|| format!("{}: no summary written", summary_path.display()))?;
    let ledger_bytes_end = file_bytes(&ledger);
    Ok(FootprintRow {
        seed_count,
        resumed,
        seeds_run: summary.seeds_run,
        wall_ms,
        peak_resident_kib,
        ledger_bytes_max: ledger_bytes_max.max(ledger_bytes_end),
        ledger_bytes_end,
        folder_bytes_end: folder_bytes(out),
    })
}

fn file_bytes(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |metadata| metadata.len())
}

fn folder_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| file_bytes(&entry.path()))
        .sum()
}

/// The report, in markdown.
pub fn render_markdown(rows: &[FootprintRow], plan: &FootprintPlan) -> String {
    let counts: Vec<String> = (plan.seed_counts.iter())
        .map(|count| format!("--seeds {count}"))
        .collect();
    let mut out = format!(
        "## Campaign footprint\n\n\
         Peak memory and ledger size of `fuzz --protocol {protocol}` over seed ranges far \
         longer than its time budget of {budget} lets it run, each session a process of its \
         own with `--jobs {jobs}`; each range runs fresh, then `--resume`d for another \
         {budget}. Memory is the process's peak resident set (`VmHWM`), read every {every} ms \
         while it runs; the ledger's size is sampled alike (largest seen) and read at the end.\n\n\
         ```sh\n{program} experiment campaign-footprint --protocol {protocol} {counts} \
         --time-budget {budget} --jobs {jobs}\n```\n\n\
         | seeds in the range | session | seeds run (all sessions) | wall s | peak memory MiB \
         | ledger bytes, largest | ledger bytes, at the end | folder bytes, at the end |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|\n",
        protocol = plan.protocol,
        budget = plan.time_budget,
        jobs = plan.jobs,
        every = SAMPLE_EVERY.as_millis(),
        program = plan.program_name,
        counts = counts.join(" "),
    );
    for row in rows {
        let memory = row.peak_resident_kib.map_or("n/a".to_string(), |kib| {
            format!("{:.1}", kib as f64 / 1024.0)
        });
        out.push_str(&format!(
            "| {} | {} | {} | {:.1} | {} | {} | {} | {} |\n",
            row.seed_count,
            if row.resumed { "resumed" } else { "fresh" },
            row.seeds_run,
            row.wall_ms as f64 / 1000.0,
            memory,
            row.ledger_bytes_max,
            row.ledger_bytes_end,
            row.folder_bytes_end,
        ));
    }
    out
}

/// Measures, writes `campaign-footprint.md` into `out_dir` and returns its text.
pub fn run_and_write(plan: &FootprintPlan, out_dir: &Path) -> Result<String, String> {
    let rows = measure(plan)?;
    let _ = std::fs::remove_dir_all(&plan.scratch);
    let markdown = render_markdown(&rows, plan);
    let path = out_dir.join("campaign-footprint.md");
    std::fs::create_dir_all(out_dir)
        .and_then(|()| std::fs::write(&path, &markdown))
        .map_err(|error| format!("{}: cannot write: {error}", path.display()))?;
    Ok(markdown)
}
