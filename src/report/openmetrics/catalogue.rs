//! The metric catalogue: every family loadgate writes, with its kind, unit and help. Every name
//! and label is listed in `docs/metrics.md` (a test holds the two together through [`ALL`]).
//!
//! Conventions: `loadgate_` prefix, base units (seconds, ratios of 1), `_total` on counters.
//! Statuses are numbers (0 pass, 1 warn, 2 fail) so a panel can threshold and `max()` them; grades
//! are 0 excellent … 4 critical.

/// What prometheus does with a family's samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    /// Its samples end in `_total`; the family name does not.
    Counter,
    /// A constant 1 whose labels are the information (`_info`).
    Info,
}

/// A family's fixed parts: its name (without `_total`/`_info`), kind, unit and help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub name: &'static str,
    pub kind: Kind,
    pub unit: Option<&'static str>,
    pub help: &'static str,
}

impl Spec {
    /// The name every sample carries.
    pub fn sample_name(&self) -> String {
        match self.kind {
            Kind::Gauge => self.name.to_string(),
            Kind::Counter => format!("{}_total", self.name),
            Kind::Info => format!("{}_info", self.name),
        }
    }
}

const fn gauge(name: &'static str, unit: Option<&'static str>, help: &'static str) -> Spec {
    Spec {
        name,
        kind: Kind::Gauge,
        unit,
        help,
    }
}

const fn counter(name: &'static str, help: &'static str) -> Spec {
    Spec {
        name,
        kind: Kind::Counter,
        unit: None,
        help,
    }
}

pub const RUN: Spec = Spec {
    name: "loadgate_run",
    kind: Kind::Info,
    unit: None,
    help: "A judged run: its command, profile, file format and peak users as labels.",
};
pub const VERDICT: Spec = gauge(
    "loadgate_verdict",
    None,
    "The run's verdict: 0 pass, 1 warn, 2 fail (fail is exit 1).",
);
pub const REQUESTS: Spec = counter("loadgate_requests", "Requests made during the run.");
pub const FAILURES: Spec = counter(
    "loadgate_failures",
    "Failed requests during the run, expected ones included.",
);
pub const ERROR_RATIO: Spec = gauge(
    "loadgate_error_ratio",
    Some("ratio"),
    "Unexpected failures as a fraction of requests (the graded error rate).",
);
pub const THROUGHPUT: Spec = gauge(
    "loadgate_throughput_requests_per_second",
    Some("requests_per_second"),
    "Requests per second over the run.",
);
pub const RESPONSE_TIME: Spec = gauge(
    "loadgate_response_time_seconds",
    Some("seconds"),
    "Response time percentile over the run (label percentile: 50, 90, 95, 99).",
);
pub const RESPONSE_TIME_AVG: Spec = gauge(
    "loadgate_response_time_average_seconds",
    Some("seconds"),
    "Mean response time over the run.",
);
pub const RESPONSE_TIME_MAX: Spec = gauge(
    "loadgate_response_time_max_seconds",
    Some("seconds"),
    "Slowest response of the run.",
);
pub const START: Spec = gauge(
    "loadgate_run_start_timestamp_seconds",
    Some("seconds"),
    "Unix time of the run's first history row.",
);
pub const DURATION: Spec = gauge(
    "loadgate_run_duration_seconds",
    Some("seconds"),
    "Time span the run's history covers.",
);
pub const USERS: Spec = gauge(
    "loadgate_run_users",
    None,
    "Peak concurrent users of the run.",
);
pub const CHECK_STATUS: Spec = gauge(
    "loadgate_check_status",
    None,
    "A check's status: 0 pass, 1 warn, 2 fail.",
);
pub const CHECK_GRADE: Spec = gauge(
    "loadgate_check_grade",
    None,
    "A check's grade: 0 excellent, 1 good, 2 acceptable, 3 poor, 4 critical.",
);
pub const CHECK_VALUE: Spec = gauge(
    "loadgate_check_value",
    None,
    "The checked figure in its base unit (seconds, ratio, requests per second, requests).",
);
pub const CHECK_LIMIT: Spec = gauge(
    "loadgate_check_limit",
    None,
    "The worst value that does not fail the check, in the figure's base unit.",
);
pub const CHECK_WARN_LIMIT: Spec = gauge(
    "loadgate_check_warn_limit",
    None,
    "The worst value that does not warn, in the figure's base unit.",
);
pub const REGRESSION_CHANGE: Spec = gauge(
    "loadgate_regression_change_ratio",
    Some("ratio"),
    "Relative change against the baseline, (current - baseline) / baseline.",
);
pub const REGRESSION_STATUS: Spec = gauge(
    "loadgate_regression_status",
    None,
    "A comparison with the baseline: 0 pass, 1 warn, 2 fail.",
);
pub const TREND_BREAK: Spec = gauge(
    "loadgate_trend_break",
    None,
    "1 for each metric on which a run of an archive broke the trend.",
);
pub const HISTORY_RESPONSE_TIME: Spec = gauge(
    "loadgate_history_response_time_seconds",
    Some("seconds"),
    "Response time percentile of one history row (label percentile: 50, 95, 99).",
);
pub const HISTORY_USERS: Spec = gauge(
    "loadgate_history_users",
    None,
    "Concurrent users at one history row.",
);
pub const HISTORY_REQUESTS: Spec = counter(
    "loadgate_history_requests",
    "Requests made up to one history row.",
);
pub const HISTORY_FAILURES: Spec = counter(
    "loadgate_history_failures",
    "Failures up to one history row.",
);

pub const AB_INFO: Spec = Spec {
    name: "loadgate_ab",
    kind: Kind::Info,
    unit: None,
    help: "An A/B run (`loadgate ab`): the two targets' URLs as labels a and b.",
};
pub const AB_VERDICT: Spec = gauge(
    "loadgate_ab_verdict",
    None,
    "The A/B comparison's verdict (B against A): 0 pass, 1 warn, 2 fail.",
);
pub const AB_PAIRS: Spec = counter(
    "loadgate_ab_pairs",
    "Complete request pairs (one request to A, one to B) of a scope.",
);
pub const AB_VALUE: Spec = gauge(
    "loadgate_ab_value",
    None,
    "A figure on one side (label side: a or b) from the pairs, in its base unit (seconds, ratio).",
);
pub const AB_CHANGE: Spec = gauge(
    "loadgate_ab_change_ratio",
    Some("ratio"),
    "B against A: latency B/A - 1, error rate B - A.",
);
pub const AB_CHANGE_BOUND: Spec = gauge(
    "loadgate_ab_change_bound_ratio",
    Some("ratio"),
    "A bound of the change's bootstrap interval (label bound: lower or upper).",
);
pub const AB_LIMIT: Spec = gauge(
    "loadgate_ab_limit_ratio",
    Some("ratio"),
    "The profile's regression limit on the change.",
);
pub const AB_STATUS: Spec = gauge(
    "loadgate_ab_status",
    None,
    "A figure's A/B status: 0 pass, 1 warn, 2 fail.",
);
pub const AB_CONFIDENCE: Spec = gauge(
    "loadgate_ab_confidence_ratio",
    Some("ratio"),
    "The confidence of the A/B intervals.",
);

pub const SERVER_RULE_VALUE: Spec = gauge(
    "loadgate_server_rule_value",
    None,
    "A [[server]] rule's value over the run's window, in the rule's unit (the `unit` label).",
);
pub const SERVER_RULE_LIMIT: Spec = gauge(
    "loadgate_server_rule_limit",
    None,
    "A [[server]] rule's limit: the worst value that does not fail, in the rule's unit.",
);
pub const SERVER_RULE_STATUS: Spec = gauge(
    "loadgate_server_rule_status",
    None,
    "A [[server]] rule's status: 0 pass, 1 warn, 2 fail (1 when its data was not read).",
);
pub const SERVER_NOT_READ: Spec = gauge(
    "loadgate_server_not_read",
    None,
    "How many things could not be read from the metrics backend for the run (each a warning).",
);
pub const SERVER_FIGURE_CHANGE: Spec = gauge(
    "loadgate_server_figure_change",
    None,
    "A server figure's change from the baseline, in the figure's unit (the `unit` label).",
);
pub const SERVER_FIGURE_STATUS: Spec = gauge(
    "loadgate_server_figure_status",
    None,
    "A server figure against the baseline: 0 pass, 1 warn, 2 fail.",
);

/// Every family the exporter can write, for the documentation test.
pub const ALL: [Spec; 39] = [
    RUN,
    VERDICT,
    REQUESTS,
    FAILURES,
    ERROR_RATIO,
    THROUGHPUT,
    RESPONSE_TIME,
    RESPONSE_TIME_AVG,
    RESPONSE_TIME_MAX,
    START,
    DURATION,
    USERS,
    CHECK_STATUS,
    CHECK_GRADE,
    CHECK_VALUE,
    CHECK_LIMIT,
    CHECK_WARN_LIMIT,
    REGRESSION_CHANGE,
    REGRESSION_STATUS,
    TREND_BREAK,
    HISTORY_RESPONSE_TIME,
    HISTORY_USERS,
    HISTORY_REQUESTS,
    HISTORY_FAILURES,
    AB_INFO,
    AB_VERDICT,
    AB_PAIRS,
    AB_VALUE,
    AB_CHANGE,
    AB_CHANGE_BOUND,
    AB_LIMIT,
    AB_STATUS,
    AB_CONFIDENCE,
    SERVER_RULE_VALUE,
    SERVER_RULE_LIMIT,
    SERVER_RULE_STATUS,
    SERVER_NOT_READ,
    SERVER_FIGURE_CHANGE,
    SERVER_FIGURE_STATUS,
];
