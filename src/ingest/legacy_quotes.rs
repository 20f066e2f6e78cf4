//! locustio 0.x (0.8 – 0.14.6) wrote its stats and failures CSVs with `'"%s","%s",%i,…' % (…)`,
//! not the csv module (`stats.py`'s `requests_csv` and `failures_csv`): a name or an error that
//! holds a quote is written without doubling it (`"GET","/limited, "quoted"",67,…`), which is not
//! CSV. Such a file is recognised by its header (0.x quoted every header cell; the csv module of
//! Locust 1.0 on quotes none) and each row that does not parse as CSV is read by the rule it was
//! written with: the numeric cells from the right (they hold no comma or quote), then the quoted
//! text cells split at `","`. A failures row's name and error are both free text: when they hold
//! `","` beyond the separators the row cannot be split unambiguously, and is an error naming it.

/// The headers 0.x wrote (as they start), and how many text cells lead each row.
const LEGACY_HEADERS: [(&[u8], usize); 3] = [
    (b"\"Method\",\"Name\",\"Error\",\"Occurrences\"", 3),
    (b"\"Type\",\"Name\",\"# requests\"", 2),
    (b"\"Method\",\"Name\",\"# requests\"", 2),
];

/// How many text cells lead a row of a file that starts with `head`, when 0.x wrote it.
pub fn legacy_text_cells(head: &[u8]) -> Option<usize> {
    LEGACY_HEADERS
        .iter()
        .find(|(header, _)| head.starts_with(header))
        .map(|(_, cells)| *cells)
}

/// The file as CSV: rows that parse keep their bytes; the others are written again with their
/// quotes doubled. The line count is kept (a failure's error that spans lines stays one quoted
/// cell over those lines), so errors name the file's own lines. `Err((line, why))` for a row the
/// rule cannot split.
pub fn repair(bytes: &[u8], text_cells: usize) -> Result<Vec<u8>, (u64, String)> {
    let mut out = Vec::with_capacity(bytes.len() + 64);
    let mut lines = bytes.split_inclusive(|&b| b == b'\n').peekable();
    let Some(header) = lines.next() else {
        return Ok(out);
    };
    out.extend_from_slice(header);
    let columns = strict_cells(trim_eol(header)).unwrap_or(0);
    let mut line_no = 1u64;
    while let Some(line) = lines.next() {
        line_no += 1;
        let first = line_no;
        let body = trim_eol(line);
        if body.is_empty() || strict_cells(body) == Some(columns) {
            out.extend_from_slice(line);
            continue;
        }
        // A failures row whose error spans lines ends at the line that ends `",<count>`.
        let mut record = line.to_vec();
        if text_cells == 3 {
            while !ends_with_count(trim_eol(&record)) {
                match lines.next() {
                    Some(more) => {
                        line_no += 1;
                        record.extend_from_slice(more);
                    }
                    None => break,
                }
            }
        }
        let eol = &record[trim_eol(&record).len()..];
        let fixed = rewrite(trim_eol(&record), columns, text_cells).map_err(|why| (first, why))?;
        out.extend_from_slice(&fixed);
        out.extend_from_slice(eol);
    }
    Ok(out)
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `…",123`: the end of a 0.x failures row.
fn ends_with_count(record: &[u8]) -> bool {
    let digits = record
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    digits > 0 && record[..record.len() - digits].ends_with(b"\",")
}

/// The number of cells of `line` read as RFC 4180 CSV, `None` when it is not (a quote inside a
/// quoted cell that is not doubled, a quote inside an unquoted cell, an unclosed quote).
fn strict_cells(line: &[u8]) -> Option<usize> {
    let mut cells = 1;
    let mut i = 0;
    let mut start = true;
    while i < line.len() {
        let b = line[i];
        if start && b == b'"' {
            i += 1;
            loop {
                match line.get(i) {
                    None => return None,
                    Some(b'"') if line.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            match line.get(i) {
                None => return Some(cells),
                Some(b',') => {}
                Some(_) => return None,
            }
        } else if b == b'"' {
            return None;
        } else if b != b',' {
            start = false;
            i += 1;
            continue;
        }
        // At a comma.
        cells += 1;
        start = true;
        i += 1;
    }
    Some(cells)
}

/// One 0.x row written again as CSV: the last `columns - text_cells` cells split off at commas
/// from the right, the rest `"a","b"(,"c")` split at `","`.
fn rewrite(record: &[u8], columns: usize, text_cells: usize) -> Result<Vec<u8>, String> {
    let numeric = columns.saturating_sub(text_cells);
    let mut end = record.len();
    let mut tail = Vec::new();
    for _ in 0..numeric {
        let comma = record[..end]
            .iter()
            .rposition(|&b| b == b',')
            .ok_or_else(|| format!("fewer than the header's {columns} cells"))?;
        tail.push(&record[comma + 1..end]);
        end = comma;
    }
    tail.reverse();
    if let Some(bad) = tail.iter().find(|c| c.contains(&b'"') && !is_na(c)) {
        return Err(format!(
            "a numeric cell holds a quote ({}): not a row locustio 0.x wrote",
            String::from_utf8_lossy(bad)
        ));
    }
    let text = &record[..end];
    let inner = text
        .strip_prefix(b"\"")
        .and_then(|t| t.strip_suffix(b"\""))
        .ok_or("its text cells are not in quotes as locustio 0.x wrote them")?;
    let parts: Vec<&[u8]> = split_at_separators(inner);
    let cells: Vec<Vec<u8>> = match (text_cells, parts.len()) {
        (2, n) if n >= 2 => vec![parts[0].to_vec(), parts[1..].join(&b"\",\""[..])],
        (3, 3) => parts.iter().map(|p| p.to_vec()).collect(),
        (3, n) if n > 3 => {
            return Err(
                "locustio 0.x wrote this row without escaping its quotes, and its name or error holds `\",\"`: where the name ends and the error begins cannot be told (rename the request, or give the run without its _failures.csv)"
                    .to_string(),
            )
        }
        _ => {
            return Err(format!(
                "fewer than the {text_cells} quoted text cells locustio 0.x wrote"
            ))
        }
    };
    let mut out = Vec::with_capacity(record.len() + 8);
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        for &b in cell {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    }
    for cell in tail {
        out.push(b',');
        out.extend_from_slice(cell);
    }
    Ok(out)
}

fn is_na(cell: &[u8]) -> bool {
    cell == b"\"N/A\""
}

/// `a","b","c` -> `a`, `b`, `c`: at each `","`, leftmost first.
fn split_at_separators(inner: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = inner;
    while let Some(at) = rest.windows(3).position(|w| w == b"\",\"") {
        parts.push(&rest[..at]);
        rest = &rest[at + 3..];
    }
    parts.push(rest);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(text: &str, cells: usize) -> String {
        String::from_utf8(repair(text.as_bytes(), cells).unwrap()).unwrap()
    }

    #[test]
    fn rows_that_are_csv_keep_their_bytes() {
        let text = "\"Method\",\"Name\",\"Error\",\"Occurrences\"\n\"GET\",\"/a\",\"500 x\",3\n";
        assert_eq!(fixed(text, 3), text);
        assert_eq!(strict_cells(b"\"a\"\"b\",1"), Some(2));
        assert_eq!(strict_cells(b"\"a\"b\",1"), None);
        assert_eq!(strict_cells(b"a\"b,1"), None);
    }

    #[test]
    fn unescaped_quotes_are_doubled_by_the_rule_0x_wrote_with() {
        // Rows of a real locustio 0.14.6 run (see the integration test for the whole file).
        let failures = "\"Method\",\"Name\",\"Error\",\"Occurrences\"\n\
            \"GET\",\"/limited, \"quoted\"\",\"429 Client Error: Too Many Requests for url: /limited, \"quoted\"\",26\n\
            \"GET\",\"/refused\",\"HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded (Caused by NewConnectionError(\"x: [Errno 111] Connection refused\"))\",30";
        let out = fixed(failures, 3);
        let mut reader = csv::ReaderBuilder::new().from_reader(out.as_bytes());
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(rows[0][1], "/limited, \"quoted\"");
        assert_eq!(
            rows[0][2],
            "429 Client Error: Too Many Requests for url: /limited, \"quoted\""
        );
        assert_eq!(rows[0][3], "26");
        assert!(rows[1][2].ends_with("Connection refused\"))"));
        let stats = "\"Type\",\"Name\",\"# requests\",\"50%\"\n\"GET\",\"/limited, \"quoted\"\",67,\"N/A\"\n";
        assert_eq!(
            fixed(stats, 2),
            "\"Type\",\"Name\",\"# requests\",\"50%\"\n\"GET\",\"/limited, \"\"quoted\"\"\",67,\"N/A\"\n"
        );
    }

    #[test]
    fn an_error_over_several_lines_stays_on_them() {
        let text = "\"Method\",\"Name\",\"Error\",\"Occurrences\"\n\"GET\",\"/a\",\"bad \"x\"\nsecond line\",4\n\"GET\",\"/b\",\"e\",1\n";
        let out = fixed(text, 3);
        assert_eq!(out.matches('\n').count(), text.matches('\n').count());
        assert!(out.contains("\"bad \"\"x\"\"\nsecond line\",4"), "{out}");
    }

    #[test]
    fn a_row_that_cannot_be_split_names_its_line() {
        let text = "\"Method\",\"Name\",\"Error\",\"Occurrences\"\n\"GET\",\"/ok\",\"e\",1\n\"GET\",\"/a\",\"b\",\"500 \"x\"\",2\n";
        let (line, why) = repair(text.as_bytes(), 3).unwrap_err();
        assert_eq!(line, 3);
        assert!(why.contains("cannot be told"), "{why}");
        assert_eq!(legacy_text_cells(b"Method,Name,Error,Occurrences\n"), None);
        assert_eq!(legacy_text_cells(text.as_bytes()), Some(3));
    }
}
