//! The one table of output formats. Each row says what the command line (`--FLAG FILE|DIR` and
//! `--format NAME`), the project's config (its key) and the manager ([`super::outputs`]) need to
//! know about a format; all three read it from here. A new format is its exporter's file, a
//! variant and a row here, and its key in the config's list of keys.

use super::exporter::{DirExporter, Exporter};
use super::{charts, html, json, junit, markdown, openmetrics, table};

/// An output format, named by its row in [`FORMATS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Table,
    Json,
    Markdown,
    Junit,
    Html,
    Charts,
    OpenMetrics,
}

/// What a format writes and with what.
pub enum Writes {
    /// One file (or stdout).
    File(&'static dyn Exporter),
    /// A directory of files.
    Dir(&'static dyn DirExporter),
}

/// A row of the table.
pub struct FormatSpec {
    pub format: Format,
    /// Its name, and its `--format` value when it can go to stdout.
    pub name: &'static str,
    /// The flag that names its file or directory (`--NAME FILE`); `None`: stdout only.
    pub flag: Option<&'static str>,
    /// Its key in `loadgate.toml` or `[tool.loadgate]`; `None`: a flag only.
    pub config_key: Option<&'static str>,
    /// What `--format NAME` prints; `None`: it never goes to stdout.
    pub stdout: Option<&'static str>,
    /// The flag's help for `check`, `compare` and `ab` (as clap shows a doc comment: no final
    /// period).
    pub help: &'static str,
    /// The flag's help for `history`; `None`: an archive is not written in this format.
    pub history_help: Option<&'static str>,
    /// Where `loadgate demo` writes it in its directory; `None`: the demo leaves it out.
    pub demo_file: Option<&'static str>,
    pub writes: Writes,
}

const JSON_HELP: &str = "Also write the JSON report to this file";
const OPENMETRICS_HELP: &str = "Also write the figures as metrics: OpenMetrics text, or the Prometheus text format when FILE ends in .prom (for node-exporter's textfile collector)";

/// Every format, in the order the flags are listed and the files written.
pub static FORMATS: [FormatSpec; 7] = [
    FormatSpec {
        format: Format::Table,
        name: "table",
        flag: None,
        config_key: None,
        stdout: Some("A table for people (coloured on a terminal)"),
        help: "",
        history_help: None,
        demo_file: None,
        writes: Writes::File(&table::TableExporter),
    },
    FormatSpec {
        format: Format::Json,
        name: "json",
        flag: Some("json"),
        config_key: Some("json"),
        stdout: Some("The versioned JSON report on stdout"),
        help: JSON_HELP,
        history_help: Some(JSON_HELP),
        demo_file: Some("report.json"),
        writes: Writes::File(&json::JsonExporter),
    },
    FormatSpec {
        format: Format::Markdown,
        name: "markdown",
        flag: Some("markdown"),
        config_key: Some("markdown"),
        stdout: None,
        help: "Also write a Markdown summary (for a pull-request comment) to this file",
        history_help: Some(
            "Also write a Markdown summary (the runs, the breaks, the newest run's server section) to this file",
        ),
        demo_file: Some("summary.md"),
        writes: Writes::File(&markdown::MarkdownExporter),
    },
    FormatSpec {
        format: Format::Junit,
        name: "junit",
        flag: Some("junit"),
        config_key: Some("junit"),
        stdout: None,
        help: "Also write JUnit XML (one testcase per check) to this file",
        history_help: None,
        demo_file: Some("junit.xml"),
        writes: Writes::File(&junit::JunitExporter),
    },
    FormatSpec {
        format: Format::Html,
        name: "html",
        flag: Some("html"),
        config_key: Some("html"),
        stdout: None,
        help: "Also write one self-contained HTML page (verdict, tables, charts; no network) to this file",
        history_help: Some(
            "Also write one self-contained HTML page (the runs, the breaks, the chart) to this file",
        ),
        demo_file: Some("report.html"),
        writes: Writes::File(&html::HtmlExporter),
    },
    FormatSpec {
        format: Format::Charts,
        name: "charts",
        flag: Some("charts"),
        config_key: Some("charts"),
        stdout: None,
        help: "Also write PNG charts into this directory",
        history_help: Some(
            "Also write history.png (percentiles and throughput per run) into this directory",
        ),
        demo_file: Some("charts"),
        writes: Writes::Dir(&charts::ChartsExporter),
    },
    FormatSpec {
        format: Format::OpenMetrics,
        name: "openmetrics",
        flag: Some("openmetrics"),
        config_key: None,
        stdout: None,
        help: OPENMETRICS_HELP,
        history_help: Some(OPENMETRICS_HELP),
        demo_file: None,
        writes: Writes::File(&openmetrics::OpenMetricsExporter),
    },
];

impl Format {
    /// Its row.
    pub fn spec(self) -> &'static FormatSpec {
        FORMATS
            .iter()
            .find(|s| s.format == self)
            .expect("every format has a row")
    }

    /// The format whose row has this name.
    pub fn named(name: &str) -> Option<Format> {
        FORMATS.iter().find(|s| s.name == name).map(|s| s.format)
    }
}

impl FormatSpec {
    /// It is a directory of files, not one file.
    pub fn is_dir(&self) -> bool {
        matches!(self.writes, Writes::Dir(_))
    }

    /// What the flag's value names.
    pub fn value_name(&self) -> &'static str {
        if self.is_dir() {
            "DIR"
        } else {
            "FILE"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_has_one_row_and_names_flags_and_keys_once() {
        let mut formats: Vec<Format> = FORMATS.iter().map(|s| s.format).collect();
        formats.sort();
        formats.dedup();
        assert_eq!(formats.len(), FORMATS.len());
        for spec in &FORMATS {
            assert_eq!(spec.format.spec().name, spec.name);
            assert_eq!(Format::named(spec.name), Some(spec.format));
            // A format goes somewhere: to stdout, or to the file its flag names.
            assert!(
                spec.stdout.is_some() || spec.flag.is_some(),
                "{}",
                spec.name
            );
            // A key in the config is a flag too, and a format only for stdout has no help.
            assert!(spec.config_key.is_none() || spec.flag.is_some());
            assert_eq!(spec.flag.is_some(), !spec.help.is_empty(), "{}", spec.name);
            // A directory cannot be printed.
            assert!(!(spec.stdout.is_some() && spec.is_dir()));
        }
        let flags: Vec<&str> = FORMATS.iter().filter_map(|s| s.flag).collect();
        let mut unique = flags.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), flags.len());
    }
}
