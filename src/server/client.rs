//! A client of the Prometheus HTTP API (`/api/v1/…`), which Prometheus, Thanos, Mimir, Cortex,
//! VictoriaMetrics and Grafana Cloud all serve: one GET per call, each within a timeout, over
//! hyper and tokio-rustls as the Pushgateway client does. Every answer is untrusted: its size is
//! bounded, its shape checked, and what is quoted from it is cut short, escaped and scrubbed of
//! the secrets in force.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

use super::auth::Auth;
use super::tls::{self, Roots};

/// The most an answer may weigh: 50 series of 11,000 points are about 20 MB of JSON.
const MAX_BODY: usize = 64 << 20;
/// How much of an error body a note quotes.
const EXCERPT_CHARS: usize = 240;

/// Why a call brought nothing back.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No connection: refused, no such host, or a failed TLS handshake.
    Unreachable(String),
    /// No whole answer within the timeout (or the backend's own query timeout).
    Timeout(String),
    /// The backend refused the PromQL: its own message (`bad_data`, `execution`).
    BadQuery { error_type: String, message: String },
    /// Any other HTTP error, with an excerpt of its body.
    Http { status: u16, excerpt: String },
    /// An answer that is not the API's JSON, or bigger than any answer should be.
    BadAnswer(String),
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Unreachable(why) => write!(f, "is unreachable: {why}"),
            ApiError::Timeout(why) => f.write_str(why),
            ApiError::BadQuery {
                error_type,
                message,
            } => write!(f, "refused the query ({error_type}): {message}"),
            ApiError::Http { status, excerpt } if excerpt.is_empty() => {
                write!(f, "answered HTTP {status} with an empty body")
            }
            ApiError::Http { status, excerpt } => write!(f, "answered HTTP {status}: {excerpt}"),
            ApiError::BadAnswer(why) => write!(f, "gave an answer loadgate cannot read: {why}"),
        }
    }
}

/// A successful answer's `data`, with the backend's warnings (a partial answer, say).
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub data: T,
    pub warnings: Vec<String>,
}

/// One series of a `matrix` answer, values as read (NaN and infinities already dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct RawSeries {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<(f64, f64)>,
}

/// Where the backend is, and how to talk to it.
pub struct Client {
    https: bool,
    host: String,
    port: u16,
    authority: String,
    /// The URL's path without a trailing slash (`/prometheus` behind a proxy), or empty.
    path: String,
    auth: Auth,
    tls: Option<Arc<rustls::ClientConfig>>,
    pub roots: Option<Roots>,
    pub timeout: Duration,
    runtime: tokio::runtime::Runtime,
}

impl Client {
    /// A client for `url` (`http://` or `https://`, with a path prefix if the backend has one).
    /// Errors never quote a URL that carries credentials.
    pub fn new(url: &str, auth: Auth, ca_file: Option<&Path>, timeout: Duration) -> Result<Client> {
        let uri: Uri = url
            .trim()
            .parse()
            .map_err(|_| anyhow!("the Prometheus URL is not a URL (expected http://HOST:PORT)"))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => bail!("the Prometheus URL must start with http:// or https://"),
        };
        let authority = uri
            .authority()
            .ok_or_else(|| anyhow!("the Prometheus URL names no host"))?;
        if authority.as_str().contains('@') {
            bail!(
                "the Prometheus URL must not carry credentials: set {} and {} (or {}) instead",
                super::auth::USERNAME_ENV,
                super::auth::PASSWORD_ENV,
                super::auth::BEARER_TOKEN_ENV
            );
        }
        if uri.query().is_some() {
            bail!("the Prometheus URL must not carry a query string (?…): give its base URL");
        }
        let host = authority.host().to_string();
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let (tls, roots) = if https {
            let (config, roots) = tls::client_config(ca_file)?;
            tls::server_name(&host)?;
            (Some(config), Some(roots))
        } else {
            (None, None)
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the Prometheus client")?;
        Ok(Client {
            https,
            authority: authority.to_string(),
            host,
            port,
            path: uri.path().trim_end_matches('/').to_string(),
            auth,
            tls,
            roots,
            timeout,
            runtime,
        })
    }

    /// The backend as shown in every output: scheme, host, port and path (never credentials,
    /// which the URL cannot carry).
    pub fn display(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.authority, self.path)
    }

    /// `text` with every secret in force replaced.
    pub fn redact(&self, text: &str) -> String {
        self.auth.secrets.redact(text)
    }

    /// `/api/v1/query_range`: the series of `query` from `start` to `end` every `step` seconds.
    pub fn query_range(
        &self,
        query: &str,
        start: f64,
        end: f64,
        step: f64,
    ) -> Result<Answer<Vec<RawSeries>>, ApiError> {
        let answer = self.get(
            "/api/v1/query_range",
            &[
                ("query", query.to_string()),
                ("start", seconds(start)),
                ("end", seconds(end)),
                ("step", seconds(step)),
                ("timeout", format!("{}s", self.timeout.as_secs().max(1))),
            ],
        )?;
        Ok(Answer {
            data: matrix(&answer.data)?,
            warnings: answer.warnings,
        })
    }

    /// `/api/v1/query` at `time`: a range selector (`up[5m]`) returns the raw samples of each
    /// series, with the times they were scraped at.
    pub fn query(&self, query: &str, time: f64) -> Result<Answer<Vec<RawSeries>>, ApiError> {
        let answer = self.get(
            "/api/v1/query",
            &[
                ("query", query.to_string()),
                ("time", seconds(time)),
                ("timeout", format!("{}s", self.timeout.as_secs().max(1))),
            ],
        )?;
        let data = match answer.data.get("resultType").and_then(Value::as_str) {
            Some("matrix") => matrix(&answer.data)?,
            Some("vector") => vector(&answer.data)?,
            other => {
                return Err(ApiError::BadAnswer(format!(
                    "resultType {other:?} where a matrix or a vector was expected"
                )))
            }
        };
        Ok(Answer {
            data,
            warnings: answer.warnings,
        })
    }

    /// `/api/v1/label/NAME/values` for series matching `matchers` (none: all) inside the window.
    pub fn label_values(
        &self,
        label: &str,
        matchers: &[&str],
        start: f64,
        end: f64,
    ) -> Result<Vec<String>, ApiError> {
        let path = format!("/api/v1/label/{}/values", encode(label));
        self.strings(&path, matchers, start, end)
    }

    /// `/api/v1/labels`: the label names of series matching `matchers` inside the window.
    pub fn labels(&self, matchers: &[&str], start: f64, end: f64) -> Result<Vec<String>, ApiError> {
        self.strings("/api/v1/labels", matchers, start, end)
    }

    /// `/api/v1/status/config`: the configuration's YAML (Prometheus only; others answer 404).
    pub fn config_yaml(&self) -> Result<String, ApiError> {
        let answer = self.get("/api/v1/status/config", &[])?;
        answer
            .data
            .get("yaml")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| ApiError::BadAnswer("no `yaml` in the config answer".into()))
    }

    /// `/api/v1/status/flags`: the server's command-line flags (Prometheus only).
    pub fn flags(&self) -> Result<BTreeMap<String, String>, ApiError> {
        let answer = self.get("/api/v1/status/flags", &[])?;
        let Value::Object(map) = answer.data else {
            return Err(ApiError::BadAnswer("the flags are not an object".into()));
        };
        Ok(map
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
            .collect())
    }

    fn strings(
        &self,
        path: &str,
        matchers: &[&str],
        start: f64,
        end: f64,
    ) -> Result<Vec<String>, ApiError> {
        let mut params: Vec<(&str, String)> = matchers
            .iter()
            .map(|m| ("match[]", m.to_string()))
            .collect();
        params.push(("start", seconds(start)));
        params.push(("end", seconds(end)));
        let answer = self.get(path, &params)?;
        let Value::Array(items) = answer.data else {
            return Err(ApiError::BadAnswer(format!("{path}: not a list")));
        };
        Ok(items
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect())
    }

    /// One GET of `path` (under the URL's own path) with `params`, within the timeout.
    fn get(&self, path: &str, params: &[(&str, String)]) -> Result<Answer<Value>, ApiError> {
        let mut target = format!("{}{path}", self.path);
        for (i, (key, value)) in params.iter().enumerate() {
            target.push(if i == 0 { '?' } else { '&' });
            target.push_str(&encode(key));
            target.push('=');
            target.push_str(&encode(value));
        }
        let timeout = self.timeout;
        let exchange = self
            .runtime
            .block_on(async { tokio::time::timeout(timeout, self.exchange(&target)).await });
        let (status, body) = match exchange {
            Err(_) => {
                return Err(ApiError::Timeout(format!(
                    "gave no answer within {} (--prometheus-timeout)",
                    human_duration(timeout)
                )))
            }
            Ok(result) => result.map_err(|e| self.scrub(e))?,
        };
        self.answer(status, &body).map_err(|e| self.scrub(e))
    }

    fn scrub(&self, error: ApiError) -> ApiError {
        let r = |t: &str| self.redact(t);
        match error {
            ApiError::Unreachable(t) => ApiError::Unreachable(r(&t)),
            ApiError::Timeout(t) => ApiError::Timeout(r(&t)),
            ApiError::BadQuery {
                error_type,
                message,
            } => ApiError::BadQuery {
                error_type: r(&error_type),
                message: r(&message),
            },
            ApiError::Http { status, excerpt } => ApiError::Http {
                status,
                excerpt: r(&excerpt),
            },
            ApiError::BadAnswer(t) => ApiError::BadAnswer(r(&t)),
        }
    }

    /// The API's envelope: `{"status": "success", "data": …, "warnings": […]}`, or `"error"` with
    /// `errorType` and `error`.
    fn answer(&self, status: u16, body: &[u8]) -> Result<Answer<Value>, ApiError> {
        let json: Option<Value> = serde_json::from_slice(body).ok();
        let field = |key: &str| {
            json.as_ref()
                .and_then(|j| j.get(key))
                .and_then(Value::as_str)
                .map(|s| printable(s, 600))
        };
        if field("status").as_deref() == Some("error") {
            let error_type = field("errorType").unwrap_or_default();
            let message = field("error").unwrap_or_default();
            return Err(match error_type.as_str() {
                "bad_data" | "execution" => ApiError::BadQuery {
                    error_type,
                    message,
                },
                "timeout" | "canceled" => ApiError::Timeout(format!(
                    "the backend gave up on the query ({error_type}): {message}"
                )),
                _ => ApiError::Http {
                    status,
                    excerpt: printable(&String::from_utf8_lossy(body), EXCERPT_CHARS),
                },
            });
        }
        if !(200..300).contains(&status) {
            return Err(ApiError::Http {
                status,
                excerpt: printable(&String::from_utf8_lossy(body), EXCERPT_CHARS),
            });
        }
        let Some(Value::Object(mut map)) = json else {
            return Err(ApiError::BadAnswer(format!(
                "not JSON: {}",
                printable(&String::from_utf8_lossy(body), 80)
            )));
        };
        if map.get("status").and_then(Value::as_str) != Some("success") {
            return Err(ApiError::BadAnswer("no \"status\": \"success\"".into()));
        }
        let warnings = match map.remove("warnings") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(|w| printable(w, EXCERPT_CHARS))
                .collect(),
            _ => Vec::new(),
        };
        let data = map
            .remove("data")
            .ok_or_else(|| ApiError::BadAnswer("no `data`".into()))?;
        Ok(Answer { data, warnings })
    }

    async fn exchange(&self, target: &str) -> Result<(u16, Vec<u8>), ApiError> {
        let unreachable = |what: String| ApiError::Unreachable(what);
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let stream = TcpStream::connect((host, self.port))
            .await
            .map_err(|e| unreachable(format!("cannot connect to {}: {e}", self.authority)))?;
        let mut request = Request::get(target)
            .header(hyper::header::HOST, &self.authority)
            .header(hyper::header::ACCEPT, "application/json")
            .header(
                hyper::header::USER_AGENT,
                concat!("loadgate/", env!("CARGO_PKG_VERSION")),
            );
        for (name, value) in &self.auth.headers {
            request = request.header(name, value);
        }
        let request = request
            .body(Empty::<Bytes>::new())
            .map_err(|e| ApiError::BadAnswer(format!("cannot make the request: {e}")))?;
        match &self.tls {
            Some(config) => {
                let name =
                    tls::server_name(&self.host).map_err(|e| unreachable(format!("{e:#}")))?;
                let stream = tokio_rustls::TlsConnector::from(config.clone())
                    .connect(name, stream)
                    .await
                    .map_err(|e| {
                        unreachable(format!("TLS handshake with {} failed: {e}", self.authority))
                    })?;
                send(stream, request).await
            }
            None => send(stream, request).await,
        }
    }
}

async fn send<IO>(io: IO, request: Request<Empty<Bytes>>) -> Result<(u16, Vec<u8>), ApiError>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let lost = |e: hyper::Error| ApiError::Unreachable(format!("the connection failed: {e}"));
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(lost)?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let response = sender.send_request(request).await.map_err(lost)?;
    let status = response.status().as_u16();
    let body = Limited::new(response.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                ApiError::BadAnswer(format!("the answer is larger than {} MB", MAX_BODY >> 20))
            } else {
                ApiError::Unreachable(format!("the answer was cut off: {e}"))
            }
        })?
        .to_bytes();
    Ok((status, body.to_vec()))
}

/// A `matrix` answer's series.
fn matrix(data: &Value) -> Result<Vec<RawSeries>, ApiError> {
    results(data, "matrix")?
        .iter()
        .map(|item| {
            let values = item
                .get("values")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            Ok(RawSeries {
                labels: labels(item)?,
                points: values.iter().filter_map(sample).collect(),
            })
        })
        .collect()
}

/// A `vector` answer's samples, each as a series of one point.
fn vector(data: &Value) -> Result<Vec<RawSeries>, ApiError> {
    results(data, "vector")?
        .iter()
        .map(|item| {
            Ok(RawSeries {
                labels: labels(item)?,
                points: item.get("value").and_then(sample).into_iter().collect(),
            })
        })
        .collect()
}

fn results<'a>(data: &'a Value, kind: &str) -> Result<&'a Vec<Value>, ApiError> {
    let found = data.get("resultType").and_then(Value::as_str);
    if found != Some(kind) {
        return Err(ApiError::BadAnswer(format!(
            "resultType {found:?} where {kind} was expected"
        )));
    }
    data.get("result")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::BadAnswer("no `result` list".into()))
}

fn labels(item: &Value) -> Result<BTreeMap<String, String>, ApiError> {
    let Some(Value::Object(map)) = item.get("metric") else {
        return Err(ApiError::BadAnswer("a series without `metric`".into()));
    };
    Ok(map
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect())
}

/// `[1700000000.5, "0.25"]` -> (time, value); NaN, infinities and malformed pairs dropped.
fn sample(pair: &Value) -> Option<(f64, f64)> {
    let time = pair.get(0)?.as_f64()?;
    let value: f64 = pair.get(1)?.as_str()?.parse().ok()?;
    (time.is_finite() && value.is_finite()).then_some((time, value))
}

/// Unix seconds as the API takes them: whole seconds plain, else to the millisecond.
fn seconds(t: f64) -> String {
    if t.fract() == 0.0 {
        format!("{t:.0}")
    } else {
        format!("{t:.3}")
    }
}

fn human_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Untrusted text made safe to show on one line: control characters escaped (`\n`, `\u{1b}`),
/// cut after `max` characters with an ellipsis.
pub fn printable(text: &str, max: usize) -> String {
    let text = text.trim();
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_is_escaped_and_cut() {
        assert_eq!(printable("a\nb\u{1b}[31m", 50), "a\\nb\\u{1b}[31m");
        assert_eq!(printable("abcdef", 3), "abc…");
        assert_eq!(printable("  x\t ", 10), "x");
        // A right-to-left override would reorder what the terminal shows.
        assert_eq!(printable("a\u{202e}b", 10), "a\\u{202e}b");
    }

    #[test]
    fn samples_drop_nan_and_infinities_and_malformed_pairs() {
        let json: Value = serde_json::json!([
            [1.0, "2.5"],
            [2.0, "NaN"],
            [3.0, "+Inf"],
            [4.0, "x"],
            [5, "-1e3"],
            ["6", "1"]
        ]);
        let points: Vec<_> = json.as_array().unwrap().iter().filter_map(sample).collect();
        assert_eq!(points, vec![(1.0, 2.5), (5.0, -1000.0)]);
    }

    #[test]
    fn parameters_are_percent_encoded() {
        assert_eq!(
            encode(r#"rate(x{job="a b"}[4s])"#),
            "rate%28x%7Bjob%3D%22a%20b%22%7D%5B4s%5D%29"
        );
        assert_eq!(seconds(1700000000.0), "1700000000");
        assert_eq!(seconds(1.25), "1.250");
    }

    fn client(url: &str) -> Result<Client> {
        Client::new(url, Auth::default(), None, Duration::from_secs(1))
    }

    #[test]
    fn a_url_with_credentials_or_a_query_is_refused_without_quoting_it() {
        let err = client("http://bob:hunter22@127.0.0.1:9090")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("must not carry credentials"), "{err}");
        assert!(!err.contains("hunter22"), "{err}");
        let err = client("http://127.0.0.1:9090/?token=abc123")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("query string") && !err.contains("abc123"),
            "{err}"
        );
        let err = client("ftp://127.0.0.1").err().unwrap().to_string();
        assert!(err.contains("http:// or https://"), "{err}");
        let c = client("https://mimir.example:8443/prometheus/").unwrap();
        assert_eq!(c.display(), "https://mimir.example:8443/prometheus");
    }

    #[test]
    fn the_envelope_becomes_data_warnings_or_a_typed_error() {
        let c = client("http://127.0.0.1:9").unwrap();
        let ok = c
            .answer(
                200,
                br#"{"status":"success","data":[1],"warnings":["partial\nanswer"]}"#,
            )
            .unwrap();
        assert_eq!(ok.data, serde_json::json!([1]));
        assert_eq!(ok.warnings, vec!["partial\\nanswer".to_string()]);
        let bad = c.answer(
            400,
            br#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected"}"#,
        );
        assert_eq!(
            bad.unwrap_err(),
            ApiError::BadQuery {
                error_type: "bad_data".into(),
                message: "1:5: parse error: unexpected".into()
            }
        );
        let timeout = c.answer(
            503,
            br#"{"status":"error","errorType":"timeout","error":"query timed out"}"#,
        );
        assert!(matches!(timeout, Err(ApiError::Timeout(_))), "{timeout:?}");
        let http = c.answer(502, b"<html>Bad Gateway</html>").unwrap_err();
        assert_eq!(
            http,
            ApiError::Http {
                status: 502,
                excerpt: "<html>Bad Gateway</html>".into()
            }
        );
        let garbage = c.answer(200, b"hello").unwrap_err();
        assert!(matches!(garbage, ApiError::BadAnswer(_)), "{garbage:?}");
    }
}
