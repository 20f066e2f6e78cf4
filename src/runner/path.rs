//! Where a record goes by default: beside the files the load test writes, so that `check` and
//! `compare` find it with the run.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::locust_format::with_suffix;
use crate::model::{RUNNER_FILE, RUNNER_SUFFIX};

/// `PREFIX_runner.json` for `--csv PREFIX`; for `--json-file X` and `--html X` the name without
/// its `.json`/`.html` (where loadgate reads those runs from, `X` is their prefix); else
/// `loadgate-runner.json` in the current directory. The flags of Locust and `loadgate run`, in
/// `--flag VALUE` or `--flag=VALUE` form, anywhere in the command (a wrapper such as `taskset -c 0
/// locust …` included).
pub fn default_path(command: &[OsString]) -> PathBuf {
    let args: Vec<&str> = command.iter().skip(1).filter_map(|a| a.to_str()).collect();
    for flag in ["--csv", "--json-file", "--html"] {
        if let Some(value) = flag_value(&args, flag).filter(|v| !v.is_empty()) {
            let prefix = Path::new(value);
            let prefix = if flag == "--csv" {
                prefix.to_path_buf()
            } else {
                without_report_extension(prefix)
            };
            return with_suffix(&prefix, RUNNER_SUFFIX);
        }
    }
    PathBuf::from(RUNNER_FILE)
}

fn flag_value<'a>(args: &[&'a str], flag: &str) -> Option<&'a str> {
    args.iter().enumerate().find_map(|(i, arg)| {
        if *arg == flag {
            args.get(i + 1).copied()
        } else {
            arg.strip_prefix(flag)?.strip_prefix('=')
        }
    })
}

fn without_report_extension(path: &Path) -> PathBuf {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if ["json", "html", "htm"].contains(&e.to_ascii_lowercase().as_str()) => {
            path.with_extension("")
        }
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_for(command: &str) -> PathBuf {
        let args: Vec<OsString> = command.split(' ').map(OsString::from).collect();
        default_path(&args)
    }

    #[test]
    fn the_record_goes_beside_the_files_the_command_names() {
        let cases = [
            (
                "locust -f l.py --headless --csv out/run",
                "out/run_runner.json",
            ),
            (
                "locust --csv=out/run --html out/r.html",
                "out/run_runner.json",
            ),
            ("locust --json-file out/run", "out/run_runner.json"),
            ("locust --json-file out/run.json", "out/run_runner.json"),
            ("locust --html=out/report.HTML", "out/report_runner.json"),
            (
                "loadgate run -H http://127.0.0.1:8089 --csv night",
                "night_runner.json",
            ),
            ("taskset -c 0 locust --csv r", "r_runner.json"),
            ("k6 run script.js", RUNNER_FILE),
            // Just outside: a flag that only starts like one, a flag with no value.
            ("locust --csv-full-history --csvx a", RUNNER_FILE),
            ("locust --csv", RUNNER_FILE),
            ("locust --csv=", RUNNER_FILE),
            // --csv wins over the reports, wherever it stands.
            ("locust --html out/r.html --csv out/c", "out/c_runner.json"),
        ];
        for (command, expected) in cases {
            assert_eq!(path_for(command), PathBuf::from(expected), "{command}");
        }
    }
}
