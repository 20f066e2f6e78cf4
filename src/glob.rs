//! Shell-style name patterns: `*` matches any run of characters, `?` one character. Nothing else is
//! special, so Locust names such as `/items/[id]` match themselves.

/// Whether `text` matches `pattern` as a whole.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matching with single-star backtracking: linear in practice, never exponential.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn literal_names_match_themselves() {
        assert!(glob_match("/items/[id]", "/items/[id]"));
        assert!(!glob_match("/items/[id]", "/items/1"));
    }

    #[test]
    fn stars_and_question_marks() {
        assert!(glob_match("/api/*", "/api/v1/score"));
        assert!(glob_match(
            "*Too Many Requests*",
            "HTTPError('429 Client Error: Too Many Requests for url')"
        ));
        assert!(glob_match("/v?/x", "/v1/x"));
        assert!(!glob_match("/v?/x", "/v10/x"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a*b", "acd"));
    }
}
