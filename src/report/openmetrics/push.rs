//! A Prometheus Pushgateway client: one `PUT` per group (replacing what the group held, so an
//! endpoint that vanished from the run vanishes from the gateway too), within a timeout. The
//! grouping key's values are base64url-encoded (`label@base64/…`), so a run name with slashes or
//! any other character stays one path segment.

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::tls::Tls;

/// How long one push may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Where to push: the gateway's base URL (any path prefix kept) and the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    pub url: String,
    pub job: String,
}

/// One group's body and the labels (besides `job`) that key it.
pub struct Group {
    pub key: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    pub content_type: &'static str,
}

impl Gateway {
    /// The group's URL: `BASE/metrics/job@base64/…/LABEL@base64/…`.
    pub fn group_url(&self, key: &[(&'static str, String)]) -> String {
        let mut url = format!(
            "{}/metrics/job@base64/{}",
            self.url.trim_end_matches('/'),
            base64url(self.job.as_bytes())
        );
        for (label, value) in key {
            url.push_str(&format!("/{label}@base64/{}", base64url(value.as_bytes())));
        }
        url
    }

    /// Pushes every group in turn; the first failure stops and is returned.
    pub fn push(&self, groups: &[Group], timeout: Duration) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the push client")?;
        for group in groups {
            let url = self.group_url(&group.key);
            runtime
                .block_on(async {
                    tokio::time::timeout(timeout, put(&url, group))
                        .await
                        .map_err(|_| anyhow!("no answer within {} s", timeout.as_secs()))?
                })
                .with_context(|| {
                    let key: Vec<String> = group
                        .key
                        .iter()
                        .map(|(l, v)| format!("{l} {v:?}"))
                        .collect();
                    format!(
                        "push to {} (job {:?}, {}) failed",
                        self.url,
                        self.job,
                        key.join(", ")
                    )
                })?;
        }
        Ok(())
    }
}

async fn put(url: &str, group: &Group) -> Result<()> {
    let uri: Uri = url
        .parse()
        .with_context(|| format!("'{url}' is not a URL"))?;
    let https = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => bail!("the gateway URL must start with http:// or https://"),
    };
    let host = uri
        .host()
        .ok_or_else(|| anyhow!("the gateway URL names no host"))?
        .to_string();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let authority = uri.authority().map(|a| a.to_string()).unwrap_or_default();
    let stream = TcpStream::connect((host.trim_start_matches('[').trim_end_matches(']'), port))
        .await
        .with_context(|| format!("cannot connect to {authority}"))?;
    let request = Request::put(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, group.content_type)
        .header(
            hyper::header::USER_AGENT,
            concat!("loadgate/", env!("CARGO_PKG_VERSION")),
        )
        .body(Full::new(Bytes::from(group.body.clone())))?;
    let (status, body) = if https {
        let tls = Tls::client(&host, false)?;
        let stream = tls
            .connector
            .connect(tls.server_name.clone(), stream)
            .await
            .context("TLS handshake failed")?;
        exchange(stream, request).await?
    } else {
        exchange(stream, request).await?
    };
    if !status.is_success() {
        // The gateway says why it refused (e.g. metrics inconsistent with another group's).
        let reason: String = body.trim().chars().take(300).collect();
        bail!("the gateway answered {status}: {reason}");
    }
    Ok(())
}

async fn exchange<IO>(io: IO, request: Request<Full<Bytes>>) -> Result<(hyper::StatusCode, String)>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// RFC 4648 base64url with padding (the Pushgateway accepts either).
pub fn base64url(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        // The gateway's spelling of an empty value.
        return "=".to_string();
    }
    crate::base64::url_safe(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc_4648_vectors_and_the_url_alphabet() {
        let cases = [
            ("", "="),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(base64url(input.as_bytes()), expected, "{input}");
        }
        // 0xfb 0xff: '+' and '/' in standard base64, '-' and '_' here.
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8=");
    }

    #[test]
    fn a_group_url_keeps_the_base_path_and_encodes_every_value() {
        let gateway = Gateway {
            url: "http://127.0.0.1:9091/prefix/".to_string(),
            job: "ci".to_string(),
        };
        assert_eq!(
            gateway.group_url(&[("run", "runs/a b".to_string())]),
            "http://127.0.0.1:9091/prefix/metrics/job@base64/Y2k=/run@base64/cnVucy9hIGI="
        );
    }
}
