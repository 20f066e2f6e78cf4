//! Which tool wrote a file, from its first bytes (its name only breaks ties): Locust's own files are
//! left to their readers, the others are named here so that one of `k6`, `jmeter` or `console_log`
//! reads them, and a file of none of them says which formats were tried.

/// What the start of a file looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// Locust's CSVs, HTML report or JSON output: read by the Locust readers.
    Locust,
    /// Locust's console output (`locust … 2>&1 | tee locust.log`).
    LocustLog,
    /// k6 `--out csv`.
    K6Csv,
    /// k6 `--out json` (one JSON object a line).
    K6Json,
    /// k6's end-of-test summary (`--summary-export`, `handleSummary`'s data).
    K6Summary,
    /// k6 ≥ 1.5's machine-readable summary (`--new-machine-readable-summary`): not read.
    K6NewSummary,
    /// A JMeter JTL in CSV: its delimiter and whether the first line is the header.
    JMeterCsv { delimiter: u8, header: bool },
    /// A JMeter JTL in XML (`<testResults>`).
    JMeterXml,
    /// Gatling's `simulation.log`, text (up to 3.9) or binary (3.10 and later): not read.
    Gatling { binary: bool },
    /// None of them.
    Unknown,
}

/// The formats loadgate reads, for the message about a file that is none of them.
pub const TRIED: &str = "Locust's CSVs (--csv), HTML report (--html), JSON (--json-file) and console output; k6's --out csv, --out json (also .gz) and end-of-test summary (--summary-export, handleSummary); JMeter's JTL (CSV with or without header, any delimiter; XML)";

/// JMeter's CSV header names (`CSVSaveService`), any of which marks a JTL header.
const JTL_COLUMNS: [&str; 8] = [
    "timeStamp",
    "elapsed",
    "label",
    "responseCode",
    "threadName",
    "success",
    "Latency",
    "allThreads",
];

pub fn detect(head: &[u8], name: &str) -> Format {
    let lower = name.to_ascii_lowercase();
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}');
    let start = text.trim_start();
    let first_line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if is_gatling_binary(head, &lower) {
        return Format::Gatling { binary: true };
    }
    if start.starts_with('<') {
        let prefix: String = start.chars().take(2048).collect();
        if prefix.contains("<testResults") {
            return Format::JMeterXml;
        }
        return Format::Locust;
    }
    if start.starts_with('[') {
        // A Locust JSON list, unless it is a log line (`[2026-12-06 12:54:43,554] host/INFO/…`).
        return if super::console_log::looks_like_log(text) {
            Format::LocustLog
        } else {
            Format::Locust
        };
    }
    if start.starts_with('{') {
        let line = start.lines().next().unwrap_or("");
        if line.contains("\"type\"") && (line.contains("\"Metric\"") || line.contains("\"Point\""))
        {
            return Format::K6Json;
        }
        if start.contains("\"results\"") && start.contains("\"k6Version\"") {
            return Format::K6NewSummary;
        }
        if start.contains("\"metrics\"") {
            return Format::K6Summary;
        }
        return if lower.ends_with(".json") {
            // Not k6's: Locust's JSON reader says what it expected.
            Format::Locust
        } else {
            Format::Unknown
        };
    }
    if first_line.starts_with("metric_name,timestamp,metric_value") {
        return Format::K6Csv;
    }
    if let Some(format) = jtl_csv(first_line) {
        return format;
    }
    if text.lines().take(50).any(|l| {
        let l = l.trim_end_matches('\r');
        l.starts_with("RUN\t") || l.starts_with("ASSERTION\t") || l.starts_with("REQUEST\t")
    }) {
        return Format::Gatling { binary: false };
    }
    if super::console_log::looks_like_log(text) {
        return Format::LocustLog;
    }
    if lower.ends_with(".jtl") {
        // Named a JTL but not recognised: JMeter's CSV reader says what it is missing.
        let delimiter = [b',', b'\t', b';', b'|']
            .into_iter()
            .max_by_key(|&d| first_line.bytes().filter(|&b| b == d).count())
            .unwrap_or(b',');
        return Format::JMeterCsv {
            delimiter,
            header: false,
        };
    }
    if lower.ends_with(".csv") || lower.ends_with(".html") || lower.ends_with(".htm") {
        return Format::Locust;
    }
    Format::Unknown
}

/// A JTL header (any of JMeter's column names, any delimiter) or a header-less JTL row (an epoch
/// in milliseconds or a date, then an elapsed time, then a label).
fn jtl_csv(line: &str) -> Option<Format> {
    for delimiter in [b',', b'\t', b';', b'|'] {
        let fields: Vec<&str> = line.split(delimiter as char).collect();
        if fields.len() < 3 {
            continue;
        }
        let named = fields
            .iter()
            .filter(|f| JTL_COLUMNS.contains(&f.trim_matches('"')))
            .count();
        if named >= 2 {
            return Some(Format::JMeterCsv {
                delimiter,
                header: true,
            });
        }
        let timestamp = fields[0].trim_matches('"');
        let epoch = timestamp.len() == 13 && timestamp.bytes().all(|b| b.is_ascii_digit());
        let date = super::jmeter::parse_date(timestamp).is_some();
        let elapsed = !fields[1].is_empty() && fields[1].bytes().all(|b| b.is_ascii_digit());
        if (epoch || date) && elapsed && fields.len() >= 5 {
            return Some(Format::JMeterCsv {
                delimiter,
                header: false,
            });
        }
    }
    None
}

/// Gatling 3.10+'s binary `simulation.log` starts with a record type byte and is not text.
fn is_gatling_binary(head: &[u8], name: &str) -> bool {
    name.ends_with("simulation.log") && !head.is_empty() && std::str::from_utf8(head).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_bytes_name_the_tool() {
        let k6 =
            b"{\"type\":\"Metric\",\"data\":{\"name\":\"http_reqs\"},\"metric\":\"http_reqs\"}\n";
        assert_eq!(detect(k6, "x.json"), Format::K6Json);
        assert_eq!(
            detect(b"metric_name,timestamp,metric_value,check\n", "r.csv"),
            Format::K6Csv
        );
        assert_eq!(
            detect(
                b"timeStamp\telapsed\tlabel\tresponseCode\n1733472562901\t64\tA\t200\n",
                "r.jtl"
            ),
            Format::JMeterCsv {
                delimiter: b'\t',
                header: true
            }
        );
        assert_eq!(
            detect(
                b"1713521704196,161,HTTP Request /hello,200,OK,T 1-1\n",
                "r.jtl"
            ),
            Format::JMeterCsv {
                delimiter: b',',
                header: false
            }
        );
        assert_eq!(
            detect(
                b"<?xml version=\"1.0\"?>\n<testResults version=\"1.2\">",
                "r.jtl"
            ),
            Format::JMeterXml
        );
        assert_eq!(
            detect(b"Type,Name,Request Count,Failure Count\n", "a_stats.csv"),
            Format::Locust
        );
        assert_eq!(detect(b"[{\"name\": \"/\"}]", "r.json"), Format::Locust);
        assert_eq!(detect(b"{\"metrics\": {}}", "s.json"), Format::K6Summary);
        assert_eq!(
            detect(b"RUN\tSim\tsim\t1\t \t3.9.5\n", "simulation.log"),
            Format::Gatling { binary: false }
        );
        assert_eq!(
            detect(&[1, 0, 0, 0, 0xff, 0xfe, 0x80], "simulation.log"),
            Format::Gatling { binary: true }
        );
        assert_eq!(detect(b"hello world\n", "notes.txt"), Format::Unknown);
    }
}
