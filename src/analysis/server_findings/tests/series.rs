//! Which series is which, and how they are named.

use super::*;

#[test]
fn series_are_recognised_by_their_promql() {
    let kind = |query: &str, unit| kind_of(&series(query, unit, &[], Vec::new()));
    let cases = [
        ("up", ServerUnit::Count, Kind::Up),
        ("up{job=\"api\"}", ServerUnit::Count, Kind::Up),
        ("upstream_requests_total", ServerUnit::Count, Kind::Other),
        ("process_start_time_seconds", ServerUnit::Seconds, Kind::StartTime),
        ("kube_pod_container_status_restarts_total", ServerUnit::Count, Kind::RestartCount),
        ("rate(process_cpu_seconds_total[1m])", ServerUnit::Ratio, Kind::Cpu),
        ("sum by (pod) (rate(container_cpu_usage_seconds_total[1m]))", ServerUnit::Ratio, Kind::Cpu),
        // A bare counter is no CPU usage.
        ("process_cpu_seconds_total", ServerUnit::Seconds, Kind::Other),
        ("1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[1m]))", ServerUnit::Ratio, Kind::NodeCpu),
        ("count(node_cpu_seconds_total{mode=\"idle\"})", ServerUnit::Count, Kind::NodeCores),
        ("container_spec_cpu_quota / container_spec_cpu_period", ServerUnit::Count, Kind::CpuQuota),
        ("rate(container_cpu_cfs_throttled_periods_total[1m]) / rate(container_cpu_cfs_periods_total[1m])", ServerUnit::Ratio, Kind::Throttled),
        ("process_resident_memory_bytes", ServerUnit::Bytes, Kind::Memory),
        ("container_memory_working_set_bytes{pod=~\"api.*\"}", ServerUnit::Bytes, Kind::Memory),
        ("node_memory_MemTotal_bytes", ServerUnit::Bytes, Kind::NodeMemoryTotal),
    ];
    for (query, unit, expected) in cases {
        assert_eq!(kind(query, unit), expected, "{query}");
    }
}

#[test]
fn control_characters_in_label_values_are_dropped_from_names() {
    let s = series(
        "up",
        ServerUnit::Count,
        &[("job", "api\u{1b}[31m\n"), ("le", "x")],
        Vec::new(),
    );
    assert_eq!(series_name(&s), "up{job=\"api[31m\"}");
}

#[test]
fn every_preset_of_the_prometheus_source_is_recognised_and_named_by_its_metric() {
    use crate::server::presets::PRESETS;
    let expected = [
        ("up", Kind::Up, "up"),
        (
            "process_memory",
            Kind::Memory,
            "process_resident_memory_bytes",
        ),
        ("process_cpu", Kind::Cpu, "process_cpu_seconds_total"),
        (
            "process_start",
            Kind::StartTime,
            "process_start_time_seconds",
        ),
        ("node_cpu", Kind::NodeCpu, "node_cpu_seconds_total"),
        // A share of the machine's memory, not its total in bytes.
        ("node_memory", Kind::Other, "node_memory_MemAvailable_bytes"),
        (
            "node_memory_total",
            Kind::NodeMemoryTotal,
            "node_memory_MemTotal_bytes",
        ),
        ("node_load1", Kind::Other, "node_load1"),
        (
            "container_cpu",
            Kind::Cpu,
            "container_cpu_usage_seconds_total",
        ),
        (
            "container_memory",
            Kind::Memory,
            "container_memory_working_set_bytes",
        ),
        (
            "container_memory_limit",
            Kind::MemoryLimit,
            "container_spec_memory_limit_bytes",
        ),
        (
            "container_throttling",
            Kind::Throttled,
            "container_cpu_cfs_throttled_periods_total",
        ),
        (
            "container_start",
            Kind::StartTime,
            "container_start_time_seconds",
        ),
        (
            "kube_restarts",
            Kind::RestartCount,
            "kube_pod_container_status_restarts_total",
        ),
    ];
    assert_eq!(
        PRESETS.len(),
        expected.len(),
        "a preset was added: say what it is here"
    );
    for (preset, (id, kind, metric)) in PRESETS.iter().zip(expected) {
        assert_eq!(preset.id, id);
        let s = ServerSeries {
            source: preset.id.to_string(),
            query: preset.query("api", "4s"),
            labels: BTreeMap::from([("job".to_string(), "api".to_string())]),
            unit: preset.unit,
            points: Vec::new(),
        };
        assert_eq!(kind_of(&s), kind, "{id}: {}", s.query);
        assert_eq!(series_name(&s), format!("{metric}{{job=\"api\"}}"), "{id}");
    }
}

#[test]
fn the_metric_of_a_query_skips_functions_aggregations_grouping_and_strings() {
    let cases = [
        (
            "sum by (job, instance) (rate(x_total{job=\"a\"}[1m]))",
            Some("x_total"),
        ),
        ("sum(rate(x_total[1m])) by (job)", Some("x_total")),
        ("max without (cpu) (y{name=\"by (z)\"})", Some("y")),
        (
            "histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m])))",
            Some("h_bucket"),
        ),
        (
            "1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[5s]))",
            Some("node_cpu_seconds_total"),
        ),
        ("a / on (job) group_left (pod) b", Some("a")),
        ("vector(1)", None),
    ];
    for (query, expected) in cases {
        assert_eq!(metric_in(query).as_deref(), expected, "{query}");
    }
}
