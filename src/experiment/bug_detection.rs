//! Seeds to detection: for every broken variant of a protocol, how many fuzz seeds of its
//! bundled base the fuzzer needs to catch it, over independent campaigns, and which failure
//! it is caught as; and the correct protocol over the same kind of seeds. Generic over the
//! registry, so a user's binary measures its own protocol's variants the same way.
//!
//! Campaign `i` starts at seed `i × 100,000` and stops at its first failing seed; the count is
//! that seed's position in the campaign (1 = its first seed). Seeds still running when the
//! first failure stops the campaign finish, so the lowest failing seed is the first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::fuzz::{self, Campaign, CampaignSummary, Choices, Shard};
use crate::registry::{ProtocolEntry, Registry};
use crate::scenario::{self, ScenarioFile};

/// How far apart the campaigns start, so no two share a seed.
const CAMPAIGN_SPACING: u64 = 100_000;

/// What to measure.
#[derive(Clone, Debug)]
pub struct DetectionPlan {
    pub campaigns: u64,
    /// Seeds a campaign may run before it counts the variant as not caught.
    pub seeds_max: u64,
    /// Seeds of the correct protocol, from 0.
    pub correct_seeds: u64,
    pub jobs: usize,
    /// Scratch space for the campaigns' ledgers.
    pub scratch: PathBuf,
    /// The binary the report's command names (a user's binary has its own name).
    pub program: String,
}

/// One variant's campaigns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detection {
    pub bug: &'static str,
    pub summary: &'static str,
    /// Per campaign, the first failing seed's position, or `None` when none failed.
    pub counts: Vec<Option<u64>>,
    /// First findings by failure signature (an invariant, or an outcome kind).
    pub findings: BTreeMap<String, u64>,
}

impl Detection {
    /// The median position (the mean of the two middle ones for an even count), counting a
    /// campaign that caught nothing as the largest: `None` when the median is such a one.
    pub fn median(&self) -> Option<u64> {
        let mut counts: Vec<Option<u64>> = self.counts.clone();
        counts.sort_unstable_by_key(|count| count.unwrap_or(u64::MAX));
        let upper = (*counts.get(counts.len() / 2)?)?;
        if counts.len() % 2 == 1 {
            return Some(upper);
        }
        let lower = counts[counts.len() / 2 - 1]?;
        Some((lower + upper) / 2)
    }

    pub fn max(&self) -> Option<u64> {
        self.counts
            .iter()
            .copied()
            .try_fold(0, |max, count| count.map(|count| max.max(count)))
    }
}

/// A protocol's measurements.
#[derive(Clone, Debug)]
pub struct ProtocolDetections {
    pub protocol: &'static str,
    pub base: String,
    pub correct: CampaignSummary,
    pub detections: Vec<Detection>,
}

/// Measures every variant of `protocol` (which must bundle a fuzz base).
pub fn measure(
    registry: &Registry,
    protocol: &dyn ProtocolEntry,
    plan: &DetectionPlan,
) -> Result<ProtocolDetections, String> {
    let bundled = fuzz::default_base(registry, protocol.name())?;
    let base = scenario::parse_file(registry, bundled.path, bundled.text)
        .map_err(|error| error.to_string())?;
    let correct = campaign(registry, &base, None, 0, plan.correct_seeds, plan, false)?;
    let mut detections = Vec::new();
    for (bug, summary) in protocol.bugs() {
        let mut counts = Vec::new();
        let mut findings = BTreeMap::new();
        for index in 0..plan.campaigns {
            let start = index * CAMPAIGN_SPACING;
            let found = campaign(
                registry,
                &base,
                Some(bug),
                start,
                plan.seeds_max,
                plan,
                true,
            )?;
            let first = found.failing_seeds.iter().min_by_key(|record| record.seed);
            counts.push(first.map(|record| record.seed - start + 1));
            if let Some(record) = first {
                *findings.entry(record.signature.clone()).or_default() += 1;
            }
        }
        detections.push(Detection {
            bug,
            summary,
            counts,
            findings,
        });
    }
    Ok(ProtocolDetections {
        protocol: protocol.name(),
        base: bundled.path.to_string(),
        correct,
        detections,
    })
}

fn campaign(
    registry: &Registry,
    base: &ScenarioFile,
    bug: Option<&str>,
    start: u64,
    seeds: u64,
    plan: &DetectionPlan,
    stop_at_first: bool,
) -> Result<CampaignSummary, String> {
    let choices = Choices {
        protocol: None,
        bug: bug.map(str::to_string),
    };
    let out_dir = plan.scratch.join(format!(
        "{}-{}-{start}",
        base.protocol,
        bug.unwrap_or("correct")
    ));
    let _ = std::fs::remove_dir_all(&out_dir);
    let campaign = Campaign {
        registry: registry.clone(),
        base: fuzz::apply_choices(registry, base.clone(), &choices)?,
        seed_start: start,
        seed_count: seeds,
        shard: Shard::WHOLE,
        jobs: plan.jobs,
        time_budget: None,
        out_dir: out_dir.clone(),
        resume: false,
    };
    let summary = fuzz::run_campaign(&campaign, &fuzz::default_executor, &|progress| {
        !stop_at_first || progress.failures == 0
    });
    let _ = std::fs::remove_dir_all(&out_dir);
    summary
}

/// The report of one protocol, in markdown.
pub fn render_markdown(result: &ProtocolDetections, plan: &DetectionPlan) -> String {
    let mut out = format!(
        "## {}\n\nBase `{}`. Correct {}: {} seeds (0..{}), {} failed.\n\n\
         Seeds to detection: {} campaigns per variant, starting at seeds 0, {}, …, each \
         stopping at its first failing seed (at most {} seeds). The count is that seed's \
         position in its campaign (1 = its first seed).\n\n\
         ```sh\n{} experiment bug-detection --protocol {} --campaigns {} --seeds-max {} \
         --correct-seeds {}\n```\n\n\
         | bug | what is wrong | median seeds | max seeds | first findings |\n\
         |---|---|---:|---:|---|\n",
        result.protocol,
        result.base,
        result.protocol,
        result.correct.seeds_run,
        result.correct.seeds_run,
        result.correct.failures,
        plan.campaigns,
        CAMPAIGN_SPACING,
        plan.seeds_max,
        plan.program,
        result.protocol,
        plan.campaigns,
        plan.seeds_max,
        plan.correct_seeds,
    );
    let shown = |count: Option<u64>| count.map_or("not caught".to_string(), |c| c.to_string());
    for detection in &result.detections {
        let findings: Vec<String> = detection
            .findings
            .iter()
            .map(|(kind, count)| format!("{kind} {count}"))
            .collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            detection.bug,
            detection.summary,
            shown(detection.median()),
            shown(detection.max()),
            findings.join(", ")
        ));
    }
    out.push_str("\nAll counts, sorted:\n\n```\n");
    for detection in &result.detections {
        let mut counts: Vec<u64> = detection
            .counts
            .iter()
            .map(|c| c.unwrap_or(u64::MAX))
            .collect();
        counts.sort_unstable();
        let counts: Vec<String> = counts
            .into_iter()
            .map(|c| shown((c != u64::MAX).then_some(c)))
            .collect();
        out.push_str(&format!("{:30} {}\n", detection.bug, counts.join(" ")));
    }
    out.push_str("```\n");
    out
}

/// Measures each protocol and writes `bug-detection-<protocol>.md` into `out_dir`; returns
/// the markdown.
pub fn run_and_write(
    registry: &Registry,
    protocols: &[&dyn ProtocolEntry],
    plan: &DetectionPlan,
    out_dir: &Path,
) -> Result<String, String> {
    let mut all = String::new();
    for protocol in protocols {
        let result = measure(registry, *protocol, plan)?;
        let markdown = render_markdown(&result, plan);
        let path = out_dir.join(format!("bug-detection-{}.md", result.protocol));
        std::fs::create_dir_all(out_dir)
            .and_then(|()| std::fs::write(&path, &markdown))
            .map_err(|error| format!("{}: cannot write: {error}", path.display()))?;
        all.push_str(&markdown);
        all.push('\n');
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detection(counts: &[Option<u64>]) -> Detection {
        Detection {
            bug: "b",
            summary: "s",
            counts: counts.to_vec(),
            findings: BTreeMap::new(),
        }
    }

    #[test]
    fn the_median_and_max_count_an_uncaught_campaign_as_the_worst() {
        let caught = detection(&[Some(5), Some(1), Some(9)]);
        assert_eq!((caught.median(), caught.max()), (Some(5), Some(9)));
        let even = detection(&[Some(8), Some(1), Some(9), Some(2)]);
        assert_eq!(even.median(), Some(5));
        let one_missed = detection(&[Some(5), None, Some(9)]);
        assert_eq!((one_missed.median(), one_missed.max()), (Some(9), None));
        let mostly_missed = detection(&[None, None, Some(2)]);
        assert_eq!(mostly_missed.median(), None);
    }

    #[test]
    fn a_small_measurement_catches_an_easy_bug_and_renders() {
        let registry = Registry::builtin();
        let raft = registry.lookup("raft").expect("built in");
        let scratch = std::env::temp_dir().join(format!(
            "quorumsim-bug-detection-test-{}",
            std::process::id()
        ));
        let plan = DetectionPlan {
            campaigns: 2,
            seeds_max: 60,
            correct_seeds: 20,
            jobs: 2,
            scratch: scratch.clone(),
            program: "quorumsim".to_string(),
        };
        let base = fuzz::default_base(&registry, "raft").expect("bundled");
        let base = scenario::parse_file(&registry, base.path, base.text).expect("parses");
        let found = campaign(
            &registry,
            &base,
            Some("append-without-log-matching"),
            0,
            plan.seeds_max,
            &plan,
            true,
        )
        .expect("runs");
        assert!(found.failures > 0, "caught within 60 seeds");
        assert_eq!(
            found.failures_by_kind.keys().next().unwrap(),
            "log-matching"
        );
        let result = ProtocolDetections {
            protocol: raft.name(),
            base: "b.json".into(),
            correct: found.clone(),
            detections: vec![detection(&[Some(3), Some(7)])],
        };
        let markdown = render_markdown(&result, &plan);
        assert!(markdown.contains("| `b` | s | 5 | 7 |"), "{markdown}");
        assert!(markdown.contains(
            "quorumsim experiment bug-detection --protocol raft --campaigns 2 --seeds-max 60 \
             --correct-seeds 20"
        ));
        let _ = std::fs::remove_dir_all(scratch);
    }
}
