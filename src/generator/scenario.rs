//! Scenarios: what each simulated user does, as a TOML file (documented in docs/scenario.md).
//! Parsing resolves everything that can fail (environment variables, placeholders, statuses) up
//! front, so a running test never stops on a typo.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use serde::Deserialize;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    host: Option<String>,
    #[serde(default)]
    load: LoadDefaults,
    wait_time: Option<WaitFile>,
    #[serde(default, rename = "task")]
    tasks: Vec<TaskFile>,
}

/// Defaults for the command-line flags of the same names.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadDefaults {
    pub users: Option<u32>,
    pub spawn_rate: Option<f64>,
    pub run_time: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaitFile {
    between: Option<[f64; 2]>,
    constant: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskFile {
    #[serde(default = "default_weight")]
    weight: u32,
    #[serde(default = "default_method")]
    method: String,
    path: String,
    name: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    json: Option<toml::Value>,
    body: Option<String>,
    expect_status: Option<Vec<StatusFile>>,
}

fn default_weight() -> u32 {
    1
}

fn default_method() -> String {
    "GET".to_string()
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StatusFile {
    Code(u16),
    Class(String),
}

/// How long a user waits after each task.
#[derive(Debug, Clone, PartialEq)]
pub enum Wait {
    None,
    Constant(Duration),
    Between(Duration, Duration),
}

impl Wait {
    pub fn next(&self, rng: &mut fastrand::Rng) -> Option<Duration> {
        match self {
            Wait::None => None,
            Wait::Constant(d) => Some(*d),
            Wait::Between(lo, hi) => Some(*lo + (*hi - *lo).mul_f64(rng.f64())),
        }
    }
}

/// A piece of a request path.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Text(String),
    /// `{rand:LO..HI}`: a uniformly random integer, both ends included.
    Rand(i64, i64),
}

/// The statuses that count as success.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// Anything below 400, as Locust's HttpUser.
    Default,
    Listed(Vec<(u16, u16)>),
}

impl Expect {
    pub fn accepts(&self, status: u16) -> bool {
        match self {
            Expect::Default => status < 400,
            Expect::Listed(ranges) => ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&status)),
        }
    }
}

/// One task, ready to send.
#[derive(Debug, Clone)]
pub struct Task {
    pub weight: u32,
    pub method: hyper::Method,
    path: Vec<Segment>,
    /// The CSV `Name`: as given, else the path as written (placeholders and all).
    pub name: String,
    pub headers: Vec<(hyper::header::HeaderName, hyper::header::HeaderValue)>,
    pub body: Bytes,
    pub expect: Expect,
}

impl Task {
    /// The path with its placeholders filled in.
    pub fn render_path(&self, rng: &mut fastrand::Rng) -> String {
        let mut out = Vec::new();
        self.write_path(rng, &mut out);
        String::from_utf8(out).expect("text segments are strings and numbers are ASCII")
    }

    /// Whether the path has no placeholder, so that every request of the task is the same.
    pub fn is_fixed(&self) -> bool {
        self.path.iter().all(|s| matches!(s, Segment::Text(_)))
    }

    /// The path with its placeholders filled in, appended to a request being written.
    pub fn write_path(&self, rng: &mut fastrand::Rng, out: &mut Vec<u8>) {
        use std::io::Write;
        for segment in &self.path {
            match segment {
                Segment::Text(t) => out.extend_from_slice(t.as_bytes()),
                Segment::Rand(lo, hi) => {
                    let _ = write!(out, "{}", rng.i64(*lo..=*hi));
                }
            }
        }
    }
}

/// A scenario ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub host: Option<String>,
    pub load: LoadDefaults,
    pub wait: Wait,
    pub tasks: Vec<Task>,
    /// Cumulative weights for picking a task.
    cumulative: Vec<u64>,
}

impl Scenario {
    /// Every user sends GET to `path` back to back, like wrk or oha.
    pub fn default_get(path: &str) -> Scenario {
        let task = Task {
            weight: 1,
            method: hyper::Method::GET,
            path: vec![Segment::Text(path.to_string())],
            name: path.to_string(),
            headers: Vec::new(),
            body: Bytes::new(),
            expect: Expect::Default,
        };
        Scenario::assemble(None, LoadDefaults::default(), Wait::None, vec![task])
    }

    /// Puts `name: value` on every task, replacing a header of that name the task had.
    pub fn set_header(&mut self, name: HeaderName, value: HeaderValue) {
        for task in &mut self.tasks {
            task.headers.retain(|(n, _)| *n != name);
            task.headers.push((name.clone(), value.clone()));
        }
    }

    fn assemble(
        host: Option<String>,
        load: LoadDefaults,
        wait: Wait,
        tasks: Vec<Task>,
    ) -> Scenario {
        let mut total = 0u64;
        let cumulative = tasks
            .iter()
            .map(|t| {
                total += u64::from(t.weight);
                total
            })
            .collect();
        Scenario {
            host,
            load,
            wait,
            tasks,
            cumulative,
        }
    }

    /// Picks a task (its index) with probability proportional to its weight.
    pub fn pick(&self, rng: &mut fastrand::Rng) -> usize {
        let total = *self.cumulative.last().expect("a scenario has tasks");
        let ticket = rng.u64(0..total);
        self.cumulative.partition_point(|c| *c <= ticket)
    }

    pub fn load(path: &Path) -> Result<Scenario> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the scenario", path.display()))?;
        Scenario::parse(&text, &path.display().to_string())
    }

    /// Parses a scenario; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Scenario> {
        let file: ScenarioFile =
            toml::from_str(text).with_context(|| format!("{origin}: invalid scenario"))?;
        let wait = match file.wait_time {
            None => Wait::None,
            Some(WaitFile {
                between: Some([lo, hi]),
                constant: None,
            }) if lo >= 0.0 && hi >= lo && hi.is_finite() => {
                Wait::Between(Duration::from_secs_f64(lo), Duration::from_secs_f64(hi))
            }
            Some(WaitFile {
                between: None,
                constant: Some(c),
            }) if c >= 0.0 && c.is_finite() => Wait::Constant(Duration::from_secs_f64(c)),
            Some(_) => bail!(
                "{origin}: wait_time: give exactly one of `between = [min, max]` (seconds, min <= max) or `constant = seconds`"
            ),
        };
        if file.tasks.is_empty() {
            bail!("{origin}: no [[task]]: a scenario needs at least one");
        }
        let tasks = file
            .tasks
            .into_iter()
            .enumerate()
            .map(|(i, t)| task(t).with_context(|| format!("{origin}: task[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        if tasks.iter().all(|t| t.weight == 0) {
            bail!("{origin}: every task has weight 0");
        }
        Ok(Scenario::assemble(file.host, file.load, wait, tasks))
    }
}

fn task(t: TaskFile) -> Result<Task> {
    let method = hyper::Method::from_bytes(t.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| anyhow!("method '{}' is not an HTTP method", t.method))?;
    if !t.path.starts_with('/') {
        bail!("path '{}' must start with '/'", t.path);
    }
    let path = parse_path(&t.path)?;
    let mut headers = Vec::new();
    for (name, value) in &t.headers {
        let value = expand_env(value).with_context(|| format!("header '{name}'"))?;
        let name = hyper::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| anyhow!("'{name}' is not a valid header name"))?;
        let value = hyper::header::HeaderValue::from_str(&value)
            .map_err(|_| anyhow!("the value of header '{name}' is not a valid header value"))?;
        headers.push((name, value));
    }
    let body = match (t.json, t.body) {
        (Some(_), Some(_)) => bail!("give `json` or `body`, not both"),
        (Some(json), None) => {
            if !headers
                .iter()
                .any(|(n, _)| n == hyper::header::CONTENT_TYPE)
            {
                headers.push((
                    hyper::header::CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static("application/json"),
                ));
            }
            Bytes::from(serde_json::to_vec(&json)?)
        }
        (None, Some(body)) => Bytes::from(expand_env(&body)?),
        (None, None) => Bytes::new(),
    };
    let expect = match t.expect_status {
        None => Expect::Default,
        Some(list) if list.is_empty() => bail!("expect_status is empty: nothing could succeed"),
        Some(list) => Expect::Listed(list.iter().map(status_range).collect::<Result<_>>()?),
    };
    Ok(Task {
        weight: t.weight,
        method,
        name: t.name.unwrap_or_else(|| t.path.clone()),
        path,
        headers,
        body,
        expect,
    })
}

fn status_range(status: &StatusFile) -> Result<(u16, u16)> {
    match status {
        StatusFile::Code(c) if (100..=599).contains(c) => Ok((*c, *c)),
        StatusFile::Code(c) => bail!("status {c} is not an HTTP status"),
        StatusFile::Class(class) => {
            let bytes = class.as_bytes();
            if bytes.len() == 3
                && (b'1'..=b'5').contains(&bytes[0])
                && class[1..].eq_ignore_ascii_case("xx")
            {
                let base = u16::from(bytes[0] - b'0') * 100;
                Ok((base, base + 99))
            } else {
                bail!("status class '{class}' should look like \"2xx\"")
            }
        }
    }
}

fn parse_path(path: &str) -> Result<Vec<Segment>> {
    let mut segments = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        if start > 0 {
            segments.push(Segment::Text(rest[..start].to_string()));
        }
        let end = rest[start..]
            .find('}')
            .ok_or_else(|| anyhow!("path '{path}': '{{' without '}}'"))?
            + start;
        let inner = &rest[start + 1..end];
        let range = inner.strip_prefix("rand:").ok_or_else(|| {
            anyhow!("path '{path}': unknown placeholder '{{{inner}}}' (use {{rand:1..1000}})")
        })?;
        let (lo, hi) = range
            .split_once("..")
            .ok_or_else(|| anyhow!("path '{path}': '{{{inner}}}' needs a range LO..HI"))?;
        let lo: i64 = lo
            .trim()
            .parse()
            .map_err(|_| anyhow!("path '{path}': '{lo}' is not an integer"))?;
        let hi: i64 = hi
            .trim()
            .parse()
            .map_err(|_| anyhow!("path '{path}': '{hi}' is not an integer"))?;
        if lo > hi {
            bail!("path '{path}': range {lo}..{hi} is empty");
        }
        segments.push(Segment::Rand(lo, hi));
        rest = &rest[end + 1..];
    }
    if !rest.is_empty() {
        segments.push(Segment::Text(rest.to_string()));
    }
    Ok(segments)
}

/// Replaces each `${NAME}` with the environment variable, so secrets stay out of scenario files.
fn expand_env(text: &str) -> Result<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .ok_or_else(|| anyhow!("'${{' without '}}'"))?
            + start;
        let name = &rest[start + 2..end];
        let value =
            std::env::var(name).map_err(|_| anyhow!("environment variable {name} is not set"))?;
        out.push_str(&value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `--header 'NAME: VALUE'` as curl, wrk and oha take it; the value may be empty.
pub fn parse_header_flag(text: &str) -> Result<(HeaderName, HeaderValue)> {
    let (name, value) = text
        .split_once(':')
        .with_context(|| format!("--header '{text}' is not 'NAME: VALUE'"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
        anyhow!(
            "--header '{text}': '{}' is not a valid header name",
            name.trim()
        )
    })?;
    let value = HeaderValue::from_str(value.trim())
        .map_err(|_| anyhow!("--header '{text}': the value is not a valid header value"))?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_weights() {
        let s = Scenario::parse(
            r#"
[wait_time]
between = [0.1, 0.2]
[[task]]
path = "/items/{rand:1..3}"
name = "/items/[id]"
weight = 3
[[task]]
method = "post"
path = "/login"
json = { user = "u" }
expect_status = [200, "4xx"]
"#,
            "t.toml",
        )
        .unwrap();
        let mut rng = fastrand::Rng::with_seed(1);
        for _ in 0..50 {
            let p = s.tasks[0].render_path(&mut rng);
            assert!(
                ["/items/1", "/items/2", "/items/3"].contains(&p.as_str()),
                "{p}"
            );
        }
        let picks = (0..4000)
            .filter(|_| s.tasks[s.pick(&mut rng)].name == "/items/[id]")
            .count();
        assert!(
            (2700..3300).contains(&picks),
            "{picks} of 4000 for weight 3 of 4"
        );
        assert_eq!(s.tasks[1].method, hyper::Method::POST);
        assert!(s.tasks[1].expect.accepts(404) && !s.tasks[1].expect.accepts(500));
        assert_eq!(&s.tasks[1].body[..], br#"{"user":"u"}"#);
    }

    #[test]
    fn mistakes_name_the_file() {
        let err = Scenario::parse("[[task]]\npath = \"/x\"\nwieght = 2\n", "s.toml").unwrap_err();
        assert!(format!("{err:#}").contains("s.toml") && format!("{err:#}").contains("wieght"));
        let err = Scenario::parse(
            "[[task]]\npath = \"/x\"\nheaders = { k = \"${NO_SUCH_VAR_LG}\" }\n",
            "s.toml",
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("NO_SUCH_VAR_LG"), "{err:#}");
        assert!(Scenario::parse("host = \"x\"\n", "s.toml").is_err());
    }

    #[test]
    fn header_flags_replace_the_scenarios_headers() {
        let (name, value) = parse_header_flag("User-Agent:").unwrap();
        assert_eq!((name.as_str(), value.to_str().unwrap()), ("user-agent", ""));
        let (name, value) = parse_header_flag(" X-Key :  a:b ").unwrap();
        assert_eq!((name.as_str(), value.to_str().unwrap()), ("x-key", "a:b"));
        for bad in ["no colon", ": empty name", "bad name: x", "x: line\nbreak"] {
            let err = parse_header_flag(bad).unwrap_err();
            assert!(format!("{err:#}").contains("--header"), "{bad}: {err:#}");
        }
        let mut s = Scenario::parse(
            "[[task]]\npath = \"/a\"\nheaders = { x-key = \"old\", accept = \"*/*\" }\n[[task]]\npath = \"/b\"\n",
            "s.toml",
        )
        .unwrap();
        let (name, value) = parse_header_flag("X-Key: new").unwrap();
        s.set_header(name, value);
        for task in &s.tasks {
            let keys: Vec<_> = task.headers.iter().filter(|(n, _)| n == "x-key").collect();
            assert_eq!(keys.len(), 1, "{}: one x-key", task.name);
            assert_eq!(keys[0].1, "new");
        }
        assert_eq!(s.tasks[0].headers.len(), 2, "accept kept");
    }
}
