//! The space-time diagram as data: what to draw inside a time window, in virtual time and
//! node lanes (no pixels here). One lane per node; messages go from a send on one lane to a
//! delivery (or a drop) on another; crashes, leaderships, commits, cut links and the
//! violation are intervals and points on the lanes.

use crate::protocol::{NodeId, Observation};
use crate::sim::recording::{DropReason, MessageFate, NodeEventKind, Recording};
use crate::sim::{Outcome, RunReport};
use crate::time::{format_ms, ms};

/// The window shown when none is asked for: this long, ending at the violation (or the
/// panic), else at the end of the run.
pub const DEFAULT_WINDOW_MS: u64 = 500;

/// A window asked for on the command line, `--window-ms A:B`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowMs {
    pub start_ms: u64,
    pub end_ms: u64,
}

/// Parses `A:B` (milliseconds, `A < B`), for clap's `value_parser`.
pub fn parse_window_ms(text: &str) -> Result<WindowMs, String> {
    let (start, end) = text
        .split_once(':')
        .ok_or_else(|| format!("expected START:END in milliseconds, got '{text}'"))?;
    let number = |part: &str| {
        part.trim()
            .parse::<u64>()
            .map_err(|error| format!("'{part}' is not a whole number of milliseconds: {error}"))
    };
    let window = WindowMs {
        start_ms: number(start)?,
        end_ms: number(end)?,
    };
    if window.start_ms >= window.end_ms {
        return Err(format!(
            "the window must end after it starts, got {}:{}",
            window.start_ms, window.end_ms
        ));
    }
    Ok(window)
}

/// The stretch of virtual time a diagram shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start_us: u64,
    pub end_us: u64,
    /// True when the window holds the whole run, so the picture need not say it is a window.
    pub whole_run: bool,
}

impl Window {
    pub fn contains(&self, at_us: u64) -> bool {
        self.start_us <= at_us && at_us <= self.end_us
    }

    fn overlaps(&self, start_us: u64, end_us: u64) -> bool {
        start_us <= self.end_us && end_us >= self.start_us
    }

    fn clip(&self, start_us: u64, end_us: u64) -> (u64, u64) {
        (start_us.max(self.start_us), end_us.min(self.end_us))
    }
}

/// How a message arrow ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrowEnd {
    Delivered,
    /// Ends in a cross at the drop point.
    Dropped(DropReason),
    /// Not delivered before the run ended; drawn to when it was due.
    InFlight,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrow {
    pub from: NodeId,
    pub to: NodeId,
    pub sent_us: u64,
    /// Delivery, drop or due time.
    pub end_us: u64,
    pub end: ArrowEnd,
    pub label: String,
    pub detail: String,
    pub duplicate: bool,
}

/// A stretch of a lane: a crash, or (with a term) a leadership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneInterval {
    pub node: NodeId,
    pub start_us: u64,
    pub end_us: u64,
    /// The leader's term; `None` for a crash.
    pub term: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LanePoint {
    pub node: NodeId,
    pub at_us: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitTick {
    pub node: NodeId,
    pub at_us: u64,
    pub index: u64,
    pub term: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimerDot {
    pub node: NodeId,
    pub at_us: u64,
    pub label: String,
}

/// A stretch of time during which some links were down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CutBand {
    pub start_us: u64,
    pub end_us: u64,
    /// Directed links down, sorted.
    pub links_down: Vec<(NodeId, NodeId)>,
    /// `partition {n0 n1} | {n2 n3 n4}`, or the cut links one by one.
    pub summary: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultMark {
    pub at_us: u64,
    pub text: String,
}

/// The violation (or panic) that ended the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Highlight {
    pub at_us: u64,
    pub step: u64,
    pub nodes: Vec<NodeId>,
    /// `violation of election-safety`.
    pub headline: String,
    pub detail: String,
}

/// Everything to draw. Intervals are clipped to the window; points and arrows lie in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagram {
    /// `scenarios/x.json (raft, 5 nodes, seed 1)`.
    pub title: String,
    pub outcome: String,
    pub passed: bool,
    pub node_count: u16,
    pub run_end_us: u64,
    pub window: Window,
    pub arrows: Vec<Arrow>,
    pub crashes: Vec<LaneInterval>,
    pub leaders: Vec<LaneInterval>,
    pub restarts: Vec<LanePoint>,
    pub commits: Vec<CommitTick>,
    pub timers: Vec<TimerDot>,
    pub cuts: Vec<CutBand>,
    pub faults: Vec<FaultMark>,
    /// Drawn even when it lies outside the window (then only in the caption).
    pub highlight: Option<Highlight>,
}

/// The violation or panic that ended a run, if that is how it ended.
pub fn highlight_of(outcome: &Outcome) -> Option<Highlight> {
    match outcome {
        Outcome::Violation {
            violation,
            step,
            at_us,
        } => Some(Highlight {
            at_us: *at_us,
            step: *step,
            nodes: violation.nodes.clone(),
            headline: format!("violation of {}", violation.invariant),
            detail: violation.detail.clone(),
        }),
        Outcome::Panic {
            node,
            message,
            step,
            at_us,
        } => Some(Highlight {
            at_us: *at_us,
            step: *step,
            nodes: node.iter().copied().collect(),
            headline: match node {
                Some(node) => format!("panic in {node}"),
                None => "panic in the engine".to_string(),
            },
            detail: message.clone(),
        }),
        _ => None,
    }
}

/// The window to draw: the one asked for (cut to the run), or the default one.
pub fn choose_window(run_end_us: u64, focus_us: Option<u64>, asked: Option<WindowMs>) -> Window {
    let (start_us, end_us) = match asked {
        Some(window) => {
            let end_us = ms(window.end_ms).min(run_end_us);
            let start_us = ms(window.start_ms).min(end_us);
            (start_us, end_us)
        }
        None => {
            let end_us = focus_us.unwrap_or(run_end_us).min(run_end_us);
            (end_us.saturating_sub(ms(DEFAULT_WINDOW_MS)), end_us)
        }
    };
    Window {
        start_us,
        end_us,
        whole_run: start_us == 0 && end_us >= run_end_us,
    }
}

/// Lays out the diagram of `recording` (whose run reported `report`) inside the window.
pub fn layout(
    source: &str,
    recording: &Recording,
    report: &RunReport,
    asked: Option<WindowMs>,
) -> Diagram {
    let highlight = highlight_of(&report.outcome);
    let run_end_us = recording.end_us;
    let window = choose_window(run_end_us, highlight.as_ref().map(|h| h.at_us), asked);
    let (crashes, restarts) = crashes_and_restarts(recording, &window);
    Diagram {
        title: format!(
            "{source} ({}, {} nodes, seed {})",
            recording.protocol, recording.node_count, report.seed
        ),
        outcome: report.outcome.to_string(),
        passed: report.outcome.is_pass(),
        node_count: recording.node_count,
        run_end_us,
        window,
        arrows: arrows(recording, &window),
        crashes,
        leaders: leaders(recording, &window),
        restarts,
        commits: recording
            .observations
            .iter()
            .filter(|record| window.contains(record.at_us))
            .filter_map(|record| match record.observation {
                Observation::Committed { index, term, .. } => Some(CommitTick {
                    node: record.node,
                    at_us: record.at_us,
                    index,
                    term,
                }),
                _ => None,
            })
            .collect(),
        timers: recording
            .timers
            .iter()
            .filter(|timer| window.contains(timer.at_us))
            .map(|timer| TimerDot {
                node: timer.node,
                at_us: timer.at_us,
                label: timer.label.clone(),
            })
            .collect(),
        cuts: cuts(recording, &window),
        faults: recording
            .faults
            .iter()
            .filter(|fault| window.contains(fault.at_us))
            .map(|fault| FaultMark {
                at_us: fault.at_us,
                text: fault.text.clone(),
            })
            .collect(),
        highlight,
    }
}

fn arrows(recording: &Recording, window: &Window) -> Vec<Arrow> {
    recording
        .messages
        .iter()
        .filter_map(|message| {
            let (end_us, end) = match message.fate {
                MessageFate::Delivered { at_us } => (at_us, ArrowEnd::Delivered),
                MessageFate::Dropped { at_us, why } => (at_us, ArrowEnd::Dropped(why)),
                MessageFate::InFlight { due_us } => (due_us, ArrowEnd::InFlight),
            };
            window.overlaps(message.sent_us, end_us).then(|| Arrow {
                from: message.from,
                to: message.to,
                sent_us: message.sent_us,
                end_us,
                end,
                label: message.label.clone(),
                detail: message.detail.clone(),
                duplicate: message.duplicate,
            })
        })
        .collect()
}

/// Crashed stretches (crash to restart, or to the end) and restarts, per node.
fn crashes_and_restarts(
    recording: &Recording,
    window: &Window,
) -> (Vec<LaneInterval>, Vec<LanePoint>) {
    let mut down_since: Vec<Option<u64>> = vec![None; usize::from(recording.node_count)];
    let mut crashes = Vec::new();
    let mut restarts = Vec::new();
    let mut close = |node: NodeId, start_us: u64, end_us: u64| {
        if window.overlaps(start_us, end_us) {
            let (start_us, end_us) = window.clip(start_us, end_us);
            crashes.push(LaneInterval {
                node,
                start_us,
                end_us,
                term: None,
            });
        }
    };
    for event in &recording.node_events {
        let slot = &mut down_since[event.node.index()];
        match event.kind {
            NodeEventKind::Crashed => *slot = Some(event.at_us),
            NodeEventKind::Restarted => {
                if let Some(start_us) = slot.take() {
                    close(event.node, start_us, event.at_us);
                }
                if window.contains(event.at_us) {
                    restarts.push(LanePoint {
                        node: event.node,
                        at_us: event.at_us,
                    });
                }
            }
        }
    }
    for (index, since) in down_since.iter().enumerate() {
        if let Some(start_us) = *since {
            close(NodeId(index as u16), start_us, recording.end_us);
        }
    }
    (crashes, restarts)
}

/// Leaderships: from `BecameLeader` to `SteppedDown`, a crash, a newer leadership of the same
/// node, or the end of the run.
fn leaders(recording: &Recording, window: &Window) -> Vec<LaneInterval> {
    // Observations and crashes merged by time; at one time observations come first, as a
    // node observes inside a step and a crash is a step of its own.
    let mut changes: Vec<(u64, u8, NodeId, Option<u64>)> = Vec::new();
    for record in &recording.observations {
        match record.observation {
            Observation::BecameLeader { term } => {
                changes.push((record.at_us, 0, record.node, Some(term)))
            }
            Observation::SteppedDown { .. } => changes.push((record.at_us, 0, record.node, None)),
            _ => {}
        }
    }
    for event in &recording.node_events {
        if event.kind == NodeEventKind::Crashed {
            changes.push((event.at_us, 1, event.node, None));
        }
    }
    changes.sort_by_key(|&(at_us, order, _, _)| (at_us, order));
    let mut leading: Vec<Option<(u64, u64)>> = vec![None; usize::from(recording.node_count)];
    let mut intervals = Vec::new();
    let mut close = |node: NodeId, term: u64, start_us: u64, end_us: u64| {
        if window.overlaps(start_us, end_us) {
            let (start_us, end_us) = window.clip(start_us, end_us);
            intervals.push(LaneInterval {
                node,
                start_us,
                end_us,
                term: Some(term),
            });
        }
    };
    for (at_us, _, node, became) in changes {
        if let Some((term, start_us)) = leading[node.index()].take() {
            close(node, term, start_us, at_us);
        }
        leading[node.index()] = became.map(|term| (term, at_us));
    }
    for (index, open) in leading.iter().enumerate() {
        if let Some((term, start_us)) = *open {
            close(NodeId(index as u16), term, start_us, recording.end_us);
        }
    }
    intervals
}

fn cuts(recording: &Recording, window: &Window) -> Vec<CutBand> {
    let changes = &recording.connectivity;
    changes
        .iter()
        .enumerate()
        .filter(|(_, change)| !change.links_down.is_empty())
        .filter_map(|(position, change)| {
            let end_us = changes
                .get(position + 1)
                .map_or(recording.end_us, |next| next.at_us);
            window.overlaps(change.at_us, end_us).then(|| {
                let (start_us, end_us) = window.clip(change.at_us, end_us);
                CutBand {
                    start_us,
                    end_us,
                    links_down: change.links_down.clone(),
                    summary: describe_cut(recording.node_count, &change.links_down),
                }
            })
        })
        .collect()
}

/// Names the links down: as groups when they form a clean partition (links up inside each
/// group, down between groups, both ways), else link by link, `n0–n1` for both directions
/// and `n0→n1` for one.
pub fn describe_cut(node_count: u16, links_down: &[(NodeId, NodeId)]) -> String {
    let down = |a: NodeId, b: NodeId| links_down.binary_search(&(a, b)).is_ok();
    let nodes: Vec<NodeId> = (0..node_count).map(NodeId).collect();
    // Group each node with the first earlier node it reaches both ways.
    let mut group_of: Vec<usize> = (0..nodes.len()).collect();
    for &a in &nodes {
        if let Some(&b) = nodes[..a.index()]
            .iter()
            .find(|&&b| !down(a, b) && !down(b, a))
        {
            group_of[a.index()] = group_of[b.index()];
        }
    }
    let clean = nodes.iter().all(|&a| {
        nodes.iter().all(|&b| {
            let same = group_of[a.index()] == group_of[b.index()];
            a == b || same != down(a, b)
        })
    });
    if clean {
        let mut groups: Vec<Vec<String>> = Vec::new();
        let mut leaders: Vec<usize> = Vec::new();
        for &node in &nodes {
            let group = group_of[node.index()];
            match leaders.iter().position(|&g| g == group) {
                Some(position) => groups[position].push(node.to_string()),
                None => {
                    leaders.push(group);
                    groups.push(vec![node.to_string()]);
                }
            }
        }
        let groups: Vec<String> = groups
            .iter()
            .map(|group| format!("{{{}}}", group.join(" ")))
            .collect();
        return format!("partition {}", groups.join(" | "));
    }
    let mut parts = Vec::new();
    for &(from, to) in links_down {
        if down(to, from) {
            if from < to {
                parts.push(format!("{from}–{to}"));
            }
        } else {
            parts.push(format!("{from}→{to}"));
        }
    }
    format!("links down: {}", parts.join(", "))
}

/// `window 2950.000ms – 3400.000ms of a 10000.000ms run (…)`, or `whole run, 0 – 10000.000ms`.
pub fn window_caption(diagram: &Diagram) -> String {
    let window = &diagram.window;
    if window.whole_run {
        format!("whole run, 0 – {}", format_ms(diagram.run_end_us))
    } else {
        format!(
            "window {} – {} of a {} run (only events in the window are drawn)",
            format_ms(window.start_us),
            format_ms(window.end_us),
            format_ms(diagram.run_end_us)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Violation;
    use crate::sim::recording::{ConnectivityChange, MessageRecord, NodeEvent, ObservationRecord};
    use crate::sim::RunStats;

    fn node(index: u16) -> NodeId {
        NodeId(index)
    }

    fn message(from: u16, to: u16, sent_ms: u64, fate: MessageFate) -> MessageRecord {
        MessageRecord {
            from: node(from),
            to: node(to),
            sent_us: sent_ms * 1000,
            label: "Ping".into(),
            detail: "Ping { n: 1 }".into(),
            duplicate: false,
            fate,
        }
    }

    fn delivered(at_ms: u64) -> MessageFate {
        MessageFate::Delivered {
            at_us: at_ms * 1000,
        }
    }

    fn dropped(at_ms: u64, why: DropReason) -> MessageFate {
        MessageFate::Dropped {
            at_us: at_ms * 1000,
            why,
        }
    }

    fn report(outcome: Outcome, end_us: u64) -> RunReport {
        RunReport {
            protocol: "test",
            node_count: 3,
            seed: 7,
            outcome,
            steps: 0,
            end_us,
            trace_hash: 0,
            leaders: Vec::new(),
            committed: 0,
            leader_established_us: None,
            first_leader_established_us: None,
            stats: RunStats::default(),
            trace_tail: Vec::new(),
        }
    }

    /// Three nodes, a run of 1 s: messages before, inside, across and after the window
    /// 400..600 ms, n2 crashed 450..550 ms, n0 leading from 100 ms until it steps down at
    /// 500 ms, a partition {n0} | {n1 n2} from 420 to 480 ms, commits at 300 and 450 ms.
    fn recording() -> Recording {
        Recording {
            protocol: "test",
            node_count: 3,
            end_us: 1_000_000,
            messages: vec![
                message(0, 1, 100, delivered(105)),
                message(0, 1, 410, delivered(415)),
                message(1, 2, 430, dropped(430, DropReason::LinkCut)),
                message(0, 2, 440, dropped(452, DropReason::ReceiverCrashed)),
                message(2, 0, 395, delivered(402)),
                message(1, 0, 590, MessageFate::InFlight { due_us: 1_200_000 }),
                message(1, 0, 700, delivered(705)),
            ],
            timers: Vec::new(),
            node_events: vec![
                NodeEvent {
                    at_us: 450_000,
                    node: node(2),
                    kind: NodeEventKind::Crashed,
                },
                NodeEvent {
                    at_us: 550_000,
                    node: node(2),
                    kind: NodeEventKind::Restarted,
                },
            ],
            observations: vec![
                ObservationRecord {
                    at_us: 100_000,
                    step: 3,
                    node: node(0),
                    observation: Observation::BecameLeader { term: 2 },
                },
                ObservationRecord {
                    at_us: 300_000,
                    step: 9,
                    node: node(1),
                    observation: Observation::Committed {
                        index: 1,
                        term: 2,
                        digest: 0,
                    },
                },
                ObservationRecord {
                    at_us: 450_000,
                    step: 12,
                    node: node(1),
                    observation: Observation::Committed {
                        index: 2,
                        term: 2,
                        digest: 0,
                    },
                },
                ObservationRecord {
                    at_us: 500_000,
                    step: 14,
                    node: node(0),
                    observation: Observation::SteppedDown { term: 2 },
                },
            ],
            faults: Vec::new(),
            connectivity: vec![
                ConnectivityChange {
                    at_us: 0,
                    links_down: Vec::new(),
                },
                ConnectivityChange {
                    at_us: 420_000,
                    links_down: vec![
                        (node(0), node(1)),
                        (node(0), node(2)),
                        (node(1), node(0)),
                        (node(2), node(0)),
                    ],
                },
                ConnectivityChange {
                    at_us: 480_000,
                    links_down: Vec::new(),
                },
            ],
        }
    }

    fn window() -> Option<WindowMs> {
        Some(WindowMs {
            start_ms: 400,
            end_ms: 600,
        })
    }

    #[test]
    fn only_what_touches_the_window_is_drawn() {
        let diagram = layout(
            "x.json",
            &recording(),
            &report(Outcome::Pass, 1_000_000),
            window(),
        );
        let sent_ms: Vec<u64> = diagram.arrows.iter().map(|a| a.sent_us / 1000).collect();
        // Sent at 100 and 700 ms: outside. Sent at 395 and delivered at 402: crosses in.
        assert_eq!(sent_ms, [410, 430, 440, 395, 590]);
        let commits: Vec<u64> = diagram.commits.iter().map(|c| c.index).collect();
        assert_eq!(commits, [2]);
        assert_eq!(diagram.window.start_us, 400_000);
        assert!(!diagram.window.whole_run);
        assert!(window_caption(&diagram).starts_with("window 400"));
    }

    #[test]
    fn one_arrow_per_delivered_message_and_a_cross_per_drop() {
        let diagram = layout(
            "x.json",
            &recording(),
            &report(Outcome::Pass, 1_000_000),
            window(),
        );
        let count = |wanted: fn(&ArrowEnd) -> bool| {
            diagram.arrows.iter().filter(|a| wanted(&a.end)).count()
        };
        assert_eq!(count(|end| *end == ArrowEnd::Delivered), 2);
        assert_eq!(count(|end| matches!(end, ArrowEnd::Dropped(_))), 2);
        assert_eq!(count(|end| *end == ArrowEnd::InFlight), 1);
        let crashed = diagram
            .arrows
            .iter()
            .find(|a| a.end == ArrowEnd::Dropped(DropReason::ReceiverCrashed))
            .expect("the drop at the crashed receiver");
        assert_eq!(crashed.end_us, 452_000);
    }

    #[test]
    fn intervals_are_clipped_to_the_window() {
        let diagram = layout(
            "x.json",
            &recording(),
            &report(Outcome::Pass, 1_000_000),
            window(),
        );
        assert_eq!(
            diagram.crashes,
            [LaneInterval {
                node: node(2),
                start_us: 450_000,
                end_us: 550_000,
                term: None
            }]
        );
        assert_eq!(
            diagram.leaders,
            [LaneInterval {
                node: node(0),
                start_us: 400_000,
                end_us: 500_000,
                term: Some(2)
            }]
        );
        assert_eq!(diagram.restarts.len(), 1);
        assert_eq!(diagram.cuts.len(), 1);
        assert_eq!(diagram.cuts[0].summary, "partition {n0} | {n1 n2}");
        assert_eq!(
            (diagram.cuts[0].start_us, diagram.cuts[0].end_us),
            (420_000, 480_000)
        );
    }

    #[test]
    fn a_crash_ends_a_leadership() {
        let mut recording = recording();
        recording
            .observations
            .retain(|record| !matches!(record.observation, Observation::SteppedDown { .. }));
        recording.node_events[0].node = node(0);
        let diagram = layout(
            "x.json",
            &recording,
            &report(Outcome::Pass, 1_000_000),
            window(),
        );
        assert_eq!(diagram.leaders[0].end_us, 450_000);
    }

    #[test]
    fn the_default_window_ends_at_the_violation() {
        let outcome = Outcome::Violation {
            violation: Violation {
                invariant: "election-safety",
                nodes: vec![node(0), node(1)],
                detail: "two leaders in term 2".into(),
            },
            step: 14,
            at_us: 800_000,
        };
        let diagram = layout("x.json", &recording(), &report(outcome, 800_000), None);
        let window = diagram.window;
        assert_eq!((window.start_us, window.end_us), (300_000, 800_000));
        let highlight = diagram.highlight.expect("the violation is highlighted");
        assert_eq!(highlight.headline, "violation of election-safety");
        assert_eq!(highlight.nodes, [node(0), node(1)]);
        // A passing run has nothing to highlight and its window ends at the end.
        let diagram = layout(
            "x.json",
            &recording(),
            &report(Outcome::Pass, 1_000_000),
            None,
        );
        assert!(diagram.highlight.is_none());
        assert_eq!(diagram.window.end_us, 1_000_000);
    }

    #[test]
    fn windows_are_parsed_and_cut_to_the_run() {
        assert_eq!(
            parse_window_ms("2950:3400"),
            Ok(WindowMs {
                start_ms: 2950,
                end_ms: 3400
            })
        );
        assert!(parse_window_ms("3400:2950").is_err());
        assert!(parse_window_ms("5").is_err());
        assert!(parse_window_ms("a:5").is_err());
        let window = choose_window(1_000_000, None, parse_window_ms("0:5000").ok());
        assert_eq!((window.start_us, window.end_us), (0, 1_000_000));
        assert!(window.whole_run);
    }

    #[test]
    fn cuts_that_are_not_partitions_are_listed_link_by_link() {
        let one_way = [(node(0), node(1)), (node(0), node(2))];
        assert_eq!(describe_cut(3, &one_way), "links down: n0→n1, n0→n2");
        let both_ways = [(node(0), node(1)), (node(1), node(0))];
        // n2 still reaches both: not a clean partition.
        assert_eq!(describe_cut(3, &both_ways), "links down: n0–n1");
        let isolated = [
            (node(0), node(2)),
            (node(1), node(2)),
            (node(2), node(0)),
            (node(2), node(1)),
        ];
        assert_eq!(describe_cut(3, &isolated), "partition {n0 n1} | {n2}");
    }
}
