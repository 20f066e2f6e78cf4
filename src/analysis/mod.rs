//! Analysis: turns runs into judgements. Knows neither files nor terminals.

pub mod capacity;
pub mod findings;
pub mod grade;
pub mod nightly;
pub mod regression;
pub mod series;
pub mod stats;
pub mod status;
pub mod steady;
pub mod trend;
