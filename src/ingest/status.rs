//! Reading an HTTP status back out of a Locust failure message. Locust's CSVs have no status column,
//! so "429s are expected" can only be matched against the text each client library writes. The
//! failures reader does it once per record (`FailureRecord::status_code`).

/// The HTTP status a failure message reports, if it reports one. Recognises:
/// `HTTPError('429 Client Error: …')` (HttpUser), `BadStatusCode(…, code=429)` (FastHttpUser),
/// `Unexpected status 429` / `status code: 429` (catch_response and custom messages), and a message
/// that starts with the status (`429 Too Many Requests`).
pub fn status_in_message(message: &str) -> Option<u16> {
    let lower = message.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    for (i, _) in lower
        .match_indices(" client error")
        .chain(lower.match_indices(" server error"))
    {
        if let Some(code) = three_digits_before(bytes, i) {
            return Some(code);
        }
    }
    for marker in ["code=", "status code", "status"] {
        for (i, _) in lower.match_indices(marker) {
            let rest = lower[i + marker.len()..].trim_start_matches([' ', ':', '=']);
            if let Some(code) = leading_status(rest) {
                return Some(code);
            }
        }
    }
    leading_status(lower.trim_start())
}

fn leading_status(text: &str) -> Option<u16> {
    let digits: String = text.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.len() != 3 {
        return None;
    }
    let code: u16 = digits.parse().ok()?;
    (100..=599).contains(&code).then_some(code)
}

fn three_digits_before(bytes: &[u8], end: usize) -> Option<u16> {
    if end < 3 {
        return None;
    }
    let start = end - 3;
    if start > 0 && bytes[start - 1].is_ascii_digit() {
        return None;
    }
    let text = std::str::from_utf8(&bytes[start..end]).ok()?;
    leading_status(text)
}

#[cfg(test)]
mod tests {
    use super::status_in_message;

    #[test]
    fn reads_the_status_each_client_writes() {
        assert_eq!(
            status_in_message("HTTPError('429 Client Error: Too Many Requests for url: http://127.0.0.1:8089/limited')"),
            Some(429)
        );
        assert_eq!(
            status_in_message(
                "HTTPError('500 Server Error: INTERNAL SERVER ERROR for url: /error')"
            ),
            Some(500)
        );
        assert_eq!(
            status_in_message("BadStatusCode('/x', code=404)"),
            Some(404)
        );
        assert_eq!(
            status_in_message("CatchResponseError('Unexpected status 503')"),
            Some(503)
        );
        assert_eq!(status_in_message("429 Too Many Requests"), Some(429));
    }

    #[test]
    fn errno_and_ports_are_not_statuses() {
        assert_eq!(
            status_in_message("ConnectionRefusedError(111, 'Connection refused')"),
            None
        );
        assert_eq!(
            status_in_message("ConnectionError(MaxRetryError(\"HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded\"))"),
            None
        );
        assert_eq!(status_in_message("timed out after 10 s"), None);
    }
}
