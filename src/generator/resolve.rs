//! From the target's URL to where the generator connects: its authority, base path and scheme, and
//! the address DNS gives for it (resolved once, before the run starts).

use std::net::{SocketAddr, ToSocketAddrs};

use anyhow::{bail, Context, Result};

/// `http://host:port/base` -> ("host:port", "/base", is https); other schemes are refused.
pub(super) fn split_url(url: &str) -> Result<(String, String, bool)> {
    let (rest, secure) = match url.split_once("://") {
        Some(("http", rest)) => (rest, false),
        Some(("https", rest)) => (rest, true),
        Some((scheme, _)) => {
            bail!("{url}: unsupported scheme '{scheme}': only http:// and https:// targets can be loaded")
        }
        None => bail!("{url}: not a URL: expected http[s]://host[:port][/path]"),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    if authority.is_empty() {
        bail!("{url}: no host");
    }
    let authority = if authority.contains(':') && !authority.ends_with(']') {
        authority.to_string()
    } else {
        format!("{authority}:{}", if secure { 443 } else { 80 })
    };
    Ok((authority, path.to_string(), secure))
}

pub(super) fn resolve(authority: &str) -> Result<SocketAddr> {
    authority
        .to_socket_addrs()
        .with_context(|| format!("{authority}: cannot resolve the host"))?
        .next()
        .with_context(|| format!("{authority}: the host has no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_authority_and_base_path() {
        let split = |url: &str| split_url(url).unwrap();
        assert_eq!(
            split("http://127.0.0.1:8080"),
            ("127.0.0.1:8080".into(), "".into(), false)
        );
        assert_eq!(
            split("http://localhost/api/"),
            ("localhost:80".into(), "/api".into(), false)
        );
        assert_eq!(
            split("https://example.org"),
            ("example.org:443".into(), "".into(), true)
        );
        let err = split_url("ftp://x").unwrap_err().to_string();
        assert!(err.contains("unsupported scheme"), "{err}");
        assert!(split_url("127.0.0.1:80").is_err());
    }
}
