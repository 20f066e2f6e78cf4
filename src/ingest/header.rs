//! What a CSV header says: which of Locust's files it belongs to. Every reader checks this first, so
//! that a file passed in the wrong place ("this is Locust's failures file, not its stats file") or a
//! file that is no Locust CSV at all is named as such instead of failing on a missing column.

use super::error::InputError;
use super::table::{canonical, Table};
use crate::locust_format::{
    column, EXCEPTIONS_SUFFIX, FAILURES_SUFFIX, HISTORY_SUFFIX, STATS_SUFFIX,
};

/// What kind of Locust file a header belongs to (`stats`, `stats history`, `failures`, `exceptions`)
/// and its file suffix.
fn kind_of_header(header: &[String]) -> Option<(&'static str, &'static str)> {
    let has = |names: &[&str]| {
        header
            .iter()
            .any(|h| names.contains(&canonical(h).as_str()))
    };
    // locustio 0.13–0.14's history has no user count, but no stats file has a timestamp.
    if has(column::TIMESTAMP) && (has(column::USER_COUNT) || has(column::REQUESTS)) {
        Some(("stats history", HISTORY_SUFFIX))
    } else if has(column::OCCURRENCES) && has(column::ERROR) {
        Some(("failures", FAILURES_SUFFIX))
    } else if has(column::TRACEBACK) {
        Some(("exceptions", EXCEPTIONS_SUFFIX))
    } else if has(column::REQUESTS) {
        Some(("stats", STATS_SUFFIX))
    } else {
        None
    }
}

/// What kind of Locust file `path` is by its header (`stats`, `stats history`, `failures`,
/// `exceptions`), whatever its name; `None` for a file that cannot be read or is none of them.
pub(crate) fn kind_of_file(path: &std::path::Path) -> Option<&'static str> {
    let table = Table::open(path).ok()?;
    kind_of_header(table.header()).map(|(kind, _)| kind)
}

/// The error for a table whose header is not of the `expected` kind, if it is not.
pub(crate) fn wrong_kind(table: &Table, expected: &str) -> Option<InputError> {
    match kind_of_header(table.header()) {
        Some((kind, suffix)) if kind != expected => Some(InputError::at_line(
            table.path(),
            1,
            format!("this is Locust's {kind} file ({suffix}), not its {expected} file"),
        )),
        None => Some(InputError::at_line(
            table.path(),
            1,
            format!(
                "not a Locust {expected} file: unrecognised header '{}'",
                shorten_header(table.header())
            ),
        )),
        _ => None,
    }
}

fn shorten_header(header: &[String]) -> String {
    let joined = header.join(",");
    if joined.chars().count() > 120 {
        format!("{}…", joined.chars().take(120).collect::<String>())
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::kind_of_header;
    use crate::locust_format::{EXCEPTIONS_HEADER, FAILURES_HEADER, HISTORY_HEADER, STATS_HEADER};

    #[test]
    fn each_header_locust_writes_is_recognised() {
        let kind = |header: &str| {
            let cells: Vec<String> = header.split(',').map(str::to_string).collect();
            kind_of_header(&cells).map(|(kind, _)| kind)
        };
        assert_eq!(kind(STATS_HEADER), Some("stats"));
        assert_eq!(kind(HISTORY_HEADER), Some("stats history"));
        assert_eq!(kind(FAILURES_HEADER), Some("failures"));
        assert_eq!(kind(EXCEPTIONS_HEADER), Some("exceptions"));
        assert_eq!(kind("a,b,c"), None);
        let v014 = "\"Type\",\"Name\",\"Timestamp\",\"# requests\",\"# failures\",\"Requests/s\",\"Average response time\",\"50%\"";
        let cells: Vec<String> = v014
            .split(',')
            .map(|c| c.trim_matches('"').to_string())
            .collect();
        assert_eq!(
            kind_of_header(&cells).map(|(kind, _)| kind),
            Some("stats history")
        );
    }
}
