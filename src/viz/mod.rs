//! Pictures of a recorded run: the space-time diagram, as SVG or as a self-contained HTML
//! page. [`spacetime`] decides what to draw in a time window; [`svg`] and [`html`] draw it.

pub mod html;
pub mod spacetime;
pub mod svg;
mod xml;

use std::path::PathBuf;

pub use html::render_html;
pub use spacetime::{layout, parse_window_ms, Diagram, WindowMs, DEFAULT_WINDOW_MS};
pub use svg::render_svg;

use crate::sim::{Recording, Retention, RunReport};
use crate::time::ms;

/// Which pictures to write, and of which window (`None`: the default window).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiagramOutputs {
    pub svg: Option<PathBuf>,
    pub html: Option<PathBuf>,
    pub window: Option<WindowMs>,
}

impl DiagramOutputs {
    /// True when a picture is asked for, so the run must be recorded.
    pub fn wanted(&self) -> bool {
        self.svg.is_some() || self.html.is_some()
    }

    /// What a recording for these pictures must keep: the window asked for, or the default
    /// window's span before the end of the run.
    pub fn retention(&self) -> Retention {
        match self.window {
            Some(window) => Retention::Between {
                start_us: ms(window.start_ms),
                end_us: ms(window.end_ms),
            },
            None => Retention::LastUs(ms(DEFAULT_WINDOW_MS)),
        }
    }
}

/// Writes the pictures asked for of a run of `source` that reported `report`. The error is
/// one line naming the file that could not be written and why.
pub fn write_diagrams(
    outputs: &DiagramOutputs,
    source: &str,
    recording: &Recording,
    report: &RunReport,
) -> Result<(), String> {
    let diagram = layout(source, recording, report, outputs.window);
    if let Some(path) = &outputs.svg {
        let document = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
            render_svg(&diagram)
        );
        write_file(path, &document)?;
    }
    if let Some(path) = &outputs.html {
        write_file(path, &render_html(&diagram))?;
    }
    Ok(())
}

fn write_file(path: &std::path::Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text)
        .map_err(|error| format!("{}: cannot write the diagram: {error}", path.display()))
}
