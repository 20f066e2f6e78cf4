//! One self-contained HTML page (`--html FILE`). For `check`, `compare` and `ab`: the verdict
//! first, then (for `ab`) B against A with its charts, then per run the endpoint table with
//! grades, the checks that failed or warned, the baseline side by side, trends, capacity,
//! findings, notes, the top failures and the charts (PNG `data:` images drawn with the embedded
//! font); for `history`, the archive's page ([`history`]). No script, no network: see [`page`].
//! Everything from a result file goes through the escaping [`Markup`] writer. Each section is one
//! function of (run, markup); a new report adds its own sections to a [`Page`].

pub mod history;
pub mod page;

use anyhow::Result;
use chrono::{DateTime, Utc};

use self::page::{Markup, Page, Section};
use super::charts;
use super::exporter::{Context, Exporter, Report};
use super::server_view;
use super::units::{ms, percent, rate};
use super::view::{self, Counts, GradeCell};
use crate::analysis::paired::{AbComparison, PairedChange};
use crate::analysis::regression::{Comparison, Direction, Regression};
use crate::analysis::server_baseline::ServerComparison;
use crate::analysis::trend;
use crate::analysis::{Judgement, RunJudgement};
use crate::model::{Metric, Status};
use crate::server::ServerReading;

/// The page: for a judgement (`check`, `compare`, `ab`) or an archive ([`history`]). The charts
/// are the ones `--charts` writes, drawn once for both.
pub struct HtmlExporter;

impl Exporter for HtmlExporter {
    fn render(&self, report: Report, ctx: &Context) -> Result<Vec<u8>> {
        let charts = charts::drawn(report, ctx)?.to_vec();
        let page = match report {
            Report::Judgement(judgement) => judgement_page(judgement, charts),
            Report::History(archive) => history::page(archive, &charts),
        };
        Ok(page.render(&stamp(report.generated_at())))
    }
}

/// The page's "Generated" time: `2026-01-02 03:04:05 UTC`.
fn stamp(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `check`, `compare` and `ab`'s page.
fn judgement_page(judgement: &Judgement, drawn: Vec<(String, Vec<u8>)>) -> Page {
    let mut summary = Markup::new();
    summary
        .text(&format!("{} run(s) against profile ", judgement.runs.len()))
        .el_text("code", "", &judgement.profile.name)
        .text(&format!(" ({})", judgement.profile_source));
    let mut page = Page::new(judgement.command, judgement.verdict, summary);
    let mut charts = ChartFiles(drawn);
    // An `ab` run is about B against A: that comes first, the run's own sections after.
    if let Some(ab) = &judgement.ab {
        for section in ab_sections(ab, charts.take("ab-")) {
            page.push(section);
        }
    }
    let several = judgement.runs.len() > 1;
    for (i, item) in judgement.runs.iter().enumerate() {
        let (id, label) = if several {
            (format!("run{}", i + 1), format!(" · run {}", i + 1))
        } else {
            ("run".to_string(), String::new())
        };
        // `charts::render` names a lone run's charts by their kind, several runs' `runN-kind`.
        let prefix = if several {
            format!("{id}-")
        } else {
            String::new()
        };
        let own = charts.take(&prefix);
        for section in run_sections((&id, &label), item, own) {
            page.push(section);
        }
    }
    if let Some(scaling) = &judgement.scaling {
        page.push(Section::new("scaling", "Scaling", scaling_body(scaling)));
    }
    page
}

/// Charts as `charts::render` names their files (`kind.png`, `runN-kind.png`, `ab-kind.png`).
struct ChartFiles(Vec<(String, Vec<u8>)>);

impl ChartFiles {
    /// Takes the charts whose file names start with `prefix` (every one left, for an empty
    /// prefix), as (kind, PNG): the kind keeps an `ab-`, loses a `runN-`.
    fn take(&mut self, prefix: &str) -> Vec<(String, Vec<u8>)> {
        let (taken, left): (Vec<_>, Vec<_>) = std::mem::take(&mut self.0)
            .into_iter()
            .partition(|(file, _)| file.starts_with(prefix));
        self.0 = left;
        let keep_prefix = prefix == "ab-";
        taken
            .into_iter()
            .map(|(file, png)| {
                let kind = file.trim_end_matches(".png");
                let kind = if keep_prefix {
                    kind
                } else {
                    &kind[prefix.len()..]
                };
                (kind.to_string(), png)
            })
            .collect()
    }
}

/// A run's sections, in reading order; sections with nothing to say are left out. `id` prefixes
/// the anchors, `label` (empty for a lone run) tells several runs' headings apart; `charts` are
/// the run's, drawn, as (kind, PNG).
fn run_sections(
    (id, label): (&str, &str),
    item: &RunJudgement,
    charts: Vec<(String, Vec<u8>)>,
) -> Vec<Section> {
    let title = |what: &str| format!("{what}{label}");
    let mut sections = vec![Section::new(
        format!("{id}-endpoints"),
        title("Endpoints"),
        endpoints(item),
    )];
    let tool_heading = format!("{}'s own thresholds and checks", view::tool_name(&item.run));
    let optional = [
        ("checks", "Checks", checks(item)),
        ("tool", &tool_heading, tool_verdicts(item)),
        ("baseline", "Against the baseline", baseline(item)),
        ("findings", "Findings", findings(item)),
        ("trends", "Trends", trends(item)),
        ("capacity", "Capacity", capacity(item)),
        ("server", "Server metrics", server(item)),
        ("notes", "Notes", notes(item)),
        ("failures", "Top failures", failures(item)),
    ];
    for (key, heading, body) in optional {
        if let Some(body) = body {
            sections.push(Section::new(format!("{id}-{key}"), title(heading), body));
        }
    }
    if !charts.is_empty() {
        let mut m = Markup::new();
        m.el("div", "charts", |m| {
            for (kind, png) in &charts {
                m.figure(chart_caption(kind), png);
            }
        });
        sections.push(Section::new(format!("{id}-charts"), title("Charts"), m));
    }
    sections
}

fn chart_caption(kind: &str) -> &'static str {
    match kind {
        "ab-latency" => "A and B response times over time",
        "ab-endpoints" => "P95 per endpoint, A beside B",
        "throughput" => "Throughput and users over time",
        "latency" => "Response times over time",
        "server" => "The server's metrics over the same time (under the response times)",
        "endpoints" => "Response times per endpoint",
        "failures" => "Failures",
        "baseline" => "Against the baseline",
        "capacity" => "Capacity against users",
        _ => "Chart",
    }
}

/// The A/B comparison and its charts, drawn, as (kind, PNG).
fn ab_sections(ab: &AbComparison, charts: Vec<(String, Vec<u8>)>) -> Vec<Section> {
    let mut sections = vec![Section::new("ab", "A/B: B against A", ab_body(ab))];
    if !charts.is_empty() {
        let mut m = Markup::new();
        m.el("div", "charts", |m| {
            for (kind, png) in &charts {
                m.figure(chart_caption(kind), png);
            }
        });
        sections.push(Section::new("ab-charts", "A/B charts", m));
    }
    sections
}

/// A and B side by side per scope and figure: the paired change, its interval, status and reason.
fn ab_body(ab: &AbComparison) -> Markup {
    let mut m = Markup::new();
    m.el("p", "", |m| {
        m.status(ab.verdict)
            .text(" B ")
            .el_text("code", "", &ab.b_label)
            .text(" against A ")
            .el_text("code", "", &ab.a_label)
            .text(&format!(
                " · {} pairs, B first in {} · {}",
                ab.pairs,
                ab.b_first,
                view::ab_sentence(ab)
            ));
    });
    let header = ["Scope", "Metric", "A", "B", "Change", "Interval", "", "Why"];
    m.table("ab", &header, &ab.changes, |row, c| {
        let (a, b, change, interval) = ab_figures(c);
        row.cell("name", &c.scope.to_string())
            .cell("", &c.metric.to_string())
            .cell("num", &a)
            .cell("num", &b)
            .cell("num", &change)
            .cell("num", &interval)
            .cell_with("", |m| {
                m.status(c.status);
            })
            .cell("", &c.reason);
    });
    m.el_text("p", "muted", &format!("Test: {}.", ab.method));
    m
}

/// A, B, the change and its interval as the figure's unit reads (ms and %, or points of the
/// error rate).
fn ab_figures(c: &PairedChange) -> (String, String, String, String) {
    let (lo, hi) = c.interval;
    if c.metric == Metric::ErrorRate {
        (
            format!("{}%", percent(c.a)),
            format!("{}%", percent(c.b)),
            format!("{:+.2} pt", c.change * 100.0),
            format!("{:+.2} .. {:+.2} pt", lo * 100.0, hi * 100.0),
        )
    } else {
        (
            format!("{:.1}", c.a),
            format!("{:.1}", c.b),
            format!("{:+.1}%", c.change * 100.0),
            format!("{:+.1} .. {:+.1}%", lo * 100.0, hi * 100.0),
        )
    }
}

fn endpoints(item: &RunJudgement) -> Markup {
    let mut m = Markup::new();
    let counts = Counts::of(item);
    m.el("p", "", |m| {
        m.status(item.verdict)
            .text(" ")
            .el_text("code", "", &item.run.files.prefix.display().to_string())
            .text(" · ");
        let mut facts = view::run_facts(&item.run);
        let sentence = counts.sentence();
        if !sentence.is_empty() {
            facts.push(sentence);
        }
        m.text(&facts.join(" · "));
    });
    let header = [
        "Endpoint", "Requests", "Errors %", "req/s", "p50 ms", "p95 ms", "p99 ms", "Grade",
    ];
    m.table(
        "endpoints",
        &header,
        view::scope_rows(item),
        |row, (scope, grade)| {
            let stats = &scope.stats;
            let total = stats.key.method.is_empty();
            row.cell_with(if total { "name total" } else { "name" }, |m| {
                if !total {
                    m.el_text("code", "", &stats.key.method).text(" ");
                }
                m.text(&stats.key.name);
            })
            .cell("num", &stats.requests.to_string())
            .cell("num", &percent(scope.error_rate))
            .cell("num", &rate(stats.rps))
            .cell("num", &ms(stats.p50()))
            .cell("num", &ms(stats.percentiles.p95()))
            .cell("num", &ms(stats.percentiles.p99()))
            .cell_with("", |m| match grade {
                GradeCell::Skipped => {
                    m.text("skipped");
                }
                GradeCell::Ungraded => {
                    m.text("-");
                }
                GradeCell::Graded(g, status) => {
                    m.status(status).text(&format!(" {g}"));
                }
            });
        },
    );
    m
}

fn checks(item: &RunJudgement) -> Option<Markup> {
    let flagged: Vec<_> = item
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass)
        .collect();
    if !item.graded {
        return None;
    }
    let mut m = Markup::new();
    if flagged.is_empty() {
        m.el_text(
            "p",
            "",
            &format!("All {} checks passed.", item.checks.len()),
        );
        return Some(m);
    }
    m.el("ul", "items", |m| {
        // Failures before warnings: the reader looks for what blocks the merge.
        for status in [Status::Fail, Status::Warn] {
            for c in flagged.iter().filter(|c| c.status == status) {
                m.el("li", "", |m| {
                    m.status(c.status).text(" ").text(&c.message());
                });
            }
        }
    });
    Some(m)
}

/// k6's own thresholds and checks, beside loadgate's (not in its verdict).
fn tool_verdicts(item: &RunJudgement) -> Option<Markup> {
    let (heading, lines) = view::tool_verdicts(&item.run)?;
    let mut m = Markup::new();
    m.el_text("p", "", &format!("{heading}."));
    m.el("ul", "items", |m| {
        for (outcome, line) in &lines {
            m.el("li", "", |m| {
                match outcome {
                    view::ToolOutcome::Held => m.el_text("span", "badge pass", "HELD"),
                    view::ToolOutcome::Crossed => m.el_text("span", "badge fail", "CROSSED"),
                    view::ToolOutcome::Unknown => m.el_text("span", "badge", "UNKNOWN"),
                };
                m.text(" ").text(line);
            });
        }
    });
    Some(m)
}

fn baseline(item: &RunJudgement) -> Option<Markup> {
    let b = item.baseline.as_ref()?;
    let c = &b.comparison;
    let mut m = Markup::new();
    m.el("p", "", |m| {
        m.status(c.verdict)
            .text(" against ")
            .el_text("code", "", &b.label)
            .text(&format!(" ({} run(s))", c.baseline_runs));
    });
    // How the runs were made differently (users, run time, the Locust version), as the table
    // and the Markdown say it.
    for d in &c.differences {
        m.el("p", "", |m| {
            m.status(d.status())
                .text(&format!(" Not alike: {}", d.message));
        });
    }
    for s in &c.shifts {
        m.el("p", "", |m| {
            m.status(s.status).text(&format!(
                " Run-wide shift of {} ({:+.0} ms, {:.1}x): {}",
                s.shift.metric, s.shift.ms, s.shift.factor, s.reason
            ));
        });
    }
    comparison_table(&mut m, c);
    let lists = [
        ("New endpoints: ", &c.new_endpoints),
        ("Vanished endpoints: ", &c.vanished_endpoints),
    ];
    for (label, names) in lists {
        if !names.is_empty() {
            m.el("p", "", |m| {
                m.text(label).text(&names.join(", "));
            });
        }
    }
    for note in &c.notes {
        m.el_text("blockquote", "", note);
    }
    Some(m)
}

fn comparison_table(m: &mut Markup, c: &Comparison) {
    let notable: Vec<&Regression> = view::notable_regressions(c).collect();
    if notable.is_empty() {
        m.el_text("p", "", "No change past the limits.");
        return;
    }
    let header = [
        "Scope", "Metric", "Baseline", "Current", "Change", "", "Why",
    ];
    m.table("regressions", &header, notable, |row, r| {
        let (base, cur, change) = view::regression_sides(r);
        row.cell("name", &r.scope.to_string())
            .cell("", &r.metric.to_string())
            .cell("num", &base)
            .cell("num", &cur)
            .cell("num", &change)
            .cell_with("", |m| {
                if r.direction == Direction::Improved {
                    m.el_text("span", "badge pass", "IMPROVED");
                } else {
                    m.status(r.status);
                }
            })
            .cell("", &r.reason);
    });
}

fn trends(item: &RunJudgement) -> Option<Markup> {
    if item.trends.is_empty() {
        return None;
    }
    let mut m = Markup::new();
    // The trends that warn or fail, each in a row; the scopes whose series held steady in a line,
    // so that fourteen passing rows do not stand before what matters.
    let (flagged, steady): (Vec<_>, Vec<_>) =
        item.trends.iter().partition(|t| t.status != Status::Pass);
    if !steady.is_empty() {
        m.el_text(
            "p",
            "",
            &format!(
                "{} of {} series held steady (no climb in latency, no fall in throughput).",
                steady.len(),
                item.trends.len()
            ),
        );
    }
    if flagged.is_empty() {
        return Some(m);
    }
    let header = [
        "Scope",
        "Metric",
        "Start",
        "End",
        "Change",
        "Per minute",
        "",
        "Why",
    ];
    m.table("trends", &header, &flagged, |row, t| {
        row.cell("name", &t.scope.to_string())
            .cell("", trend::metric_key(t.metric))
            .cell("num", &format!("{:.1}", t.start_value))
            .cell("num", &format!("{:.1}", t.end_value))
            .cell("num", &format!("{:+.1}%", t.change_pct))
            .cell("num", &format!("{:+.2}", t.slope_per_min))
            .cell_with("", |m| {
                m.status(t.status);
            })
            .cell("", &t.reason);
    });
    Some(m)
}

fn capacity(item: &RunJudgement) -> Option<Markup> {
    let c = item.capacity.as_ref().filter(|c| c.applicable)?;
    let mut m = Markup::new();
    m.el_text("p", "", &c.reason);
    let header = ["Users", "req/s", "avg ms", "p95 ms", "Errors %"];
    m.table("capacity", &header, &c.steps, |row, step| {
        let knee = if c.knee_users == Some(step.users) {
            " (knee)"
        } else {
            ""
        };
        row.cell("num", &format!("{}{knee}", step.users))
            .cell("num", &rate(step.rps))
            .cell("num", &ms(step.avg))
            .cell("num", &ms(step.p95))
            .cell("num", &percent(step.error_rate));
    });
    Some(m)
}

/// The server's rules, its key series and what was not read (`--prometheus`); the text is the
/// backend's, escaped by the markup like all text.
fn server(item: &RunJudgement) -> Option<Markup> {
    let server = item.server.as_ref()?;
    let mut m = Markup::new();
    server_markup(&mut m, &server.reading, server.comparison.as_ref());
    Some(m)
}

/// The server section of a reading (and its comparison with a baseline): a run's page and the
/// archive's page (`history --prometheus`, the newest run) show it alike.
pub(crate) fn server_markup(
    m: &mut Markup,
    reading: &ServerReading,
    comparison: Option<&ServerComparison>,
) {
    m.el("p", "", |m| {
        m.status(reading.status())
            .text(" ")
            .text(&server_view::heading(reading));
    });
    let rules = server_view::rules(reading);
    if !rules.is_empty() {
        let header = ["Server rule", "Value", "Limit", "Grade", "", "Why"];
        m.table("server-rules", &header, &rules, |row, r| {
            row.cell("name", &r.name)
                .cell("num", &r.value)
                .cell("", &r.limit)
                .cell("", &r.grade)
                .cell_with("", |m| {
                    m.status(r.status);
                })
                .cell("msg", &r.reason);
        });
    }
    let (series, more) = server_view::series(reading);
    if !series.is_empty() {
        let header = ["Series", "Labels", "Min", "Max", "Mean"];
        m.table("server-series", &header, &series, |row, s| {
            row.cell("name", &s.source)
                .cell("msg", &s.labels)
                .cell("num", &s.min)
                .cell("num", &s.max)
                .cell("num", &s.mean);
        });
        if more > 0 {
            m.el_text(
                "p",
                "muted",
                &format!("… and {more} more series (in the JSON report)."),
            );
        }
    }
    for n in server_view::notes(reading) {
        m.el("blockquote", "", |m| {
            m.status(n.status).text(" ").text(&n.text);
        });
    }
    if let Some(c) = comparison {
        server_baseline(m, c);
    }
}

/// The server's figures against the baseline's (`--prometheus` with a baseline).
fn server_baseline(m: &mut Markup, c: &ServerComparison) {
    m.el("p", "", |m| {
        m.status(c.status())
            .text(" ")
            .text(&server_view::baseline_heading(c));
    });
    let rows = server_view::baseline_rows(c);
    if !rows.is_empty() {
        let header = [
            "Server figure",
            "Baseline",
            "Now",
            "Change",
            "Noise",
            "",
            "Why",
        ];
        m.table("server-baseline", &header, &rows, |row, r| {
            row.cell("name", &r.label)
                .cell("num", &r.baseline)
                .cell("num", &r.current)
                .cell("num", &r.change)
                .cell("num", &r.noise)
                .cell_with("", |m| {
                    m.status(r.status);
                })
                .cell("msg", &r.reason);
        });
    }
    for n in server_view::baseline_notes(c) {
        m.el("blockquote", "", |m| {
            m.text(&n);
        });
    }
}

fn findings(item: &RunJudgement) -> Option<Markup> {
    if item.findings.is_empty() {
        return None;
    }
    let mut m = Markup::new();
    m.el("ul", "items", |m| {
        for f in &item.findings {
            m.el("li", "", |m| {
                m.el_text("strong", "", f.kind)
                    .text(&format!(" ({}): {}. {}", f.scope, f.evidence, f.advice));
            });
        }
    });
    Some(m)
}

fn notes(item: &RunJudgement) -> Option<Markup> {
    if item.notes.is_empty() {
        return None;
    }
    let mut m = Markup::new();
    for note in &item.notes {
        m.el_text("blockquote", "", note);
    }
    Some(m)
}

fn failures(item: &RunJudgement) -> Option<Markup> {
    let (shown, more) = view::top_failures(item);
    if shown.is_empty() {
        return None;
    }
    let mut m = Markup::new();
    let header = ["Count", "Endpoint", "Status", "Message"];
    m.table("failures", &header, shown, |row, f| {
        let r = &f.record;
        let status = r.status_code.map_or("-".to_string(), |s| s.to_string());
        let expected = if f.expected { " (expected)" } else { "" };
        row.cell("num", &r.occurrences.to_string())
            .cell("name", &r.key.to_string())
            .cell("", &format!("{status}{expected}"))
            .cell("msg", &r.message);
    });
    if more > 0 {
        m.el_text(
            "p",
            "muted",
            &format!("{more} more kind(s) of failure in the run's files."),
        );
    }
    Some(m)
}

fn scaling_body(scaling: &crate::analysis::scaling::Scaling) -> Markup {
    let mut m = Markup::new();
    m.el_text("p", "", &scaling.reason);
    let header = [
        "Users", "Run", "req/s", "per user", "p50 ms", "p95 ms", "Errors %", "",
    ];
    m.table("scaling", &header, &scaling.steps, |row, s| {
        row.cell("num", &s.users.to_string())
            .cell("name", &s.source)
            .cell("num", &rate(s.rps))
            .cell("num", &format!("{:.0}%", s.efficiency * 100.0))
            .cell("num", &ms(s.p50))
            .cell("num", &ms(s.p95))
            .cell("num", &percent(s.error_rate))
            .cell_with("", |m| {
                m.status(s.verdict);
            });
    });
    m
}
