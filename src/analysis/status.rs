//! Reading an HTTP status back out of a Locust failure message now happens once, when the failures
//! file is read (`FailureRecord::status_code`); the function lives in `ingest::status`. Re-exported
//! here until every caller reads the field instead.

pub use crate::ingest::status::status_in_message;
