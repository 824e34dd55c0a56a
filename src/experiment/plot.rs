//! CDF plots as SVG (plotters, SVG backend only): one line per timeout range, x = downtime,
//! y = share of trials with at most that downtime.

use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

/// One line of a CDF plot: its label, its sorted values in milliseconds, and the number of
/// trials they are a share of (trials with no value, such as no leader in time, keep the
/// line below 100%).
pub struct CdfSeries {
    pub label: String,
    pub sorted_ms: Vec<f64>,
    pub trial_count: usize,
}

/// An SVG document with one CDF line per series. `log_x` plots the x axis on a log scale (the
/// paper's top graph spans 150 ms to over 10 s).
pub fn cdf_svg(title: &str, series: &[CdfSeries], log_x: bool) -> Result<String, String> {
    let mut svg = String::new();
    let x_max = series
        .iter()
        .filter_map(|s| s.sorted_ms.last().copied())
        .fold(1.0f64, f64::max)
        * 1.05;
    let x_min = series
        .iter()
        .filter_map(|s| s.sorted_ms.first().copied())
        .fold(f64::INFINITY, f64::min)
        .min(x_max / 2.0)
        .max(1.0);
    {
        let root = SVGBackend::with_string(&mut svg, (900, 540)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(64);
        if log_x {
            let mut chart = builder
                .build_cartesian_2d((x_min * 0.9..x_max).log_scale(), 0.0f64..100.0)
                .map_err(|e| e.to_string())?;
            draw(&mut chart, series)?;
        } else {
            let mut chart = builder
                .build_cartesian_2d(0.0..x_max, 0.0f64..100.0)
                .map_err(|e| e.to_string())?;
            draw(&mut chart, series)?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn draw<'a, X>(
    chart: &mut ChartContext<
        'a,
        SVGBackend<'a>,
        Cartesian2d<X, plotters::coord::types::RangedCoordf64>,
    >,
    series: &[CdfSeries],
) -> Result<(), String>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc("time without leader (ms)")
        .y_desc("cumulative percent of trials")
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(|e| e.to_string())?;
    for (index, line) in series.iter().enumerate() {
        let color = Palette99::pick(index).to_rgba().stroke_width(2);
        let count = line.trial_count.max(line.sorted_ms.len()).max(1) as f64;
        let points = line
            .sorted_ms
            .iter()
            .enumerate()
            .map(|(rank, &x)| (x, (rank + 1) as f64 * 100.0 / count));
        chart
            .draw_series(LineSeries::new(points, color))
            .map_err(|e| e.to_string())?
            .label(line.label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .draw()
        .map_err(|e| e.to_string())
}
