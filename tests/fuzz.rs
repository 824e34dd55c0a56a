//! Fuzz campaigns, replay, shrink and merge. Real failures come from a protocol broken on
//! purpose (it keeps its vote in volatile memory), run on the generated Raft scenarios
//! through the campaign's executor hook.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use quorumsim::fuzz::ledger::{FAILURES_FILE, LEDGER_FILE};
use quorumsim::fuzz::{self, shrink, Campaign, CampaignSummary, Shard};
use quorumsim::protocol::{
    ClientReply, Command as ClientCommand, Ctx, NodeId, Observation, Protocol,
};
use quorumsim::registry::Registry;
use quorumsim::run::{failure_signature, judge, run_scenario, run_scenario_unjudged};
use quorumsim::scenario::file::FaultKind;
use quorumsim::scenario::{self, Scenario, ScenarioFile};
use quorumsim::sim::{Expectations, RunReport, Simulator, TraceSink};
use quorumsim::time::ms;

use crate::support::{bundled_scenarios, parse, repo_path, run};

/// Elections without durable state: a restarted node forgets the vote it gave in its term
/// and may give it again, which the vote-once-per-term invariant catches. Only crashes make
/// it fail, so failures depend on the generated fault schedule.
#[derive(Debug)]
struct Amnesiac {
    term: u64,
    voted_for: Option<NodeId>,
    /// Who granted this term's vote, once each: a duplicated grant must not count twice.
    votes: Vec<NodeId>,
    leading: bool,
}

#[derive(Clone, Debug, Hash)]
enum AmnesiacMsg {
    Ask { term: u64 },
    Grant { term: u64 },
    Beat { term: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum AmnesiacTimer {
    Election,
    Heartbeat,
}

impl Amnesiac {
    fn adopt(&mut self, ctx: &mut Ctx<'_, Self>, term: u64) {
        if term > self.term {
            if self.leading {
                ctx.observe(Observation::SteppedDown { term: self.term });
                self.leading = false;
            }
            self.term = term;
            self.voted_for = None;
        }
    }
}

impl Protocol for Amnesiac {
    type Config = ();
    type Msg = AmnesiacMsg;
    type Timer = AmnesiacTimer;
    type Durable = ();
    const NAME: &'static str = "amnesiac";

    fn on_start(_config: &(), ctx: &mut Ctx<'_, Self>) -> Self {
        ctx.set_timer(AmnesiacTimer::Election, ms(150)..=ms(300));
        Amnesiac {
            term: 0,
            voted_for: None,
            votes: Vec::new(),
            leading: false,
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: AmnesiacMsg) {
        match msg {
            AmnesiacMsg::Ask { term } => {
                self.adopt(ctx, term);
                if term == self.term && self.voted_for.is_none() {
                    self.voted_for = Some(from);
                    ctx.observe(Observation::Voted {
                        term,
                        candidate: from,
                    });
                    ctx.send(from, AmnesiacMsg::Grant { term });
                }
            }
            AmnesiacMsg::Grant { term } => {
                if term == self.term && !self.leading && self.voted_for == Some(ctx.id()) {
                    if !self.votes.contains(&from) {
                        self.votes.push(from);
                    }
                    if self.votes.len() >= ctx.quorum() {
                        self.leading = true;
                        ctx.observe(Observation::BecameLeader { term });
                        ctx.broadcast(AmnesiacMsg::Beat { term });
                        ctx.set_timer(AmnesiacTimer::Heartbeat, ms(50)..=ms(50));
                    }
                }
            }
            AmnesiacMsg::Beat { term } => {
                self.adopt(ctx, term);
                if term == self.term && !self.leading {
                    ctx.set_timer(AmnesiacTimer::Election, ms(150)..=ms(300));
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: AmnesiacTimer) {
        match timer {
            AmnesiacTimer::Heartbeat if self.leading => {
                ctx.broadcast(AmnesiacMsg::Beat { term: self.term });
                ctx.set_timer(AmnesiacTimer::Heartbeat, ms(50)..=ms(50));
            }
            AmnesiacTimer::Heartbeat => {}
            AmnesiacTimer::Election => {
                let next = self.term + 1;
                self.adopt(ctx, next);
                self.voted_for = Some(ctx.id());
                self.votes = vec![ctx.id()];
                ctx.observe(Observation::Voted {
                    term: next,
                    candidate: ctx.id(),
                });
                ctx.broadcast(AmnesiacMsg::Ask { term: next });
                ctx.set_timer(AmnesiacTimer::Election, ms(150)..=ms(300));
            }
        }
    }

    fn on_client_request(
        &mut self,
        _ctx: &mut Ctx<'_, Self>,
        _command: ClientCommand,
    ) -> ClientReply {
        ClientReply::NotLeader { leader_hint: None }
    }
}

/// Runs a generated (Raft-shaped) scenario with the amnesiac protocol, safety only.
pub(crate) fn amnesiac(scenario: &Scenario, seed: u64) -> RunReport {
    let mut config = scenario.sim.clone();
    config.seed = seed;
    config.expect = Expectations::default();
    Simulator::<Amnesiac>::new(config, (), TraceSink::Off).run()
}

pub(crate) fn raft_base() -> ScenarioFile {
    crate::support::fuzz_base("raft", None)
}

/// A fresh, empty folder under the target directory.
pub(crate) fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub(crate) fn campaign(name: &str, seeds: u64, jobs: usize, shard: Shard) -> Campaign {
    Campaign {
        registry: Registry::builtin(),
        base: raft_base(),
        seed_start: 1000,
        seed_count: seeds,
        shard,
        jobs,
        time_budget: None,
        out_dir: fresh_dir(name),
        resume: false,
    }
}

pub(crate) fn run_amnesiac(campaign: &Campaign) -> CampaignSummary {
    fuzz::run_campaign(campaign, &amnesiac, &|_| true).expect("the campaign runs")
}

const SEEDS: u64 = 60;

#[test]
fn the_broken_protocol_fails_some_seeds_and_passes_others() {
    let camp = campaign("mix", SEEDS, 2, Shard::WHOLE);
    let summary = run_amnesiac(&camp);
    assert_eq!(summary.seeds_run, SEEDS);
    assert!(summary.failures > 0, "{summary:?}");
    assert!(summary.passes > 0, "{summary:?}");
    // A forgotten vote shows as a second vote, or as a second leader of one term.
    for failure in &summary.failing_seeds {
        assert!(
            ["vote-once-per-term", "election-safety"].contains(&failure.signature.as_str()),
            "{failure:?}"
        );
        // Only crashes make it forget: every failing schedule crashes a node.
        let file: ScenarioFile = serde_json::from_str(
            &std::fs::read_to_string(camp.out_dir.join(&failure.file)).unwrap(),
        )
        .unwrap();
        assert!(
            file.faults
                .iter()
                .any(|fault| fault.action == FaultKind::Crash),
            "{failure:?}"
        );
    }
}

#[test]
fn the_summary_is_the_same_whatever_the_jobs_and_the_union_of_shards_is_the_whole() {
    let whole = run_amnesiac(&campaign("jobs-1", SEEDS, 1, Shard::WHOLE)).without_timing();
    for jobs in [2, 4] {
        let name = format!("jobs-{jobs}");
        let summary = run_amnesiac(&campaign(&name, SEEDS, jobs, Shard::WHOLE));
        assert_eq!(summary.without_timing(), whole, "--jobs {jobs}");
    }
    let shards: Vec<CampaignSummary> = (1..=3)
        .map(|index| {
            let shard = Shard { index, count: 3 };
            run_amnesiac(&campaign(&format!("shard-{index}"), SEEDS, 2, shard))
        })
        .collect();
    let seeds: u64 = shards.iter().map(|s| s.seeds_run).sum();
    assert_eq!(seeds, SEEDS);
    assert_eq!(fuzz::merge(&shards).unwrap().without_timing(), whole);
}

#[test]
fn a_failure_is_written_as_a_scenario_that_replays_with_the_same_hash() {
    let camp = campaign("written", 30, 2, Shard::WHOLE);
    let summary = run_amnesiac(&camp);
    let failure = summary.failing_seeds.first().expect("a failing seed");
    let path = camp.out_dir.join(&failure.file);
    let loaded =
        scenario::load(&Registry::builtin(), &path).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(loaded.sim.seed, failure.seed);
    let report = amnesiac(&loaded, loaded.sim.seed);
    assert_eq!(format!("{:016x}", report.trace_hash), failure.trace_hash);
    assert_eq!(failure_signature(&report.outcome), failure.signature);
    // The file expects exactly that end, so judged it passes; with another seed it does not.
    assert!(judge(&loaded, report).outcome.is_pass());
    let other = amnesiac(&loaded, loaded.sim.seed + 1);
    assert!(!judge(&loaded, other).outcome.is_pass());
    let lines = std::fs::read_to_string(camp.out_dir.join(FAILURES_FILE)).unwrap();
    assert_eq!(lines.lines().count() as u64, summary.failures);
}

#[test]
fn an_interrupted_campaign_resumes_without_losing_or_repeating_a_seed() {
    let whole = run_amnesiac(&campaign("uninterrupted", SEEDS, 2, Shard::WHOLE)).without_timing();
    let mut camp = campaign("interrupted", SEEDS, 2, Shard::WHOLE);
    let stopped = fuzz::run_campaign(&camp, &amnesiac, &|progress| progress.done < 25)
        .expect("the campaign runs");
    assert!(
        stopped.seeds_run >= 25 && stopped.seeds_run < SEEDS,
        "{stopped:?}"
    );
    // A kill in the middle of a line leaves half of it.
    let ledger = camp.out_dir.join(LEDGER_FILE);
    let mut text = std::fs::read_to_string(&ledger).unwrap();
    text.push_str("{\"seed\": 99, \"signa");
    std::fs::write(&ledger, text).unwrap();
    // Starting again without --resume refuses to mix campaigns.
    let error = fuzz::run_campaign(&camp, &amnesiac, &|_| true).unwrap_err();
    assert!(error.contains("pass --resume"), "{error}");
    camp.resume = true;
    let resumed = fuzz::run_campaign(&camp, &amnesiac, &|_| true).expect("resumes");
    assert_eq!(resumed.without_timing(), whole);
    // The finished ledger is one checkpoint: every seed taken, none unfinished, each counted
    // once.
    let text = std::fs::read_to_string(&ledger).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    let checkpoint = &serde_json::from_str::<serde_json::Value>(&text).unwrap()["checkpoint"];
    assert_eq!(checkpoint["seeds_taken"], SEEDS);
    assert_eq!(checkpoint["unfinished"], serde_json::json!([]));
    assert_eq!(checkpoint["totals"]["seeds"], SEEDS);
    let failures = std::fs::read_to_string(camp.out_dir.join(FAILURES_FILE)).unwrap();
    assert_eq!(failures.lines().count() as u64, whole.failures);
    // Resuming with other parameters is refused.
    camp.seed_count += 1;
    let error = fuzz::run_campaign(&camp, &amnesiac, &|_| true).unwrap_err();
    assert!(error.contains("other parameters"), "{error}");
}

#[test]
fn a_spent_time_budget_stops_the_campaign_and_resume_finishes_it() {
    let whole = run_amnesiac(&campaign("budget-whole", 20, 2, Shard::WHOLE)).without_timing();
    let mut camp = campaign("budget", 20, 2, Shard::WHOLE);
    camp.time_budget = Some(std::time::Duration::ZERO);
    let stopped = run_amnesiac(&camp);
    assert_eq!((stopped.seeds_run, stopped.seeds_planned), (0, 20));
    assert!(!stopped.is_complete());
    camp.time_budget = None;
    camp.resume = true;
    let finished = run_amnesiac(&camp);
    assert!(finished.is_complete());
    assert_eq!(finished.without_timing(), whole);
}

#[test]
fn shrinking_keeps_the_invariant_and_makes_the_scenario_smaller() {
    let base = raft_base();
    let (seed, report) = (0..200)
        .map(|seed| {
            let file = crate::support::generate(&base, seed);
            let loaded =
                scenario::from_file(&Registry::builtin(), "generated.json", &file).unwrap();
            (seed, amnesiac(&loaded, seed))
        })
        .find(|(_, report)| !report.outcome.is_pass())
        .expect("some seed fails");
    let original = fuzz::campaign::failure_file(crate::support::generate(&base, seed), &report);
    let shrunk = shrink::shrink(&Registry::builtin(), &original, &amnesiac).expect("shrinks");
    assert_eq!(shrunk.signature, failure_signature(&report.outcome));
    assert!(
        shrunk.after.faults < shrunk.before.faults,
        "{} -> {}",
        shrunk.before,
        shrunk.after
    );
    assert!(shrunk.after.events < shrunk.before.events);
    assert!(shrunk.after.duration_ms <= shrunk.before.duration_ms);
    // The result is an ordinary scenario file that reproduces its recorded end.
    let text = serde_json::to_string(&shrunk.file).unwrap();
    let loaded = scenario::parse(&Registry::builtin(), "shrunk.json", &text)
        .unwrap_or_else(|error| panic!("{error}"));
    let again = amnesiac(&loaded, loaded.sim.seed);
    assert_eq!(failure_signature(&again.outcome), shrunk.signature);
    assert!(judge(&loaded, again).outcome.is_pass());
    // A passing scenario has nothing to shrink.
    let passing = crate::support::generate(&base, seed);
    let error = shrink::shrink(&Registry::builtin(), &passing, &fuzz::default_executor).err();
    assert_eq!(
        error.as_deref(),
        Some("the scenario passes: there is no failure to shrink")
    );
}

#[test]
fn removing_a_node_renumbers_the_faults_that_name_the_others() {
    let file = scenario::parse_file(
        &Registry::builtin(),
        "nodes.json",
        r#"{"version": 1, "protocol": "raft", "nodes": 4, "seed": 1, "duration_ms": 1000,
            "faults": [
              {"action": "crash", "at_ms": 10, "node": 1},
              {"action": "crash", "at_ms": 20, "node": 3},
              {"action": "cut", "at_ms": 30, "from": [1], "to": [2, 3]},
              {"action": "partition", "at_ms": 40, "groups": [[0, 1], [2, 3]]},
              {"action": "partition", "at_ms": 50, "groups": [[1], ["rest"]]}
            ]}"#,
    )
    .unwrap();
    let smaller = shrink::without_node(&file, 1).unwrap();
    assert_eq!(smaller.nodes, 3);
    let faults = serde_json::to_value(&smaller.faults).unwrap();
    assert_eq!(
        faults,
        serde_json::json!([
            {"action": "crash", "at_ms": 20, "node": 2},
            {"action": "partition", "at_ms": 40, "groups": [[0], [1, 2]]}
        ])
    );
    scenario::from_file(&Registry::builtin(), "smaller.json", &smaller).expect("still valid");
}

#[test]
fn every_regression_file_reproduces_its_recorded_end() {
    let dir = repo_path("scenarios/regressions");
    let files: Vec<PathBuf> = bundled_scenarios()
        .into_iter()
        .filter(|path| path.starts_with(&dir))
        .collect();
    assert!(!files.is_empty(), "no regression scenarios");
    for path in files {
        let loaded =
            scenario::load(&Registry::builtin(), &path).unwrap_or_else(|error| panic!("{error}"));
        let expected = loaded.expected_end.clone();
        let failure = expected
            .failure
            .as_deref()
            .expect("a regression records its failure");
        let hash = expected
            .trace_hash
            .expect("a regression records its trace hash");
        let report = run_scenario_unjudged(&loaded, loaded.sim.seed, TraceSink::Off);
        assert_eq!(
            failure_signature(&report.outcome),
            failure,
            "{}",
            path.display()
        );
        assert_eq!(report.trace_hash, hash, "{}", path.display());
        assert!(
            run(&loaded, loaded.sim.seed).outcome.is_pass(),
            "{}",
            path.display()
        );
    }
}

#[test]
fn a_recorded_end_fails_a_run_that_ends_otherwise() {
    let base = r#"{"version": 1, "protocol": "raft", "nodes": 3, "seed": 4, "duration_ms": 2000,
                   "workload": {"interval_ms_min": 20, "interval_ms_max": 40}"#;
    let plain = parse(&format!("{base}}}"));
    let hash = run(&plain, 4).trace_hash;
    let pinned = parse(&format!(
        r#"{base}, "expect": {{"trace_hash": "{hash:016x}"}}}}"#
    ));
    assert!(run(&pinned, 4).outcome.is_pass());
    let wrong = parse(&format!(
        r#"{base}, "expect": {{"trace_hash": "{:016x}"}}}}"#,
        hash ^ 1
    ));
    let outcome = run(&wrong, 4).outcome.to_string();
    assert!(outcome.contains("expected trace hash"), "{outcome}");
    let violation = parse(&format!(
        r#"{base}, "expect": {{"violation": "election-safety"}}}}"#
    ));
    let outcome = run_scenario(&violation, 4, TraceSink::Off)
        .outcome
        .to_string();
    assert!(
        outcome.contains("expected the run to end in election-safety, it ended in pass"),
        "{outcome}"
    );
    for (expect, field) in [
        (r#"{"trace_hash": "12345"}"#, "expect.trace_hash"),
        (r#"{"trace_hash": "+123456789abcdef"}"#, "expect.trace_hash"),
        (r#"{"violation": "Election Safety"}"#, "expect.violation"),
        (r#"{"violation": "pass"}"#, "expect.violation"),
    ] {
        let error = scenario::parse(
            &Registry::builtin(),
            "x.json",
            &format!(r#"{base}, "expect": {expect}}}"#),
        )
        .unwrap_err();
        assert_eq!(error.field, field, "{error}");
    }
}

#[test]
fn progress_after_the_last_fault_is_an_expectation() {
    let scenario = |restart: &str| {
        parse(&format!(
            r#"{{"version": 1, "protocol": "raft", "nodes": 3, "seed": 2, "duration_ms": 4000,
                "workload": {{"interval_ms_min": 10, "interval_ms_max": 30}},
                "faults": [{{"action": "crash", "at_ms": 1000, "node": 0}},
                           {{"action": "crash", "at_ms": 1000, "node": 1}}{restart}],
                "expect": {{"commits_after_last_fault_min": 5}}}}"#
        ))
    };
    let stuck = run(&scenario(""), 2);
    let text = stuck.outcome.to_string();
    assert!(
        text.contains("entries committed after the last fault"),
        "{text}"
    );
    assert!(stuck.committed > 0, "commits before the fault do not count");
    let healed = scenario(r#", {"action": "restart", "at_ms": 1500, "node": 0}"#);
    assert!(run(&healed, 2).outcome.is_pass());
}

pub(crate) fn quorumsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quorumsim"))
        .args(args)
        .output()
        .expect("the quorumsim binary runs")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn shards_run_by_the_binary_merge_into_the_unsharded_summary() {
    let dir = fresh_dir("cli-shards");
    let run_shard = |name: &str, shard: Option<&str>| {
        let out = dir.join(name);
        let out_text = out.to_str().unwrap().to_string();
        let mut args = vec![
            "fuzz",
            "--protocol",
            "raft",
            "--seeds",
            "24",
            "--start",
            "7",
            "--json",
            "--out",
            &out_text,
        ];
        if let Some(shard) = shard {
            args.extend(["--shard", shard]);
        }
        let output = quorumsim(&args);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let summary: CampaignSummary =
            serde_json::from_slice(&output.stdout).expect("JSON summary");
        (summary, out.join("summary.json"))
    };
    let (whole, _) = run_shard("whole", None);
    let (_, first) = run_shard("one", Some("1/2"));
    let (_, second) = run_shard("two", Some("2/2"));
    let output = quorumsim(&["merge", first.to_str().unwrap(), second.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let merged: CampaignSummary = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(merged.without_timing(), whole.without_timing());
    assert_eq!(whole.seeds_run, 24);
    let output = quorumsim(&["merge", first.to_str().unwrap(), first.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        "error: summary 2 repeats shard 1/2: shards overlap\n"
    );
}

#[test]
fn bad_fuzz_arguments_are_one_line_errors() {
    let dir = fresh_dir("cli-errors");
    let out = dir.to_str().unwrap();
    for (args, expected) in [
        (
            vec!["--shard", "0/3"],
            "error: invalid value '0/3' for '--shard <K/N>': invalid shard '0/3'",
        ),
        (
            vec!["--shard", "4/3"],
            "error: invalid value '4/3' for '--shard <K/N>': invalid shard '4/3'",
        ),
        (
            vec!["--bug", "no-such-bug"],
            "error: scenarios/fuzz/raft-base.json: unknown bug \"no-such-bug\" for protocol raft; valid names: figure-8-commit,",
        ),
        (
            vec!["--protocol", "fle", "--bug", "figure-8-commit"],
            "error: scenarios/fuzz/fle-base.json: unknown bug \"figure-8-commit\" for protocol fle; valid names: zxid-before-epoch,",
        ),
        (
            vec!["--protocol", "paxos"],
            "error: invalid value 'paxos' for '--protocol <PROTOCOL>'",
        ),
        (
            vec!["--scenario", "no/such/base.json"],
            "error: no/such/base.json: cannot read",
        ),
    ] {
        let mut all = vec!["fuzz", "--seeds", "3", "--out", out];
        if !args.contains(&"--protocol") {
            all.extend(["--protocol", "raft"]);
        }
        all.extend(args.iter().copied());
        let output = quorumsim(&all);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{all:?}: {stderr}");
        assert!(stderr.starts_with(expected), "{all:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{all:?}: {stderr}");
    }
}

#[test]
fn replay_reproduces_a_regression_and_reports_a_mismatch() {
    let path = repo_path("scenarios/regressions/raft-split-vote-livelock.json");
    let output = quorumsim(&["replay", path.to_str().unwrap(), "--tail", "5"]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("outcome: expectation failed"), "{stdout}");
    assert!(
        stdout.contains("reproduced: the run ends as the file records"),
        "{stdout}"
    );
    let output = quorumsim(&["replay", path.to_str().unwrap(), "--check-determinism"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).starts_with("deterministic: two runs, identical traces"));
    let tampered = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"seed\": 255", "\"seed\": 256");
    let tampered_path = fresh_dir("replay").join("tampered.json");
    std::fs::write(&tampered_path, tampered).unwrap();
    let output = quorumsim(&["replay", tampered_path.to_str().unwrap()]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("NOT reproduced"), "{stdout}");
}

#[test]
fn shrink_writes_a_scenario_that_run_passes_and_refuses_a_passing_one() {
    let dir = fresh_dir("cli-shrink");
    let input = repo_path("scenarios/regressions/raft-split-vote-livelock.json");
    let output_path = dir.join("minimal.json");
    let output = quorumsim(&[
        "shrink",
        input.to_str().unwrap(),
        "-o",
        output_path.to_str().unwrap(),
    ]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(stdout.contains("fails with expectation-failed"), "{stdout}");
    assert!(stdout.contains("before: 0 faults, 2 nodes"), "{stdout}");
    let run = quorumsim(&["run", output_path.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stdout));
    let passing = repo_path("scenarios/raft/steady-state.json");
    let output = quorumsim(&[
        "shrink",
        passing.to_str().unwrap(),
        "-o",
        output_path.to_str().unwrap(),
    ]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.ends_with("the scenario passes: there is no failure to shrink\n"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);
}

#[test]
fn replay_draws_the_replayed_run_as_svg_and_html() {
    let dir = fresh_dir("cli-replay-diagrams");
    let input = repo_path("scenarios/regressions/raft-split-vote-livelock.json");
    let (svg, html) = (dir.join("run.svg"), dir.join("run.html"));
    let output = quorumsim(&[
        "replay",
        input.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let svg_text = std::fs::read_to_string(&svg).expect("the SVG is written");
    let document = roxmltree::Document::parse(&svg_text).expect("the SVG is well-formed XML");
    assert!(document.root_element().has_tag_name("svg"));
    // One lane per node of the replayed file (two), each named.
    let lanes: Vec<&str> = document
        .descendants()
        .filter(|node| node.attribute("class") == Some("lane"))
        .filter_map(|lane| lane.descendants().find(|n| n.has_tag_name("text")))
        .filter_map(|label| label.text())
        .collect();
    assert_eq!(lanes, ["n0", "n1"]);
    let page = std::fs::read_to_string(&html).expect("the HTML is written");
    assert!(page.contains("<svg"), "the page holds the diagram inline");

    // An unwritable diagram path is one line and exit 2, after the replay's verdict.
    let output = quorumsim(&[
        "replay",
        input.to_str().unwrap(),
        "--svg",
        dir.join("no/such/dir/run.svg").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stdout).contains("reproduced"));
    assert_eq!(text(&output.stderr).lines().count(), 1);
}

#[test]
fn an_empty_campaign_or_experiment_is_a_usage_error() {
    for args in [
        &["fuzz", "--protocol", "raft", "--seeds", "0"][..],
        &["experiment", "election-downtime", "--trials", "0"][..],
    ] {
        let output = quorumsim(args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: invalid value '0'"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}
