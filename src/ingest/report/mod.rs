//! Readers for Locust's HTML report (`--html`) and JSON output (`--json`, `--json-file`). Each turns
//! its file into the same [`Run`] the CSV readers make; `docs/input-formats.md` says what each
//! Locust version writes and what maps to what.

mod html;
mod json;
mod walk;

use std::collections::BTreeMap;
use std::path::Path;

use crate::ingest::error::InputError;
use crate::model::{Run, RunFiles};

/// Reads `input` when it names a report (`.html`, `.htm` or `.json`); `Ok(None)` for anything else,
/// which the CSV discovery then handles.
pub fn load(input: &Path) -> anyhow::Result<Option<Run>> {
    let extension = input
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let html = match extension.as_deref() {
        Some("html" | "htm") => true,
        Some("json") => false,
        _ => return Ok(None),
    };
    if input.is_dir() {
        return Ok(None);
    }
    let bytes = std::fs::read(input).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::NotFound {
            "no such file".to_string()
        } else {
            format!("cannot read the file: {e}")
        };
        InputError::file(input, why)
    })?;
    let run = if html {
        html::read(input, &bytes)?
    } else {
        json::read(input, &bytes)?
    };
    Ok(Some(run))
}

/// `check … --merge`: several Locust JSON files of one test (from several machines) as one run.
/// Only JSON merges exactly: it keeps each endpoint's histogram; CSVs and HTML reports keep a few
/// percentiles, and percentiles of two runs cannot be combined into the percentiles of both.
pub fn load_merged(inputs: &[std::path::PathBuf]) -> anyhow::Result<Run> {
    if inputs.len() < 2 {
        anyhow::bail!("--merge needs two or more Locust JSON files (one run from each machine)");
    }
    let mut read = Vec::with_capacity(inputs.len());
    for input in inputs {
        let extension = input
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        if extension.as_deref() != Some("json") || input.is_dir() {
            anyhow::bail!(
                "{}: --merge reads Locust's JSON only (--json-file, or loadgate run --json-file): \
                 CSVs and HTML reports keep a few percentiles per endpoint, and the percentiles of \
                 two runs cannot be combined into those of both; the JSON keeps each endpoint's \
                 whole histogram, which adds exactly",
                input.display()
            );
        }
        let bytes = std::fs::read(input)
            .map_err(|e| InputError::file(input, format!("cannot read the file: {e}")))?;
        read.push((input.as_path(), bytes));
    }
    Ok(json::read_merged(&read)?)
}

/// The files of a run read from one report: the report stands where the stats file would.
fn files(path: &Path) -> RunFiles {
    RunFiles {
        prefix: path.with_extension(""),
        stats: path.to_path_buf(),
        history: None,
        failures: None,
        exceptions: None,
    }
}

/// 1-based line and byte column of `offset` in `text`.
fn position(text: &str, offset: usize) -> (u64, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let column = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (line, column)
}

fn at(path: &Path, (line, column): (u64, usize), message: impl Into<String>) -> InputError {
    InputError {
        line: Some(line),
        column: Some(column),
        ..InputError::file(path, message)
    }
}

fn utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, InputError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
        at(
            path,
            position(valid, valid.len()),
            "not UTF-8 text (a binary or damaged file?)",
        )
    })
}

/// A serde_json error in the JSON that starts at byte `start` of `text`, as `file:line:col`.
fn json_error(
    path: &Path,
    text: &str,
    start: usize,
    what: &str,
    e: &serde_json::Error,
) -> InputError {
    let (base_line, base_column) = position(text, start);
    let (line, column) = if e.line() <= 1 {
        (base_line, base_column + e.column().saturating_sub(1))
    } else {
        (base_line + e.line() as u64 - 1, e.column())
    };
    let why = if e.is_eof() {
        format!("{what} ends before its value does (a truncated file?)")
    } else {
        // serde_json appends its own "at line L column C", relative to the value: drop it.
        let text = e.to_string();
        let text = text.split(" at line ").next().unwrap_or(&text).to_string();
        format!("{what} is not valid JSON: {text}")
    };
    at(path, (line, column.max(1)), why)
}

/// A response-time histogram as Locust keeps it: bucketed milliseconds → request count.
#[derive(Debug, Clone, Default)]
pub(crate) struct Histogram {
    /// Keyed by the bits of a non-negative f64, which sort as the numbers do.
    buckets: BTreeMap<u64, u64>,
}

impl Histogram {
    pub fn add(&mut self, ms: f64, count: u64) {
        let ms = if ms == 0.0 { 0.0 } else { ms };
        let slot = self.buckets.entry(ms.to_bits()).or_insert(0);
        *slot = slot.saturating_add(count);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (&bits, &count) in &other.buckets {
            self.add(f64::from_bits(bits), count);
        }
    }

    pub fn total(&self) -> u64 {
        self.buckets
            .values()
            .fold(0u64, |a, &c| a.saturating_add(c))
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Locust's `calculate_response_time_percentile`: walk the buckets from the slowest down and
    /// return the first whose requests, with all slower ones, leave at most `int(n * p)` below it.
    pub fn percentile(&self, num_requests: u64, percent: f64) -> f64 {
        let allowed_below = (num_requests as f64 * percent) as u64;
        let mut processed = 0u64;
        for (&bits, &count) in self.buckets.iter().rev() {
            processed = processed.saturating_add(count);
            if num_requests.saturating_sub(processed) <= allowed_below {
                return f64::from_bits(bits);
            }
        }
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(pairs: &[(f64, u64)]) -> Histogram {
        let mut h = Histogram::default();
        for &(ms, n) in pairs {
            h.add(ms, n);
        }
        h
    }

    #[test]
    fn percentiles_walk_down_from_the_slowest_bucket_as_locust_does() {
        // 10 requests: 1 ms x5, 2 ms x3, 150 ms x2.
        let h = hist(&[(1.0, 5), (2.0, 3), (150.0, 2)]);
        // 50%: after 150 (2) and 2 (3), 5 requests are left below: int(10 * 0.5) = 5, so 2 ms.
        assert_eq!(h.percentile(10, 0.5), 2.0);
        assert_eq!(h.percentile(10, 0.66), 2.0);
        assert_eq!(h.percentile(10, 0.79), 2.0);
        assert_eq!(h.percentile(10, 0.8), 150.0);
        assert_eq!(h.percentile(10, 0.9), 150.0);
        assert_eq!(h.percentile(10, 1.0), 150.0);
        // Two requests: Locust's 50% is the upper one.
        assert_eq!(hist(&[(3.0, 1), (9.0, 1)]).percentile(2, 0.5), 9.0);
        assert_eq!(Histogram::default().percentile(0, 0.5), 0.0);
    }

    #[test]
    fn the_same_bucket_written_twice_is_one_bucket() {
        let h = hist(&[(150.0, 1), (150.0, 2), (0.0, 1), (-0.0, 1)]);
        assert_eq!(h.buckets.len(), 2);
        assert_eq!(h.total(), 5);
    }

    #[test]
    fn positions_are_one_based() {
        assert_eq!(position("ab\ncd", 0), (1, 1));
        assert_eq!(position("ab\ncd", 4), (2, 2));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::load;

    use std::sync::LazyLock;

    /// Real reports, read when the tests run: fixtures are not part of the source package.
    fn fixture(rel: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
    static PAGE: LazyLock<String> = LazyLock::new(|| fixture("html/locust-2.47.0.html"));
    static JSON: LazyLock<String> = LazyLock::new(|| fixture("json/locust-2.47.0.json"));

    fn check(name: &str, bytes: &[u8]) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        // Ok or Err, never a panic.
        let _ = load(&path);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_bytes_give_a_run_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            check("r.html", &bytes);
            check("r.json", &bytes);
        }

        #[test]
        fn any_cut_or_splice_of_a_real_report_gives_a_run_or_an_error(
            cut in 0usize..PAGE.len(), len in 0usize..64, junk in "[\\[\\]{}\":,0-9a-z.\\-\\\\ ]{0,16}"
        ) {
            let mut page = PAGE.as_bytes().to_vec();
            let end = (cut + len).min(page.len());
            page.splice(cut..end, junk.bytes());
            check("r.html", &page);
            let mut json = JSON.as_bytes().to_vec();
            let cut = cut % json.len();
            let end = (cut + len).min(json.len());
            json.splice(cut..end, junk.bytes());
            check("r.json", &json);
            check("r.json", &JSON.as_bytes()[..cut]);
        }
    }

    #[test]
    fn real_reports_read() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [("r.html", PAGE.as_str()), ("r.json", JSON.as_str())] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            let run = load(&path).unwrap().unwrap();
            assert_eq!(run.endpoints.len(), 8);
            assert_eq!(
                run.aggregated.requests,
                run.endpoints.iter().map(|e| e.requests).sum::<u64>()
            );
        }
    }
}
