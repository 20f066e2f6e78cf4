//! When a run started, by one rule for every command: the first timestamp of its history, else the
//! earliest `First Seen` of its failures (Locust 2.44 and later write it), else unknown. A run
//! without a history (Locust without `--csv-full-history`'s sibling file, or a history that was
//! deleted) can still be placed in time by its failures.

use crate::model::FailureRecord;

/// The start of a run from its history's first timestamp, else from its failures' earliest
/// `First Seen` (ISO-8601 / RFC 3339; unparseable ones are ignored). A caller that must read a
/// failures file only for this can pass `&[]` when `history_start` is known.
pub fn started_at(history_start: Option<i64>, failures: &[FailureRecord]) -> Option<i64> {
    history_start.or_else(|| failures.iter().filter_map(first_seen_unix).min())
}

/// A time a nightly job wrote into the run's path (`2020-06-19T12:43:50/run`, `nightly-2026-11-30`):
/// the deepest component that reads as one, as UTC. The last resort for runs whose files carry
/// no time of their own.
pub fn time_in_path(path: &std::path::Path) -> Option<i64> {
    const FORMATS: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H-%M-%S",
        "%Y-%m-%d_%H-%M-%S",
        "%Y%m%dT%H%M%S",
    ];
    path.components().rev().find_map(|component| {
        let text = component.as_os_str().to_str()?;
        let bytes = text.as_bytes();
        // A time starts at a digit that no other digit precedes (`run-2026-…`, never `-2026`).
        let starts = (0..text.len())
            .filter(|&i| bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()));
        starts.into_iter().find_map(|start| {
            let rest = &text[start..];
            let datetime = FORMATS.iter().find_map(|f| {
                chrono::NaiveDateTime::parse_and_remainder(rest, f)
                    .ok()
                    .map(|(t, _)| t)
            });
            let date = || {
                chrono::NaiveDate::parse_and_remainder(rest, "%Y-%m-%d")
                    .ok()
                    .and_then(|(d, _)| d.and_hms_opt(0, 0, 0))
            };
            datetime.or_else(date).map(|t| t.and_utc().timestamp())
        })
    })
}

/// A failure's `First Seen` as Unix seconds, when it has a readable one.
pub fn first_seen_unix(failure: &FailureRecord) -> Option<i64> {
    let text = failure.first_seen.as_deref()?;
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EndpointKey;

    fn failure(first_seen: Option<&str>) -> FailureRecord {
        FailureRecord {
            key: EndpointKey::new("GET", "/a"),
            message: "boom".to_string(),
            status_code: None,
            occurrences: 1,
            first_seen: first_seen.map(str::to_string),
            last_seen: None,
        }
    }

    #[test]
    fn a_time_in_the_path_is_read_from_the_deepest_component() {
        use std::path::Path;
        let at = |p: &str| time_in_path(Path::new(p));
        assert_eq!(
            at("archive/2020-06-19T12:43:50/run_output"),
            Some(1_592_570_630)
        );
        assert_eq!(at("nightly-2026-11-30/run"), Some(1_795_996_800));
        assert_eq!(at("2026-11-30/2020-06-19T12:43:50"), Some(1_592_570_630));
        assert_eq!(at("runs/run-42"), None);
        assert_eq!(
            at("c-2026-11-01T02:00:00"),
            Some(1_793_498_400),
            "not year -2026"
        );
    }

    #[test]
    fn the_history_wins_then_the_earliest_first_seen() {
        let failures = [
            failure(Some("2026-11-23T03:00:05Z")),
            failure(Some("2026-11-23T03:00:01Z")),
            failure(Some("not a time")),
            failure(None),
        ];
        assert_eq!(started_at(Some(7), &failures), Some(7));
        assert_eq!(started_at(None, &failures), Some(1_795_402_801));
        assert_eq!(started_at(None, &failures[2..]), None);
        assert_eq!(started_at(None, &[]), None);
    }
}
