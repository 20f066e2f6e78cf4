//! Numbers straight from a cell's bytes, for the common shapes Locust writes (`123`, `12.3456`),
//! without UTF-8 checks, trimming or the general float parser. Anything else returns `None` and
//! goes to the general parsers in `table`, which also word the errors.

/// A cell of ASCII digits only.
pub fn ascii_integer(cell: &[u8]) -> Option<u64> {
    if cell.is_empty() || cell.len() > 18 {
        return None;
    }
    digits(cell, 0)
}

/// `acc` followed by the digits of `bytes` (at most 19 digits in all, or it wraps), eight at a
/// time where it can: a timestamp or a 17-digit average costs two or three steps, not 17.
fn digits(mut bytes: &[u8], mut acc: u64) -> Option<u64> {
    while let Some((chunk, rest)) = bytes.split_first_chunk::<8>() {
        acc = acc
            .wrapping_mul(100_000_000)
            .wrapping_add(eight_digits(u64::from_le_bytes(*chunk))?);
        bytes = rest;
    }
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        acc = acc.wrapping_mul(10).wrapping_add(u64::from(digit));
    }
    Some(acc)
}

const ONES: u64 = 0x0101_0101_0101_0101;

/// The eight bytes at `text[at..]` as one little-endian word (byte `at` lowest), if there are eight.
#[inline(always)]
fn word_at(text: &[u8], at: usize) -> Option<u64> {
    let bytes = text.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

/// The word's first `len` bytes (1 to 8; the lowest, the first the most significant digit) as a
/// number if they are all ASCII digits; the bytes after them do not matter. Subtracting '0' from
/// every byte borrows only upwards, so the cell's bytes are read exactly whatever follows them.
#[inline(always)]
fn digits_of_word(word: u64, len: usize) -> Option<u64> {
    let unused = 64 - 8 * len as u32;
    let below = word.wrapping_sub(0x30 * ONES);
    let above = word.wrapping_add(0x46 * ONES);
    if (below | above) & (0x80 * ONES) & (u64::MAX >> unused) != 0 {
        return None;
    }
    // The digits moved to the top, zeros (leading zero digits) below them.
    let v = below << unused;
    let v = (v.wrapping_mul(10)).wrapping_add(v >> 8) & 0x00FF_00FF_00FF_00FF;
    let v = (v.wrapping_mul(100)).wrapping_add(v >> 16) & 0x0000_FFFF_0000_FFFF;
    Some((v.wrapping_mul(10_000)).wrapping_add(v >> 32) & 0xFFFF_FFFF)
}

/// `10^k` for `k <= 19`.
const POWERS_OF_TEN_U64: [u64; 20] = {
    let mut table = [1u64; 20];
    let mut k = 1;
    while k < 20 {
        table[k] = table[k - 1] * 10;
        k += 1;
    }
    table
};

/// The cell `text[from..to]` if it is 1 to 16 ASCII digits: the value [`ascii_integer`] gives, a
/// word (eight digits) at a time. `None` for anything else (the caller then takes the general
/// path), and near the end of `text`, where a word would run past it.
#[inline(always)]
pub fn integer_at(text: &[u8], from: usize, to: usize) -> Option<u64> {
    let len = to.wrapping_sub(from);
    let first = word_at(text, from)?;
    if len.wrapping_sub(1) < 8 {
        return digits_of_word(first, len);
    }
    if len.wrapping_sub(9) < 8 {
        let high = digits_of_word(first, 8)?;
        let low = digits_of_word(word_at(text, from + 8)?, len - 8)?;
        return Some(high * POWERS_OF_TEN_U64[len - 8] + low);
    }
    None
}

/// The cell `text[from..to]` as a measure, when it is one of the shapes Locust writes (whole
/// milliseconds, `digits.digits` with at most seven digits before the point and 19 in all): the
/// value [`ascii_decimal`] gives, with the digits read a word at a time. `None` for any other shape
/// (the caller then takes the general path) and near the end of `text`.
#[inline(always)]
pub fn decimal_at(text: &[u8], from: usize, to: usize) -> Option<f64> {
    let len = to.wrapping_sub(from);
    let first = word_at(text, from)?;
    // Whole milliseconds of up to eight digits (the percentiles): exact in an f64.
    if len.wrapping_sub(1) < 8 {
        if let Some(v) = digits_of_word(first, len) {
            return Some(v as f64);
        }
    }
    fraction_at(text, from, len, first)
}

/// [`decimal_at`] for a cell with a decimal point among its first eight bytes.
#[inline(never)]
fn fraction_at(text: &[u8], from: usize, len: usize, first: u64) -> Option<f64> {
    if len.wrapping_sub(1) >= 20 {
        return None;
    }
    // The first '.' among the cell's first eight bytes: a zero byte of `first ^ "........"` (the
    // borrow trick marks wrongly only bytes above a true zero, and the lowest mark is taken).
    let x = first ^ (u64::from(b'.') * ONES);
    let in_cell = u64::MAX >> (64 - 8 * len.min(8) as u32);
    let dots = x.wrapping_sub(ONES) & !x & (0x80 * ONES) & in_cell;
    if dots == 0 {
        return None;
    }
    let whole = (dots.trailing_zeros() / 8) as usize;
    let fraction = len - whole - 1;
    if whole == 0 || whole + fraction > 19 {
        return None;
    }
    let mut mantissa = digits_of_word(first, whole)?;
    let mut at = from + whole + 1;
    let mut left = fraction;
    while left > 0 {
        let step = left.min(8);
        let v = digits_of_word(word_at(text, at)?, step)?;
        mantissa = mantissa * POWERS_OF_TEN_U64[step] + v;
        at += step;
        left -= step;
    }
    // As `decimal_shape` does, for the same mantissa and scale.
    Some(if mantissa > 1 << 53 {
        exact_ratio(mantissa, fraction)
    } else if fraction == 0 {
        mantissa as f64
    } else {
        mantissa as f64 / POWERS_OF_TEN[fraction]
    })
}

/// One to four digits (a percentile in ms, the usual cell) with one branch on the length instead of
/// one per digit.
fn short_integer(cell: &[u8]) -> Option<u64> {
    let d = |i: usize| -> Option<u64> {
        let v = cell[i].wrapping_sub(b'0');
        (v <= 9).then_some(u64::from(v))
    };
    Some(match cell.len() {
        1 => d(0)?,
        2 => d(0)? * 10 + d(1)?,
        3 => d(0)? * 100 + d(1)? * 10 + d(2)?,
        4 => d(0)? * 1000 + d(1)? * 100 + d(2)? * 10 + d(3)?,
        _ => return None,
    })
}

/// Eight ASCII digits, read as one little-endian word (the SWAR method of fast_float and simdjson).
fn eight_digits(word: u64) -> Option<u64> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // A byte below '0' borrows into its high bit; one above '9' carries into it.
    let below = word.wrapping_sub(0x30 * ONES);
    let above = word.wrapping_add(0x46 * ONES);
    if (below | above) & (0x80 * ONES) != 0 {
        return None;
    }
    let v = below;
    let v = (v.wrapping_mul(10)).wrapping_add(v >> 8) & 0x00FF_00FF_00FF_00FF;
    let v = (v.wrapping_mul(100)).wrapping_add(v >> 16) & 0x0000_FFFF_0000_FFFF;
    Some((v.wrapping_mul(10_000)).wrapping_add(v >> 32) & 0xFFFF_FFFF)
}

/// Exact powers of ten as f64 (10^22 is the largest that is).
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `m / 10^k`, correctly rounded, for any `m` and `k <= 19` (Locust's 17-digit averages): the
/// quotient `m * 2^64 / 5^k` in 128-bit integers keeps at least 72 bits, the remainder becomes a
/// sticky bit so the one rounding to 53 bits (`u128 as f64`, ties to even) is the right one, and
/// the scaling by `2^-(64 + k)` is exact.
fn exact_ratio(m: u64, k: usize) -> f64 {
    if let Some(v) = ratio_by_reciprocal(m, k) {
        return v;
    }
    let five_k = 5u128.pow(k as u32);
    let scaled = u128::from(m) << 64;
    let quotient = (scaled / five_k) | u128::from(scaled % five_k != 0);
    let scale = f64::from_bits((1023 - 64 - k as u64) << 52);
    quotient as f64 * scale
}

/// Bit lengths of `5^k` (`L_k`) and `R_k = floor(2^(127 + L_k) / 5^k) + 1`, which lies in
/// `[2^127, 2^128)`: `1 / 5^k` to 128 bits, rounded up. Computed by long division at compile time.
const RECIPROCALS: [(u32, u128); 20] = {
    let mut table = [(0u32, 0u128); 20];
    let mut k = 1;
    while k < 20 {
        let d = 5u128.pow(k as u32);
        let bits = 128 - d.leading_zeros();
        // 2^(127 + bits) / d, one bit of the dividend at a time; the quotient fits in 128 bits.
        let (mut q, mut r) = (0u128, 0u128);
        let mut i = 127 + bits as i32;
        while i >= 0 {
            r = r * 2 + (i == 127 + bits as i32) as u128;
            q = q.wrapping_mul(2);
            if r >= d {
                r -= d;
                q += 1;
            }
            i -= 1;
        }
        table[k] = (bits, q + 1);
        k += 1;
    }
    table
};

/// `m / 10^k` (`1 <= k <= 19`) correctly rounded, without a division (Eisel–Lemire's method,
/// narrowed to these scales): the mantissa, moved to the top of a word, times `R_k`; the top word
/// of the 192-bit product is the quotient to at least 63 bits, too large by at most one unit in its
/// last place. When the bits below its rounding bit are 2 or more, both candidates round alike and
/// the conversion's own rounding is the right one; else (about 1 in 250) `None`.
#[inline]
fn ratio_by_reciprocal(m: u64, k: usize) -> Option<f64> {
    if m == 0 || !(1..20).contains(&k) {
        return None;
    }
    let (bits, reciprocal) = RECIPROCALS[k];
    let shift = m.leading_zeros();
    let w = u128::from(m << shift);
    let high = w * (reciprocal >> 64);
    let low = w * (reciprocal & u128::from(u64::MAX));
    let top = ((high + (low >> 64)) >> 64) as u64;
    if top & 0x1FF < 2 {
        return None;
    }
    // m / 10^k = top * 2^(64 - (63 + bits) - shift - k), within the precision kept.
    let exponent = 1 - bits as i64 - i64::from(shift) - k as i64;
    Some(top as f64 * f64::from_bits(((1023 + exponent) as u64) << 52))
}

/// What [`decimal_shape`] found.
#[derive(Debug, PartialEq)]
enum Decimal {
    /// The exact value.
    Exact(f64),
    /// Plain `digits[.digits]`, but too many digits for the fast path: parse the text normally.
    Long,
    /// Not a plain decimal.
    Other,
}

/// `digits[.digits]`, correctly rounded: the same f64 as `str::parse`. When the digits fit in 53
/// bits, both they and the power of ten are exact doubles, and one IEEE division rounds correctly
/// (Clinger's fast path).
fn decimal_shape(cell: &[u8]) -> Decimal {
    if let Some(v) = short_integer(cell) {
        return Decimal::Exact(v as f64);
    }
    let (whole, fraction) = match cell.iter().position(|b| *b == b'.') {
        Some(dot) => (&cell[..dot], &cell[dot + 1..]),
        None => (cell, &[][..]),
    };
    if whole.is_empty() || cell.len() > 40 {
        return Decimal::Other;
    }
    let count = whole.len() + fraction.len();
    if count > 19 {
        let plain = whole.iter().chain(fraction).all(|b| b.is_ascii_digit());
        return if plain { Decimal::Long } else { Decimal::Other };
    }
    let Some(mantissa) = digits(whole, 0).and_then(|w| digits(fraction, w)) else {
        return Decimal::Other;
    };
    if mantissa > 1 << 53 {
        return Decimal::Exact(exact_ratio(mantissa, fraction.len()));
    }
    // Most cells are whole milliseconds: no division (its latency shows in a profile).
    if fraction.is_empty() {
        return Decimal::Exact(mantissa as f64);
    }
    Decimal::Exact(mantissa as f64 / POWERS_OF_TEN[fraction.len()])
}

/// A plain decimal's value, through the standard parser for long ones; `None` for anything else.
pub fn ascii_decimal(cell: &[u8]) -> Option<f64> {
    match decimal_shape(cell) {
        Decimal::Exact(v) => Some(v),
        // Digits and a dot only, so valid UTF-8.
        Decimal::Long => std::str::from_utf8(cell).ok()?.parse().ok(),
        Decimal::Other => None,
    }
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
            "1 ",
            "12345678.1234567a",
        ] {
            assert_eq!(ascii_decimal(text.as_bytes()), None, "{text}");
        }
        // Up to 19 digits in 128-bit integers, more through the standard parser: exact either way.
        for text in [
            "9.999999999999999999",
            "3.0931340002098295",
            "18446744.07370955161",
        ] {
            assert_eq!(
                decimal_shape(text.as_bytes()),
                Decimal::Exact(text.parse().unwrap()),
                "{text}"
            );
        }
        let long = "123456789012345678901.5";
        assert_eq!(decimal_shape(long.as_bytes()), Decimal::Long);
        assert_eq!(ascii_decimal(long.as_bytes()), long.parse().ok());
        assert_eq!(ascii_integer(b"12345678"), Some(12_345_678));
        assert_eq!(
            ascii_integer(b"123456789012345678"),
            Some(123_456_789_012_345_678)
        );
        assert_eq!(ascii_integer(b"1234567/"), None);
        assert_eq!(ascii_integer(b"12345:78"), None);
        assert_eq!(ascii_integer(b"1790000000"), Some(1_790_000_000));
        assert_eq!(ascii_integer(b"12a"), None);
    }

    #[test]
    fn ratios_at_ties_and_edges_are_exact() {
        // (2^53 + 1) / 2: halfway between two doubles, rounded to the even one.
        let cases = [
            (45_035_996_273_704_965u64, 1usize),
            (9_007_199_254_740_993, 1),
            (10_000_000_000_000_000_000, 19),
            (u64::MAX, 19),
            (u64::MAX, 1),
            (1 << 53, 7),
            (33_101_279_626_029_383, 16),
            (42_075_832_788_086_230, 15),
        ];
        let mut reciprocal = 0;
        for (m, k) in cases {
            let text = format!("{m}e-{k}");
            assert_eq!(exact_ratio(m, k), text.parse::<f64>().unwrap(), "{text}");
            reciprocal += usize::from(ratio_by_reciprocal(m, k).is_some());
        }
        assert!(reciprocal >= 4, "most take the fast path");
        // The halfway case is left to the division.
        assert_eq!(ratio_by_reciprocal(45_035_996_273_704_965, 1), None);
    }

    /// `cell` followed by `tail` (the next cells of a row, or nothing at the end of the buffer),
    /// read in place by `at`; also compared at every shorter end of the buffer.
    fn in_place<T: PartialEq + std::fmt::Debug>(
        cell: &str,
        tail: &str,
        at: impl Fn(&[u8], usize, usize) -> Option<T>,
        reference: impl Fn(&[u8]) -> Option<T>,
    ) {
        let text = format!(",{cell}{tail}");
        let (from, to) = (1, 1 + cell.len());
        for end in to..=text.len() {
            let buffer = &text.as_bytes()[..end];
            if let Some(fast) = at(buffer, from, to) {
                assert_eq!(
                    Some(fast),
                    reference(cell.as_bytes()),
                    "{cell:?} in {buffer:?}"
                );
            }
        }
    }

    #[test]
    fn cells_in_place_read_as_the_cell_alone() {
        let cells = [
            "0",
            "7",
            "12",
            "105",
            "1234",
            "12345678",
            "123456789",
            "1234567890123456",
            "0.0",
            "42.07583278808623",
            "3.3101279626029383",
            "1033.3040979999168",
            "9.999999999999999999",
            "1234567.123456789012",
            "5.",
            ".5",
            "1.2.3",
            "N/A",
            "",
            " 3",
            "3 ",
            "1e5",
            "-1",
            "12a",
            "\u{e9}",
        ];
        for cell in cells {
            for tail in ["", ",", ",9,GET,/a\r\n", "9999999999999999"] {
                in_place(cell, tail, integer_at, ascii_integer);
                in_place(cell, tail, decimal_at, ascii_decimal);
            }
        }
        // Locust's shapes are read on the fast path whenever a word fits in the buffer.
        let row = "1795405292,10,42.07583278808623,3,\r\n";
        let text = row.as_bytes();
        assert_eq!(integer_at(text, 0, 10), Some(1_795_405_292));
        assert_eq!(integer_at(text, 11, 13), Some(10));
        assert_eq!(decimal_at(text, 14, 31), Some(42.07583278808623));
        assert_eq!(
            decimal_at(text, 32, 33),
            None,
            "a word would pass the buffer's end"
        );
    }

    proptest! {
        #[test]
        fn integers_equal_the_standard_parser(text in "[0-9]{1,18}|[0-9/:a]{1,18}") {
            prop_assert_eq!(ascii_integer(text.as_bytes()), text.parse::<u64>().ok());
        }

        #[test]
        fn decimals_equal_the_standard_parser(whole in 0u64..10_000_000, fraction in "[0-9]{0,16}") {
            let text = if fraction.is_empty() { whole.to_string() } else { format!("{whole}.{fraction}") };
            if let Some(fast) = ascii_decimal(text.as_bytes()) {
                prop_assert_eq!(fast.to_bits(), text.parse::<f64>().unwrap().to_bits(), "{}", text);
            }
        }

        #[test]
        fn long_mantissas_equal_the_standard_parser(whole in 0u64..100_000, fraction in "[0-9]{10,14}") {
            let text = format!("{whole}.{fraction}");
            let fast = ascii_decimal(text.as_bytes()).unwrap();
            prop_assert_eq!(fast.to_bits(), text.parse::<f64>().unwrap().to_bits(), "{}", text);
        }

        #[test]
        fn in_place_readers_equal_the_cell_readers(
            cell in "[0-9]{1,20}|[0-9]{1,8}\\.[0-9]{0,18}|[0-9.a ]{0,12}",
            tail in "[0-9,.]{0,12}",
        ) {
            in_place(&cell, &tail, integer_at, ascii_integer);
            in_place(&cell, &tail, decimal_at, ascii_decimal);
        }

        #[test]
        fn the_reciprocal_ratio_is_the_exact_one(m in 1u64..u64::MAX, k in 1usize..20) {
            let exact = {
                let five_k = 5u128.pow(k as u32);
                let scaled = u128::from(m) << 64;
                let quotient = (scaled / five_k) | u128::from(scaled % five_k != 0);
                quotient as f64 * f64::from_bits((1023 - 64 - k as u64) << 52)
            };
            if let Some(fast) = ratio_by_reciprocal(m, k) {
                prop_assert_eq!(fast.to_bits(), exact.to_bits(), "{} / 10^{}", m, k);
            }
            let text = format!("{}e-{k}", m);
            prop_assert_eq!(exact_ratio(m, k).to_bits(), text.parse::<f64>().unwrap().to_bits());
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
