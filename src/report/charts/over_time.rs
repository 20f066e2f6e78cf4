//! Charts over the run's time: throughput and users, latency percentiles with the profile's
//! limits, the server's series under them on the same axis, failures per second (beside the
//! failures by type).

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::bars::{bars, short_error, Bars};
use super::{
    axes, downsample, dual_axes, font, legend, legend_line, palette, plot_error, upper, Area, Axes,
    DualAxes,
};
use crate::analysis::series::intervals;
use crate::analysis::server_findings::series_name;
use crate::analysis::RunJudgement;
use crate::model::{HistoryPoint, Metric, Scope, Series, ServerSeries, ServerUnit};
use crate::report::units::shorten;
use crate::server::client::printable;
use crate::server::ServerReading;

/// The time axis of a run's charts: seconds for a short run, minutes up to three hours, hours for a
/// soak test (39,000 s reads better as 10.8 h).
#[derive(Debug, Clone, Copy, PartialEq)]
struct TimeUnit {
    seconds: f64,
    label: &'static str,
}

fn time_unit(series: &Series) -> TimeUnit {
    let span = match (series.points.first(), series.points.last()) {
        (Some(a), Some(b)) => b.timestamp - a.timestamp,
        _ => 0,
    };
    match span {
        s if s > 3 * 3600 => TimeUnit {
            seconds: 3600.0,
            label: "Time since start (h)",
        },
        s if s > 600 => TimeUnit {
            seconds: 60.0,
            label: "Time since start (min)",
        },
        _ => TimeUnit {
            seconds: 1.0,
            label: "Time since start (s)",
        },
    }
}

/// A timestamp as time since the series' start, in `unit`.
fn seconds(series: &Series) -> impl Fn(i64) -> f64 + '_ {
    let t0 = series.points.first().map_or(0, |p| p.timestamp);
    let unit = time_unit(series).seconds;
    move |t| (t - t0) as f64 / unit
}

pub(super) fn throughput(area: &Area, series: &Series) -> Result<()> {
    let at = seconds(series);
    let rps = downsample(
        intervals(&series.points)
            .iter()
            .map(|i| (at(i.timestamp), i.rps))
            .collect(),
    );
    let users = downsample(
        series
            .points
            .iter()
            .map(|p| (at(p.timestamp), p.users() as f64))
            .collect(),
    );
    let t_max = users.last().map_or(1.0, |p| p.0).max(f64::EPSILON);
    // Users get the lower part of the chart: a steady run's flat user line would otherwise lie
    // exactly on a flat throughput line.
    let users_top = users.iter().map(|p| p.1).fold(0.0f64, f64::max).max(1.0) * 1.8;
    let mut chart = dual_axes(
        area,
        DualAxes {
            title: "Throughput and users over time",
            x: (t_max, time_unit(series).label),
            left: (upper(rps.iter().map(|p| p.1)), "Throughput (requests/s)"),
            right: (users_top, "Users"),
        },
    )?;
    chart
        .draw_secondary_series(LineSeries::new(users, palette::ORANGE.stroke_width(2)))
        .map_err(plot_error)?
        .label("users (right)")
        .legend(legend_line(palette::ORANGE));
    chart
        .draw_series(LineSeries::new(rps, palette::BLUE.stroke_width(2)))
        .map_err(plot_error)?
        .label("requests/s (left)")
        .legend(legend_line(palette::BLUE));
    legend(
        chart.configure_series_labels(),
        SeriesLabelPosition::LowerRight,
    )?;
    Ok(())
}

pub(super) fn latency(area: &Area, series: &Series, full: bool, item: &RunJudgement) -> Result<()> {
    let at = seconds(series);
    let line = |pick: fn(&HistoryPoint) -> Option<f64>| -> Vec<(f64, f64)> {
        downsample(
            series
                .points
                .iter()
                .filter_map(|p| pick(p).map(|v| (at(p.timestamp), v)))
                .collect(),
        )
    };
    let lines = [
        (Metric::P50, line(HistoryPoint::p50), palette::GREEN),
        (Metric::P95, line(HistoryPoint::p95), palette::ORANGE),
        (Metric::P99, line(HistoryPoint::p99), palette::RED),
    ];
    // The aggregate's fail limits on the drawn percentiles.
    let limits: Vec<(Metric, f64)> = item
        .checks
        .iter()
        .filter(|c| c.scope == Scope::Aggregated)
        .filter(|c| matches!(c.metric, Metric::P50 | Metric::P95 | Metric::P99))
        .filter_map(|c| c.limit.map(|l| (c.metric, l)))
        .collect();
    let t_max = series
        .points
        .last()
        .map_or(1.0, |p| at(p.timestamp).max(1.0));
    let data_max = upper(lines.iter().flat_map(|l| l.1.iter().map(|p| p.1)));
    // Show the fail limits when they are within reach of the data; far-off limits would flatten it.
    let y_max = limits
        .iter()
        .map(|l| l.1 * 1.1)
        .filter(|l| *l <= data_max * 3.0)
        .fold(data_max, f64::max);
    let title = if full {
        "Response time percentiles over time (10 s window)"
    } else {
        "Response time percentiles over time (cumulative since start)"
    };
    let mut chart = axes(
        area,
        Axes {
            title,
            x: (t_max, time_unit(series).label),
            y: (y_max, "Response time (ms)"),
            shared: false,
        },
    )?;
    let mut off_chart = Vec::new();
    for (metric, points, color) in lines {
        let name = metric.key();
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(plot_error)?
            .label(name)
            .legend(legend_line(color));
        if let Some((_, fail)) = limits.iter().find(|l| l.0 == metric) {
            if *fail <= y_max {
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(0.0, *fail), (t_max, *fail)],
                        10,
                        6,
                        color.stroke_width(2),
                    ))
                    .map_err(plot_error)?
                    .label(format!("{name} limit {fail:.0} ms"))
                    .legend(move |(x, y)| {
                        PathElement::new(
                            vec![(x, y), (x + 8, y), (x + 16, y)],
                            color.stroke_width(1),
                        )
                    });
            } else {
                off_chart.push(format!("{name} {fail:.0} ms"));
            }
        }
    }
    if !off_chart.is_empty() {
        // Far-off limits would flatten the lines to the floor: name them instead of drawing them.
        chart
            .draw_series(std::iter::once(Text::new(
                format!("fail limits above this chart: {}", off_chart.join(", ")),
                (t_max * 0.01, y_max * 0.97),
                font(15)
                    .color(&BLACK.mix(0.7))
                    .pos(Pos::new(HPos::Left, VPos::Top)),
            )))
            .map_err(plot_error)?;
    }
    legend(
        chart.configure_series_labels(),
        SeriesLabelPosition::UpperRight,
    )?;
    Ok(())
}

pub(super) fn failures(area: &Area, item: &RunJudgement, history: Option<&Series>) -> Result<()> {
    let (left, right) = match history {
        Some(_) => area.split_horizontally(area.dim_in_pixel().0 * 45 / 100),
        None => area.split_horizontally(0),
    };
    if let Some(series) = history {
        let at = seconds(series);
        let fps = downsample(
            intervals(&series.points)
                .iter()
                .map(|i| (at(i.timestamp), i.failures_per_s))
                .collect(),
        );
        let t_max = series
            .points
            .last()
            .map_or(1.0, |p| at(p.timestamp).max(1.0));
        let mut chart = axes(
            &left,
            Axes {
                title: "Failures over time",
                x: (t_max, time_unit(series).label),
                y: (upper(fps.iter().map(|p| p.1)), "Failures/s"),
                shared: true,
            },
        )?;
        chart
            .draw_series(
                AreaSeries::new(fps, 0.0, palette::ALERT.mix(0.25))
                    .border_style(palette::ALERT.stroke_width(2)),
            )
            .map_err(plot_error)?;
    }
    let mut kinds: Vec<_> = item.run.failures.iter().collect();
    kinds.sort_by_key(|f| std::cmp::Reverse(f.occurrences));
    kinds.truncate(8);
    let spec = Bars {
        title: "Failures by type (top 8)".to_string(),
        x_desc: "Occurrences".to_string(),
        labels: kinds
            .iter()
            .map(|f| {
                let status = f
                    .status_code
                    .map_or_else(|| short_error(&f.message), |s| format!("HTTP {s}"));
                shorten(&format!("{} · {status}", f.key), 44)
            })
            .collect(),
        rows: kinds
            .iter()
            .map(|f| vec![(f.occurrences as f64, palette::ALERT.mix(0.85))])
            .collect(),
        legend: Vec::new(),
        note: None,
    };
    bars(&right, spec)
}

/// Panels in the server chart (one per unit, bytes first), and lines in one panel.
const SERVER_PANELS: usize = 3;
const SERVER_LINES: usize = 6;

/// The server's series read for the run's window (`--prometheus`), drawn to go under the latency
/// chart: the same time axis (time since the history's first row, the same unit and end), one panel
/// per unit. Samples in the read margin outside the run are left out, so the two charts line up.
pub(super) fn server(area: &Area, series: &Series, reading: &ServerReading) -> Result<()> {
    let unit = time_unit(series);
    let t0 = series.points.first().map_or(0, |p| p.timestamp) as f64;
    let t_max = series
        .points
        .last()
        .map_or(1.0, |p| ((p.timestamp as f64 - t0) / unit.seconds).max(1.0));
    let mut groups: Vec<(ServerUnit, Vec<&ServerSeries>)> = Vec::new();
    // Start times are timestamps, not levels: a restart is a finding, not a line.
    let drawn = reading
        .series
        .iter()
        .filter(|s| !matches!(s.source.as_str(), "process_start" | "container_start"));
    for s in drawn {
        match groups.iter_mut().find(|(u, _)| *u == s.unit) {
            Some((_, list)) => list.push(s),
            None => groups.push((s.unit, vec![s])),
        }
    }
    groups.sort_by_key(|(u, _)| *u);
    groups.truncate(SERVER_PANELS);
    let panels = area.split_evenly((groups.len().max(1), 1));
    for (panel, (server_unit, list)) in panels.iter().zip(&groups) {
        let (scale, y_label) = match server_unit {
            ServerUnit::Bytes => (1.0 / (1024.0 * 1024.0), "MiB"),
            ServerUnit::Seconds => (1.0, "seconds (per second: cores)"),
            ServerUnit::Ratio => (100.0, "%"),
            ServerUnit::Percent => (1.0, "%"),
            ServerUnit::Count => (1.0, "count"),
            ServerUnit::None => (1.0, "value"),
        };
        let lines: Vec<(String, Vec<(f64, f64)>)> = list
            .iter()
            .take(SERVER_LINES)
            .map(|s| {
                let points = s
                    .points
                    .iter()
                    .map(|(t, v)| ((t - t0) / unit.seconds, v * scale))
                    .filter(|(x, _)| (0.0..=t_max).contains(x))
                    .collect();
                (printable(&line_name(s), 70), downsample(points))
            })
            .collect();
        let y_max = upper(lines.iter().flat_map(|l| l.1.iter().map(|p| p.1)));
        let more = list.len().saturating_sub(SERVER_LINES);
        let title = if more > 0 {
            format!("Server: {y_label} ({more} more series in the JSON report)")
        } else {
            format!("Server: {y_label}")
        };
        let mut chart = axes(
            panel,
            Axes {
                title: &title,
                x: (t_max, unit.label),
                y: (y_max, y_label),
                shared: true,
            },
        )?;
        for (i, (name, points)) in lines.into_iter().enumerate() {
            let color = SERVER_COLORS[i % SERVER_COLORS.len()];
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(plot_error)?
                .label(name)
                .legend(legend_line(color));
        }
        legend(
            chart.configure_series_labels(),
            SeriesLabelPosition::UpperLeft,
        )?;
    }
    Ok(())
}

/// `process_memory api`: what asked for it and its job; a series without a job, by its name.
fn line_name(s: &ServerSeries) -> String {
    match s.labels.get("job") {
        Some(job) => format!("{} {job}", s.source),
        None => series_name(s),
    }
}

const SERVER_COLORS: [RGBColor; 6] = [
    palette::BLUE,
    palette::ORANGE,
    palette::GREEN,
    palette::RED,
    palette::REFERENCE,
    palette::WARN,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EndpointKey, HistoryPoint};

    fn spanning(seconds: i64) -> Series {
        let point = |t| HistoryPoint::new(t, 1, [None; 3], 0, 0, None);
        Series {
            key: EndpointKey::new("", "Aggregated"),
            aggregated: true,
            points: vec![point(1_000), point(1_000 + seconds)],
        }
    }

    #[test]
    fn the_time_axis_unit_follows_the_run_length() {
        assert_eq!(time_unit(&spanning(300)).label, "Time since start (s)");
        assert_eq!(time_unit(&spanning(3_600)).label, "Time since start (min)");
        let soak = spanning(39_000);
        assert_eq!(time_unit(&soak).label, "Time since start (h)");
        assert!((seconds(&soak)(1_000 + 39_000) - 39_000.0 / 3_600.0).abs() < 1e-12);
    }
}
