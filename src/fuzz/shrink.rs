//! Shrinking a failing scenario to a small one that fails the same way: delta debugging
//! (ddmin) over the fault schedule, then fewer nodes (faults naming a removed node lose it,
//! higher ids move down), a shorter run, a lighter workload and a cleaner network. Each
//! candidate must be a valid scenario and end with the same signature (the same invariant,
//! or the same outcome kind); the seed stays, and independent random streams keep the rest
//! of the run steady while parts are removed.

use crate::registry::Registry;
use crate::run::failure_signature;
use crate::scenario::file::{FaultFile, SelectorFile};
use crate::scenario::{self, ScenarioFile};
use crate::sim::{Outcome, RunReport};

use super::campaign::{failure_file, Executor};

/// The size of a scenario, before and after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub faults: usize,
    pub nodes: u64,
    pub duration_ms: u64,
    /// Engine steps of its run.
    pub events: u64,
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} faults, {} nodes, {} ms, {} events",
            self.faults, self.nodes, self.duration_ms, self.events
        )
    }
}

pub struct Shrunk {
    /// The minimal scenario, expecting its failure and trace hash.
    pub file: ScenarioFile,
    pub signature: String,
    pub before: Size,
    pub after: Size,
    /// Candidate runs tried.
    pub runs: u64,
}

struct Shrinker<'a> {
    registry: &'a Registry,
    execute: &'a Executor<'a>,
    signature: String,
    runs: u64,
}

impl Shrinker<'_> {
    /// Runs a candidate; its report when it is valid and fails with the signature.
    fn fails(&mut self, file: &ScenarioFile) -> Option<RunReport> {
        let scenario = scenario::from_file(self.registry, "candidate.json", file).ok()?;
        self.runs += 1;
        let report = (self.execute)(&scenario, file.seed);
        (failure_signature(&report.outcome) == self.signature).then_some(report)
    }

    /// Zeller's ddmin over the faults: a 1-minimal subset that still fails.
    fn faults(&mut self, file: &mut ScenarioFile) {
        let mut granularity = 2;
        while file.faults.len() >= 2 {
            let faults = file.faults.clone();
            let chunk = faults.len().div_ceil(granularity);
            let chunks: Vec<&[FaultFile]> = faults.chunks(chunk).collect();
            let mut reduced = false;
            // A chunk alone, then everything but a chunk.
            for chunk in &chunks {
                if self.try_faults(file, chunk.to_vec()) {
                    granularity = 2;
                    reduced = true;
                    break;
                }
            }
            if !reduced {
                for index in 0..chunks.len() {
                    let complement: Vec<FaultFile> = chunks
                        .iter()
                        .enumerate()
                        .filter(|&(other, _)| other != index)
                        .flat_map(|(_, chunk)| chunk.iter().cloned())
                        .collect();
                    if self.try_faults(file, complement) {
                        granularity = (granularity - 1).max(2);
                        reduced = true;
                        break;
                    }
                }
            }
            if !reduced {
                if granularity >= faults.len() {
                    break;
                }
                granularity = (granularity * 2).min(faults.len());
            }
        }
        if file.faults.len() == 1 {
            self.try_faults(file, Vec::new());
        }
    }

    fn try_faults(&mut self, file: &mut ScenarioFile, faults: Vec<FaultFile>) -> bool {
        let mut candidate = file.clone();
        candidate.faults = faults;
        self.accept(file, candidate)
    }

    fn accept(&mut self, file: &mut ScenarioFile, candidate: ScenarioFile) -> bool {
        if self.fails(&candidate).is_some() {
            *file = candidate;
            true
        } else {
            false
        }
    }

    /// Removes nodes one at a time, highest id first, while the failure stays.
    fn nodes(&mut self, file: &mut ScenarioFile) {
        let mut node = file.nodes;
        while node > 0 && file.nodes > 1 {
            node -= 1;
            if let Some(candidate) = without_node(file, node) {
                if self.accept(file, candidate) {
                    node = node.min(file.nodes);
                }
            }
        }
    }

    /// Ends the run just after the failure when it is a safety failure (a liveness failure
    /// keeps its deadlines); then halves the run while it still fails.
    fn duration(&mut self, file: &mut ScenarioFile, report: &RunReport) {
        if let Outcome::Violation { at_us, .. } | Outcome::Panic { at_us, .. } = &report.outcome {
            let end_ms = at_us / 1_000 + 1;
            if end_ms < file.duration_ms {
                let candidate = self.ended_at(file, end_ms, true);
                self.accept(file, candidate);
            }
        }
        while file.duration_ms > 1 {
            let candidate = self.ended_at(file, file.duration_ms / 2, false);
            if !self.accept(file, candidate) {
                break;
            }
        }
    }

    /// `file` ending at `end_ms`: later faults dropped, the workload stopped by then, and
    /// with `safety_only` the liveness expectations dropped.
    fn ended_at(&self, file: &ScenarioFile, end_ms: u64, safety_only: bool) -> ScenarioFile {
        let mut candidate = file.clone();
        candidate.duration_ms = end_ms;
        candidate.faults.retain(|fault| fault.at_ms <= end_ms);
        if safety_only {
            candidate.expect.leader_within_ms = None;
            candidate.expect.commits_min = None;
            candidate.expect.commits_after_last_fault_min = None;
        }
        if let Some(workload) = &mut candidate.workload {
            if workload.start_ms > end_ms {
                candidate.workload = None;
            } else if let Some(stop_ms) = workload.stop_ms.as_mut() {
                *stop_ms = (*stop_ms).min(end_ms);
            }
        }
        candidate
    }

    /// No workload, else a sparser one; then a network without loss or duplication.
    fn workload_and_network(&mut self, file: &mut ScenarioFile) {
        if file.workload.is_some() {
            let mut candidate = file.clone();
            candidate.workload = None;
            candidate.expect.commits_min = None;
            candidate.expect.commits_after_last_fault_min = None;
            if !self.accept(file, candidate) {
                loop {
                    let mut candidate = file.clone();
                    let workload = candidate.workload.as_mut().expect("checked above");
                    if workload.interval_ms_min >= file.duration_ms {
                        break;
                    }
                    workload.interval_ms_min *= 2;
                    workload.interval_ms_max *= 2;
                    if !self.accept(file, candidate) {
                        break;
                    }
                }
            }
        }
        for clean in [
            |f: &mut ScenarioFile| f.network.drop_probability = None,
            |f: &mut ScenarioFile| f.network.duplicate_probability = None,
        ] {
            let mut candidate = file.clone();
            clean(&mut candidate);
            self.accept(file, candidate);
        }
    }
}

/// `file` without node `node`: faults naming it lose it (and go when nothing is left of
/// them), higher ids move down by one. None when the cluster would be empty.
pub fn without_node(file: &ScenarioFile, node: u64) -> Option<ScenarioFile> {
    if file.nodes <= 1 || node >= file.nodes {
        return None;
    }
    let renumber = |selector: &SelectorFile| match *selector {
        SelectorFile::Id(id) if id == node => None,
        SelectorFile::Id(id) if id > node => Some(SelectorFile::Id(id - 1)),
        other => Some(other),
    };
    let list = |selectors: &Option<Vec<SelectorFile>>| {
        selectors
            .as_ref()
            .map(|selectors| selectors.iter().filter_map(renumber).collect::<Vec<_>>())
    };
    let mut candidate = file.clone();
    candidate.nodes -= 1;
    candidate.faults = file
        .faults
        .iter()
        .filter_map(|fault| {
            let mut fault = fault.clone();
            if let Some(selector) = &fault.node {
                fault.node = Some(renumber(selector)?);
            }
            fault.from = list(&fault.from);
            fault.to = list(&fault.to);
            if fault.from.as_ref().is_some_and(Vec::is_empty)
                || fault.to.as_ref().is_some_and(Vec::is_empty)
            {
                return None;
            }
            if let Some(groups) = &fault.groups {
                let groups: Vec<Vec<SelectorFile>> = groups
                    .iter()
                    .map(|group| group.iter().filter_map(renumber).collect::<Vec<_>>())
                    .filter(|group| !group.is_empty())
                    .collect();
                if groups.len() < 2 {
                    return None;
                }
                fault.groups = Some(groups);
            }
            Some(fault)
        })
        .collect();
    Some(candidate)
}

/// Shrinks `original`, which must fail (with the failure it records in `expect.violation`,
/// if it records one). The result expects its own failure and trace hash, so it is a
/// regression file as it stands.
pub fn shrink(
    registry: &Registry,
    original: &ScenarioFile,
    execute: &Executor<'_>,
) -> Result<Shrunk, String> {
    let mut file = original.clone();
    let recorded = file.expect.violation.take();
    file.expect.trace_hash = None;
    let scenario =
        scenario::from_file(registry, "scenario", &file).map_err(|error| error.to_string())?;
    let first = execute(&scenario, file.seed);
    let signature = failure_signature(&first.outcome).to_string();
    if first.outcome.is_pass() {
        return Err("the scenario passes: there is no failure to shrink".to_string());
    }
    if let Some(recorded) = recorded {
        if recorded != signature {
            return Err(format!(
                "the scenario records {recorded} but ends in {}",
                first.outcome
            ));
        }
    }
    let size = |file: &ScenarioFile, report: &RunReport| Size {
        faults: file.faults.len(),
        nodes: file.nodes,
        duration_ms: file.duration_ms,
        events: report.steps,
    };
    let before = size(&file, &first);
    let mut shrinker = Shrinker {
        registry,
        execute,
        signature: signature.clone(),
        runs: 1,
    };
    shrinker.duration(&mut file, &first);
    shrinker.faults(&mut file);
    shrinker.nodes(&mut file);
    shrinker.faults(&mut file);
    let report = shrinker.fails(&file).expect("the accepted candidate fails");
    shrinker.duration(&mut file, &report);
    shrinker.workload_and_network(&mut file);
    let report = shrinker.fails(&file).expect("the accepted candidate fails");
    let mut shrunk = failure_file(file, &report);
    if !shrunk.name.is_empty() {
        shrunk.name = format!("{}-shrunk", original.name);
    }
    shrunk.description = format!(
        "Shrunk from {before} to {}: ends in {}.",
        size(&shrunk, &report),
        report.outcome
    );
    Ok(Shrunk {
        after: size(&shrunk, &report),
        file: shrunk,
        signature,
        before,
        runs: shrinker.runs,
    })
}
