//! Text framing: the OpenMetrics 1.0 text format, or the Prometheus text format 0.0.4 that the
//! Pushgateway and node-exporter's textfile collector read. The families are the same in both;
//! only the framing (types, units, timestamps, `# EOF`, escaping) differs.

use std::fmt::Write as _;
use std::path::Path;

use super::catalogue::{Kind, Spec};

/// Which text format the metrics are framed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// OpenMetrics 1.0: counters typed by family name, `# UNIT`, timestamps in seconds, `# EOF`.
    OpenMetrics,
    /// Prometheus text 0.0.4: what the Pushgateway and the textfile collector parse. Never
    /// timestamped: both reject client-side timestamps.
    Prometheus,
}

impl Flavor {
    /// The `Content-Type` of a body in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Flavor::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Flavor::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
        }
    }

    /// A `.prom` file is for node-exporter's textfile collector, which reads only `*.prom` files
    /// and only the Prometheus text format; anything else is OpenMetrics.
    pub fn of(path: &Path) -> Flavor {
        match path.extension() {
            Some(ext) if ext == "prom" => Flavor::Prometheus,
            _ => Flavor::OpenMetrics,
        }
    }
}

/// One metric family: what it is, and its samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    pub spec: Spec,
    pub samples: Vec<Sample>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
    /// Unix time in seconds; only history samples have one.
    pub timestamp: Option<i64>,
}

/// Text handed to a writer a megabyte at a time.
pub struct Chunked<'a> {
    pub text: String,
    sink: &'a mut dyn std::io::Write,
}

impl<'a> Chunked<'a> {
    const CHUNK: usize = 1 << 20;

    pub fn new(sink: &'a mut dyn std::io::Write) -> Self {
        Chunked {
            text: String::with_capacity(Self::CHUNK + 4096),
            sink,
        }
    }

    /// Passes the text on once a chunk has gathered.
    pub fn spill(&mut self) -> std::io::Result<()> {
        if self.text.len() >= Self::CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.sink.write_all(self.text.as_bytes())?;
        self.text.clear();
        Ok(())
    }
}

/// The families as text in `flavor`.
pub fn render(families: &[Family], flavor: Flavor) -> Vec<u8> {
    let mut out = String::new();
    write_families(&mut out, families, flavor);
    finish(&mut out, flavor);
    out.into_bytes()
}

pub fn write_families(out: &mut String, families: &[Family], flavor: Flavor) {
    for family in families {
        write_header(out, &family.spec, flavor);
        let sample_name = family.spec.sample_name();
        for sample in &family.samples {
            write_sample(out, &sample_name, sample, flavor);
        }
    }
}

/// `# HELP`, `# TYPE` and (OpenMetrics) `# UNIT`. OpenMetrics types the family; the 0.0.4 format
/// types the sample name.
pub fn write_header(out: &mut String, spec: &Spec, flavor: Flavor) {
    let (typed, kind) = match (flavor, spec.kind) {
        (Flavor::OpenMetrics, Kind::Info) => (spec.name.to_string(), "info"),
        (Flavor::OpenMetrics, Kind::Counter) => (spec.name.to_string(), "counter"),
        (_, Kind::Gauge) => (spec.name.to_string(), "gauge"),
        (Flavor::Prometheus, Kind::Counter) => (spec.sample_name(), "counter"),
        (Flavor::Prometheus, Kind::Info) => (spec.sample_name(), "gauge"),
    };
    let _ = writeln!(out, "# HELP {typed} {}", escape_help(spec.help, flavor));
    let _ = writeln!(out, "# TYPE {typed} {kind}");
    if let (Flavor::OpenMetrics, Some(unit)) = (flavor, spec.unit) {
        let _ = writeln!(out, "# UNIT {typed} {unit}");
    }
}

pub fn finish(out: &mut String, flavor: Flavor) {
    if flavor == Flavor::OpenMetrics {
        out.push_str("# EOF\n");
    }
}

pub fn write_name_and_labels(out: &mut String, name: &str, labels: &[(&'static str, String)]) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (label, value)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{label}=\"{}\"", escape_label(value));
        }
        out.push('}');
    }
}

fn write_sample(out: &mut String, name: &str, sample: &Sample, flavor: Flavor) {
    write_name_and_labels(out, name, &sample.labels);
    let _ = write!(out, " {}", number(sample.value));
    match (flavor, sample.timestamp) {
        (Flavor::OpenMetrics, Some(t)) => {
            let _ = write!(out, " {t}");
        }
        // The consumers of the 0.0.4 format reject timestamps; history is OpenMetrics only.
        (Flavor::Prometheus, _) | (_, None) => {}
    }
    out.push('\n');
}

/// Label values are untrusted (endpoint names come from the files): backslash, double quote and
/// line feed are the three characters the text formats require escaped.
pub fn escape_label(value: &str) -> String {
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

/// HELP text: OpenMetrics also escapes double quotes; 0.0.4 only backslash and line feed.
fn escape_help(text: &str, flavor: Flavor) -> String {
    match flavor {
        Flavor::OpenMetrics => escape_label(text),
        Flavor::Prometheus => text.replace('\\', "\\\\").replace('\n', "\\n"),
    }
}

/// Whole numbers without a fraction, others as Rust's shortest round-trip form.
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(kind: Kind, samples: Vec<Sample>) -> Family {
        Family {
            spec: Spec {
                name: "loadgate_x",
                kind,
                unit: Some("seconds"),
                help: "A \"test\" family.",
            },
            samples,
        }
    }

    fn sample(labels: Vec<(&'static str, String)>, value: f64, timestamp: Option<i64>) -> Sample {
        Sample {
            labels,
            value,
            timestamp,
        }
    }

    #[test]
    fn label_values_escape_backslash_quote_and_newline_only() {
        assert_eq!(escape_label(r#"GET /a"b\c"#), r#"GET /a\"b\\c"#);
        assert_eq!(escape_label("line1\nline2\ttab"), "line1\\nline2\ttab");
        assert_eq!(escape_label("plain ü"), "plain ü");
    }

    #[test]
    fn counters_are_typed_by_family_in_openmetrics_and_by_sample_in_prometheus() {
        let f = family(Kind::Counter, vec![sample(vec![], 3.0, None)]);
        let om = String::from_utf8(render(std::slice::from_ref(&f), Flavor::OpenMetrics)).unwrap();
        assert_eq!(
            om,
            "# HELP loadgate_x A \\\"test\\\" family.\n# TYPE loadgate_x counter\n# UNIT loadgate_x seconds\nloadgate_x_total 3\n# EOF\n"
        );
        let prom = String::from_utf8(render(&[f], Flavor::Prometheus)).unwrap();
        assert_eq!(
            prom,
            "# HELP loadgate_x_total A \"test\" family.\n# TYPE loadgate_x_total counter\nloadgate_x_total 3\n"
        );
    }

    #[test]
    fn timestamps_appear_in_openmetrics_only() {
        let f = family(
            Kind::Gauge,
            vec![sample(
                vec![("run", "a\"b".into())],
                0.25,
                Some(1_700_000_000),
            )],
        );
        let om = String::from_utf8(render(std::slice::from_ref(&f), Flavor::OpenMetrics)).unwrap();
        assert!(
            om.contains("loadgate_x{run=\"a\\\"b\"} 0.25 1700000000\n"),
            "{om}"
        );
        let prom = String::from_utf8(render(&[f], Flavor::Prometheus)).unwrap();
        assert!(prom.contains("loadgate_x{run=\"a\\\"b\"} 0.25\n"), "{prom}");
    }

    #[test]
    fn whole_numbers_have_no_fraction_and_others_round_trip() {
        assert_eq!(number(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(number(12.0), "12");
    }
}
