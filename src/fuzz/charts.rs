//! The report's SVG charts, drawn with `plotters`: horizontal bars, so long invariant names
//! stay readable as axis labels.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// One bar: a label, its length, and an optional part of it drawn over it in the accent
/// colour (failures among the seeds counted).
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub part: Option<u64>,
}

/// What a chart shows.
pub struct BarChart<'a> {
    pub title: &'a str,
    pub value_axis: &'a str,
    /// What a bar's part is, written after its count in each bar's label ("3 failed").
    pub part_name: &'a str,
    /// Written across the chart when there are no bars.
    pub empty_note: &'a str,
}

const WIDTH_PX: u32 = 760;
const ROW_PX: u32 = 36;
const CHROME_PX: u32 = 110;
const BAR_COLOUR: RGBColor = RGBColor(70, 110, 170);
const PART_COLOUR: RGBColor = RGBColor(200, 60, 50);

/// The chart as an SVG document. Bars are drawn top to bottom in the order given.
pub fn bar_chart_svg(chart: &BarChart<'_>, bars: &[Bar]) -> Result<String, String> {
    let mut svg = String::new();
    draw(&mut svg, chart, bars).map_err(|error| format!("drawing '{}': {error}", chart.title))?;
    Ok(svg)
}

fn draw(
    svg: &mut String,
    spec: &BarChart<'_>,
    bars: &[Bar],
) -> Result<(), Box<dyn std::error::Error>> {
    let rows = bars.len().max(1);
    let height_px = CHROME_PX + ROW_PX * rows as u32;
    let longest_label = bars.iter().map(|bar| bar.label.len()).max().unwrap_or(4);
    let label_area_px = (longest_label as u32 * 8 + 20).clamp(60, 300);
    let value_max = bars.iter().map(|bar| bar.value).max().unwrap_or(0).max(1);
    // Room beyond the longest bar for its number.
    let axis_max = value_max + value_max.div_ceil(4).max(1);

    let root = SVGBackend::with_string(svg, (WIDTH_PX, height_px)).into_drawing_area();
    root.fill(&WHITE)?;
    if bars.is_empty() {
        let root = root.titled(spec.title, ("sans-serif", 20))?;
        root.draw(&Text::new(
            spec.empty_note.to_string(),
            (WIDTH_PX as i32 / 3, ROW_PX as i32),
            ("sans-serif", 16),
        ))?;
        return Ok(root.present()?);
    }
    let mut chart = ChartBuilder::on(&root)
        .caption(spec.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(label_area_px)
        // A discrete range includes its end: `0..rows - 1` is `rows` segments.
        .build_cartesian_2d(0..axis_max, (0..rows - 1).into_segmented())?;
    // Row 0 is at the bottom of the axis; the first bar goes at the top.
    let row_of = |index: usize| rows - 1 - index;
    let label_of = |value: &SegmentValue<usize>| match value {
        SegmentValue::CenterOf(row) if *row < bars.len() => bars[rows - 1 - row].label.clone(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(rows)
        .y_label_formatter(&label_of)
        .y_label_style(("sans-serif", 14))
        .x_desc(spec.value_axis)
        .x_label_style(("sans-serif", 13))
        .draw()?;
    let rectangle = |row: usize, length: u64, colour: RGBColor| {
        let mut bar = Rectangle::new(
            [
                (0, SegmentValue::Exact(row)),
                (length, SegmentValue::Exact(row + 1)),
            ],
            colour.filled(),
        );
        bar.set_margin(6, 6, 0, 0);
        bar
    };
    chart.draw_series(
        bars.iter()
            .enumerate()
            .map(|(index, bar)| rectangle(row_of(index), bar.value, BAR_COLOUR)),
    )?;
    chart.draw_series(bars.iter().enumerate().filter_map(|(index, bar)| {
        bar.part
            .map(|part| rectangle(row_of(index), part.min(bar.value), PART_COLOUR))
    }))?;
    // Each bar's numbers beside it, rather than a legend that would cover the longest bars.
    chart.draw_series(bars.iter().enumerate().map(|(index, bar)| {
        let text = match bar.part {
            Some(part) => format!("{}, {part} {}", bar.value, spec.part_name),
            None => bar.value.to_string(),
        };
        // Placed in pixels from the bar's end, so small counts do not touch their bar.
        EmptyElement::at((bar.value, SegmentValue::CenterOf(row_of(index))))
            + Text::new(text, (6, -5), ("sans-serif", 13))
    }))?;
    Ok(root.present()?)
}
