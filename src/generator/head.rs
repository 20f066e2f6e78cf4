//! Reading a response head: the status line and the headers, checked as httparse checks them (an
//! HTTP/1.0 or 1.1 version, a three-digit status, no space, control byte or colon in a header
//! name, no control bytes in values, no folded lines; only the separators httparse also refuses
//! in names are let through), but looking at only the three headers that frame the body and the
//! connection, and eight bytes at a time. At a loopback target's speed httparse's general parser
//! (every header name and value handed out, byte by byte) and the loop over its headers were the
//! generator's largest single cost: about 2,700 instructions per nginx response.

use hyper::StatusCode;

/// Headers accepted per response; more is refused as not HTTP a generator should accept.
pub const MAX_HEADERS: usize = 64;

/// How the body of a response ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyLength {
    Empty,
    Exactly(u64),
    Chunked,
    UntilClose,
}

#[derive(Debug)]
pub struct Head {
    pub status: StatusCode,
    pub body: BodyLength,
    pub keep_alive: bool,
}

/// A parsed head: the bytes it used, and the head (`None` for an interim 1xx response that a final
/// one follows).
pub type Parsed = (usize, Option<Head>);

/// Parses a response head at the start of `bytes`: `Ok(None)` while it is incomplete, an error
/// (in words for `BadStatusLine`) as soon as the bytes cannot be HTTP. `head_only`: the request was
/// a HEAD, so no body follows whatever the headers say.
pub fn parse_head(bytes: &[u8], head_only: bool) -> Result<Option<Parsed>, String> {
    if matches!(bytes.first(), Some(b'\r' | b'\n')) {
        let Some(skip) = empty_lines(bytes)? else {
            return Ok(None);
        };
        let parsed = parse_head(&bytes[skip..], head_only)?;
        return Ok(parsed.map(|(used, head)| (used + skip, head)));
    }
    let Some((minor, code, mut at)) = status_line(bytes)? else {
        return Ok(None);
    };
    let status = StatusCode::from_u16(code).map_err(|_| format!("status code {code}"))?;
    let mut framing = Framing::default();
    let mut headers = 0;
    loop {
        match bytes.get(at) {
            None => return Ok(None),
            Some(b'\n') => {
                at += 1;
                break;
            }
            Some(b'\r') => match bytes.get(at + 1) {
                None => return Ok(None),
                Some(b'\n') => {
                    at += 2;
                    break;
                }
                Some(_) => return Err("invalid header line end".into()),
            },
            Some(_) => {}
        }
        headers += 1;
        if headers > MAX_HEADERS {
            return Err("too many headers".into());
        }
        match header_line(bytes, at, &mut framing) {
            Ok(Some(next)) => at = next,
            Ok(None) => return Ok(None),
            Err(bad) => return Err(bad.words(bytes, at)),
        }
    }
    if status.is_informational() && code != 101 {
        return Ok(Some((at, None)));
    }
    Ok(Some((at, Some(framing.head(status, minor, head_only)))))
}

/// How many bytes of empty lines (CRLF or a bare LF) come before the status line, as httparse
/// skips them (a server's stray line end after a body); `None` while only line ends have arrived.
fn empty_lines(bytes: &[u8]) -> Result<Option<usize>, String> {
    let mut at = 0;
    loop {
        match bytes.get(at) {
            None => return Ok(None),
            Some(b'\n') => at += 1,
            Some(b'\r') => match bytes.get(at + 1) {
                None => return Ok(None),
                Some(b'\n') => at += 2,
                Some(_) => return Err("invalid line end before the status line".into()),
            },
            Some(_) => return Ok(Some(at)),
        }
    }
}

/// `HTTP/1.x DDD reason`: the minor version, the code and where the headers start; `None` while
/// incomplete. Every byte is checked as it arrives, so what can never be HTTP is refused at once.
fn status_line(bytes: &[u8]) -> Result<Option<(u8, u16, usize)>, String> {
    const VERSION: &[u8] = b"HTTP/1.";
    let seen = bytes.len().min(VERSION.len());
    if bytes[..seen] != VERSION[..seen] {
        return Err("invalid HTTP version".into());
    }
    let minor = match bytes.get(7) {
        None => return Ok(None),
        Some(b'0') => 0,
        Some(b'1') => 1,
        Some(_) => return Err("invalid HTTP version".into()),
    };
    let mut code = 0u16;
    for (i, &b) in bytes.iter().enumerate().take(12).skip(8) {
        match (i, b) {
            (8, b' ') => {}
            (9..=11, b'0'..=b'9') => code = code * 10 + u16::from(b - b'0'),
            _ => return Err("invalid status code".into()),
        }
    }
    // A reason phrase, or none at all (`HTTP/1.1 200`), as httparse accepts.
    let reason_from = match bytes.get(12) {
        None => return Ok(None),
        Some(b' ') => 13,
        Some(b'\r' | b'\n') => 12,
        Some(_) => return Err("invalid status line".into()),
    };
    match value_end(bytes, reason_from) {
        Ok(end) => Ok(end.map(|(_, next)| (minor, code, next))),
        Err(_) => Err("invalid status line".into()),
    }
}

/// What is wrong with a header line, worded only when it is reported.
#[derive(Debug)]
enum Bad {
    Name,
    Value,
    ContentLength,
}

impl Bad {
    fn words(&self, bytes: &[u8], line: usize) -> String {
        let shown = &bytes[line..bytes.len().min(line + 40)];
        let shown = shown
            .split(|&b| b == b'\r' || b == b'\n')
            .next()
            .unwrap_or(shown);
        let what = match self {
            Bad::Name => "invalid header name",
            Bad::Value => "invalid header value",
            Bad::ContentLength => "invalid content-length",
        };
        format!("{what} in '{}'", String::from_utf8_lossy(shown))
    }
}

/// One `name: value` line at `from`, read into `framing`; where the next line starts, `None` if
/// this one is incomplete.
///
/// A name is taken up to the first byte that cannot be in one: a space, a control byte, DEL,
/// a byte above it, or the colon; that byte must be the colon, after at least one byte. httparse
/// also refuses the separators `"(),/;<=>?@[\]{}` in names; they are let through here: a name
/// holding one is no framing header, and is not otherwise looked at.
#[inline(always)]
fn header_line(bytes: &[u8], from: usize, framing: &mut Framing) -> Result<Option<usize>, Bad> {
    let not_name = |b: u8| b <= b' ' || b == b':' || b >= 0x7f;
    let Some(colon) = first_flagged(bytes, from, name_ends, not_name) else {
        return Ok(None);
    };
    if bytes[colon] != b':' || colon == from {
        return Err(Bad::Name);
    }
    let Some((end, next)) = value_end(bytes, colon + 1)? else {
        return Ok(None);
    };
    framing.read(&bytes[from..colon], &bytes[colon + 1..end])?;
    Ok(Some(next))
}

/// The index of the first byte from `from` on that `flags` (eight at a time) or, in the last
/// few bytes, `slow` (one at a time) marks; `None` if none has arrived. `flags` must mark every
/// such byte, and its lowest mark must be a true one.
#[inline(always)]
fn first_flagged(
    bytes: &[u8],
    from: usize,
    flags: impl Fn(u64) -> u64,
    slow: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let marks = flags(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        if marks != 0 {
            return Some(i + marks.trailing_zeros() as usize / 8);
        }
        i += 8;
    }
    bytes[i..].iter().position(|&b| slow(b)).map(|n| i + n)
}

/// The end of the field value (or reason phrase) starting at `from` and where the next line
/// starts (after CRLF or a bare LF, as httparse accepts); `None` if the line end has not arrived.
/// Values may hold visible bytes, spaces, tabs and obs-text; any other control byte (a stray CR or
/// NUL is how responses get misread) is refused.
#[inline(always)]
fn value_end(bytes: &[u8], from: usize) -> Result<Option<(usize, usize)>, Bad> {
    let mut i = from;
    loop {
        let control = |b: u8| b < 0x20 || b == 0x7f;
        let Some(at) = first_flagged(bytes, i, control_bytes, control) else {
            return Ok(None);
        };
        match bytes[at] {
            b'\t' => i = at + 1,
            b'\n' => return Ok(Some((at, at + 1))),
            b'\r' => {
                return match bytes.get(at + 1) {
                    None => Ok(None),
                    Some(b'\n') => Ok(Some((at, at + 2))),
                    Some(_) => Err(Bad::Value),
                }
            }
            _ => return Err(Bad::Value),
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each of the eight bytes of `x` (little-endian) that may be a control byte
/// (below 0x20, or DEL): none is missed, and the lowest flag set is always a true one (a false
/// flag comes only from a borrow out of a true one below it). Bytes with the high bit set
/// (obs-text) never count, as `!x` clears their flag.
fn control_bytes(x: u64) -> u64 {
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    let del = x ^ (ONES * 0x7f);
    let is_del = del.wrapping_sub(ONES) & !del & HIGH;
    below_space | is_del
}

/// The high bit of each byte of `x` that cannot be in a header name here: at or below the space,
/// the colon, DEL or above. None is missed and the lowest mark is a true one, as in
/// [`control_bytes`].
fn name_ends(x: u64) -> u64 {
    let up_to_space = x.wrapping_sub(ONES * 0x21) & !x & HIGH;
    let colon = x ^ (ONES * u64::from(b':'));
    let is_colon = colon.wrapping_sub(ONES) & !colon & HIGH;
    let del = x ^ (ONES * 0x7f);
    let is_del = del.wrapping_sub(ONES) & !del & HIGH;
    up_to_space | is_colon | is_del | (x & HIGH)
}

/// Whether the header name `name` (visible bytes, checked) is `lower` (lower case, 8 bytes or
/// more) in any case, eight bytes at a time: OR-ing 0x20 turns an upper-case letter into its lower
/// case and leaves `-` as it is, and turns no other visible byte into a letter or `-` (the bytes
/// it would map there are control bytes, refused before this).
fn is_named(name: &[u8], lower: &[u8]) -> bool {
    debug_assert!(lower.len() >= 8);
    if name.len() != lower.len() {
        return false;
    }
    let word = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8"));
    let same = |at: usize| word(name, at) | (ONES * 0x20) == word(lower, at);
    // Words at 0, 8, ... and one ending at the last byte (overlapping the one before).
    let last = name.len() - 8;
    let mut at = 0;
    while at < last {
        if !same(at) {
            return false;
        }
        at += 8;
    }
    same(last)
}

/// What the headers say about the body and the connection.
#[derive(Default)]
struct Framing {
    content_length: Option<u64>,
    chunked: bool,
    close: bool,
    keep_alive_token: bool,
}

impl Framing {
    /// One header, already checked; only the three framing headers are looked at (and trimmed).
    #[inline(always)]
    fn read(&mut self, name: &[u8], value: &[u8]) -> Result<(), Bad> {
        // The length first: most headers are passed over on it without a byte compared.
        match name.len() {
            14 if is_named(name, b"content-length") => {
                self.content_length = Some(decimal(value.trim_ascii()).ok_or(Bad::ContentLength)?);
            }
            17 if is_named(name, b"transfer-encoding") => {
                self.chunked = last_token(value).eq_ignore_ascii_case(b"chunked");
            }
            10 if is_named(name, b"connection") => {
                for token in value.split(|&b| b == b',') {
                    let token = token.trim_ascii();
                    self.close |= token.eq_ignore_ascii_case(b"close");
                    self.keep_alive_token |= token.eq_ignore_ascii_case(b"keep-alive");
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn head(&self, status: StatusCode, minor: u8, head_only: bool) -> Head {
        let code = status.as_u16();
        let body = if head_only || code == 204 || code == 304 || code == 101 {
            BodyLength::Empty
        } else if self.chunked {
            BodyLength::Chunked
        } else {
            match self.content_length {
                Some(0) => BodyLength::Empty,
                Some(n) => BodyLength::Exactly(n),
                None => BodyLength::UntilClose,
            }
        };
        // HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 only when asked to.
        let keep_alive = !self.close && (minor == 1 || self.keep_alive_token) && code != 101;
        Head {
            status,
            body,
            keep_alive,
        }
    }
}

/// Digits only (no sign, no spaces inside), as a content-length must be; `None` on overflow.
fn decimal(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u64, |n, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

fn last_token(value: &[u8]) -> &[u8] {
    value
        .rsplit(|&b| b == b',')
        .next()
        .unwrap_or(value)
        .trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(bytes: &[u8]) -> Head {
        match parse_head(bytes, false) {
            Ok(Some((used, Some(head)))) => {
                assert_eq!(used, bytes.len(), "the whole head is used");
                head
            }
            other => panic!("not a complete final head: {other:?}"),
        }
    }

    #[test]
    fn a_head_says_how_its_body_ends_and_whether_the_connection_stays() {
        let h = head(b"HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n");
        assert!(matches!(h.body, BodyLength::Exactly(17)) && h.keep_alive);
        let h = head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n");
        assert!(matches!(h.body, BodyLength::Chunked));
        let h = head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked, gzip\r\n\r\n");
        assert!(
            matches!(h.body, BodyLength::UntilClose),
            "chunked only last"
        );
        let h = head(b"HTTP/1.1 503 Service Unavailable\r\nconnection: Close\r\n\r\n");
        assert!(matches!(h.body, BodyLength::UntilClose) && !h.keep_alive);
        assert_eq!(h.status, StatusCode::SERVICE_UNAVAILABLE);
        let h = head(b"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\n\r\n");
        assert!(!h.keep_alive, "close among several tokens");
        // HTTP/1.0 keeps the connection only when asked to.
        assert!(!head(b"HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n").keep_alive);
        assert!(
            head(b"HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n")
                .keep_alive
        );
        let h = head(b"HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n");
        assert!(matches!(h.body, BodyLength::Empty), "204 has no body");
        let h = head(b"HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\n\r\n");
        assert!(matches!(h.body, BodyLength::Empty), "304 has no body");
        let head_response = parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n", true);
        assert!(matches!(
            head_response,
            Ok(Some((
                _,
                Some(Head {
                    body: BodyLength::Empty,
                    ..
                })
            )))
        ));
    }

    #[test]
    fn a_real_nginx_head_is_read_whole() {
        let nginx = b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 02 Dec 2026 02:00:54 GMT\r\n\
            Content-Type: text/html\r\nContent-Length: 17\r\nLast-Modified: Wed, 02 Dec 2026 02:00:53 GMT\r\n\
            Connection: keep-alive\r\nETag: \"692e4815-11\"\r\nAccept-Ranges: bytes\r\n\r\nhello from nginx\n";
        let Ok(Some((used, Some(h)))) = parse_head(nginx, false) else {
            panic!("complete")
        };
        assert_eq!(&nginx[used..], b"hello from nginx\n", "stops at the body");
        assert_eq!(h.status, StatusCode::OK);
        assert!(matches!(h.body, BodyLength::Exactly(17)) && h.keep_alive);
        // Every shorter prefix is incomplete, never an error or a head.
        for end in 0..used {
            assert!(
                matches!(parse_head(&nginx[..end], false), Ok(None)),
                "prefix of {end} bytes"
            );
        }
    }

    #[test]
    fn empty_lines_before_the_status_line_are_skipped_as_httparse_skips_them() {
        let bytes = b"\r\n\nHTTP/1.1 204 No Content\r\n\r\n";
        match parse_head(bytes, false) {
            Ok(Some((used, Some(head)))) => {
                assert_eq!(used, bytes.len());
                assert_eq!(head.status.as_u16(), 204);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse_head(b"\r\n\r", false), Ok(None)));
        assert!(matches!(parse_head(b"\n", false), Ok(None)));
        assert!(parse_head(b"\r\rHTTP/1.1 200 OK\r\n\r\n", false).is_err());
    }

    #[test]
    fn bare_line_feeds_and_a_missing_reason_are_accepted() {
        let h = head(b"HTTP/1.1 200 OK\ncontent-length: 3\n\n");
        assert!(matches!(h.body, BodyLength::Exactly(3)));
        assert_eq!(head(b"HTTP/1.1 404\r\n\r\n").status, StatusCode::NOT_FOUND);
        assert_eq!(head(b"HTTP/1.1 200 \r\n\r\n").status, StatusCode::OK);
        // Spaces around a value are not part of it; an empty value is a value.
        let h = head(b"HTTP/1.1 200 OK\r\ncontent-length:\t 4 \r\nx-empty:\r\n\r\n");
        assert!(matches!(h.body, BodyLength::Exactly(4)));
    }

    #[test]
    fn interim_partial_and_broken_heads() {
        assert!(matches!(
            parse_head(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", false),
            Ok(Some((25, None)))
        ));
        assert!(matches!(
            parse_head(b"HTTP/1.1 200 OK\r\nconte", false),
            Ok(None)
        ));
        assert!(matches!(parse_head(b"HTT", false), Ok(None)));
        // Not HTTP, told at once rather than after waiting for a line end.
        assert!(parse_head(b"SSH-2.0-OpenSSH", false).is_err());
        let broken: [&[u8]; 16] = [
            b"this is not http at all\r\n\r\n",
            b"HTTP/2.0 200 OK\r\n\r\n",
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"HTTP/1.1 099 Low\r\n\r\n",
            b"HTTP/1.1 200 O\x01K\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: ten\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: +1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 1 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 99999999999999999999\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length : 5\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n: no name\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nx: a\rb\r\n\r\n",
            // An obsolete folded line (a continuation starting with a space) is refused.
            b"HTTP/1.1 200 OK\r\nx: a\r\n b\r\n\r\n",
        ];
        for bytes in broken {
            assert!(
                parse_head(bytes, false).is_err(),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn separators_in_a_name_that_frames_nothing_are_let_through() {
        // httparse refuses these; the name is not a framing header and is not looked at.
        let h = head(b"HTTP/1.1 200 OK\r\nx(y)/z: 1\r\ncontent-length: 2\r\n\r\n");
        assert!(matches!(h.body, BodyLength::Exactly(2)));
    }

    #[test]
    fn at_most_max_headers() {
        let with = |n: usize| {
            let mut bytes = b"HTTP/1.1 200 OK\r\n".to_vec();
            for i in 0..n {
                bytes.extend_from_slice(format!("x-{i}: {i}\r\n").as_bytes());
            }
            bytes.extend_from_slice(b"\r\n");
            parse_head(&bytes, false)
        };
        assert!(matches!(with(MAX_HEADERS), Ok(Some(_))));
        assert!(with(MAX_HEADERS + 1).is_err());
    }

    /// Whether this parser's verdict on a head (`whole`: not a prefix of a longer one) is httparse's.
    fn same_verdict(
        theirs: &Result<httparse::Status<usize>, httparse::Error>,
        ours: &Result<Option<Parsed>, String>,
        whole: bool,
    ) -> bool {
        match (theirs, ours) {
            (Ok(httparse::Status::Complete(a)), Ok(Some((b, _)))) => a == b,
            (Ok(httparse::Status::Partial), Ok(None)) => true,
            (Err(_), Err(_)) => true,
            // httparse may refuse a bad byte before its line ends, where this waits for the
            // line: on a prefix, "incomplete" here may meet an error there, nothing else.
            (Err(_), Ok(None)) => !whole,
            // httparse does not read values; a Content-Length that is not a number was refused
            // after it (then, on a complete head), now as soon as its line ends.
            (Ok(_), Err(e)) => e.starts_with("invalid content-length"),
            _ => false,
        }
    }

    /// The same verdict as httparse (the parser this replaced) on every prefix of a set of heads.
    #[test]
    fn agrees_with_httparse() {
        let heads: [&[u8]; 14] = [
            b"HTTP/1.1 200 OK\r\nx-long: aaaaaaaa\tbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nx-long: aaaaaaaaaaaaaaaaa\x01bbbbbbb\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nx-long: aaaaaaaaaaaaaaa\x7fbbbbbbbbb\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nDate: Wed, 02 Dec 2026 02:00:54 GMT\r\nx: \xff\xfe\x80\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nx: a\rb\r\n\r\n",
            b"HTTP/1.1 404\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.0 301 Moved Permanently\r\nLocation: /x\r\n\r\n",
            b"HTTP/1.1 200 OK\nA: b\n\n",
            b"HTTP/1.1 500 Internal Server Error\r\nx-\xe9: 1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nx: caf\xc3\xa9\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nx: a\x7fb\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nx:\x00\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nx\t: 1\r\n\r\n",
        ];
        for bytes in heads {
            for end in 0..=bytes.len() {
                let part = &bytes[..end];
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let theirs = httparse::Response::new(&mut headers).parse(part);
                let ours = parse_head(part, false);
                let agree = same_verdict(&theirs, &ours, end == bytes.len());
                assert!(
                    agree,
                    "{:?}: httparse {theirs:?}, ours {ours:?}",
                    String::from_utf8_lossy(part)
                );
            }
        }
    }

    /// The verdict of `agrees_with_httparse`, on heads made of random parts, cut anywhere.
    mod against_httparse {
        use super::super::*;
        use proptest::prelude::*;

        fn status_line() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                Just(b"HTTP/1.1 200 OK".to_vec()),
                Just(b"HTTP/1.0 404 Not Found".to_vec()),
                Just(b"HTTP/1.1 100 Continue".to_vec()),
                Just(b"HTTP/1.1 204".to_vec()),
                Just(b"HTTP/2.0 200 OK".to_vec()),
                Just(b"HTTP/1.1 20 OK".to_vec()),
                Just(b"HTTP/1.1 2000 OK".to_vec()),
                Just(b"http/1.1 200 OK".to_vec()),
                prop::collection::vec(any::<u8>(), 0..20),
            ]
        }

        /// A token name, sometimes with one byte both parsers refuse in a name.
        fn name() -> impl Strategy<Value = Vec<u8>> {
            let token = prop::collection::vec(
                prop::sample::select(b"abcxyzABCXYZ0129-_.!#$%&'*+^`|~".to_vec()),
                1..12,
            );
            let framing = prop::sample::select(vec![
                b"Content-Length".to_vec(),
                b"transfer-encoding".to_vec(),
                b"Connection".to_vec(),
            ]);
            let bad = prop::sample::select(vec![0u8, 1, b' ', b'\t', 0x7f, 0xe9, b'\r']);
            prop_oneof![
                6 => token.clone(),
                3 => framing,
                1 => (token, bad, 0..12usize).prop_map(|(mut t, b, at)| {
                    let at = at.min(t.len());
                    t.insert(at, b);
                    t
                }),
            ]
        }

        fn value() -> impl Strategy<Value = Vec<u8>> {
            let byte = prop_oneof![
                8 => prop::sample::select(b"abc 019,;=/chunked close keep-alive".to_vec()),
                1 => prop::sample::select(vec![b'\t', 0, 1, 0x7f, 0xff, 0x80, b'\r']),
            ];
            prop::collection::vec(byte, 0..24)
        }

        fn head() -> impl Strategy<Value = Vec<u8>> {
            let line_end = prop::sample::select(vec![b"\r\n".to_vec(), b"\n".to_vec()]);
            (
                status_line(),
                line_end.clone(),
                prop::collection::vec((name(), value(), line_end.clone()), 0..6),
                line_end,
            )
                .prop_map(|(status, end, headers, last)| {
                    let mut bytes = status;
                    bytes.extend_from_slice(&end);
                    for (name, value, end) in headers {
                        bytes.extend_from_slice(&name);
                        bytes.extend_from_slice(b": ");
                        bytes.extend_from_slice(&value);
                        bytes.extend_from_slice(&end);
                    }
                    bytes.extend_from_slice(&last);
                    bytes
                })
        }

        proptest! {
            #[test]
            fn a_random_head_cut_anywhere_gets_httparse_s_verdict(
                bytes in head(),
                cut in any::<prop::sample::Index>(),
            ) {
                let end = cut.index(bytes.len() + 1);
                let part = &bytes[..end];
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let theirs = httparse::Response::new(&mut headers).parse(part);
                let ours = parse_head(part, false);
                let agree = super::same_verdict(&theirs, &ours, end == bytes.len());
                prop_assert!(
                    agree,
                    "{:?}: httparse {:?}, ours {:?}",
                    String::from_utf8_lossy(part),
                    theirs,
                    ours
                );
            }
        }
    }

    #[test]
    fn the_first_control_byte_of_eight_is_found_exactly() {
        // Two control bytes: the first is the lowest flag, whatever follows it.
        for (first, second) in [(0u8, 0x7f), (0x7f, 0x1f), (b'\r', b'\n'), (b'\t', 0)] {
            for a in 0..7 {
                for b in a + 1..8 {
                    let mut chunk = [b'x'; 8];
                    chunk[a] = first;
                    chunk[b] = second;
                    let flags = control_bytes(u64::from_le_bytes(chunk));
                    assert_eq!(flags.trailing_zeros() as usize / 8, a, "{chunk:?}");
                }
            }
        }
    }

    #[test]
    fn framing_header_names_match_in_any_case_and_only_themselves() {
        assert!(is_named(b"Content-Length", b"content-length"));
        assert!(is_named(b"CONTENT-LENGTH", b"content-length"));
        assert!(is_named(b"Transfer-Encoding", b"transfer-encoding"));
        assert!(is_named(b"transfer-encodinG", b"transfer-encoding"));
        assert!(is_named(b"cOnNeCtIoN", b"connection"));
        assert!(!is_named(b"Content-Lengtx", b"content-length"));
        assert!(!is_named(b"Xontent-Length", b"content-length"));
        assert!(!is_named(b"Transfer-Encodinh", b"transfer-encoding"));
        assert!(!is_named(b"connectio", b"connection"));
        // No visible byte but the letter itself (either case), or '-', passes for it after OR 0x20.
        for b in (0x21..0x7fu8).filter(|&b| b != b':') {
            if !b"cC".contains(&b) {
                let mut name = *b"connection";
                name[0] = b;
                assert!(!is_named(&name, b"connection"), "{}", b as char);
            }
            if b != b'-' {
                let mut name = *b"content-length";
                name[7] = b;
                assert!(!is_named(&name, b"content-length"), "{}", b as char);
            }
        }
    }

    #[test]
    fn eight_at_a_time_finds_the_end_of_a_name_exactly() {
        for background in [b'a', b'-', b'~', b'!'] {
            for b in 0..=255u8 {
                for at in 0..8 {
                    let mut chunk = [background; 8];
                    chunk[at] = b;
                    let ends = b <= b' ' || b == b':' || b >= 0x7f;
                    let marks = name_ends(u64::from_le_bytes(chunk));
                    if ends {
                        assert_eq!(marks.trailing_zeros() as usize / 8, at, "{b:#x} at {at}");
                    } else {
                        assert_eq!(marks, 0, "{b:#x} at {at} on {background:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn eight_at_a_time_misses_no_control_byte() {
        for background in [b'a', b' ', b'~', 0x80, 0xff] {
            for b in 0..=255u8 {
                for at in 0..8 {
                    let mut chunk = [background; 8];
                    chunk[at] = b;
                    let control = b < 0x20 || b == 0x7f;
                    let flags = control_bytes(u64::from_le_bytes(chunk));
                    if control {
                        let first = flags.trailing_zeros() as usize / 8;
                        assert_eq!(first, at, "byte {b:#x} at {at} on {background:#x}");
                    } else {
                        assert_eq!(flags, 0, "clean byte {b:#x} at {at} on {background:#x}");
                    }
                }
            }
        }
    }
}
