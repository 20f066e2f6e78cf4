//! Runs from files other than Locust's CSVs and reports: Locust's console log, k6's outputs and
//! JMeter's JTL, and `-` (standard input) for any of them. The file's first bytes say which
//! (`detect`); Locust's own files are left to their readers.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::detect::{detect, Format, TRIED};
use super::error::InputError;
use super::input::{is_stdin, open, read_error, stdin_bytes, Opened};
use super::samples::Parsed;
use crate::model::Run;

/// The runs in `input` when another tool wrote it (a log may hold several), `Ok(None)` when it is
/// Locust's files (a `--csv` prefix, a directory, a stats CSV, an HTML report, a Locust JSON).
pub fn load(input: &Path) -> Result<Option<Vec<Run>>> {
    if is_stdin(input) {
        return from_stdin().map(Some);
    }
    if !input.is_file() {
        return Ok(None);
    }
    let opened = open(input)?;
    let name = name_of(input);
    let format = detect(&opened.head, &name);
    match read(input, format, opened, &name)? {
        Outcome::Runs(runs) => Ok(Some(runs)),
        Outcome::Locust => Ok(None),
    }
}

enum Outcome {
    Runs(Vec<Run>),
    Locust,
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read(path: &Path, format: Format, opened: Opened, name: &str) -> Result<Outcome> {
    let one = |run: Run| Ok(Outcome::Runs(vec![run]));
    let built = |parsed: Vec<Parsed>| -> Result<Outcome> {
        let runs = parsed
            .into_iter()
            .map(|p| p.into_run(path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Outcome::Runs(runs))
    };
    match format {
        Format::Locust => {
            if opened.gzip {
                return Err(InputError::file(
                    path,
                    "a gzipped Locust file: loadgate reads Locust's CSVs, HTML and JSON uncompressed (gunzip it first)",
                )
                .into());
            }
            Ok(Outcome::Locust)
        }
        Format::K6Csv | Format::K6Json | Format::JMeterCsv { .. } | Format::JMeterXml => {
            built(per_sample(path, format, opened)?)
        }
        Format::K6Summary => {
            let bytes = all_bytes(path, opened)?;
            one(super::k6::read_summary(path, &bytes)?)
        }
        Format::K6NewSummary => Err(InputError::file(
            path,
            "k6's machine-readable summary (k6 1.5 and later, --new-machine-readable-summary) is not read yet: give loadgate k6's --out json (every request) or --summary-export",
        )
        .into()),
        Format::LocustLog => {
            let bytes = all_bytes(path, opened)?;
            Ok(Outcome::Runs(super::console_log::read(path, &bytes)?))
        }
        Format::Gatling { binary } => Err(InputError::file(
            path,
            format!(
                "this is Gatling's simulation.log ({}), which loadgate does not read; it reads {TRIED}",
                if binary {
                    "the binary format of Gatling 3.10 and later"
                } else {
                    "text"
                }
            ),
        )
        .into()),
        Format::Unknown => {
            let what = if opened.head.is_empty() {
                "the file is empty".to_string()
            } else if std::str::from_utf8(&opened.head).is_err() && !opened.gzip {
                "a binary file".to_string()
            } else {
                format!("'{name}' is in none of the formats loadgate reads")
            };
            Err(InputError::file(path, format!("{what}; tried {TRIED}")).into())
        }
    }
}

/// The whole (decompressed) input.
fn all_bytes(path: &Path, mut opened: Opened) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    opened
        .reader
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(path, opened.gzip, &e))?;
    Ok(bytes)
}

/// A file of every sample (k6's per-request outputs, a JTL): its runs, not yet built.
fn per_sample(path: &Path, format: Format, opened: Opened) -> Result<Vec<Parsed>, InputError> {
    Ok(match format {
        Format::K6Csv => vec![super::k6::read_csv(path, opened.reader, opened.gzip)?],
        Format::K6Json => vec![super::k6::read_json(path, opened.reader, opened.gzip)?],
        Format::JMeterCsv { delimiter, header } => {
            super::jmeter::read_csv(path, opened.reader, opened.gzip, delimiter, header)?
        }
        Format::JMeterXml => {
            let bytes = all_bytes(path, opened)?;
            super::jmeter::read_xml(path, &bytes)?
        }
        _ => unreachable!("only per-sample formats come here"),
    })
}

/// `check a b … --merge` of per-sample files (k6's outputs, JTLs from several machines of one
/// test): every file's samples pooled into one run, so percentiles come from all of them exactly.
/// `Ok(None)` when the first input is not such a file (Locust's JSON merges by its histograms).
pub fn load_merged(inputs: &[PathBuf]) -> Result<Option<Run>> {
    let Some(first) = inputs.first() else {
        return Ok(None);
    };
    if !(first.is_file() || is_stdin(first)) {
        return Ok(None);
    }
    let mut merged: Option<Parsed> = None;
    for input in inputs {
        let opened = open(input)?;
        let format = detect(&opened.head, &name_of(input));
        let per_sample_format = matches!(
            format,
            Format::K6Csv | Format::K6Json | Format::JMeterCsv { .. } | Format::JMeterXml
        );
        if !per_sample_format {
            if merged.is_none() {
                return Ok(None);
            }
            return Err(InputError::file(
                input,
                "--merge pools the samples of per-request files (k6's --out csv/json, JMeter's JTL); this is not one",
            )
            .into());
        }
        let mut parsed = per_sample(input, format, opened)?;
        if parsed.len() != 1 {
            return Err(InputError::file(
                input,
                format!(
                    "holds {} runs appended to one file: --merge takes one run from each machine",
                    parsed.len()
                ),
            )
            .into());
        }
        let parsed = parsed.remove(0);
        merged = Some(match merged {
            None => parsed,
            Some(mut into) => {
                if into.dialect != parsed.dialect {
                    return Err(InputError::file(
                        input,
                        format!(
                            "--merge of a {} file with {} ones: one test's files come from one tool",
                            parsed.dialect.as_str(),
                            into.dialect.as_str()
                        ),
                    )
                    .into());
                }
                into.samples
                    .absorb(parsed.samples)
                    .map_err(|why| InputError::file(input, why))?;
                merge_verdicts(&mut into.info.tool, parsed.info.tool);
                into
            }
        });
    }
    let Some(mut merged) = merged else {
        return Ok(None);
    };
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    merged.notes.insert(
        0,
        format!(
            "{} files merged into one run ({}): every sample pooled, so percentiles are computed from all of them; users added up second by second",
            inputs.len(),
            names.join(", ")
        ),
    );
    Ok(Some(merged.into_run(first)?))
}

/// k6's checks of several machines: passes and fails added by check; thresholds listed once;
/// groups' figures cannot be pooled from their summaries, so they are dropped.
fn merge_verdicts(into: &mut crate::model::ToolVerdicts, other: crate::model::ToolVerdicts) {
    for check in other.checks {
        match into
            .checks
            .iter_mut()
            .find(|c| c.name == check.name && c.group == check.group)
        {
            Some(c) => {
                c.passes += check.passes;
                c.fails += check.fails;
            }
            None => into.checks.push(check),
        }
    }
    for threshold in other.thresholds {
        if !into.thresholds.contains(&threshold) {
            into.thresholds.push(threshold);
        }
    }
    into.groups.clear();
}

/// `check -`: standard input, in any format one file can hold. Locust's HTML and JSON are read
/// through a temporary file of the right name (their readers take paths); the CSVs are several files.
fn from_stdin() -> Result<Vec<Run>> {
    let stdin = Path::new("-");
    let bytes = stdin_bytes()?;
    let opened = open(stdin)?;
    let format = detect(&opened.head, "");
    let format = match format {
        // Without a name, text that is not k6's, JMeter's or a log may still be Locust's JSON/HTML.
        Format::Unknown | Format::Locust => Format::Locust,
        other => other,
    };
    match read(stdin, format, opened, "standard input")? {
        Outcome::Runs(runs) => Ok(runs),
        Outcome::Locust => {
            let start = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_string();
            let start = start.trim_start_matches('\u{feff}').trim_start();
            let extension = if start.starts_with('[') {
                "json"
            } else if start.starts_with('<') {
                "html"
            } else {
                return Err(InputError::file(
                    stdin,
                    format!(
                        "standard input is in none of the formats loadgate reads from a pipe (Locust's CSVs are several files: name their --csv prefix instead); tried {TRIED}"
                    ),
                )
                .into());
            };
            let dir = tempfile::tempdir()?;
            let file: PathBuf = dir.path().join(format!("stdin.{extension}"));
            std::fs::write(&file, bytes.as_slice())?;
            let mut run = super::load_run(&file).map_err(|e| {
                anyhow::anyhow!(
                    "{}",
                    e.to_string().replace(&file.display().to_string(), "-")
                )
            })?;
            run.files.prefix = stdin.to_path_buf();
            run.files.stats = stdin.to_path_buf();
            run.files.history = None;
            run.files.failures = None;
            run.files.exceptions = None;
            Ok(vec![run])
        }
    }
}

/// Of several runs in one file, the one a command that takes a single run reads: the last, with a
/// note (`check` reads each).
pub fn last_of(input: &Path, mut runs: Vec<Run>) -> Run {
    let count = runs.len();
    let mut run = runs.pop().expect("a reader returns at least one run");
    if count > 1 {
        run.notes.insert(
            0,
            format!(
                "{} holds {count} runs; this is the last of them (check reads each)",
                input.display()
            ),
        );
    }
    run
}

/// Which of the formats loadgate reads another tool wrote `path` in (by its first bytes); `None`
/// for Locust's own files, a directory, a file that cannot be opened, and every other file.
pub fn result_format(path: &Path) -> Option<Format> {
    if !path.is_file() {
        return None;
    }
    let opened = open(path).ok()?;
    let format = detect(&opened.head, &name_of(path));
    (!matches!(
        format,
        Format::Locust | Format::Unknown | Format::Gatling { .. } | Format::K6NewSummary
    ))
    .then_some(format)
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use std::sync::LazyLock;

    use super::load;

    /// Real files of each format, read when the tests run.
    fn fixture(rel: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(rel);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if rel.ends_with(".gz") {
            use std::io::Read;
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut out)
                .unwrap();
            // The first 40 kB: enough of every kind of line.
            out.truncate(40_000);
            out
        } else {
            bytes
        }
    }
    static REAL: LazyLock<Vec<(&'static str, Vec<u8>)>> = LazyLock::new(|| {
        vec![
            ("r.log", fixture("locust-log/2.47.0.log")),
            ("o.log", fixture("locust-log/0.14.6.log")),
            ("r.json", fixture("k6/base-1.json.gz")),
            ("r.csv", fixture("k6/base-1.csv.gz")),
            ("s.json", fixture("k6/base-1.handle-summary.json")),
            ("r.jtl", fixture("jmeter/base-1.jtl")),
            ("t.jtl", fixture("jmeter/tab-dates.jtl")),
            ("x.jtl", fixture("jmeter/base-1.xml.gz")),
        ]
    });

    fn check(name: &str, bytes: &[u8]) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        // A run or an error, never a panic.
        let _ = load(&path);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn any_bytes_give_runs_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            for name in ["r.log", "r.jtl", "r.json", "r.csv", "r.xml"] {
                check(name, &bytes);
            }
        }

        #[test]
        fn any_cut_or_splice_of_a_real_file_gives_runs_or_an_error(
            which in 0usize..8, cut in 0usize..40_000, len in 0usize..64,
            junk in "[\\[\\]{}\":,0-9a-z.\\-|()%<>/= \\n\\t]{0,16}"
        ) {
            let (name, real) = &REAL[which];
            let cut = cut % real.len().max(1);
            let mut spliced = real.clone();
            let end = (cut + len).min(spliced.len());
            spliced.splice(cut..end, junk.bytes());
            check(name, &spliced);
            check(name, &real[..cut]);
        }
    }
}
