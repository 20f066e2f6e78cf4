//! The server in a baseline: what a saved run keeps of what the server did ([`ServerFigures`]: each
//! `[[server]]` rule's value, each preset's summary over the run's window, and per-request
//! efficiency) and how a later run's figures are judged against the kept ones
//! ([`compare_server`]) with the between-run noise model latency uses: the kept runs' spread when
//! there are at least [`MIN_KEPT`], else a documented allowance from the profile's
//! `[regression] noise`. Per-request figures (CPU seconds and memory growth per 1,000 requests)
//! compare runs made at different loads; a preset's level moves with the load and with everything
//! else on the machine, so its regression warns and never fails on its own.

use serde::{Deserialize, Serialize};

use super::regression::noise::{t_quantile, FEW_KEPT, MIN_KEPT};
use super::server_findings::{fit_line, GROWTH_MIN_MB_PER_MIN, MB};
use super::stats::{mean, median, std_dev, z_for_confidence};
use crate::model::{ServerSeries, ServerUnit, Status};
use crate::profile::RegressionRules;
use crate::server::rules::{summary, Over};
use crate::server::units::{show, unit_from_name, unit_name};
use crate::server::ServerReading;

/// The note of a comparison whose baseline kept nothing of the server.
pub const NO_SERVER_FIGURES: &str = "baseline has no server figures (saved without --prometheus, or by a loadgate before they were kept): the server was not compared with it";

/// What a baseline keeps of the server for one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerFigures {
    /// The backend read, as shown (never credentials).
    pub source: String,
    /// The requests of the run (the aggregate), what the per-request figures divide by.
    pub requests: u64,
    /// The length of the window graded, seconds.
    pub window_s: f64,
    pub figures: Vec<ServerFigure>,
}

/// What a figure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FigureKind {
    /// A `[[server]]` rule's value (its `over` over the run's window).
    Rule,
    /// A preset's summary over the window, for one job.
    Preset,
    /// A preset's total over the window per 1,000 requests: CPU seconds (from a CPU preset) or
    /// memory growth (from a memory preset), so runs at different loads compare.
    #[serde(rename = "per_1k_requests")]
    Per1kRequests,
}

impl FigureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FigureKind::Rule => "rule",
            FigureKind::Preset => "preset",
            FigureKind::Per1kRequests => "per_1k_requests",
        }
    }
}

/// One server figure of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerFigure {
    pub kind: FigureKind,
    /// The rule's name, or the preset's id.
    pub name: String,
    /// The job, for presets and per-request figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// The unit's name (`bytes`, `seconds`, `ratio`…).
    pub unit: String,
    /// How the window was reduced: the rule's `over`, the preset's summary, `cpu_seconds` or
    /// `memory_growth`.
    pub over: String,
    pub value: f64,
    /// Lower is worse (a rule with `floor = true`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub floor: bool,
    /// The standard error of the value when it comes from a fit (memory growth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se: Option<f64>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl ServerFigure {
    fn same(&self, other: &ServerFigure) -> bool {
        self.kind == other.kind && self.name == other.name && self.job == other.job
    }

    fn unit(&self) -> ServerUnit {
        unit_from_name(&self.unit).unwrap_or(ServerUnit::None)
    }

    /// Whether the figure is a change over the run (a slope, an increase, a growth) that may be
    /// zero or negative: compared by absolute difference, not by ratio.
    fn is_change(&self) -> bool {
        matches!(self.over.as_str(), "slope" | "increase" | "memory_growth")
    }

    /// `process_cpu {job="api"}`, `rule "api memory"`, `CPU seconds per 1,000 requests (process_cpu, job "api")`.
    pub fn label(&self) -> String {
        let job = self
            .job
            .as_ref()
            .map_or(String::new(), |j| format!(", job {}", quoted(j)));
        match self.kind {
            FigureKind::Rule => format!("rule {}", quoted(&self.name)),
            FigureKind::Preset => format!("{} ({}{job})", self.name, self.over),
            FigureKind::Per1kRequests if self.over == "cpu_seconds" => {
                format!("CPU seconds per 1,000 requests ({}{job})", self.name)
            }
            FigureKind::Per1kRequests => {
                format!("memory growth per 1,000 requests ({}{job})", self.name)
            }
        }
    }

    /// The value in its unit.
    pub fn show(&self, value: f64) -> String {
        let text = show(value, self.unit());
        if self.over == "slope" {
            format!("{text}/min")
        } else {
            text
        }
    }
}

fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// The presets kept as levels, and how each is summarised over the window. Events (`up`, start
/// times, restarts) are the findings' to explain, not a level to compare.
const LEVELS: &[(&str, Over)] = &[
    ("process_memory", Over::Max),
    ("process_cpu", Over::Mean),
    ("container_memory", Over::Max),
    ("container_cpu", Over::Mean),
    ("container_throttling", Over::Mean),
    ("node_cpu", Over::Mean),
    ("node_memory", Over::Max),
    ("node_load1", Over::Mean),
];

/// CPU presets (cores) whose integral over the window is CPU seconds.
const CPU: &[&str] = &["process_cpu", "container_cpu"];
/// Memory presets (bytes) whose growth over the window is kept per request.
const MEMORY: &[&str] = &["process_memory", "container_memory"];

/// The figures of a run's reading: every rule that was graded, every preset level per job, and the
/// per-request figures where the run made `requests` requests. `None` when the server was not read.
pub fn server_figures(reading: &ServerReading, requests: u64) -> Option<ServerFigures> {
    let window = reading.window.as_ref()?;
    let (from, to) = (window.span.from, window.span.to);
    let window_s = to - from;
    let mut figures: Vec<ServerFigure> = reading
        .rules
        .iter()
        .filter_map(|r| {
            Some(ServerFigure {
                kind: FigureKind::Rule,
                name: r.rule.name.clone(),
                job: None,
                unit: unit_name(r.rule.unit).to_string(),
                over: r.rule.over.as_str().to_string(),
                value: r.graded.value.filter(|v| v.is_finite())?,
                floor: r.rule.floor,
                se: None,
            })
        })
        .collect();
    for preset in &reading.presets {
        let series: Vec<Vec<(f64, f64)>> = reading
            .series_of(preset.preset)
            .filter(|s| s.labels.get("job") == Some(&preset.job))
            .map(|s| inside(s, from, to))
            .filter(|p| p.len() >= 2)
            .collect();
        if series.is_empty() {
            continue;
        }
        let figure = |kind, over: &str, unit: ServerUnit, value: f64, se| ServerFigure {
            kind,
            name: preset.preset.to_string(),
            job: Some(preset.job.clone()),
            unit: unit_name(unit).to_string(),
            over: over.to_string(),
            value,
            floor: false,
            se,
        };
        if let Some((_, over)) = LEVELS.iter().find(|(id, _)| *id == preset.preset) {
            // The worst instance of the job.
            let value = series
                .iter()
                .filter_map(|p| summary(*over, p))
                .reduce(f64::max);
            if let Some(v) = value.filter(|v| v.is_finite()) {
                figures.push(figure(
                    FigureKind::Preset,
                    over.as_str(),
                    preset.unit,
                    v,
                    None,
                ));
            }
        }
        if requests == 0 || window_s <= 0.0 {
            continue;
        }
        let per_1k = 1000.0 / requests as f64;
        if CPU.contains(&preset.preset) {
            // Every instance of the job: the job's CPU seconds over the window.
            let seconds: f64 = series
                .iter()
                .filter_map(|p| mean(&p.iter().map(|x| x.1).collect::<Vec<_>>()))
                .sum::<f64>()
                * window_s;
            figures.push(figure(
                FigureKind::Per1kRequests,
                "cpu_seconds",
                ServerUnit::Seconds,
                seconds * per_1k,
                None,
            ));
        }
        if MEMORY.contains(&preset.preset) {
            let fits: Vec<_> = series.iter().filter_map(|p| fit_line(p)).collect();
            if fits.len() == series.len() {
                let growth: f64 = fits.iter().map(|f| f.slope).sum::<f64>() * window_s;
                let se = fits.iter().map(|f| f.slope_se.powi(2)).sum::<f64>().sqrt() * window_s;
                figures.push(figure(
                    FigureKind::Per1kRequests,
                    "memory_growth",
                    ServerUnit::Bytes,
                    growth * per_1k,
                    Some(se * per_1k).filter(|s| s.is_finite()),
                ));
            }
        }
    }
    Some(ServerFigures {
        source: reading.source.clone(),
        requests,
        window_s,
        figures,
    })
}

fn inside(series: &ServerSeries, from: f64, to: f64) -> Vec<(f64, f64)> {
    series
        .points
        .iter()
        .copied()
        .filter(|(t, _)| (from..=to).contains(t))
        .collect()
}

/// Where the allowance a change is held against came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseSource {
    /// Learned from this many kept runs that have the figure.
    KeptRuns(usize),
    /// One baseline run (or two): the profile's `[regression] noise` for each of the two runs.
    Allowance,
    /// One baseline run of a change over the run (memory growth): the two fits' standard errors,
    /// and at least the leak finding's smallest slope at this run's request rate.
    FitErrors,
}

impl NoiseSource {
    pub fn key(self) -> &'static str {
        match self {
            NoiseSource::KeptRuns(_) => "kept_runs",
            NoiseSource::Allowance => "allowance",
            NoiseSource::FitErrors => "fit_errors",
        }
    }
}

/// How far a figure may move before it stands out of the between-run noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerNoise {
    /// The change (in the figure's unit) below which a move is noise.
    pub bound: f64,
    /// The same, relative to the baseline value, for figures compared by ratio.
    pub relative: Option<f64>,
    pub source: NoiseSource,
}

/// Which way a figure moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Moved {
    Worse,
    Better,
    Unchanged,
}

/// One figure of the current run against the baseline's.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureChange {
    pub figure: ServerFigure,
    /// The median of the kept runs' values; `None` when no kept run has the figure.
    pub baseline: Option<f64>,
    /// How many kept runs have it.
    pub kept: usize,
    pub change: Option<f64>,
    pub change_pct: Option<f64>,
    pub moved: Moved,
    pub noise: Option<ServerNoise>,
    pub status: Status,
    pub reason: String,
}

/// The server's figures against a baseline's.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerComparison {
    /// The kept runs, and how many of them have server figures.
    pub baseline_runs: usize,
    pub with_figures: usize,
    pub figures: Vec<FigureChange>,
    pub notes: Vec<String>,
}

impl ServerComparison {
    pub fn status(&self) -> Status {
        Status::worst(self.figures.iter().map(|f| f.status))
    }
}

/// The smallest change of a level that counts, by unit: below it the figure's own resolution
/// (2% of a core, 1 MB, 2 points of a percentage, a millisecond, one of a count).
fn min_change(unit: ServerUnit) -> f64 {
    match unit {
        ServerUnit::Bytes => MB,
        ServerUnit::Ratio => 0.02,
        ServerUnit::Percent => 2.0,
        ServerUnit::Seconds => 0.001,
        ServerUnit::Count => 1.0,
        ServerUnit::None => 0.0,
    }
}

/// The smallest change of CPU seconds per 1,000 requests that counts: 0.02 of a core over the
/// run's window, per 1,000 of its requests.
fn cpu_floor(current: &ServerFigures) -> f64 {
    min_change(ServerUnit::Ratio) * current.window_s / current.requests.max(1) as f64 * 1000.0
}

/// `current`'s figures against the kept runs' (`kept`, oldest first, `None` for a run saved without
/// them), with the profile's `[regression]` rules: their `noise` as the prior, their `confidence`,
/// and their `status` for a figure that regressed (a preset's level: at most `warn`).
pub fn compare_server(
    kept: &[Option<ServerFigures>],
    current: &ServerFigures,
    rules: &RegressionRules,
) -> ServerComparison {
    let with: Vec<&ServerFigures> = kept.iter().flatten().collect();
    let mut notes = Vec::new();
    if with.is_empty() {
        notes.push(NO_SERVER_FIGURES.to_string());
        return ServerComparison {
            baseline_runs: kept.len(),
            with_figures: 0,
            figures: Vec::new(),
            notes,
        };
    }
    if with.len() < kept.len() {
        notes.push(format!(
            "{} of the baseline's {} kept runs have server figures: the server is compared with those",
            with.len(),
            kept.len()
        ));
    }
    let z = z_for_confidence(rules.confidence);
    let figures = current
        .figures
        .iter()
        .map(|f| {
            let history: Vec<&ServerFigure> = with
                .iter()
                .filter_map(|k| k.figures.iter().find(|b| b.same(f)))
                .collect();
            judge_figure(f, &history, current, rules, z)
        })
        .collect();
    let gone = with
        .last()
        .map(|l| {
            l.figures
                .iter()
                .filter(|b| !current.figures.iter().any(|f| f.same(b)))
                .count()
        })
        .unwrap_or(0);
    if gone > 0 {
        notes.push(format!(
            "{gone} server figure(s) of the newest kept run were not read in this run: not compared"
        ));
    }
    ServerComparison {
        baseline_runs: kept.len(),
        with_figures: with.len(),
        figures,
        notes,
    }
}

fn judge_figure(
    figure: &ServerFigure,
    history: &[&ServerFigure],
    current: &ServerFigures,
    rules: &RegressionRules,
    z: f64,
) -> FigureChange {
    let cur = figure.value;
    let values: Vec<f64> = history.iter().map(|h| h.value).collect();
    let unchanged = |reason: String| FigureChange {
        figure: figure.clone(),
        baseline: median(&values),
        kept: values.len(),
        change: median(&values).map(|b| cur - b),
        change_pct: median(&values)
            .filter(|b| *b > 0.0 && !figure.is_change())
            .map(|b| (cur - b) / b * 100.0),
        moved: Moved::Unchanged,
        noise: None,
        status: Status::Pass,
        reason,
    };
    let Some(base) = median(&values) else {
        return unchanged(format!(
            "{}: not in the baseline, not compared",
            figure.label()
        ));
    };
    if figure.kind == FigureKind::Per1kRequests && current.requests < rules.min_requests {
        return unchanged(format!(
            "{}: {} requests, under the {} a per-request figure needs: not judged",
            figure.label(),
            current.requests,
            rules.min_requests
        ));
    }
    let noise = if figure.is_change() || base <= 0.0 {
        absolute_noise(figure, &values, history, current, z)
    } else {
        Some(relative_noise(&values, base, rules, z))
    };
    let Some(noise) = noise else {
        return unchanged(format!(
            "{}: {} in the baseline, {} now: a figure at or below zero has no relative allowance; keep {MIN_KEPT} runs with it to learn its spread",
            figure.label(),
            figure.show(base),
            figure.show(cur)
        ));
    };
    // Memory that fell over the baseline run (a collector returned pages) is no level to grow
    // from: growth is measured from none.
    let reference = if figure.over == "memory_growth" {
        base.max(0.0)
    } else {
        base
    };
    let change = cur - reference;
    let worse = if figure.floor { -change } else { change };
    let floor = if figure.is_change() {
        0.0
    } else if figure.over == "cpu_seconds" {
        // As for a CPU level, 2% of a core over the run's window: a side job's (an exporter's)
        // few milliseconds per 1,000 requests move by their own noise, not the load's.
        cpu_floor(current)
    } else {
        min_change(figure.unit())
    };
    let stands_out = change.abs() > noise.bound && change.abs() >= floor;
    let moved = match (stands_out, worse > 0.0) {
        (false, _) => Moved::Unchanged,
        (true, true) => Moved::Worse,
        (true, false) => Moved::Better,
    };
    let status = match (moved, figure.kind) {
        (Moved::Worse, FigureKind::Preset) => rules.status.min(Status::Warn),
        (Moved::Worse, _) => rules.status,
        _ => Status::Pass,
    };
    let pct = (base > 0.0 && !figure.is_change()).then(|| change / base * 100.0);
    let pct_text = pct.map_or(String::new(), |p| format!(" ({p:+.0}%)"));
    let allowance = describe(&noise, figure);
    let verb = match moved {
        Moved::Worse => "worse, beyond",
        Moved::Better => "better, beyond",
        Moved::Unchanged => "within",
    };
    let from_none = if reference != base {
        format!(
            " (growth counted from none: the baseline's {} fell)",
            figure.show(base)
        )
    } else {
        String::new()
    };
    let mut reason = format!(
        "{}: {} → {}{pct_text}{from_none}, {verb} the noise ({allowance})",
        figure.label(),
        figure.show(reference),
        figure.show(cur)
    );
    if moved == Moved::Worse && figure.kind == FigureKind::Preset && rules.status == Status::Fail {
        reason.push_str(
            "; a level moves with the load and the machine: it warns, the per-request figures fail",
        );
    }
    FigureChange {
        figure: figure.clone(),
        baseline: Some(reference),
        kept: values.len(),
        change: Some(change),
        change_pct: pct,
        moved,
        noise: Some(noise),
        status,
        reason,
    }
}

/// A level (positive): the kept runs' spread on log values when there are [`MIN_KEPT`], a
/// prediction interval for one more run (no wider than one run's allowance up to [`FEW_KEPT`]
/// runs, as for latency); else the allowance for two runs that each carry the profile's noise.
fn relative_noise(values: &[f64], base: f64, rules: &RegressionRules, z: f64) -> ServerNoise {
    let one_run = z * rules.noise * 2f64.sqrt();
    let logs: Vec<f64> = values
        .iter()
        .filter(|v| **v > 0.0)
        .map(|v| v.ln())
        .collect();
    let (relative, source) = match std_dev(&logs).filter(|_| logs.len() >= MIN_KEPT) {
        Some(sd) => {
            let n = logs.len() as f64;
            let mut bound = (t_quantile(z, n - 1.0) * sd * (1.0 + 1.0 / n).sqrt()).exp() - 1.0;
            if logs.len() <= FEW_KEPT {
                bound = bound.min(one_run);
            }
            (bound, NoiseSource::KeptRuns(logs.len()))
        }
        None => (one_run, NoiseSource::Allowance),
    };
    ServerNoise {
        bound: relative * base,
        relative: Some(relative),
        source,
    }
}

/// A change over the run (a slope, an increase, memory growth), which may be zero or negative: the
/// kept runs' spread in the figure's own unit when there are [`MIN_KEPT`]; else, for memory
/// growth, the two fits' standard errors; a rule's change from one run has no allowance (`None`).
/// Memory growth never counts under the leak finding's smallest slope at this run's rate.
fn absolute_noise(
    figure: &ServerFigure,
    values: &[f64],
    history: &[&ServerFigure],
    current: &ServerFigures,
    z: f64,
) -> Option<ServerNoise> {
    let growth_floor = (figure.over == "memory_growth" && current.window_s > 0.0).then(|| {
        let per_minute = current.requests as f64 / current.window_s * 60.0;
        GROWTH_MIN_MB_PER_MIN * MB / per_minute.max(f64::MIN_POSITIVE) * 1000.0
    });
    let (bound, source) = match std_dev(values).filter(|_| values.len() >= MIN_KEPT) {
        Some(sd) => {
            let n = values.len() as f64;
            (
                t_quantile(z, n - 1.0) * sd * (1.0 + 1.0 / n).sqrt(),
                NoiseSource::KeptRuns(values.len()),
            )
        }
        None => {
            let base_se = history.last().and_then(|h| h.se)?;
            let cur_se = figure.se?;
            (
                z * (base_se.powi(2) + cur_se.powi(2)).sqrt(),
                NoiseSource::FitErrors,
            )
        }
    };
    Some(ServerNoise {
        bound: bound.max(growth_floor.unwrap_or(0.0)),
        relative: None,
        source,
    })
}

fn describe(noise: &ServerNoise, figure: &ServerFigure) -> String {
    let size = match noise.relative {
        Some(r) => format!("±{:.0}%", r * 100.0),
        None => format!("±{}", figure.show(noise.bound)),
    };
    match noise.source {
        NoiseSource::KeptRuns(n) => format!("{size}, the spread of the {n} kept runs"),
        NoiseSource::Allowance => format!(
            "{size}, the allowance for one baseline run from the profile's [regression] noise"
        ),
        NoiseSource::FitErrors => {
            format!(
                "{size}, the two fits' standard errors and at least a 1 MB/min leak at this rate"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(kind: FigureKind, name: &str, over: &str, unit: &str, value: f64) -> ServerFigure {
        ServerFigure {
            kind,
            name: name.to_string(),
            job: (kind != FigureKind::Rule).then(|| "api".to_string()),
            unit: unit.to_string(),
            over: over.to_string(),
            value,
            floor: false,
            se: None,
        }
    }

    fn run(requests: u64, figures: Vec<ServerFigure>) -> ServerFigures {
        ServerFigures {
            source: "http://127.0.0.1:9090".to_string(),
            requests,
            window_s: 60.0,
            figures,
        }
    }

    fn cpu(value: f64) -> ServerFigure {
        figure(
            FigureKind::Per1kRequests,
            "process_cpu",
            "cpu_seconds",
            "seconds",
            value,
        )
    }

    fn rules() -> RegressionRules {
        RegressionRules::default()
    }

    #[test]
    fn one_baseline_run_allows_the_profiles_noise_for_each_of_two_runs() {
        let r = rules();
        let allowance = z_for_confidence(r.confidence) * r.noise * 2f64.sqrt();
        // 0.15 at 99%: ±55%.
        assert!((allowance - 0.546).abs() < 0.01, "{allowance}");
        let base = [Some(run(6000, vec![cpu(1.0)]))];
        let judged = |now: f64| compare_server(&base, &run(6000, vec![cpu(now)]), &r);
        let within = judged(1.0 + allowance - 0.01);
        assert_eq!(within.status(), Status::Pass);
        assert_eq!(within.figures[0].moved, Moved::Unchanged);
        let noise = within.figures[0].noise.unwrap();
        assert_eq!(noise.source, NoiseSource::Allowance);
        assert!((noise.relative.unwrap() - allowance).abs() < 1e-12);
        let beyond = judged(1.0 + allowance + 0.01);
        assert_eq!(beyond.status(), Status::Fail, "{:?}", beyond.figures);
        assert_eq!(beyond.figures[0].moved, Moved::Worse);
        assert!(
            beyond.figures[0]
                .reason
                .contains("CPU seconds per 1,000 requests (process_cpu, job \"api\")"),
            "{}",
            beyond.figures[0].reason
        );
        // Half the CPU per request is better, never a failure.
        let better = judged(0.4);
        assert_eq!(better.figures[0].moved, Moved::Better);
        assert_eq!(better.status(), Status::Pass);
    }

    #[test]
    fn kept_runs_teach_their_own_spread() {
        let r = rules();
        let kept: Vec<Option<ServerFigures>> = [1.00, 1.02, 0.98, 1.01, 0.99, 1.00]
            .iter()
            .map(|v| Some(run(6000, vec![cpu(*v)])))
            .collect();
        let c = compare_server(&kept, &run(6000, vec![cpu(1.3)]), &r);
        let f = &c.figures[0];
        assert_eq!(f.noise.unwrap().source, NoiseSource::KeptRuns(6));
        // Six runs within ±2%: +30% stands out although the one-run allowance is ±55%.
        assert!(f.noise.unwrap().relative.unwrap() < 0.15, "{f:?}");
        assert_eq!((f.moved, f.status), (Moved::Worse, Status::Fail));
        // Three kept runs that spread widely are held to no more than one run's allowance.
        let wide: Vec<Option<ServerFigures>> = [0.5, 1.0, 2.0]
            .iter()
            .map(|v| Some(run(6000, vec![cpu(*v)])))
            .collect();
        let c = compare_server(&wide, &run(6000, vec![cpu(1.0)]), &r);
        let bound = c.figures[0].noise.unwrap().relative.unwrap();
        assert!(
            (bound - z_for_confidence(r.confidence) * r.noise * 2f64.sqrt()).abs() < 1e-12,
            "{bound}"
        );
    }

    #[test]
    fn a_baseline_without_server_figures_is_a_note_never_a_failure() {
        let c = compare_server(&[None, None], &run(6000, vec![cpu(9.0)]), &rules());
        assert_eq!(c.status(), Status::Pass);
        assert!(c.figures.is_empty());
        assert_eq!(c.notes, [NO_SERVER_FIGURES]);
        assert!(NO_SERVER_FIGURES.starts_with("baseline has no server figures"));
        // Some kept runs with figures: compared with those, and said.
        let c = compare_server(
            &[None, Some(run(6000, vec![cpu(1.0)]))],
            &run(6000, vec![cpu(1.0)]),
            &rules(),
        );
        assert_eq!(c.with_figures, 1);
        assert!(
            c.notes[0].starts_with("1 of the baseline's 2 kept runs"),
            "{:?}",
            c.notes
        );
        // A baseline saved before loadgate kept them reads as one without.
        let old = r#"{"schema_version":2,"name":"b","keep":1,"loadgate_version":"0.1.0","updated_at":"x","runs":[]}"#;
        let b: crate::baseline::Baseline = serde_json::from_str(old).unwrap();
        assert!(b.server_figures().is_empty());
    }

    #[test]
    fn a_level_regression_warns_and_a_floor_rule_regresses_downwards() {
        let r = rules();
        let memory = |v: f64| figure(FigureKind::Preset, "process_memory", "max", "bytes", v);
        let c = compare_server(
            &[Some(run(6000, vec![memory(100.0 * MB)]))],
            &run(6000, vec![memory(200.0 * MB)]),
            &r,
        );
        assert_eq!(
            (c.figures[0].moved, c.status()),
            (Moved::Worse, Status::Warn)
        );
        let hit_rate = |v: f64| ServerFigure {
            floor: true,
            ..figure(FigureKind::Rule, "cache hit rate", "mean", "ratio", v)
        };
        let c = compare_server(
            &[Some(run(6000, vec![hit_rate(0.6)]))],
            &run(6000, vec![hit_rate(0.2)]),
            &r,
        );
        assert_eq!(
            (c.figures[0].moved, c.status()),
            (Moved::Worse, Status::Fail)
        );
        let c = compare_server(
            &[Some(run(6000, vec![hit_rate(0.6)]))],
            &run(6000, vec![hit_rate(0.95)]),
            &r,
        );
        // A floor that rose beyond the noise is better.
        assert_eq!(
            (c.figures[0].moved, c.status()),
            (Moved::Better, Status::Pass)
        );
    }

    #[test]
    fn memory_growth_counts_from_none_and_needs_a_leak_the_finding_would_see() {
        let r = rules();
        // 6,000 requests in 60 s: 6,000 a minute; 1 MB/min is 170.7 kB per 1,000 requests.
        let growth = |v: f64, se: f64| ServerFigure {
            se: Some(se),
            ..figure(
                FigureKind::Per1kRequests,
                "process_memory",
                "memory_growth",
                "bytes",
                v,
            )
        };
        let floor = MB / 6.0;
        let base = [Some(run(6000, vec![growth(-0.9 * MB, 1e3)]))];
        // Memory fell in the baseline: a small growth now is no regression from -0.9 MB.
        let c = compare_server(&base, &run(6000, vec![growth(0.9 * floor, 1e3)]), &r);
        assert_eq!(c.figures[0].moved, Moved::Unchanged, "{:?}", c.figures[0]);
        assert_eq!(c.figures[0].baseline, Some(0.0));
        assert!(c.figures[0].reason.contains("counted from none"));
        assert_eq!(c.figures[0].change_pct, None);
        // Just over a 1 MB/min leak at this rate fails; the fits' errors are the noise.
        let c = compare_server(&base, &run(6000, vec![growth(1.1 * floor, 1e3)]), &r);
        assert_eq!(
            (c.figures[0].moved, c.status()),
            (Moved::Worse, Status::Fail)
        );
        assert_eq!(c.figures[0].noise.unwrap().source, NoiseSource::FitErrors);
        // Fits too uncertain to tell: their errors widen the noise past the change.
        let c = compare_server(&base, &run(6000, vec![growth(1.1 * floor, 0.2 * MB)]), &r);
        assert_eq!(c.figures[0].moved, Moved::Unchanged);
    }

    #[test]
    fn cpu_per_request_needs_two_percent_of_a_core() {
        let r = rules();
        // 6,000 requests in 60 s: 0.02 of a core is 1.2 CPU seconds, 0.2 s per 1,000 requests.
        let base = [Some(run(6000, vec![cpu(0.02)]))];
        let side_job = compare_server(&base, &run(6000, vec![cpu(0.19)]), &r);
        assert_eq!(
            side_job.figures[0].moved,
            Moved::Unchanged,
            "+850% of an exporter's CPU"
        );
        let c = compare_server(&base, &run(6000, vec![cpu(0.23)]), &r);
        assert_eq!(
            (c.figures[0].moved, c.status()),
            (Moved::Worse, Status::Fail)
        );
    }

    #[test]
    fn kinds_are_named_as_the_json_names_them() {
        for kind in [
            FigureKind::Rule,
            FigureKind::Preset,
            FigureKind::Per1kRequests,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }

    #[test]
    fn per_request_figures_need_the_profiles_fewest_requests() {
        let r = rules();
        let c = compare_server(
            &[Some(run(6000, vec![cpu(1.0)]))],
            &run(r.min_requests - 1, vec![cpu(5.0)]),
            &r,
        );
        assert_eq!(c.status(), Status::Pass);
        assert!(
            c.figures[0].reason.contains("not judged"),
            "{}",
            c.figures[0].reason
        );
    }

    #[test]
    fn a_rules_change_over_the_run_from_one_baseline_run_is_not_judged() {
        let slope = figure(FigureKind::Rule, "memory slope", "slope", "bytes", 5.0 * MB);
        let c = compare_server(
            &[Some(run(
                6000,
                vec![ServerFigure {
                    value: 0.0,
                    ..slope.clone()
                }],
            ))],
            &run(6000, vec![slope]),
            &rules(),
        );
        assert_eq!(c.status(), Status::Pass);
        assert!(
            c.figures[0].reason.contains("keep 3 runs"),
            "{}",
            c.figures[0].reason
        );
    }
}
