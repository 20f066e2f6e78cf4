//! Which series is which: a series is recognised by the metric names in its PromQL, and named
//! for people by its metric and identifying labels.

use super::*;

/// What a series measures, from the metric names in its PromQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `up`: 1 when the scrape worked.
    Up,
    /// `process_start_time_seconds`, `container_start_time_seconds`: a change is a restart.
    StartTime,
    /// `kube_pod_container_status_restarts_total`: an increase is a restart.
    RestartCount,
    /// CPU of a process or container, in cores (a rate of `*_cpu_seconds_total`).
    Cpu,
    /// The machine's CPU busy share, 0..1 of all its cores (node_exporter).
    NodeCpu,
    /// The machine's core count (`count(node_cpu_seconds_total{mode="idle"})`).
    NodeCores,
    /// A CPU quota in cores (`container_spec_cpu_quota / container_spec_cpu_period`).
    CpuQuota,
    /// The share of CFS periods throttled (cAdvisor).
    Throttled,
    /// Memory of a process or container, in bytes.
    Memory,
    /// The machine's total memory (`node_memory_MemTotal_bytes`).
    NodeMemoryTotal,
    /// A container's memory limit (cAdvisor's `container_spec_memory_limit_bytes`; 0 is none).
    MemoryLimit,
    Other,
}

/// Recognises a series by its PromQL and unit.
pub fn kind_of(series: &ServerSeries) -> Kind {
    let q = series.query.to_ascii_lowercase();
    let q = q.trim();
    let rate = matches!(series.unit, ServerUnit::Ratio | ServerUnit::Percent);
    let bare_up = q == "up" || (q.starts_with("up{") && q.ends_with('}'));
    if bare_up {
        Kind::Up
    } else if q.contains("process_start_time_seconds") || q.contains("container_start_time_seconds")
    {
        Kind::StartTime
    } else if q.contains("kube_pod_container_status_restarts_total") {
        Kind::RestartCount
    } else if q.contains("cfs_throttled") && rate {
        Kind::Throttled
    } else if q.contains("container_spec_cpu_quota") && q.contains("container_spec_cpu_period") {
        Kind::CpuQuota
    } else if q.contains("node_cpu_seconds_total") && q.starts_with("count") {
        Kind::NodeCores
    } else if q.contains("node_cpu_seconds_total") && rate {
        Kind::NodeCpu
    } else if (q.contains("process_cpu_seconds_total")
        || q.contains("container_cpu_usage_seconds_total"))
        && rate
        && q.contains("rate(")
    {
        Kind::Cpu
    } else if q.contains("container_spec_memory_limit_bytes")
        && series.unit == ServerUnit::Bytes
        && !q.contains('/')
    {
        Kind::MemoryLimit
    } else if series.unit == ServerUnit::Bytes
        && [
            "process_resident_memory_bytes",
            "container_memory_working_set_bytes",
            "container_memory_rss",
            "container_memory_usage_bytes",
        ]
        .iter()
        .any(|name| q.contains(name))
    {
        Kind::Memory
    } else if q.contains("node_memory_memtotal_bytes")
        && series.unit == ServerUnit::Bytes
        && !q.contains('/')
    {
        // The total alone, in bytes: not a share of it (`1 - MemAvailable / MemTotal`).
        Kind::NodeMemoryTotal
    } else {
        Kind::Other
    }
}

/// The series as a reader would name it: the first metric name of its query and its identifying
/// labels (`process_resident_memory_bytes{job="api"}`). Control characters in label values are
/// dropped and long values cut.
pub fn series_name(series: &ServerSeries) -> String {
    let labels: Vec<String> = ["job", "instance", "namespace", "pod", "container", "id"]
        .iter()
        .filter_map(|key| {
            let value = series.labels.get(*key)?;
            let clean: String = value.chars().filter(|c| !c.is_control()).take(80).collect();
            Some(format!("{key}=\"{clean}\""))
        })
        .collect();
    let metric = series
        .labels
        .get("__name__")
        .cloned()
        .or_else(|| metric_in(&series.query))
        .unwrap_or_else(|| series.source.clone());
    if labels.is_empty() {
        metric
    } else {
        format!("{metric}{{{}}}", labels.join(","))
    }
}

/// The first metric name of a PromQL expression: the first identifier outside label matchers,
/// ranges, strings and grouping lists (`by (job)`) that is neither a function or aggregation
/// (followed by `(`, or by a grouping clause) nor a keyword.
pub(super) fn metric_in(query: &str) -> Option<String> {
    const KEYWORDS: [&str; 4] = ["bool", "and", "or", "unless"];
    const GROUPING: [&str; 6] = [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    const AGGREGATIONS: [&str; 12] = [
        "sum",
        "avg",
        "min",
        "max",
        "count",
        "group",
        "stddev",
        "stdvar",
        "topk",
        "bottomk",
        "quantile",
        "count_values",
    ];
    let chars: Vec<char> = query.chars().collect();
    let (mut i, mut depth, mut quote) = (0, 0i32, None::<char>);
    let next_non_space = |from: usize| (from..chars.len()).find(|&j| !chars[j].is_whitespace());
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            if c == '\\' {
                i += 1;
            } else if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            c if depth == 0 && (c.is_ascii_alphabetic() || c == '_' || c == ':') => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
                {
                    i += 1;
                }
                let word: String = chars[start..i]
                    .iter()
                    .collect::<String>()
                    .to_ascii_lowercase();
                let next = next_non_space(i);
                if GROUPING.contains(&word.as_str()) {
                    // Skip the label list that follows.
                    if let Some(open) = next.filter(|&j| chars[j] == '(') {
                        i = (open..chars.len())
                            .find(|&j| chars[j] == ')')
                            .map_or(chars.len(), |j| j + 1);
                    }
                    continue;
                }
                let called = next.is_some_and(|j| chars[j] == '(');
                if called
                    || AGGREGATIONS.contains(&word.as_str())
                    || KEYWORDS.contains(&word.as_str())
                {
                    continue;
                }
                return Some(chars[start..i].iter().collect());
            }
            _ => {}
        }
        i += 1;
    }
    None
}
