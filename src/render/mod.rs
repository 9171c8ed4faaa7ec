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

/// One row of the cross-platform matrix: a finding (rule and place) and its severity per target.
pub struct MatrixRow {
    pub rule: String,
    pub location: String,
    pub message: String,
    /// Severity per target in report order; `None` where the finding does not apply.
    pub severities: Vec<Option<crate::report::Severity>>,
}

/// Group the targets' findings by rule and place, for the side-by-side view of `--target all`.
pub fn matrix(report: &Report) -> Vec<MatrixRow> {
    let mut rows: Vec<MatrixRow> = Vec::new();
    let n = report.targets.len();
    for (ti, t) in report.targets.iter().enumerate() {
        for f in &t.findings {
            let location = location(f.file.as_deref(), f.line);
            let row = match rows.iter().position(|r| r.rule == f.rule && r.location == location) {
                Some(i) => &mut rows[i],
                None => {
                    rows.push(MatrixRow {
                        rule: f.rule.clone(),
                        location,
                        message: f.message.clone(),
                        severities: vec![None; n],
                    });
                    let last = rows.len() - 1;
                    &mut rows[last]
                }
            };
            row.severities[ti] = Some(f.severity);
        }
    }
    rows.sort_by(|a, b| {
        let worst = |r: &MatrixRow| r.severities.iter().flatten().max().copied();
        worst(b).cmp(&worst(a)).then(a.location.cmp(&b.location)).then(a.rule.cmp(&b.rule))
    });
    rows
}
