//! SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
//!
//! - One `run` per target; `automationDetails.id` is `deploy-audit/<target>/`, so code scanning
//!   keeps each platform's alerts in its own category (do not pass `category` to upload-sarif:
//!   it would merge them).
//! - `tool.driver.rules` holds the rules enabled on that target, from the catalogue: the title as
//!   `shortDescription`, the check's "What it does" as `fullDescription`, the whole documentation
//!   plus the platform's fix in `help` (text and Markdown), the pack's documentation link as
//!   `helpUri`, the platform's severity as `defaultConfiguration.level`.
//! - Severity → level: critical → `error`, warning → `warning`, info → `note`.
//! - Locations: `artifactLocation.uri` is relative (percent-encoded) with `uriBaseId`
//!   `%SRCROOT%`, the directory the tool ran in (the checkout in CI): the scanned root's relative
//!   path is prefixed, so `audit scan apps/web` gives `apps/web/Dockerfile`. `region.startLine`
//!   only when the line is known. A finding about the repository as a whole is anchored at its
//!   first related location or else at the scanned root directory (GitHub rejects a file in
//!   which any result has no physical location) and carries `properties.repositoryLevel: true`.
//! - `partialFingerprints.deployAuditFingerprint/v1` is the finding's fingerprint (stable across
//!   line shifts); `properties` carry target, platform, aspect, fix and docs.

use super::{anchor, root_prefix};
use crate::catalog::RuleDoc;
use crate::packs::PackSeverity;
use crate::report::{Report, Severity, TargetReport};
use serde_json::{json, Map, Value};

pub const SCHEMA_URI: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Percent-encode a relative path for a URI reference (keeps `/` and the characters RFC 3986
/// allows in a path segment, except `:`, which would read as a scheme in a first segment).
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn physical(path: &str, line: Option<usize>) -> Value {
    let mut p = json!({"artifactLocation": {"uri": uri_path(path), "uriBaseId": "%SRCROOT%"}});
    if let Some(l) = line.filter(|l| *l >= 1) {
        p["region"] = json!({"startLine": l});
    }
    p
}

/// The "What it does" section of a rule's documentation, as plain text.
fn what_it_does(doc: &str) -> String {
    let body = doc.split_once("## What it does").map(|(_, b)| b).unwrap_or(doc);
    let body = body.split("\n## ").next().unwrap_or(body);
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn rule_json(r: &RuleDoc, target: &str) -> Option<Value> {
    let a = r.on(target)?;
    let sev = a.severity.severity()?;
    let help = format!("{}\n\n## On {}\n{}\n\n{}", r.doc.trim_end(), a.platform, a.fix, a.docs);
    Some(json!({
        "id": r.id,
        "name": r.id,
        "shortDescription": {"text": r.title},
        "fullDescription": {"text": what_it_does(r.doc)},
        "help": {"text": help, "markdown": help},
        "helpUri": a.docs,
        "defaultConfiguration": {"level": level(sev)},
        "properties": {"tags": ["deployment", r.aspect.as_str()], "aspect": r.aspect.as_str()}
    }))
}

fn run(report: &Report, t: &TargetReport, catalog: &[RuleDoc]) -> Value {
    let prefix = root_prefix(&report.root);
    let mut rules: Vec<Value> = Vec::new();
    let mut index: Vec<&str> = Vec::new();
    for r in catalog {
        if r.on(&t.target).is_some_and(|a| a.severity != PackSeverity::Off) {
            if let Some(v) = rule_json(r, &t.target) {
                rules.push(v);
                index.push(r.id);
            }
        }
    }
    let results: Vec<Value> = t
        .findings
        .iter()
        .map(|f| {
            let at = anchor(&prefix, f);
            let mut props = Map::new();
            props.insert("target".into(), json!(t.target));
            props.insert("platform".into(), json!(t.platform));
            props.insert("aspect".into(), json!(f.aspect.as_str()));
            props.insert("fix".into(), json!(f.fix));
            props.insert("docs".into(), json!(f.docs));
            if at.repository_level {
                props.insert("repositoryLevel".into(), json!(true));
            }
            let related: Vec<Value> = f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    json!({
                        "id": i,
                        "physicalLocation": physical(&super::repo_path(&prefix, &r.file), r.line),
                        "message": {"text": r.message}
                    })
                })
                .collect();
            let mut res = json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": {"text": f.message},
                "locations": [{"physicalLocation": physical(&at.path, at.line)}],
                "partialFingerprints": {"deployAuditFingerprint/v1": f.fingerprint},
                "properties": props
            });
            if let Some(i) = index.iter().position(|id| *id == f.rule) {
                res["ruleIndex"] = json!(i);
            }
            if !related.is_empty() {
                res["relatedLocations"] = json!(related);
            }
            res
        })
        .collect();
    let mut driver = json!({
        "name": report.tool.name,
        "version": report.tool.version,
        "semanticVersion": report.tool.version,
        "rules": rules
    });
    if let Some(uri) = option_env!("CARGO_PKG_REPOSITORY").filter(|u| !u.is_empty()) {
        driver["informationUri"] = json!(uri);
    }
    json!({
        "tool": {"driver": driver},
        "automationDetails": {"id": format!("deploy-audit/{}/", t.target)},
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The directory deploy-audit ran in (the repository checkout)."}}},
        "results": results,
        "properties": {
            "target": t.target,
            "platform": t.platform,
            "verdict": t.verdict.as_str(),
            "counts": {"critical": t.counts.critical, "warning": t.counts.warning, "info": t.counts.info}
        }
    })
}

pub fn render(report: &Report) -> String {
    let catalog = crate::catalog::rules().unwrap_or_default();
    let doc = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": report.targets.iter().map(|t| run(report, t, &catalog)).collect::<Vec<_>>()
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri_path("app/api/upload/route.ts"), "app/api/upload/route.ts");
        assert_eq!(uri_path("app/(shop)/[id]/page 1.tsx"), "app/(shop)/%5Bid%5D/page%201.tsx");
        assert_eq!(uri_path("c:odd/x"), "c%3Aodd/x");
        assert_eq!(uri_path("100%.txt"), "100%25.txt");
    }

    #[test]
    fn levels_follow_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::Warning), "warning");
        assert_eq!(level(Severity::Info), "note");
    }

    #[test]
    fn what_it_does_is_the_first_section() {
        let doc = "## What it does\nFinds `x`\nin files.\n\n## Why it matters\nBecause.";
        assert_eq!(what_it_does(doc), "Finds `x` in files.");
    }
}
