//! The space-time diagram as one self-contained HTML page: the SVG inline, a legend, and the
//! tooltips the SVG already carries. No scripts, no external resources.

use super::spacetime::{window_caption, Diagram};
use super::svg::render_svg;
use super::xml::escape;

const LEGEND: [(&str, &str); 10] = [
    ("lanes", "one horizontal line per node, time flows left to right"),
    ("arrows", "a message from its send to its delivery, coloured by kind (key under the picture)"),
    ("red ×", "a dropped message, at the point it was lost: a short stub when lost at the send (link cut, random loss, receiver down), most of the way when lost on arrival (receiver crashed, link cut in flight)"),
    ("dashed arrow", "the network's duplicate copy of a message; dotted grey: still in flight when the run ended"),
    ("gold bar", "the node is leader; the label gives the term"),
    ("grey block", "the node is crashed; a green triangle marks its restart"),
    ("green tick", "the node learned that this log index is committed"),
    ("orange band", "some links are down (partition, one-way cut, isolation); the label names the groups or links, dashed orange stripes mark the nodes involved"),
    ("dotted line, triangle", "a scheduled fault was applied; small circles are timers firing"),
    ("red dashed line", "the violation (or panic) that ended the run, circling the nodes involved"),
];

/// The page. Hover over any mark for its details.
pub fn render_html(diagram: &Diagram) -> String {
    let mut page = String::new();
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str(&format!(
        "<title>quorumsim: {}</title>\n",
        escape(&diagram.title)
    ));
    page.push_str(
        "<style>body{font-family:sans-serif;margin:1em;color:#222}\
         .outcome{font-weight:bold}.fail{color:#c00000}\
         .diagram{overflow-x:auto;border:1px solid #ddd}\
         dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}\
         dt{font-weight:bold}dd{margin:0}</style>\n</head>\n<body>\n",
    );
    page.push_str(&format!(
        "<h1>Space-time diagram</h1>\n<p>{}</p>\n",
        escape(&diagram.title)
    ));
    let class = if diagram.passed {
        "outcome"
    } else {
        "outcome fail"
    };
    page.push_str(&format!(
        "<p class=\"{class}\">outcome: {}</p>\n<p>{}</p>\n",
        escape(&diagram.outcome),
        escape(&window_caption(diagram))
    ));
    page.push_str("<div class=\"diagram\">\n");
    page.push_str(&render_svg(diagram));
    page.push_str("</div>\n<h2>Legend</h2>\n<p>Hover over a mark for its details.</p>\n<dl>\n");
    for (mark, meaning) in LEGEND {
        page.push_str(&format!("<dt>{mark}</dt><dd>{meaning}</dd>\n"));
    }
    page.push_str("</dl>\n</body>\n</html>\n");
    page
}
