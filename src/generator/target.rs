//! The embedded target: a small HTTP server on 127.0.0.1 (an ephemeral port) with endpoints of
//! different latency, errors and rate limiting. `loadgate demo` and the generator's tests load it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

/// A running target; dropping it stops the server.
pub struct Target {
    pub addr: SocketAddr,
    scheme: &'static str,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Target {
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the target on its own thread and runtime, so it never competes with the caller's.
pub fn start() -> Result<Target> {
    launch(None)
}

/// The same target over https, with a fresh self-signed certificate for 127.0.0.1.
pub fn start_tls() -> Result<Target> {
    launch(Some(super::tls::self_signed_server()?))
}

fn launch(tls: Option<Arc<rustls::ServerConfig>>) -> Result<Target> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("cannot bind 127.0.0.1")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel();
    let secure = tls.is_some();
    let thread = std::thread::Builder::new()
        .name("loadgate-target".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a runtime for the target");
            runtime.block_on(serve(listener, rx, tls));
        })?;
    Ok(Target {
        addr,
        scheme: if secure { "https" } else { "http" },
        shutdown: Some(tx),
        thread: Some(thread),
    })
}

async fn serve(
    listener: std::net::TcpListener,
    mut shutdown: oneshot::Receiver<()>,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a nonblocking listener");
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let counter = Arc::new(AtomicU64::new(0));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let counter = counter.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| respond(req, counter.clone()));
                    let http = hyper::server::conn::http1::Builder::new();
                    match acceptor {
                        None => {
                            let _ = http.serve_connection(TokioIo::new(stream), service).await;
                        }
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                let _ = http.serve_connection(TokioIo::new(stream), service).await;
                            }
                        }
                    }
                });
            }
            _ = &mut shutdown => return,
        }
    }
}

fn reply(status: StatusCode, body: &'static [u8]) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(hyper::header::CONTENT_TYPE, "text/plain")
        .body(Full::new(Bytes::from_static(body)))
        .expect("a static response is valid")
}

async fn pause(lo_ms: u64, hi_ms: u64) {
    let ms = if hi_ms > lo_ms {
        fastrand::u64(lo_ms..=hi_ms)
    } else {
        lo_ms
    };
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

async fn respond(
    req: Request<Incoming>,
    counter: Arc<AtomicU64>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let response = match (req.method().as_str(), path.as_str()) {
        ("GET", "/") => reply(StatusCode::OK, b"loadgate demo target\n"),
        ("GET", "/fast") => {
            pause(1, 1).await;
            reply(StatusCode::OK, b"fast\n")
        }
        ("GET", "/slow") => {
            pause(40, 60).await;
            reply(StatusCode::OK, &[b'.'; 256])
        }
        ("GET", p) if p.starts_with("/items/") => {
            pause(5, 15).await;
            reply(StatusCode::OK, b"{\"item\": true}\n")
        }
        ("POST", "/login") => {
            pause(8, 12).await;
            reply(StatusCode::OK, b"{\"token\": \"t\"}\n")
        }
        ("GET", "/error") => reply(StatusCode::INTERNAL_SERVER_ERROR, b"internal error\n"),
        ("GET", "/limited") => {
            if counter.fetch_add(1, Ordering::Relaxed) % 3 == 2 {
                reply(StatusCode::TOO_MANY_REQUESTS, b"slow down\n")
            } else {
                reply(StatusCode::OK, b"ok\n")
            }
        }
        _ => reply(StatusCode::NOT_FOUND, b"not found\n"),
    };
    Ok(response)
}
