//! GitLab Code Quality report (the Code Climate subset GitLab reads): a JSON array of issues with
//! `description`, `check_name`, `fingerprint`, `severity` and `location.path` /
//! `location.lines.begin`. Severity: critical → `critical`, warning → `major`, info → `info`.
//! The fingerprint is the finding's, suffixed with the target so one finding on two platforms
//! stays two issues. Paths are prefixed with the scanned root like the other CI formats; a
//! repository-level finding is anchored as in SARIF (line 1 when no line is known, as GitLab
//! requires `lines.begin`).

use super::{anchor, root_prefix};
use crate::report::{Report, Severity};
use serde_json::{json, Value};

pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}

pub fn render(report: &Report) -> String {
    let prefix = root_prefix(&report.root);
    let mut issues: Vec<Value> = Vec::new();
    for t in &report.targets {
        for f in &t.findings {
            let at = anchor(&prefix, f);
            issues.push(json!({
                "type": "issue",
                "description": format!("[{}] {}", t.platform, f.message),
                "check_name": f.rule,
                "fingerprint": format!("{}-{}", f.fingerprint, t.target),
                "severity": severity(f.severity),
                "categories": ["Bug Risk"],
                "content": {"body": format!("{}\n\nDocs: {}", f.fix, f.docs)},
                "location": {"path": at.path, "lines": {"begin": at.line.unwrap_or(1)}}
            }));
        }
    }
    let mut s = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}
