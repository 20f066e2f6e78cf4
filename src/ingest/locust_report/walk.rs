//! A JSON value with the path that led to it, so every complaint names the exact place:
//! `templateArgs.requests_statistics[3].num_requests: expected a whole number, found "abc"`.

use std::path::Path;

use serde_json::{Map, Value};

use crate::ingest::error::InputError;

/// Whole numbers above this are refused rather than rounded (f64 holds integers exactly up to 2^53).
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub file: &'a Path,
}

/// A value inside the document and its path from the root.
#[derive(Clone)]
pub struct At<'a> {
    pub ctx: Ctx<'a>,
    pub value: &'a Value,
    pub path: String,
}

pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            let more = if short.len() < s.len() { "…" } else { "" };
            format!("{}{more}", Value::String(short))
        }
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

/// `a.b`, or `a["0.95"]` for a key that is not a plain identifier.
pub fn join(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        format!("{path}.{key}")
    } else {
        format!("{path}[{}]", Value::String(key.to_string()))
    }
}

impl<'a> At<'a> {
    pub fn root(ctx: Ctx<'a>, value: &'a Value, name: &str) -> Self {
        At {
            ctx,
            value,
            path: name.to_string(),
        }
    }

    pub fn error(&self, message: impl std::fmt::Display) -> InputError {
        InputError::file(self.ctx.file, format!("{}: {message}", self.path))
    }

    fn expected(&self, what: &str) -> InputError {
        self.error(format!("expected {what}, found {}", describe(self.value)))
    }

    pub fn object(&self) -> Result<&'a Map<String, Value>, InputError> {
        self.value
            .as_object()
            .ok_or_else(|| self.expected("an object"))
    }

    pub fn array(&self) -> Result<Vec<At<'a>>, InputError> {
        let items = self
            .value
            .as_array()
            .ok_or_else(|| self.expected("an array"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| At {
                ctx: self.ctx,
                value,
                path: format!("{}[{i}]", self.path),
            })
            .collect())
    }

    /// The member `key`, `None` when it is absent or `null`.
    pub fn opt(&self, key: &str) -> Result<Option<At<'a>>, InputError> {
        let map = self.object()?;
        Ok(map.get(key).filter(|v| !v.is_null()).map(|value| At {
            ctx: self.ctx,
            value,
            path: join(&self.path, key),
        }))
    }

    /// The member `key`, which must be present and not `null`.
    pub fn get(&self, key: &str) -> Result<At<'a>, InputError> {
        self.opt(key)?
            .ok_or_else(|| self.error(format!("missing \"{key}\"")))
    }

    pub fn has(&self, key: &str) -> bool {
        self.value.as_object().is_some_and(|m| m.contains_key(key))
    }

    /// Every member, in document order, with its path.
    pub fn members(&self) -> Result<Vec<(&'a str, At<'a>)>, InputError> {
        Ok(self
            .object()?
            .iter()
            .map(|(k, value)| {
                (
                    k.as_str(),
                    At {
                        ctx: self.ctx,
                        value,
                        path: join(&self.path, k),
                    },
                )
            })
            .collect())
    }

    pub fn str(&self) -> Result<&'a str, InputError> {
        self.value.as_str().ok_or_else(|| self.expected("a string"))
    }

    /// A finite number that is not negative.
    pub fn number(&self) -> Result<f64, InputError> {
        match self.value.as_f64() {
            Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
            _ => Err(self.expected("a number of at least 0")),
        }
    }

    /// A whole number that is not negative (`7` or `7.0`).
    pub fn count(&self) -> Result<u64, InputError> {
        if let Some(v) = self.value.as_u64() {
            return Ok(v);
        }
        match self.value.as_f64() {
            Some(v) if v >= 0.0 && v.fract() == 0.0 && v <= MAX_EXACT => Ok(v as u64),
            _ => Err(self.expected("a whole number")),
        }
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, InputError> {
        self.opt(key)?.map(|a| a.str()).transpose()
    }

    pub fn opt_number(&self, key: &str) -> Result<Option<f64>, InputError> {
        self.opt(key)?.map(|a| a.number()).transpose()
    }
}

/// Undoes Python's `html.escape` (and any numeric character reference): `&amp;` `&lt;` `&gt;`
/// `&quot;` `&#x27;` `&#39;` `&apos;` `&#NN;` `&#xHH;`. Anything else is left as it is.
pub fn unescape_html(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => {
                    let code = if let Some(hex) = entity
                        .strip_prefix("#x")
                        .or_else(|| entity.strip_prefix("#X"))
                    {
                        u32::from_str_radix(hex, 16).ok()
                    } else if let Some(dec) = entity.strip_prefix('#') {
                        dec.parse::<u32>().ok()
                    } else {
                        None
                    };
                    code.and_then(char::from_u32)
                }
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_escapes_come_back() {
        assert_eq!(
            unescape_html("/search?q=&lt;b&gt;&amp;r=&#x27;x&#x27; &quot;&#39;&#60;"),
            "/search?q=<b>&r='x' \"'<"
        );
        assert_eq!(
            unescape_html("a & b &unknown; &#xZZ; &"),
            "a & b &unknown; &#xZZ; &"
        );
        assert_eq!(unescape_html("&#x110000;&amp"), "&#x110000;&amp");
    }

    #[test]
    fn paths_quote_keys_that_are_not_identifiers() {
        assert_eq!(join("t", "num_requests"), "t.num_requests");
        assert_eq!(join("t", "0.95"), "t[\"0.95\"]");
    }
}
