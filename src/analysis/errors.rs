//! What kind of failure a failures-file row is, from its HTTP status (read from the message when the
//! file is read) and its text: the line between a test that asks for the wrong thing (4xx), a
//! service that breaks (5xx), one that is not there (transport) and one that is too slow (timeout).

/// The kind of a failure, as a person reading the message would name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorClass {
    /// 429, or a message that says so (`rate limited: 429`, `Too Many Requests`).
    RateLimited,
    /// The client gave up waiting (`ReadTimeout`, `timed out`).
    Timeout,
    /// No HTTP answer at all: refused, reset, unreachable, DNS, TLS.
    Transport,
    /// Another 4xx: the request was wrong (path, method, credentials, payload).
    Client(u16),
    /// 5xx: the service (or what it depends on) broke.
    Server(u16),
    /// Anything else: a custom check in the locustfile, an unknown text.
    Other,
}

impl ErrorClass {
    /// The family a report groups by.
    pub fn family(self) -> &'static str {
        match self {
            ErrorClass::RateLimited | ErrorClass::Client(_) => "client errors (4xx)",
            ErrorClass::Server(_) => "server errors (5xx)",
            ErrorClass::Transport | ErrorClass::Timeout => "transport errors",
            ErrorClass::Other => "other failures",
        }
    }

    /// A short label: `404`, `timeout`, `connection`.
    pub fn label(self) -> String {
        match self {
            ErrorClass::RateLimited => "429".to_string(),
            ErrorClass::Timeout => "timeout".to_string(),
            ErrorClass::Transport => "connection".to_string(),
            ErrorClass::Client(code) | ErrorClass::Server(code) => code.to_string(),
            ErrorClass::Other => "other".to_string(),
        }
    }
}

const TIMEOUT_WORDS: [&str; 4] = ["timed out", "timeout", "time out", "deadline exceeded"];
const TRANSPORT_WORDS: [&str; 14] = [
    "connection refused",
    "connectionrefused",
    "connection reset",
    "connectionreset",
    "connection aborted",
    "remotedisconnected",
    "remote end closed",
    "newconnectionerror",
    "failed to establish a new connection",
    "name or service not known",
    "nodename nor servname",
    "no route to host",
    "network is unreachable",
    "sslerror",
];

/// The class of a failure with `message` and the HTTP `status` read from it.
pub fn classify(message: &str, status: Option<u16>) -> ErrorClass {
    let lower = message.to_ascii_lowercase();
    if status == Some(429) || says_rate_limited(&lower) {
        return ErrorClass::RateLimited;
    }
    if TIMEOUT_WORDS.iter().any(|w| lower.contains(w)) {
        return ErrorClass::Timeout;
    }
    match status {
        Some(code @ 400..=499) => return ErrorClass::Client(code),
        Some(code @ 500..=599) => return ErrorClass::Server(code),
        _ => {}
    }
    if TRANSPORT_WORDS.iter().any(|w| lower.contains(w)) {
        return ErrorClass::Transport;
    }
    ErrorClass::Other
}

/// `Too Many Requests`, `rate limit(ed)`, `ratelimit`, or a bare `429` token (`rate limited: 429`).
fn says_rate_limited(lower: &str) -> bool {
    lower.contains("too many requests")
        || lower.contains("rate limit")
        || lower.contains("ratelimit")
        || lower.contains("rate-limit")
        || lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|token| token == "429")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::status::status_in_message;

    fn class(message: &str) -> ErrorClass {
        classify(message, status_in_message(message))
    }

    #[test]
    fn the_messages_of_each_client_fall_in_their_class() {
        let cases = [
            (
                "HTTPError('429 Client Error: Too Many Requests for url: /limited')",
                ErrorClass::RateLimited,
            ),
            ("rate limited: 429", ErrorClass::RateLimited),
            ("Rate limit exceeded", ErrorClass::RateLimited),
            ("quota: 4290 left", ErrorClass::Other),
            (
                "HTTPError('404 Client Error: Not Found for url: /missing')",
                ErrorClass::Client(404),
            ),
            ("BadStatusCode('/x', code=405)", ErrorClass::Client(405)),
            (
                "HTTPError('500 Server Error: Internal Server Error for url: /error')",
                ErrorClass::Server(500),
            ),
            (
                "ConnectionRefusedError(111, 'Connection refused')",
                ErrorClass::Transport,
            ),
            (
                "HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded with url: /refused (Caused by NewConnectionError(\"…: Failed to establish a new connection: [Errno 111] Connection refused\"))",
                ErrorClass::Transport,
            ),
            (
                "ReadTimeout(ReadTimeoutError(\"HTTPConnectionPool(host='127.0.0.1', port=18089): Read timed out. (read timeout=0.02)\"))",
                ErrorClass::Timeout,
            ),
            ("order 4711 failed", ErrorClass::Other),
        ];
        for (message, expected) in cases {
            assert_eq!(class(message), expected, "{message}");
        }
    }

    #[test]
    fn families_group_rate_limits_with_client_errors_and_timeouts_with_transport() {
        assert_eq!(ErrorClass::RateLimited.family(), "client errors (4xx)");
        assert_eq!(ErrorClass::Client(404).family(), "client errors (4xx)");
        assert_eq!(ErrorClass::Server(503).family(), "server errors (5xx)");
        assert_eq!(ErrorClass::Timeout.family(), "transport errors");
        assert_eq!(ErrorClass::Server(503).label(), "503");
    }
}
