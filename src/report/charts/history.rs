//! An archive of runs (`loadgate history`): percentiles and throughput per run, the runs that broke
//! the trend circled.

use anyhow::Result;
use plotters::prelude::*;

use super::{draw, font, legend, legend_line, palette, plot_error, register_font, upper, whole};
use crate::analysis::history::{Break, HistoryRun};
use crate::model::Metric;

/// A named line of (x, y) points and its colour.
type Line = (Metric, Vec<(f64, f64)>, RGBColor);

/// `loadgate history`: percentiles and throughput per run, runs that broke the trend circled.
pub fn render(runs: &[HistoryRun], breaks: &[Break], size: (u32, u32)) -> Result<Vec<u8>> {
    register_font();
    draw(size, |area| {
        let (top, bottom) = area.split_vertically(size.1 * 60 / 100);
        let n = runs.len().max(1) as f64;
        let stamps: Vec<i64> = runs.iter().filter_map(|r| r.started_at).collect();
        let one_day = stamps
            .iter()
            .max()
            .zip(stamps.iter().min())
            .is_some_and(|(a, b)| a - b < 86_400);
        let format = if one_day { "%H:%M" } else { "%m-%d" };
        let date_of = |x: f64| -> String {
            let i = x.round() as usize;
            if (x - x.round()).abs() > 1e-6 || i == 0 || i > runs.len() {
                return String::new();
            }
            runs[i - 1]
                .started_at
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map_or(format!("#{i}"), |t| t.format(format).to_string())
        };
        let line = |pick: &dyn Fn(&HistoryRun) -> Option<f64>| -> Vec<(f64, f64)> {
            runs.iter()
                .enumerate()
                .filter_map(|(i, r)| pick(r).map(|v| ((i + 1) as f64, v)))
                .collect()
        };
        let series: [Line; 3] = [
            (Metric::P50, line(&|r| r.p50), palette::GREEN),
            (Metric::P95, line(&|r| r.p95), palette::ORANGE),
            (Metric::P99, line(&|r| r.p99), palette::RED),
        ];
        let mut chart = ChartBuilder::on(&top)
            .caption("Response time per run (oldest to newest)", font(26))
            .margin(20)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(
                0.5..n + 0.5,
                0.0..upper(series.iter().flat_map(|s| s.1.iter().map(|p| p.1))),
            )
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| date_of(*x))
            .y_label_formatter(&|v| whole(*v))
            .y_desc("Response time (ms)")
            .label_style(font(15))
            .axis_desc_style(font(17))
            .draw()
            .map_err(plot_error)?;
        for (name, points, color) in &series {
            let color = *color;
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)).point_size(3))
                .map_err(plot_error)?
                .label(name.key())
                .legend(legend_line(color));
            let circled = points
                .iter()
                .filter(|(x, _)| {
                    breaks
                        .iter()
                        .any(|b| b.metric == *name && b.run + 1 == *x as usize)
                })
                .map(|(x, y)| Circle::new((*x, *y), 9, palette::ALERT.stroke_width(3)));
            chart.draw_series(circled).map_err(plot_error)?;
        }
        legend(
            chart.configure_series_labels(),
            SeriesLabelPosition::UpperLeft,
        )?;

        let rps = line(&|r| Some(r.rps));
        let mut chart = ChartBuilder::on(&bottom)
            .caption("Throughput per run (circled: broke the trend)", font(22))
            .margin(20)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(0.5..n + 0.5, 0.0..upper(rps.iter().map(|p| p.1)))
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| date_of(*x))
            .y_label_formatter(&|v| whole(*v))
            .x_desc(if one_day {
                "Run (start time, UTC)"
            } else {
                "Run (start date, UTC)"
            })
            .y_desc("Requests/s")
            .label_style(font(15))
            .axis_desc_style(font(17))
            .draw()
            .map_err(plot_error)?;
        chart
            .draw_series(LineSeries::new(rps.clone(), palette::BLUE.stroke_width(2)).point_size(3))
            .map_err(plot_error)?;
        let circled = rps
            .iter()
            .filter(|(x, _)| {
                breaks
                    .iter()
                    .any(|b| b.metric == Metric::Rps && b.run + 1 == *x as usize)
            })
            .map(|(x, y)| Circle::new((*x, *y), 9, palette::ALERT.stroke_width(3)));
        chart.draw_series(circled).map_err(plot_error)?;
        Ok(())
    })
}
