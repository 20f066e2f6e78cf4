//! A small evaluator for the expressions the Actions runner evaluates in action.yml: literals,
//! context paths, ==, !=, !, &&, || (returning operands, as Actions does), parentheses and the
//! status functions, and `${{ }}` interpolation.

use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum V {
    Null,
    Bool(bool),
    Str(String),
}

impl V {
    pub(super) fn truthy(&self) -> bool {
        match self {
            V::Null => false,
            V::Bool(b) => *b,
            V::Str(s) => !s.is_empty(),
        }
    }
    pub(super) fn text(&self) -> String {
        match self {
            V::Null => String::new(),
            V::Bool(b) => b.to_string(),
            V::Str(s) => s.clone(),
        }
    }
}

pub(super) struct Ctx<'a> {
    pub(super) inputs: &'a BTreeMap<String, String>,
    pub(super) github: &'a BTreeMap<String, String>,
    pub(super) runner_temp: String,
    pub(super) steps: &'a BTreeMap<String, StepResult>,
    pub(super) step_ids: &'a [String],
    pub(super) failed: bool,
}

#[derive(Clone, Debug, Default)]
pub(super) struct StepResult {
    pub(super) outcome: String,
    pub(super) outputs: BTreeMap<String, String>,
    pub(super) stdout: String,
    pub(super) stderr: String,
    pub(super) code: Option<i32>,
}

impl Ctx<'_> {
    pub(super) fn lookup(&self, path: &str) -> V {
        let parts: Vec<&str> = path.split('.').collect();
        match parts.as_slice() {
            ["inputs", name] => V::Str(
                self.inputs
                    .get(*name)
                    .unwrap_or_else(|| panic!("no input {name} in action.yml"))
                    .clone(),
            ),
            ["steps", id, rest @ ..] => {
                assert!(
                    self.step_ids.iter().any(|s| s == id),
                    "no step with id {id}"
                );
                let Some(step) = self.steps.get(*id) else {
                    return V::Null;
                };
                match rest {
                    ["outputs", name] => step.outputs.get(*name).cloned().map_or(V::Null, V::Str),
                    ["outcome"] | ["conclusion"] => V::Str(step.outcome.clone()),
                    _ => panic!("unsupported: {path}"),
                }
            }
            ["github", ..] => V::Str(
                self.github
                    .get(&parts[1..].join("."))
                    .unwrap_or_else(|| panic!("the test does not provide {path}"))
                    .clone(),
            ),
            ["runner", "temp"] => V::Str(self.runner_temp.clone()),
            ["runner", "os"] => V::Str("Linux".into()),
            _ => panic!("unsupported context in action.yml: {path}"),
        }
    }

    pub(super) fn eval(&self, expr: &str) -> V {
        let tokens = tokenize(expr);
        let mut p = Parser {
            t: &tokens,
            i: 0,
            ctx: self,
        };
        let v = p.or();
        assert_eq!(p.i, tokens.len(), "trailing tokens in {expr:?}");
        v
    }

    /// `${{ … }}` inside a string.
    pub(super) fn interpolate(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("closed ${{") + start;
            out.push_str(&self.eval(&rest[start + 3..end]).text());
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// A step's `if:` (default `success()`; without a status function, `success() && (…)`).
    pub(super) fn condition(&self, cond: Option<&str>) -> bool {
        let cond = cond.unwrap_or("success()");
        let cond = cond.trim();
        let cond = cond
            .strip_prefix("${{")
            .and_then(|c| c.strip_suffix("}}"))
            .unwrap_or(cond);
        let has_status = ["always()", "success()", "failure()", "cancelled()"]
            .iter()
            .any(|f| cond.contains(f));
        let value = self.eval(cond).truthy();
        if has_status {
            value
        } else {
            !self.failed && value
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Str(String),
    Ident(String),
    Op(&'static str),
}

pub(super) fn tokenize(expr: &str) -> Vec<Tok> {
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut text = String::new();
            i += 1;
            loop {
                assert!(i < chars.len(), "unclosed string in {expr:?}");
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        text.push('\'');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                text.push(chars[i]);
                i += 1;
            }
            out.push(Tok::Str(text));
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '_' | '-' | '.'))
            {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = ["==", "!=", "&&", "||"]
                .into_iter()
                .find(|op| *op == two)
                .map(|op| (op, 2))
                .or_else(|| {
                    ["!", "(", ")", ","]
                        .into_iter()
                        .find(|op| op.starts_with(c))
                        .map(|op| (op, 1))
                })
                .unwrap_or_else(|| panic!("unsupported character {c:?} in {expr:?}"));
            out.push(Tok::Op(op.0));
            i += op.1;
        }
    }
    out
}

pub(super) struct Parser<'a, 'c> {
    pub(super) t: &'a [Tok],
    pub(super) i: usize,
    pub(super) ctx: &'a Ctx<'c>,
}

impl Parser<'_, '_> {
    pub(super) fn eat(&mut self, op: &str) -> bool {
        if self.t.get(self.i)
            == Some(&Tok::Op(match op {
                "==" => "==",
                "!=" => "!=",
                "&&" => "&&",
                "||" => "||",
                "!" => "!",
                "(" => "(",
                ")" => ")",
                _ => ",",
            }))
        {
            self.i += 1;
            true
        } else {
            false
        }
    }
    pub(super) fn or(&mut self) -> V {
        let mut v = self.and();
        while self.eat("||") {
            let r = self.and();
            if !v.truthy() {
                v = r;
            }
        }
        v
    }
    pub(super) fn and(&mut self) -> V {
        let mut v = self.unary();
        while self.eat("&&") {
            let r = self.unary();
            if v.truthy() {
                v = r;
            }
        }
        v
    }
    pub(super) fn unary(&mut self) -> V {
        if self.eat("!") {
            return V::Bool(!self.unary().truthy());
        }
        let left = self.primary();
        if self.eat("==") {
            let right = self.primary();
            return V::Bool(equal(&left, &right));
        }
        if self.eat("!=") {
            let right = self.primary();
            return V::Bool(!equal(&left, &right));
        }
        left
    }
    pub(super) fn primary(&mut self) -> V {
        if self.eat("(") {
            let v = self.or();
            assert!(self.eat(")"), "missing )");
            return v;
        }
        let tok = self.t.get(self.i).cloned().expect("an operand");
        self.i += 1;
        match tok {
            Tok::Str(s) => V::Str(s),
            Tok::Ident(id) => match id.as_str() {
                "true" => V::Bool(true),
                "false" => V::Bool(false),
                "null" => V::Null,
                "always" | "success" | "failure" | "cancelled" => {
                    assert!(self.eat("(") && self.eat(")"), "{id}()");
                    V::Bool(match id.as_str() {
                        "always" => true,
                        "success" => !self.ctx.failed,
                        "failure" => self.ctx.failed,
                        _ => false,
                    })
                }
                path => self.ctx.lookup(path),
            },
            Tok::Op(op) => panic!("unexpected {op}"),
        }
    }
}

/// Actions compares strings case-insensitively; null equals null and ''.
pub(super) fn equal(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::Str(x), V::Str(y)) => x.eq_ignore_ascii_case(y),
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Null, V::Null) => true,
        (V::Null, V::Str(s)) | (V::Str(s), V::Null) => s.is_empty(),
        _ => false,
    }
}
