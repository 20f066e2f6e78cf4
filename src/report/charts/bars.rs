//! Horizontal bar charts: response time per endpoint coloured by grade, failures by type, P95
//! against the baseline.

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{font, palette, plot_error, upper, whole, Area};
use crate::analysis::grade::ScopeResult;
use crate::analysis::regression::Direction;
use crate::analysis::RunJudgement;
use crate::model::{EndpointStats, Metric, Scope, Status, Unit};
use crate::profile::Grade;
use crate::report::units::shorten;

/// A horizontal bar chart: one row per label, several bars per row. Labels are drawn left of the
/// plot in pixel space so long endpoint names stay readable.
pub(super) struct Bars {
    pub(super) title: String,
    pub(super) x_desc: String,
    pub(super) labels: Vec<String>,
    /// Per row: (value, colour) for each bar of the row, top to bottom.
    pub(super) rows: Vec<Vec<(f64, RGBAColor)>>,
    /// Legend entries (text, colour).
    pub(super) legend: Vec<(String, RGBAColor)>,
    pub(super) note: Option<String>,
}

pub(super) fn bars(area: &Area, spec: Bars) -> Result<()> {
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

/// Endpoints charted at most: past this the rows are too thin to read (a run of 3,000 endpoints).
pub(super) const MAX_CHARTED_ENDPOINTS: usize = 30;

/// The endpoints to chart, worst first when they are too many (worst grade, then highest p99, then
/// p95), and how many are left out. The aggregate is always charted, last.
fn charted(endpoints: &[ScopeResult], max: usize) -> (Vec<(&EndpointStats, Option<Grade>)>, usize) {
    let mut rows: Vec<(&EndpointStats, Option<Grade>)> =
        endpoints.iter().map(|s| (&s.stats, s.grade)).collect();
    if rows.len() <= max {
        return (rows, 0);
    }
    let key = |(s, g): &(&EndpointStats, Option<Grade>)| {
        let ms = |v: Option<f64>| v.unwrap_or(-1.0);
        (*g, ms(s.percentiles.p99()), ms(s.percentiles.p95()))
    };
    rows.sort_by(|a, b| {
        key(b)
            .partial_cmp(&key(a))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let left_out = rows.len() - max;
    rows.truncate(max);
    (rows, left_out)
}

/// The worst grade of a scope's latency checks (`None` when none graded its latency).
fn latency_grade(item: &RunJudgement, scope: &Scope) -> Option<Grade> {
    item.checks
        .iter()
        .filter(|c| &c.scope == scope && c.metric.unit() == Unit::Millis)
        .map(|c| c.grade)
        .max()
}

pub(super) fn endpoints(area: &Area, item: &RunJudgement) -> Result<()> {
    let (mut rows, left_out) = charted(&item.endpoints, MAX_CHARTED_ENDPOINTS);
    rows.push((&item.aggregated.stats, item.aggregated.grade));
    // The bars draw latency: each is coloured by its scope's latency checks alone, so that an
    // error rate's grade does not paint a fast endpoint red.
    let last = rows.len() - 1;
    for (i, (stats, grade)) in rows.iter_mut().enumerate() {
        let scope = if i == last {
            Scope::Aggregated
        } else {
            Scope::Endpoint(stats.key.clone())
        };
        *grade = latency_grade(item, &scope);
    }
    let shades = [0.35, 0.65, 1.0];
    let spec = Bars {
        title: "Response time per endpoint: p50, p95, p99 (colour = latency grade)".to_string(),
        x_desc: "Response time (ms)".to_string(),
        labels: rows
            .iter()
            .map(|(s, _)| shorten(&s.key.to_string(), 40))
            .collect(),
        rows: rows
            .iter()
            .map(|(s, grade)| {
                let color = palette::grade(*grade);
                [s.p50(), s.percentiles.p95(), s.percentiles.p99()]
                    .iter()
                    .zip(shades)
                    .map(|(v, alpha)| (v.unwrap_or(0.0), color.mix(alpha)))
                    .collect()
            })
            .collect(),
        legend: Grade::ALL
            .iter()
            .map(|g| (g.as_str().to_string(), palette::grade(Some(*g)).mix(1.0)))
            .collect(),
        note: Some(if left_out > 0 {
            format!(
                "The {} worst of {} endpoints (by grade, then p99); {left_out} left out. Each: p50 (lightest), p95, p99 (darkest).",
                rows.len() - 1,
                item.endpoints.len()
            )
        } else {
            "Each endpoint: p50 (lightest), p95, p99 (darkest).".to_string()
        }),
    };
    bars(area, spec)
}

/// The exception name of a Python error repr (`ConnectionRefusedError(111, …)` -> `ConnectionRefusedError`).
pub(super) fn short_error(message: &str) -> String {
    let head: String = message
        .chars()
        .take_while(|c| *c != '(' && *c != ':')
        .collect();
    shorten(head.trim(), 28)
}

pub(super) fn baseline(area: &Area, item: &RunJudgement) -> Result<()> {
    let Some(b) = &item.baseline else {
        return Ok(());
    };
    let p95: Vec<_> = b
        .comparison
        .regressions
        .iter()
        .filter(|r| r.metric == Metric::P95)
        .collect();
    let grey = palette::REFERENCE.mix(0.9);
    let spec = Bars {
        title: format!("P95 against baseline {}", shorten(&b.label, 40)),
        x_desc: "P95 response time (ms)".to_string(),
        labels: p95
            .iter()
            .map(|r| shorten(&r.scope.to_string(), 40))
            .collect(),
        rows: p95
            .iter()
            .map(|r| {
                let color = match (r.status, r.direction) {
                    (Status::Fail, _) => palette::ALERT,
                    (Status::Warn, _) => palette::WARN,
                    (Status::Pass, Direction::Improved) => palette::IMPROVED,
                    (Status::Pass, Direction::Regressed | Direction::Unchanged) => palette::NEUTRAL,
                };
                vec![(r.baseline, grey), (r.current, color.mix(0.9))]
            })
            .collect(),
        legend: vec![
            ("baseline".to_string(), grey),
            ("current: unchanged".to_string(), palette::NEUTRAL.mix(0.9)),
            ("improved".to_string(), palette::IMPROVED.mix(0.9)),
            ("warn".to_string(), palette::WARN.mix(0.9)),
            ("regressed".to_string(), palette::ALERT.mix(0.9)),
        ],
        note: None,
    };
    bars(area, spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EndpointKey, Percentiles, Scope};

    fn scope(name: &str, grade: Option<Grade>, p99: f64) -> ScopeResult {
        let mut percentiles = Percentiles::default();
        percentiles.0[7] = Some(p99);
        ScopeResult {
            scope: Scope::Aggregated,
            stats: EndpointStats {
                key: EndpointKey::new("GET", name),
                requests: 10,
                failures: 0,
                rps: 1.0,
                failures_per_s: None,
                avg_ms: None,
                min_ms: None,
                max_ms: None,
                median_ms: None,
                avg_content_size: None,
                percentiles,
                custom_percentiles: Vec::new(),
                histogram: None,
            },
            expected_failures: 0,
            error_rate: 0.0,
            grade,
            status: Status::Pass,
            skipped: false,
        }
    }

    fn names(rows: &[(&EndpointStats, Option<Grade>)]) -> Vec<String> {
        rows.iter().map(|(s, _)| s.key.name.clone()).collect()
    }

    #[test]
    fn up_to_the_limit_every_endpoint_is_charted_in_file_order() {
        let all: Vec<ScopeResult> = (0..3)
            .map(|i| scope(&format!("/{i}"), Some(Grade::Good), i as f64))
            .collect();
        let (rows, left_out) = charted(&all, 3);
        assert_eq!(
            (names(&rows), left_out),
            (vec!["/0".into(), "/1".into(), "/2".into()], 0)
        );
    }

    #[test]
    fn past_the_limit_the_worst_are_charted_and_the_rest_counted() {
        let all = vec![
            scope("/fast-good", Some(Grade::Good), 5.0),
            scope("/slow-good", Some(Grade::Good), 900.0),
            scope("/critical", Some(Grade::Critical), 50.0),
            scope("/ungraded", None, 5_000.0),
        ];
        let (rows, left_out) = charted(&all, 3);
        assert_eq!(left_out, 1);
        // The worst grade first, then the highest p99 within a grade; ungraded ranks last.
        assert_eq!(names(&rows), ["/critical", "/slow-good", "/fast-good"]);
    }
}
