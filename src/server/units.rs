//! The names server units have in profiles and outputs, and how their values are shown.

use crate::model::ServerUnit;

/// The names a rule's `unit` may take, in the order the docs list them.
pub const UNIT_NAMES: [&str; 6] = ServerUnit::NAMES;

pub fn unit_from_name(name: &str) -> Option<ServerUnit> {
    ServerUnit::from_name(name)
}

pub fn unit_name(unit: ServerUnit) -> &'static str {
    match unit {
        ServerUnit::Bytes => "bytes",
        ServerUnit::Seconds => "seconds",
        ServerUnit::Ratio => "ratio",
        ServerUnit::Percent => "percent",
        ServerUnit::Count => "count",
        ServerUnit::None => "none",
    }
}

/// A value for people: `512.0 MB`, `0.452`, `45.2%`, `1.250 s`, `12`. A time of day in seconds
/// (a start time) as RFC 3339.
pub fn show(value: f64, unit: ServerUnit) -> String {
    match unit {
        ServerUnit::Bytes => {
            let abs = value.abs();
            let (div, suffix) = if abs >= 1e9 {
                (1e9, "GB")
            } else if abs >= 1e6 {
                (1e6, "MB")
            } else if abs >= 1e3 {
                (1e3, "kB")
            } else {
                (1.0, "B")
            };
            if div == 1.0 {
                format!("{value:.0} B")
            } else {
                format!("{:.1} {suffix}", value / div)
            }
        }
        // Unix times (a process start) read better as times.
        ServerUnit::Seconds if value > 1e9 => super::window::rfc3339(value),
        ServerUnit::Seconds => format!("{value:.3} s"),
        ServerUnit::Ratio => format!("{value:.3}"),
        ServerUnit::Percent => format!("{value:.1}%"),
        ServerUnit::Count if value.fract() == 0.0 => format!("{value:.0}"),
        ServerUnit::Count | ServerUnit::None => significant(value),
    }
}

/// Three significant digits (whole numbers kept whole), without an exponent.
fn significant(value: f64) -> String {
    if value.fract() == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let digits = (2 - value.abs().log10().floor() as i32).clamp(0, 6) as usize;
    format!("{value:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for name in UNIT_NAMES {
            assert_eq!(unit_name(unit_from_name(name).unwrap()), name);
        }
        assert_eq!(unit_from_name("Bytes"), None);
    }

    #[test]
    fn values_are_shown_in_their_unit() {
        assert_eq!(show(512e6, ServerUnit::Bytes), "512.0 MB");
        assert_eq!(show(-2.5e6, ServerUnit::Bytes), "-2.5 MB");
        assert_eq!(show(999.0, ServerUnit::Bytes), "999 B");
        assert_eq!(show(0.4523, ServerUnit::Ratio), "0.452");
        assert_eq!(show(45.26, ServerUnit::Percent), "45.3%");
        assert_eq!(show(1.25, ServerUnit::Seconds), "1.250 s");
        assert_eq!(
            show(1_700_000_000.0, ServerUnit::Seconds),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(show(3.0, ServerUnit::Count), "3");
        assert_eq!(show(0.512, ServerUnit::None), "0.512");
        assert_eq!(show(1234.6, ServerUnit::None), "1235");
        assert_eq!(show(1.0, ServerUnit::None), "1");
    }
}
