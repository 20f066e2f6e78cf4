//! `loadgate baseline save|list|show|delete`: the baseline store.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;

use crate::analysis::server_baseline::{server_figures, ServerFigures};
use crate::analysis::summary::ScopeSummary;
use crate::analysis::{judge, Baseline};
use crate::baseline::{KeptRun, RunSummary, Store};
use crate::commands::server::read_for_baseline;
use crate::config::{Flags, Settings};
use crate::ingest::load_run;
use crate::machine::Machine;
use crate::model::{Run, Status};
use crate::profile::Profile;
use crate::report::{print, print_text};
use crate::server::source::SourcePlan;
use crate::server::ServerReading;

/// What `baseline` was asked to do.
#[derive(Debug, Clone)]
pub enum BaselinePlan {
    Save {
        run: PathBuf,
        name: String,
        keep: Option<usize>,
        store: Option<PathBuf>,
        /// Save only when the run passes the gate (and the stored baseline).
        if_pass: bool,
        /// The profile `--if-pass` judges with; `None`: the project config's, else `default`.
        profile: Option<String>,
        /// `--locust-version`: for a run whose files do not name it.
        locust_version: Option<String>,
        /// Where the server's metrics for the run's window are read (`--prometheus`), to keep its
        /// figures with the run.
        server: SourcePlan,
    },
    List {
        store: Option<PathBuf>,
    },
    Show {
        name: String,
        store: Option<PathBuf>,
        /// The stored JSON as it is, instead of the summary for people.
        json: bool,
    },
    Delete {
        name: String,
        store: Option<PathBuf>,
    },
}

/// The store (and, for `save --if-pass`, the profile) from the flags over the project config,
/// as `check` resolves them; the config's note goes first in what is printed.
fn settings(store: &Option<PathBuf>, profile: Option<&String>) -> Result<Settings> {
    Settings::here(&Flags {
        store: store.clone(),
        profile: profile.cloned(),
        ..Flags::default()
    })
}

pub fn run(plan: &BaselinePlan) -> Result<()> {
    let mut out = String::new();
    match plan {
        BaselinePlan::Save {
            run: given,
            name,
            keep,
            store,
            if_pass,
            profile,
            locust_version,
            server,
        } => {
            let settings = settings(store, profile.as_ref())?;
            if let Some(note) = &settings.note {
                writeln!(out, "{note}")?;
            }
            let store = Store::open(settings.store.value.as_deref());
            let mut run = load_run(given)?;
            crate::ingest::given_locust_version(&mut run, locust_version.as_deref());
            if *if_pass {
                if let Some(why) = gate_failure(&run, settings.profile()?, &store, name)? {
                    writeln!(
                        out,
                        "not saved: {} failed the gate ({why}); baseline '{name}' is unchanged",
                        given.display()
                    )?;
                    return print_text(&out);
                }
            }
            // Where the run was made (its record), else where it is saved: the same runner in CI.
            let summary = RunSummary::from_run(&run);
            let summary = RunSummary {
                machine: summary.machine.clone().or_else(|| Some(Machine::this())),
                ..summary
            };
            let runner = run.info.evidence.runner.as_ref();
            let (profile, profile_source) = settings.profile()?;
            let reading = read_for_baseline(&run, server, &profile, &profile_source)?;
            let figures = reading
                .as_ref()
                .and_then(|r| server_figures(r, run.aggregated.requests));
            if let Some(reading) = &reading {
                writeln!(out, "{}", kept_server_line(reading, figures.as_ref()))?;
            }
            let kept = KeptRun {
                summary,
                runner: runner.and_then(|r| r.record.summary.clone()),
                server: figures,
            };
            let baseline = store.save(name, kept, *keep)?;
            writeln!(
                out,
                "saved {} as baseline '{}' in {} ({} of {} kept run{})",
                // The path as given (`x.json`, a prefix, a directory), not the prefix made of it.
                given.display(),
                name,
                store.dir().display(),
                baseline.runs.len(),
                baseline.keep,
                if baseline.keep == 1 { "" } else { "s" }
            )?;
        }
        BaselinePlan::List { store } => {
            let store = Store::open(settings(store, None)?.store.value.as_deref());
            let names = store.list()?;
            if names.is_empty() {
                writeln!(out, "no baselines in {}", store.dir().display())?;
            }
            for name in names {
                match store.load(&name) {
                    Ok(b) => {
                        let last = b
                            .runs
                            .last()
                            .map_or(String::new(), |r| r.summary.source.clone());
                        writeln!(
                            out,
                            "{name}  {} run(s), keep {}, updated {}, last from {last}",
                            b.runs.len(),
                            b.keep,
                            b.updated_at
                        )?;
                    }
                    Err(err) => writeln!(out, "{name}  unreadable: {err:#}")?,
                }
            }
        }
        BaselinePlan::Show { name, store, json } => {
            let baseline = Store::open(settings(store, None)?.store.value.as_deref()).load(name)?;
            if *json {
                out = serde_json::to_string_pretty(&baseline)?;
                out.push('\n');
                // JSON, escaped by its writer: printed as it is.
                return print(out.as_bytes());
            }
            // For people: names from the files go through print_text's escaping below.
            out = describe(&baseline);
        }
        BaselinePlan::Delete { name, store } => {
            Store::open(settings(store, None)?.store.value.as_deref()).delete(name)?;
            writeln!(out, "deleted baseline '{name}'")?;
        }
    }
    print_text(&out)
}

/// What was kept of the server, and what could not be read.
fn kept_server_line(reading: &ServerReading, figures: Option<&ServerFigures>) -> String {
    let mut line = match figures {
        Some(f) => format!(
            "server: {} figure(s) from {} kept with the run",
            f.figures.len(),
            reading.source
        ),
        None => format!(
            "server: nothing kept from {}: the run has no timestamps to read its window by",
            reading.source
        ),
    };
    if let Some(first) = reading.notes.first() {
        line.push_str(&format!(
            "; {} thing(s) not read, first: {}{}",
            reading.notes.len(),
            first
                .subject
                .as_ref()
                .map_or(String::new(), |s| format!("{s}: ")),
            first.message
        ));
    }
    line
}

/// Why `run` fails the gate of `profile` against the baseline stored under `name` (when there is
/// one), or `None` when it passes (warnings pass, as they do for `check`).
fn gate_failure(
    run: &Run,
    (profile, _): (Profile, String),
    store: &Store,
    name: &str,
) -> Result<Option<String>> {
    let baseline = if store.path_of(name)?.exists() {
        let stored = store.load(name)?;
        let server = stored.server_figures();
        let (runs, runners) = stored.into_parts();
        Some(Baseline {
            label: name.to_string(),
            runs,
            runners,
            checked_on: Some(Machine::this()),
            server,
        })
    } else {
        None
    };
    let judged = judge(run.clone(), &profile, baseline.as_ref());
    if judged.verdict != Status::Fail {
        return Ok(None);
    }
    let failed_checks = judged.failed_checks().count();
    let failed_regressions = judged.baseline.as_ref().map_or(0, |b| {
        b.comparison
            .regressions
            .iter()
            .filter(|r| r.status == Status::Fail)
            .count()
            + b.comparison
                .shifts
                .iter()
                .filter(|s| s.status == Status::Fail)
                .count()
    });
    let failed_trends = judged
        .trends
        .iter()
        .filter(|t| t.status == Status::Fail)
        .count();
    Ok(Some(format!(
        "profile {}: {failed_checks} checks, {failed_regressions} regressions against '{name}', {failed_trends} trends failed",
        profile.name
    )))
}

/// A stored baseline for people: what it holds, each kept run in a line, and the newest run's
/// figures per endpoint (`--format json` prints the file itself).
fn describe(b: &crate::baseline::Baseline) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "baseline '{}': {} of {} kept run{}, updated {}, written by loadgate {}",
        b.name,
        b.runs.len(),
        b.keep,
        if b.keep == 1 { "" } else { "s" },
        b.updated_at,
        b.loadgate_version
    );
    let _ = writeln!(out, "\nkept runs, oldest first:");
    for (i, r) in b.runs.iter().enumerate() {
        let s = &r.summary;
        let started = s
            .started_at
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map_or("start unknown".to_string(), |t| {
                t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
            });
        let duration = s
            .duration_s
            .map_or("duration unknown".to_string(), |d| format!("{d:.0} s"));
        let users = s
            .peak_users
            .map_or("users unknown".to_string(), |u| format!("{u} users"));
        let machine = s.machine.as_ref().map_or(String::new(), |m| {
            format!(", on {} core(s) {}", m.cores, m.cpu)
        });
        let server = r.server.as_ref().map_or(String::new(), |f| {
            format!(", {} server figure(s) from {}", f.figures.len(), f.source)
        });
        let _ = writeln!(
            out,
            "  {}. {} ({}): {started}, {duration}, {users}, {} requests, {} failures{machine}{server}",
            i + 1,
            s.source,
            s.format,
            s.aggregated.requests,
            s.aggregated.failures,
        );
    }
    if let Some(last) = b.runs.last() {
        let _ = writeln!(out, "\nthe newest run (ms):");
        let mut rows = vec![[
            "endpoint".to_string(),
            "requests".into(),
            "failures".into(),
            "req/s".into(),
            "p50".into(),
            "p95".into(),
            "p99".into(),
        ]];
        let row = |s: &ScopeSummary, label: String| {
            let ms = |v: Option<f64>| v.map_or("N/A".to_string(), |v| format!("{v:.0}"));
            [
                label,
                s.requests.to_string(),
                s.failures.to_string(),
                format!("{:.1}", s.rps),
                ms(s.p(0)),
                ms(s.p(5)),
                ms(s.p(7)),
            ]
        };
        for e in &last.summary.endpoints {
            rows.push(row(e, e.label()));
        }
        rows.push(row(&last.summary.aggregated, "Aggregated".into()));
        let widths: Vec<usize> = (0..7)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        for r in &rows {
            let mut line = format!("  {:<w$}", r[0], w = widths[0]);
            for c in 1..7 {
                let _ = write!(line, "  {:>w$}", r[c], w = widths[c]);
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    let _ = writeln!(out, "\n(`--format json` prints the stored file)");
    out
}
