//! The Markdown report, in the shape of a hand-written readiness audit: summary by aspect,
//! critical blockers, recommended changes, the platform settings, env vars, a checklist.

use super::location;
use crate::report::{Report, Severity, TargetReport};
use crate::text::sanitize;

/// Escape text for a Markdown table cell.
fn cell(s: &str) -> String {
    sanitize(s).replace('|', "\\|").replace('\n', " ")
}

fn verdict_title(v: &str) -> &'static str {
    match v {
        "ready" => "Ready",
        "ready-with-changes" => "Ready with changes",
        _ => "Not ready",
    }
}

pub fn render(report: &Report) -> String {
    let mut o = String::new();
    o.push_str("# Deployment readiness audit\n\n");
    o.push_str(&format!("**Repository:** `{}`  \n", cell(&report.root)));
    if !report.apps.is_empty() {
        o.push_str(&format!(
            "**Apps:** {}  \n",
            report.apps.iter().map(|a| format!("`{}`", cell(a))).collect::<Vec<_>>().join(", ")
        ));
    }
    o.push_str(&format!("**Tool:** {} {}\n\n", report.tool.name, report.tool.version));
    if report.targets.len() > 1 {
        comparison(&mut o, report);
    }
    for t in &report.targets {
        target(&mut o, t);
    }
    o
}

fn target(o: &mut String, t: &TargetReport) {
    o.push_str(&format!("## {}: {}\n\n", t.platform, verdict_title(t.verdict.as_str())));
    o.push_str("### Executive summary\n\n| Aspect | Status | Critical | Warning | Info |\n|---|---|---|---|---|\n");
    o.push_str(&format!(
        "| **Overall readiness** | **{}** | {} | {} | {} |\n",
        verdict_title(t.verdict.as_str()),
        t.counts.critical,
        t.counts.warning,
        t.counts.info
    ));
    for a in &t.aspects {
        o.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            a.aspect.title(),
            a.status.as_str(),
            a.critical,
            a.warning,
            a.info
        ));
    }
    o.push('\n');
    section(o, t, Severity::Critical, "### Critical blockers (must fix before deploying)");
    section(o, t, Severity::Warning, "### Recommended changes");
    section(o, t, Severity::Info, "### Notes");
    o.push_str(&format!("### {} settings\n\n| Setting | Value | Source |\n|---|---|---|\n", t.platform));
    for s in &t.settings {
        let verify = format!("verify in {}", t.verify_in);
        let src = if s.source == "repository" { "from the repository" } else { verify.as_str() };
        o.push_str(&format!("| {} | {} | {} |\n", cell(&s.name), cell(&s.value), src));
    }
    o.push('\n');
    if !t.env.is_empty() {
        for (title, need) in [("Required environment variables", "required"), ("Optional environment variables", "optional")] {
            let rows: Vec<_> = t.env.iter().filter(|e| e.need == need).collect();
            if rows.is_empty() {
                continue;
            }
            o.push_str(&format!(
                "### {title}\n\n| Variable | Secret | Purpose | Read in | Documented in |\n|---|---|---|---|---|\n"
            ));
            for e in rows {
                o.push_str(&format!(
                    "| `{}` | {} | {} | {} | {} |\n",
                    cell(&e.name),
                    if e.secret { "yes" } else { "no" },
                    cell(&e.purpose),
                    e.read_in.as_deref().map(cell).unwrap_or_else(|| "—".into()),
                    e.documented_in.as_deref().map(cell).unwrap_or_else(|| "**not documented**".into())
                ));
            }
            o.push('\n');
        }
    }
    if !t.checklist.is_empty() {
        o.push_str("### Post-deploy checklist\n\n");
        for c in &t.checklist {
            o.push_str(&format!("- [ ] {}\n", sanitize(c)));
        }
        o.push('\n');
    }
}

fn section(o: &mut String, t: &TargetReport, sev: Severity, title: &str) {
    let items: Vec<_> = t.findings.iter().filter(|f| f.severity == sev).collect();
    if items.is_empty() {
        return;
    }
    o.push_str(title);
    o.push_str("\n\n");
    for (i, f) in items.iter().enumerate() {
        o.push_str(&format!(
            "{}. **{}** `{}` ({})  \n   {}  \n   **Fix:** {} ([docs]({}))\n",
            i + 1,
            cell(&location(f.file.as_deref(), f.line)),
            f.rule,
            f.aspect.as_str(),
            sanitize(&f.message),
            sanitize(&f.fix),
            f.docs
        ));
        for r in &f.related {
            o.push_str(&format!("   - related: {} {}\n", cell(&location(Some(&r.file), r.line)), sanitize(&r.message)));
        }
    }
    o.push('\n');
}

/// Side by side: the verdict per platform, then a row per finding with its severity on each.
fn comparison(o: &mut String, report: &Report) {
    o.push_str("## Platform comparison\n\n| | ");
    o.push_str(&report.targets.iter().map(|t| t.platform.clone()).collect::<Vec<_>>().join(" | "));
    o.push_str(" |\n|---|");
    o.push_str(&"---|".repeat(report.targets.len()));
    o.push_str("\n| **Verdict** | ");
    o.push_str(
        &report
            .targets
            .iter()
            .map(|t| format!("**{}**", verdict_title(t.verdict.as_str())))
            .collect::<Vec<_>>()
            .join(" | "),
    );
    o.push_str(" |\n| Critical / warning / info | ");
    o.push_str(
        &report
            .targets
            .iter()
            .map(|t| format!("{} / {} / {}", t.counts.critical, t.counts.warning, t.counts.info))
            .collect::<Vec<_>>()
            .join(" | "),
    );
    o.push_str(" |\n\n| Rule | Location | ");
    o.push_str(&report.targets.iter().map(|t| t.target.clone()).collect::<Vec<_>>().join(" | "));
    o.push_str(" |\n|---|---|");
    o.push_str(&"---|".repeat(report.targets.len()));
    o.push('\n');
    for r in super::matrix(report) {
        let cells: Vec<String> = r
            .severities
            .iter()
            .map(|s| s.map(|s| s.as_str().to_string()).unwrap_or_else(|| "—".into()))
            .collect();
        o.push_str(&format!("| `{}` | {} | {} |\n", r.rule, cell(&r.location), cells.join(" | ")));
    }
    o.push('\n');
}
