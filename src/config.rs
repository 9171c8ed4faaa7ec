//! The configuration file: `deploy-audit.toml` (or `.deploy-audit.toml`) at the scanned root, or
//! the file given with `--config`. It tunes the gate for one repository: the targets and
//! `fail-on` used when the command line does not give them, paths never audited, severity
//! overrides, per-path disables with a reason, and the platform settings the repository cannot
//! show (declared instead of "verify in the dashboard").
//!
//! ```toml
//! targets = ["koyeb"]              # used when --target is not given (the flag wins)
//! fail-on = "warning"              # used when --fail-on is not given (the flag wins)
//! exclude = ["legacy/**"]          # gitignore-style patterns, relative to the scanned root
//!
//! [rules]                          # severity per rule on every target: critical|warning|info|off
//! env-undocumented = "off"
//!
//! [target.fly.rules]               # severity per rule on one target (wins over [rules])
//! in-memory-state = "critical"
//!
//! [[ignore]]                       # disable a rule for some paths, with a reason
//! rule = "ephemeral-disk-write"
//! paths = ["scripts/**"]
//! reason = "one-off maintenance scripts, never deployed"
//! targets = ["koyeb"]              # optional: only on these targets
//!
//! [platform]                       # settings the repository cannot show, on every target
//! instances = 1                    # or `replicas`; 1 silences multi-instance findings
//! regions = 1
//! scale-to-zero = false
//! health-check-path = "/api/health"
//! volumes = [{ mount = "/app/uploads" }]   # absolute container path, or relative to the app's working directory
//!
//! [target.koyeb.platform]          # per target, field by field over [platform]
//! instances = 3
//! ```
//!
//! `targets` is the list scanned; per-target tables live under `target` (singular), because TOML
//! cannot make one key both a list and a table. Every error names the file and line, and for a
//! misspelt name the closest valid one.

use crate::packs::{Facts, PackSeverity};
use crate::parse::yaml::{Node, Value};
use std::collections::BTreeMap;

/// Names of the two files looked for at the scanned root.
pub const FILE_NAMES: &[&str] = &["deploy-audit.toml", ".deploy-audit.toml"];

/// A configuration error: file, 1-based line, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Platform settings declared in the configuration, each with the line it was written on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declared {
    /// The configuration file, as shown in findings (root-relative when inside the root).
    pub file: String,
    pub instances: Option<(u32, usize)>,
    pub regions: Option<(u32, usize)>,
    pub scale_to_zero: Option<(bool, usize)>,
    pub health_check_path: Option<(String, usize)>,
    /// Mount paths of declared volumes.
    pub volumes: Vec<(String, usize)>,
}

/// Nothing declared.
pub static NOTHING_DECLARED: Declared = Declared {
    file: String::new(),
    instances: None,
    regions: None,
    scale_to_zero: None,
    health_check_path: None,
    volumes: Vec::new(),
};

impl Declared {
    /// How many instances run in total, when the declaration says so: (count, line).
    /// `regions` multiplies `instances`; regions alone only prove "more than one".
    pub fn instance_count(&self) -> Option<(u32, usize)> {
        match (self.instances, self.regions) {
            (Some((i, l)), Some((r, _))) => Some((i.saturating_mul(r), l)),
            (Some(x), None) => Some(x),
            (None, Some((r, l))) if r > 1 => Some((r, l)),
            _ => None,
        }
    }

    /// Does the declaration settle whether several instances run?
    pub fn multi_instance(&self) -> Option<bool> {
        self.instance_count().map(|(n, _)| n > 1)
    }

    /// The declared volume whose mount covers a write: `container` is the write's path in the
    /// container when known, `relative` the path as the code names it (relative to the working
    /// directory). Returns (mount, line).
    pub fn volume_covering(&self, container: Option<&str>, relative: &str) -> Option<(&str, usize)> {
        let covers = |mount: &str, path: &str| {
            let m = mount.trim_end_matches('/');
            !m.is_empty() && (path == m || path.starts_with(&format!("{m}/")))
        };
        self.volumes.iter().find_map(|(mount, line)| {
            let hit = if mount.starts_with('/') {
                container.is_some_and(|c| covers(mount, c)) || (relative.starts_with('/') && covers(mount, relative))
            } else {
                let m = crate::text::join("", mount);
                let r = crate::text::join("", relative);
                !relative.starts_with('/') && covers(&m, &r)
            };
            hit.then_some((mount.as_str(), *line))
        })
    }

    /// Override the pack's facts with what is declared (checks read these as usual).
    pub fn apply(&self, facts: &mut Facts) {
        if let Some(m) = self.multi_instance() {
            facts.multi_instance = m;
        }
        if let Some((s, _)) = self.scale_to_zero {
            facts.scale_to_zero = s;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.instances.is_none() && self.regions.is_none() && self.scale_to_zero.is_none() && self.health_check_path.is_none() && self.volumes.is_empty()
    }
}

/// A `[[ignore]]` entry: a rule disabled for some paths.
#[derive(Debug, Clone)]
pub struct IgnoreRule {
    pub rule: String,
    pub paths: Vec<String>,
    pub reason: String,
    /// Empty: every target.
    pub targets: Vec<String>,
    pub line: usize,
    matcher: ignore::gitignore::Gitignore,
}

impl IgnoreRule {
    pub fn matches(&self, rule: &str, file: Option<&str>) -> bool {
        rule == self.rule && file.is_some_and(|f| path_matches(&self.matcher, f))
    }
}

/// What the engine applies on one target.
#[derive(Debug, Clone, Default)]
pub struct Tuning {
    pub severities: BTreeMap<String, PackSeverity>,
    pub ignores: Vec<IgnoreRule>,
    pub declared: Declared,
    exclude: Option<ignore::gitignore::Gitignore>,
}

impl Tuning {
    /// Is this root-relative path excluded from the audit?
    pub fn excluded(&self, rel: &str) -> bool {
        self.exclude.as_ref().is_some_and(|m| path_matches(m, rel))
    }
}

/// The parsed configuration file.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub file: String,
    pub targets: Vec<String>,
    pub fail_on: Option<crate::cli::FailOn>,
    pub exclude: Vec<String>,
    exclude_matcher: Option<ignore::gitignore::Gitignore>,
    pub rules: BTreeMap<String, PackSeverity>,
    pub target_rules: BTreeMap<String, BTreeMap<String, PackSeverity>>,
    pub ignores: Vec<IgnoreRule>,
    pub platform: Declared,
    pub target_platform: BTreeMap<String, Declared>,
}

fn path_matches(m: &ignore::gitignore::Gitignore, rel: &str) -> bool {
    // Only root-relative paths can match (the matcher panics on an absolute one, such as a
    // --config file outside the root that a finding points into).
    let p = std::path::Path::new(rel);
    !rel.is_empty() && !p.has_root() && !rel.starts_with('/') && m.matched_path_or_any_parents(p, false).is_ignore()
}

impl Config {
    /// Is this root-relative path excluded from the audit?
    pub fn excluded(&self, rel: &str) -> bool {
        self.exclude_matcher.as_ref().is_some_and(|m| path_matches(m, rel))
    }

    /// The tuning for one target: per-target severities over global ones, the ignores that
    /// apply to it, and the declared settings with the target's own over `[platform]`.
    pub fn tuning(&self, target: &str) -> Tuning {
        let mut severities = self.rules.clone();
        if let Some(t) = self.target_rules.get(target) {
            severities.extend(t.iter().map(|(k, v)| (k.clone(), *v)));
        }
        let ignores = self
            .ignores
            .iter()
            .filter(|i| i.targets.is_empty() || i.targets.iter().any(|t| t == target))
            .cloned()
            .collect();
        let mut declared = self.platform.clone();
        if let Some(t) = self.target_platform.get(target) {
            declared.instances = t.instances.or(declared.instances);
            declared.regions = t.regions.or(declared.regions);
            declared.scale_to_zero = t.scale_to_zero.or(declared.scale_to_zero);
            declared.health_check_path = t.health_check_path.clone().or(declared.health_check_path);
            if !t.volumes.is_empty() {
                declared.volumes = t.volumes.clone();
            }
        }
        declared.file = self.file.clone();
        Tuning {
            severities,
            ignores,
            declared,
            exclude: self.exclude_matcher.clone(),
        }
    }
}

/// The closest of `names` to `given`, for "did you mean".
pub fn closest<'a>(given: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    names.into_iter().min_by_key(|n| crate::cli::strsim(n, given))
}

fn suggest<'a>(given: &str, names: impl IntoIterator<Item = &'a str>) -> String {
    match closest(given, names) {
        Some(c) => format!("; did you mean `{c}`?"),
        None => String::new(),
    }
}

struct P<'a> {
    file: &'a str,
}

impl P<'_> {
    fn err(&self, line: usize, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_string(),
            line: line.max(1),
            message: message.into(),
        }
    }

    /// The entries of a table, rejecting keys outside `allowed` with a suggestion.
    fn table<'n>(&self, node: &'n Node, what: &str, allowed: &[&str]) -> Result<&'n [(Node, Node)], ConfigError> {
        let map = node.as_map().ok_or_else(|| self.err(node.line, format!("`{what}` must be a table")))?;
        for (k, _) in map {
            let key = k.as_str().unwrap_or("");
            if !allowed.is_empty() && !allowed.contains(&key) {
                return Err(self.err(
                    k.line,
                    format!(
                        "unknown key `{}` in {what}{}",
                        crate::text::sanitize(key),
                        suggest(key, allowed.iter().copied())
                    ),
                ));
            }
        }
        Ok(map)
    }

    fn string<'n>(&self, key: &str, v: &'n Node) -> Result<&'n str, ConfigError> {
        v.as_str().ok_or_else(|| self.err(v.line, format!("`{key}` must be a string")))
    }

    fn strings(&self, key: &str, v: &Node) -> Result<Vec<(String, usize)>, ConfigError> {
        let Value::Seq(items) = &v.value else {
            return Err(self.err(v.line, format!("`{key}` must be an array of strings")));
        };
        items.iter().map(|i| self.string(key, i).map(|s| (s.to_string(), i.line))).collect()
    }

    fn target(&self, name: &str, line: usize, allow_all: bool) -> Result<Vec<String>, ConfigError> {
        let known = crate::packs::target_ids();
        let lower = name.trim().to_ascii_lowercase();
        if allow_all && lower == "all" {
            return Ok(known.iter().map(|s| s.to_string()).collect());
        }
        if known.contains(&lower.as_str()) {
            return Ok(vec![lower]);
        }
        Err(self.err(
            line,
            format!("unknown target `{}`{}", crate::text::sanitize(name), suggest(&lower, known.iter().copied())),
        ))
    }

    fn rule_id(&self, id: &str, line: usize) -> Result<String, ConfigError> {
        if crate::checks::rule(id).is_some() {
            return Ok(id.to_string());
        }
        Err(self.err(
            line,
            format!(
                "unknown rule `{}`{}",
                crate::text::sanitize(id),
                suggest(id, crate::checks::RULES.iter().map(|r| r.id))
            ),
        ))
    }

    fn severity(&self, v: &Node) -> Result<PackSeverity, ConfigError> {
        let s = v.as_str().unwrap_or("");
        match s {
            "critical" => Ok(PackSeverity::Critical),
            "warning" => Ok(PackSeverity::Warning),
            "info" => Ok(PackSeverity::Info),
            "off" => Ok(PackSeverity::Off),
            _ => Err(self.err(
                v.line,
                format!(
                    "severity `{}` is not one of critical, warning, info, off{}",
                    crate::text::sanitize(v.as_str().unwrap_or(v.kind_name())),
                    if s.is_empty() {
                        String::new()
                    } else {
                        suggest(s, ["critical", "warning", "info", "off"])
                    }
                ),
            )),
        }
    }

    fn rules(&self, node: &Node, what: &str) -> Result<BTreeMap<String, PackSeverity>, ConfigError> {
        let mut out = BTreeMap::new();
        for (k, v) in self.table(node, what, &[])? {
            let id = self.rule_id(k.as_str().unwrap_or(""), k.line)?;
            out.insert(id, self.severity(v)?);
        }
        Ok(out)
    }

    fn count(&self, key: &str, v: &Node) -> Result<(u32, usize), ConfigError> {
        match &v.value {
            Value::Int(n) if *n >= 1 && *n <= u32::MAX as i64 => Ok((*n as u32, v.line)),
            _ => Err(self.err(v.line, format!("`{key}` must be a whole number of at least 1"))),
        }
    }

    fn platform(&self, node: &Node, what: &str) -> Result<Declared, ConfigError> {
        const KEYS: &[&str] = &["instances", "replicas", "regions", "scale-to-zero", "health-check-path", "volumes"];
        let mut d = Declared::default();
        for (k, v) in self.table(node, what, KEYS)? {
            let key = k.as_str().unwrap_or("");
            match key {
                "instances" | "replicas" => {
                    if d.instances.is_some() {
                        return Err(self.err(k.line, format!("`instances` and `replicas` mean the same; keep one in {what}")));
                    }
                    d.instances = Some(self.count(key, v)?);
                }
                "regions" => d.regions = Some(self.count(key, v)?),
                "scale-to-zero" => match v.value {
                    Value::Bool(b) => d.scale_to_zero = Some((b, v.line)),
                    _ => return Err(self.err(v.line, "`scale-to-zero` must be true or false")),
                },
                "health-check-path" => {
                    let p = self.string(key, v)?;
                    if !p.starts_with('/') {
                        return Err(self.err(v.line, "`health-check-path` must start with `/`, e.g. \"/api/health\""));
                    }
                    d.health_check_path = Some((p.to_string(), v.line));
                }
                "volumes" => {
                    let Value::Seq(items) = &v.value else {
                        return Err(self.err(v.line, "`volumes` must be an array of tables like { mount = \"/app/uploads\" }"));
                    };
                    for item in items {
                        let entries = self.table(item, "a volume", &["mount", "name"])?;
                        let Some((_, m)) = entries.iter().rev().find(|(k, _)| k.as_str() == Some("mount")) else {
                            return Err(self.err(item.line, "a volume needs `mount`, the path it is mounted at"));
                        };
                        let mount = self.string("mount", m)?;
                        if crate::text::join("", mount).is_empty() {
                            return Err(self.err(m.line, "`mount` must name a directory, not the root"));
                        }
                        if let Some((_, n)) = entries.iter().find(|(k, _)| k.as_str() == Some("name")) {
                            self.string("name", n)?;
                        }
                        d.volumes.push((mount.to_string(), m.line));
                    }
                }
                _ => {}
            }
        }
        Ok(d)
    }

    fn globs(&self, patterns: &[(String, usize)]) -> Result<ignore::gitignore::Gitignore, ConfigError> {
        let mut b = ignore::gitignore::GitignoreBuilder::new("");
        for (p, line) in patterns {
            if p.trim().is_empty() {
                return Err(self.err(*line, "an empty path pattern matches nothing"));
            }
            b.add_line(None, p)
                .map_err(|e| self.err(*line, format!("bad path pattern `{}`: {e}", crate::text::sanitize(p))))?;
        }
        b.build().map_err(|e| self.err(patterns.first().map(|p| p.1).unwrap_or(1), e.to_string()))
    }
}

/// Parse configuration text; `file` is how errors name it.
pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
    let p = P { file };
    let root = crate::parse::platform::parse_toml(text).map_err(|e| p.err(e.line, format!("not valid TOML: {}", e.message)))?;
    const TOP: &[&str] = &["targets", "fail-on", "exclude", "rules", "ignore", "platform", "target"];
    let mut cfg = Config {
        file: file.to_string(),
        ..Config::default()
    };
    for (k, v) in p.table(&root, "the configuration", TOP)? {
        match k.as_str().unwrap_or("") {
            "targets" => {
                if v.as_map().is_some() {
                    return Err(p.err(
                        k.line,
                        "`targets` is the list of targets to scan; per-target settings go under [target.<id>], e.g. [target.fly.rules]",
                    ));
                }
                {
                    for (name, line) in p.strings("targets", v)? {
                        for t in p.target(&name, line, true)? {
                            if !cfg.targets.contains(&t) {
                                cfg.targets.push(t);
                            }
                        }
                    }
                }
            }
            "fail-on" => {
                let s = p.string("fail-on", v)?;
                use crate::cli::FailOn;
                cfg.fail_on = Some(match s {
                    "critical" => FailOn::Critical,
                    "warning" => FailOn::Warning,
                    "info" => FailOn::Info,
                    "never" => FailOn::Never,
                    _ => {
                        return Err(p.err(
                            v.line,
                            format!(
                                "`fail-on` `{}` is not one of critical, warning, info, never{}",
                                crate::text::sanitize(s),
                                suggest(s, ["critical", "warning", "info", "never"])
                            ),
                        ))
                    }
                });
            }
            "exclude" => {
                let pats = p.strings("exclude", v)?;
                cfg.exclude_matcher = Some(p.globs(&pats)?);
                cfg.exclude = pats.into_iter().map(|(s, _)| s).collect();
            }
            "rules" => cfg.rules = p.rules(v, "[rules]")?,
            "ignore" => {
                let Value::Seq(items) = &v.value else {
                    return Err(p.err(v.line, "`ignore` must be an array of tables: [[ignore]]"));
                };
                for item in items {
                    cfg.ignores.push(ignore_entry(&p, item)?);
                }
            }
            "platform" => cfg.platform = p.platform(v, "[platform]")?,
            "target" => targets_table(&p, v, &mut cfg)?,
            _ => {}
        }
    }
    Ok(cfg)
}

/// The per-target tables: `[target.<id>.rules]` and `[target.<id>.platform]`.
fn targets_table(p: &P, v: &Node, cfg: &mut Config) -> Result<(), ConfigError> {
    for (k, t) in p.table(v, "[target]", &[])? {
        let name = k.as_str().unwrap_or("");
        let id = p.target(name, k.line, false)?.remove(0);
        let what = format!("[target.{id}]");
        for (k2, v2) in p.table(t, &what, &["rules", "platform"])? {
            match k2.as_str().unwrap_or("") {
                "rules" => {
                    cfg.target_rules.insert(id.clone(), p.rules(v2, &format!("[target.{id}.rules]"))?);
                }
                "platform" => {
                    cfg.target_platform.insert(id.clone(), p.platform(v2, &format!("[target.{id}.platform]"))?);
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn ignore_entry(p: &P, item: &Node) -> Result<IgnoreRule, ConfigError> {
    let entries = p.table(item, "[[ignore]]", &["rule", "paths", "reason", "targets"])?;
    let get = |key: &str| entries.iter().rev().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v);
    let line = entries.first().map(|(k, _)| k.line).unwrap_or(item.line);
    let rule_node = get("rule").ok_or_else(|| p.err(line, "[[ignore]] needs `rule`, the rule id to disable"))?;
    let rule = p.rule_id(p.string("rule", rule_node)?, rule_node.line)?;
    let paths_node = get("paths").ok_or_else(|| p.err(line, "[[ignore]] needs `paths`, the files it applies to"))?;
    let paths = p.strings("paths", paths_node)?;
    if paths.is_empty() {
        return Err(p.err(paths_node.line, "`paths` is empty, so this [[ignore]] disables nothing"));
    }
    let reason = match get("reason") {
        Some(r) => p.string("reason", r)?.trim().to_string(),
        None => String::new(),
    };
    if reason.is_empty() {
        return Err(p.err(line, "[[ignore]] needs a non-empty `reason`, saying why the finding is accepted"));
    }
    let mut targets = Vec::new();
    if let Some(t) = get("targets") {
        for (name, l) in p.strings("targets", t)? {
            targets.extend(p.target(&name, l, true)?);
        }
    }
    let matcher = p.globs(&paths)?;
    Ok(IgnoreRule {
        rule,
        paths: paths.into_iter().map(|(s, _)| s).collect(),
        reason,
        targets,
        line,
        matcher,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"targets = ["koyeb", "fly"]
fail-on = "warning"
exclude = ["legacy/**", "scripts/one-off.ts"]

[rules]
env-undocumented = "off"

[target.fly.rules]
in-memory-state = "critical"

[[ignore]]
rule = "ephemeral-disk-write"
paths = ["scripts/**"]
reason = "one-off maintenance scripts, never deployed"

[platform]
instances = 1
scale-to-zero = false
regions = 1
health-check-path = "/api/health"
volumes = [{ mount = "/app/uploads" }]

[target.koyeb.platform]
instances = 3
"#;

    fn err(text: &str) -> ConfigError {
        parse(text, "deploy-audit.toml").expect_err("should fail")
    }

    #[test]
    fn full_example_parses_and_merges_per_target() {
        let c = parse(FULL, "deploy-audit.toml").unwrap();
        assert_eq!(c.targets, vec!["koyeb", "fly"]);
        assert_eq!(c.fail_on, Some(crate::cli::FailOn::Warning));
        assert!(c.excluded("legacy/a/b.ts"));
        assert!(c.excluded("scripts/one-off.ts"));
        assert!(!c.excluded("scripts/other.ts"));
        assert!(!c.excluded("app/legacy.ts"));
        assert!(!c.excluded("/elsewhere/legacy/a.ts") && !c.excluded(""));
        let fly = c.tuning("fly");
        assert_eq!(fly.severities.get("in-memory-state"), Some(&PackSeverity::Critical));
        assert_eq!(fly.severities.get("env-undocumented"), Some(&PackSeverity::Off));
        assert_eq!(fly.declared.instances, Some((1, 17)));
        assert_eq!(fly.declared.multi_instance(), Some(false));
        let koyeb = c.tuning("koyeb");
        assert_eq!(koyeb.severities.get("in-memory-state"), None);
        assert_eq!(koyeb.declared.instances, Some((3, 24)));
        assert_eq!(koyeb.declared.multi_instance(), Some(true));
        assert_eq!(koyeb.declared.health_check_path, Some(("/api/health".to_string(), 20)));
        assert_eq!(koyeb.declared.volumes, vec![("/app/uploads".to_string(), 21)]);
        assert_eq!(koyeb.declared.file, "deploy-audit.toml");
        assert!(koyeb.ignores[0].matches("ephemeral-disk-write", Some("scripts/dump.ts")));
        assert!(!koyeb.ignores[0].matches("ephemeral-disk-write", Some("app/api/route.ts")));
        assert!(!koyeb.ignores[0].matches("in-memory-state", Some("scripts/dump.ts")));
    }

    #[test]
    fn unknown_keys_rules_targets_and_values_name_the_line_and_the_closest_name() {
        let e = err("targets = [\"koyeb\"]\nfail_on = \"warning\"\n");
        assert_eq!((e.file.as_str(), e.line), ("deploy-audit.toml", 2));
        assert!(
            e.message.contains("unknown key `fail_on`") && e.message.contains("did you mean `fail-on`"),
            "{e}"
        );
        let e = err("[rules]\nephemeral-disk-writes = \"off\"\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("did you mean `ephemeral-disk-write`"), "{e}");
        let e = err("targets = [\"koyeb\", \"flyio\"]\n");
        assert!(e.message.contains("unknown target `flyio`") && e.message.contains("`fly`"), "{e}");
        let e = err("[target.rendr.rules]\nin-memory-state = \"off\"\n");
        assert!(e.message.contains("did you mean `render`"), "{e}");
        let e = err("[rules]\nin-memory-state = \"critcal\"\n");
        assert!(e.message.contains("did you mean `critical`"), "{e}");
        let e = err("\n\n[platform]\ninstance = 2\n");
        assert_eq!(e.line, 4);
        assert!(e.message.contains("did you mean `instances`"), "{e}");
        let e = err("[platform]\ninstances = 0\n");
        assert!(e.message.contains("at least 1"), "{e}");
        let e = err("[platform]\nhealth-check-path = \"health\"\n");
        assert!(e.message.contains("start with `/`"), "{e}");
        let e = err("[platform]\nvolumes = [{ mnt = \"/data\" }]\n");
        assert!(e.message.contains("did you mean `mount`"), "{e}");
        let e = err("[platform]\ninstances = 1\nreplicas = 2\n");
        assert!(e.message.contains("keep one"), "{e}");
        let e = err("[target.fly]\nrule = {}\n");
        assert!(e.message.contains("did you mean `rules`"), "{e}");
        let e = err("[targets.fly.rules]\nin-memory-state = \"off\"\n");
        assert!(e.message.contains("[target.<id>]"), "{e}");
        let e = err("fail-on = \"warnings\"\n");
        assert!(e.message.contains("did you mean `warning`"), "{e}");
        let e = err("targets = [\"koyeb\"\n");
        assert!(e.message.contains("not valid TOML"), "{e}");
    }

    #[test]
    fn ignore_entries_need_rule_paths_and_a_reason() {
        let e = err("[[ignore]]\nrule = \"in-memory-state\"\npaths = [\"a/**\"]\n");
        assert!(e.message.contains("reason"), "{e}");
        let e = err("[[ignore]]\nrule = \"in-memory-state\"\npaths = [\"a/**\"]\nreason = \"  \"\n");
        assert!(e.message.contains("reason"), "{e}");
        let e = err("[[ignore]]\nrule = \"in-memory-stat\"\npaths = [\"a/**\"]\nreason = \"x\"\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("did you mean `in-memory-state`"), "{e}");
        let e = err("[[ignore]]\nrule = \"in-memory-state\"\npaths = []\nreason = \"x\"\n");
        assert!(e.message.contains("empty"), "{e}");
        let e = err("[[ignore]]\nrule = \"in-memory-state\"\npath = [\"a\"]\nreason = \"x\"\n");
        assert!(e.message.contains("did you mean `paths`"), "{e}");
        let c = parse(
            "[[ignore]]\nrule = \"in-memory-state\"\npaths = [\"*.test.ts\"]\nreason = \"tests\"\ntargets = [\"fly\"]\n",
            "c.toml",
        )
        .unwrap();
        assert!(c.tuning("koyeb").ignores.is_empty());
        let fly = c.tuning("fly");
        assert!(fly.ignores[0].matches("in-memory-state", Some("src/deep/a.test.ts")));
        assert!(!fly.ignores[0].matches("in-memory-state", None));
    }

    #[test]
    fn declared_volumes_cover_container_and_relative_paths() {
        let c = parse(
            "[platform]\nvolumes = [{ mount = \"/app/uploads\" }, { mount = \"data/\", name = \"d\" }]\n",
            "c.toml",
        )
        .unwrap();
        let d = c.tuning("koyeb").declared;
        assert_eq!(d.volume_covering(Some("/app/uploads/a.png"), "uploads/a.png"), Some(("/app/uploads", 2)));
        assert_eq!(d.volume_covering(Some("/app/uploads"), "uploads"), Some(("/app/uploads", 2)));
        assert_eq!(d.volume_covering(Some("/app/uploads-old/a"), "uploads-old/a"), None);
        assert_eq!(d.volume_covering(None, "uploads/a.png"), None);
        assert_eq!(d.volume_covering(None, "./data/x.db"), Some(("data/", 2)));
        assert_eq!(d.volume_covering(None, "database/x.db"), None);
        assert_eq!(d.volume_covering(None, "/app/uploads/x"), Some(("/app/uploads", 2)));
    }

    #[test]
    fn the_readme_and_module_examples_are_valid_configurations() {
        let readme = include_str!("../README.md");
        let section = &readme[readme.find("## Configuration").expect("README has a Configuration section")..];
        let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
        let block = &section[start..start + section[start..].find("```").expect("closed block")];
        let c = parse(block, "deploy-audit.toml").unwrap_or_else(|e| panic!("README example: {e}"));
        assert_eq!(c.tuning("koyeb").declared.instances.map(|x| x.0), Some(3));
        assert_eq!(c.tuning("fly").severities.get("in-memory-state"), Some(&PackSeverity::Critical));
        // The module documentation's example, without the `//! ` prefixes.
        let me = include_str!("config.rs");
        let doc: String = me
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .map(|l| l.strip_prefix("//! ").unwrap_or(l.trim_start_matches("//!")))
            .collect::<Vec<_>>()
            .join("\n");
        let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
        let block = &doc[start..start + doc[start..].find("```").expect("closed block")];
        parse(block, "deploy-audit.toml").unwrap_or_else(|e| panic!("module doc example: {e}"));
    }

    #[test]
    fn regions_multiply_instances_and_alone_prove_only_several() {
        let c = parse("[platform]\nregions = 2\n", "c.toml").unwrap();
        assert_eq!(c.tuning("fly").declared.multi_instance(), Some(true));
        let c = parse("[platform]\nregions = 1\n", "c.toml").unwrap();
        assert_eq!(c.tuning("fly").declared.multi_instance(), None);
        let c = parse("[platform]\nreplicas = 1\nregions = 3\n", "c.toml").unwrap();
        assert_eq!(c.tuning("fly").declared.instance_count().map(|x| x.0), Some(3));
        let mut facts = crate::packs::load("koyeb").unwrap().facts;
        let c = parse("[platform]\ninstances = 1\nscale-to-zero = false\n", "c.toml").unwrap();
        c.tuning("koyeb").declared.apply(&mut facts);
        assert!(!facts.multi_instance && !facts.scale_to_zero);
    }
}
