//! PNG charts (plotters, bitmap backend). Text is drawn with DejaVu Sans embedded in the binary, so
//! charts render the same on a machine with no system fonts and no fontconfig. Charts are several
//! files rather than one stream, so they sit beside the [`super::Exporter`]s: `render` returns
//! (file name, PNG bytes) pairs and the caller writes each atomically.

use std::sync::Once;

use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Report, RunReport};
use crate::analysis::capacity::Capacity;
use crate::analysis::grade::Status;
use crate::analysis::nightly::{Break, NightlyRun};
use crate::analysis::regression::Direction;
use crate::analysis::series::intervals;
use crate::model::{EndpointStats, HistoryPoint, Series};
use crate::profile::{Grade, Metric};

const FONT: &str = "sans-serif";
/// Long runs are drawn from at most this many points per line: a day of seconds is unreadable anyway.
const MAX_POINTS: usize = 1500;

static FONT_ONCE: Once = Once::new();

// One palette for every chart (matplotlib's defaults, which people read without a legend lookup).
const SERIES_BLUE: RGBColor = RGBColor(31, 119, 180);
const SERIES_ORANGE: RGBColor = RGBColor(255, 127, 14);
const SERIES_RED: RGBColor = RGBColor(214, 39, 40);
const SERIES_GREEN: RGBColor = RGBColor(44, 160, 44);
const ALERT_RED: RGBColor = RGBColor(215, 48, 39);

fn register_font() {
    FONT_ONCE.call_once(|| {
        // The bytes are a valid TrueType font shipped in the repository; failure would be a build bug.
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        );
    });
}

/// Every chart of every run, as (file name, PNG bytes).
pub fn render(report: &Report, size: (u32, u32)) -> Result<Vec<(String, Vec<u8>)>> {
    register_font();
    let mut files = Vec::new();
    for (i, item) in report.runs.iter().enumerate() {
        let prefix = if report.runs.len() > 1 {
            format!("run{}-", i + 1)
        } else {
            String::new()
        };
        let history = item.run.history.as_ref().and_then(|h| h.aggregated());
        if let Some(series) = history {
            files.push((
                format!("{prefix}throughput.png"),
                draw(size, |a| throughput(a, series))?,
            ));
            let full = item.run.history.as_ref().is_some_and(|h| h.is_full());
            files.push((
                format!("{prefix}latency.png"),
                draw(size, |a| latency(a, series, full, item))?,
            ));
        }
        files.push((
            format!("{prefix}endpoints.png"),
            draw(size, |a| endpoints(a, item))?,
        ));
        if item.run.aggregated.failures > 0 {
            files.push((
                format!("{prefix}failures.png"),
                draw(size, |a| failures(a, item, history))?,
            ));
        }
        if item.baseline.is_some() {
            files.push((
                format!("{prefix}baseline.png"),
                draw(size, |a| baseline(a, item))?,
            ));
        }
        if let Some(c) = item.capacity.as_ref().filter(|c| c.applicable) {
            files.push((
                format!("{prefix}capacity.png"),
                draw(size, |a| capacity(a, c))?,
            ));
        }
    }
    Ok(files)
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

fn draw(size: (u32, u32), paint: impl FnOnce(&Area) -> Result<()>) -> Result<Vec<u8>> {
    let (w, h) = size;
    let mut pixels = vec![255u8; w as usize * h as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        area.fill(&WHITE).map_err(plot_error)?;
        paint(&area)?;
        area.present().map_err(plot_error)?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&pixels, w, h, image::ColorType::Rgb8)
        .map_err(|e| anyhow!("cannot encode the PNG: {e}"))?;
    Ok(png)
}

use image::ImageEncoder as _;

fn plot_error<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("cannot draw the chart: {e:?}")
}

fn font(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

/// Keeps every `step`-th point (averaging each bucket) so a line never has more than MAX_POINTS.
fn downsample(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    if points.len() <= MAX_POINTS {
        return points;
    }
    let step = points.len().div_ceil(MAX_POINTS);
    points
        .chunks(step)
        .map(|c| {
            let n = c.len() as f64;
            (
                c.iter().map(|p| p.0).sum::<f64>() / n,
                c.iter().map(|p| p.1).sum::<f64>() / n,
            )
        })
        .collect()
}

fn upper(values: impl Iterator<Item = f64>) -> f64 {
    let max = values.fold(0.0f64, f64::max);
    if max <= 0.0 {
        1.0
    } else {
        max * 1.15
    }
}

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

fn throughput(area: &Area, series: &Series) -> Result<()> {
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
    let mut chart = ChartBuilder::on(area)
        .caption("Throughput and users over time", font(28))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .right_y_label_area_size(80)
        .build_cartesian_2d(0.0..t_max, 0.0..upper(rps.iter().map(|p| p.1)))
        .map_err(plot_error)?
        .set_secondary_coord(0.0..t_max, 0.0..users_top);
    chart
        .configure_mesh()
        .x_desc(time_unit(series).label)
        .x_label_formatter(&|v| whole(*v))
        .y_label_formatter(&|v| whole(*v))
        .y_desc("Throughput (requests/s)")
        .label_style(font(16))
        .axis_desc_style(font(18))
        .draw()
        .map_err(plot_error)?;
    chart
        .configure_secondary_axes()
        .y_desc("Users")
        .y_label_formatter(&|v| whole(*v))
        .label_style(font(16))
        .axis_desc_style(font(18))
        .draw()
        .map_err(plot_error)?;
    chart
        .draw_secondary_series(LineSeries::new(users, SERIES_ORANGE.stroke_width(2)))
        .map_err(plot_error)?
        .label("users (right)")
        .legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 24, y)], SERIES_ORANGE.stroke_width(3))
        });
    chart
        .draw_series(LineSeries::new(rps, SERIES_BLUE.stroke_width(2)))
        .map_err(plot_error)?
        .label("requests/s (left)")
        .legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 24, y)], SERIES_BLUE.stroke_width(3))
        });
    legend(
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight),
    )?;
    Ok(())
}

/// Axis numbers without a pointless `.0`; one decimal below 10 where it carries information.
fn whole(value: f64) -> String {
    if value.fract().abs() < 1e-9 || value.abs() >= 10.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn legend<'a, 'b, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    labels: &mut plotters::chart::SeriesLabelStyle<'a, 'b, DB, CT>,
) -> Result<()> {
    labels
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font(font(16))
        .draw()
        .map_err(|e| anyhow!("cannot draw the legend: {e:?}"))
}

fn latency(area: &Area, series: &Series, full: bool, item: &RunReport) -> Result<()> {
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
        ("p50", line(HistoryPoint::p50), SERIES_GREEN),
        ("p95", line(HistoryPoint::p95), SERIES_ORANGE),
        ("p99", line(HistoryPoint::p99), SERIES_RED),
    ];
    let limits: Vec<(Metric, f64, f64)> = item
        .assessment
        .iter()
        .flat_map(|a| a.checks.iter())
        .filter(|c| c.scope == crate::analysis::grade::Scope::Aggregated)
        .filter_map(|c| match c.metric {
            crate::analysis::grade::CheckedMetric::Limit(
                m @ (Metric::P50 | Metric::P95 | Metric::P99),
            ) => c.limit.map(|l| (m, l, c.warn_limit.unwrap_or(l))),
            _ => None,
        })
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
    let mut chart = ChartBuilder::on(area)
        .caption(title, font(28))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..t_max, 0.0..y_max)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc(time_unit(series).label)
        .x_label_formatter(&|v| whole(*v))
        .y_label_formatter(&|v| whole(*v))
        .y_desc("Response time (ms)")
        .label_style(font(16))
        .axis_desc_style(font(18))
        .draw()
        .map_err(plot_error)?;
    let mut off_chart = Vec::new();
    for (name, points, color) in lines {
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(plot_error)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
        let metric = match name {
            "p50" => Metric::P50,
            "p95" => Metric::P95,
            _ => Metric::P99,
        };
        if let Some((_, fail, _)) = limits.iter().find(|l| l.0 == metric) {
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
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight),
    )?;
    Ok(())
}

fn grade_color(grade: Option<Grade>) -> RGBColor {
    match grade {
        Some(Grade::Excellent) => RGBColor(26, 152, 80),
        Some(Grade::Good) => RGBColor(102, 189, 99),
        Some(Grade::Acceptable) => RGBColor(49, 130, 189),
        Some(Grade::Poor) => RGBColor(253, 174, 97),
        Some(Grade::Critical) => ALERT_RED,
        None => RGBColor(150, 150, 150),
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

/// A horizontal bar chart: one row per label, several bars per row. Labels are drawn left of the
/// plot in pixel space so long endpoint names stay readable.
struct Bars {
    title: String,
    x_desc: String,
    labels: Vec<String>,
    /// Per row: (value, colour) for each bar of the row, top to bottom.
    rows: Vec<Vec<(f64, RGBAColor)>>,
    /// Legend entries (text, colour).
    legend: Vec<(String, RGBAColor)>,
    note: Option<String>,
}

fn bars(area: &Area, spec: Bars) -> Result<()> {
    let n = spec.rows.len().max(1);
    let longest = spec
        .labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(4);
    let label_width = (longest as u32 * 9 + 20).clamp(80, area.dim_in_pixel().0 / 3);
    let x_max = upper(spec.rows.iter().flatten().map(|b| b.0));
    let mut chart = ChartBuilder::on(area)
        .caption(&spec.title, font(28))
        .margin(20)
        .margin_top(if spec.legend.is_empty() { 20 } else { 44 })
        .margin_left(label_width as i32 + 20)
        .x_label_area_size(50)
        .y_label_area_size(10)
        .build_cartesian_2d(0.0..x_max, 0.0..n as f64)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_label_formatter(&|v| whole(*v))
        .x_desc(spec.x_desc.as_str())
        .label_style(font(16))
        .axis_desc_style(font(18))
        .draw()
        .map_err(plot_error)?;
    for (row, bars) in spec.rows.iter().enumerate() {
        // Row 0 at the top.
        let top = (n - row) as f64 - 0.15;
        let height = 0.7 / bars.len().max(1) as f64;
        for (k, (value, color)) in bars.iter().enumerate() {
            let y1 = top - k as f64 * height;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y1 - height), (*value, y1)],
                    color.filled(),
                )))
                .map_err(plot_error)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{value:.0}"),
                    (*value, y1 - height / 2.0),
                    font(13).pos(Pos::new(HPos::Left, VPos::Center)),
                )))
                .map_err(plot_error)?;
        }
        // backend_coord is in pixels of the whole image; `area` may be a part of it.
        let (px, py) = chart.backend_coord(&(0.0, (n - row) as f64 - 0.5));
        let (bx, by) = area.get_base_pixel();
        area.draw(&Text::new(
            spec.labels[row].clone(),
            (px - bx - 8, py - by),
            font(16).pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(plot_error)?;
    }
    // The legend goes in the top margin, above the caption (which starts below `margin_top`).
    let (w, _) = area.dim_in_pixel();
    let mut x = w as i32 - 20;
    for (text, color) in spec.legend.iter().rev() {
        let width = text.chars().count() as i32 * 9 + 30;
        x -= width;
        area.draw(&Rectangle::new([(x, 14), (x + 16, 28)], color.filled()))
            .map_err(plot_error)?;
        area.draw(&Text::new(
            text.clone(),
            (x + 22, 21),
            font(15).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(plot_error)?;
    }
    if let Some(note) = spec.note {
        area.draw(&Text::new(
            note,
            (20, area.dim_in_pixel().1 as i32 - 18),
            font(14).color(&BLACK.mix(0.7)),
        ))
        .map_err(plot_error)?;
    }
    Ok(())
}

fn endpoints(area: &Area, item: &RunReport) -> Result<()> {
    let rows: Vec<(&EndpointStats, Option<Grade>)> = match &item.assessment {
        Some(a) => a
            .endpoints
            .iter()
            .chain(std::iter::once(&a.aggregated))
            .map(|s| (&s.stats, s.grade))
            .collect(),
        None => item
            .run
            .endpoints
            .iter()
            .chain(std::iter::once(&item.run.aggregated))
            .map(|s| (s, None))
            .collect(),
    };
    let shades = [0.35, 0.65, 1.0];
    let spec = Bars {
        title: "Response time per endpoint: p50, p95, p99 (colour = grade)".to_string(),
        x_desc: "Response time (ms)".to_string(),
        labels: rows
            .iter()
            .map(|(s, _)| shorten(&s.key.to_string(), 40))
            .collect(),
        rows: rows
            .iter()
            .map(|(s, grade)| {
                let color = grade_color(*grade);
                [s.p50(), s.percentiles.p95(), s.percentiles.p99()]
                    .iter()
                    .zip(shades)
                    .map(|(v, alpha)| (v.unwrap_or(0.0), color.mix(alpha)))
                    .collect()
            })
            .collect(),
        legend: Grade::ALL
            .iter()
            .map(|g| (g.as_str().to_string(), grade_color(Some(*g)).mix(1.0)))
            .collect(),
        note: Some("Each endpoint: p50 (lightest), p95, p99 (darkest).".to_string()),
    };
    bars(area, spec)
}

fn failures(area: &Area, item: &RunReport, history: Option<&Series>) -> Result<()> {
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
        let mut chart = ChartBuilder::on(&left)
            .caption("Failures over time", font(24))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..t_max, 0.0..upper(fps.iter().map(|p| p.1)))
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc(time_unit(series).label)
            .x_label_formatter(&|v| whole(*v))
            .y_label_formatter(&|v| whole(*v))
            .y_desc("Failures/s")
            .label_style(font(15))
            .axis_desc_style(font(17))
            .draw()
            .map_err(plot_error)?;
        chart
            .draw_series(
                AreaSeries::new(fps, 0.0, ALERT_RED.mix(0.25))
                    .border_style(ALERT_RED.stroke_width(2)),
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
                let status = crate::analysis::status::status_in_message(&f.message)
                    .map_or_else(|| short_error(&f.message), |s| format!("HTTP {s}"));
                shorten(&format!("{} · {status}", f.key), 44)
            })
            .collect(),
        rows: kinds
            .iter()
            .map(|f| vec![(f.occurrences as f64, ALERT_RED.mix(0.85))])
            .collect(),
        legend: Vec::new(),
        note: None,
    };
    bars(&right, spec)
}

/// The exception name of a Python error repr (`ConnectionRefusedError(111, …)` -> `ConnectionRefusedError`).
fn short_error(message: &str) -> String {
    let head: String = message
        .chars()
        .take_while(|c| *c != '(' && *c != ':')
        .collect();
    shorten(head.trim(), 28)
}

fn baseline(area: &Area, item: &RunReport) -> Result<()> {
    let Some(b) = &item.baseline else {
        return Ok(());
    };
    let p95: Vec<_> = b
        .comparison
        .regressions
        .iter()
        .filter(|r| r.metric == "p95")
        .collect();
    let grey = RGBColor(160, 160, 160).mix(0.9);
    let spec = Bars {
        title: format!("P95 against baseline {}", shorten(&b.label, 40)),
        x_desc: "P95 response time (ms)".to_string(),
        labels: p95.iter().map(|r| shorten(&r.scope, 40)).collect(),
        rows: p95
            .iter()
            .map(|r| {
                let color = match (r.status, r.direction) {
                    (Status::Fail, _) => ALERT_RED,
                    (Status::Warn, _) => RGBColor(253, 174, 97),
                    (_, Direction::Improved) => RGBColor(26, 152, 80),
                    _ => RGBColor(49, 130, 189),
                };
                vec![(r.baseline, grey), (r.current, color.mix(0.9))]
            })
            .collect(),
        legend: vec![
            ("baseline".to_string(), grey),
            (
                "current: unchanged".to_string(),
                RGBColor(49, 130, 189).mix(0.9),
            ),
            ("improved".to_string(), RGBColor(26, 152, 80).mix(0.9)),
            ("warn".to_string(), RGBColor(253, 174, 97).mix(0.9)),
            ("regressed".to_string(), ALERT_RED.mix(0.9)),
        ],
        note: None,
    };
    bars(area, spec)
}

fn capacity(area: &Area, capacity: &Capacity) -> Result<()> {
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
    let mut chart = ChartBuilder::on(area)
        .caption("Throughput and latency against users", font(28))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .right_y_label_area_size(80)
        .build_cartesian_2d(0.0..users_max, 0.0..upper(rps.iter().map(|p| p.1)))
        .map_err(plot_error)?
        .set_secondary_coord(0.0..users_max, 0.0..latency_max);
    chart
        .configure_mesh()
        .x_desc("Users")
        .y_desc("Throughput (requests/s)")
        .x_label_formatter(&|v| whole(*v))
        .y_label_formatter(&|v| whole(*v))
        .label_style(font(16))
        .axis_desc_style(font(18))
        .draw()
        .map_err(plot_error)?;
    chart
        .configure_secondary_axes()
        .y_desc("Response time (ms)")
        .y_label_formatter(&|v| whole(*v))
        .label_style(font(16))
        .axis_desc_style(font(18))
        .draw()
        .map_err(plot_error)?;
    chart
        .draw_series(LineSeries::new(rps.clone(), SERIES_BLUE.stroke_width(3)).point_size(4))
        .map_err(plot_error)?
        .label("requests/s (left)")
        .legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 24, y)], SERIES_BLUE.stroke_width(3))
        });
    chart
        .draw_secondary_series(LineSeries::new(avg, SERIES_ORANGE.stroke_width(2)).point_size(3))
        .map_err(plot_error)?
        .label("mean response time (right)")
        .legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 24, y)], SERIES_ORANGE.stroke_width(3))
        });
    if !p95.is_empty() {
        chart
            .draw_secondary_series(LineSeries::new(p95, SERIES_RED.stroke_width(2)).point_size(3))
            .map_err(plot_error)?
            .label("p95 response time (right)")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], SERIES_RED.stroke_width(3))
            });
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
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight),
    )?;
    Ok(())
}

/// A named line of (x, y) points and its colour.
type Line = (&'static str, Vec<(f64, f64)>, RGBColor);

/// `loadgate history`: percentiles and throughput per run, runs that broke the trend circled.
pub fn history(runs: &[NightlyRun], breaks: &[Break], size: (u32, u32)) -> Result<Vec<u8>> {
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
        let line = |pick: &dyn Fn(&NightlyRun) -> Option<f64>| -> Vec<(f64, f64)> {
            runs.iter()
                .enumerate()
                .filter_map(|(i, r)| pick(r).map(|v| ((i + 1) as f64, v)))
                .collect()
        };
        let series: [Line; 3] = [
            ("p50", line(&|r| r.p50), SERIES_GREEN),
            ("p95", line(&|r| r.p95), SERIES_ORANGE),
            ("p99", line(&|r| r.p99), SERIES_RED),
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
                .label(*name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
                });
            let circled = points
                .iter()
                .filter(|(x, _)| {
                    breaks
                        .iter()
                        .any(|b| b.metric == *name && b.run + 1 == *x as usize)
                })
                .map(|(x, y)| Circle::new((*x, *y), 9, ALERT_RED.stroke_width(3)));
            chart.draw_series(circled).map_err(plot_error)?;
        }
        legend(
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft),
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
            .draw_series(LineSeries::new(rps.clone(), SERIES_BLUE.stroke_width(2)).point_size(3))
            .map_err(plot_error)?;
        let circled = rps
            .iter()
            .filter(|(x, _)| {
                breaks
                    .iter()
                    .any(|b| b.metric == "rps" && b.run + 1 == *x as usize)
            })
            .map(|(x, y)| Circle::new((*x, *y), 9, ALERT_RED.stroke_width(3)));
        chart.draw_series(circled).map_err(plot_error)?;
        Ok(())
    })
}

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
