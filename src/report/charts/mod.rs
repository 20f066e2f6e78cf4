//! PNG charts (plotters, bitmap backend), one file per kind of chart: over time ([`over_time`]),
//! bars per endpoint or failure ([`bars`]), capacity against users ([`capacity`]), the A/B sides
//! ([`ab`]) and an archive of runs ([`history`]). Text is drawn with DejaVu Sans embedded in the
//! binary, so charts render the same on a machine with no system fonts and no fontconfig. Charts
//! are several files rather than one stream, so `--charts` is a directory format
//! ([`ChartsExporter`]); the HTML page embeds the same drawings ([`drawn`]).

mod ab;
mod bars;
mod capacity;
mod history;
mod lttb;
mod over_time;
mod palette;

use std::sync::Once;

use anyhow::{Context as _, Result};
use image::ImageEncoder as _;
use plotters::chart::DualCoordChartContext;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::exporter::{Context, DirExporter, Report};
use crate::analysis::{Judgement, RunJudgement};

const FONT: &str = "sans-serif";
/// Long runs are drawn from at most this many points per line: a day of seconds is unreadable anyway.
const MAX_POINTS: usize = 1500;

static FONT_ONCE: Once = Once::new();
fn register_font() {
    FONT_ONCE.call_once(|| {
        // The bytes are a valid TrueType font shipped in the repository; failure would be a build bug.
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../../../assets/fonts/DejaVuSans.ttf"),
        );
    });
}

/// `--charts DIR`: every chart of the report, each a PNG file in the directory.
pub struct ChartsExporter;

impl DirExporter for ChartsExporter {
    fn files(&self, report: Report, ctx: &Context) -> Result<Vec<(String, Vec<u8>)>> {
        Ok(drawn(report, ctx)?.to_vec())
    }
}

/// The report's charts as `render` draws them, drawn once for every format that shows them.
pub fn drawn<'c>(report: Report, ctx: &'c Context) -> Result<&'c [(String, Vec<u8>)]> {
    if let Some(drawn) = ctx.charts.get() {
        return Ok(drawn);
    }
    let drawn = render(report, ctx.chart_size)?;
    Ok(ctx.charts.get_or_init(|| drawn))
}

/// The size of each chart unless `--chart-size` says otherwise.
pub const SIZE: (u32, u32) = (1280, 720);

/// Every chart of the report, as (file name, PNG bytes): an archive's is `history.png`.
pub fn render(report: Report, size: (u32, u32)) -> Result<Vec<(String, Vec<u8>)>> {
    match report {
        Report::Judgement(judgement) => judgement_charts(judgement, size),
        Report::History(archive) => Ok(vec![(
            "history.png".to_string(),
            history::render(&archive.runs, &archive.breaks, size)?,
        )]),
    }
}

/// Every chart of every run, and of the A/B comparison.
fn judgement_charts(report: &Judgement, size: (u32, u32)) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for (i, item) in report.runs.iter().enumerate() {
        let prefix = if report.runs.len() > 1 {
            format!("run{}-", i + 1)
        } else {
            String::new()
        };
        for (kind, png) in run_charts(item, size)? {
            files.push((format!("{prefix}{kind}.png"), png));
        }
    }
    if let Some(ab) = &report.ab {
        files.extend(ab_charts(report, ab, size)?);
    }
    Ok(files)
}

/// `ab-latency.png` (A and B over time, when both sides have a history) and `ab-endpoints.png`.
fn ab_charts(
    report: &Judgement,
    ab: &crate::analysis::paired::AbComparison,
    size: (u32, u32),
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    let a = ab
        .reference
        .as_ref()
        .and_then(|r| r.history.as_ref())
        .and_then(|h| h.aggregated());
    let b = report
        .runs
        .first()
        .and_then(|r| r.run.history.as_ref())
        .and_then(|h| h.aggregated());
    if let (Some(a), Some(b)) = (a, b) {
        files.push((
            "ab-latency.png".to_string(),
            draw(size, |area| ab::latency(area, a, b))?,
        ));
    }
    files.push((
        "ab-endpoints.png".to_string(),
        draw(size, |area| ab::endpoints(area, ab))?,
    ));
    Ok(files)
}

/// One run's charts as (kind, PNG bytes); the kind (`throughput`, `latency`, `server`, `endpoints`,
/// `failures`, `baseline`, `capacity`) names the file and the HTML report's caption.
pub fn run_charts(item: &RunJudgement, size: (u32, u32)) -> Result<Vec<(&'static str, Vec<u8>)>> {
    register_font();
    let mut charts = Vec::new();
    let history = item.run.history.as_ref().and_then(|h| h.aggregated());
    if let Some(series) = history {
        charts.push((
            "throughput",
            draw(size, |a| over_time::throughput(a, series))?,
        ));
        let full = item.run.history.as_ref().is_some_and(|h| h.is_full());
        charts.push((
            "latency",
            draw(size, |a| over_time::latency(a, series, full, item))?,
        ));
        if let Some(server) = item
            .server
            .as_ref()
            .filter(|s| !s.reading.series.is_empty())
        {
            charts.push((
                "server",
                draw(size, |a| over_time::server(a, series, &server.reading))?,
            ));
        }
    }
    charts.push(("endpoints", draw(size, |a| bars::endpoints(a, item))?));
    if item.run.aggregated.failures > 0 {
        charts.push((
            "failures",
            draw(size, |a| over_time::failures(a, item, history))?,
        ));
    }
    if item.baseline.is_some() {
        charts.push(("baseline", draw(size, |a| bars::baseline(a, item))?));
    }
    if let Some(c) = item.capacity.as_ref().filter(|c| c.applicable) {
        charts.push(("capacity", draw(size, |a| capacity::capacity(a, c))?));
    }
    Ok(charts)
}

pub(crate) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

pub(crate) fn draw(size: (u32, u32), paint: impl FnOnce(&Area) -> Result<()>) -> Result<Vec<u8>> {
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
        .context("cannot encode the PNG")?;
    Ok(png)
}

pub(crate) fn plot_error<E: std::error::Error + Send + Sync + 'static>(e: E) -> anyhow::Error {
    anyhow::Error::new(e).context("cannot draw the chart")
}

pub(crate) fn font(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

pub(crate) fn upper(values: impl Iterator<Item = f64>) -> f64 {
    let max = values.fold(0.0f64, f64::max);
    if max <= 0.0 {
        1.0
    } else {
        max * 1.15
    }
}

/// Axis numbers without a pointless `.0`; one decimal below 10 where it carries information.
pub(crate) fn whole(value: f64) -> String {
    if value.fract().abs() < 1e-9 || value.abs() >= 10.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// Draws a chart's legend at `position`, on a light box.
pub(crate) fn legend<'a, 'b, DB, CT>(
    mut labels: plotters::chart::SeriesLabelStyle<'a, 'b, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<()>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: plotters::coord::CoordTranslate,
{
    labels
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font(font(16))
        .draw()
        .map_err(plot_error)
}

/// A line of at most [`MAX_POINTS`] points, spikes kept.
pub(crate) fn downsample(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    lttb::lttb(points, MAX_POINTS)
}

/// A chart with a value axis on each side over one x axis.
pub(crate) type DualChart<'a, 'b> = DualCoordChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<RangedCoordf64, RangedCoordf64>,
    Cartesian2d<RangedCoordf64, RangedCoordf64>,
>;

/// What the two axes of a [`DualChart`] show: (upper end, description) for x, left and right.
pub(crate) struct DualAxes<'t> {
    pub title: &'t str,
    pub x: (f64, &'t str),
    pub left: (f64, &'t str),
    pub right: (f64, &'t str),
}

/// Builds a chart with a left and a right value axis, both from zero, meshed and labelled alike.
pub(crate) fn dual_axes<'a, 'b>(area: &'a Area<'b>, axes: DualAxes) -> Result<DualChart<'a, 'b>> {
    let mut chart = ChartBuilder::on(area)
        .caption(axes.title, font(28))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .right_y_label_area_size(80)
        .build_cartesian_2d(0.0..axes.x.0, 0.0..axes.left.0)
        .map_err(plot_error)?
        .set_secondary_coord(0.0..axes.x.0, 0.0..axes.right.0);
    chart
        .configure_mesh()
        .x_desc(axes.x.1)
        .y_desc(axes.left.1)
        .x_label_formatter(&|v| whole(*v))
        .y_label_formatter(&|v| whole(*v))
        .label_style(font(16))
        .axis_desc_style(font(18))
        .draw()
        .map_err(plot_error)?;
    chart
        .configure_secondary_axes()
        .y_desc(axes.right.1)
        .y_label_formatter(&|v| whole(*v))
        .label_style(font(16))
        .axis_desc_style(font(18))
        .draw()
        .map_err(plot_error)?;
    Ok(chart)
}

/// A legend entry: a short line in `color`.
pub(crate) fn legend_line(color: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
}

/// A chart with one value axis.
pub(crate) type Chart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// What the axes of a [`Chart`] show: (upper end, description) for x and y, and whether the chart
/// fills the image or shares it (smaller text).
pub(crate) struct Axes<'t> {
    pub title: &'t str,
    pub x: (f64, &'t str),
    pub y: (f64, &'t str),
    pub shared: bool,
}

/// Builds a chart with one value axis from zero, meshed and labelled.
pub(crate) fn axes<'a, 'b>(area: &'a Area<'b>, axes: Axes) -> Result<Chart<'a, 'b>> {
    let (caption, label, desc, y_area) = if axes.shared {
        (24, 15, 17, 70)
    } else {
        (28, 16, 18, 80)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(axes.title, font(caption))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(y_area)
        .build_cartesian_2d(0.0..axes.x.0, 0.0..axes.y.0)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc(axes.x.1)
        .x_label_formatter(&|v| whole(*v))
        .y_label_formatter(&|v| whole(*v))
        .y_desc(axes.y.1)
        .label_style(font(label))
        .axis_desc_style(font(desc))
        .draw()
        .map_err(plot_error)?;
    Ok(chart)
}
