//! What a profile's sections apply to: endpoint overrides (by name glob and method) and the failures
//! a test expects (by status, message, endpoint).

use serde::{Deserialize, Serialize};

use super::bands::Limits;
use crate::glob::glob_match;

/// Limits for the endpoints whose name matches `name` (exact, or a glob with `*` and `?`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointOverride {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Leave matching endpoints out of grading altogether.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip: bool,
    #[serde(flatten)]
    pub limits: Limits,
}

impl EndpointOverride {
    pub fn matches(&self, method: &str, name: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && glob_match(&self.name, name)
    }
}

/// HTTP statuses as one number or a list.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Statuses {
    One(u16),
    Many(Vec<u16>),
}

impl Statuses {
    pub fn contains(&self, status: u16) -> bool {
        match self {
            Statuses::One(s) => *s == status,
            Statuses::Many(list) => list.contains(&status),
        }
    }
}

/// Failures the test expects (such as 429 under rate limiting): kept out of the graded error rate.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFailure {
    /// HTTP status(es), read from the failure message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Statuses>,
    /// A glob over the failure message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A glob over the endpoint name; all endpoints when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Why these failures are fine, shown in reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ExpectedFailure {
    /// Whether a failure of `method name` with `message` (and the HTTP `status` read from it)
    /// is one of these.
    pub fn matches(&self, method: &str, name: &str, message: &str, status: Option<u16>) -> bool {
        let status_ok = self
            .status
            .as_ref()
            .is_none_or(|s| status.is_some_and(|code| s.contains(code)));
        status_ok
            && self
                .message
                .as_deref()
                .is_none_or(|p| glob_match(p, message))
            && self.name.as_deref().is_none_or(|p| glob_match(p, name))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}
