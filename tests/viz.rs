//! Space-time diagrams: recording a run leaves its trace hash alone, and the SVG drawn from a
//! recording is well-formed XML with one lane per node, drops, cut links and the violation.

use std::process::Command;

use quorumsim::net::LinkModel;
use quorumsim::prng::Ratio;
use quorumsim::protocol::{
    ClientReply, Command as ClientCommand, Ctx, NodeId, Observation, Protocol,
};
use quorumsim::registry::Registry;
use quorumsim::run::{run_scenario, run_scenario_recorded};
use quorumsim::scenario;
use quorumsim::sim::recording::MessageFate;
use quorumsim::sim::{
    Expectations, Fault, FaultAction, Recording, Retention, RunReport, Selector, SimConfig,
    Simulator, TraceSink,
};
use quorumsim::time::ms;
use quorumsim::viz::{layout, render_html, render_svg, DiagramOutputs, WindowMs};

use crate::support::{parse, repo_path, FAULTY_RAFT};

fn load(relative: &str) -> scenario::Scenario {
    scenario::load(&Registry::builtin(), &repo_path(relative))
        .unwrap_or_else(|error| panic!("{error}"))
}

fn svg_of(recording: &Recording, report: &RunReport, window: Option<WindowMs>) -> String {
    render_svg(&layout("test.json", recording, report, window))
}

/// The `<g>` groups whose class list holds `class`.
fn groups<'a>(document: &'a roxmltree::Document, class: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    document
        .descendants()
        .filter(|node| node.has_tag_name("g"))
        .filter(|node| {
            node.attribute("class")
                .is_some_and(|classes| classes.split(' ').any(|c| c == class))
        })
        .collect()
}

fn title_of(node: roxmltree::Node) -> String {
    node.children()
        .find(|child| child.has_tag_name("title"))
        .and_then(|title| title.text())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn recording_leaves_the_trace_hash_and_outcome_alone() {
    let faulty = parse(FAULTY_RAFT);
    let bundled = [
        load("scenarios/raft/figure-8.json"),
        load("scenarios/raft/duplicate-heavy.json"),
        load("scenarios/raft/lossy-links.json"),
    ];
    let cases = (1..=4)
        .map(|seed| (&faulty, seed))
        .chain(bundled.iter().map(|scenario| (scenario, scenario.sim.seed)));
    for (scenario, seed) in cases {
        let plain = run_scenario(scenario, seed, TraceSink::Off);
        let (recorded, recording) =
            run_scenario_recorded(scenario, seed, TraceSink::Off, Retention::All);
        assert_eq!(plain.trace_hash, recorded.trace_hash, "seed {seed}");
        assert_eq!(plain.outcome, recorded.outcome, "seed {seed}");
        assert_eq!(plain.steps, recorded.steps, "seed {seed}");
        // The recording accounts for every message the run counted.
        let stats = recorded.stats;
        let count = |wanted: fn(&MessageFate) -> bool| {
            recording
                .messages
                .iter()
                .filter(|m| wanted(&m.fate))
                .count() as u64
        };
        assert_eq!(
            recording.messages.len() as u64,
            stats.messages_sent + stats.messages_duplicated
        );
        assert_eq!(
            count(|fate| matches!(fate, MessageFate::Delivered { .. })),
            stats.messages_delivered
        );
        assert_eq!(
            count(|fate| matches!(fate, MessageFate::Dropped { .. })),
            stats.messages_dropped_down
                + stats.messages_dropped_loss
                + stats.messages_dropped_partition
        );
        assert_eq!(recording.end_us, recorded.end_us);
    }
}

#[test]
fn a_run_with_a_partition_and_a_crash_draws_lanes_drops_and_cut_links() {
    // Figure 8: n0 crashes and the rest is partitioned at 4 s, n4 crashes and one-way cuts
    // start at 5 s.
    let scenario = load("scenarios/raft/figure-8.json");
    let (report, recording) =
        run_scenario_recorded(&scenario, scenario.sim.seed, TraceSink::Off, Retention::All);
    let window = Some(WindowMs {
        start_ms: 3900,
        end_ms: 5300,
    });
    let svg = svg_of(&recording, &report, window);
    let document = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    assert!(document.root_element().has_tag_name("svg"));

    let lanes = groups(&document, "lane");
    let names: Vec<&str> = lanes
        .iter()
        .filter_map(|lane| lane.descendants().find(|n| n.has_tag_name("text")))
        .filter_map(|text| text.text())
        .collect();
    assert_eq!(names, ["n0", "n1", "n2", "n3", "n4"]);

    let dropped = groups(&document, "dropped");
    assert!(!dropped.is_empty(), "drops in the window are drawn");
    assert!(dropped
        .iter()
        .any(|drop| title_of(*drop).contains("receiver down")));
    assert!(dropped
        .iter()
        .any(|drop| title_of(*drop).contains("link cut")));
    assert!(!groups(&document, "delivered").is_empty());

    let cuts: Vec<String> = groups(&document, "cut").into_iter().map(title_of).collect();
    assert!(
        cuts.iter()
            .any(|cut| cut.starts_with("partition {n0} | {n1} | {n2 n3 n4}")),
        "{cuts:?}"
    );
    assert!(
        cuts.iter().any(|cut| cut.starts_with("links down: n1→n2")),
        "{cuts:?}"
    );
    let crashes: Vec<String> = groups(&document, "crash")
        .into_iter()
        .map(title_of)
        .collect();
    assert!(
        crashes
            .iter()
            .any(|c| c.starts_with("n0 down from 4000.000ms")),
        "{crashes:?}"
    );
    assert!(
        crashes
            .iter()
            .any(|c| c.starts_with("n4 down from 5000.000ms")),
        "{crashes:?}"
    );
    assert!(!groups(&document, "leader").is_empty());
    assert!(svg.contains("window 3900.000ms – 5300.000ms of a 10000.000ms run"));
    // A passing run highlights nothing.
    assert!(groups(&document, "violation").is_empty());

    // The HTML page carries the same picture inline.
    let html = render_html(&layout("test.json", &recording, &report, window));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(&svg));
    assert!(!html.contains("<script") && !html.contains("http://example"));
}

#[test]
fn only_the_window_is_drawn() {
    let scenario = load("scenarios/raft/figure-8.json");
    let (report, recording) =
        run_scenario_recorded(&scenario, scenario.sim.seed, TraceSink::Off, Retention::All);
    let narrow = svg_of(
        &recording,
        &report,
        Some(WindowMs {
            start_ms: 6000,
            end_ms: 6100,
        }),
    );
    let wide = svg_of(
        &recording,
        &report,
        Some(WindowMs {
            start_ms: 6000,
            end_ms: 6400,
        }),
    );
    let count = |svg: &str| {
        let document = roxmltree::Document::parse(svg).expect("well-formed");
        groups(&document, "message").len()
    };
    let in_narrow = recording
        .messages
        .iter()
        .filter(|m| {
            let end_us = match m.fate {
                MessageFate::Delivered { at_us } | MessageFate::Dropped { at_us, .. } => at_us,
                MessageFate::InFlight { due_us } => due_us,
            };
            m.sent_us <= ms(6100) && end_us >= ms(6000)
        })
        .count();
    assert!(in_narrow > 0);
    assert_eq!(count(&narrow), in_narrow);
    assert!(count(&wide) > count(&narrow));
}

#[test]
fn a_recording_that_keeps_only_the_window_draws_the_same_picture() {
    let scenario = load("scenarios/raft/duplicate-heavy.json");
    let seed = scenario.sim.seed;
    let (report, everything) =
        run_scenario_recorded(&scenario, seed, TraceSink::Off, Retention::All);
    for window in [
        None,
        Some(WindowMs {
            start_ms: 2900,
            end_ms: 3300,
        }),
    ] {
        let outputs = DiagramOutputs {
            window,
            ..DiagramOutputs::default()
        };
        let (_, kept) = run_scenario_recorded(&scenario, seed, TraceSink::Off, outputs.retention());
        assert!(
            kept.messages.len() * 5 < everything.messages.len(),
            "{window:?}"
        );
        assert_eq!(
            svg_of(&kept, &report, window),
            svg_of(&everything, &report, window),
            "{window:?}"
        );
    }
}

/// A toy protocol: every node greets the others every 10 ms with a text that needs escaping;
/// n0 leads term 1 from the start, and when `broken`, n1 also claims term 1 at 700 ms.
struct Greeter {
    ticks: u32,
    broken: bool,
}

#[derive(Clone, Debug, Hash)]
enum GreeterMsg {
    Hello { text: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum GreeterTimer {
    Tick,
}

impl Protocol for Greeter {
    type Config = bool;
    type Msg = GreeterMsg;
    type Timer = GreeterTimer;
    type Durable = ();
    const NAME: &'static str = "greeter";

    fn on_start(broken: &bool, ctx: &mut Ctx<'_, Self>) -> Self {
        if ctx.id() == NodeId(0) {
            ctx.observe(Observation::BecameLeader { term: 1 });
        }
        ctx.set_timer(GreeterTimer::Tick, ms(10)..=ms(10));
        Greeter {
            ticks: 0,
            broken: *broken,
        }
    }

    fn on_message(&mut self, _ctx: &mut Ctx<'_, Self>, _from: NodeId, _msg: GreeterMsg) {}

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, _timer: GreeterTimer) {
        self.ticks += 1;
        ctx.broadcast(GreeterMsg::Hello {
            text: format!("<b>&\"{}\"</b>\u{1}", self.ticks),
        });
        if self.broken && ctx.id() == NodeId(1) && self.ticks == 70 {
            ctx.observe(Observation::BecameLeader { term: 1 });
        }
        ctx.set_timer(GreeterTimer::Tick, ms(10)..=ms(10));
    }

    fn on_client_request(&mut self, _ctx: &mut Ctx<'_, Self>, _: ClientCommand) -> ClientReply {
        ClientReply::NotLeader { leader_hint: None }
    }
}

fn greeter_run(broken: bool) -> (RunReport, Recording) {
    let config = SimConfig {
        node_count: 3,
        seed: 5,
        duration_us: ms(1000),
        max_steps: 100_000,
        max_in_flight: 10_000,
        links: LinkModel {
            latency_us_min: ms(1),
            latency_us_max: ms(4),
            drop: Ratio::from_ppm(100_000),
            duplicate: Ratio::from_ppm(0),
        },
        connections: Default::default(),
        storage: Default::default(),
        clocks: Default::default(),
        workload: None,
        faults: vec![Fault {
            at_us: ms(50),
            action: FaultAction::Crash(Selector::Node(NodeId(2))),
        }],
        expect: Expectations::default(),

        paranoid: false,
    };
    Simulator::<Greeter>::new(config, broken, TraceSink::Off).run_recorded(Retention::All)
}

#[test]
fn a_failing_run_highlights_the_violation_and_a_passing_one_does_not() {
    let (report, recording) = greeter_run(true);
    assert_eq!(report.outcome.kind(), "violation");
    let svg = svg_of(&recording, &report, None);
    // Kept for a look: target/tmp/viz-violation.svg.
    let _ = std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("viz-violation.svg"),
        &svg,
    );
    let document = roxmltree::Document::parse(&svg).expect("escaped text keeps the XML valid");
    let violation = groups(&document, "violation");
    assert_eq!(violation.len(), 1);
    let title = title_of(violation[0]);
    assert!(
        title.starts_with("violation of election-safety at step"),
        "{title}"
    );
    let circles = violation[0]
        .children()
        .filter(|child| child.has_tag_name("circle"))
        .count();
    assert_eq!(circles, 2, "both leaders of term 1 are circled");
    // The default window is the last 500 ms before the violation, at 700 ms.
    let caption = svg
        .lines()
        .find(|line| line.contains(">window "))
        .unwrap_or_default();
    assert!(
        caption.contains(">window 200.000ms – 700.000ms of a 700.000ms run"),
        "{caption}"
    );
    // Message text with markup survives as text.
    let messages = groups(&document, "message");
    assert!(messages
        .iter()
        .any(|m| title_of(*m).contains("Hello { text: \"<b>&\\\"60\\\"</b>\\u{1}\" }")));
    assert!(
        !groups(&document, "crash").is_empty(),
        "n2 crashed at 50 ms"
    );

    let (report, recording) = greeter_run(false);
    assert!(report.outcome.is_pass());
    let svg = svg_of(&recording, &report, None);
    let document = roxmltree::Document::parse(&svg).expect("well-formed");
    assert!(groups(&document, "violation").is_empty());
    assert!(!svg.contains("violation of"));
}

#[test]
fn the_cli_writes_both_pictures_and_an_unwritable_path_is_a_one_line_error() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("viz-cli");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let svg = dir.join("leader-crash.svg");
    let html = dir.join("leader-crash.html");
    let scenario = repo_path("scenarios/raft/leader-crash.json");
    let output = Command::new(env!("CARGO_BIN_EXE_quorumsim"))
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--window-ms",
            "2900:3300",
        ])
        .arg("--svg")
        .arg(&svg)
        .arg("--html")
        .arg(&html)
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = std::fs::read_to_string(&svg).expect("the SVG was written");
    roxmltree::Document::parse(&text).expect("well-formed");
    assert!(std::fs::read_to_string(&html)
        .expect("the HTML was written")
        .contains("<svg"));

    let unwritable = dir.join("no-such-dir").join("x.svg");
    let output = Command::new(env!("CARGO_BIN_EXE_quorumsim"))
        .args(["run", scenario.to_str().unwrap(), "--svg"])
        .arg(&unwritable)
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("outcome: pass"),
        "the result is still printed: {stdout}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains("x.svg"),
        "{stderr}"
    );

    let output = Command::new(env!("CARGO_BIN_EXE_quorumsim"))
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--svg",
            "x.svg",
            "--window-ms",
            "9:3",
        ])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(!std::path::Path::new("x.svg").exists());
}
