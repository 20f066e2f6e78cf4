//! TLS for an `https://` metrics backend: rustls with the ring provider, as `crate::tls` sets it up
//! for the generator and the Pushgateway, but with other roots (so kept here until that leaf offers
//! a client with a root store of the caller's; then this file becomes a call to it).
//!
//! Trusted roots: the system's CA bundle where the system keeps one as a file (every Linux and BSD
//! distribution; `SSL_CERT_FILE` first, as OpenSSL reads it), else Mozilla's roots compiled in, plus
//! an optional CA file for a private CA. Reading the bundle file is what `rustls-native-certs` does on
//! Linux too (via `openssl-probe`), so the crate would add a dependency and build time for nothing
//! here; on macOS and Windows, whose stores are not files, the compiled-in roots and the CA file serve.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};

/// Where distributions keep their CA bundle (the list openssl-probe searches, most common first).
const SYSTEM_BUNDLES: [&str; 6] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/share/certs/ca-root-nss.crt",
];

/// Which roots a client trusts, said in `loadgate server`'s listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Roots {
    /// The system bundle read, or `None` for the compiled-in Mozilla roots.
    pub system: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
}

/// A client configuration trusting the system roots and `ca_file`.
pub fn client_config(ca_file: Option<&Path>) -> Result<(Arc<ClientConfig>, Roots)> {
    let mut roots = RootCertStore::empty();
    let system = system_bundle().and_then(|path| {
        let added = add_pem_file(&mut roots, &path).ok()?;
        (added > 0).then_some(path)
    });
    if system.is_none() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if let Some(path) = ca_file {
        let added = add_pem_file(&mut roots, path)
            .with_context(|| format!("{}: cannot read the CA file", path.display()))?;
        if added == 0 {
            bail!(
                "{}: no PEM certificate in the CA file (expected -----BEGIN CERTIFICATE-----)",
                path.display()
            );
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| anyhow!("cannot set up TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((
        Arc::new(config),
        Roots {
            system,
            ca_file: ca_file.map(Path::to_path_buf),
        },
    ))
}

/// The TLS name of `host` (a DNS name or an IP address, brackets allowed).
pub fn server_name(host: &str) -> Result<ServerName<'static>> {
    ServerName::try_from(
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
    )
    .map_err(|_| anyhow!("'{host}' is not a valid TLS server name"))
}

fn system_bundle() -> Option<PathBuf> {
    let from_env = std::env::var_os("SSL_CERT_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    from_env
        .into_iter()
        .chain(SYSTEM_BUNDLES.iter().map(PathBuf::from))
        .find(|p| p.is_file())
}

/// Adds every certificate of a PEM file; how many were added. A certificate rustls cannot use is
/// skipped, as OpenSSL skips it in a bundle.
fn add_pem_file(roots: &mut RootCertStore, path: &Path) -> Result<usize> {
    let bytes = std::fs::read(path)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow!("not a PEM file: {e}"))?;
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_a_certificate_is_refused_and_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let err = format!("{:#}", client_config(Some(&path)).unwrap_err());
        assert!(
            err.contains("ca.pem") && err.contains("no PEM certificate"),
            "{err}"
        );
        let missing = dir.path().join("missing.pem");
        let err = format!("{:#}", client_config(Some(&missing)).unwrap_err());
        assert!(err.contains("missing.pem"), "{err}");
    }

    #[test]
    fn a_generated_ca_is_added_beside_the_system_roots() {
        let dir = tempfile::tempdir().unwrap();
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
        let path = dir.path().join("ca.pem");
        let b64 = crate::base64::standard(certified.cert.der());
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        );
        std::fs::write(&path, pem).unwrap();
        let (_, roots) = client_config(Some(&path)).unwrap();
        assert_eq!(roots.ca_file.as_deref(), Some(path.as_path()));
    }
}
