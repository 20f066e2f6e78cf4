//! Readers for Locust's HTML report (`--html`) and JSON output (`--json`, `--json-file`). Each turns
//! its file into the same [`Run`] the CSV readers make; `docs/input-formats.md` says what each
//! Locust version writes and what maps to what.
//!
//! `html` and `json` each read their format over three leaves they share: `walk` (a JSON value with
//! the path that led to it), `source` (places in the file, the files a report stands for) and
//! `stream` (the file read as it goes: neither the text nor a tree of it is held whole).

mod html;
mod json;
mod source;
mod stream;
pub(crate) mod walk;

use std::path::{Path, PathBuf};

use crate::ingest::error::InputError;
use crate::model::Run;

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
    let run = if html {
        html::read(input)?
    } else {
        json::read(input)?
    };
    Ok(Some(run))
}

/// `check … --merge`: several Locust JSON files of one test (from several machines) as one run.
/// Only JSON merges exactly: it keeps each endpoint's histogram; CSVs and HTML reports keep a few
/// percentiles, and percentiles of two runs cannot be combined into the percentiles of both.
pub fn load_merged(inputs: &[PathBuf]) -> anyhow::Result<Run> {
    let inputs = json_files_of(inputs)?;
    if inputs.len() < 2 {
        anyhow::bail!("--merge needs two or more Locust JSON files (one run from each machine)");
    }
    let mut read = Vec::with_capacity(inputs.len());
    for input in &inputs {
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
        read.push(input.as_path());
    }
    Ok(json::read_merged(&read)?)
}

/// The inputs of `--merge`, each directory replaced by the `.json` files directly in it (by name):
/// the folder a CI matrix's artifacts were downloaded into.
fn json_files_of(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::with_capacity(inputs.len());
    for input in inputs {
        if !input.is_dir() {
            files.push(input.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir(input)
            .map_err(|e| InputError::file(input, format!("cannot read the directory: {e}")))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && !crate::ingest::runner_record::is_runner_record(p)
                    && p.extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            })
            .collect();
        if found.is_empty() {
            return Err(InputError::file(
                input,
                "no Locust JSON file (*.json) in this directory to merge".to_string(),
            )
            .into());
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
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
