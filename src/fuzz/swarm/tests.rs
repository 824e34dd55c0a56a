use super::faults::fault;
use super::*;
use crate::scenario;
use crate::scenario::file::{FaultFile, SelectorFile};

fn base() -> ScenarioFile {
    let text = include_str!("../../../scenarios/fuzz/raft-base.json");
    scenario::parse_file(&Registry::builtin(), "raft-base.json", text)
        .expect("the bundled base parses")
}

/// One seed's run from `base`, whose protocol is built in.
fn generate_run(base: &ScenarioFile, seed: u64) -> GeneratedRun {
    let registry = Registry::builtin();
    let protocol = registry
        .lookup(&base.protocol)
        .expect("a built-in protocol");
    super::generate_run(protocol, base, seed).expect("the base is valid")
}

fn generate(base: &ScenarioFile, seed: u64) -> ScenarioFile {
    generate_run(base, seed).file
}

fn parse(text: &str) -> Result<crate::scenario::Scenario, crate::scenario::ScenarioError> {
    scenario::parse(&Registry::builtin(), "generated.json", text)
}

fn raft_section(file: &ScenarioFile) -> crate::raft::RaftSection {
    serde_json::from_value(file.section().expect("a Raft section").clone()).expect("a Raft section")
}

#[test]
fn every_generated_scenario_validates_and_stays_within_the_base() {
    let base = base();
    for seed in 0..300 {
        let file = generate(&base, seed);
        let text = serde_json::to_string(&file).unwrap();
        let scenario = parse(&text).unwrap_or_else(|error| panic!("seed {seed}: {error}"));
        assert!(file.nodes >= 3 && file.nodes <= base.nodes, "seed {seed}");
        assert_eq!(scenario.sim.seed, seed);
        let heal_ms = base.duration_ms - liveness_window_ms(&base);
        assert!(
            file.faults.iter().all(|f| f.at_ms <= heal_ms),
            "seed {seed}"
        );
        assert_eq!(file.faults.last().map(|f| f.at_ms), Some(heal_ms));
    }
}

#[test]
fn a_seed_always_derives_the_same_scenario_and_seeds_differ() {
    let base = base();
    let first = serde_json::to_string(&generate(&base, 7)).unwrap();
    assert_eq!(first, serde_json::to_string(&generate(&base, 7)).unwrap());
    let shapes: std::collections::BTreeSet<String> = (0..20)
        .map(|seed| {
            let file = generate(&base, seed);
            format!("{} {}", file.nodes, file.faults.len())
        })
        .collect();
    assert!(shapes.len() > 5, "{shapes:?}");
}

#[test]
fn the_swarm_uses_every_kind_and_one_way_cuts() {
    let base = base();
    let mut seen = Vec::new();
    for seed in 0..50 {
        for fault in generate(&base, seed).faults {
            if !seen.contains(&fault.action) {
                seen.push(fault.action);
            }
        }
    }
    for kind in KINDS.iter().chain(&[FaultKind::Restart, FaultKind::Heal]) {
        assert!(seen.contains(kind), "{kind:?} never generated");
    }
}

#[test]
fn half_the_fle_seeds_keep_the_safety_phase_idle() {
    let text = include_str!("../../../scenarios/fuzz/fle-base.json");
    let base = scenario::parse_file(&Registry::builtin(), "fle-base.json", text)
        .expect("the bundled base parses");
    let heal_ms = base.duration_ms - liveness_window_ms(&base);
    let mut idle = 0;
    for seed in 0..100 {
        let file = generate(&base, seed);
        let text = serde_json::to_string(&file).unwrap();
        parse(&text).unwrap_or_else(|error| panic!("seed {seed}: {error}"));
        let start_ms = file.workload.expect("the base has a workload").start_ms;
        if start_ms >= heal_ms {
            idle += 1;
        } else {
            assert_eq!(start_ms, base.workload.as_ref().unwrap().start_ms);
        }
    }
    assert!((30..=70).contains(&idle), "{idle} of 100 idle");
}

#[test]
fn the_residual_cut_comes_only_with_check_quorum_and_pre_vote() {
    let base = base();
    let mut residual = 0;
    for seed in 0..200 {
        let file = generate(&base, seed);
        let raft = raft_section(&file);
        let heal_ms = base.duration_ms - liveness_window_ms(&base);
        let last = file.faults.last().expect("the heal");
        let cut_into_leader = last.action == FaultKind::Cut
            && last.to == Some(vec![SelectorFile::Leader])
            && last.at_ms == heal_ms;
        if cut_into_leader {
            residual += 1;
            assert_eq!(raft.check_quorum, Some(true), "seed {seed}");
            assert_eq!(raft.pre_vote, Some(true), "seed {seed}");
            assert!(file.nodes >= 5, "seed {seed}");
        }
    }
    assert!(residual > 5, "{residual} residual cuts");
}

#[test]
fn leader_churn_and_voter_restarts_are_drawn() {
    let base = base();
    let (mut isolate_leader, mut pair, mut one_entry) = (0, 0, 0);
    for seed in 0..200 {
        let file = generate(&base, seed);
        if raft_section(&file).max_entries_per_append == Some(1) {
            one_entry += 1;
        }
        for fault in &file.faults {
            if fault.action == FaultKind::Isolate && fault.node == Some(SelectorFile::Leader) {
                isolate_leader += 1;
            }
            let leader_pair = vec![SelectorFile::Leader, SelectorFile::Follower];
            if fault.groups.as_ref().is_some_and(|g| g[0] == leader_pair) {
                pair += 1;
            }
        }
    }
    assert!(isolate_leader > 0 && pair > 0 && one_entry > 0);
}

#[test]
fn the_base_faults_choose_the_kinds() {
    let mut base = base();
    base.faults = vec![fault(100, FaultKind::Cut)];
    base.faults[0].from = Some(vec![SelectorFile::Id(0)]);
    base.faults[0].to = Some(vec![SelectorFile::Id(1)]);
    for seed in 0..30 {
        for fault in generate(&base, seed).faults {
            assert!(
                matches!(fault.action, FaultKind::Cut | FaultKind::Heal),
                "seed {seed}: {fault:?}"
            );
        }
    }
}

#[test]
fn a_quarter_of_the_seeds_get_stream_links_unless_the_base_names_a_mode() {
    let base = base();
    let mut stream_seeds = 0;
    for seed in 0..400 {
        let run = generate_run(&base, seed);
        let stream = run.file.network.mode == Some(LinkModeFile::Stream);
        assert_eq!(
            run.options.iter().find(|(name, _)| *name == "stream_links"),
            Some(&("stream_links", stream)),
            "seed {seed}"
        );
        if stream {
            stream_seeds += 1;
            // Connections lose and duplicate nothing, so a stream seed asks for neither.
            assert_eq!(run.file.network.drop_probability, None, "seed {seed}");
            assert_eq!(run.file.network.duplicate_probability, None, "seed {seed}");
            assert!(
                run.file
                    .faults
                    .iter()
                    .all(|fault| fault.action != FaultKind::SetNetwork),
                "seed {seed}"
            );
        } else {
            assert_eq!(run.file.network.mode, None, "seed {seed}");
        }
    }
    assert!((70..=130).contains(&stream_seeds), "{stream_seeds} of 400");
    for mode in [LinkModeFile::Datagram, LinkModeFile::Stream] {
        let mut fixed = base.clone();
        fixed.network.mode = Some(mode);
        fixed.network.drop_probability = None;
        fixed.network.duplicate_probability = None;
        for seed in 0..50 {
            assert_eq!(
                generate(&fixed, seed).network.mode,
                Some(mode),
                "seed {seed}"
            );
        }
    }
}

#[test]
fn write_loss_storms_come_only_with_disks_that_take_time() {
    let base = base();
    let mut storms = 0;
    for seed in 0..300 {
        let file = generate(&base, seed);
        let writing: Vec<&FaultFile> = file
            .faults
            .iter()
            .filter(|fault| fault.node == Some(SelectorFile::Writing))
            .collect();
        let timed = file
            .storage
            .as_ref()
            .is_some_and(|storage| storage.write_ms_max > 0);
        if !timed {
            assert!(writing.is_empty(), "seed {seed}: a storm without a disk");
            continue;
        }
        if !writing.is_empty() {
            storms += 1;
            assert!(
                writing.iter().all(|fault| fault.action == FaultKind::Crash),
                "seed {seed}"
            );
            // Every crash of the storm is followed by a restart of the node down longest.
            let restarts = file
                .faults
                .iter()
                .filter(|fault| {
                    fault.action == FaultKind::Restart && fault.node == Some(SelectorFile::Crashed)
                })
                .count();
            assert!(restarts >= writing.len(), "seed {seed}");
        }
    }
    assert!(storms >= 20, "only {storms} storms in 300 seeds");
    let mut instant = base.clone();
    instant.storage = None;
    for seed in 0..100 {
        let file = generate(&instant, seed);
        assert!(
            file.faults
                .iter()
                .all(|fault| fault.node != Some(SelectorFile::Writing)),
            "seed {seed}"
        );
    }
}
