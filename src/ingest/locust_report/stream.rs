//! Reading a report as a stream: the HTML page is scanned for `templateArgs = {` a chunk at a time,
//! and the JSON is deserialized from the file as it is read, each array handed over one element at
//! a time. Neither the file nor a tree of it is ever held whole: a 1 GB report of failure rows takes
//! the memory of what the readers keep (issue 29). A leaf shared by the HTML and the JSON reader.

use std::cell::RefCell;
use std::fmt;
use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::Path;

use memchr::memmem;
use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde_json::Value;

use crate::ingest::error::InputError;

/// How much is read at a time while looking for the assignment, and the JSON reader's buffer.
const CHUNK: usize = 1 << 20;

/// More blank space than this between `templateArgs`, `=` and `{` is no assignment.
const MAX_GAP: usize = 4096;

pub(super) fn open(path: &Path) -> Result<File, InputError> {
    File::open(path).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::NotFound {
            "no such file".to_string()
        } else {
            format!("cannot read the file: {e}")
        };
        InputError::file(path, why)
    })
}

/// The JSON's reader, from the `{` on, and the 1-based line and column of that `{` in the file.
pub(super) struct Found {
    pub reader: BufReader<std::io::Chain<Cursor<Vec<u8>>, File>>,
    pub line: u64,
    pub column: usize,
}

/// What the scan saw when there is no assignment.
pub(super) struct NotFound {
    /// The old server-rendered layout's marks.
    pub legacy: bool,
}

/// Where `templateArgs` at `at` in `window` is assigned an object: `Ok(Some(offset of {))`,
/// `Ok(None)` when it is not, `Err(())` when the window ends before that is known.
fn assigned_at(window: &[u8], at: usize, eof: bool) -> Result<Option<usize>, ()> {
    let mut i = at + b"templateArgs".len();
    let skip = |i: &mut usize| {
        let start = *i;
        while *i < window.len() && window[*i].is_ascii_whitespace() && *i - start <= MAX_GAP {
            *i += 1;
        }
        *i - start > MAX_GAP
    };
    let more = |i: usize| {
        if i >= window.len() && !eof {
            Err(())
        } else {
            Ok(None)
        }
    };
    if skip(&mut i) {
        return Ok(None);
    }
    match window.get(i) {
        Some(b'=') => i += 1,
        _ => return more(i),
    }
    match window.get(i) {
        Some(b'=') => return Ok(None),
        None => return more(i),
        _ => {}
    }
    if skip(&mut i) {
        return Ok(None);
    }
    match window.get(i) {
        Some(b'{') => Ok(Some(i)),
        _ => more(i),
    }
}

/// Reads `file` until the assignment `templateArgs = {`, checking that what it reads is UTF-8.
/// The minified UI script mentions `window.templateArgs` too (`window.templateArgs?(…)`,
/// `window.templateArgs.profile`): only an assignment (`=`, not `==`) of an object counts.
pub(super) fn find_assignment(
    path: &Path,
    mut file: File,
) -> Result<Result<Found, NotFound>, InputError> {
    let word = memmem::Finder::new(b"templateArgs");
    let legacy_marks = [
        memmem::Finder::new(b"<table class=\"stats\""),
        memmem::Finder::new(b"Locust Test Report"),
    ];
    let mut legacy = false;
    let mut window: Vec<u8> = Vec::with_capacity(CHUNK);
    // Lines and the current line's start before window[0], for positions.
    let mut base = 0u64;
    let mut lines = 1u64;
    let mut line_start = 0u64;
    let mut searched = 0usize;
    let mut carry = 0usize; // bytes of an unfinished UTF-8 character at the window's end
    let mut eof = false;
    let mut chunk = vec![0u8; CHUNK];
    loop {
        if !eof {
            let n = read_some(&mut file, &mut chunk)
                .map_err(|e| InputError::file(path, format!("cannot read the file: {e}")))?;
            eof = n == 0;
            let checked = window.len() - carry;
            window.extend_from_slice(&chunk[..n]);
            carry = utf8_checked(path, &window, checked, eof, (base, lines, line_start))?;
        }
        let from = searched.saturating_sub(32);
        legacy = legacy
            || legacy_marks
                .iter()
                .any(|m| m.find(&window[from..]).is_some());
        let mut keep_from = None;
        // A word may begin in the tail kept from the last read.
        let mut at = searched.saturating_sub(b"templateArgs".len() - 1);
        while let Some(i) = word.find(&window[at..]).map(|i| i + at) {
            match assigned_at(&window, i, eof) {
                Ok(Some(brace)) => {
                    let before = &window[..brace];
                    let newlines = memchr::memchr_iter(b'\n', before).count() as u64;
                    let start = match memchr::memrchr(b'\n', before) {
                        Some(nl) => base + nl as u64 + 1,
                        None => line_start,
                    };
                    let column = (base + brace as u64 - start) as usize + 1;
                    let rest = window.split_off(brace);
                    return Ok(Ok(Found {
                        reader: BufReader::with_capacity(CHUNK, Cursor::new(rest).chain(file)),
                        line: lines + newlines,
                        column,
                    }));
                }
                Ok(None) => at = i + 1,
                Err(()) => {
                    keep_from = Some(i);
                    break;
                }
            }
        }
        if eof {
            return Ok(Err(NotFound { legacy }));
        }
        // Keep a pending match, or the tail a word or a mark may continue into.
        let keep = keep_from.unwrap_or(window.len().saturating_sub(32));
        let dropped = &window[..keep];
        lines += memchr::memchr_iter(b'\n', dropped).count() as u64;
        if let Some(nl) = memchr::memrchr(b'\n', dropped) {
            line_start = base + nl as u64 + 1;
        }
        base += keep as u64;
        window.drain(..keep);
        searched = keep_from.map_or(window.len(), |_| 0);
    }
}

fn read_some(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Checks `window[from..]` is UTF-8; returns how many bytes at its end start a character the next
/// read completes. The error names the line and column of the first byte that is not.
fn utf8_checked(
    path: &Path,
    window: &[u8],
    from: usize,
    eof: bool,
    (base, lines, line_start): (u64, u64, u64),
) -> Result<usize, InputError> {
    match std::str::from_utf8(&window[from..]) {
        Ok(_) => Ok(0),
        Err(e) if e.error_len().is_none() && !eof => Ok(window.len() - from - e.valid_up_to()),
        Err(e) => {
            let bad = from + e.valid_up_to();
            let before = &window[..bad];
            let line = lines + memchr::memchr_iter(b'\n', before).count() as u64;
            let start =
                memchr::memrchr(b'\n', before).map_or(line_start, |nl| base + nl as u64 + 1);
            let mut err = InputError::file(path, "not UTF-8 text (a binary or damaged file?)");
            err.line = Some(line);
            err.column = Some((base + bad as u64 - start) as usize + 1);
            Err(err)
        }
    }
}

/// Where an error the streaming readers raised is kept while serde unwinds: serde's errors are
/// text, an [`InputError`] names its place in the document.
#[derive(Default)]
pub(super) struct Stash(RefCell<Option<InputError>>);

impl Stash {
    pub fn fail<E: de::Error>(&self, err: InputError) -> E {
        let text = err.message.clone();
        *self.0.borrow_mut() = Some(err);
        E::custom(text)
    }

    pub fn take(&self) -> Option<InputError> {
        self.0.borrow_mut().take()
    }
}

/// An array handed to `each` one element at a time, with its index; `null` is no array. Gives
/// whether there was an array.
pub(super) struct Each<'s, F> {
    pub file: &'s Path,
    pub stash: &'s Stash,
    pub what: &'s str,
    pub each: F,
}

impl<'de, F: FnMut(usize, Value) -> Result<(), InputError>> DeserializeSeed<'de> for Each<'_, F> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<F> Each<'_, F> {
    fn not_a_list<E: de::Error>(&self, found: Value) -> E {
        let found = match found {
            Value::Object(_) => "an object".to_string(),
            other => super::walk::describe(&other),
        };
        let err = InputError::file(
            self.file,
            format!("{}: expected an array, found {found}", self.what),
        );
        self.stash.fail(err)
    }
}

impl<'de, F: FnMut(usize, Value) -> Result<(), InputError>> Visitor<'de> for Each<'_, F> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array ({})", self.what)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Err(self.not_a_list(v.into()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        Err(self.not_a_list(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        Err(self.not_a_list(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<bool, E> {
        Err(self.not_a_list(v.into()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        Err(self.not_a_list(v.into()))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<bool, A::Error> {
        Err(self.not_a_list(Value::Object(Default::default())))
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<bool, A::Error> {
        let mut i = 0;
        while let Some(value) = seq.next_element::<Value>()? {
            (self.each)(i, value).map_err(|e| self.stash.fail::<A::Error>(e))?;
            i += 1;
        }
        Ok(true)
    }
}

/// A serde_json error (or the stashed error it carries) in the JSON whose first byte is at
/// `base` (line, column) of the file.
pub(super) fn error_at(
    path: &Path,
    stash: &Stash,
    base: (u64, usize),
    what: &str,
    e: &serde_json::Error,
) -> InputError {
    stash
        .take()
        .unwrap_or_else(|| super::source::json_error_at(path, base, what, e))
}
