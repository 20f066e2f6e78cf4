//! Numbers and text as reports show them: one place for milliseconds, percentages, rates and
//! truncation, so the table, the Markdown and the charts never disagree.

/// Milliseconds: whole from 100 ms or when whole, else one decimal; `N/A` when unknown.
pub fn ms(value: Option<f64>) -> String {
    match value {
        Some(v) if v >= 100.0 || v.fract() == 0.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
        None => "N/A".to_string(),
    }
}

/// A fraction as a percentage with two decimals, without the sign (`0.0125` -> `1.25`).
pub fn percent(fraction: f64) -> String {
    format!("{:.2}", fraction * 100.0)
}

/// Requests per second with one decimal.
pub fn rate(rps: f64) -> String {
    format!("{rps:.1}")
}

/// At most `max` characters, an ellipsis after the cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

/// At most `max` characters including the ellipsis (for labels with a fixed width).
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        truncate(text, max.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_keep_a_decimal_only_where_it_says_something() {
        assert_eq!(ms(Some(99.94)), "99.9");
        assert_eq!(ms(Some(100.4)), "100");
        assert_eq!(ms(Some(7.0)), "7");
        assert_eq!(ms(None), "N/A");
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate("ééé", 3), "ééé");
        assert_eq!(truncate("éééé", 3), "ééé…");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abcd", 4), "abcd");
    }
}
