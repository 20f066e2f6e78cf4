//! One rule for text that came from a file or a server (endpoint names, failure messages, paths,
//! labels): it is shown, never obeyed. One helper per medium, applied where the medium is written:
//!
//! - a terminal or a workflow log ([`terminal`] for a field, [`terminal_text`] for a whole text):
//!   control, C1 and bidirectional-override characters are shown escaped (`\n`, `\x1b`,
//!   `\u{202e}`), so a field never holds a line break and never moves the cursor or reorders a
//!   line; no line begins with `::` and no text holds `##[`, the two ways the GitHub Actions runner
//!   reads a line as a workflow command (a line trimmed of leading space starting `::`, or `##[`
//!   anywhere in it);
//! - Markdown ([`markdown`]): the same escapes, then what starts markup (links, images, autolinks,
//!   raw HTML) or ends a table cell (`|`) is escaped, readable as typed;
//! - a workflow command's message or property ([`workflow_data`], [`workflow_property`]).
//!
//! - JSON ([`json`]): what a terminal must not receive, and `##[`, as `\uXXXX` escapes.
//!
//! XML (JUnit), HTML and JSON otherwise escape with their own writers; the hostile corpus in the integration
//! tests (`tests/it/hostile.rs`) runs through every format.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters that reorder a line when shown: embeddings, overrides, isolates and the marks.
fn is_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// What a terminal must not receive raw: C0 controls, DEL, C1 controls, bidirectional controls,
/// and the line and paragraph separators some terminals and viewers break lines on.
fn is_hidden(c: char) -> bool {
    c.is_control() || is_bidi(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        c if (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// A field shown on a terminal or in a log: every hidden character escaped (line breaks
/// included), and `##[` broken so the runner's older command form cannot start inside it.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) && !text.contains("##[") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hidden(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out.replace("##[", "##\\["))
}

/// A whole text for people (the table, an error message): line breaks stay, every other hidden
/// character is escaped; with `keep_sgr`, loadgate's own colour sequences (`ESC [ digits ; m`) stay.
/// No line begins with `::` (after leading space, as the runner trims it) and no `##[` remains:
/// whatever a caller forgot to escape, the text cannot become a workflow command.
pub fn terminal_text(text: &str, keep_sgr: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if keep_sgr && c == '\x1b' {
            if let Some(len) = sgr_len(rest) {
                out.push_str(&rest[..len]);
                rest = &rest[len..];
                continue;
            }
        }
        if c != '\n' && is_hidden(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    let mut guarded = String::with_capacity(out.len());
    for (i, line) in out.replace("##[", "##\\[").split('\n').enumerate() {
        if i > 0 {
            guarded.push('\n');
        }
        let lead = line.len() - line.trim_start().len();
        // Past the colour codes too: the runner sees the line without them only in the log viewer,
        // but a plain reader of the bytes would not, and it costs nothing to be sure.
        let visible = strip_sgr(&line[lead..]);
        if visible.trim_start().starts_with("::") {
            guarded.push_str(&line[..lead]);
            guarded.push('\\');
            guarded.push_str(&line[lead..]);
        } else {
            guarded.push_str(line);
        }
    }
    guarded
}

/// The length of a Select Graphic Rendition sequence at the start of `text`, if one is there.
fn sgr_len(text: &str) -> Option<usize> {
    let body = text.strip_prefix("\x1b[")?;
    let params = body
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (body.as_bytes().get(params) == Some(&b'm')).then_some(2 + params + 1)
}

fn strip_sgr(text: &str) -> Cow<'_, str> {
    if !text.contains('\x1b') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match sgr_len(rest) {
            Some(len) => rest = &rest[len..],
            None => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    Cow::Owned(out)
}

/// A field in Markdown (a table cell, a list item, a heading): hidden characters escaped as on a
/// terminal, then what would end the cell or start markup that acts: `|`, backslash, backticks,
/// `[` and `]` (links and images), `<` (raw HTML and autolinks). Emphasis is left alone: it cannot
/// fetch or point anywhere, and names stay readable as typed.
pub fn markdown(text: &str) -> String {
    let shown = terminal(text);
    let mut out = String::with_capacity(shown.len() + 8);
    for c in shown.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '\\' | '|' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The message of a workflow command (`::error::MESSAGE`): the runner decodes `%25`, `%0D` and
/// `%0A`, so a line break shows in the annotation and never ends the command; other hidden
/// characters are shown escaped, and `##[` broken as on a terminal.
pub fn workflow_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if is_hidden(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    if out.contains("##[") {
        out = out.replace("##[", "##\\[");
    }
    out
}

/// JSON text as serde_json writes it, made safe to print: what a terminal must not receive raw but
/// a JSON string may hold raw (DEL, C1 and bidirectional controls, the line and paragraph
/// separators) is written `\uXXXX`, and the `#` of `##[` as `\u0023` (the runner reads `##[`
/// anywhere in a line). The same JSON value; nothing a terminal or the Actions runner obeys. A
/// line of it never begins with `::`: it begins with a quote, a bracket, a brace or a figure.
pub fn json(text: String) -> String {
    // Below U+0020 serde_json escapes inside strings, and the line breaks between members stay.
    let unsafe_char = |c: char| c >= ' ' && is_hidden(c);
    if !text.contains(unsafe_char) && !text.contains("##[") {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out.replace("##[", "#\\u0023[")
}

/// A property of a workflow command (`file=…,title=…`): as the message, and `:` and `,` too.
pub fn workflow_property(text: &str) -> String {
    workflow_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_never_holds_a_line_break_or_a_control() {
        let shown = terminal("a\n::error::x\r\u{1b}[2J\u{9b}\u{202e}b\0");
        assert_eq!(shown, "a\\n::error::x\\r\\x1b[2J\\x9b\\u{202e}b\\0");
        assert_eq!(terminal("GET /ok"), "GET /ok");
        assert_eq!(terminal("x ##[error]y"), "x ##\\[error]y");
    }

    #[test]
    fn a_text_keeps_its_lines_and_colours_and_no_line_is_a_command() {
        let text = "\x1b[1mname\x1b[0m\n  ::warning::x\n\x1b[31m::error::y\x1b[0m\nok ::a::\x07";
        let shown = terminal_text(text, true);
        assert_eq!(
            shown,
            "\x1b[1mname\x1b[0m\n  \\::warning::x\n\\\x1b[31m::error::y\x1b[0m\nok ::a::\\x07"
        );
        // Without colour, no escape sequence survives.
        assert!(!terminal_text(text, false).contains('\x1b'));
    }

    #[test]
    fn markdown_keeps_links_images_and_html_as_text() {
        assert_eq!(
            markdown("![x](http://evil) <img src=x> a|b\r\n"),
            "!\\[x\\](http://evil) &lt;img src=x> a\\|b\\\\r\\\\n"
        );
    }

    #[test]
    fn json_text_holds_the_same_value_and_nothing_a_terminal_obeys() {
        let value =
            serde_json::json!({"name": "/d##[error]x\u{7f}\u{85}\u{9b}\u{202e}\u{2028}\n::y"});
        let text = json(serde_json::to_string_pretty(&value).unwrap());
        assert!(!text.contains("##[") && !text.chars().any(|c| c != '\n' && is_hidden(c)));
        assert!(text.contains("#\\u0023[error]x\\u007f\\u0085\\u009b\\u202e\\u2028\\n::y"));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
        assert_eq!(json("{}".to_string()), "{}");
    }

    #[test]
    fn a_workflow_message_cannot_end_its_line() {
        assert_eq!(workflow_data("a\r\n::x%\u{1b}"), "a%0D%0A::x%25\\x1b");
        assert_eq!(workflow_property("a:b,c"), "a%3Ab%2Cc");
    }
}
