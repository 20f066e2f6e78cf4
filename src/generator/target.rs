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

/// How the target serves: where, and how much slower than its usual service times.
#[derive(Debug, Clone, PartialEq)]
pub struct Serving {
    /// 0: an ephemeral port.
    pub port: u16,
    /// Every service time is multiplied by this (A/B runs: a "slower build").
    pub slowdown: f64,
    /// Only paths starting with this are slowed down; `None`: all of them.
    pub slow_path: Option<String>,
}

impl Default for Serving {
    fn default() -> Self {
        Serving {
            port: 0,
            slowdown: 1.0,
            slow_path: None,
        }
    }
}

impl Serving {
    fn factor_for(&self, path: &str) -> f64 {
        match &self.slow_path {
            Some(prefix) if !path.starts_with(prefix.as_str()) => 1.0,
            _ => self.slowdown,
        }
    }
}

/// Starts the target on its own thread and runtime, so it never competes with the caller's.
pub fn start() -> Result<Target> {
    launch(None, Serving::default())
}

/// The same target over https, with a fresh self-signed certificate for 127.0.0.1.
pub fn start_tls() -> Result<Target> {
    launch(Some(crate::tls::self_signed_server()?), Serving::default())
}

/// The target as `serving` says, over https when `tls`.
pub fn start_serving(serving: Serving, tls: bool) -> Result<Target> {
    if !(serving.slowdown > 0.0 && serving.slowdown.is_finite()) {
        anyhow::bail!(
            "--slowdown must be a positive number, found {}",
            serving.slowdown
        );
    }
    let tls = if tls {
        Some(crate::tls::self_signed_server()?)
    } else {
        None
    };
    launch(tls, serving)
}

fn launch(tls: Option<Arc<rustls::ServerConfig>>, serving: Serving) -> Result<Target> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", serving.port))
        .with_context(|| format!("cannot bind 127.0.0.1:{}", serving.port))?;
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
            runtime.block_on(serve(listener, rx, tls, Arc::new(serving)));
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
    serving: Arc<Serving>,
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
                let serving = serving.clone();
                tokio::spawn(async move {
                    let service =
                        service_fn(move |req| respond(req, counter.clone(), serving.clone()));
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

/// Sleeps lo..=hi ms (uniform, whole ms) times `factor`.
async fn pause_scaled(lo_ms: u64, hi_ms: u64, factor: f64) {
    let ms = if hi_ms > lo_ms {
        fastrand::u64(lo_ms..=hi_ms)
    } else {
        lo_ms
    };
    tokio::time::sleep(Duration::from_secs_f64(ms as f64 * factor / 1000.0)).await;
}

async fn respond(
    req: Request<Incoming>,
    counter: Arc<AtomicU64>,
    serving: Arc<Serving>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let factor = serving.factor_for(&path);
    let pause = |lo, hi| pause_scaled(lo, hi, factor);
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

#[cfg(test)]
mod tests {
    use super::Serving;

    #[test]
    fn the_slowdown_applies_to_the_paths_that_start_with_slow_path() {
        let everywhere = Serving {
            slowdown: 2.0,
            ..Serving::default()
        };
        assert_eq!(everywhere.factor_for("/fast"), 2.0);
        let only_slow = Serving {
            slowdown: 1.25,
            slow_path: Some("/slow".into()),
            ..Serving::default()
        };
        assert_eq!(only_slow.factor_for("/slow"), 1.25);
        assert_eq!(only_slow.factor_for("/slower"), 1.25);
        assert_eq!(only_slow.factor_for("/items/1"), 1.0);
        assert_eq!(Serving::default().factor_for("/slow"), 1.0);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let serving = Serving {
                slowdown: bad,
                ..Serving::default()
            };
            assert!(super::start_serving(serving, false).is_err(), "{bad}");
        }
    }
}
