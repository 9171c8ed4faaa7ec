//! Per-pack pass/fail cases: for every platform pack and every rule it enables, at least one
//! repository on which the rule fires under that pack and one near-miss on which it stays silent.
//! A case is a bundled fixture or a small inline repository; it names the rules it must fire and
//! the rules it must keep silent, on every target where the pack enables the rule.

use super::{Ctx, RULES};
use crate::model::Model;
use std::collections::{BTreeMap, BTreeSet};

pub enum Repo {
    /// A directory under `fixtures/`.
    Fixture(&'static str),
    /// Inline files.
    Files(Vec<(&'static str, String)>),
    /// A tree made by a function (symlinks, binary files).
    Setup(fn(&std::path::Path)),
}

pub struct Case {
    pub name: &'static str,
    pub repo: Repo,
    /// Rules that must fire on every target listed (or every target where enabled).
    pub fires: &'static [&'static str],
    /// Rules that must stay silent.
    pub silent: &'static [&'static str],
    /// Targets the case applies to; empty = all six.
    pub targets: &'static [&'static str],
}

/// The case's model, the temporary directory that holds it (kept alive), and its deploy-audit.toml.
fn build(repo: &Repo) -> (Model, Option<tempfile::TempDir>, Option<String>) {
    let (root, dir) = match repo {
        Repo::Fixture(name) => (std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name), None),
        Repo::Setup(f) => {
            let dir = tempfile::tempdir().expect("tempdir");
            f(dir.path());
            (dir.path().to_path_buf(), Some(dir))
        }
        Repo::Files(files) => {
            let dir = tempfile::tempdir().expect("tempdir");
            super::testing::write_tree(dir.path(), files.iter().map(|(p, t)| (*p, t.as_str())));
            (dir.path().to_path_buf(), Some(dir))
        }
    };
    let model = Model::build(crate::discover::discover(&root, &crate::discover::Limits::default()).expect("discover"));
    let config = std::fs::read_to_string(root.join("deploy-audit.toml")).ok();
    (model, dir, config)
}

/// (target, rule) pairs.
type Pairs = BTreeSet<(String, String)>;

/// Run every case; return the (target, rule) pairs proven to fire and proven silent, and the
/// expectations that failed.
pub fn run_all(cases: &[Case]) -> (Pairs, Pairs, Vec<String>) {
    let packs: Vec<_> = crate::packs::target_ids().into_iter().map(|t| crate::packs::load(t).expect("pack")).collect();
    let mut fired = BTreeSet::new();
    let mut silent = BTreeSet::new();
    let mut errors = Vec::new();
    for case in cases {
        let (model, _dir, config_text) = build(&case.repo);
        // A case may declare platform settings in its own deploy-audit.toml.
        let config = config_text.map(|text| crate::config::parse(&text, "deploy-audit.toml").expect("case config"));
        for pack in &packs {
            let t = pack.platform.id.as_str();
            if !case.targets.is_empty() && !case.targets.contains(&t) {
                continue;
            }
            let declared = config.as_ref().map(|c| c.tuning(t).declared).unwrap_or_default();
            let mut facts = pack.facts.clone();
            declared.apply(&mut facts);
            let ctx = Ctx {
                model: &model,
                facts: &facts,
                platform: &pack.platform,
                declared: &declared,
            };
            let mut results: BTreeMap<&str, usize> = BTreeMap::new();
            for r in RULES {
                let enabled = pack.advice(r.id).is_some_and(|a| a.severity.severity().is_some());
                if !enabled || !(case.fires.contains(&r.id) || case.silent.contains(&r.id)) {
                    continue;
                }
                results.insert(r.id, r.observe(&ctx).len());
            }
            for id in case.fires {
                match results.get(id) {
                    Some(0) => errors.push(format!("case `{}`: `{id}` should fire on {t} but is silent", case.name)),
                    Some(_) => {
                        fired.insert((t.to_string(), id.to_string()));
                    }
                    None => {}
                }
            }
            for id in case.silent {
                match results.get(id) {
                    Some(0) => {
                        silent.insert((t.to_string(), id.to_string()));
                    }
                    Some(n) => errors.push(format!("case `{}`: `{id}` should be silent on {t} but fired {n}×", case.name)),
                    None => {}
                }
            }
        }
    }
    (fired, silent, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pack_rule_has_a_failing_and_a_passing_case() {
        let (fired, silent, mut errors) = run_all(&super::super::case_table::cases());
        for pack in crate::packs::target_ids() {
            let p = crate::packs::load(pack).expect("pack");
            for r in RULES {
                if p.advice(r.id).is_none_or(|a| a.severity.severity().is_none()) {
                    continue;
                }
                let key = (pack.to_string(), r.id.to_string());
                if !fired.contains(&key) {
                    errors.push(format!("{pack}/{}: no failing case", r.id));
                }
                if !silent.contains(&key) {
                    errors.push(format!("{pack}/{}: no passing case", r.id));
                }
            }
        }
        assert!(errors.is_empty(), "{} problems:\n{}", errors.len(), errors.join("\n"));
    }
}
