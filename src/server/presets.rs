//! What is read without configuration: the well-known series a backend has, each with its exact
//! PromQL (docs/server-metrics.md lists them). A preset is asked only when every metric it needs
//! exists in the window, once per job that has them, so that each job's own scrape interval sets
//! its step and rate window.

use crate::model::ServerUnit;

/// One well-known series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preset {
    /// Its name in every output (`process_memory`).
    pub id: &'static str,
    /// What it shows, for people.
    pub title: &'static str,
    /// The metrics it needs, all of which must exist.
    pub needs: &'static [&'static str],
    /// PromQL with `SEL` for the job's matcher (`job="api"`) and `RATE` for the rate window.
    pub template: &'static str,
    pub unit: ServerUnit,
}

/// Every preset, in the order they are listed.
pub const PRESETS: &[Preset] = &[
    Preset {
        id: "up",
        title: "target up (1) or down (0)",
        needs: &["up"],
        template: "up{SEL}",
        unit: ServerUnit::None,
    },
    Preset {
        id: "process_memory",
        title: "process resident memory",
        needs: &["process_resident_memory_bytes"],
        template: "sum by (job, instance) (process_resident_memory_bytes{SEL})",
        unit: ServerUnit::Bytes,
    },
    Preset {
        id: "process_cpu",
        title: "process CPU (cores)",
        needs: &["process_cpu_seconds_total"],
        template: "sum by (job, instance) (rate(process_cpu_seconds_total{SEL}[RATE]))",
        unit: ServerUnit::Ratio,
    },
    Preset {
        id: "process_start",
        title: "process start time (a change is a restart)",
        needs: &["process_start_time_seconds"],
        template: "max by (job, instance) (process_start_time_seconds{SEL})",
        unit: ServerUnit::Seconds,
    },
    Preset {
        id: "node_cpu",
        title: "host CPU busy (share of all cores)",
        needs: &["node_cpu_seconds_total"],
        template: "1 - avg by (job, instance) (rate(node_cpu_seconds_total{mode=\"idle\", SEL}[RATE]))",
        unit: ServerUnit::Ratio,
    },
    Preset {
        id: "node_memory",
        title: "host memory used (1 - MemAvailable / MemTotal)",
        needs: &["node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes"],
        template: "1 - node_memory_MemAvailable_bytes{SEL} / node_memory_MemTotal_bytes{SEL}",
        unit: ServerUnit::Ratio,
    },
    Preset {
        id: "node_memory_total",
        title: "host memory (the limit a leak runs into without a container's)",
        needs: &["node_memory_MemTotal_bytes"],
        template: "node_memory_MemTotal_bytes{SEL}",
        unit: ServerUnit::Bytes,
    },
    Preset {
        id: "node_load1",
        title: "host load average (1 min)",
        needs: &["node_load1"],
        template: "node_load1{SEL}",
        unit: ServerUnit::None,
    },
    Preset {
        id: "container_cpu",
        title: "container CPU (cores)",
        needs: &["container_cpu_usage_seconds_total"],
        template: "sum by (job, instance, name, namespace, pod, container) (rate(container_cpu_usage_seconds_total{image!=\"\", SEL}[RATE]))",
        unit: ServerUnit::Ratio,
    },
    Preset {
        id: "container_memory",
        title: "container memory (working set)",
        needs: &["container_memory_working_set_bytes"],
        template: "sum by (job, instance, name, namespace, pod, container) (container_memory_working_set_bytes{image!=\"\", SEL})",
        unit: ServerUnit::Bytes,
    },
    Preset {
        id: "container_memory_limit",
        title: "container memory limit (0: none)",
        needs: &["container_spec_memory_limit_bytes"],
        template: "max by (job, instance, name, namespace, pod, container) (container_spec_memory_limit_bytes{image!=\"\", SEL})",
        unit: ServerUnit::Bytes,
    },
    Preset {
        id: "container_throttling",
        title: "container CPU throttled (share of CFS periods)",
        needs: &[
            "container_cpu_cfs_throttled_periods_total",
            "container_cpu_cfs_periods_total",
        ],
        template: "sum by (job, instance, name, namespace, pod, container) (rate(container_cpu_cfs_throttled_periods_total{image!=\"\", SEL}[RATE])) / sum by (job, instance, name, namespace, pod, container) (rate(container_cpu_cfs_periods_total{image!=\"\", SEL}[RATE]))",
        unit: ServerUnit::Ratio,
    },
    Preset {
        id: "container_start",
        title: "container start time (a change is a restart)",
        needs: &["container_start_time_seconds"],
        template: "max by (job, instance, name, namespace, pod, container) (container_start_time_seconds{image!=\"\", SEL})",
        unit: ServerUnit::Seconds,
    },
    Preset {
        id: "kube_restarts",
        title: "Kubernetes container restarts",
        needs: &["kube_pod_container_status_restarts_total"],
        template: "sum by (namespace, pod, container) (kube_pod_container_status_restarts_total{SEL})",
        unit: ServerUnit::Count,
    },
];

impl Preset {
    /// The PromQL for one job, with its rate window (a PromQL duration such as `4s`).
    pub fn query(&self, job: &str, rate: &str) -> String {
        self.template
            .replace("SEL", &format!("job=\"{}\"", escape_label_value(job)))
            .replace("RATE", rate)
    }

    /// Whether a backend holding the metrics `names` has what it needs.
    pub fn available(&self, names: &[String]) -> bool {
        self.needs.iter().all(|n| names.iter().any(|m| m == n))
    }
}

/// A label value inside a PromQL double-quoted string.
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_places_the_job_and_the_rate_window() {
        for preset in PRESETS {
            let q = preset.query("api", "4s");
            assert!(
                !q.contains("SEL") && !q.contains("RATE"),
                "{}: {q}",
                preset.id
            );
            assert!(q.contains("job=\"api\""), "{}: {q}", preset.id);
            assert_eq!(
                q.contains("[4s]"),
                preset.template.contains("[RATE]"),
                "{}",
                preset.id
            );
            for need in preset.needs {
                assert!(q.contains(need), "{} does not read {need}", preset.id);
            }
        }
        assert_eq!(
            PRESETS[4].query("node", "60s"),
            "1 - avg by (job, instance) (rate(node_cpu_seconds_total{mode=\"idle\", job=\"node\"}[60s]))"
        );
    }

    #[test]
    fn the_docs_show_every_presets_exact_promql() {
        let docs = include_str!("../../docs/server-metrics.md");
        for preset in PRESETS {
            let shown = preset.template.replace("SEL", "job=\"JOB\"");
            let row = format!("| `{}` |", preset.id);
            let line = docs
                .lines()
                .find(|l| l.starts_with(&row))
                .unwrap_or_else(|| panic!("{} is not in docs/server-metrics.md", preset.id));
            assert!(
                line.contains(&format!("`{shown}`")),
                "{}: {line}",
                preset.id
            );
            let unit = super::super::units::unit_name(preset.unit);
            assert!(
                line.contains(&format!("| {unit} |")),
                "{}: {line}",
                preset.id
            );
        }
    }

    #[test]
    fn a_job_name_cannot_break_out_of_its_matcher() {
        let q = PRESETS[0].query("a\"} or vector(1) #\\", "4s");
        assert_eq!(q, "up{job=\"a\\\"} or vector(1) #\\\\\"}");
    }

    #[test]
    fn a_preset_needs_every_metric_it_reads() {
        let node_memory = PRESETS.iter().find(|p| p.id == "node_memory").unwrap();
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(!node_memory.available(&names(&["node_memory_MemTotal_bytes"])));
        assert!(node_memory.available(&names(&[
            "node_memory_MemTotal_bytes",
            "node_memory_MemAvailable_bytes"
        ])));
    }
}
