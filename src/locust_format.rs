//! Locust's CSV format as names: the files a `--csv PREFIX` run writes and the headers in them. The
//! one place that spells them, for the readers (`ingest`) and the writer (`generator::csv_writer`)
//! alike, so the two cannot drift apart. A leaf: it imports nothing of the project.
//!
//! Column aliases are in the canonical form the readers compare headers in (lower case, single
//! spaces, no leading `#`: `ingest`'s `canonical`), newest spelling first; a reader takes the first
//! header matching any of them.

use std::path::{Path, PathBuf};

/// `PREFIX_stats.csv`: one row per endpoint and the whole-run `Aggregated` row.
pub const STATS_SUFFIX: &str = "_stats.csv";
/// locustio 0.8–0.12 wrote the stats as `PREFIX_requests.csv` (and no other file loadgate reads).
pub const LEGACY_STATS_SUFFIX: &str = "_requests.csv";
/// `PREFIX_stats_history.csv`: a row a second (per endpoint too with `--csv-full-history`).
pub const HISTORY_SUFFIX: &str = "_stats_history.csv";
/// `PREFIX_failures.csv`: one row per distinct error message of an endpoint.
pub const FAILURES_SUFFIX: &str = "_failures.csv";
/// `PREFIX_exceptions.csv`: one row per distinct exception in user code.
pub const EXCEPTIONS_SUFFIX: &str = "_exceptions.csv";
/// locustio 0.8–0.13.0 kept the percentiles apart from the stats, in `PREFIX_distribution.csv`
/// (names there are `"GET /path"`, the aggregate `"Total"`).
pub const DISTRIBUTION_SUFFIX: &str = "_distribution.csv";

/// The suffixes that name a run's stats file, current first.
pub const STATS_SUFFIXES: [&str; 2] = [STATS_SUFFIX, LEGACY_STATS_SUFFIX];

/// `PREFIX` + `suffix` (`night` + `_stats.csv` = `night_stats.csv`), on the raw OS string.
pub fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut os = prefix.as_os_str().to_os_string();
    os.push(suffix);
    PathBuf::from(os)
}

/// Locust 2.x's `_stats.csv` header, as it writes it.
pub const STATS_HEADER: &str = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%";
/// Locust 2.x's `_stats_history.csv` header, as it writes it.
pub const HISTORY_HEADER: &str = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size";
/// Locust 2.44's `_failures.csv` header (older versions lack `First Seen` and `Last Seen`).
pub const FAILURES_HEADER: &str = "Method,Name,Error,Occurrences,First Seen,Last Seen";
/// Locust 2.x's `_exceptions.csv` header.
pub const EXCEPTIONS_HEADER: &str = "Count,Message,Traceback,Nodes";

/// The names Locust has used for the whole-run row: `Aggregated` (1.x, 2.x) and `Total` (0.x).
pub const AGGREGATE_NAMES: [&str; 2] = ["Aggregated", "Total"];
/// The name loadgate gives the whole-run row, whatever the file called it.
pub const AGGREGATED: &str = "Aggregated";

/// Column aliases, canonical form (see the module comment).
pub mod column {
    /// Locust 1.x+ `Type`, 0.x `Method` (and `Method` in every failures file).
    pub const METHOD: &[&str] = &["type", "method"];
    pub const NAME: &[&str] = &["name"];
    /// 1.x+ `Request Count`, 0.x `# requests` (`#` dropped), `# reqs`.
    pub const REQUESTS: &[&str] = &["request count", "requests", "reqs"];
    pub const FAILURES: &[&str] = &["failure count", "failures", "fails"];
    pub const MEDIAN: &[&str] = &["median response time"];
    pub const AVERAGE: &[&str] = &["average response time"];
    pub const MIN: &[&str] = &["min response time"];
    pub const MAX: &[&str] = &["max response time"];
    pub const CONTENT: &[&str] = &["average content size"];
    pub const RPS: &[&str] = &["requests/s"];
    /// `Requests Failed/s` is locustio 0.13–0.14's name for it.
    pub const FPS: &[&str] = &["failures/s", "requests failed/s"];

    // `_stats_history.csv`.
    pub const TIMESTAMP: &[&str] = &["timestamp"];
    pub const USER_COUNT: &[&str] = &["user count"];
    pub const P50: &[&str] = &["50%"];
    pub const P95: &[&str] = &["95%"];
    pub const P99: &[&str] = &["99%"];
    pub const TOTAL_REQUESTS: &[&str] = &["total request count", "requests"];
    pub const TOTAL_FAILURES: &[&str] = &["total failure count", "failures"];
    /// locustio 0.13–0.14's history writes the run's totals so far under the stats' own names.
    pub const TOTAL_AVERAGE: &[&str] = &["total average response time", "average response time"];

    // `_failures.csv`.
    pub const ERROR: &[&str] = &["error"];
    pub const OCCURRENCES: &[&str] = &["occurrences"];
    pub const FIRST_SEEN: &[&str] = &["first seen"];
    pub const LAST_SEEN: &[&str] = &["last seen"];

    // `_exceptions.csv`.
    pub const COUNT: &[&str] = &["count"];
    pub const MESSAGE: &[&str] = &["message"];
    pub const TRACEBACK: &[&str] = &["traceback"];
    pub const NODES: &[&str] = &["nodes"];
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lower case and single spaces: what a header becomes before it is compared.
    fn folded(header: &str) -> String {
        header
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    }

    #[test]
    fn every_column_the_readers_need_is_in_the_headers_the_writer_writes() {
        let has = |header: &str, aliases: &[&str]| {
            header
                .split(',')
                .any(|h| aliases.contains(&folded(h).as_str()))
        };
        use column::*;
        for aliases in [
            METHOD, NAME, REQUESTS, FAILURES, MEDIAN, AVERAGE, MIN, MAX, CONTENT, RPS, FPS,
        ] {
            assert!(has(STATS_HEADER, aliases), "{aliases:?}");
        }
        for aliases in [
            TIMESTAMP,
            USER_COUNT,
            METHOD,
            NAME,
            P50,
            P95,
            P99,
            TOTAL_REQUESTS,
            TOTAL_FAILURES,
            TOTAL_AVERAGE,
        ] {
            assert!(has(HISTORY_HEADER, aliases), "{aliases:?}");
        }
        for aliases in [METHOD, NAME, ERROR, OCCURRENCES, FIRST_SEEN, LAST_SEEN] {
            assert!(has(FAILURES_HEADER, aliases), "{aliases:?}");
        }
        for aliases in [COUNT, MESSAGE, TRACEBACK, NODES] {
            assert!(has(EXCEPTIONS_HEADER, aliases), "{aliases:?}");
        }
    }

    #[test]
    fn suffixes_append_to_the_prefix() {
        assert_eq!(
            with_suffix(Path::new("out/night"), HISTORY_SUFFIX),
            PathBuf::from("out/night_stats_history.csv")
        );
        // A stats suffix is not a suffix of the history's name: a directory scan tells them apart.
        assert!(!"x_stats_history.csv".ends_with(STATS_SUFFIX));
    }
}
