//! How loadgate proves itself to a metrics backend: from environment variables only, so that no
//! secret sits in a command line (visible in `ps`, CI logs) or a committed config. Every secret is
//! also kept aside so that anything said about the backend can be scrubbed of it ([`Secrets`]):
//! a backend may quote a request's headers back in an error page.

use anyhow::{bail, Result};
use hyper::header::{HeaderName, HeaderValue, AUTHORIZATION};

pub const BEARER_TOKEN_ENV: &str = "LOADGATE_PROMETHEUS_BEARER_TOKEN";
pub const USERNAME_ENV: &str = "LOADGATE_PROMETHEUS_USERNAME";
pub const PASSWORD_ENV: &str = "LOADGATE_PROMETHEUS_PASSWORD";
pub const HEADERS_ENV: &str = "LOADGATE_PROMETHEUS_HEADERS";

/// What replaces a secret wherever it would have been shown.
pub const REDACTED: &str = "[redacted]";

/// The secrets in force, to be scrubbed from every text shown.
#[derive(Clone, Default)]
pub struct Secrets(Vec<String>);

/// Shows how many, never which: a `{:?}` of a plan must not print a token.
impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} kept)", self.0.len())
    }
}

impl Secrets {
    /// `text` with every secret (and its basic-auth encoding) replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.0 {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }

    fn add(&mut self, secret: &str) {
        // Shorter ones would scrub ordinary words and numbers out of every message.
        if secret.len() >= 3 && !self.0.iter().any(|s| s == secret) {
            self.0.push(secret.to_string());
            // Longest first, so that a secret containing another is replaced whole.
            self.0.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }
}

/// The headers every request carries, and how they authenticate.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// `bearer`, `basic` or `none`: shown, the credential never.
    pub scheme: &'static str,
    pub secrets: Secrets,
}

impl Auth {
    /// From the process environment.
    pub fn from_env() -> Result<Auth> {
        Auth::from_vars(|name| std::env::var(name).ok())
    }

    /// From `var` (the environment, or a map in tests). Errors name the variable, never its value.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Auth> {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        let mut auth = Auth {
            scheme: "none",
            ..Auth::default()
        };
        let token = set(BEARER_TOKEN_ENV);
        let (user, password) = (set(USERNAME_ENV), set(PASSWORD_ENV));
        if let Some(token) = &token {
            auth.secrets.add(token);
        }
        if let Some(password) = &password {
            auth.secrets.add(password);
        }
        match (token, user, password) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => bail!(
                "both {BEARER_TOKEN_ENV} and {USERNAME_ENV}/{PASSWORD_ENV} are set: set one way to authenticate"
            ),
            (Some(token), None, None) => {
                auth.push_secret(AUTHORIZATION, &format!("Bearer {token}"), BEARER_TOKEN_ENV)?;
                auth.scheme = "bearer";
            }
            (None, Some(user), Some(password)) => {
                let encoded = crate::base64::standard(format!("{user}:{password}").as_bytes());
                auth.secrets.add(&encoded);
                auth.push_secret(
                    AUTHORIZATION,
                    &format!("Basic {encoded}"),
                    "the basic credentials",
                )?;
                auth.scheme = "basic";
            }
            (None, Some(_), None) => bail!("{USERNAME_ENV} is set without {PASSWORD_ENV}"),
            (None, None, Some(_)) => bail!("{PASSWORD_ENV} is set without {USERNAME_ENV}"),
            (None, None, None) => {}
        }
        if let Some(text) = set(HEADERS_ENV) {
            for (i, entry) in text
                .split(['\n', ';'])
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .enumerate()
            {
                auth.push_header(i + 1, entry)?;
            }
        }
        Ok(auth)
    }

    /// One `Name: value` entry of the headers variable; the value may be a key, so it is a secret.
    fn push_header(&mut self, number: usize, entry: &str) -> Result<()> {
        let Some((name, value)) = entry.split_once(':') else {
            bail!("{HEADERS_ENV}: entry {number} is not 'Name: value' (no ':')");
        };
        let Ok(name) = HeaderName::from_bytes(name.trim().as_bytes()) else {
            bail!("{HEADERS_ENV}: entry {number} has a name that is not an HTTP header name");
        };
        if matches!(
            name.as_str(),
            "host" | "content-length" | "transfer-encoding"
        ) {
            bail!("{HEADERS_ENV}: entry {number} sets {name}, which loadgate sets itself");
        }
        if name == AUTHORIZATION && self.scheme != "none" {
            bail!(
                "{HEADERS_ENV}: entry {number} sets authorization, as {} credentials already do",
                self.scheme
            );
        }
        let value = value.trim();
        self.secrets.add(value);
        let shown = format!("{HEADERS_ENV} entry {number} ({name})");
        self.push_secret(name, value, &shown)
    }

    fn push_secret(&mut self, name: HeaderName, value: &str, what: &str) -> Result<()> {
        let Ok(mut value) = HeaderValue::from_str(value) else {
            bail!("{what} holds a character an HTTP header cannot carry");
        };
        value.set_sensitive(true);
        self.headers.push((name, value));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(vars: &[(&str, &str)]) -> Result<Auth> {
        Auth::from_vars(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    fn header<'a>(auth: &'a Auth, name: &str) -> Option<&'a str> {
        auth.headers
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v.to_str().unwrap())
    }

    #[test]
    fn a_bearer_token_becomes_the_authorization_header_and_a_secret() {
        let a = auth(&[(BEARER_TOKEN_ENV, "tok-123456")]).unwrap();
        assert_eq!(a.scheme, "bearer");
        assert_eq!(header(&a, "authorization"), Some("Bearer tok-123456"));
        assert_eq!(
            a.secrets.redact("echo: Bearer tok-123456!"),
            "echo: Bearer [redacted]!"
        );
        assert!(!format!("{a:?}").contains("tok-123456"), "{a:?}");
    }

    #[test]
    fn basic_credentials_are_encoded_and_both_forms_are_redacted() {
        let a = auth(&[(USERNAME_ENV, "alice"), (PASSWORD_ENV, "s3cret-pw")]).unwrap();
        // RFC 7617's encoding of alice:s3cret-pw.
        assert_eq!(
            header(&a, "authorization"),
            Some("Basic YWxpY2U6czNjcmV0LXB3")
        );
        let text = "got Basic YWxpY2U6czNjcmV0LXB3 and s3cret-pw";
        assert_eq!(
            a.secrets.redact(text),
            "got Basic [redacted] and [redacted]"
        );
        // Half a pair is an error naming the variables, not their values.
        let err = auth(&[(USERNAME_ENV, "alice")]).unwrap_err().to_string();
        assert!(
            err.contains(PASSWORD_ENV) && !err.contains("alice"),
            "{err}"
        );
        let err = auth(&[(PASSWORD_ENV, "s3cret-pw")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(USERNAME_ENV) && !err.contains("s3cret"),
            "{err}"
        );
        let err = auth(&[
            (BEARER_TOKEN_ENV, "tok-123456"),
            (PASSWORD_ENV, "s3cret-pw"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("set one way") && !err.contains("tok-"),
            "{err}"
        );
    }

    #[test]
    fn extra_headers_split_on_newlines_and_semicolons() {
        let a = auth(&[(
            HEADERS_ENV,
            "X-Scope-OrgID: tenant1\n X-Api-Key : k-998877 ;; X-Other:v",
        )])
        .unwrap();
        assert_eq!(header(&a, "x-scope-orgid"), Some("tenant1"));
        assert_eq!(header(&a, "x-api-key"), Some("k-998877"));
        assert_eq!(header(&a, "x-other"), Some("v"));
        assert_eq!(a.secrets.redact("key k-998877"), "key [redacted]");
        // "v" is too short to scrub: it would take every v out of every message.
        assert_eq!(a.secrets.redact("value"), "value");
    }

    #[test]
    fn a_bad_header_entry_is_named_by_number_and_its_value_never_shown() {
        for (text, said) in [
            ("X-Key supersecret", "entry 1 is not 'Name: value'"),
            ("X-Ok: 1; Bad Name: supersecret", "entry 2 has a name"),
            (
                "X-Key: super\u{7f}secret",
                "entry 1 (x-key) holds a character",
            ),
            ("Host: supersecret", "entry 1 sets host"),
        ] {
            let err = auth(&[(HEADERS_ENV, text)]).unwrap_err().to_string();
            assert!(err.contains(said), "{text:?}: {err}");
            assert!(
                !err.contains("supersecret") && !err.contains("super"),
                "{err}"
            );
        }
        let err = auth(&[
            (BEARER_TOKEN_ENV, "tok-123456"),
            (HEADERS_ENV, "Authorization: Basic zzz"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("bearer credentials already"), "{err}");
    }

    #[test]
    fn nothing_set_is_no_authentication() {
        let a = auth(&[(BEARER_TOKEN_ENV, "")]).unwrap();
        assert_eq!((a.scheme, a.headers.len()), ("none", 0));
    }
}
