//! Whether a run and its baseline were made alike, before their figures are compared: the users,
//! the run time, the ramp to peak users, the host, the locustfile and the Locust version. What a
//! file does not say is not compared (CSV runs carry users and times through the history only;
//! only the HTML report names the host and the locustfile; only the console log, or
//! `--locust-version`, the Locust version).
//! A difference is a note; users or run time off by more than the profile's
//! `regression.comparability_factor` is a warning that says which side differs.

use serde::Serialize;

use crate::analysis::summary::RunSummary;
use crate::model::Status;

/// Run times within this ratio of each other are the same run time: Locust's history spans a
/// second or two less than `--run-time`, and a stop takes a moment.
const SAME_RUN_TIME: f64 = 1.25;
/// Ramps (seconds to peak users) that differ by less than this are the same ramp.
const SAME_RAMP_S: f64 = 3.0;

/// How much a difference matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Note,
    Warning,
}

/// One way the runs differ.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// `users`, `run_time`, `ramp`, `host`, `locustfile` or `locust_version`.
    pub field: &'static str,
    pub baseline: String,
    pub current: String,
    pub level: Level,
    pub message: String,
}

impl Difference {
    /// What the difference does to the verdict: a warning warns, a note nothing.
    pub fn status(&self) -> Status {
        match self.level {
            Level::Note => Status::Pass,
            Level::Warning => Status::Warn,
        }
    }
}

/// The ways `current` differs from the newest baseline run, `latest`.
pub fn differences(latest: &RunSummary, current: &RunSummary, factor: f64) -> Vec<Difference> {
    let mut out = Vec::new();
    if let (Some(b), Some(c)) = (latest.peak_users, current.peak_users) {
        out.extend(scale("users", b as f64, c as f64, 1.0, factor, |v| {
            format!("{v:.0} users")
        }));
    }
    if let (Some(b), Some(c)) = (latest.duration_s, current.duration_s) {
        out.extend(scale("run_time", b, c, SAME_RUN_TIME, factor, |v| {
            format!("{v:.0} s")
        }));
    }
    if let (Some(b), Some(c)) = (latest.ramp_s, current.ramp_s) {
        if (b - c).abs() >= SAME_RAMP_S {
            out.push(Difference {
                field: "ramp",
                baseline: format!("{b:.0} s"),
                current: format!("{c:.0} s"),
                level: Level::Note,
                message: format!(
                    "the ramp to peak users took {c:.0} s in this run and {b:.0} s in the baseline: another spawn rate loads the system differently while it warms up"
                ),
            });
        }
    }
    for (field, b, c) in [
        ("host", &latest.host, &current.host),
        ("locustfile", &latest.locustfile, &current.locustfile),
    ] {
        if let (Some(b), Some(c)) = (b, c) {
            if b != c {
                out.push(Difference {
                    field,
                    baseline: b.clone(),
                    current: c.clone(),
                    level: Level::Note,
                    message: format!("the {field} differs: this run {c:?}, the baseline {b:?}"),
                });
            }
        }
    }
    out.extend(locust_version(latest, current));
    out
}

/// A note when one side's Locust predates 2.46.2's percentile fix and the other's does not: the
/// older side's percentiles counted requests without a response time and read lower.
fn locust_version(latest: &RunSummary, current: &RunSummary) -> Option<Difference> {
    let (b, c) = (
        latest.locust_version.as_ref()?,
        current.locust_version.as_ref()?,
    );
    if !crate::model::straddles_percentile_fix(Some(b), Some(c)) {
        return None;
    }
    let older = if crate::model::LocustVersion::parse(b).is_some_and(|v| v.has_percentile_fix()) {
        "this run's"
    } else {
        "the baseline's"
    };
    Some(Difference {
        field: "locust_version",
        baseline: b.clone(),
        current: c.clone(),
        level: Level::Note,
        message: format!(
            "Locust {c} wrote this run and Locust {b} the baseline: Locust 2.46.2 changed how percentiles are computed (requests without a response time no longer count), so {older} percentiles may read lower than the code was"
        ),
    })
}

/// A figure compared by ratio: alike within `same`, a note up to `factor`, a warning beyond it.
fn scale(
    field: &'static str,
    baseline: f64,
    current: f64,
    same: f64,
    factor: f64,
    show: impl Fn(f64) -> String,
) -> Option<Difference> {
    if baseline <= 0.0 || current <= 0.0 {
        return None;
    }
    let ratio = (current / baseline).max(baseline / current);
    if ratio <= same {
        return None;
    }
    let side = if current > baseline {
        "this run has more"
    } else {
        "the baseline has more"
    };
    let level = if ratio > factor {
        Level::Warning
    } else {
        Level::Note
    };
    let (what, consequence) = match field {
        "run_time" => ("run time", ""),
        // Throughput follows the users: `regression` does not compare it across user counts.
        _ => (field, "; throughput is not compared"),
    };
    let message = match level {
        Level::Warning => format!(
            "{what} differ by {ratio:.1}x, more than the profile's comparability factor {factor}: {side} ({} now, {} in the baseline){consequence}. The runs are not alike; read the comparison with care or save a baseline made the same way",
            show(current),
            show(baseline)
        ),
        Level::Note => format!(
            "{what} differ by {ratio:.1}x: {side} ({} now, {} in the baseline){consequence}",
            show(current),
            show(baseline)
        ),
    };
    Some(Difference {
        field,
        baseline: show(baseline),
        current: show(current),
        level,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::summary::ScopeSummary;

    fn summary(users: Option<u64>, duration: Option<f64>) -> RunSummary {
        let scope = ScopeSummary {
            method: String::new(),
            name: "Aggregated".into(),
            requests: 100,
            failures: 0,
            rps: 10.0,
            avg: Some(10.0),
            max: Some(20.0),
            percentiles: vec![None; 11],
            min: Some(1.0),
            intervals: None,
            histogram: None,
        };
        RunSummary {
            source: "r".into(),
            format: "locust".into(),
            started_at: None,
            duration_s: duration,
            peak_users: users,
            aggregated: scope,
            endpoints: Vec::new(),
            machine: None,
            host: None,
            locustfile: None,
            ramp_s: None,
            signatures: None,
            locust_version: None,
            generator_warning: None,
        }
    }

    fn levels(base: &RunSummary, cur: &RunSummary) -> Vec<(&'static str, Level)> {
        differences(base, cur, 2.0)
            .into_iter()
            .map(|d| (d.field, d.level))
            .collect()
    }

    #[test]
    fn locust_versions_on_both_sides_of_the_percentile_fix_are_a_note() {
        let with = |v: Option<&str>| RunSummary {
            locust_version: v.map(str::to_string),
            generator_warning: None,
            ..summary(None, None)
        };
        let found = differences(&with(Some("2.15.1")), &with(Some("2.47.0")), 2.0);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].field, found[0].level),
            ("locust_version", Level::Note)
        );
        assert!(
            found[0]
                .message
                .contains("the baseline's percentiles may read lower"),
            "{}",
            found[0].message
        );
        let back = differences(&with(Some("2.47.0")), &with(Some("1.6.0")), 2.0);
        assert!(back[0].message.contains("this run's percentiles"));
        // Same side of the fix, or one side unknown: nothing to say.
        assert!(levels(&with(Some("2.46.2")), &with(Some("2.47.0"))).is_empty());
        assert!(levels(&with(None), &with(Some("2.47.0"))).is_empty());
    }

    #[test]
    fn users_off_by_more_than_the_factor_warn_and_say_which_side() {
        let base = summary(Some(10), None);
        assert_eq!(levels(&base, &summary(Some(10), None)), vec![]);
        assert_eq!(
            levels(&base, &summary(Some(20), None)),
            vec![("users", Level::Note)],
            "exactly 2x is within the factor"
        );
        assert_eq!(
            levels(&base, &summary(Some(21), None)),
            vec![("users", Level::Warning)]
        );
        let fewer = differences(&base, &summary(Some(4), None), 2.0);
        assert_eq!(fewer[0].level, Level::Warning);
        assert!(
            fewer[0]
                .message
                .contains("the baseline has more (4 users now, 10 users in the baseline)"),
            "{}",
            fewer[0].message
        );
        assert_eq!(fewer[0].status(), Status::Warn);
    }

    #[test]
    fn run_times_within_a_quarter_are_alike() {
        let base = summary(None, Some(60.0));
        assert_eq!(levels(&base, &summary(None, Some(75.0))), vec![]);
        assert_eq!(
            levels(&base, &summary(None, Some(76.0))),
            vec![("run_time", Level::Note)]
        );
        assert_eq!(
            levels(&base, &summary(None, Some(120.0))),
            vec![("run_time", Level::Note)]
        );
        let longer = differences(&base, &summary(None, Some(121.0)), 2.0);
        assert_eq!(longer[0].level, Level::Warning);
        assert!(longer[0].message.contains("this run has more"));
    }

    #[test]
    fn host_locustfile_and_ramp_are_notes_and_unknown_sides_are_not_compared() {
        let mut base = summary(None, None);
        let mut cur = summary(None, None);
        base.host = Some("http://a".into());
        assert_eq!(levels(&base, &cur), vec![], "the current run names no host");
        cur.host = Some("http://b".into());
        base.locustfile = Some("a.py".into());
        cur.locustfile = Some("a.py".into());
        base.ramp_s = Some(10.0);
        cur.ramp_s = Some(7.5);
        assert_eq!(levels(&base, &cur), vec![("host", Level::Note)]);
        cur.ramp_s = Some(7.0);
        assert_eq!(
            levels(&base, &cur),
            vec![("ramp", Level::Note), ("host", Level::Note)]
        );
        assert!(differences(&base, &cur, 2.0)
            .iter()
            .all(|d| d.status() == Status::Pass));
    }
}
