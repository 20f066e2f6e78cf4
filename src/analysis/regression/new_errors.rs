//! New errors against a baseline: failure and exception signatures (see
//! [`crate::analysis::signatures`]) the kept runs never had, and ones whose count grew beyond
//! Poisson noise at the current run's request count.

use crate::analysis::signatures::{Change, NewError, SignatureCount};
use crate::analysis::summary::RunSummary;
use crate::model::Status;
use crate::profile::{ErrorRules, Rule};

/// The note of a comparison whose baseline kept no signatures.
pub(super) const NOT_CHECKED: &str = "the baseline keeps no failure signatures (saved by an older loadgate): new errors are not checked; save it again to check them";

/// The signatures of `current` that the kept runs did not have, or had fewer of beyond noise.
/// `None` when no kept run recorded signatures (a baseline saved before they were kept).
pub fn new_errors(
    kept: &[RunSummary],
    current: &[SignatureCount],
    rules: &ErrorRules,
    z: f64,
) -> Option<Vec<NewError>> {
    let recorded: Vec<&Vec<SignatureCount>> =
        kept.iter().filter_map(|r| r.signatures.as_ref()).collect();
    if recorded.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for cur in current.iter().filter(|c| c.count >= rules.min_count) {
        let seen: Vec<&SignatureCount> = recorded
            .iter()
            .filter_map(|sigs| sigs.iter().find(|b| b.same(cur)))
            .collect();
        let judged = if seen.is_empty() {
            rule_status(rules.new).map(|status| NewError {
                current: cur.clone(),
                expected: 0.0,
                baseline_count: 0,
                change: Change::New,
                status,
                reason: format!(
                    "{} ×{}: not in the baseline ({} kept run{})",
                    cur.label(),
                    cur.count,
                    recorded.len(),
                    if recorded.len() == 1 { "" } else { "s" }
                ),
            })
        } else {
            let (expected, baseline_count) = seen
                .iter()
                .map(|b| (scaled(b, cur.requests), b.count))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .unwrap_or((0.0, 0));
            grown(cur.count, expected, z)
                .then(|| rule_status(rules.grown))
                .flatten()
                .map(|status| NewError {
                    current: cur.clone(),
                    expected,
                    baseline_count,
                    change: Change::Grown,
                    status,
                    reason: format!(
                        "{} ×{}: the baseline's rate gives {expected:.1} at {} requests (it had {baseline_count}); more than {z:.1} standard deviations of Poisson noise",
                        cur.label(),
                        cur.count,
                        cur.requests,
                    ),
                })
        };
        out.extend(judged);
    }
    Some(out)
}

/// The baseline's count at the current run's requests.
fn scaled(baseline: &SignatureCount, requests: u64) -> f64 {
    if baseline.requests == 0 {
        return baseline.count as f64;
    }
    baseline.count as f64 * requests as f64 / baseline.requests as f64
}

/// Whether `count` is beyond the Poisson noise of `expected` at `z` standard deviations (a floor
/// of one occurrence of variance, so that 0.1 expected does not make 1 significant).
pub fn grown(count: u64, expected: f64, z: f64) -> bool {
    count as f64 > expected + z * expected.max(1.0).sqrt()
}

fn rule_status(rule: Rule) -> Option<Status> {
    match rule {
        Rule::Off => None,
        Rule::Warn => Some(Status::Warn),
        Rule::Fail => Some(Status::Fail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_must_clear_poisson_noise() {
        let z = 3.0;
        // Expected 100: the line is 100 + 3·10 = 130.
        assert!(!grown(130, 100.0, z));
        assert!(grown(131, 100.0, z));
        // Expected 0.2: the floor of one gives 0.2 + 3 = 3.2.
        assert!(!grown(3, 0.2, z));
        assert!(grown(4, 0.2, z));
    }

    fn sig(signature: &str, count: u64, requests: u64) -> SignatureCount {
        SignatureCount {
            kind: "failure".into(),
            method: "GET".into(),
            name: "/a".into(),
            status_code: Some(500),
            signature: signature.into(),
            example: signature.into(),
            count,
            requests,
        }
    }

    fn kept(signatures: Option<Vec<SignatureCount>>) -> RunSummary {
        let json = serde_json::json!({
            "source": "b", "format": "locust", "started_at": null, "duration_s": null,
            "peak_users": null,
            "aggregated": {"method": "", "name": "Aggregated", "requests": 1000, "failures": 0,
                "rps": 1.0, "avg": null, "max": null, "percentiles": [], "min": null},
            "endpoints": [],
        });
        RunSummary {
            signatures,
            ..serde_json::from_value(json).unwrap()
        }
    }

    #[test]
    fn new_and_grown_signatures_are_judged_by_the_profile_rules() {
        let rules = ErrorRules::default();
        let base = [kept(Some(vec![sig("boom #", 100, 1000)]))];
        let current = [sig("boom #", 130, 1000), sig("bang", 2, 1000)];
        let found = new_errors(&base, &current, &rules, 3.0).unwrap();
        assert_eq!(found.len(), 1, "130 against 100 is noise: {found:#?}");
        assert_eq!(found[0].change, Change::New);
        assert_eq!(found[0].status, Status::Warn);
        assert_eq!(
            found[0].reason,
            "GET /a: bang ×2: not in the baseline (1 kept run)"
        );
        // Twice the requests: 100 at 1000 is 200 expected at 2000, noise up to 200 + 3·√200 = 242.4.
        let current = [sig("boom #", 242, 2000)];
        assert!(new_errors(&base, &current, &rules, 3.0).unwrap().is_empty());
        let current = [sig("boom #", 131, 1000)];
        let grown = new_errors(&base, &current, &rules, 3.0).unwrap();
        assert_eq!(grown[0].change, Change::Grown);
        let strict = ErrorRules {
            new: Rule::Fail,
            grown: Rule::Off,
            min_count: 3,
        };
        let current = [
            sig("boom #", 500, 1000),
            sig("bang", 2, 1000),
            sig("crash", 3, 1000),
        ];
        let found = new_errors(&base, &current, &strict, 3.0).unwrap();
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            (found[0].current.signature.as_str(), found[0].status),
            ("crash", Status::Fail)
        );
        // A baseline saved before signatures were kept cannot say.
        assert!(new_errors(&[kept(None)], &current, &rules, 3.0).is_none());
    }
}
