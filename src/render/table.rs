use super::location;
use crate::report::{Report, Severity};
use crate::text::sanitize;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

/// ANSI colour for a verdict, when colours are on.
fn paint(text: &str, verdict: crate::report::Verdict, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    let code = match verdict {
        crate::report::Verdict::NotReady => "1;31",
        crate::report::Verdict::ReadyWithChanges => "33",
        crate::report::Verdict::Ready => "32",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// The table view; `color` paints each target's verdict line (the table cells stay plain so the
/// column widths are right).
pub fn render(report: &Report, color: bool) -> String {
    let mut out = String::new();
    if report.targets.len() > 1 {
        out.push_str(&matrix(report));
    }
    for t in &report.targets {
        out.push_str(&format!(
            "{} ({}): {}  ({} critical, {} warning, {} info)\n",
            t.platform,
            t.target,
            paint(t.verdict.as_str(), t.verdict, color),
            t.counts.critical,
            t.counts.warning,
            t.counts.info
        ));
        if t.findings.is_empty() {
            out.push_str("  no findings\n\n");
            continue;
        }
        let mut table = Table::new();
        table
            .load_style(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(140);
        table.set_header(vec!["severity", "rule", "location", "finding / fix"]);
        for f in &t.findings {
            let sev = match f.severity {
                Severity::Critical => "CRITICAL",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            table.add_row(vec![
                sev.to_string(),
                f.rule.clone(),
                location(f.file.as_deref(), f.line),
                format!("{}\n→ {}", sanitize(&f.message), sanitize(&f.fix)),
            ]);
        }
        out.push_str(&table.to_string());
        out.push_str("\n\n");
    }
    out
}

/// The side-by-side view: a row per finding, a column per platform.
fn matrix(report: &Report) -> String {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(160);
    let mut header = vec!["rule".to_string(), "location".to_string()];
    header.extend(report.targets.iter().map(|t| t.target.clone()));
    table.set_header(header);
    let mut verdicts = vec!["verdict".to_string(), String::new()];
    verdicts.extend(report.targets.iter().map(|t| t.verdict.as_str().to_string()));
    for r in super::matrix(report) {
        let mut row = vec![r.rule.clone(), r.location.clone()];
        row.extend(r.severities.iter().map(|s| s.map(|s| s.as_str().to_string()).unwrap_or_else(|| "-".into())));
        table.add_row(row);
    }
    table.add_row(verdicts);
    format!("{table}\n\n")
}
