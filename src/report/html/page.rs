//! The shell every HTML report shares: one self-contained document (the style inline, charts as
//! `data:` images, no script) with a Content-Security-Policy of its own that allows nothing from
//! the network. A report is a [`Page`] of [`Section`]s, each built with a [`Markup`] writer that
//! escapes every piece of text it is given; a new report (or a new section of one) only adds
//! sections.

use std::fmt::Write as _;

use ring::digest::{digest, SHA256};

use crate::model::Status;

const STYLE: &str = include_str!("style.css");

/// Text made safe for HTML element content and attribute values (double-quoted).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters (a NUL from a broken file) have no business in a page.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 (RFC 4648, padded), for `data:` URIs.
pub fn base64(bytes: &[u8]) -> String {
    crate::base64::standard(bytes)
}

/// Writes markup; text always goes through [`escape`], tags and classes are the program's own.
#[derive(Default)]
pub struct Markup {
    out: String,
}

impl Markup {
    pub fn new() -> Markup {
        Markup::default()
    }

    /// Escaped text.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.out.push_str(&escape(text));
        self
    }

    /// `<tag class="…">` … `</tag>`; `class` may be empty.
    pub fn el(&mut self, tag: &str, class: &str, body: impl FnOnce(&mut Markup)) -> &mut Self {
        self.open(tag, class);
        body(self);
        let _ = write!(self.out, "</{tag}>");
        self
    }

    /// An element holding only escaped text.
    pub fn el_text(&mut self, tag: &str, class: &str, text: &str) -> &mut Self {
        self.el(tag, class, |m| {
            m.text(text);
        })
    }

    fn open(&mut self, tag: &str, class: &str) {
        if class.is_empty() {
            let _ = write!(self.out, "<{tag}>");
        } else {
            let _ = write!(self.out, "<{tag} class=\"{}\">", escape(class));
        }
    }

    /// A table: a header row, then each row's cells (a cell is a class and a body).
    pub fn table<R>(
        &mut self,
        class: &str,
        header: &[&str],
        rows: impl IntoIterator<Item = R>,
        mut row: impl FnMut(&mut Row, R),
    ) -> &mut Self {
        self.el("div", "scroll", |m| {
            m.el("table", class, |m| {
                m.el("thead", "", |m| {
                    m.el("tr", "", |m| {
                        for h in header {
                            m.el("th", "", |m| {
                                m.text(h);
                            });
                        }
                    });
                });
                m.el("tbody", "", |m| {
                    for r in rows {
                        m.el("tr", "", |m| row(&mut Row { m }, r));
                    }
                });
            });
        });
        self
    }

    /// A badge for a status: PASS, WARN or FAIL, coloured (and legible without colour).
    pub fn status(&mut self, status: Status) -> &mut Self {
        self.el_text(
            "span",
            &format!("badge {}", status.as_str()),
            &status.as_str().to_uppercase(),
        )
    }

    /// A chart, embedded as a PNG `data:` image with its caption as the alternative text.
    pub fn figure(&mut self, caption: &str, png: &[u8]) -> &mut Self {
        self.el("figure", "chart", |m| {
            let _ = write!(
                m.out,
                "<img src=\"data:image/png;base64,{}\" alt=\"{}\">",
                base64(png),
                escape(caption)
            );
            m.el_text("figcaption", "", caption);
        })
    }

    pub fn into_string(self) -> String {
        self.out
    }
}

/// One row of a [`Markup::table`].
pub struct Row<'a> {
    m: &'a mut Markup,
}

impl Row<'_> {
    /// A text cell.
    pub fn cell(&mut self, class: &str, text: &str) -> &mut Self {
        self.m.el_text("td", class, text);
        self
    }

    /// A cell with markup of its own.
    pub fn cell_with(&mut self, class: &str, body: impl FnOnce(&mut Markup)) -> &mut Self {
        self.m.el("td", class, body);
        self
    }
}

/// A titled part of a page, listed in the page's contents.
pub struct Section {
    /// The anchor: the program's own words (`endpoints`, `run1-checks`), never a file's.
    pub id: String,
    pub title: String,
    pub body: Markup,
}

impl Section {
    pub fn new(id: impl Into<String>, title: impl Into<String>, body: Markup) -> Section {
        Section {
            id: id.into(),
            title: title.into(),
            body,
        }
    }
}

/// A whole report: the verdict first, then the sections in order.
pub struct Page {
    pub title: String,
    pub verdict: Status,
    /// The line under the verdict: what was judged, against what.
    pub summary: Markup,
    pub sections: Vec<Section>,
}

impl Page {
    pub fn new(title: impl Into<String>, verdict: Status, summary: Markup) -> Page {
        Page {
            title: title.into(),
            verdict,
            summary,
            sections: Vec::new(),
        }
    }

    pub fn push(&mut self, section: Section) {
        self.sections.push(section);
    }

    /// The document. The policy names the style by its hash, so not even an injected `<style>`
    /// (were escaping ever to fail) would apply; scripts, frames, forms, fonts and every fetch are
    /// refused outright, and images only come from the page itself.
    pub fn render(&self, generated_at: &str) -> Vec<u8> {
        let style_hash = base64(digest(&SHA256, STYLE.as_bytes()).as_ref());
        let mut out = String::new();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             img-src data:; style-src 'sha256-{style_hash}'; base-uri 'none'; form-action 'none'\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"color-scheme\" content=\"light dark\">\n\
             <meta name=\"referrer\" content=\"no-referrer\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
            escape(&format!(
                "loadgate {}: {}",
                self.title,
                self.verdict.as_str().to_uppercase()
            ))
        );
        let mut header = Markup::new();
        header.el(
            "header",
            &format!("verdict {}", self.verdict.as_str()),
            |m| {
                m.el("h1", "", |m| {
                    m.text("loadgate ").text(&self.title).text(": ");
                    m.status(self.verdict);
                });
                m.el("p", "summary", |m| m.out.push_str(&self.summary.out));
                m.el_text("p", "generated", &format!("Generated {generated_at}"));
            },
        );
        out.push_str(&header.out);
        if self.sections.len() > 1 {
            let mut nav = Markup::new();
            nav.el("nav", "", |m| {
                m.el("ul", "", |m| {
                    for s in &self.sections {
                        let _ = write!(m.out, "<li><a href=\"#{}\">", escape(&s.id));
                        m.text(&s.title);
                        m.out.push_str("</a></li>");
                    }
                });
            });
            out.push_str(&nav.out);
        }
        out.push_str("<main>\n");
        for s in &self.sections {
            let _ = write!(out, "<section id=\"{}\">\n<h2>", escape(&s.id));
            out.push_str(&escape(&s.title));
            out.push_str("</h2>\n");
            out.push_str(&s.body.out);
            out.push_str("\n</section>\n");
        }
        out.push_str("</main>\n</body>\n</html>\n");
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_quotes_and_controls() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape("</style>"), "&lt;/style&gt;");
        assert_eq!(escape("a\u{0}b\nc"), "a\u{FFFD}b\nc");
        assert_eq!(escape("/api/ünï"), "/api/ünï");
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        // RFC 4648 section 10.
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn the_policy_names_the_style_it_ships() {
        let page = Page::new("check", Status::Pass, Markup::new()).render("now");
        let page = String::from_utf8(page).unwrap();
        let hash = base64(digest(&SHA256, STYLE.as_bytes()).as_ref());
        assert!(page.contains(&format!("style-src 'sha256-{hash}'")));
        assert!(page.contains(&format!("<style>{STYLE}</style>")));
        assert!(page.contains("default-src 'none'"));
        assert!(!page.contains("<script"));
    }
}
