//! The series selectors inside a PromQL expression (`rate(http_requests_total{job="api"}[1m])` ->
//! `http_requests_total` with `job="api"`), found by a small scanner rather than a parser: enough to
//! say, when a query matched nothing, which metric and labels it asked for and which exist.

/// One selector: the metric's name (if it names one) and its label matchers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub name: Option<String>,
    /// (label, operator, value) in the order written; `__name__` is moved into `name`.
    pub matchers: Vec<(String, String, String)>,
}

/// Words that are not metric names where an identifier may stand.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "offset",
    "bool",
    "atan2",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "inf",
    "nan",
    "start",
    "end",
];
/// Aggregations, which may be followed by `by (…)` before their argument.
const AGGREGATIONS: &[&str] = &[
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
];
/// Keywords whose parenthesised list holds label names, not expressions.
const LABEL_LISTS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// Every selector of `query`, in order.
pub fn selectors(query: &str) -> Vec<Selector> {
    let chars: Vec<char> = query.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' | '`' => i = skip_string(&chars, i),
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '[' => {
                while i < chars.len() && chars[i] != ']' {
                    i += 1;
                }
                i += 1;
            }
            '{' => {
                let (matchers, next) = matchers(&chars, i);
                out.push(selector(None, matchers));
                i = next;
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let mut next = i;
                while next < chars.len() && chars[next].is_whitespace() {
                    next += 1;
                }
                let follows = chars.get(next).copied();
                let lower = word.to_ascii_lowercase();
                if LABEL_LISTS.contains(&lower.as_str()) {
                    if follows == Some('(') {
                        while next < chars.len() && chars[next] != ')' {
                            next += 1;
                        }
                        i = next + 1;
                    }
                } else if follows == Some('(')
                    || KEYWORDS.contains(&lower.as_str())
                    || (AGGREGATIONS.contains(&lower.as_str())
                        && follows.is_some_and(|c| c.is_ascii_alphabetic()))
                {
                    // A function call, or an operator word.
                } else if follows == Some('{') {
                    let (matchers, after) = matchers(&chars, next);
                    out.push(selector(Some(word), matchers));
                    i = after;
                } else {
                    out.push(selector(Some(word), Vec::new()));
                }
            }
            // A number (1e3, 0x1f) is not a name: skip its letters with it.
            c if c.is_ascii_digit() || c == '.' => {
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out
}

fn selector(name: Option<String>, mut matchers: Vec<(String, String, String)>) -> Selector {
    let mut name = name;
    if let Some(pos) = matchers
        .iter()
        .position(|(l, op, _)| l == "__name__" && op == "=")
    {
        let (_, _, value) = matchers.remove(pos);
        name.get_or_insert(value);
    }
    Selector { name, matchers }
}

/// The matchers of a `{…}` starting at `open`, and the index after its `}`.
fn matchers(chars: &[char], open: usize) -> (Vec<(String, String, String)>, usize) {
    let mut out = Vec::new();
    let mut i = open + 1;
    loop {
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ',') {
            i += 1;
        }
        if i >= chars.len() {
            return (out, i);
        }
        if chars[i] == '}' {
            return (out, i + 1);
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        let label: String = chars[start..i].iter().collect();
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let op_start = i;
        while i < chars.len() && matches!(chars[i], '=' | '!' | '~') {
            i += 1;
        }
        let op: String = chars[op_start..i].iter().collect();
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if label.is_empty() || op.is_empty() || !matches!(chars.get(i), Some('"' | '\'' | '`')) {
            // Not a matcher this scanner knows: give up on the braces.
            while i < chars.len() && chars[i] != '}' {
                i += 1;
            }
            return (out, i + 1);
        }
        let end = skip_string(chars, i);
        let value = unquote(&chars[i..end.min(chars.len())]);
        out.push((label, op, value));
        i = end;
    }
}

/// The index after the string literal starting at `open`.
fn skip_string(chars: &[char], open: usize) -> usize {
    let quote = chars[open];
    let mut i = open + 1;
    while i < chars.len() {
        if chars[i] == '\\' && quote != '`' {
            i += 2;
            continue;
        }
        if chars[i] == quote {
            return i + 1;
        }
        i += 1;
    }
    chars.len()
}

/// A literal's text, its common escapes undone.
fn unquote(literal: &[char]) -> String {
    let inner = if literal.len() >= 2 {
        &literal[1..literal.len() - 1]
    } else {
        &[][..]
    };
    let mut out = String::new();
    let mut chars = inner.iter();
    while let Some(&c) = chars.next() {
        if c == '\\' && literal.first() != Some(&'`') {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(&other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(label: &str, op: &str, value: &str) -> (String, String, String) {
        (label.into(), op.into(), value.into())
    }

    #[test]
    fn names_and_matchers_are_found_past_functions_grouping_and_ranges() {
        let found = selectors(
            r#"sum by (job, instance) (rate(process_cpu_seconds_total{job="api", mode!~"idle|x"}[1m])) / on(job) group_left node_load1"#,
        );
        assert_eq!(
            found,
            vec![
                Selector {
                    name: Some("process_cpu_seconds_total".into()),
                    matchers: vec![m("job", "=", "api"), m("mode", "!~", "idle|x")],
                },
                Selector {
                    name: Some("node_load1".into()),
                    matchers: vec![],
                },
            ]
        );
    }

    #[test]
    fn a_name_matcher_names_the_selector_and_strings_hide_their_words() {
        let found = selectors(
            r#"{__name__="up", job='a\'b'} > bool 0.5e1 and label_replace(x, "d", "y", "", "")"#,
        );
        assert_eq!(
            found[0],
            Selector {
                name: Some("up".into()),
                matchers: vec![m("job", "=", "a'b")],
            }
        );
        assert_eq!(found[1].name.as_deref(), Some("x"));
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn broken_text_never_panics() {
        for text in [
            "{",
            "x{job=",
            "x{job=\"a",
            "sum by (",
            "\"",
            "x[",
            "{a b}",
            "é{ü=\"ö\"}",
        ] {
            let _ = selectors(text);
        }
    }
}
