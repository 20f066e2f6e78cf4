//! One reading of the backend for a run's window: discover what it holds, ask each preset it has
//! (per job), ask each rule's PromQL, grade the rules, and turn every failure into a note that says
//! why. A failure that means nothing else can be read (no connection, refused credentials, no answer
//! to the first call) stops the reading, and every rule says it was not read.

use std::collections::BTreeMap;

use super::client::{ApiError, Client, RawSeries};
use super::discover::{self, Intervals};
use super::presets::{escape_label_value, PRESETS};
use super::rules::{self, Graded, Rule};
use super::selector::selectors;
use super::window::{chunks, promql_duration, rfc3339, Span};
use super::{NoteKind, PresetRead, RuleResult, ServerNote, ServerReading, WindowRead};
use crate::model::{ServerSeries, Status};
use crate::profile::Gate;

/// The most series one query may return; beyond, it is not kept (a rule is not graded on part of
/// its series).
pub const MAX_SERIES: usize = 50;
/// The most jobs a preset is asked for.
pub const MAX_JOBS: usize = 20;
/// How many label values an empty-result note lists.
const LISTED_VALUES: usize = 10;

/// Reads the backend for `span` (`None`: the run has no timestamps) and grades `rules` (from the
/// profile named `profile`) under `gate`.
pub fn read(
    client: &Client,
    span: Option<Span>,
    rules: &[Rule],
    gate: &Gate,
    profile: &str,
) -> ServerReading {
    let mut reader = Reader {
        client,
        reading: ServerReading {
            source: client.display(),
            window: None,
            presets: Vec::new(),
            series: Vec::new(),
            rules: Vec::new(),
            notes: Vec::new(),
        },
        stopped: None,
    };
    match span {
        None => reader.stop(
            NoteKind::NotRead,
            "the server was not read: the run has no timestamps (give --from and --to)".into(),
        ),
        Some(span) => reader.read_span(span, rules, gate, profile),
    }
    // Rules not reached say why; none is passed on data never read.
    let done = reader.reading.rules.len();
    let why = reader.stopped.clone().unwrap_or_default();
    for rule in &rules[done..] {
        reader.reading.rules.push(unread(rule, gate, profile, &why));
    }
    reader.reading
}

struct Reader<'a> {
    client: &'a Client,
    reading: ServerReading,
    /// Why reading stopped, once it has.
    stopped: Option<String>,
}

/// Why a range query brought nothing to use.
enum Failure {
    Api(ApiError),
    TooMany(usize),
}

impl Reader<'_> {
    fn note(&mut self, kind: NoteKind, subject: Option<String>, message: String) {
        let message = self.client.redact(&message);
        let subject = subject.map(|s| self.client.redact(&s));
        self.reading.notes.push(ServerNote {
            kind,
            status: Status::Warn,
            subject,
            message,
        });
    }

    fn stop(&mut self, kind: NoteKind, message: String) {
        self.note(kind, None, message.clone());
        self.stopped = Some(self.client.redact(&message));
    }

    fn read_span(&mut self, span: Span, rules: &[Rule], gate: &Gate, profile: &str) {
        let now = chrono::Utc::now().timestamp() as f64;
        // Past now, Prometheus would repeat the last sample (its lookback) as if it were data.
        let (from, to) = span.read_span();
        let to = to.min(now);
        if to <= from {
            self.stop(
                NoteKind::Empty,
                format!(
                    "the server was not read: the window starts at {}, after now",
                    rfc3339(from)
                ),
            );
            return;
        }
        // Whether the names were listed: a backend without the label API can still answer rules.
        let (names, listed) = match discover::metric_names(self.client, from, to) {
            Ok(names) => (names, true),
            Err(e) => {
                let (kind, message) = api_note(&e);
                match e {
                    ApiError::Http { status, .. } if !matches!(status, 401 | 403 | 407) => {
                        self.note(kind, None, format!("metric names not listed: {message}"));
                        (Vec::new(), false)
                    }
                    ApiError::BadQuery { .. } | ApiError::BadAnswer(_) => {
                        self.note(kind, None, format!("metric names not listed: {message}"));
                        (Vec::new(), false)
                    }
                    _ => {
                        self.stop(kind, format!("the server was not read: {message}"));
                        return;
                    }
                }
            }
        };
        let intervals = discover::scrape_intervals(self.client, from, to);
        let retention_s = discover::retention(self.client);
        let rule_step_s = intervals.finest().max(1.0);
        self.reading.window = Some(WindowRead {
            span,
            read_from: from,
            read_to: to,
            intervals: intervals.clone(),
            rule_step_s,
            retention_s,
            metric_names: names.len(),
        });
        let beyond = retention_s.filter(|r| from < now - r);
        if let Some(retention) = beyond {
            let gone = if to < now - retention {
                "all of it is"
            } else {
                "its start is"
            };
            self.note(
                NoteKind::Retention,
                None,
                format!(
                    "the window {}..{} reaches back past the backend's retention ({}): {gone} older than {} and no longer kept",
                    rfc3339(from),
                    rfc3339(to),
                    human_seconds(retention),
                    rfc3339(now - retention)
                ),
            );
        }
        if listed && names.is_empty() {
            match beyond {
                // The retention note says why.
                Some(r) if to < now - r => {
                    self.stopped = Some("the window is older than the backend's retention".into())
                }
                _ => self.stop(
                    NoteKind::Empty,
                    format!(
                        "the backend holds no series between {} and {} (was it scraping then, and is the window within its retention?)",
                        rfc3339(from),
                        rfc3339(to)
                    ),
                ),
            }
            return;
        }
        self.read_presets(&names, &intervals, from, to);
        for rule in rules {
            if self.stopped.is_some() {
                return;
            }
            let window = (span, from, to, rule_step_s);
            let result = self.read_rule(rule, gate, profile, &names, window);
            self.reading.rules.push(result);
        }
    }

    fn read_presets(&mut self, names: &[String], intervals: &Intervals, from: f64, to: f64) {
        for preset in PRESETS.iter().filter(|p| p.available(names)) {
            if self.stopped.is_some() {
                return;
            }
            let mut jobs = match self
                .client
                .label_values("job", &[preset.needs[0]], from, to)
            {
                Ok(jobs) => jobs,
                Err(e) => {
                    self.query_failed(format!("preset {}", preset.id), &e);
                    continue;
                }
            };
            if jobs.len() > MAX_JOBS {
                self.note(
                    NoteKind::TooManySeries,
                    Some(format!("preset {}", preset.id)),
                    format!(
                        "{} jobs have {}: only the first {MAX_JOBS} were read (the cap of jobs a preset)",
                        jobs.len(),
                        preset.needs[0]
                    ),
                );
                jobs.truncate(MAX_JOBS);
            }
            for job in jobs {
                if self.stopped.is_some() {
                    return;
                }
                let interval = intervals.of(&job).max(1.0);
                let rate_window = 4.0 * intervals.of(&job);
                let query = preset.query(&job, &promql_duration(rate_window));
                let subject = format!("preset {} for job \"{}\"", preset.id, printable(&job));
                let found = match self.range(&query, from, to, interval) {
                    Ok(series) if series.is_empty() => {
                        self.note(
                            NoteKind::Empty,
                            Some(subject),
                            format!("{} returned no series in the window", printable(&query)),
                        );
                        0
                    }
                    Ok(series) => {
                        let n = series.len();
                        self.reading
                            .series
                            .extend(series.into_iter().map(|s| ServerSeries {
                                source: preset.id.to_string(),
                                query: query.clone(),
                                labels: s.labels,
                                unit: preset.unit,
                                points: s.points,
                            }));
                        n
                    }
                    Err(Failure::TooMany(n)) => {
                        self.note(
                            NoteKind::TooManySeries,
                            Some(subject),
                            format!(
                                "{} returned {n} series, over the cap of {MAX_SERIES} a query: not kept (a [[server]] rule with a narrower matcher reads what matters)",
                                printable(&query)
                            ),
                        );
                        0
                    }
                    Err(Failure::Api(e)) => {
                        self.query_failed(subject, &e);
                        0
                    }
                };
                self.reading.presets.push(PresetRead {
                    preset: preset.id,
                    title: preset.title,
                    job,
                    query,
                    unit: preset.unit,
                    step_s: interval,
                    rate_window_s: preset.template.contains("RATE").then_some(rate_window),
                    series: found,
                });
            }
        }
    }

    fn read_rule(
        &mut self,
        rule: &Rule,
        gate: &Gate,
        profile: &str,
        names: &[String],
        // The span graded, the span read and the step.
        (span, from, to, step): (Span, f64, f64, f64),
    ) -> RuleResult {
        let subject = format!("rule \"{}\" of {profile}", printable(&rule.name));
        let not_graded = |why: &str| unread(rule, gate, profile, why);
        match self.range(&rule.query, from, to, step) {
            Ok(series) if series.is_empty() => {
                let why = self.why_empty(&rule.query, names, from, to);
                self.note(
                    NoteKind::Empty,
                    Some(subject),
                    format!("{} returned no series: {why}", printable(&rule.query)),
                );
                not_graded("the query returned no series")
            }
            Ok(series) => {
                let series: Vec<ServerSeries> = series
                    .into_iter()
                    .map(|s| ServerSeries {
                        source: rule.name.clone(),
                        query: rule.query.clone(),
                        labels: s.labels,
                        unit: rule.unit,
                        points: s.points,
                    })
                    .collect();
                let graded = rules::grade(rule, gate, &series, span.from, span.to, step);
                if !graded.checked {
                    self.note(NoteKind::Empty, Some(subject), graded.reason.clone());
                }
                self.reading.series.extend(series);
                RuleResult {
                    profile: profile.to_string(),
                    rule: rule.clone(),
                    graded,
                }
            }
            Err(Failure::TooMany(n)) => {
                let why = format!(
                    "{} returned {n} series, over the cap of {MAX_SERIES} a query: not graded (aggregate it, e.g. max by (job) (…))",
                    printable(&rule.query)
                );
                self.note(NoteKind::TooManySeries, Some(subject), why.clone());
                not_graded(&why)
            }
            Err(Failure::Api(e)) => {
                let why = self.query_failed(subject, &e);
                let why = match e {
                    ApiError::BadQuery { .. } => {
                        let last = self.reading.notes.len() - 1;
                        let quoted = format!("{why}, in {}", printable(&rule.query));
                        self.reading.notes[last].message = self.client.redact(&quoted);
                        quoted
                    }
                    _ => why,
                };
                not_graded(&why)
            }
        }
    }

    /// A note for a failed query; a lost connection stops the reading. Returns the reason.
    fn query_failed(&mut self, subject: String, error: &ApiError) -> String {
        let (kind, message) = api_note(error);
        let message = self.client.redact(&message);
        if matches!(error, ApiError::Unreachable(_)) {
            self.note(kind, Some(subject), message.clone());
            self.stopped = Some(format!("the server was not read: {message}"));
        } else {
            self.note(kind, Some(subject), message.clone());
        }
        message
    }

    /// A range query in chunks, its series merged by labels; more than [`MAX_SERIES`] is a failure.
    fn range(
        &mut self,
        query: &str,
        from: f64,
        to: f64,
        step: f64,
    ) -> Result<Vec<RawSeries>, Failure> {
        let mut merged: BTreeMap<BTreeMap<String, String>, Vec<(f64, f64)>> = BTreeMap::new();
        for (start, end) in chunks(from, to, step) {
            let answer = self
                .client
                .query_range(query, start, end, step)
                .map_err(Failure::Api)?;
            for warning in answer.warnings {
                self.note(
                    NoteKind::BackendWarning,
                    None,
                    format!("the backend warned about {}: {warning}", printable(query)),
                );
            }
            for series in answer.data {
                merged
                    .entry(series.labels)
                    .or_default()
                    .extend(series.points);
            }
            if merged.len() > MAX_SERIES {
                return Err(Failure::TooMany(merged.len()));
            }
        }
        Ok(merged
            .into_iter()
            .map(|(labels, mut points)| {
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                points.dedup_by(|a, b| a.0 == b.0);
                RawSeries { labels, points }
            })
            .collect())
    }

    /// Why a query matched nothing: the metric it names is not in the window, or it is and its
    /// matchers match none of the label values that exist (listed).
    fn why_empty(&mut self, query: &str, names: &[String], from: f64, to: f64) -> String {
        let found = selectors(query);
        let Some(selector) = found.iter().find(|s| s.name.is_some()) else {
            return "the matcher matched nothing in the window".into();
        };
        let name = selector.name.clone().unwrap_or_default();
        if !names.is_empty() && !names.contains(&name) {
            return format!(
                "the backend holds no series named {name} in the window",
                name = printable(&name)
            );
        }
        let matcher = format!("{{__name__=\"{}\"}}", escape_label_value(&name));
        let mut said = vec![format!(
            "the matcher matched nothing: {} exists",
            printable(&name)
        )];
        let mut labels: Vec<String> = vec!["job".to_string()];
        for (label, _, _) in &selector.matchers {
            if !labels.contains(label) {
                labels.push(label.clone());
            }
        }
        for label in labels {
            match self.client.label_values(&label, &[&matcher], from, to) {
                Ok(values) if values.is_empty() => {
                    said.push(format!("without a {} label", printable(&label)))
                }
                Ok(values) => {
                    let shown: Vec<String> = values
                        .iter()
                        .take(LISTED_VALUES)
                        .map(|v| format!("\"{}\"", printable(v)))
                        .collect();
                    let more = if values.len() > LISTED_VALUES {
                        format!(" and {} more", values.len() - LISTED_VALUES)
                    } else {
                        String::new()
                    };
                    said.push(format!(
                        "with {} = {}{more}",
                        printable(&label),
                        shown.join(", ")
                    ));
                }
                Err(_) => {}
            }
        }
        if let Ok(all) = self.client.labels(&[&matcher], from, to) {
            let all: Vec<String> = all.iter().map(|l| printable(l)).collect();
            said.push(format!("(its labels: {})", all.join(", ")));
        }
        said.join(" ")
    }
}

/// A rule not graded: warn, with the reason.
fn unread(rule: &Rule, gate: &Gate, profile: &str, why: &str) -> RuleResult {
    RuleResult {
        profile: profile.to_string(),
        rule: rule.clone(),
        graded: Graded {
            checked: false,
            value: None,
            grade: None,
            status: Status::Warn,
            limit: rule.bands.limit_before(gate.fail),
            warn_limit: rule.bands.limit_before(gate.warn),
            series: Vec::new(),
            reason: format!("{}: not graded: {why}", rule.name),
        },
    }
}

/// The note kind and sentence for an API error.
fn api_note(error: &ApiError) -> (NoteKind, String) {
    let kind = match error {
        ApiError::Unreachable(_) => NoteKind::Unreachable,
        ApiError::Timeout(_) => NoteKind::Timeout,
        ApiError::BadQuery { .. } => NoteKind::BadQuery,
        ApiError::Http { .. } => NoteKind::Http,
        ApiError::BadAnswer(_) => NoteKind::BadAnswer,
    };
    let hint = match error {
        ApiError::Http { status: 401, .. } | ApiError::Http { status: 403, .. } => {
            " (check LOADGATE_PROMETHEUS_BEARER_TOKEN or LOADGATE_PROMETHEUS_USERNAME/_PASSWORD)"
        }
        _ => "",
    };
    let text = match error {
        ApiError::BadQuery { .. } => format!("Prometheus {error}"),
        _ => format!("the backend {error}{hint}"),
    };
    (kind, text)
}

fn printable(text: &str) -> String {
    super::client::printable(text, 300)
}

fn human_seconds(s: f64) -> String {
    if s >= 86_400.0 && s % 86_400.0 == 0.0 {
        format!("{:.0}d", s / 86_400.0)
    } else if s >= 3600.0 && s % 3600.0 == 0.0 {
        format!("{:.0}h", s / 3600.0)
    } else {
        format!("{s:.0}s")
    }
}
