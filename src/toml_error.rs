//! TOML errors that say where, and quote little: the config and the profiles are read from paths
//! a user (or a hostile config) names, so an error never prints more than a short excerpt of a
//! line, and none of a file that is not TOML at all.

/// How much of an offending line an error may quote: enough to find it, never a secret's worth.
const EXCERPT_CHARS: usize = 80;

/// A TOML error for `origin` (a path, or `builtin:NAME`) of `kind` (profile, config): the line and
/// column, the parser's message, and at most [`EXCERPT_CHARS`] of the offending line. A file that
/// fails before its first key is not TOML at all (`/etc/passwd`, `/proc/self/environ`): it is
/// called not a loadgate `kind`, and none of its content is quoted.
pub fn toml_error(origin: &str, text: &str, err: &toml::de::Error, kind: &str) -> anyhow::Error {
    let message = err.message().trim();
    let Some(span) = err.span() else {
        return anyhow::anyhow!("{origin}: invalid {kind}: {}", one_line(message));
    };
    let at = span.start.min(text.len());
    let before = &text.as_bytes()[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    // Before the first line with content: nothing of the file was TOML.
    let any_toml_before = text[..line_start.min(text.len())]
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if !any_toml_before || text.contains('\0') {
        return anyhow::anyhow!(
            "{origin}:{line}:{column}: not a loadgate {kind} (not TOML: {}); its content is not shown",
            one_line(message)
        );
    }
    let full = text[line_start..].lines().next().unwrap_or("");
    let mut excerpt: String = full.chars().take(EXCERPT_CHARS).collect();
    if full.chars().count() > EXCERPT_CHARS {
        excerpt.push('…');
    }
    anyhow::anyhow!(
        "{origin}:{line}:{column}: invalid {kind}: {} (line {line}: {})",
        one_line(message),
        excerpt.escape_debug()
    )
}

/// A parser message on one line, bounded (its text may quote the input).
fn one_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or("");
    let mut out: String = line.chars().take(EXCERPT_CHARS).collect();
    if line.chars().count() > EXCERPT_CHARS {
        out.push('…');
    }
    out.escape_debug().to_string()
}
