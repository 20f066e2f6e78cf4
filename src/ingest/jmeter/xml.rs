//! JMeter's XML results (`<testResults version="1.2">`): one `<httpSample>` or `<sample>` element
//! per sample, attributes `t` (elapsed ms), `ts` (start, Unix ms), `s` (success), `lb` (label),
//! `rc`/`rm` (code, message), `tn` (thread), `by` (bytes), `na` (all threads); a transaction's
//! samplers nested in its element ("Generate parent sample"), a sampler's sub-results nested in
//! its own.

use std::path::Path;

use roxmltree::{Document, Node};

use super::{Fields, Rows, TRANSACTION};
use crate::ingest::error::InputError;
use crate::ingest::samples::Parsed;

fn is_sample(node: &Node) -> bool {
    node.is_element() && matches!(node.tag_name().name(), "httpSample" | "sample")
}

pub fn read_xml(path: &Path, bytes: &[u8]) -> Result<Vec<Parsed>, InputError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        InputError::at_line(path, line, "not UTF-8 text (a binary or damaged file?)")
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let original = text;
    let mut rows = Rows::default();
    // JMeter writes the closing tag when the test ends: a file of a test still running (or
    // killed) lacks it. Its complete samples are read; a sample cut short is still an error.
    let closed;
    let text = if text.contains("</testResults>") {
        text
    } else {
        rows.notes.push(
            "the file ends without </testResults> (the test was still running, or killed): its complete samples are read".to_string(),
        );
        closed = format!("{}\n</testResults>\n", text.trim_end());
        closed.as_str()
    };
    let doc = Document::parse(text).map_err(|e| {
        let pos = e.pos();
        let (lines, last) = end_of(original);
        if u64::from(pos.row) > lines || (u64::from(pos.row) == lines && pos.col as usize > last) {
            // Past the file's own text: in the closing tag loadgate added.
            return InputError {
                line: Some(lines),
                column: Some(last),
                ..InputError::file(
                    path,
                    "the file ends inside a sample element (cut short while being written?)",
                )
            };
        }
        InputError {
            line: Some(u64::from(pos.row)),
            column: Some(pos.col as usize),
            ..InputError::file(path, format!("not valid XML: {e}"))
        }
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "testResults" {
        return Err(InputError::at_line(
            path,
            1,
            format!(
                "an XML file whose root is <{}>, not JMeter's <testResults>",
                root.tag_name().name()
            ),
        ));
    }
    for node in root.children().filter(is_sample) {
        sample(path, &doc, node, &mut rows)?;
    }
    rows.into_parsed(path, "read as a JMeter JTL (XML)")
}

/// One sample element: a transaction's children are samples of their own; a sampler's are its
/// sub-results, counted in it.
fn sample(path: &Path, doc: &Document, node: Node, rows: &mut Rows) -> Result<(), InputError> {
    let place = |why: String| {
        let pos = doc.text_pos_at(node.range().start);
        InputError {
            line: Some(u64::from(pos.row)),
            column: Some(pos.col as usize),
            ..InputError::file(path, why)
        }
    };
    let tag = node.tag_name().name();
    let attr = |name: &str| node.attribute(name).unwrap_or("");
    let number = |name: &str, what: &str| -> Result<f64, InputError> {
        let raw = node
            .attribute(name)
            .ok_or_else(|| place(format!("<{tag}> without its {name} ({what}) attribute")))?;
        raw.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| place(format!("<{tag}> {name}=\"{raw}\" is not {what}")))
    };
    let optional = |name: &str, what: &str| -> Result<Option<f64>, InputError> {
        match node.attribute(name) {
            None => Ok(None),
            Some(_) => number(name, what).map(Some),
        }
    };
    let elapsed_ms = number("t", "a time in milliseconds")?;
    let time_ms = optional("ts", "a time in milliseconds")?.map(|t| t as i64);
    if time_ms.is_some_and(|t| t > super::LATEST_MS) {
        return Err(place(format!(
            "<{tag}> ts=\"{}\" is not a time a test ran at",
            attr("ts")
        )));
    }
    let success = match attr("s") {
        "true" => true,
        "false" => false,
        other => return Err(place(format!("<{tag}> s=\"{other}\" is not true or false"))),
    };
    let message = attr("rm");
    let failure_message: String = node
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "assertionResult")
        .find(|a| {
            a.children().any(|c| {
                matches!(c.tag_name().name(), "failure" | "error") && c.text() == Some("true")
            })
        })
        .and_then(|a| {
            a.children()
                .find(|c| c.tag_name().name() == "failureMessage")
                .and_then(|c| c.text())
        })
        .unwrap_or("")
        .to_string();
    rows.push(Fields {
        time_ms,
        elapsed_ms,
        label: attr("lb"),
        success,
        code: attr("rc"),
        message,
        failure_message: &failure_message,
        users: optional("na", "a thread count")?.map(|u| u as u64),
        bytes: optional("by", "a byte count")?,
    });
    let children = node.children().filter(is_sample);
    if message.starts_with(TRANSACTION) {
        for child in children {
            sample(path, doc, child, rows)?;
        }
    } else {
        rows.sub_results += count(node);
    }
    Ok(())
}

/// Sample elements nested under `node`, at any depth.
fn count(node: Node) -> u64 {
    node.children()
        .filter(is_sample)
        .map(|c| 1 + count(c))
        .sum()
}

/// The last line of `text` (1-based) and the column just past its end.
fn end_of(text: &str) -> (u64, usize) {
    let text = text.trim_end();
    let lines = text.bytes().filter(|&b| b == b'\n').count() as u64 + 1;
    let last = text.rsplit('\n').next().map_or(0, |l| l.chars().count());
    (lines, last + 1)
}
