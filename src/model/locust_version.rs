//! Which Locust wrote a run, and what that means for comparing two runs: Locust 2.46.2 fixed
//! percentiles that requests without a response time had deflated (locustio/locust#3472, #3473),
//! so a run before it and one from it on are not measured alike.

/// A Locust version as `--version` and the log print it (`2.47.0`, `1.6.0`, `0.14.6`,
/// `2.47.1.dev12`): its numeric parts, the rest ignored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocustVersion(Vec<u32>);

/// The first release whose percentiles leave out requests without a response time.
pub const PERCENTILE_FIX: [u32; 3] = [2, 46, 2];

impl LocustVersion {
    /// `None` for text that is not a version (no leading number).
    pub fn parse(text: &str) -> Option<LocustVersion> {
        let parts: Vec<u32> = text
            .trim()
            .trim_start_matches('v')
            .split('.')
            .map_while(|p| p.parse::<u32>().ok())
            .collect();
        (!parts.is_empty() && parts.len() <= 4).then_some(LocustVersion(parts))
    }

    /// Whether this version computes percentiles the way 2.46.2 and later do.
    pub fn has_percentile_fix(&self) -> bool {
        let mut parts = self.0.clone();
        parts.resize(3, 0);
        parts[..3] >= PERCENTILE_FIX[..]
    }
}

/// Whether two runs' Locust versions lie on both sides of 2.46.2's percentile fix (`false` when
/// either is unknown or not a version: nothing can be said).
pub fn straddles_percentile_fix(a: Option<&str>, b: Option<&str>) -> bool {
    match (
        a.and_then(LocustVersion::parse),
        b.and_then(LocustVersion::parse),
    ) {
        (Some(a), Some(b)) => a.has_percentile_fix() != b.has_percentile_fix(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fix_is_from_2_46_2_on() {
        for (v, fixed) in [
            ("2.46.2", true),
            ("2.47.0", true),
            ("3.0", true),
            ("2.46.1", false),
            ("2.15.1", false),
            ("1.6.0", false),
            ("0.14.6", false),
            ("2.47.1.dev12", true),
        ] {
            assert_eq!(
                LocustVersion::parse(v).unwrap().has_percentile_fix(),
                fixed,
                "{v}"
            );
        }
        assert_eq!(LocustVersion::parse("latest"), None);
    }

    #[test]
    fn only_known_versions_on_both_sides_straddle() {
        assert!(straddles_percentile_fix(Some("2.15.1"), Some("2.47.0")));
        assert!(!straddles_percentile_fix(Some("2.46.2"), Some("2.47.0")));
        assert!(!straddles_percentile_fix(Some("2.15.1"), Some("1.6.0")));
        assert!(!straddles_percentile_fix(None, Some("2.47.0")));
    }
}
