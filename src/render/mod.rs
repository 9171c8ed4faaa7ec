//! Renderers: they format the report and compute nothing.

pub mod github;
pub mod gitlab;
pub mod json;
pub mod markdown;
pub mod pretty;
pub mod sarif;
pub mod sources;
pub mod table;

use crate::report::{Finding, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table per target (the default)
    Table,
    /// The full audit report: summary by aspect, blockers, settings, env vars, checklist
    Markdown,
    /// The stable machine-readable contract
    Json,
    /// SARIF 2.1.0, one run per target (GitHub code scanning)
    Sarif,
    /// GitHub Actions workflow commands: one annotation per finding
    Github,
    /// GitLab Code Quality report
    Gitlab,
    /// Code frames (miette) with related locations, the fix and the docs link
    Pretty,
}

/// How terminal formats are drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// ANSI colours (table and pretty only).
    pub color: bool,
    /// The text of the files findings point at, already redacted, for code frames.
    pub sources: Option<&'a sources::Sources>,
}

pub fn render(report: &Report, format: Format) -> String {
    render_with(report, format, &Options::default())
}

pub fn render_with(report: &Report, format: Format, opts: &Options) -> String {
    match format {
        Format::Table => table::render(report, opts.color),
        Format::Markdown => markdown::render(report),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
        Format::Gitlab => gitlab::render(report),
        Format::Pretty => pretty::render(report, opts),
    }
}

/// The scanned root as a `/`-separated path relative to the working directory ("" for `.`), so
/// that paths in CI formats (SARIF, annotations, Code Quality) are relative to the checkout when
/// the tool runs from the repository root on a sub-directory. An absolute root, or one that
/// climbs out with `..`, gives "": paths stay relative to the scanned root.
pub fn root_prefix(root: &str) -> String {
    let r = root.replace('\\', "/");
    let drive = r.len() > 1 && r.as_bytes()[1] == b':';
    if r.starts_with('/') || drive || r.split('/').any(|p| p == "..") {
        return String::new();
    }
    crate::text::join("", &r)
}

/// A repository file's path as CI tools see it: the root prefix joined with the file.
pub fn repo_path(prefix: &str, file: &str) -> String {
    if prefix.is_empty() {
        file.to_string()
    } else {
        format!("{prefix}/{file}")
    }
}

/// Where a CI format anchors a finding. A finding about the repository as a whole (no file) is
/// anchored at its first related location, or else at the scanned root directory without a
/// line: GitHub code scanning rejects a SARIF file in which any result lacks a physical
/// location, and GitLab requires `location.path`.
pub struct Anchor {
    pub path: String,
    pub line: Option<usize>,
    /// The finding itself names no file.
    pub repository_level: bool,
}

pub fn anchor(prefix: &str, f: &Finding) -> Anchor {
    if let Some(file) = &f.file {
        return Anchor {
            path: repo_path(prefix, file),
            line: f.line,
            repository_level: false,
        };
    }
    if let Some(r) = f.related.first() {
        return Anchor {
            path: repo_path(prefix, &r.file),
            line: r.line,
            repository_level: true,
        };
    }
    Anchor {
        path: if prefix.is_empty() { ".".to_string() } else { prefix.to_string() },
        line: None,
        repository_level: true,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_prefix_is_relative_to_the_working_directory() {
        assert_eq!(root_prefix("."), "");
        assert_eq!(root_prefix("./"), "");
        assert_eq!(root_prefix("fixtures/seed000-koyeb-pos"), "fixtures/seed000-koyeb-pos");
        assert_eq!(root_prefix("./apps/web/"), "apps/web");
        assert_eq!(root_prefix("/abs/repo"), "");
        assert_eq!(root_prefix("../other"), "");
        assert_eq!(repo_path("", "Dockerfile"), "Dockerfile");
        assert_eq!(repo_path("apps/web", "Dockerfile"), "apps/web/Dockerfile");
    }
}
