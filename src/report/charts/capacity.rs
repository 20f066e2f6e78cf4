//! Capacity from a ramp: throughput and latency against users, the knee marked.

use anyhow::Result;
use plotters::prelude::*;

use super::{dual_axes, legend, legend_line, palette, plot_error, upper, Area, DualAxes};
use crate::analysis::capacity::Capacity;

pub(super) fn capacity(area: &Area, capacity: &Capacity) -> Result<()> {
    let users_max = capacity
        .steps
        .iter()
        .map(|s| s.users as f64)
        .fold(1.0, f64::max)
        * 1.05;
    let rps: Vec<(f64, f64)> = capacity
        .steps
        .iter()
        .map(|s| (s.users as f64, s.rps))
        .collect();
    let avg: Vec<(f64, f64)> = capacity
        .steps
        .iter()
        .filter_map(|s| s.avg.map(|v| (s.users as f64, v)))
        .collect();
    let p95: Vec<(f64, f64)> = capacity
        .steps
        .iter()
        .filter_map(|s| s.p95.map(|v| (s.users as f64, v)))
        .collect();
    let latency_max = upper(avg.iter().chain(&p95).map(|p| p.1));
    let mut chart = dual_axes(
        area,
        DualAxes {
            title: "Throughput and latency against users",
            x: (users_max, "Users"),
            left: (upper(rps.iter().map(|p| p.1)), "Throughput (requests/s)"),
            right: (latency_max, "Response time (ms)"),
        },
    )?;
    chart
        .draw_series(LineSeries::new(rps.clone(), palette::BLUE.stroke_width(3)).point_size(4))
        .map_err(plot_error)?
        .label("requests/s (left)")
        .legend(legend_line(palette::BLUE));
    chart
        .draw_secondary_series(LineSeries::new(avg, palette::ORANGE.stroke_width(2)).point_size(3))
        .map_err(plot_error)?
        .label("mean response time (right)")
        .legend(legend_line(palette::ORANGE));
    if !p95.is_empty() {
        chart
            .draw_secondary_series(LineSeries::new(p95, palette::RED.stroke_width(2)).point_size(3))
            .map_err(plot_error)?
            .label("p95 response time (right)")
            .legend(legend_line(palette::RED));
    }
    if let (Some(users), Some(knee_rps)) = (capacity.knee_users, capacity.knee_rps) {
        let grey = BLACK.mix(0.5);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(users as f64, 0.0), (users as f64, knee_rps * 1.1)],
                8,
                6,
                grey.stroke_width(2),
            ))
            .map_err(plot_error)?
            .label(format!("knee: {users} users, {knee_rps:.0} req/s"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], grey.stroke_width(2))
            });
    }
    legend(
        chart.configure_series_labels(),
        SeriesLabelPosition::LowerRight,
    )?;
    Ok(())
}
