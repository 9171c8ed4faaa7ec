//! Renderers: they format the report and compute nothing.

pub mod json;
pub mod markdown;
pub mod table;

use crate::report::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Markdown,
    Json,
}

pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Table => table::render(report),
        Format::Markdown => markdown::render(report),
        Format::Json => json::render(report),
    }
}

/// `file:line`, `file`, or `(repository)`.
pub fn location(file: Option<&str>, line: Option<usize>) -> String {
    match (file, line) {
        (Some(f), Some(l)) => format!("{}:{l}", crate::text::sanitize(f)),
        (Some(f), None) => crate::text::sanitize(f),
        (None, _) => "(repository)".to_string(),
    }
}
