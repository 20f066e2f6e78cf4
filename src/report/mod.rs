//! Reports: every output format is one file behind [`Exporter`]. An exporter receives the
//! [`Judgement`] and only formats it; the caller decides where the bytes go (stdout, or a file
//! written atomically). The sections people read are laid out once in [`view`], with the units
//! in [`units`]; the table and the Markdown render the same view. [`html`] writes one
//! self-contained page from the same view, with the charts inside it.

pub mod charts;
pub mod github;
pub mod history;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod openmetrics;
pub mod table;
pub mod units;
pub mod view;

use anyhow::Result;

use crate::analysis::Judgement;

/// Interface of every output format.
pub trait Exporter {
    fn render(&self, judgement: &Judgement) -> Result<Vec<u8>>;
}
