//! The page for `loadgate history --html FILE`: the verdict, a row per run in the order the runs
//! happened with the metrics that broke the trend marked, why each broke it, the notes, and the
//! archive's chart.

use super::page::{Markup, Page, Section};
use crate::report::history::{whole_ms, HistoryReport};
use crate::report::units::{percent, rate};

/// The archive's page, with its chart (`charts`: as (file name, PNG)).
pub fn page(report: &HistoryReport, charts: &[(String, Vec<u8>)]) -> Page {
    let broke: std::collections::BTreeSet<usize> = report.breaks.iter().map(|b| b.run).collect();
    let mut summary = Markup::new();
    summary.text(&format!(
        "{} runs, {} broke the trend{}",
        report.runs.len(),
        broke.len(),
        if report.verdict == crate::model::Status::Fail {
            " (the newest run broke the trend)"
        } else {
            ""
        }
    ));
    let mut page = Page::new("history", report.verdict, summary);
    // The chart first: a trend is seen before it is read.
    let mut m = Markup::new();
    m.el("div", "charts", |m| {
        for (_, png) in charts {
            m.figure("Response times and throughput per run", png);
        }
    });
    page.push(Section::new("charts", "Chart", m));
    page.push(Section::new("runs", "Runs, oldest first", runs(report)));
    if !report.breaks.is_empty() {
        let mut m = Markup::new();
        m.el("ul", "items", |m| {
            for b in &report.breaks {
                m.el("li", "", |m| {
                    m.text(&format!("Run {} (", b.run + 1))
                        .el_text("code", "", &b.source)
                        .text(&format!("): {}", b.reason));
                });
            }
        });
        page.push(Section::new("breaks", "Runs that broke the trend", m));
    }
    if !report.notes.is_empty() {
        let mut m = Markup::new();
        for note in &report.notes {
            m.el_text("blockquote", "", note);
        }
        page.push(Section::new("notes", "Notes", m));
    }
    if let Some((run, reading)) = &report.server {
        let mut m = Markup::new();
        m.el("p", "", |m| {
            m.text("The newest run, ")
                .el_text("code", "", run)
                .text(":");
        });
        crate::report::html::server_markup(&mut m, reading, None);
        page.push(Section::new("server", "Server", m));
    }
    page
}

fn runs(report: &HistoryReport) -> Markup {
    let mut m = Markup::new();
    let header = [
        "#",
        "Run",
        "Started (UTC)",
        "Users",
        "Requests",
        "req/s",
        "Errors %",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "Broke the trend",
    ];
    let ms = whole_ms;
    m.table(
        "archive",
        &header,
        report.runs.iter().enumerate(),
        |row, (i, run)| {
            let started = report.started_label(i);
            let flags = report.broke(i);
            row.cell("num", &(i + 1).to_string())
                .cell("name", &run.source)
                .cell("when", &started)
                .cell(
                    "num",
                    &run.peak_users.map_or("-".to_string(), |u| u.to_string()),
                )
                .cell("num", &run.requests.to_string())
                .cell("num", &rate(run.rps))
                .cell("num", &percent(run.error_rate))
                .cell("num", &ms(run.p50))
                .cell("num", &ms(run.p95))
                .cell("num", &ms(run.p99))
                .cell_with("", |m| {
                    if !flags.is_empty() {
                        m.el_text("span", "badge fail", &flags.join(", "));
                    }
                });
        },
    );
    m
}
