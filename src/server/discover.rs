//! What the backend holds and how often it scrapes: the metric names in the window, each job's
//! scrape interval (from Prometheus' own configuration, else measured from the raw samples of `up`,
//! which every backend keeps, else Prometheus' default), and how far back its storage reaches.

use std::collections::BTreeMap;

use serde::Serialize;

use super::client::{ApiError, Client};
use super::window::parse_prometheus_duration;

/// Prometheus' default scrape interval and retention.
pub const DEFAULT_SCRAPE_S: f64 = 15.0;
pub const DEFAULT_RETENTION_S: f64 = 15.0 * 86_400.0;

/// Where the scrape intervals came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalSource {
    /// `/api/v1/status/config`.
    Config,
    /// The spacing of `up`'s raw samples.
    Samples,
    /// Neither answered: Prometheus' default.
    Assumed,
}

impl IntervalSource {
    pub fn describe(self) -> &'static str {
        match self {
            IntervalSource::Config => "the backend's configuration",
            IntervalSource::Samples => "the spacing of up's samples",
            IntervalSource::Assumed => "assumed: Prometheus' default",
        }
    }
}

/// Each job's scrape interval, and the one for jobs not listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Intervals {
    pub default_s: f64,
    pub jobs: BTreeMap<String, f64>,
    pub source: IntervalSource,
}

impl Intervals {
    pub fn of(&self, job: &str) -> f64 {
        self.jobs.get(job).copied().unwrap_or(self.default_s)
    }

    /// The finest interval of any job: the step for a rule's query, whose jobs are not known
    /// before it answers (a finer step than a job's scrapes only repeats its samples).
    pub fn finest(&self) -> f64 {
        self.jobs.values().copied().fold(self.default_s, f64::min)
    }
}

/// The metric names with samples between `from` and `to`.
pub fn metric_names(client: &Client, from: f64, to: f64) -> Result<Vec<String>, ApiError> {
    client.label_values("__name__", &[], from, to)
}

/// The scrape intervals, read as well as the backend allows. `up_at` is the end of the window:
/// `up`'s raw samples of the ten minutes before it are measured when the config cannot be read.
pub fn scrape_intervals(client: &Client, from: f64, up_at: f64) -> Intervals {
    if let Ok(yaml) = client.config_yaml() {
        if let Some(intervals) = intervals_from_config(&yaml) {
            return intervals;
        }
    }
    let range = (up_at - from).clamp(60.0, 600.0);
    if let Ok(answer) = client.query(&format!("up[{}s]", range.ceil()), up_at) {
        let mut gaps: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for series in answer.data {
            let job = series.labels.get("job").cloned().unwrap_or_default();
            let entry = gaps.entry(job).or_default();
            entry.extend(series.points.windows(2).map(|w| w[1].0 - w[0].0));
        }
        let jobs: BTreeMap<String, f64> = gaps
            .into_iter()
            .filter_map(|(job, mut g)| {
                g.retain(|d| *d > 0.0);
                if g.is_empty() {
                    return None;
                }
                g.sort_by(f64::total_cmp);
                // To the millisecond: samples carry scrape-time jitter.
                Some((job, (g[g.len() / 2] * 1000.0).round() / 1000.0))
            })
            .collect();
        if !jobs.is_empty() {
            let coarsest = jobs.values().copied().fold(0.0, f64::max);
            return Intervals {
                default_s: coarsest,
                jobs,
                source: IntervalSource::Samples,
            };
        }
    }
    Intervals {
        default_s: DEFAULT_SCRAPE_S,
        jobs: BTreeMap::new(),
        source: IntervalSource::Assumed,
    }
}

/// The global and per-job `scrape_interval` of a Prometheus configuration as `/api/v1/status/config`
/// returns it (every job's interval filled in). A scanner of that one layout, not a YAML parser.
pub fn intervals_from_config(yaml: &str) -> Option<Intervals> {
    let mut section = String::new();
    let mut job: Option<String> = None;
    let mut global = None;
    let mut jobs = BTreeMap::new();
    let value = |line: &str| {
        let (_, v) = line.split_once(':')?;
        Some(v.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
    };
    for line in yaml.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let top = !line.starts_with([' ', '\t', '-']);
        if top {
            section = line
                .split(':')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            job = None;
            continue;
        }
        let indent = line.len() - line.trim_start_matches([' ', '-']).len();
        let key = line.trim_start_matches([' ', '-']);
        match section.as_str() {
            "global" if key.starts_with("scrape_interval:") => {
                global = value(key).as_deref().and_then(parse_prometheus_duration);
            }
            "scrape_configs" if key.starts_with("job_name:") => job = value(key),
            // A job's own key sits at the item's indent (2), not inside a nested block.
            "scrape_configs" if key.starts_with("scrape_interval:") && indent <= 2 => {
                if let (Some(job), Some(s)) = (
                    &job,
                    value(key).as_deref().and_then(parse_prometheus_duration),
                ) {
                    jobs.insert(job.clone(), s);
                }
            }
            _ => {}
        }
    }
    if global.is_none() && jobs.is_empty() {
        return None;
    }
    Some(Intervals {
        default_s: global.unwrap_or(DEFAULT_SCRAPE_S),
        jobs,
        source: IntervalSource::Config,
    })
}

/// How far back the backend keeps samples, in seconds, when it says (Prometheus' flags).
pub fn retention(client: &Client) -> Option<f64> {
    let flags = client.flags().ok()?;
    retention_from_flags(&flags)
}

/// `storage.tsdb.retention.time` (or the older `storage.tsdb.retention`); `0s` for both means the
/// default of 15 days unless only a size limit was set.
pub fn retention_from_flags(flags: &BTreeMap<String, String>) -> Option<f64> {
    let time = |key: &str| flags.get(key).and_then(|v| parse_prometheus_duration(v));
    let set = time("storage.tsdb.retention.time")
        .filter(|s| *s > 0.0)
        .or_else(|| time("storage.tsdb.retention").filter(|s| *s > 0.0));
    if set.is_some() {
        return set;
    }
    let sized = flags
        .get("storage.tsdb.retention.size")
        .is_some_and(|v| !v.is_empty() && v != "0B" && v != "0");
    let known = flags.contains_key("storage.tsdb.retention.time");
    (known && !sized).then_some(DEFAULT_RETENTION_S)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout of Prometheus 2.42's `/api/v1/status/config` (recorded from one started here).
    const CONFIG: &str = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n- job_name: node\n  honor_timestamps: true\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  metrics_path: /metrics\n  static_configs:\n  - targets:\n    - 127.0.0.1:9100\n- job_name: slow\n  scrape_interval: 15s\n  scrape_timeout: 10s\n  relabel_configs:\n  - source_labels: [x]\n    regex: (.*)\n";

    #[test]
    fn each_jobs_interval_and_the_global_one_are_read_from_the_config() {
        let intervals = intervals_from_config(CONFIG).unwrap();
        assert_eq!(intervals.default_s, 1.0);
        assert_eq!(intervals.of("node"), 1.0);
        assert_eq!(intervals.of("slow"), 15.0);
        assert_eq!(intervals.of("other"), 1.0);
        assert_eq!(intervals.finest(), 1.0);
        assert_eq!(intervals_from_config("foo: bar\n"), None);
        let quoted = "global:\n  scrape_interval: \"30s\"\n";
        assert_eq!(intervals_from_config(quoted).unwrap().default_s, 30.0);
    }

    #[test]
    fn retention_is_the_flag_else_the_default_unless_only_a_size_was_set() {
        let flags = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            retention_from_flags(&flags(&[("storage.tsdb.retention.time", "1h")])),
            Some(3600.0)
        );
        assert_eq!(
            retention_from_flags(&flags(&[
                ("storage.tsdb.retention.time", "0s"),
                ("storage.tsdb.retention", "2d")
            ])),
            Some(172_800.0)
        );
        assert_eq!(
            retention_from_flags(&flags(&[
                ("storage.tsdb.retention.time", "0s"),
                ("storage.tsdb.retention.size", "0B")
            ])),
            Some(DEFAULT_RETENTION_S)
        );
        assert_eq!(
            retention_from_flags(&flags(&[
                ("storage.tsdb.retention.time", "0s"),
                ("storage.tsdb.retention.size", "10GB")
            ])),
            None
        );
        assert_eq!(retention_from_flags(&flags(&[])), None);
    }
}
