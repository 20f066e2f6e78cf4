//! Text cells written in a Windows code page. Locust opens its CSVs with the locale's encoding, so
//! a run on a Chinese Windows writes GBK endpoint names; numbers are ASCII in every code page, so
//! only the text cells need decoding. A cell is UTF-8 when it can be (the common case, checked
//! first); the first record with a cell that is not picks the file's code page, the first of
//! [`CANDIDATES`] that decodes all its cells without error, and every later cell is decoded with
//! that one (a cell it cannot decode is an error: the file mixes encodings).

use std::borrow::Cow;

use csv::ByteRecord;
use encoding_rs::{Encoding, BIG5, EUC_KR, GBK, SHIFT_JIS, WINDOWS_1252};

/// The code pages tried, in order: the CJK ones first, as their byte pairs rarely decode in the
/// others by chance, and windows-1252 (Western Europe) last, as it decodes almost any byte.
pub const CANDIDATES: [&Encoding; 5] = [GBK, SHIFT_JIS, EUC_KR, BIG5, WINDOWS_1252];

/// The code page a file's text was decoded with, and the line that decided it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CodePage {
    pub encoding: &'static Encoding,
    pub decided_on_line: u64,
}

impl CodePage {
    /// The note a report shows: how names were read, and why that code page.
    pub fn note(&self, file: &str) -> String {
        let tried: Vec<&str> = CANDIDATES.iter().map(|e| e.name()).collect();
        format!(
            "{file} is not UTF-8: its text was decoded as {} (the first of {} to decode line {} without error)",
            self.encoding.name(),
            tried.join(", "),
            self.decided_on_line
        )
    }
}

/// Why a record could not be made text: field `field` (0-based) is neither UTF-8 nor `chosen`.
#[derive(Debug, PartialEq)]
pub struct Undecodable {
    pub field: usize,
}

/// Makes every field of `record` UTF-8, in place; `chosen` is the file's code page so far (set here
/// by the first record that needs one, on `line`). A record that is UTF-8 is left untouched.
pub fn decode_record(
    record: &mut ByteRecord,
    chosen: &mut Option<CodePage>,
    line: u64,
) -> Result<(), Undecodable> {
    if record.as_slice().is_ascii() || record.iter().all(|f| std::str::from_utf8(f).is_ok()) {
        return Ok(());
    }
    let page = match chosen {
        Some(page) => *page,
        None => {
            let encoding = CANDIDATES
                .into_iter()
                .find(|e| record.iter().all(|f| decode(e, f).is_some()))
                .unwrap_or(WINDOWS_1252);
            *chosen.insert(CodePage {
                encoding,
                decided_on_line: line,
            })
        }
    };
    let mut decoded = ByteRecord::with_capacity(record.as_slice().len() * 2, record.len());
    for (i, field) in record.iter().enumerate() {
        let text = decode(page.encoding, field).ok_or(Undecodable { field: i })?;
        decoded.push_field(text.as_bytes());
    }
    decoded.set_position(record.position().cloned());
    *record = decoded;
    Ok(())
}

/// `bytes` as text: as they are when UTF-8, else decoded with `encoding`; `None` when malformed.
fn decode<'b>(encoding: &'static Encoding, bytes: &'b [u8]) -> Option<Cow<'b, str>> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Some(Cow::Borrowed(text));
    }
    encoding.decode_without_bom_handling_and_without_replacement(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[&[u8]]) -> ByteRecord {
        let mut r = ByteRecord::new();
        for f in fields {
            r.push_field(f);
        }
        r
    }

    #[test]
    fn utf8_records_are_left_alone_and_choose_nothing() {
        let mut chosen = None;
        let mut r = record(&[b"GET", "/caf\u{e9}".as_bytes(), b"12"]);
        let before = r.clone();
        decode_record(&mut r, &mut chosen, 2).unwrap();
        assert_eq!(r, before);
        assert_eq!(chosen, None);
    }

    #[test]
    fn gbk_names_decode_as_gbk_and_the_choice_sticks() {
        // "查看" (view) in GBK: B2 E9 BF B4.
        let mut chosen = None;
        let mut r = record(&[b"GET", b"\xB2\xE9\xBF\xB4", b"7690"]);
        decode_record(&mut r, &mut chosen, 2).unwrap();
        assert_eq!(&r[1], "查看".as_bytes());
        assert_eq!(&r[2], b"7690");
        assert_eq!(
            chosen.map(|c| (c.encoding, c.decided_on_line)),
            Some((GBK, 2))
        );
        // A later record is decoded with the same code page, whatever else would decode it.
        let mut later = record(&[b"\xBF\xB4"]);
        decode_record(&mut later, &mut chosen, 3).unwrap();
        assert_eq!(&later[0], "看".as_bytes());
        assert_eq!(chosen.unwrap().decided_on_line, 2);
    }

    #[test]
    fn a_lone_high_byte_is_not_gbk_and_falls_to_windows_1252() {
        // "café" in windows-1252: E9 at the end of the cell cannot start a GBK pair.
        let mut chosen = None;
        let mut r = record(&[b"/caf\xE9"]);
        decode_record(&mut r, &mut chosen, 5).unwrap();
        assert_eq!(&r[0], "/café".as_bytes());
        assert_eq!(chosen.unwrap().encoding, WINDOWS_1252);
    }

    #[test]
    fn a_cell_the_chosen_code_page_cannot_decode_is_an_error() {
        let mut chosen = Some(CodePage {
            encoding: GBK,
            decided_on_line: 2,
        });
        let mut r = record(&[b"GET", b"/caf\xE9"]);
        assert_eq!(
            decode_record(&mut r, &mut chosen, 9),
            Err(Undecodable { field: 1 })
        );
    }

    #[test]
    fn the_note_names_the_code_page_the_candidates_and_the_line() {
        let page = CodePage {
            encoding: GBK,
            decided_on_line: 2,
        };
        assert_eq!(
            page.note("example_stats.csv"),
            "example_stats.csv is not UTF-8: its text was decoded as GBK (the first of GBK, Shift_JIS, EUC-KR, Big5, windows-1252 to decode line 2 without error)"
        );
    }
}
