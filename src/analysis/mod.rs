//! Analysis: turns runs into judgements. Knows neither files nor terminals.

pub mod grade;
pub mod status;
