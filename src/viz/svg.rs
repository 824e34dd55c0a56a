//! The space-time diagram as hand-written SVG: time flows left to right, one horizontal lane
//! per node. Every text that came from the run is escaped; every mark carries a `<title>`
//! tooltip with the full details.

use std::fmt::Write;

use super::spacetime::{window_caption, Arrow, ArrowEnd, Diagram};
use super::xml::escape;
use crate::protocol::NodeId;
use crate::time::format_ms;

/// Message colours by kind; red, gold, grey and orange are kept for drops, leaders, crashes
/// and cut links.
const PALETTE: [&str; 8] = [
    "#1f77b4", "#2ca02c", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#393b79", "#7f7f00",
];
const DROP_RED: &str = "#d62828";
const VIOLATION_RED: &str = "#c00000";
const LEADER_GOLD: &str = "#e0a800";
const CUT_ORANGE: &str = "#e76f51";
const COMMIT_GREEN: &str = "#2a9d8f";

const WIDTH: f64 = 1600.0;
const PLOT_LEFT: f64 = 70.0;
const PLOT_RIGHT_MARGIN: f64 = 40.0;
const LANE_GAP: f64 = 90.0;
const HEADER_LINE: f64 = 19.0;
/// The longest caption line drawn, in characters; the full text is in its tooltip.
const CAPTION_CHARS_MAX: usize = 190;

/// Pixel positions of times and lanes.
struct Geometry {
    start_us: u64,
    span_us: f64,
    plot_top: f64,
    plot_bottom: f64,
    band_label_y: f64,
}

impl Geometry {
    fn plot_width() -> f64 {
        WIDTH - PLOT_LEFT - PLOT_RIGHT_MARGIN
    }

    fn x(&self, at_us: u64) -> f64 {
        let offset = at_us as f64 - self.start_us as f64;
        PLOT_LEFT + offset / self.span_us * Self::plot_width()
    }

    fn y(&self, node: NodeId) -> f64 {
        self.plot_top + 45.0 + LANE_GAP * f64::from(node.0)
    }
}

/// The diagram as one `<svg>` element (no XML declaration, so it can be inlined in HTML).
pub fn render_svg(diagram: &Diagram) -> String {
    let mut out = String::new();
    let captions = captions(diagram);
    let header_bottom = 12.0 + HEADER_LINE * captions.len() as f64;
    let band_label_y = header_bottom + 16.0;
    let plot_top = band_label_y + 8.0;
    let lanes = f64::from(diagram.node_count.max(1));
    let plot_bottom = plot_top + 45.0 + LANE_GAP * (lanes - 1.0) + 40.0;
    let height = plot_bottom + 90.0;
    let window = diagram.window;
    let geometry = Geometry {
        start_us: window.start_us,
        span_us: window.end_us.saturating_sub(window.start_us).max(1) as f64,
        plot_top,
        plot_bottom,
        band_label_y,
    };
    let kinds = message_kinds(diagram);

    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">"#
    );
    out.push('\n');
    write_defs(&mut out, &geometry);
    let _ = writeln!(
        out,
        r#"<rect x="0" y="0" width="{WIDTH}" height="{height:.0}" fill="white"/>"#
    );
    write_captions(&mut out, &captions);
    write_axis(&mut out, &geometry, diagram);
    write_cuts(&mut out, &geometry, diagram);
    write_lanes(&mut out, &geometry, diagram);
    out.push_str(r#"<g clip-path="url(#plot)">"#);
    out.push('\n');
    write_lane_intervals(&mut out, &geometry, diagram);
    write_arrows(&mut out, &geometry, diagram, &kinds);
    write_lane_points(&mut out, &geometry, diagram);
    out.push_str("</g>\n");
    // Outside the clip: the marker often sits on the window's right edge.
    write_violation(&mut out, &geometry, diagram);
    write_legend(&mut out, &geometry, &kinds);
    out.push_str("</svg>\n");
    out
}

/// The header lines: (text, tooltip, colour, bold).
fn captions(diagram: &Diagram) -> Vec<(String, String, &'static str, bool)> {
    let mut lines = vec![
        (
            format!("quorumsim space-time diagram: {}", diagram.title),
            diagram.title.clone(),
            "#111",
            true,
        ),
        (
            format!("outcome: {}", diagram.outcome),
            diagram.outcome.clone(),
            if diagram.passed {
                "#333"
            } else {
                VIOLATION_RED
            },
            !diagram.passed,
        ),
        (window_caption(diagram), String::new(), "#333", false),
    ];
    // The outcome line says it all when the marker is in the picture.
    let outside = diagram
        .highlight
        .as_ref()
        .filter(|highlight| !diagram.window.contains(highlight.at_us));
    if let Some(highlight) = outside {
        lines.push((
            format!(
                "{} at step {}, {} (outside this window, not drawn)",
                highlight.headline,
                highlight.step,
                format_ms(highlight.at_us)
            ),
            highlight.detail.clone(),
            VIOLATION_RED,
            true,
        ));
    }
    lines
        .into_iter()
        .map(|(text, tooltip, colour, bold)| (cut(&text, CAPTION_CHARS_MAX), tooltip, colour, bold))
        .collect()
}

fn write_defs(out: &mut String, geometry: &Geometry) {
    out.push_str("<defs>\n");
    let colours = PALETTE.iter().chain(["#777777"].iter());
    for (index, colour) in colours.enumerate() {
        let _ = writeln!(
            out,
            r#"<marker id="head{index}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="5.5" markerHeight="5.5" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>"#
        );
    }
    let _ = writeln!(
        out,
        r#"<clipPath id="plot"><rect x="{PLOT_LEFT}" y="{:.1}" width="{:.1}" height="{:.1}"/></clipPath>"#,
        geometry.plot_top,
        Geometry::plot_width(),
        geometry.plot_bottom - geometry.plot_top
    );
    out.push_str("</defs>\n");
}

fn write_captions(out: &mut String, captions: &[(String, String, &str, bool)]) {
    for (line, (text, tooltip, colour, bold)) in captions.iter().enumerate() {
        let y = 12.0 + HEADER_LINE * (line as f64 + 1.0) - 4.0;
        let weight = if *bold { r#" font-weight="bold""# } else { "" };
        let size = if line == 0 { 15 } else { 12 };
        let _ = write!(
            out,
            r#"<text x="12" y="{y:.1}" font-size="{size}" fill="{colour}"{weight}>"#
        );
        if !tooltip.is_empty() {
            let _ = write!(out, "<title>{}</title>", escape(tooltip));
        }
        let _ = writeln!(out, "{}</text>", escape(text));
    }
}

/// Time ticks at a round step (1, 2 or 5 times a power of ten) with light grid lines.
fn write_axis(out: &mut String, geometry: &Geometry, diagram: &Diagram) {
    let window = diagram.window;
    let span_us = window.end_us.saturating_sub(window.start_us).max(1);
    let step_us = tick_step_us(span_us);
    let first = window.start_us.div_ceil(step_us) * step_us;
    let (top, bottom) = (geometry.plot_top, geometry.plot_bottom);
    let _ = writeln!(
        out,
        r##"<line x1="{PLOT_LEFT}" y1="{bottom:.1}" x2="{:.1}" y2="{bottom:.1}" stroke="#555"/>"##,
        PLOT_LEFT + Geometry::plot_width()
    );
    let mut at_us = first;
    while at_us <= window.end_us {
        let x = geometry.x(at_us);
        let label = if step_us % 1000 == 0 {
            format!("{}ms", at_us / 1000)
        } else {
            format_ms(at_us)
        };
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{bottom:.1}" stroke="#eee"/><line x1="{x:.1}" y1="{bottom:.1}" x2="{x:.1}" y2="{:.1}" stroke="#555"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="#333">{label}</text>"##,
            bottom + 5.0,
            bottom + 18.0
        );
        at_us += step_us;
    }
    let _ = writeln!(
        out,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11" fill="#555">virtual time →</text>"##,
        PLOT_LEFT + Geometry::plot_width(),
        bottom + 34.0
    );
}

/// The smallest 1-2-5 step that gives at most 12 ticks.
fn tick_step_us(span_us: u64) -> u64 {
    let mut base = 1u64;
    loop {
        for factor in [1, 2, 5] {
            let step = base.saturating_mul(factor);
            if span_us / step <= 12 {
                return step;
            }
        }
        base = base.saturating_mul(10);
    }
}

fn write_cuts(out: &mut String, geometry: &Geometry, diagram: &Diagram) {
    for band in &diagram.cuts {
        let (x1, x2) = (geometry.x(band.start_us), geometry.x(band.end_us));
        let width = (x2 - x1).max(1.0);
        let links: Vec<String> = band
            .links_down
            .iter()
            .map(|(from, to)| format!("{from}→{to}"))
            .collect();
        let tooltip = format!(
            "{} from {} to {}; directed links down: {}",
            band.summary,
            format_ms(band.start_us),
            format_ms(band.end_us),
            links.join(", ")
        );
        let label = cut(&band.summary, ((width - 10.0) / 7.0).max(1.0) as usize);
        let _ = writeln!(
            out,
            r#"<g class="cut"><title>{}</title><rect x="{x1:.1}" y="{:.1}" width="{width:.1}" height="{:.1}" fill="{CUT_ORANGE}" fill-opacity="0.13"/><line x1="{x1:.1}" y1="{:.1}" x2="{x1:.1}" y2="{:.1}" stroke="{CUT_ORANGE}" stroke-opacity="0.5"/><text x="{:.1}" y="{:.1}" font-size="11" fill="{CUT_ORANGE}" font-weight="bold">{}</text></g>"#,
            escape(&tooltip),
            geometry.plot_top,
            geometry.plot_bottom - geometry.plot_top,
            geometry.plot_top,
            geometry.plot_bottom,
            x1 + 3.0,
            geometry.band_label_y,
            escape(&label)
        );
        // Lanes with a link down get a dashed orange stripe for the band's duration.
        for index in 0..diagram.node_count {
            let node = NodeId(index);
            if band
                .links_down
                .iter()
                .any(|&(from, to)| from == node || to == node)
            {
                let y = geometry.y(node) - 8.0;
                let _ = writeln!(
                    out,
                    r#"<line x1="{x1:.1}" y1="{y:.1}" x2="{x2:.1}" y2="{y:.1}" stroke="{CUT_ORANGE}" stroke-width="3" stroke-dasharray="6 4"/>"#
                );
            }
        }
    }
    // Faults at one time share one marker, their texts joined.
    for same_time in diagram.faults.chunk_by(|a, b| a.at_us == b.at_us) {
        let at_us = same_time[0].at_us;
        let texts: Vec<&str> = same_time.iter().map(|fault| fault.text.as_str()).collect();
        let text = texts.join("; ");
        let x = geometry.x(at_us);
        let top = geometry.plot_top;
        let _ = writeln!(
            out,
            r##"<g class="fault"><title>fault at {}: {}</title><line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{:.1}" stroke="#999" stroke-dasharray="2 3"/><path d="M{:.1},{top:.1} l10,0 l-5,8 z" fill="#555"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#555" stroke="white" stroke-width="2.5" paint-order="stroke">{}</text></g>"##,
            format_ms(at_us),
            escape(&text),
            geometry.plot_bottom,
            x - 5.0,
            x + 7.0,
            top + 9.0,
            escape(&cut(&text, 60))
        );
    }
}

fn write_lanes(out: &mut String, geometry: &Geometry, diagram: &Diagram) {
    let right = PLOT_LEFT + Geometry::plot_width();
    for index in 0..diagram.node_count {
        let y = geometry.y(NodeId(index));
        let _ = writeln!(
            out,
            r##"<g class="lane"><line x1="{PLOT_LEFT}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}" stroke="#444" stroke-width="1.5"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="15" font-weight="bold" fill="#222">n{index}</text></g>"##,
            PLOT_LEFT - 12.0,
            y + 5.0
        );
    }
}

fn write_lane_intervals(out: &mut String, geometry: &Geometry, diagram: &Diagram) {
    for crash in &diagram.crashes {
        let (x1, x2, y) = (
            geometry.x(crash.start_us),
            geometry.x(crash.end_us),
            geometry.y(crash.node),
        );
        let _ = writeln!(
            out,
            r##"<g class="crash"><title>{} down from {} to {}</title><rect x="{x1:.1}" y="{:.1}" width="{:.1}" height="28" fill="#9e9e9e" fill-opacity="0.6"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#444">crashed</text></g>"##,
            crash.node,
            format_ms(crash.start_us),
            format_ms(crash.end_us),
            y - 14.0,
            (x2 - x1).max(1.0),
            lane_label_x(x1),
            y + 26.0
        );
    }
    for leader in &diagram.leaders {
        let (x1, x2, y) = (
            geometry.x(leader.start_us),
            geometry.x(leader.end_us),
            geometry.y(leader.node),
        );
        let term = leader.term.unwrap_or_default();
        let _ = writeln!(
            out,
            r##"<g class="leader"><title>{} leader of term {term} from {} to {}</title><rect x="{x1:.1}" y="{:.1}" width="{:.1}" height="8" fill="{LEADER_GOLD}" fill-opacity="0.85"/><text x="{:.1}" y="{:.1}" font-size="11" font-weight="bold" fill="#8a6500" stroke="white" stroke-width="3" paint-order="stroke">leader t{term}</text></g>"##,
            leader.node,
            format_ms(leader.start_us),
            format_ms(leader.end_us),
            y - 4.0,
            (x2 - x1).max(1.0),
            lane_label_x(x1),
            y - 14.0
        );
    }
}

fn write_arrows(out: &mut String, geometry: &Geometry, diagram: &Diagram, kinds: &[String]) {
    for arrow in &diagram.arrows {
        let colour_index = kinds
            .iter()
            .position(|kind| *kind == arrow.label)
            .unwrap_or(0)
            % PALETTE.len();
        let (x1, y1) = (geometry.x(arrow.sent_us), geometry.y(arrow.from));
        let y_to = geometry.y(arrow.to);
        let tooltip = arrow_tooltip(arrow);
        let dash = if arrow.duplicate {
            r#" stroke-dasharray="5 3""#
        } else {
            ""
        };
        match arrow.end {
            ArrowEnd::Delivered => {
                let x2 = geometry.x(arrow.end_us);
                let _ = writeln!(
                    out,
                    r#"<g class="message delivered"><title>{}</title><line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y_to:.1}" stroke="{}" stroke-width="1.2"{dash} marker-end="url(#head{colour_index})"/></g>"#,
                    escape(&tooltip),
                    PALETTE[colour_index]
                );
            }
            ArrowEnd::InFlight => {
                let x2 = geometry.x(arrow.end_us);
                let _ = writeln!(
                    out,
                    r##"<g class="message in-flight"><title>{}</title><line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y_to:.1}" stroke="#777" stroke-width="1.2" stroke-dasharray="2 3" marker-end="url(#head{})"/></g>"##,
                    escape(&tooltip),
                    PALETTE.len()
                );
            }
            ArrowEnd::Dropped(_) => {
                // Lost at the send: a short stub toward the receiver. Lost on arrival: most
                // of the way, stopping short of the receiver's lane.
                let (x2, share) = if arrow.end_us == arrow.sent_us {
                    (x1 + 14.0, 0.3)
                } else {
                    (geometry.x(arrow.end_us), 0.8)
                };
                let y2 = y1 + (y_to - y1) * share;
                let _ = writeln!(
                    out,
                    r#"<g class="message dropped"><title>{}</title><line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{}" stroke-width="1.2"{dash}/><path d="M{:.1},{:.1} l8,8 m0,-8 l-8,8" stroke="{DROP_RED}" stroke-width="2.2"/></g>"#,
                    escape(&tooltip),
                    PALETTE[colour_index],
                    x2 - 4.0,
                    y2 - 4.0
                );
            }
        }
    }
}

fn arrow_tooltip(arrow: &Arrow) -> String {
    let copy = if arrow.duplicate {
        " (duplicate copy)"
    } else {
        ""
    };
    let fate = match arrow.end {
        ArrowEnd::Delivered => format!("delivered {}", format_ms(arrow.end_us)),
        ArrowEnd::Dropped(why) => {
            format!("DROPPED {}: {}", format_ms(arrow.end_us), why.describe())
        }
        ArrowEnd::InFlight => format!(
            "still in flight at the end, due {}",
            format_ms(arrow.end_us)
        ),
    };
    format!(
        "{} → {}{copy}: {}\nsent {}, {fate}",
        arrow.from,
        arrow.to,
        arrow.detail,
        format_ms(arrow.sent_us)
    )
}

fn write_lane_points(out: &mut String, geometry: &Geometry, diagram: &Diagram) {
    for timer in &diagram.timers {
        let (x, y) = (geometry.x(timer.at_us), geometry.y(timer.node));
        let _ = writeln!(
            out,
            r##"<g class="timer"><title>{} timer {} fired at {}</title><circle cx="{x:.1}" cy="{y:.1}" r="2.5" fill="white" stroke="#666"/></g>"##,
            timer.node,
            escape(&timer.label),
            format_ms(timer.at_us)
        );
    }
    for restart in &diagram.restarts {
        let (x, y) = (geometry.x(restart.at_us), geometry.y(restart.node));
        let _ = writeln!(
            out,
            r##"<g class="restart"><title>{} restarted at {}</title><path d="M{x:.1},{:.1} l7,7 l-7,7 z" fill="#2e7d32"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#2e7d32">restart</text></g>"##,
            restart.node,
            format_ms(restart.at_us),
            y - 7.0,
            lane_label_x(x),
            y + 26.0
        );
    }
    let mut last_label_x = vec![f64::NEG_INFINITY; usize::from(diagram.node_count)];
    for commit in &diagram.commits {
        let (x, y) = (geometry.x(commit.at_us), geometry.y(commit.node));
        let _ = write!(
            out,
            r#"<g class="commit"><title>{} committed index {} (term {}) at {}</title><line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{COMMIT_GREEN}" stroke-width="2"/>"#,
            commit.node,
            commit.index,
            commit.term,
            format_ms(commit.at_us),
            y + 4.0,
            y + 14.0
        );
        // Labels only where they do not overlap the previous one on the lane.
        let last = &mut last_label_x[commit.node.index()];
        if x - *last >= 22.0 {
            *last = x;
            let _ = write!(
                out,
                r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="9" fill="{COMMIT_GREEN}" stroke="white" stroke-width="2.5" paint-order="stroke">{}</text>"#,
                y + 24.0,
                commit.index
            );
        }
        out.push_str("</g>\n");
    }
}

fn write_violation(out: &mut String, geometry: &Geometry, diagram: &Diagram) {
    let Some(highlight) = &diagram.highlight else {
        return;
    };
    if !diagram.window.contains(highlight.at_us) {
        return;
    }
    let x = geometry.x(highlight.at_us);
    let tooltip = format!(
        "{} at step {}, {}: {}",
        highlight.headline,
        highlight.step,
        format_ms(highlight.at_us),
        highlight.detail
    );
    let _ = write!(
        out,
        r#"<g id="violation" class="violation"><title>{}</title><line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{VIOLATION_RED}" stroke-width="2.5" stroke-dasharray="7 3"/>"#,
        escape(&tooltip),
        geometry.plot_top,
        geometry.plot_bottom
    );
    for node in &highlight.nodes {
        if node.0 < diagram.node_count {
            let _ = write!(
                out,
                r#"<circle cx="{x:.1}" cy="{:.1}" r="11" fill="{VIOLATION_RED}" fill-opacity="0.15" stroke="{VIOLATION_RED}" stroke-width="3"/>"#,
                geometry.y(*node)
            );
        }
    }
    // The label sits left of the line when the line is near the right edge.
    let right_edge = PLOT_LEFT + Geometry::plot_width();
    let (anchor, text_x) = if x > right_edge - 320.0 {
        ("end", x - 6.0)
    } else {
        ("start", x + 6.0)
    };
    let _ = writeln!(
        out,
        r#"<text x="{text_x:.1}" y="{:.1}" text-anchor="{anchor}" font-size="13" font-weight="bold" fill="{VIOLATION_RED}">✖ {}</text></g>"#,
        geometry.plot_top + 16.0,
        escape(&highlight.headline)
    );
}

/// Message kinds in the diagram, sorted, so colours are the same from run to run.
fn message_kinds(diagram: &Diagram) -> Vec<String> {
    let mut kinds: Vec<String> = diagram.arrows.iter().map(|a| a.label.clone()).collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

fn write_legend(out: &mut String, geometry: &Geometry, kinds: &[String]) {
    let mut y = geometry.plot_bottom + 52.0;
    let mut x = PLOT_LEFT;
    out.push_str(r#"<g id="legend" font-size="11">"#);
    for (index, kind) in kinds.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let symbol = format!(
            r#"<line x1="{x:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="2" marker-end="url(#head{})"/>"#,
            y - 4.0,
            x + 22.0,
            y - 4.0,
            index % PALETTE.len()
        );
        x = legend_item(out, x, y, &symbol, 22.0, kind);
    }
    y += 20.0;
    x = PLOT_LEFT;
    let symbols: [(String, f64, &str); 9] = [
        (
            format!(
                r#"<path d="M{x:.1},{:.1} l8,8 m0,-8 l-8,8" stroke="{DROP_RED}" stroke-width="2.2"/>"#,
                y - 8.0
            ),
            8.0,
            "dropped (the tooltip says why)",
        ),
        (
            r##"<line x1="0" y1="-4" x2="26" y2="-4" stroke="#555" stroke-width="1.5" stroke-dasharray="5 3"/>"##.to_string(),
            26.0,
            "duplicate copy",
        ),
        (
            r##"<line x1="0" y1="-4" x2="26" y2="-4" stroke="#777" stroke-width="1.5" stroke-dasharray="2 3"/>"##.to_string(),
            26.0,
            "in flight at the end",
        ),
        (
            format!(r#"<rect x="0" y="-8" width="26" height="8" fill="{LEADER_GOLD}"/>"#),
            26.0,
            "leader (term)",
        ),
        (
            r##"<rect x="0" y="-10" width="26" height="12" fill="#9e9e9e" fill-opacity="0.6"/>"##
                .to_string(),
            26.0,
            "crashed",
        ),
        (
            r##"<path d="M0,-11 l7,7 l-7,7 z" fill="#2e7d32"/>"##.to_string(),
            7.0,
            "restart",
        ),
        (
            format!(r#"<line x1="1" y1="-11" x2="1" y2="1" stroke="{COMMIT_GREEN}" stroke-width="2"/>"#),
            2.0,
            "commit (index)",
        ),
        (
            format!(
                r#"<rect x="0" y="-10" width="26" height="12" fill="{CUT_ORANGE}" fill-opacity="0.25"/><line x1="0" y1="-4" x2="26" y2="-4" stroke="{CUT_ORANGE}" stroke-width="3" stroke-dasharray="6 4"/>"#
            ),
            26.0,
            "links down",
        ),
        (
            format!(
                r#"<line x1="1" y1="-12" x2="1" y2="2" stroke="{VIOLATION_RED}" stroke-width="2.5" stroke-dasharray="7 3"/>"#
            ),
            2.0,
            "violation",
        ),
    ];
    for (index, (symbol, width, text)) in symbols.iter().enumerate() {
        // The first symbol is drawn in place; the others are placed with a translation.
        let placed = if index == 0 {
            symbol.clone()
        } else {
            format!(r#"<g transform="translate({x:.1},{y:.1})">{symbol}</g>"#)
        };
        x = legend_item(out, x, y, &placed, *width, text);
    }
    let timer = r##"<circle cx="3" cy="-4" r="3" fill="white" stroke="#666"/>"##;
    let placed = format!(r#"<g transform="translate({x:.1},{y:.1})">{timer}</g>"#);
    legend_item(out, x, y, &placed, 6.0, "timer fired");
    out.push_str("</g>\n");
}

/// Draws one legend entry at `x` and returns where the next one starts.
fn legend_item(out: &mut String, x: f64, y: f64, symbol: &str, width: f64, text: &str) -> f64 {
    let text_x = x + width + 5.0;
    let _ = write!(
        out,
        r##"{symbol}<text x="{text_x:.1}" y="{y:.1}" fill="#222">{}</text>"##,
        escape(text)
    );
    text_x + 6.3 * text.chars().count() as f64 + 22.0
}

/// Where a label for a mark at `x` on a lane starts: just right of it, or further left when
/// the mark is so near the right edge that the label would be cut off.
fn lane_label_x(x: f64) -> f64 {
    (x + 3.0).min(PLOT_LEFT + Geometry::plot_width() - 64.0)
}

/// `text` cut to `chars_max` characters, with an ellipsis when cut.
fn cut(text: &str, chars_max: usize) -> String {
    match text.char_indices().nth(chars_max.saturating_sub(1)) {
        Some((end, _)) if text.chars().count() > chars_max => format!("{}…", &text[..end]),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_at_most_twelve() {
        assert_eq!(tick_step_us(400_000), 50_000);
        assert_eq!(tick_step_us(1_400_000), 200_000);
        assert_eq!(tick_step_us(12), 1);
        assert_eq!(tick_step_us(13), 2);
        assert_eq!(tick_step_us(1), 1);
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(cut("partition {n0} | {n1}", 11), "partition …");
        assert_eq!(cut("short", 11), "short");
        assert_eq!(cut("→→→→", 2), "→…");
    }
}
