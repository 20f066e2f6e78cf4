//! Which endpoint (or the whole run) a row is about, the same way in the stats and history readers:
//! Locust's spellings of the whole-run row (`Aggregated`, 0.x's `Total`, with an empty or `None`
//! type) all become one aggregate, and a run with unbounded endpoint names is refused.

use crate::locust_format::{AGGREGATED, AGGREGATE_NAMES};
use crate::model::EndpointKey;

/// More endpoints than this is refused: Locust itself struggles long before, and it always means
/// unbounded names (IDs in URLs not grouped with `name=`). Bounds memory and report size.
pub const MAX_ENDPOINTS: usize = 10_000;

/// The error for a run with more than `MAX_ENDPOINTS` endpoints.
pub(crate) fn too_many_endpoints() -> String {
    format!(
        "more than {MAX_ENDPOINTS} endpoints: the names are probably unbounded (IDs in URLs); group them with Locust's name= (e.g. /items/[id])"
    )
}

/// Whether a row with this type and name is the whole-run row.
pub(crate) fn is_aggregate_row(method: &str, name: &str) -> bool {
    let method = method.trim();
    (method.is_empty() || method == "None") && AGGREGATE_NAMES.contains(&name)
}

/// The key of the whole-run row, whatever the file called it.
pub(crate) fn aggregate_key() -> EndpointKey {
    EndpointKey::new("", AGGREGATED)
}

/// The scope a history row belongs to: `(key, is the aggregate)`. A history without a `Name`
/// column has only the aggregate.
pub(crate) fn history_scope(method: &str, name: Option<&str>) -> (EndpointKey, bool) {
    let name = name.unwrap_or(AGGREGATED);
    if is_aggregate_row(method, name) {
        (aggregate_key(), true)
    } else {
        (EndpointKey::new(method.trim(), name), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_the_whole_run_row_is_the_aggregate() {
        for (method, name) in [
            ("", Some("Aggregated")),
            ("None", Some("Aggregated")),
            (" ", Some("Total")),
            ("", None),
        ] {
            let (key, aggregated) = history_scope(method, name);
            assert!(aggregated, "{method:?} {name:?}");
            assert_eq!(key, aggregate_key());
        }
        let (key, aggregated) = history_scope("GET ", Some("/a"));
        assert_eq!((key, aggregated), (EndpointKey::new("GET", "/a"), false));
        assert!(!is_aggregate_row("GET", "Aggregated"));
    }
}
