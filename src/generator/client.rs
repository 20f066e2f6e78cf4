//! Sending: one HTTP/1.1 connection per user, owned outright (no pool, no lock, no second task),
//! reconnected after an error or a close. The request is written and the response read in the
//! user's own task, straight from the socket: a separate connection task, as hyper's client runs
//! one, costs two wake-ups per request, and at a loopback target's speed those are most of a core.
//! The client measures and classifies; it never formats reports.

use std::future::Future;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tokio_rustls::client::TlsStream;

use super::head::{parse_head, BodyLength, Head};
use crate::tls::Tls;

/// How a request ended.
#[derive(Debug)]
pub enum Outcome {
    /// A response arrived and its body was read.
    Response { status: StatusCode, bytes: u64 },
    /// No response: refused, reset, timed out, or not HTTP. The message is Locust-shaped.
    Error(String),
}

/// Response headers larger than this are refused (hyper's default limit is about the same).
const MAX_HEAD_BYTES: usize = 64 * 1024;
const READ_CHUNK: usize = 16 * 1024;

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.write_all(bytes).await,
            Stream::Tls(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
        }
    }

    async fn read(&mut self, into: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(into).await,
            Stream::Tls(s) => s.read(into).await,
        }
    }
}

/// A user's connection to the target.
pub struct Connection {
    addr: SocketAddr,
    tls: Option<Arc<Tls>>,
    stream: Option<Stream>,
    /// The request as written on the wire, reused from request to request.
    out: Vec<u8>,
    /// Bytes read and not yet consumed: `input[start..end]`.
    input: Vec<u8>,
    start: usize,
    end: usize,
    /// The timeout's timer, armed for some request's deadline and moved only when it fires early
    /// (see [`Connection::send`]); taken out while a request is in flight.
    timer: Option<Pin<Box<Sleep>>>,
}

/// Why an exchange failed, before it becomes Locust's wording.
enum Failure {
    Io(io::Error),
    /// The connection closed before a status line.
    ClosedBeforeResponse,
    /// The connection closed inside the body.
    ClosedInBody,
    NotHttp(String),
    /// Already in Locust's words (a failed TLS handshake).
    Worded(String),
}

impl Connection {
    pub fn new(addr: SocketAddr, tls: Option<Arc<Tls>>) -> Connection {
        Connection {
            addr,
            tls,
            stream: None,
            out: Vec::with_capacity(256),
            input: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
            timer: None,
        }
    }

    /// Sends `request` and reads the whole response, within `timeout` of `sent` (connecting
    /// included, as a user would wait for it). Any error drops the connection so the next request
    /// reconnects. `write` puts the request's bytes (see [`RequestHead::write`]) into the
    /// connection's buffer.
    pub async fn send(
        &mut self,
        write: impl FnOnce(&mut Vec<u8>),
        sent: Instant,
        timeout: Duration,
    ) -> Outcome {
        self.out.clear();
        write(&mut self.out);
        let deadline = tokio::time::Instant::from_std(sent + timeout);
        let mut timer = self
            .timer
            .take()
            .unwrap_or_else(|| Box::pin(tokio::time::sleep_until(deadline)));
        let result = {
            let exchange = std::pin::pin!(self.exchange());
            within(exchange, timer.as_mut(), deadline).await
        };
        self.timer = Some(timer);
        match result {
            Some(Ok(outcome)) => outcome,
            Some(Err(failure)) => Outcome::Error(failure_message(failure)),
            None => Outcome::Error(format!(
                "ReadTimeout('no complete response within {} s')",
                trim_seconds(timeout)
            )),
        }
    }

    async fn exchange(&mut self) -> Result<Outcome, Failure> {
        // Taken out for the exchange: a timeout or a stop drops it half-read, never reused.
        let mut stream = match self.stream.take() {
            Some(stream) => stream,
            None => {
                let stream = connect(self.addr, self.tls.as_deref()).await?;
                self.start = 0;
                self.end = 0;
                stream
            }
        };
        // A response to HEAD has headers only, whatever its content-length says.
        let head_only = self.out.starts_with(b"HEAD ");
        stream.write_all(&self.out).await.map_err(Failure::Io)?;
        let head = self.read_head(&mut stream, head_only).await?;
        let bytes = match head.body {
            BodyLength::Empty => 0,
            BodyLength::Exactly(n) => self.skip_exactly(&mut stream, n).await?,
            BodyLength::Chunked => self.skip_chunked(&mut stream).await?,
            BodyLength::UntilClose => self.skip_until_close(&mut stream).await?,
        };
        if head.keep_alive && !matches!(head.body, BodyLength::UntilClose) {
            self.stream = Some(stream);
        }
        Ok(Outcome::Response {
            status: head.status,
            bytes,
        })
    }

    /// Reads more bytes after `end`, making room first; `Ok(false)` at the end of the stream.
    async fn fill(&mut self, stream: &mut Stream) -> Result<bool, Failure> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.input.len() {
            if self.start > 0 {
                self.input.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                self.input.resize(self.input.len() * 2, 0);
            }
        }
        let n = stream
            .read(&mut self.input[self.end..])
            .await
            .map_err(Failure::Io)?;
        self.end += n;
        Ok(n > 0)
    }

    /// The status line and headers of the final response (1xx interim responses are skipped).
    async fn read_head(&mut self, stream: &mut Stream, head_only: bool) -> Result<Head, Failure> {
        loop {
            if self.end > self.start {
                match parse_head(&self.input[self.start..self.end], head_only)
                    .map_err(Failure::NotHttp)?
                {
                    Some((used, head)) => {
                        self.start += used;
                        match head {
                            Some(head) => return Ok(head),
                            None => continue, // 100 Continue and the like: the answer follows
                        }
                    }
                    None if self.end - self.start > MAX_HEAD_BYTES => {
                        return Err(Failure::NotHttp("response headers too long".into()))
                    }
                    None => {}
                }
            }
            if !self.fill(stream).await? {
                return Err(Failure::ClosedBeforeResponse);
            }
        }
    }

    async fn skip_exactly(&mut self, stream: &mut Stream, length: u64) -> Result<u64, Failure> {
        let mut left = length;
        loop {
            let have = ((self.end - self.start) as u64).min(left);
            self.start += have as usize;
            left -= have;
            if left == 0 {
                return Ok(length);
            }
            if !self.fill(stream).await? {
                return Err(Failure::ClosedInBody);
            }
        }
    }

    async fn skip_until_close(&mut self, stream: &mut Stream) -> Result<u64, Failure> {
        let mut bytes = 0u64;
        loop {
            bytes += (self.end - self.start) as u64;
            self.start = self.end;
            if !self.fill(stream).await? {
                return Ok(bytes);
            }
        }
    }

    /// A chunked body: size lines, data, and the trailer section; returns the data's length.
    async fn skip_chunked(&mut self, stream: &mut Stream) -> Result<u64, Failure> {
        let mut bytes = 0u64;
        loop {
            let line = self.line(stream).await?;
            let size = chunk_size(&line)?;
            if size == 0 {
                // Trailers, if any, up to the empty line.
                while !self.line(stream).await?.is_empty() {}
                return Ok(bytes);
            }
            bytes += self.skip_exactly(stream, size).await?;
            if !self.line(stream).await?.is_empty() {
                return Err(Failure::NotHttp("chunk without its line end".into()));
            }
        }
    }

    /// The next line, without its line end (chunk sizes and trailers are short).
    async fn line(&mut self, stream: &mut Stream) -> Result<Vec<u8>, Failure> {
        loop {
            let pending = &self.input[self.start..self.end];
            if let Some(i) = pending.iter().position(|&b| b == b'\n') {
                let line = pending[..i].strip_suffix(b"\r").unwrap_or(&pending[..i]);
                let line = line.to_vec();
                self.start += i + 1;
                return Ok(line);
            }
            if pending.len() > MAX_HEAD_BYTES {
                return Err(Failure::NotHttp("chunk size line too long".into()));
            }
            if !self.fill(stream).await? {
                return Err(Failure::ClosedInBody);
            }
        }
    }
}

/// A chunk-size line: hexadecimal digits, optionally followed by `;extensions`.
fn chunk_size(line: &[u8]) -> Result<u64, Failure> {
    let digits = line
        .split(|&b| b == b';')
        .next()
        .unwrap_or(line)
        .trim_ascii();
    std::str::from_utf8(digits)
        .ok()
        .filter(|d| !d.is_empty() && d.len() <= 15)
        .and_then(|d| u64::from_str_radix(d, 16).ok())
        .ok_or_else(|| {
            Failure::NotHttp(format!(
                "bad chunk size '{}'",
                String::from_utf8_lossy(&line[..line.len().min(40)])
            ))
        })
}

/// Everything of a request but its target (the path and query).
pub struct RequestHead<'a> {
    pub method: &'a Method,
    /// `host:port`, for the `host` header.
    pub authority: &'a str,
    pub user_agent: &'a str,
    pub headers: &'a [(HeaderName, HeaderValue)],
    pub body: &'a [u8],
}

impl RequestHead<'_> {
    /// Appends the request as HTTP/1.1, `write_target` writing the path. Header names are lower
    /// case, as hyper writes them; a body gets its `content-length` unless the task set one.
    pub fn write(&self, out: &mut Vec<u8>, write_target: impl FnOnce(&mut Vec<u8>)) {
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        let target_start = out.len();
        write_target(out);
        if out.len() == target_start {
            out.push(b'/');
        }
        out.extend_from_slice(b" HTTP/1.1\r\n");
        // A task's own host or user-agent replaces the default rather than joining it; an empty
        // user-agent means none (curl's `-H 'User-Agent:'`).
        let own = |wanted: &HeaderName| self.headers.iter().any(|(name, _)| name == wanted);
        if !own(&header::HOST) {
            out.extend_from_slice(b"host: ");
            out.extend_from_slice(self.authority.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if !own(&header::USER_AGENT) {
            out.extend_from_slice(b"user-agent: ");
            out.extend_from_slice(self.user_agent.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        let mut framed = false;
        for (name, value) in self.headers {
            if name == header::USER_AGENT && value.is_empty() {
                continue;
            }
            framed |= name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING;
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        let expects_body = matches!(*self.method, Method::POST | Method::PUT | Method::PATCH);
        if !framed && (!self.body.is_empty() || expects_body) {
            let _ = write!(out, "content-length: {}\r\n", self.body.len());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.body);
    }
}

async fn connect(addr: SocketAddr, tls: Option<&Tls>) -> Result<Stream, Failure> {
    let stream = TcpStream::connect(addr).await.map_err(Failure::Io)?;
    // Requests are small and latency is what is measured: never wait for Nagle.
    let _ = stream.set_nodelay(true);
    match tls {
        None => Ok(Stream::Plain(stream)),
        Some(tls) => {
            let stream = tls
                .connector
                .connect(tls.server_name.clone(), stream)
                .await
                .map_err(|e| Failure::Worded(tls_message(&e)))?;
            Ok(Stream::Tls(Box::new(stream)))
        }
    }
}

/// Runs `work` until it completes (`Some`) or `deadline` passes (`None`, `work` dropped by the
/// caller). The timer is one per connection and stays registered from request to request: it was
/// armed for an earlier request's deadline, which is never later than this one's (sends on one
/// connection follow each other), so it fires at the latest when this request's own deadline
/// could have come; only then is it moved to this deadline. A new timer per request, as
/// `tokio::time::timeout` makes, was two timer-wheel updates per request.
async fn within<T>(
    mut work: Pin<&mut impl Future<Output = T>>,
    mut timer: Pin<&mut Sleep>,
    deadline: tokio::time::Instant,
) -> Option<T> {
    std::future::poll_fn(|cx| {
        if let Poll::Ready(done) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(done));
        }
        if timer.deadline() > deadline {
            // Armed for later than this request may take (a clock step or a shorter timeout).
            timer.as_mut().reset(deadline);
        }
        loop {
            match timer.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(()) if timer.deadline() >= deadline => return Poll::Ready(None),
                // It fired for an earlier request's deadline: move it to this one's.
                Poll::Ready(()) => timer.as_mut().reset(deadline),
            }
        }
    })
    .await
}

/// Locust's wording for each way an exchange fails, so failures group the same way.
fn failure_message(failure: Failure) -> String {
    match failure {
        Failure::Io(e) => io_message(&e),
        Failure::ClosedBeforeResponse => {
            "RemoteDisconnected('Remote end closed connection without response')".to_string()
        }
        Failure::ClosedInBody => {
            "IncompleteRead('the connection closed before the whole body arrived')".to_string()
        }
        Failure::Worded(message) => message,
        Failure::NotHttp(message) => format!(
            "BadStatusLine('not an HTTP response: {}')",
            message.replace('\'', "")
        ),
    }
}

/// A failed TLS handshake, as Python's ssl module words it.
fn tls_message(e: &std::io::Error) -> String {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => format!("SSLError('{}')", tls.to_string().replace('\'', "")),
        None => io_message(e),
    }
}

fn trim_seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}

/// Socket errors in the words Python (and so Locust) uses, so failures group the same way.
fn io_message(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        ConnectionRefused => "ConnectionRefusedError(111, 'Connection refused')".to_string(),
        ConnectionReset => "ConnectionResetError(104, 'Connection reset by peer')".to_string(),
        ConnectionAborted => {
            "ConnectionAbortedError(103, 'Software caused connection abort')".to_string()
        }
        BrokenPipe => "BrokenPipeError(32, 'Broken pipe')".to_string(),
        TimedOut => "ConnectTimeout('connection timed out')".to_string(),
        UnexpectedEof => {
            "IncompleteRead('the connection closed before the whole body arrived')".to_string()
        }
        _ => format!("ConnectionError('{}')", e.to_string().replace('\'', "")),
    }
}

/// The failure message for a status the task does not accept: Locust's HttpUser wording for 4xx and
/// 5xx, `for url:` followed by the entry's name as Locust 2.x writes it.
pub fn status_failure(status: StatusCode, name: &str) -> String {
    let reason = status.canonical_reason().unwrap_or("Unknown");
    let code = status.as_u16();
    match code {
        400..=499 => format!("HTTPError('{code} Client Error: {reason} for url: {name}')"),
        500..=599 => format!("HTTPError('{code} Server Error: {reason} for url: {name}')"),
        _ => format!("UnexpectedStatus('{code} {reason} for url: {name}')"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    #[test]
    fn chunk_sizes() {
        assert!(matches!(chunk_size(b"1a"), Ok(26)));
        assert!(matches!(chunk_size(b"0;ext=1"), Ok(0)));
        assert!(chunk_size(b"").is_err());
        assert!(chunk_size(b"zz").is_err());
        assert!(
            chunk_size(b"1234567890abcdef").is_err(),
            "16 digits overflow"
        );
    }

    #[test]
    fn requests_are_written_as_http_1_1() {
        let write = |method: &Method, headers: &[(HeaderName, HeaderValue)], body: &[u8]| {
            let mut out = Vec::new();
            let head = RequestHead {
                method,
                authority: "127.0.0.1:80",
                user_agent: "loadgate/test",
                headers,
                body,
            };
            head.write(&mut out, |out| out.extend_from_slice(b"/a?b=1"));
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            write(&Method::GET, &[], b""),
            "GET /a?b=1 HTTP/1.1\r\nhost: 127.0.0.1:80\r\nuser-agent: loadgate/test\r\n\r\n"
        );
        let json = (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert!(write(&Method::POST, &[json], b"{}")
            .ends_with("content-type: application/json\r\ncontent-length: 2\r\n\r\n{}"));
        assert!(write(&Method::POST, &[], b"").ends_with("content-length: 0\r\n\r\n"));
        let agent = |value| (header::USER_AGENT, HeaderValue::from_static(value));
        assert_eq!(
            write(&Method::GET, &[agent("probe/1")], b""),
            "GET /a?b=1 HTTP/1.1\r\nhost: 127.0.0.1:80\r\nuser-agent: probe/1\r\n\r\n",
            "a task's user-agent replaces the default"
        );
        assert_eq!(
            write(&Method::GET, &[agent("")], b""),
            "GET /a?b=1 HTTP/1.1\r\nhost: 127.0.0.1:80\r\n\r\n",
            "an empty user-agent sends none"
        );
        let host = (header::HOST, HeaderValue::from_static("api.example"));
        assert_eq!(
            write(&Method::GET, &[host], b""),
            "GET /a?b=1 HTTP/1.1\r\nuser-agent: loadgate/test\r\nhost: api.example\r\n\r\n",
            "a task's host replaces the connection's authority"
        );
        let own = (header::CONTENT_LENGTH, HeaderValue::from_static("2"));
        assert_eq!(
            write(&Method::PUT, &[own], b"{}")
                .matches("content-length")
                .count(),
            1
        );
    }

    /// One real exchange per response shape, against a server that answers `responses` in turn on
    /// one connection (127.0.0.1, an ephemeral port).
    async fn exchange_all(responses: Vec<&'static [u8]>) -> Vec<Outcome> {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let count = responses.len();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            for response in responses {
                let _ = socket.read(&mut buf).await.unwrap();
                // Split in two writes: the reader must join what arrives in pieces.
                let (a, b) = response.split_at(response.len() / 2);
                socket.write_all(a).await.unwrap();
                socket.flush().await.unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
                socket.write_all(b).await.unwrap();
            }
        });
        let mut conn = Connection::new(addr, None);
        let mut outcomes = Vec::new();
        for _ in 0..count {
            let write = |out: &mut Vec<u8>| out.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
            outcomes.push(
                conn.send(write, Instant::now(), Duration::from_secs(5))
                    .await,
            );
        }
        server.await.unwrap();
        outcomes
    }

    #[tokio::test]
    async fn bodies_of_every_framing_are_read_on_one_kept_connection() {
        let outcomes = exchange_all(vec![
            b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n\
              5;x=y\r\nhello\r\n6\r\n world\r\n0\r\ntrailer: 1\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
        ])
        .await;
        let got: Vec<(u16, u64)> = outcomes
            .iter()
            .map(|o| match o {
                Outcome::Response { status, bytes } => (status.as_u16(), *bytes),
                Outcome::Error(e) => panic!("{e}"),
            })
            .collect();
        assert_eq!(got, vec![(200, 5), (201, 11), (404, 0)]);
    }

    #[tokio::test]
    async fn a_body_without_length_is_read_until_the_close() {
        let outcomes = exchange_all(vec![b"HTTP/1.1 200 OK\r\n\r\nuntil the end"]).await;
        assert!(matches!(outcomes[0], Outcome::Response { bytes: 13, .. }));
    }

    /// A server on 127.0.0.1 that answers each request on a connection after the delay listed for
    /// it, one list per connection accepted, each connection served on its own.
    async fn slow_server(delays: Vec<Vec<u64>>) -> (SocketAddr, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let mut handlers = Vec::new();
            for connection in delays {
                let (mut socket, _) = listener.accept().await.unwrap();
                handlers.push(tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    for delay in connection {
                        if socket.read(&mut buf).await.unwrap_or(0) == 0 {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(delay)).await;
                        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if socket.write_all(answer).await.is_err() {
                            break;
                        }
                    }
                }));
            }
            for handler in handlers {
                handler.await.unwrap();
            }
        });
        (addr, server)
    }

    async fn timed_send(conn: &mut Connection, timeout_ms: u64) -> (Outcome, Duration) {
        let write = |out: &mut Vec<u8>| out.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        let sent = Instant::now();
        let outcome = conn
            .send(write, sent, Duration::from_millis(timeout_ms))
            .await;
        (outcome, sent.elapsed())
    }

    #[tokio::test]
    async fn a_late_response_times_out_at_its_own_deadline_and_the_next_reconnects() {
        // Connection 1: a prompt answer, then one too late; connection 2: a prompt answer.
        let (addr, server) = slow_server(vec![vec![0, 600], vec![0]]).await;
        let mut conn = Connection::new(addr, None);
        let (first, _) = timed_send(&mut conn, 200).await;
        assert!(
            matches!(first, Outcome::Response { bytes: 2, .. }),
            "{first:?}"
        );
        let (late, took) = timed_send(&mut conn, 200).await;
        match late {
            Outcome::Error(message) => assert!(message.starts_with("ReadTimeout("), "{message}"),
            other => panic!("{other:?}"),
        }
        assert!(
            took >= Duration::from_millis(200) && took < Duration::from_millis(550),
            "{took:?}"
        );
        let (again, _) = timed_send(&mut conn, 200).await;
        assert!(
            matches!(again, Outcome::Response { bytes: 2, .. }),
            "{again:?}"
        );
        server.await.unwrap();
    }

    #[tokio::test]
    async fn a_timer_left_from_an_earlier_request_never_cuts_a_later_one_short() {
        // The first request arms the timer for t0 + 300 ms; the second starts at about t0 + 200 ms
        // and takes 200 ms: past the first deadline, inside its own.
        let (addr, server) = slow_server(vec![vec![0, 200, 0]]).await;
        let mut conn = Connection::new(addr, None);
        let (first, _) = timed_send(&mut conn, 300).await;
        assert!(matches!(first, Outcome::Response { .. }), "{first:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (second, took) = timed_send(&mut conn, 300).await;
        assert!(
            matches!(second, Outcome::Response { bytes: 2, .. }),
            "{second:?} after {took:?}"
        );
        assert!(took >= Duration::from_millis(200), "{took:?}");
        // Idle past every deadline armed so far: the next request still gets its full time.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let (third, _) = timed_send(&mut conn, 300).await;
        assert!(matches!(third, Outcome::Response { .. }), "{third:?}");
        server.await.unwrap();
    }
}
