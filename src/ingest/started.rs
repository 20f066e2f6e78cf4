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
