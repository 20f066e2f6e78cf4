//! Everything loadgate writes, in one room. A command hands the manager ([`emit`]) a [`Report`]
//! (a judgement of runs, or an archive's history) and its [`Outputs`] (the plan the flags and the
//! config made); the manager writes every file asked for atomically, prints stdout, talks to
//! GitHub Actions and pushes the metrics. A format is one file behind [`Exporter`] (or
//! [`DirExporter`] for a directory) and one row of [`formats::FORMATS`], the table the command
//! line, the config and the manager all read. Exporters only format: the verdict and the time
//! (`generated_at`) are stamped on the report when it is made.
//!
//! The sections people read are laid out once in [`view`], with the units in [`units`]; the table
//! and the Markdown render the same view, [`html`] one self-contained page with the charts inside
//! it. [`openmetrics`] holds the metrics for Prometheus: their catalogue, the families, the text
//! formats, the plan and the push to a Pushgateway. [`history`] is the report of an archive.

pub mod charts;
pub mod exporter;
pub mod formats;
pub mod github;
pub mod history;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod openmetrics;
pub mod outputs;
pub mod server_view;
pub mod table;
pub mod units;
pub mod untrusted;
pub mod view;

pub use self::exporter::{Context, DirExporter, Exporter, Report};
pub use self::formats::Format;
pub use self::outputs::{emit, print, print_text, use_color, Outputs};
