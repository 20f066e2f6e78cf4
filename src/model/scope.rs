//! Which part of a run a figure, check or comparison is about: the aggregate, or one endpoint.

use serde::{Serialize, Serializer};

use super::EndpointKey;

/// The aggregate of all requests, or one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Aggregated,
    Endpoint(EndpointKey),
}

impl Scope {
    /// The aggregate's label in every report.
    pub const AGGREGATED: &'static str = "aggregated";

    /// `aggregated`, or the endpoint as `METHOD name`.
    pub fn label(&self) -> String {
        match self {
            Scope::Aggregated => Scope::AGGREGATED.to_string(),
            Scope::Endpoint(key) => key.to_string(),
        }
    }

    pub fn endpoint(&self) -> Option<&EndpointKey> {
        match self {
            Scope::Aggregated => None,
            Scope::Endpoint(key) => Some(key),
        }
    }

    pub fn is_aggregated(&self) -> bool {
        *self == Scope::Aggregated
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Aggregated => f.write_str(Scope::AGGREGATED),
            Scope::Endpoint(key) => key.fmt(f),
        }
    }
}

/// Serialised as its label, the string the JSON report has always used.
impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
