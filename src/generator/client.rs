//! Sending: one HTTP/1.1 connection per user, owned outright (no pool, no lock), reconnected after
//! an error or a close. The client measures and classifies; it never formats reports.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::tls::Tls;

/// How a request ended.
#[derive(Debug)]
pub enum Outcome {
    /// A response arrived and its body was read.
    Response { status: StatusCode, bytes: u64 },
    /// No response: refused, reset, timed out, or not HTTP. The message is Locust-shaped.
    Error(String),
}

/// A user's connection to the target.
pub struct Connection {
    addr: SocketAddr,
    tls: Option<Arc<Tls>>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    pub fn new(addr: SocketAddr, tls: Option<Arc<Tls>>) -> Connection {
        Connection {
            addr,
            tls,
            sender: None,
        }
    }

    /// Sends `request` and reads the whole response, within `timeout` (connecting included, as a
    /// user would wait for it). Any error drops the connection so the next request reconnects.
    pub async fn send(&mut self, request: Request<Full<Bytes>>, timeout: Duration) -> Outcome {
        match tokio::time::timeout(timeout, self.exchange(request)).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(message)) => {
                self.sender = None;
                Outcome::Error(message)
            }
            Err(_) => {
                self.sender = None;
                Outcome::Error(format!(
                    "ReadTimeout('no complete response within {} s')",
                    trim_seconds(timeout)
                ))
            }
        }
    }

    async fn exchange(&mut self, request: Request<Full<Bytes>>) -> Result<Outcome, String> {
        let sender = match self.sender.take() {
            Some(s) if !s.is_closed() => s,
            _ => connect(self.addr, self.tls.as_deref()).await?,
        };
        let mut sender = sender;
        sender.ready().await.map_err(|e| hyper_message(&e))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| hyper_message(&e))?;
        let status = response.status();
        let keep_alive = !response
            .headers()
            .get(hyper::header::CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        let mut body = response.into_body();
        let mut bytes = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| hyper_message(&e))?;
            if let Some(data) = frame.data_ref() {
                bytes += data.len() as u64;
            }
        }
        if keep_alive {
            self.sender = Some(sender);
        }
        Ok(Outcome::Response { status, bytes })
    }
}

async fn connect(addr: SocketAddr, tls: Option<&Tls>) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| io_message(&e))?;
    // Requests are small and latency is what is measured: never wait for Nagle.
    let _ = stream.set_nodelay(true);
    match tls {
        None => handshake(stream).await,
        Some(tls) => {
            let stream = tls
                .connector
                .connect(tls.server_name.clone(), stream)
                .await
                .map_err(|e| tls_message(&e))?;
            handshake(stream).await
        }
    }
}

async fn handshake<IO>(io: IO) -> Result<SendRequest<Full<Bytes>>, String>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| hyper_message(&e))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
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

fn hyper_message(e: &hyper::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return io_message(io);
        }
        source = s.source();
    }
    if e.is_incomplete_message() {
        "RemoteDisconnected('Remote end closed connection without response')".to_string()
    } else if e.is_parse() {
        format!(
            "BadStatusLine('not an HTTP response: {}')",
            e.to_string().replace('\'', "")
        )
    } else if e.is_closed() || e.is_canceled() {
        "ConnectionError('connection closed before the response')".to_string()
    } else {
        format!("ConnectionError('{}')", e.to_string().replace('\'', ""))
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
