//! Numbers straight from a cell's bytes, for the common shapes Locust writes (`123`, `12.3456`),
//! without UTF-8 checks, trimming or the general float parser. Anything else returns `None` and
//! goes to the general parsers in `table`, which also word the errors.

/// A cell of ASCII digits only.
pub fn ascii_integer(cell: &[u8]) -> Option<u64> {
    if cell.is_empty() || cell.len() > 18 {
        return None;
    }
    let mut value = 0u64;
    for &b in cell {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + u64::from(digit);
    }
    Some(value)
}

/// Exact powers of ten as f64 (10^22 is the largest that is).
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `digits.digits` (or plain digits), correctly rounded: the same f64 as `str::parse`. When the
/// digits fit in 53 bits, both they and the power of ten are exact doubles, and one IEEE division
/// rounds correctly (Clinger's fast path); longer mantissas return `None`.
pub fn ascii_decimal(cell: &[u8]) -> Option<f64> {
    if cell.is_empty() || cell.len() > 20 {
        return None;
    }
    let mut mantissa = 0u64;
    let mut dot = None;
    for (i, &b) in cell.iter().enumerate() {
        let digit = b.wrapping_sub(b'0');
        if digit <= 9 {
            // Wrapping: 20 digits overflow, and are refused below by their count.
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(digit));
        } else if b == b'.' && dot.is_none() && i > 0 {
            dot = Some(i);
        } else {
            return None;
        }
    }
    let decimals = dot.map_or(0, |d| cell.len() - d - 1);
    if mantissa > 1 << 53 || cell.len() - usize::from(dot.is_some()) > 19 {
        return None;
    }
    // Most cells are whole milliseconds: no division (its latency shows in a profile).
    if decimals == 0 {
        return Some(mantissa as f64);
    }
    Some(mantissa as f64 / POWERS_OF_TEN[decimals])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn locust_shapes_read_exactly() {
        for text in [
            "0",
            "12",
            "72.600000",
            "6.681254837995251",
            "0.1",
            "15.42163356363586",
        ] {
            assert_eq!(ascii_decimal(text.as_bytes()), text.parse().ok(), "{text}");
        }
        for text in [
            "",
            ".5",
            "1e5",
            "-1",
            "N/A",
            "1.2.3",
            "9.999999999999999999",
            "1 ",
        ] {
            assert_eq!(ascii_decimal(text.as_bytes()), None, "{text}");
        }
        assert_eq!(ascii_integer(b"1790000000"), Some(1_790_000_000));
        assert_eq!(ascii_integer(b"12a"), None);
    }

    proptest! {
        #[test]
        fn decimals_equal_the_standard_parser(whole in 0u64..10_000_000, fraction in "[0-9]{0,16}") {
            let text = if fraction.is_empty() { whole.to_string() } else { format!("{whole}.{fraction}") };
            if let Some(fast) = ascii_decimal(text.as_bytes()) {
                prop_assert_eq!(fast.to_bits(), text.parse::<f64>().unwrap().to_bits(), "{}", text);
            }
        }

        #[test]
        fn shortest_float_text_reads_back(value in 0.0f64..1e6) {
            let text = value.to_string();
            if let Some(fast) = ascii_decimal(text.as_bytes()) {
                prop_assert_eq!(fast.to_bits(), value.to_bits());
            }
        }
    }
}
