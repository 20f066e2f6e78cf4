//! The README and docs/ as a reader meets them: every relative link (and `#anchor`) resolves, the
//! README stays short enough to read in five minutes, and no project-internal jargon leaks in.

use std::path::{Path, PathBuf};

use crate::common::root;

/// The Markdown files a reader follows links through.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![
        root().join("README.md"),
        root().join("CHANGELOG.md"),
        root().join("bench/RESULTS.md"),
        root().join("fixtures/README.md"),
    ];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files.retain(|f| f.is_file());
    files
}

/// `[text](target)` targets outside code blocks and code spans.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Code spans hold examples, not links.
        let plain: String = line
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, s)| s)
            .collect::<Vec<_>>()
            .join(" ");
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push((n + 1, after[..end].to_string()));
            rest = &after[end..];
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn anchors(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| {
            l.trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect()
}

#[test]
fn every_relative_link_in_the_readme_and_docs_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for (line, target) in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let file: PathBuf = if path.is_empty() {
                doc.clone()
            } else {
                doc.parent().unwrap_or(Path::new(".")).join(path)
            };
            let name = doc.strip_prefix(root()).unwrap().display().to_string();
            if !file.exists() {
                broken.push(format!("{name}:{line}: {target}: no such file"));
                continue;
            }
            if let Some(anchor) = anchor {
                let linked = std::fs::read_to_string(&file).unwrap_or_default();
                if !anchors(&linked).iter().any(|a| a == anchor) {
                    broken.push(format!("{name}:{line}: {target}: no such heading"));
                }
            }
        }
    }
    assert!(
        checked > 40,
        "only {checked} links found: is the scanner broken?"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_scanner_finds_links_and_skips_code() {
    let text = "see [a](docs/a.md) and `[b](x.md)`\n```\n[c](y.md)\n```\n[d](#the-part)\n";
    let found: Vec<String> = links(text).into_iter().map(|(_, t)| t).collect();
    assert_eq!(found, ["docs/a.md", "#the-part"]);
    assert_eq!(
        anchors("## How it installs `loadgate`!"),
        ["how-it-installs-loadgate"]
    );
}

#[test]
fn the_readme_is_short_and_speaks_the_readers_language() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines: move detail to docs/"
    );
    // The CHANGELOG records what was said at the time.
    for doc in documents()
        .into_iter()
        .filter(|d| !d.ends_with("CHANGELOG.md"))
    {
        let text = std::fs::read_to_string(&doc).unwrap().to_lowercase();
        for jargon in ["seed guide", "design card", "seed scenario"] {
            assert!(!text.contains(jargon), "{}: '{jargon}'", doc.display());
        }
    }
}
