//! Baselines: `--write-baseline FILE` records today's findings, `--baseline FILE` reports only
//! the findings it does not record. Findings are matched by target, rule and fingerprint (which
//! holds no line number, so it survives inserted lines); a fingerprint recorded once hides one
//! finding, so a second, new occurrence with the same fingerprint is still reported.
//!
//! ```json
//! {"version": 1, "tool": "deploy-audit 0.1.0",
//!  "findings": [{"target": "koyeb", "rule": "ephemeral-disk-write", "fingerprint": "…",
//!                "file": "app/api/upload/route.ts", "line": 12, "message": "…"}]}
//! ```
//! `file`, `line` and `message` are for people reading the file; matching ignores them.

use crate::report::Report;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub target: String,
    pub rule: String,
    pub fingerprint: String,
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub line: Option<usize>,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    #[serde(default)]
    pub tool: String,
    pub findings: Vec<Entry>,
}

/// The baseline of a report (every finding on every target).
pub fn of_report(report: &Report) -> Baseline {
    Baseline {
        version: 1,
        tool: format!("{} {}", report.tool.name, report.tool.version),
        findings: report
            .targets
            .iter()
            .flat_map(|t| {
                t.findings.iter().map(|f| Entry {
                    target: t.target.clone(),
                    rule: f.rule.clone(),
                    fingerprint: f.fingerprint.clone(),
                    file: f.file.clone(),
                    line: f.line,
                    message: f.message.clone(),
                })
            })
            .collect(),
    }
}

pub fn to_json(b: &Baseline) -> String {
    let mut s = serde_json::to_string_pretty(b).unwrap_or_default();
    s.push('\n');
    s
}

/// Read a baseline file's text.
pub fn parse(text: &str) -> Result<Baseline, String> {
    let b: Baseline = serde_json::from_str(text).map_err(|e| format!("not a deploy-audit baseline: {e}"))?;
    if b.version != 1 {
        return Err(format!("baseline version {} is not supported (expected 1)", b.version));
    }
    Ok(b)
}

/// Remove from the report the findings the baseline records (as a multiset), and recompute each
/// target's counts, verdict and aspects on what remains.
pub fn apply(report: &mut Report, b: &Baseline) {
    let mut left: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for e in &b.findings {
        *left.entry((e.target.clone(), e.rule.clone(), e.fingerprint.clone())).or_default() += 1;
    }
    for t in &mut report.targets {
        let before = t.findings.len();
        let target = t.target.clone();
        t.findings
            .retain(|f| match left.get_mut(&(target.clone(), f.rule.clone(), f.fingerprint.clone())) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            });
        t.baselined += before - t.findings.len();
        let (counts, verdict, aspects) = crate::engine::summarize(&t.findings);
        t.counts = counts;
        t.verdict = verdict;
        t.aspects = aspects;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let dir = tempfile::tempdir().unwrap();
        let src = "import { writeFileSync } from 'fs';\nexport function POST() { writeFileSync('uploads/a.bin', ''); return new Response('') }\n";
        std::fs::create_dir_all(dir.path().join("app/api/u")).unwrap();
        std::fs::write(dir.path().join("package.json"), crate::checks::testing::NEXT_PKG).unwrap();
        std::fs::write(dir.path().join("app/api/u/route.ts"), src).unwrap();
        crate::cli::scan(dir.path(), &["koyeb".to_string()], &Default::default()).unwrap()
    }

    #[test]
    fn round_trip_hides_recorded_findings_and_recomputes_the_verdict() {
        let r = report();
        assert_eq!(r.targets[0].verdict, crate::report::Verdict::NotReady);
        let b = parse(&to_json(&of_report(&r))).unwrap();
        assert_eq!(b.findings.len(), r.targets[0].findings.len());
        let mut r2 = r.clone();
        apply(&mut r2, &b);
        assert!(r2.targets[0].findings.is_empty());
        assert_eq!(r2.targets[0].baselined, r.targets[0].findings.len());
        assert_eq!(r2.targets[0].verdict, crate::report::Verdict::Ready);
        assert_eq!(r2.targets[0].counts.critical, 0);
    }

    #[test]
    fn one_recorded_occurrence_hides_one_finding_only() {
        let r = report();
        let f = r.targets[0].findings.iter().find(|f| f.rule == "ephemeral-disk-write").unwrap().clone();
        let mut twice = r.clone();
        twice.targets[0].findings.push(f.clone());
        let b = of_report(&r);
        apply(&mut twice, &b);
        assert_eq!(twice.targets[0].findings.len(), 1);
        assert_eq!(twice.targets[0].findings[0].fingerprint, f.fingerprint);
        // Another target's entry does not hide it.
        let mut other = b.clone();
        other.findings.iter_mut().for_each(|e| e.target = "fly".into());
        let mut r3 = r.clone();
        apply(&mut r3, &other);
        assert_eq!(r3.targets[0].findings.len(), r.targets[0].findings.len());
    }

    #[test]
    fn bad_files_are_errors() {
        assert!(parse("{").is_err());
        assert!(parse("{\"version\": 2, \"findings\": []}").unwrap_err().contains("version 2"));
        assert!(parse("{\"version\": 1}").is_err());
        assert!(parse("{\"version\": 1, \"targets\": []}").is_err(), "a report is not a baseline");
    }
}
