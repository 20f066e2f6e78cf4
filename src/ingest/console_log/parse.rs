//! The pieces of Locust's console output, line by line: its log lines (`[2026-12-06 12:54:43,554]
//! host/INFO/locust.main: Starting Locust 2.47.0`) and its three tables: the request stats (every
//! 2 s while running, and once more at the end), the response-time percentiles and the error
//! report, in the layouts of locustio 0.x, Locust 1.x and 2.x (`docs/input-formats.md`).

/// A log line: its time (Unix ms, as written: the machine's local time, read as UTC) and message.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine<'a> {
    pub time_ms: i64,
    pub message: &'a str,
}

/// `[2026-12-06 12:54:43,554] host/INFO/locust.main: message`.
pub fn log_line(line: &str) -> Option<LogLine<'_>> {
    let rest = line.strip_prefix('[')?;
    let (stamp, rest) = rest.split_once("] ")?;
    let time = chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S,%3f").ok()?;
    let (_, message) = rest.split_once(": ")?;
    Some(LogLine {
        time_ms: time.and_utc().timestamp_millis(),
        message,
    })
}

/// A CI runner's own timestamp before each line (GitHub Actions' raw logs:
/// `2026-12-06T12:54:43.5541234Z `), removed so the line reads as Locust wrote it.
pub fn without_ci_prefix(line: &str) -> &str {
    let bytes = line.as_bytes();
    let looks = bytes.len() > 21
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[10] == b'T';
    if !looks {
        return line;
    }
    match line.find("Z ") {
        Some(i) if i <= 32 => &line[i + 2..],
        _ => line,
    }
}

/// What a header line of a table names.
#[derive(Debug, Clone, PartialEq)]
pub enum Header {
    /// The request stats: the columns after the name, e.g. `#reqs #fails Avg Min Max Med req/s
    /// failures/s`.
    Stats(Vec<String>),
    /// The percentiles: the columns after the name, e.g. `50% … 100% #reqs` (2.x) or `#reqs 50% …`.
    Percentiles(Vec<String>),
    /// `# occurrences  Error`.
    Errors,
}

/// The header's words, `# reqs` and the like joined, `|` dropped.
fn words(line: &str) -> Vec<String> {
    line.replace("# reqs", "#reqs")
        .replace("# fails", "#fails")
        .replace("# failures", "#fails")
        .replace("# occurrences", "#occurrences")
        .split(|c: char| c.is_whitespace() || c == '|')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn header(line: &str) -> Option<Header> {
    let words = words(line);
    if words.first().map(String::as_str) == Some("#occurrences")
        && words.get(1).map(String::as_str) == Some("Error")
    {
        return Some(Header::Errors);
    }
    let name = words.iter().position(|w| w == "Name")?;
    let after: Vec<String> = words[name + 1..].to_vec();
    if !after.iter().any(|w| w == "#reqs") {
        return None;
    }
    if after.iter().any(|w| w.ends_with('%')) || after.iter().any(|w| is_bare_percent(w)) {
        Some(Header::Percentiles(after))
    } else if after.iter().any(|w| w == "#fails") {
        Some(Header::Stats(after))
    } else {
        None
    }
}

/// locustio 0.13–0.14's `99.999` column has no `%`.
fn is_bare_percent(word: &str) -> bool {
    word.contains('.') && word.parse::<f64>().is_ok_and(|v| v > 0.0 && v <= 100.0)
}

/// A line of dashes (and `|`): a table's separator.
pub fn is_separator(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 10 && t.bytes().all(|b| b == b'-' || b == b'|')
}

/// `7(100.00%)`: failures and their share.
fn is_fails(word: &str) -> bool {
    let Some((n, rest)) = word.split_once('(') else {
        return false;
    };
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && rest.ends_with("%)")
}

/// The start and end (byte offsets) of each whitespace-separated word of `line`, `|` dropped.
fn spans(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        let gap = c.is_whitespace() || c == '|';
        match (gap, start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, line.len()));
    }
    out
}

/// The scope a row names: the method and the name (spacing inside the name kept), or the
/// aggregate (`Aggregated`, 0.x's `Total`, with an empty or `None` type).
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    Endpoint { method: String, name: String },
    Aggregate,
}

fn scope(line: &str, words: &[(usize, usize)]) -> Option<Scope> {
    let (first, last) = (words.first()?, words.last()?);
    let all = line[first.0..last.1].trim();
    let word = |i: usize| &line[words[i].0..words[i].1];
    if matches!(
        all,
        "Aggregated" | "Total" | "None Aggregated" | "None Total"
    ) || (words.len() == 2 && word(0) == "None" && matches!(word(1), "Aggregated" | "Total"))
    {
        return Some(Scope::Aggregate);
    }
    if words.len() < 2 {
        return None;
    }
    Some(Scope::Endpoint {
        method: word(0).to_string(),
        name: line[words[1].0..last.1].to_string(),
    })
}

/// One row of the request stats.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsRow {
    pub scope: Scope,
    pub requests: u64,
    pub failures: u64,
    /// By the header's column name after `#fails` (`Avg`, `Min`, `Max`, `Med`/`Median`, `req/s`,
    /// `failures/s`); 0.x's total row has only the last ones.
    pub figures: Vec<(String, f64)>,
}

/// A row of the request stats under `columns` (the header's words after the name).
pub fn stats_row(line: &str, columns: &[String]) -> Option<StatsRow> {
    let words = spans(line);
    let word = |i: usize| &line[words[i].0..words[i].1];
    // The last `N(x%)` preceded by a whole number: what comes before is the name, however wide.
    let fails_at = (1..words.len())
        .rev()
        .find(|&i| is_fails(word(i)) && word(i - 1).bytes().all(|b| b.is_ascii_digit()))?;
    let requests = word(fails_at - 1).parse().ok()?;
    let failures = word(fails_at).split('(').next()?.parse().ok()?;
    let scope = scope(line, &words[..fails_at - 1])?;
    let after_fails = columns
        .iter()
        .position(|c| c == "#fails")
        .map_or(&columns[..0], |i| &columns[i + 1..]);
    let values: Vec<f64> = (fails_at + 1..words.len())
        .map(|i| word(i).parse::<f64>().ok())
        .collect::<Option<_>>()?;
    if values.len() > after_fails.len() {
        return None;
    }
    // A short row (0.x's total: only req/s, failures/s) fills the last columns.
    let skip = after_fails.len() - values.len();
    let figures = after_fails[skip..].iter().cloned().zip(values).collect();
    Some(StatsRow {
        scope,
        requests,
        failures,
        figures,
    })
}

/// One row of the percentiles table: each value under its header word (`50%`, `#reqs`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct PercentileRow {
    pub scope: Scope,
    pub values: Vec<(String, f64)>,
}

pub fn percentile_row(line: &str, columns: &[String]) -> Option<PercentileRow> {
    let words = spans(line);
    if words.len() < columns.len() + 1 {
        return None;
    }
    let split = words.len() - columns.len();
    let values: Vec<f64> = words[split..]
        .iter()
        .map(|&(s, e)| line[s..e].parse::<f64>().ok())
        .collect::<Option<_>>()?;
    let scope = scope(line, &words[..split])?;
    Some(PercentileRow {
        scope,
        values: columns.iter().cloned().zip(values).collect(),
    })
}

/// One row of the error report: how often, and `METHOD name: error` as printed.
pub fn error_row(line: &str) -> Option<(u64, &str)> {
    let t = line.trim();
    let (count, rest) = t.split_once(char::is_whitespace)?;
    Some((count.parse().ok()?, rest.trim()))
}

/// The level a percentile header word stands for: `99.9%` → 0.999, 0.x's bare `99.999` too.
pub fn level_of(word: &str) -> Option<f64> {
    let number = word.strip_suffix('%').unwrap_or(word);
    let v: f64 = number.parse().ok()?;
    (v > 0.0 && v <= 100.0).then_some(v / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATS_2X: &str = "Type     Name                                                                          # reqs      # fails |    Avg     Min     Max    Med |   req/s  failures/s";

    #[test]
    fn a_2x_stats_row_with_a_spaced_name() {
        let Some(Header::Stats(columns)) = header(STATS_2X) else {
            panic!()
        };
        let row = stats_row(
            "GET      /limited, \"quoted\"                                                                16    5(31.25%) |     40       6      93     42 |    1.00        0.00",
            &columns,
        )
        .unwrap();
        assert_eq!(
            row.scope,
            Scope::Endpoint {
                method: "GET".into(),
                name: "/limited, \"quoted\"".into()
            }
        );
        assert_eq!((row.requests, row.failures), (16, 5));
        assert_eq!(row.figures[0], ("Avg".to_string(), 40.0));
        assert_eq!(row.figures[5], ("failures/s".to_string(), 0.0));
        let total = stats_row("         Aggregated                                                                       146   18(12.33%) |     77       4     655     62 |   38.74        4.78", &columns).unwrap();
        assert_eq!(total.scope, Scope::Aggregate);
    }

    #[test]
    fn a_0x_total_row_fills_the_last_columns() {
        let Some(Header::Stats(columns)) = header(" Name                                                          # reqs      # fails     Avg     Min     Max  |  Median   req/s failures/s") else {
            panic!()
        };
        let row = stats_row(" Aggregated                                                       146   18(12.33%)                                      17.00    1.00", &columns).unwrap();
        assert_eq!(row.scope, Scope::Aggregate);
        assert_eq!(
            row.figures,
            vec![("req/s".to_string(), 17.0), ("failures/s".to_string(), 1.0)]
        );
    }

    #[test]
    fn percentile_headers_in_either_order() {
        let Some(Header::Percentiles(columns)) = header("Type     Name                                                                                  50%    66%    75%    80%    90%    95%    98%    99%  99.9% 99.99%   100% # reqs") else {
            panic!()
        };
        let row = percentile_row("         Aggregated                                                                             62     80     90    100    130    150    510    590    660    660    660    146", &columns).unwrap();
        assert_eq!(row.scope, Scope::Aggregate);
        assert_eq!(row.values[0], ("50%".to_string(), 62.0));
        assert_eq!(row.values[11], ("#reqs".to_string(), 146.0));
        // 0.14: `None` as the aggregate's type, # reqs first.
        let Some(Header::Percentiles(columns)) = header(" Type                 Name                                                           # reqs    50%    66%    75%    80%    90%    95%    98%    99%  99.9% 99.99%   100%") else {
            panic!()
        };
        let row = percentile_row(" None                 Aggregated                                                        146     62     80     90    100    130    150    510    590    660    660    660", &columns).unwrap();
        assert_eq!(row.scope, Scope::Aggregate);
        assert_eq!(row.values[0], ("#reqs".to_string(), 146.0));
    }

    #[test]
    fn log_lines_and_ci_prefixes() {
        let line =
            log_line("[2026-12-06 12:54:43,554] vm/INFO/locust.main: Starting Locust 2.47.0")
                .unwrap();
        assert_eq!(line.message, "Starting Locust 2.47.0");
        assert_eq!(line.time_ms, 1_796_561_683_554);
        assert_eq!(
            without_ci_prefix("2026-12-06T12:54:43.5541234Z Type     Name"),
            "Type     Name"
        );
        assert_eq!(without_ci_prefix("GET /x"), "GET /x");
    }
}
