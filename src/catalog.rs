//! The rule catalogue: every rule's id, title, aspect and documentation (from its check) with its
//! severity, fix and docs link on each platform (from the packs). One source for `audit explain`-style
//! pages, the generated `docs/rules/*.md`, and the rule metadata of the SARIF output.
//!
//! Regenerate the committed pages with `cargo run -- docs --write docs/rules` (or
//! `UPDATE_DOCS=1 cargo test --test docs`); a test fails when they are stale.

use crate::packs::PackSeverity;
use crate::report::Aspect;
use std::path::Path;

/// A rule's advice on one platform.
#[derive(Debug, Clone)]
pub struct PlatformAdvice {
    pub target: String,
    pub platform: String,
    pub severity: PackSeverity,
    /// The fix template as the pack states it (`{name}` placeholders are filled per finding).
    pub fix: String,
    pub docs: String,
}

/// One rule of the catalogue.
#[derive(Debug, Clone)]
pub struct RuleDoc {
    pub id: &'static str,
    pub title: &'static str,
    pub aspect: Aspect,
    /// Markdown from the check (What it does / Why it matters / Example / Fix / References).
    pub doc: &'static str,
    /// One entry per target, in target order.
    pub platforms: Vec<PlatformAdvice>,
}

impl RuleDoc {
    pub fn on(&self, target: &str) -> Option<&PlatformAdvice> {
        self.platforms.iter().find(|p| p.target == target)
    }
}

/// Every rule in catalogue order, with each platform's advice.
pub fn rules() -> Result<Vec<RuleDoc>, String> {
    let packs = crate::packs::target_ids().into_iter().map(crate::packs::load).collect::<Result<Vec<_>, _>>()?;
    Ok(crate::checks::RULES
        .iter()
        .map(|r| RuleDoc {
            id: r.id,
            title: r.title,
            aspect: r.aspect,
            doc: r.doc,
            platforms: packs
                .iter()
                .filter_map(|p| {
                    p.advice(r.id).map(|a| PlatformAdvice {
                        target: p.platform.id.clone(),
                        platform: p.platform.name.clone(),
                        severity: a.severity,
                        fix: a.fix.clone(),
                        docs: a.docs.clone(),
                    })
                })
                .collect(),
        })
        .collect())
}

/// Escape text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

const GENERATED: &str = "<!-- Generated from src/checks/ and rules/*.toml by `cargo run -- docs --write docs/rules`; do not edit. -->\n";

/// `docs/rules/<id>.md`: the check's documentation and a table of each platform's severity, fix
/// and documentation link.
pub fn rule_page(r: &RuleDoc) -> String {
    let mut o = String::from(GENERATED);
    o.push_str(&format!("# `{}`: {}\n\nAspect: **{}**\n\n", r.id, r.title, r.aspect.as_str()));
    // The check's doc uses `##` sections already.
    o.push_str(r.doc.trim_end());
    o.push_str("\n\n## Per platform\n\n| Platform | Severity | Fix | Docs |\n|---|---|---|---|\n");
    for p in &r.platforms {
        if p.severity == PackSeverity::Off {
            o.push_str(&format!("| {} (`{}`) | off | — | — |\n", p.platform, p.target));
        } else {
            o.push_str(&format!(
                "| {} (`{}`) | {} | {} | <{}> |\n",
                p.platform,
                p.target,
                p.severity.as_str(),
                cell(&p.fix),
                p.docs
            ));
        }
    }
    o.push_str("\nSee it from the command line: `audit explain ");
    o.push_str(r.id);
    o.push_str("`.\n");
    o
}

/// `docs/rules/README.md`: the catalogue, a row per rule with its severity per platform.
pub fn catalogue_page(rules: &[RuleDoc]) -> String {
    let targets = crate::packs::target_ids();
    let mut o = String::from(GENERATED);
    o.push_str("# Rules\n\nEvery rule `audit` checks, with its severity on each platform (`off`: not checked there).\n");
    o.push_str("The same list on the command line: `audit rules`; one rule: `audit explain RULE`.\n\n");
    o.push_str("| Rule | Aspect | ");
    o.push_str(&targets.join(" | "));
    o.push_str(" | Title |\n|---|---|");
    o.push_str(&"---|".repeat(targets.len()));
    o.push_str("---|\n");
    for r in rules {
        let sev: Vec<&str> = targets.iter().map(|t| r.on(t).map(|a| a.severity.as_str()).unwrap_or("—")).collect();
        o.push_str(&format!(
            "| [`{id}`]({id}.md) | {} | {} | {} |\n",
            r.aspect.as_str(),
            sev.join(" | "),
            cell(r.title),
            id = r.id
        ));
    }
    o
}

/// Every generated page: (file name, text).
pub fn pages() -> Result<Vec<(String, String)>, String> {
    let rules = rules()?;
    let mut out = vec![("README.md".to_string(), catalogue_page(&rules))];
    out.extend(rules.iter().map(|r| (format!("{}.md", r.id), rule_page(r))));
    Ok(out)
}

/// Write the pages into `dir` and remove pages of rules that no longer exist.
pub fn write_pages(dir: &Path) -> Result<usize, String> {
    let pages = pages()?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, text) in &pages {
        let p = dir.join(name);
        if std::fs::read_to_string(&p).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        }
    }
    for stale in stale_extra_pages(dir, &pages) {
        std::fs::remove_file(dir.join(&stale)).map_err(|e| format!("cannot remove {stale}: {e}"))?;
    }
    Ok(pages.len())
}

fn stale_extra_pages(dir: &Path, pages: &[(String, String)]) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<String> = rd
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".md") && !pages.iter().any(|(p, _)| p == n))
        .collect();
    out.sort();
    out
}

/// The names of the pages in `dir` that differ from what would be generated, are missing, or
/// belong to no rule. Empty when the directory is up to date.
pub fn stale_pages(dir: &Path) -> Result<Vec<String>, String> {
    let pages = pages()?;
    let mut out: Vec<String> = pages
        .iter()
        .filter(|(name, text)| std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(text.as_str()))
        .map(|(name, _)| name.clone())
        .collect();
    out.extend(stale_extra_pages(dir, &pages));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_page_with_every_platform() {
        let rules = rules().unwrap();
        assert_eq!(rules.len(), crate::checks::RULES.len());
        let r = rules.iter().find(|r| r.id == "ephemeral-disk-write").unwrap();
        assert_eq!(r.platforms.len(), crate::packs::target_ids().len());
        let page = rule_page(r);
        assert!(page.contains("## What it does"), "{page}");
        assert!(page.contains("| Koyeb (`koyeb`) | critical |"), "{page}");
        assert!(page.contains("<https://www.koyeb.com/docs/reference/storage>"), "{page}");
        let cat = catalogue_page(&rules);
        assert!(
            cat.contains("| [`ephemeral-disk-write`](ephemeral-disk-write.md) | statelessness | critical |"),
            "{cat}"
        );
        assert_eq!(cat.lines().filter(|l| l.starts_with("| [`")).count(), rules.len());
    }

    #[test]
    fn stale_pages_are_reported_and_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        assert!(stale_pages(dir.path()).unwrap().contains(&"README.md".to_string()));
        write_pages(dir.path()).unwrap();
        assert!(stale_pages(dir.path()).unwrap().is_empty());
        std::fs::write(dir.path().join("ephemeral-disk-write.md"), "edited by hand").unwrap();
        std::fs::write(dir.path().join("removed-rule.md"), "old").unwrap();
        assert_eq!(stale_pages(dir.path()).unwrap(), vec!["ephemeral-disk-write.md", "removed-rule.md"]);
        write_pages(dir.path()).unwrap();
        assert!(stale_pages(dir.path()).unwrap().is_empty());
        assert!(!dir.path().join("removed-rule.md").exists());
    }
}
