//! Reading a response head: the status line and the headers, checked as strictly as httparse checks
//! them (an HTTP/1.0 or 1.1 version, a three-digit status, token header names, no control bytes in
//! values, no folded lines), but looking at only the three headers that frame the body and the
//! connection. At a loopback target's speed httparse's general parser (every header name and value
//! handed out, its SIMD dispatch re-decided per call) was the generator's largest single cost:
//! about 2,700 instructions per nginx response, against about 700 here.

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
    let Some((status_line, mut at)) = next_line(bytes, 0) else {
        // Refuse what can never become a status line without waiting for its end.
        let seen = bytes.len().min(VERSION_PREFIX.len());
        if bytes[..seen] != VERSION_PREFIX[..seen] {
            return Err("invalid HTTP version".into());
        }
        return Ok(None);
    };
    let (minor, code) = status(status_line)?;
    let status = StatusCode::from_u16(code).map_err(|_| format!("status code {code}"))?;
    let mut framing = Framing::default();
    let mut headers = 0;
    loop {
        let Some((line, next)) = next_line(bytes, at) else {
            return Ok(None);
        };
        at = next;
        if line.is_empty() {
            break;
        }
        headers += 1;
        if headers > MAX_HEADERS {
            return Err("too many headers".into());
        }
        framing.read(line)?;
    }
    if status.is_informational() && code != 101 {
        return Ok(Some((at, None)));
    }
    Ok(Some((at, Some(framing.head(status, minor, head_only)))))
}

const VERSION_PREFIX: &[u8] = b"HTTP/1.";

/// The line starting at `from` without its line end (CRLF or a bare LF, as httparse accepts), and
/// where the next one starts; `None` if its end has not arrived.
fn next_line(bytes: &[u8], from: usize) -> Option<(&[u8], usize)> {
    let rest = &bytes[from..];
    let end = memchr::memchr(b'\n', rest)?;
    let line = &rest[..end];
    Some((line.strip_suffix(b"\r").unwrap_or(line), from + end + 1))
}

/// `HTTP/1.x DDD reason`: the minor version and the code.
fn status(line: &[u8]) -> Result<(u8, u16), String> {
    let minor = match line.get(..8) {
        Some(b"HTTP/1.0") => 0,
        Some(b"HTTP/1.1") => 1,
        _ => return Err("invalid HTTP version".into()),
    };
    let code = match line.get(8..12) {
        Some([b' ', a, b, c]) if [a, b, c].iter().all(|d| d.is_ascii_digit()) => {
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
        }
        // No reason phrase at all (`HTTP/1.1 200`) is accepted, as httparse does.
        _ => return Err("invalid status code".into()),
    };
    match line.get(12..) {
        Some([]) | None => {}
        Some([b' ', reason @ ..]) if clean_value(reason) => {}
        Some(_) => return Err("invalid status line".into()),
    }
    Ok((minor, code))
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
    /// One `name: value` line; only the three framing headers are looked at beyond the checks.
    fn read(&mut self, line: &[u8]) -> Result<(), String> {
        let colon = memchr::memchr(b':', line).ok_or("header line without a colon")?;
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
            return Err(format!(
                "invalid header name '{}'",
                String::from_utf8_lossy(&name[..name.len().min(40)])
            ));
        }
        if !clean_value(value) {
            return Err("invalid header value".into());
        }
        // The length check first: most headers are rejected on it without a byte compared.
        match name.len() {
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                let text = std::str::from_utf8(value).unwrap_or("");
                let length = text.parse().map_err(|_| format!("content-length {text}"))?;
                self.content_length = Some(length);
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                self.chunked = last_token(value).eq_ignore_ascii_case(b"chunked");
            }
            10 if name.eq_ignore_ascii_case(b"connection") => {
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

/// RFC 9110's `tchar`: the bytes a header name is made of.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A field value or reason phrase: visible bytes, spaces, tabs and obs-text; no other control
/// byte (a stray CR or NUL in a value is how responses get misread).
fn clean_value(value: &[u8]) -> bool {
    // Written as a fold without early exit so that it compiles to a vector loop.
    value.iter().fold(true, |ok, &b| {
        ok & ((b >= 0x20 && b != 0x7f) | (b == b'\t'))
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
        let broken: [&[u8]; 13] = [
            b"this is not http at all\r\n\r\n",
            b"HTTP/2.0 200 OK\r\n\r\n",
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"HTTP/1.1 099 Low\r\n\r\n",
            b"HTTP/1.1 200 O\x01K\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: ten\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
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

    /// The same verdict as httparse (the parser this replaced) on every prefix of a set of heads.
    #[test]
    fn agrees_with_httparse() {
        let heads: [&[u8]; 8] = [
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
                // httparse may refuse a bad byte before its line ends, where this waits for the
                // line: on a prefix, "incomplete" here may meet an error there, nothing else.
                let whole = end == bytes.len();
                let agree = match (&theirs, &ours) {
                    (Ok(httparse::Status::Complete(a)), Ok(Some((b, _)))) => a == b,
                    (Ok(httparse::Status::Partial), Ok(None)) => true,
                    (Err(_), Err(_)) => true,
                    (Err(_), Ok(None)) => !whole,
                    _ => false,
                };
                assert!(
                    agree,
                    "{:?}: httparse {theirs:?}, ours {ours:?}",
                    String::from_utf8_lossy(part)
                );
            }
        }
    }
}
