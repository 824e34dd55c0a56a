//! raft-rs beside quorumsim's own Raft on the same situations: for every scenario bundled
//! with both (`scenarios/raft/X.json` and `examples/raft-rs/scenarios/X.json`), the same
//! seeds of each, one run at a time on one thread; election downtime after a leader crash;
//! and how long after a fuzz seed's heal a leader stands, over each protocol's bundled fuzz
//! base (raft-rs also with its `keep_timer_on_refused_vote` experiment, and with ticks ten
//! times finer); and the tikv/raft-rs#14 reproducer over many seeds. Prints markdown tables
//! for `reports/raft-rs.md` and `reports/raft-rs-election-timer.md`.
//!
//! ```sh
//! cargo run --release -p quorumsim-raft-rs --example side_by_side -- [SEEDS] [DOWNTIME_SEEDS] [SWARM_SEEDS]
//! ```
//!
//! Wall-clock time is read only here, around whole runs, to report events per second; the
//! runs themselves never see it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use quorumsim::fuzz::{self, swarm};
use quorumsim::registry::Registry;
use quorumsim::run::run_scenario;
use quorumsim::scenario::file::{ExpectFile, FaultKind};
use quorumsim::scenario::{self, Scenario};
use quorumsim::sim::{RunReport, TraceSink};
use quorumsim_raft_rs::RaftRsNode;

/// The two protocols' scenario folders, from the workspace root.
const RAFT_DIR: &str = "scenarios/raft";
const RAFT_RS_DIR: &str = "examples/raft-rs/scenarios";

/// Fields of a protocol section set to numbers (a switch: 1 is on).
type SectionChanges = &'static [(&'static str, u64)];

/// Totals of one protocol over one scenario's seeds.
#[derive(Default)]
struct Totals {
    runs: u64,
    passes: u64,
    events: u64,
    wall_s: f64,
    messages_sent: u64,
    committed: u64,
}

impl Totals {
    fn add(&mut self, report: &RunReport, wall_s: f64) {
        self.runs += 1;
        self.passes += u64::from(report.outcome.is_pass());
        self.events += report.steps;
        self.wall_s += wall_s;
        self.messages_sent += report.stats.messages_sent;
        self.committed += report.committed;
    }

    fn events_per_s(&self) -> f64 {
        self.events as f64 / self.wall_s
    }

    fn per_run(&self, value: u64) -> f64 {
        value as f64 / self.runs as f64
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seeds: u64 = args.next().map_or(20, |text| text.parse().expect("SEEDS"));
    let downtime_seeds: u64 = args.next().map_or(500, |text| text.parse().expect("SEEDS"));
    let swarm_seeds: u64 = args
        .next()
        .map_or(3_000, |text| text.parse().expect("SEEDS"));
    let root = workspace_root();
    let registry = Registry::builtin().with::<RaftRsNode>();
    println!("Seeds 1..={seeds} of each scenario, one run at a time on one thread.\n");
    println!(
        "| scenario | events/run raft / raft-rs | events/s raft / raft-rs | wall ms/run raft / raft-rs \
         | messages per commit raft / raft-rs | commits/run raft / raft-rs | passed raft / raft-rs |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for name in common_scenarios(&root) {
        let raft = load(&registry, &root.join(RAFT_DIR).join(&name));
        let raft_rs = load(&registry, &root.join(RAFT_RS_DIR).join(&name));
        let (mut left, mut right) = (Totals::default(), Totals::default());
        for seed in 1..=seeds {
            timed_run(&raft, seed, &mut left);
            timed_run(&raft_rs, seed, &mut right);
        }
        println!(
            "| {} | {:.0} / {:.0} | {:.0}k / {:.0}k | {:.1} / {:.1} | {:.1} / {:.1} | {:.0} / {:.0} | {}/{} / {}/{} |",
            name.trim_end_matches(".json"),
            left.per_run(left.events),
            right.per_run(right.events),
            left.events_per_s() / 1e3,
            right.events_per_s() / 1e3,
            left.wall_s * 1e3 / left.runs as f64,
            right.wall_s * 1e3 / right.runs as f64,
            left.messages_sent as f64 / left.committed.max(1) as f64,
            right.messages_sent as f64 / right.committed.max(1) as f64,
            left.per_run(left.committed),
            right.per_run(right.committed),
            left.passes,
            left.runs,
            right.passes,
            right.runs,
        );
    }
    println!();
    downtime(&registry, &root, downtime_seeds);
    println!();
    heal_to_leader(&registry, swarm_seeds);
    println!();
    stale_candidates(&registry, &root, 400);
}

fn timed_run(scenario: &Scenario, seed: u64, totals: &mut Totals) {
    let started = Instant::now();
    let report = run_scenario(scenario, seed, TraceSink::Off);
    totals.add(&report, started.elapsed().as_secs_f64());
}

/// `leader-crash` without its restart and expectations: the crash at 3 s is the last fault,
/// so a run's `first_leader_established_us` is when a new leader is first acknowledged by a
/// live quorum after it.
fn downtime(registry: &Registry, root: &Path, seeds: u64) {
    println!(
        "Election downtime after the leader crashes at 3 s (`leader-crash` without its restart), \
         seeds 1..={seeds}: from the crash until a new leader is acknowledged by a live quorum.\n"
    );
    println!("| protocol | median ms | p90 ms | p99 ms | max ms | runs without a new leader |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (protocol, dir) in [("raft", RAFT_DIR), ("raft-rs", RAFT_RS_DIR)] {
        let path = root.join(dir).join("leader-crash.json");
        let text = std::fs::read_to_string(&path).expect("readable");
        let mut file = scenario::parse_file(registry, &path.display().to_string(), &text)
            .expect("a scenario file");
        file.faults.retain(|fault| fault.action == FaultKind::Crash);
        let crash_us = file.faults[0].at_ms * 1_000;
        file.expect = ExpectFile::default();
        let loaded = scenario::from_file(registry, "leader-crash", &file).expect("valid");
        let mut downtimes_us = Vec::new();
        let mut missing = 0;
        for seed in 1..=seeds {
            let report = run_scenario(&loaded, seed, TraceSink::Off);
            match report.first_leader_established_us {
                Some(at_us) => downtimes_us.push(at_us - crash_us),
                None => missing += 1,
            }
        }
        downtimes_us.sort_unstable();
        let at = |quantile: f64| {
            let position = ((downtimes_us.len() - 1) as f64 * quantile).round() as usize;
            downtimes_us[position] as f64 / 1e3
        };
        println!(
            "| {protocol} | {:.1} | {:.1} | {:.1} | {:.1} | {missing} |",
            at(0.5),
            at(0.9),
            at(0.99),
            at(1.0)
        );
    }
}

/// Over seeds `0..seeds` of each fuzz base: from the last fault (the heal that starts the
/// liveness phase, or a residual cut) until a leader is first acknowledged by a live quorum.
fn heal_to_leader(registry: &Registry, seeds: u64) {
    println!(
        "From the heal (the start of the liveness phase) to a leader acknowledged by a live quorum, \
         seeds 0..{seeds} of each protocol's bundled fuzz base.\n"
    );
    println!(
        "| protocol | median ms | p90 ms | p99 ms | p99.9 ms | max ms | over 1 s | over 2 s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    // Each raft-rs row changes the base's section: none, the timer experiment, or ticks ten
    // times finer (the same timeouts in ten times as many ticks), which tests whether the
    // tail comes from timeouts that take only 15 values.
    let runs: [(&str, &str, SectionChanges); 4] = [
        ("raft", "raft", &[]),
        ("raft-rs", "raft-rs", &[]),
        (
            "raft-rs, keep_timer_on_refused_vote",
            "raft-rs",
            &[("keep_timer_on_refused_vote", 1)],
        ),
        (
            "raft-rs, ticks of 1 ms",
            "raft-rs",
            &[
                ("tick_interval_ms", 1),
                ("election_tick", 150),
                ("heartbeat_tick", 50),
                ("min_election_tick", 150),
                ("max_election_tick", 300),
            ],
        ),
    ];
    for (label, protocol, changes) in runs {
        let entry = registry.lookup(protocol).expect("registered");
        let bundled = fuzz::default_base(registry, protocol).expect("a fuzz base");
        let mut base = scenario::parse_file(registry, bundled.path, bundled.text).expect("parses");
        if !changes.is_empty() {
            let mut section = base.section().cloned().expect("a section");
            for &(field, value) in changes {
                section[field] = match field {
                    "keep_timer_on_refused_vote" => serde_json::Value::Bool(value == 1),
                    _ => serde_json::Value::from(value),
                };
            }
            base.set_section(section);
        }
        let mut delays_us = Vec::new();
        for seed in 0..seeds {
            let file = swarm::generate(entry, &base, seed).expect("the base generates");
            let last_fault_us = file
                .faults
                .iter()
                .map(|fault| fault.at_ms)
                .max()
                .unwrap_or(0)
                * 1_000;
            let loaded = scenario::from_file(registry, "generated", &file).expect("valid");
            let report = run_scenario(&loaded, loaded.sim.seed, TraceSink::Off);
            // A run without a leader by its end counts as the longest possible wait.
            let until_us = report.first_leader_established_us.unwrap_or(u64::MAX);
            delays_us.push(until_us.saturating_sub(last_fault_us));
        }
        delays_us.sort_unstable();
        let ms = |position: usize| match delays_us[position] {
            u64::MAX => "none".to_string(),
            delay_us => format!("{:.1}", delay_us as f64 / 1e3),
        };
        let at = |quantile: f64| ms(((delays_us.len() - 1) as f64 * quantile).round() as usize);
        let over = |limit_us: u64| delays_us.iter().filter(|&&delay| delay > limit_us).count();
        println!(
            "| {label} | {} | {} | {} | {} | {} | {} | {} |",
            at(0.5),
            at(0.9),
            at(0.99),
            at(0.999),
            at(1.0),
            over(1_000_000),
            over(2_000_000)
        );
    }
}

/// The regression file of tikv/raft-rs#14 over seeds `1..=seeds`, with its expected end
/// removed: from the heal to a leader acknowledged by a live quorum (or, where none is by
/// the deadline, to the next leader's election), raft-rs as is and with the timer kept.
fn stale_candidates(registry: &Registry, root: &Path, seeds: u64) {
    let path = root.join("examples/raft-rs/tests/regressions/stale-candidates-after-heal.json");
    let text = std::fs::read_to_string(&path).expect("readable");
    println!(
        "`stale-candidates-after-heal` (tikv/raft-rs#14), seeds 1..={seeds}: from the heal to a \
         leader (acknowledged by a live quorum, or elected where none is by the 2 s bound).\n"
    );
    println!("| election timer | median ms | p90 ms | p99 ms | max ms | over 2 s |");
    println!("|---|---:|---:|---:|---:|---:|");
    for keep_timer in [false, true] {
        let mut file = scenario::parse_file(registry, "regression", &text).expect("parses");
        let heal_us = file
            .faults
            .iter()
            .map(|fault| fault.at_ms)
            .max()
            .unwrap_or(0)
            * 1_000;
        let mut section = file.section().cloned().expect("a section");
        section["keep_timer_on_refused_vote"] = serde_json::Value::Bool(keep_timer);
        file.set_section(section);
        file.expect.violation = None;
        file.expect.trace_hash = None;
        let loaded = scenario::from_file(registry, "regression", &file).expect("valid");
        let mut delays_us: Vec<u64> = (1..=seeds)
            .map(|seed| {
                let report = run_scenario(&loaded, seed, TraceSink::Off);
                let elected_us = report
                    .leaders
                    .iter()
                    .map(|leader| leader.at_us)
                    .find(|&at_us| at_us > heal_us);
                let until_us = report.first_leader_established_us.or(elected_us);
                until_us.unwrap_or(u64::MAX).saturating_sub(heal_us)
            })
            .collect();
        delays_us.sort_unstable();
        let at = |quantile: f64| {
            let position = ((delays_us.len() - 1) as f64 * quantile).round() as usize;
            delays_us[position] as f64 / 1e3
        };
        let label = if keep_timer {
            "kept on a refused vote (Figure 2)"
        } else {
            "raft-rs as is"
        };
        let over = delays_us.iter().filter(|&&delay| delay > 2_000_000).count();
        println!(
            "| {label} | {:.0} | {:.0} | {:.0} | {:.0} | {over} |",
            at(0.5),
            at(0.9),
            at(0.99),
            at(1.0)
        );
    }
}

fn load(registry: &Registry, path: &Path) -> Scenario {
    scenario::load(registry, path).unwrap_or_else(|error| panic!("{error}"))
}

/// Scenario files bundled with both protocols, by name.
fn common_scenarios(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join(RAFT_RS_DIR))
        .expect("the raft-rs scenarios")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".json") && root.join(RAFT_DIR).join(name).exists())
        .collect();
    names.sort();
    names
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
