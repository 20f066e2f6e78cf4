//! A/B charts: A's and B's latency over time on one chart, and A against B per endpoint.

use anyhow::Result;
use plotters::prelude::*;

use super::bars::{bars, Bars};
use super::{axes, downsample, legend, palette, plot_error, upper, Area, Axes};
use crate::analysis::paired::AbComparison;
use crate::model::{HistoryPoint, Metric, Series, Status};
use crate::report::units::shorten;

/// P50 and P95 of A (blue) and B (orange) over the run, from each side's history.
pub(super) fn latency(area: &Area, a: &Series, b: &Series) -> Result<()> {
    let t0 = a
        .points
        .first()
        .map_or(0, |p| p.timestamp)
        .min(b.points.first().map_or(i64::MAX, |p| p.timestamp));
    let line = |series: &Series, pick: fn(&HistoryPoint) -> Option<f64>| -> Vec<(f64, f64)> {
        downsample(
            series
                .points
                .iter()
                .filter_map(|p| pick(p).map(|v| ((p.timestamp - t0) as f64, v)))
                .collect(),
        )
    };
    let lines = [
        ("A p50", line(a, HistoryPoint::p50), palette::BLUE.mix(0.45)),
        ("A p95", line(a, HistoryPoint::p95), palette::BLUE.mix(1.0)),
        (
            "B p50",
            line(b, HistoryPoint::p50),
            palette::ORANGE.mix(0.45),
        ),
        (
            "B p95",
            line(b, HistoryPoint::p95),
            palette::ORANGE.mix(1.0),
        ),
    ];
    let t_max = lines
        .iter()
        .flat_map(|l| l.1.last().map(|p| p.0))
        .fold(1.0f64, f64::max);
    let y_max = upper(lines.iter().flat_map(|l| l.1.iter().map(|p| p.1)));
    let mut chart = axes(
        area,
        Axes {
            title: "A and B response time over time (p50, p95)",
            x: (t_max, "Time since start (s)"),
            y: (y_max, "Response time (ms)"),
            shared: false,
        },
    )?;
    for (name, points, color) in lines {
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(plot_error)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
    }
    legend(
        chart.configure_series_labels(),
        SeriesLabelPosition::LowerRight,
    )
}

/// Per scope, A's P95 (grey) beside B's, coloured by the paired status.
pub(super) fn endpoints(area: &Area, ab: &AbComparison) -> Result<()> {
    let p95: Vec<_> = ab
        .changes
        .iter()
        .filter(|c| c.metric == Metric::P95)
        .collect();
    let grey = palette::REFERENCE.mix(0.9);
    let spec = Bars {
        title: "P95 per endpoint: A (grey) and B".to_string(),
        x_desc: "P95 response time (ms)".to_string(),
        labels: p95
            .iter()
            .map(|c| shorten(&c.scope.to_string(), 40))
            .collect(),
        rows: p95
            .iter()
            .map(|c| {
                let color = match c.status {
                    Status::Fail => palette::ALERT,
                    Status::Warn => palette::WARN,
                    Status::Pass => palette::NEUTRAL,
                };
                vec![(c.a, grey), (c.b, color.mix(0.9))]
            })
            .collect(),
        legend: vec![
            ("A".to_string(), grey),
            ("B: pass".to_string(), palette::NEUTRAL.mix(0.9)),
            ("warn".to_string(), palette::WARN.mix(0.9)),
            ("fail".to_string(), palette::ALERT.mix(0.9)),
        ],
        note: Some(format!(
            "{} pairs; each bar from the pairs' exact latencies",
            ab.pairs
        )),
    };
    bars(area, spec)
}
