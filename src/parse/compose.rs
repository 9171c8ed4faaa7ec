//! Docker Compose model built on [`super::yaml`].
//!
//! Values are kept as written (no variable substitution); every `$VAR`/`${VAR...}` reference in
//! any string value is collected in [`ComposeFile::var_refs`] with its line. Unknown keys are
//! ignored; keys of the wrong type give a warning with a line. Simplifications (documented):
//! - `extends` is resolved only for services in the same file and only one level deep (the base
//!   is used as written, not with its own `extends` applied); the base is merged under the
//!   extending service with [`merge`]'s rules. `extends` with a `file` is kept but not resolved.
//! - `include:` is not followed (a warning is given).
//! - Only the first non-empty YAML document is used.
//! - YAML tags such as `!reset`/`!override` are ignored.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::Hash;

use super::yaml::{self, Node, Value};

/// A parsed compose file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ComposeFile {
    /// Services in source order.
    pub services: Vec<Service>,
    /// Top-level named volumes (name, line).
    pub volumes: Vec<(String, usize)>,
    /// Line of the obsolete top-level `version:` key.
    pub version_line: Option<usize>,
    /// Line of a note in the file's leading comments saying it is not for production
    /// ("for development only", "demonstration only, do not use in prod", "local-dev stack").
    pub not_for_production: Option<usize>,
    /// Every variable reference in any string value.
    pub var_refs: Vec<VarRef>,
    /// Non-fatal problems (line, message). Messages never contain environment values.
    pub warnings: Vec<(usize, String)>,
}

/// A variable reference such as `${PORT:-3000}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VarRef {
    /// Variable name.
    pub name: String,
    /// 1-based line of the string containing it.
    pub line: usize,
    /// Default of `${X:-d}` / `${X-d}`, as written.
    pub default: Option<String>,
    /// `${X:?err}` or `${X?err}`.
    pub required: bool,
}

/// One service.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Service {
    /// Service name.
    pub name: String,
    /// Line of the service's key.
    pub line: usize,
    /// `image` (value, line).
    pub image: Option<(String, usize)>,
    /// `build`.
    pub build: Option<Build>,
    /// `command`; the list form is joined with spaces (items with whitespace double-quoted).
    pub command: Option<(String, usize)>,
    /// `entrypoint`, same form as `command`.
    pub entrypoint: Option<(String, usize)>,
    /// `ports`.
    pub ports: Vec<Port>,
    /// `expose` (value, line).
    pub expose: Vec<(String, usize)>,
    /// `volumes` plus `tmpfs` entries.
    pub volumes: Vec<Mount>,
    /// `environment`.
    pub environment: Vec<EnvEntry>,
    /// `env_file`.
    pub env_file: Vec<EnvFileRef>,
    /// `depends_on`.
    pub depends_on: Vec<Dependency>,
    /// `healthcheck`.
    pub healthcheck: Option<Healthcheck>,
    /// `restart` (value, line).
    pub restart: Option<(String, usize)>,
    /// `deploy.replicas` (or the legacy `scale`) (value, line).
    pub replicas: Option<(u64, usize)>,
    /// `profiles`.
    pub profiles: Vec<String>,
    /// `extends`: (service, file, line).
    pub extends: Option<(String, Option<String>, usize)>,
    /// `container_name` (value, line).
    pub container_name: Option<(String, usize)>,
    /// `labels` (key, value, line); a list item without `=` has an empty value.
    pub labels: Vec<(String, String, usize)>,
    /// Coolify's `exclude_from_hc: true`.
    pub exclude_from_hc: bool,
    /// `networks` names (list or mapping form).
    pub networks: Vec<String>,
}

/// `build:` of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    /// Build context; `"."` when not given.
    pub context: String,
    /// `dockerfile`.
    pub dockerfile: Option<String>,
    /// `target`.
    pub target: Option<String>,
    /// `args` (name, value, line); `None` value when only the name is given.
    pub args: Vec<(String, Option<String>, usize)>,
    /// Line of the `build` key.
    pub line: usize,
}

impl Default for Build {
    fn default() -> Self {
        Build {
            context: ".".to_string(),
            dockerfile: None,
            target: None,
            args: Vec::new(),
            line: 0,
        }
    }
}

/// A published or exposed port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// The short form as written, or a reconstruction of the long form.
    pub raw: String,
    /// Host IP (without IPv6 brackets).
    pub host_ip: Option<String>,
    /// Host port or range; `None` when not published to a fixed host port.
    pub host_port: Option<String>,
    /// Container port or range.
    pub container_port: String,
    /// `tcp`/`udp` when given.
    pub protocol: Option<String>,
    /// 1-based line.
    pub line: usize,
}

/// What a mount's source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MountKind {
    /// A named volume.
    Named,
    /// A host path (also used when the source is a variable without a default).
    Bind,
    /// An anonymous volume (target only).
    Anonymous,
    /// A tmpfs mount.
    Tmpfs,
}

/// A service volume or tmpfs mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Volume name or host path, as written.
    pub source: Option<String>,
    /// Path in the container.
    pub target: String,
    /// Kind of source.
    pub kind: MountKind,
    /// `:ro` / `read_only: true`.
    pub read_only: bool,
    /// 1-based line.
    pub line: usize,
}

/// One `environment` entry. The value must never be printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvEntry {
    /// Variable name.
    pub name: String,
    /// Value as written; `None` when only the name is given (taken from the shell).
    pub value: Option<String>,
    /// 1-based line.
    pub line: usize,
}

/// One `env_file` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFileRef {
    /// Path as written.
    pub path: String,
    /// `required` (default true).
    pub required: bool,
    /// 1-based line.
    pub line: usize,
}

/// One `depends_on` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The service depended on.
    pub service: String,
    /// `condition` when given in the long form.
    pub condition: Option<String>,
    /// 1-based line.
    pub line: usize,
    /// Long-form `required` (default true).
    pub required: bool,
}

/// A service healthcheck.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Healthcheck {
    /// Test command: `["CMD", ...]`, `["CMD-SHELL", s]` (also for the string form) or
    /// `["NONE"]`.
    pub test: Vec<String>,
    /// `disable: true` or test `["NONE"]`.
    pub disabled: bool,
    /// `interval` as written.
    pub interval: Option<String>,
    /// `timeout` as written.
    pub timeout: Option<String>,
    /// `retries`.
    pub retries: Option<u64>,
    /// `start_period` as written.
    pub start_period: Option<String>,
    /// Line of the `healthcheck` key.
    pub line: usize,
}

/// A fatal compose parse error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// Description.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.col, self.message)
    }
}

impl std::error::Error for ParseError {}

impl Service {
    /// `restart: "no"` / `on-failure`: the service is meant to run once and exit.
    pub fn restarts_once(&self) -> bool {
        self.restart.as_ref().is_some_and(|(r, _)| {
            let r = r.trim_matches(|c| c == '"' || c == '\'');
            r == "no" || r.starts_with("on-failure")
        })
    }
}

impl ComposeFile {
    /// The service named `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }
}

/// Parses a compose file. Fails on YAML errors, an empty file, a non-mapping top level or a
/// `services` value that is neither a mapping nor null.
pub fn parse(src: &str) -> Result<ComposeFile, ParseError> {
    let docs = yaml::parse(src).map_err(|e| ParseError {
        line: e.line,
        col: e.col,
        message: e.message,
    })?;
    let mut out = ComposeFile {
        not_for_production: not_for_production_note(src),
        ..ComposeFile::default()
    };
    let mut non_empty = docs.iter().filter(|d| !d.is_null());
    let Some(top) = non_empty.next() else {
        return Err(ParseError {
            line: 1,
            col: 1,
            message: "empty compose file".to_string(),
        });
    };
    if let Some(second) = non_empty.next() {
        out.warnings
            .push((second.line, "multiple YAML documents; only the first one is used".to_string()));
    }
    let Some(entries) = top.as_map() else {
        return Err(ParseError {
            line: top.line,
            col: top.col,
            message: format!("compose file must be a mapping at the top level, found a {}", top.kind_name()),
        });
    };
    let w = &mut out.warnings;
    for (k, v) in entries {
        match k.scalar_string().as_deref() {
            Some("version") => out.version_line = Some(k.line),
            Some("volumes") => match &v.value {
                Value::Map(vols) => {
                    for (vk, _) in vols {
                        if let Some(name) = vk.scalar_string() {
                            out.volumes.push((name, vk.line));
                        }
                    }
                }
                Value::Null => {}
                _ => w.push((v.line, "top-level `volumes` must be a mapping".to_string())),
            },
            Some("include") => w.push((k.line, "`include` is not followed; included services are not analyzed".to_string())),
            _ => {}
        }
    }
    match top.entry("services") {
        None => out.warnings.push((1, "no `services` key in the compose file".to_string())),
        Some((k, v)) => match &v.value {
            Value::Null => out.warnings.push((k.line, "`services` is empty".to_string())),
            Value::Map(svcs) => {
                let mut index: HashMap<String, usize> = HashMap::new();
                for (sk, sv) in svcs {
                    let Some(name) = sk.scalar_string() else {
                        out.warnings.push((sk.line, "service name must be a string".to_string()));
                        continue;
                    };
                    let svc = match &sv.value {
                        Value::Map(_) => parse_service(&name, sk.line, sv, &mut out.warnings),
                        Value::Null => {
                            out.warnings.push((sk.line, format!("service `{name}` is empty")));
                            Service {
                                name: name.clone(),
                                line: sk.line,
                                ..Service::default()
                            }
                        }
                        _ => {
                            out.warnings.push((sv.line, format!("service `{name}` must be a mapping, ignored")));
                            continue;
                        }
                    };
                    match index.get(&name).copied() {
                        Some(pos) => {
                            out.warnings.push((sk.line, format!("duplicate service `{name}`")));
                            if let Some(slot) = out.services.get_mut(pos) {
                                *slot = svc;
                            }
                        }
                        None => {
                            index.insert(name, out.services.len());
                            out.services.push(svc);
                        }
                    }
                }
            }
            _ => {
                return Err(ParseError {
                    line: v.line,
                    col: v.col,
                    message: format!("`services` must be a mapping, found a {}", v.kind_name()),
                })
            }
        },
    }
    resolve_extends(&mut out);
    let mut seen = HashSet::new();
    let mut invalid_lines = HashSet::new();
    collect_refs(top, &mut out.var_refs, &mut out.warnings, &mut seen, &mut invalid_lines);
    Ok(out)
}

/// Maximum number of list items copied while resolving `extends` in one file.
const EXTENDS_BUDGET: usize = 400_000;

/// Rough size of a service (list items), for the `extends` copy budget.
fn weight(s: &Service) -> usize {
    1 + s.ports.len()
        + s.expose.len()
        + s.volumes.len()
        + s.environment.len()
        + s.env_file.len()
        + s.depends_on.len()
        + s.labels.len()
        + s.profiles.len()
        + s.networks.len()
        + s.build.as_ref().map_or(0, |b| b.args.len())
        + s.healthcheck.as_ref().map_or(0, |h| h.test.len())
}

/// Resolves same-file `extends` one level deep.
fn resolve_extends(f: &mut ComposeFile) {
    if !f.services.iter().any(|s| matches!(s.extends, Some((_, None, _)))) {
        return;
    }
    let originals = f.services.clone();
    let by_name: HashMap<&str, &Service> = originals.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut budget = EXTENDS_BUDGET;
    for svc in &mut f.services {
        let Some((base_name, None, line)) = svc.extends.clone() else {
            continue;
        };
        if base_name == svc.name {
            f.warnings.push((line, format!("service `{}` extends itself", svc.name)));
            continue;
        }
        let Some(base) = by_name.get(base_name.as_str()).copied() else {
            f.warnings.push((line, format!("`extends` refers to unknown service `{base_name}`")));
            continue;
        };
        let cost = weight(base).saturating_add(weight(svc));
        if cost > budget {
            f.warnings.push((line, "`extends` not resolved: the file is too large".to_string()));
            continue;
        }
        budget -= cost;
        let mut merged = base.clone();
        merge_service(&mut merged, svc);
        merged.name = svc.name.clone();
        merged.line = svc.line;
        merged.extends = svc.extends.clone();
        *svc = merged;
    }
}

const INVALID_INTERPOLATION: &str = "invalid interpolation: a `$` not followed by a name or \
     a closed `{...}` (write `$$` for a literal `$`)";

/// Walks every string value (not keys) collecting variable references.
fn collect_refs(n: &Node, out: &mut Vec<VarRef>, warnings: &mut Vec<(usize, String)>, seen: &mut HashSet<VarRef>, invalid_lines: &mut HashSet<usize>) {
    match &n.value {
        Value::Str(s) => {
            if !s.contains('$') {
                return;
            }
            let (refs, invalid) = refs_in(s);
            if invalid && invalid_lines.insert(n.line) {
                warnings.push((n.line, INVALID_INTERPOLATION.to_string()));
            }
            for (name, default, required) in refs {
                let r = VarRef {
                    name,
                    line: n.line,
                    default,
                    required,
                };
                if seen.insert(r.clone()) {
                    out.push(r);
                }
            }
        }
        Value::Seq(items) => {
            for i in items {
                collect_refs(i, out, warnings, seen, invalid_lines);
            }
        }
        Value::Map(entries) => {
            for (_, v) in entries {
                collect_refs(v, out, warnings, seen, invalid_lines);
            }
        }
        _ => {}
    }
}

fn warn_type(w: &mut Vec<(usize, String)>, line: usize, svc: &str, key: &str, want: &str) {
    w.push((line, format!("service `{svc}`: `{key}` should be {want}, ignored")));
}

/// A scalar value or a warning.
fn scalar_field(v: &Node, line: usize, svc: &str, key: &str, w: &mut Vec<(usize, String)>) -> Option<(String, usize)> {
    match &v.value {
        Value::Null => None,
        Value::Seq(_) | Value::Map(_) => {
            warn_type(w, v.line, svc, key, "a string");
            None
        }
        _ => v.scalar_string().map(|s| (s, line)),
    }
}

/// Joins an exec-form list for display.
fn join_command(items: &[String]) -> String {
    items
        .iter()
        .map(|s| {
            if s.is_empty() || s.chars().any(char::is_whitespace) {
                format!("\"{}\"", s.replace('"', "\\\""))
            } else {
                s.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Scalars of a list (non-scalars skipped), or a single scalar.
fn string_list(v: &Node) -> Vec<(String, usize)> {
    match &v.value {
        Value::Seq(items) => items.iter().filter_map(|i| i.scalar_string().map(|s| (s, i.line))).collect(),
        _ => v.scalar_string().map(|s| (s, v.line)).into_iter().collect(),
    }
}

fn truthy(n: &Node) -> Option<bool> {
    match &n.value {
        Value::Bool(b) => Some(*b),
        Value::Str(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Some(true),
            "false" | "no" | "off" | "0" => Some(false),
            _ => None,
        },
        Value::Int(i) => Some(*i != 0),
        _ => None,
    }
}

fn as_u64(n: &Node) -> Option<u64> {
    match &n.value {
        Value::Int(i) => u64::try_from(*i).ok(),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `KEY=value` / `KEY` list items or a mapping, as (key, value, line).
fn key_values(v: &Node) -> Vec<(String, Option<String>, usize)> {
    match &v.value {
        Value::Map(entries) => entries
            .iter()
            .filter_map(|(k, val)| {
                let key = k.scalar_string()?;
                Some((key, val.scalar_string(), k.line))
            })
            .collect(),
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| {
                let s = i.scalar_string()?;
                Some(match s.split_once('=') {
                    Some((k, val)) => (k.to_string(), Some(val.to_string()), i.line),
                    None => (s, None, i.line),
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn parse_service(name: &str, line: usize, node: &Node, w: &mut Vec<(usize, String)>) -> Service {
    let mut s = Service {
        name: name.to_string(),
        line,
        ..Service::default()
    };
    let Some(entries) = node.as_map() else {
        return s;
    };
    let mut deploy_restart = None;
    for (k, v) in entries {
        let Some(key) = k.scalar_string() else {
            continue;
        };
        let kl = k.line;
        match key.as_str() {
            "image" => s.image = scalar_field(v, kl, name, "image", w),
            "restart" => s.restart = scalar_field(v, kl, name, "restart", w),
            "container_name" => s.container_name = scalar_field(v, kl, name, "container_name", w),
            "command" | "entrypoint" => {
                let val = match &v.value {
                    Value::Seq(items) => {
                        let parts: Vec<String> = items.iter().filter_map(Node::scalar_string).collect();
                        Some((join_command(&parts), kl))
                    }
                    _ => scalar_field(v, kl, name, &key, w),
                };
                if key == "command" {
                    s.command = val;
                } else {
                    s.entrypoint = val;
                }
            }
            "build" => s.build = parse_build(v, kl, name, w),
            "ports" => match &v.value {
                Value::Seq(items) => {
                    for i in items {
                        match parse_port(i) {
                            Some(p) => s.ports.push(p),
                            None => w.push((i.line, format!("service `{name}`: unrecognized port entry"))),
                        }
                    }
                }
                Value::Null => {}
                _ => warn_type(w, v.line, name, "ports", "a list"),
            },
            "expose" => s.expose.extend(string_list(v)),
            "volumes" => match &v.value {
                Value::Seq(items) => {
                    for i in items {
                        match parse_mount(i) {
                            Some(m) => s.volumes.push(m),
                            None => w.push((i.line, format!("service `{name}`: unrecognized volume entry"))),
                        }
                    }
                }
                Value::Null => {}
                _ => warn_type(w, v.line, name, "volumes", "a list"),
            },
            "tmpfs" => {
                for (t, l) in string_list(v) {
                    let target = t.split(':').next().unwrap_or_default().to_string();
                    s.volumes.push(Mount {
                        source: None,
                        target,
                        kind: MountKind::Tmpfs,
                        read_only: false,
                        line: l,
                    });
                }
            }
            "environment" => match &v.value {
                Value::Map(_) | Value::Seq(_) => {
                    for (n, val, l) in key_values(v) {
                        s.environment.push(EnvEntry { name: n, value: val, line: l });
                    }
                }
                Value::Null => {}
                _ => warn_type(w, v.line, name, "environment", "a mapping or a list"),
            },
            "env_file" => s.env_file.extend(parse_env_files(v)),
            "depends_on" => s.depends_on = parse_depends(v),
            "healthcheck" => s.healthcheck = parse_healthcheck(v, kl, name, w),
            "deploy" => {
                if let Some((rk, rv)) = v.entry("replicas") {
                    match as_u64(rv) {
                        Some(r) => s.replicas = Some((r, rk.line)),
                        None if rv.is_null() => {}
                        None => warn_type(w, rv.line, name, "deploy.replicas", "a number"),
                    }
                }
                // Compose applies `deploy.restart_policy` to the container when `restart` is not
                // set: `any` (the default condition) restarts always, `none` never.
                if let Some((pk, pv)) = v.entry("restart_policy") {
                    let condition = pv.get("condition").and_then(Node::scalar_string);
                    let policy = match condition.as_deref().map(str::to_ascii_lowercase).as_deref() {
                        None | Some("any" | "always") => "always".to_string(),
                        Some("none" | "no") => "no".to_string(),
                        Some(other) => other.to_string(),
                    };
                    deploy_restart = Some((policy, pk.line));
                }
            }
            "scale" if s.replicas.is_none() => s.replicas = as_u64(v).map(|r| (r, kl)),
            "profiles" => s.profiles = string_list(v).into_iter().map(|(p, _)| p).collect(),
            "extends" => {
                s.extends = match &v.value {
                    Value::Map(_) => v
                        .get("service")
                        .and_then(Node::scalar_string)
                        .map(|svc| (svc, v.get("file").and_then(Node::scalar_string), kl)),
                    _ => v.scalar_string().map(|svc| (svc, None, kl)),
                };
            }
            "labels" => {
                for (lk, lv, l) in key_values(v) {
                    s.labels.push((lk, lv.unwrap_or_default(), l));
                }
            }
            "exclude_from_hc" => s.exclude_from_hc = truthy(v).unwrap_or(false),
            "networks" => {
                s.networks = match &v.value {
                    Value::Map(entries) => entries.iter().filter_map(|(nk, _)| nk.scalar_string()).collect(),
                    _ => string_list(v).into_iter().map(|(n, _)| n).collect(),
                };
            }
            _ => {}
        }
    }
    if s.restart.is_none() {
        s.restart = deploy_restart;
    }
    s
}

/// Phrases of a header comment saying the file is not the deployment.
const NOT_FOR_PRODUCTION: &[&str] = &[
    "development only",
    "dev only",
    "demonstration only",
    "demo only",
    "testing only",
    "test only",
    "do not use in prod",
    "do not use this in prod",
    "do not use it in prod",
    "dont use in prod",
    "dont use this in prod",
    "not for production",
    "not for prod use",
    "not meant for production",
    "not intended for production",
    "not suitable for production",
    "not to be used in production",
    "should not be used in production",
    "not production ready",
    "local dev stack",
    "local development stack",
];

/// The line of a comment among the file's leading comments (before the first key) that says
/// the file is for development, tests or a demonstration only. A line naming another compose
/// file ("for development only, use compose.prod.yml") describes that file, not this one.
fn not_for_production_note(src: &str) -> Option<usize> {
    for (i, line) in src.lines().enumerate().take(60) {
        let t = line.trim();
        if t.is_empty() || t == "---" {
            continue;
        }
        let Some(comment) = t.strip_prefix('#') else { break };
        let lower = comment.to_ascii_lowercase();
        if lower.contains(".yml") || lower.contains(".yaml") {
            continue;
        }
        let words: String = lower
            .chars()
            .filter(|c| *c != '\'' && *c != '\u{2019}')
            .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
            .collect();
        let norm = format!(" {} ", words.split_whitespace().collect::<Vec<_>>().join(" "));
        // A word boundary before the phrase; "prod" also matches "production".
        if NOT_FOR_PRODUCTION.iter().any(|p| norm.contains(&format!(" {p}"))) {
            return Some(i + 1);
        }
    }
    None
}

fn parse_build(v: &Node, line: usize, svc: &str, w: &mut Vec<(usize, String)>) -> Option<Build> {
    match &v.value {
        Value::Null => None,
        Value::Map(_) => Some(Build {
            context: v.get("context").and_then(Node::scalar_string).unwrap_or_else(|| ".".to_string()),
            dockerfile: v.get("dockerfile").and_then(Node::scalar_string),
            target: v.get("target").and_then(Node::scalar_string),
            args: v.get("args").map(key_values).unwrap_or_default(),
            line,
        }),
        Value::Seq(_) => {
            warn_type(w, v.line, svc, "build", "a string or a mapping");
            None
        }
        _ => Some(Build {
            context: v.scalar_string().unwrap_or_else(|| ".".to_string()),
            line,
            ..Build::default()
        }),
    }
}

fn parse_env_files(v: &Node) -> Vec<EnvFileRef> {
    let one = |n: &Node| -> Option<EnvFileRef> {
        match &n.value {
            Value::Map(_) => Some(EnvFileRef {
                path: n.get("path").and_then(Node::scalar_string)?,
                required: n.get("required").and_then(truthy).unwrap_or(true),
                line: n.line,
            }),
            _ => n.scalar_string().map(|p| EnvFileRef {
                path: p,
                required: true,
                line: n.line,
            }),
        }
    };
    match &v.value {
        Value::Seq(items) => items.iter().filter_map(one).collect(),
        _ => one(v).into_iter().collect(),
    }
}

fn parse_depends(v: &Node) -> Vec<Dependency> {
    match &v.value {
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| {
                i.scalar_string().map(|s| Dependency {
                    service: s,
                    condition: None,
                    line: i.line,
                    required: true,
                })
            })
            .collect(),
        Value::Map(entries) => entries
            .iter()
            .filter_map(|(k, val)| {
                Some(Dependency {
                    service: k.scalar_string()?,
                    condition: val.get("condition").and_then(Node::scalar_string),
                    line: k.line,
                    required: val.get("required").and_then(truthy).unwrap_or(true),
                })
            })
            .collect(),
        _ => v
            .scalar_string()
            .map(|s| Dependency {
                service: s,
                condition: None,
                line: v.line,
                required: true,
            })
            .into_iter()
            .collect(),
    }
}

fn parse_healthcheck(v: &Node, line: usize, svc: &str, w: &mut Vec<(usize, String)>) -> Option<Healthcheck> {
    if v.is_null() {
        return None;
    }
    if v.as_map().is_none() {
        warn_type(w, v.line, svc, "healthcheck", "a mapping");
        return None;
    }
    let mut h = Healthcheck {
        line,
        ..Healthcheck::default()
    };
    if let Some(t) = v.get("test") {
        h.test = match &t.value {
            Value::Seq(items) => items.iter().filter_map(Node::scalar_string).collect(),
            Value::Null => Vec::new(),
            _ => match t.scalar_string() {
                Some(s) => vec!["CMD-SHELL".to_string(), s],
                None => Vec::new(),
            },
        };
    }
    h.disabled = v.get("disable").and_then(truthy).unwrap_or(false) || h.test.first().is_some_and(|t| t == "NONE");
    h.interval = v.get("interval").and_then(Node::scalar_string);
    h.timeout = v.get("timeout").and_then(Node::scalar_string);
    h.start_period = v.get("start_period").and_then(Node::scalar_string);
    h.retries = v.get("retries").and_then(as_u64);
    Some(h)
}

/// Byte positions of `delim` (ASCII) outside `${...}`.
fn split_outside_vars(s: &str, delim: u8) -> Vec<&str> {
    let b = s.as_bytes();
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b.get(i) {
            Some(b'$') if b.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 2;
                continue;
            }
            Some(b'}') if depth > 0 => depth -= 1,
            Some(c) if *c == delim && depth == 0 => {
                parts.push(s.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(s.get(start..).unwrap_or_default());
    parts
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// Parses a short (`[ip:][host:]container[/proto]`) or long-syntax port.
fn parse_port(n: &Node) -> Option<Port> {
    if n.as_map().is_some() {
        let target = n.get("target").and_then(Node::scalar_string)?;
        let published = n.get("published").and_then(Node::scalar_string);
        let host_ip = n.get("host_ip").and_then(Node::scalar_string);
        let protocol = n.get("protocol").and_then(Node::scalar_string);
        let mut raw = String::new();
        if let Some(ip) = &host_ip {
            raw.push_str(ip);
            raw.push(':');
        }
        if let Some(p) = &published {
            raw.push_str(p);
            raw.push(':');
        } else if host_ip.is_some() {
            raw.push(':');
        }
        raw.push_str(&target);
        if let Some(p) = &protocol {
            raw.push('/');
            raw.push_str(p);
        }
        return Some(Port {
            raw,
            host_ip,
            host_port: published,
            container_port: target,
            protocol,
            line: n.line,
        });
    }
    let raw = n.scalar_string()?;
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return None;
    }
    let slash = split_outside_vars(trimmed, b'/');
    let (body, protocol) = if slash.len() >= 2 {
        let proto = slash.last().copied().unwrap_or_default();
        let body_len = trimmed.len().saturating_sub(proto.len() + 1);
        (trimmed.get(..body_len).unwrap_or(trimmed), non_empty(proto))
    } else {
        (trimmed, None)
    };
    let (host_ip, rest) = if let Some(after) = body.strip_prefix('[') {
        match after.split_once(']') {
            Some((ip, rest)) => (Some(ip.to_string()), rest.strip_prefix(':').unwrap_or(rest)),
            None => (None, body),
        }
    } else {
        (None, body)
    };
    let parts = split_outside_vars(rest, b':');
    let (ip, host, container) = match parts.as_slice() {
        [c] if host_ip.is_some() => (host_ip, None, (*c).to_string()),
        [c] => (None, None, (*c).to_string()),
        [h, c] if host_ip.is_some() => (host_ip, non_empty(h), (*c).to_string()),
        [h, c] => (None, non_empty(h), (*c).to_string()),
        [ips @ .., h, c] => (non_empty(&ips.join(":")).or(host_ip), non_empty(h), (*c).to_string()),
        [] => return None,
    };
    if container.is_empty() {
        return None;
    }
    Some(Port {
        raw: raw.clone(),
        host_ip: ip,
        host_port: host,
        container_port: container,
        protocol,
        line: n.line,
    })
}

/// Whether a volume source is a host path (else a named volume).
fn is_host_path(src: &str) -> bool {
    let s = interpolate(src, &|_| None);
    if s.is_empty() {
        return src.contains('$');
    }
    let b = s.as_bytes();
    matches!(b.first(), Some(b'.' | b'/' | b'~' | b'\\'))
        || s.contains('/')
        || s.contains('\\')
        || (b.len() >= 2 && b.first().is_some_and(u8::is_ascii_alphabetic) && b.get(1) == Some(&b':'))
}

/// Parses a short (`src:target[:mode]`, `target`) or long-syntax volume.
fn parse_mount(n: &Node) -> Option<Mount> {
    if n.as_map().is_some() {
        let target = n.get("target").and_then(Node::scalar_string)?;
        let source = n.get("source").and_then(Node::scalar_string).filter(|s| !s.is_empty());
        let ty = n.get("type").and_then(Node::scalar_string).unwrap_or_else(|| "volume".to_string());
        let kind = match ty.as_str() {
            "bind" | "npipe" => MountKind::Bind,
            "tmpfs" => MountKind::Tmpfs,
            _ if source.is_some() => MountKind::Named,
            _ => MountKind::Anonymous,
        };
        return Some(Mount {
            source,
            target,
            kind,
            read_only: n.get("read_only").and_then(truthy).unwrap_or(false),
            line: n.line,
        });
    }
    let raw = n.scalar_string()?;
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = split_outside_vars(raw, b':').into_iter().map(str::to_string).collect();
    // Windows drive letter: `C:\data:/data`.
    if parts.len() >= 3
        && parts.first().is_some_and(|p| p.len() == 1 && p.bytes().all(|c| c.is_ascii_alphabetic()))
        && parts.get(1).is_some_and(|p| p.starts_with('\\') || p.starts_with('/'))
    {
        let second = parts.remove(1);
        if let Some(first) = parts.first_mut() {
            first.push(':');
            first.push_str(&second);
        }
    }
    let mut it = parts.into_iter();
    let first = it.next()?;
    let Some(target) = it.next() else {
        return Some(Mount {
            source: None,
            target: first,
            kind: MountKind::Anonymous,
            read_only: false,
            line: n.line,
        });
    };
    let mode: Vec<String> = it.collect();
    let read_only = mode.iter().flat_map(|m| m.split(',')).any(|o| o.trim() == "ro");
    let kind = if is_host_path(&first) { MountKind::Bind } else { MountKind::Named };
    Some(Mount {
        source: Some(first),
        target,
        kind,
        read_only,
        line: n.line,
    })
}

// ---------------------------------------------------------------------------------------------
// Interpolation

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpKind {
    Default,
    Required,
    Alt,
}

#[derive(Debug)]
enum Piece<'a> {
    Lit(&'a str),
    Var {
        name: &'a str,
        /// (kind, colon form, argument as written)
        op: Option<(OpKind, bool, &'a str)>,
    },
}

const MAX_NEST: usize = 16;

fn is_name_start(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric()
}

/// Splits a string into literal pieces and variable references. The flag is true when some
/// `$` is not a valid reference or escape (compose rejects those).
fn tokenize(s: &str) -> (Vec<Piece<'_>>, bool) {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut invalid = false;
    let mut lit_start = 0;
    let mut i = 0;
    while i < b.len() {
        if b.get(i) != Some(&b'$') {
            i += 1;
            continue;
        }
        // Literal up to here.
        if lit_start < i {
            out.push(Piece::Lit(s.get(lit_start..i).unwrap_or_default()));
        }
        match b.get(i + 1) {
            Some(b'$') => {
                out.push(Piece::Lit("$"));
                i += 2;
            }
            Some(b'{') => {
                let name_start = i + 2;
                let mut j = name_start;
                let name_ok = b.get(j).is_some_and(|c| is_name_start(*c));
                while b.get(j).is_some_and(|c| is_name_char(*c)) {
                    j += 1;
                }
                let name = s.get(name_start..j).unwrap_or_default();
                let parsed = if !name_ok {
                    None
                } else if b.get(j) == Some(&b'}') {
                    Some((Piece::Var { name, op: None }, j + 1))
                } else {
                    let colon = b.get(j) == Some(&b':');
                    let op_at = if colon { j + 1 } else { j };
                    let kind = match b.get(op_at) {
                        Some(b'-') => Some(OpKind::Default),
                        Some(b'?') => Some(OpKind::Required),
                        Some(b'+') => Some(OpKind::Alt),
                        _ => None,
                    };
                    kind.and_then(|kind| {
                        let arg_start = op_at + 1;
                        let close = matching_brace(b, arg_start)?;
                        let arg = s.get(arg_start..close)?;
                        Some((
                            Piece::Var {
                                name,
                                op: Some((kind, colon, arg)),
                            },
                            close + 1,
                        ))
                    })
                };
                match parsed {
                    Some((p, next)) => {
                        out.push(p);
                        i = next;
                    }
                    None => {
                        // Compose rejects the whole string; keep the rest literal (this also
                        // keeps the scan linear).
                        invalid = true;
                        out.push(Piece::Lit(s.get(i..).unwrap_or_default()));
                        return (out, invalid);
                    }
                }
            }
            Some(c) if is_name_start(*c) => {
                let mut j = i + 1;
                while b.get(j).is_some_and(|c| is_name_char(*c)) {
                    j += 1;
                }
                out.push(Piece::Var {
                    name: s.get(i + 1..j).unwrap_or_default(),
                    op: None,
                });
                i = j;
            }
            _ => {
                invalid = true;
                out.push(Piece::Lit("$"));
                i += 1;
            }
        }
        lit_start = i;
    }
    if lit_start < b.len() {
        out.push(Piece::Lit(s.get(lit_start..).unwrap_or_default()));
    }
    (out, invalid)
}

/// Index of the `}` closing a `${`, starting after the operator; nested `${...}` skipped.
fn matching_brace(b: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = from;
    while i < b.len() {
        match b.get(i) {
            Some(b'$') if matches!(b.get(i + 1), Some(b'$')) => {
                i += 2;
                continue;
            }
            Some(b'$') if matches!(b.get(i + 1), Some(b'{')) => {
                depth += 1;
                i += 2;
                continue;
            }
            Some(b'}') => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`,
/// `${VAR?e}`, `${VAR:+x}`, `${VAR+x}`, `$$` escape; nested references in defaults are
/// expanded. Unknown variables give `""` (or the default); a lone `$` stays literal, and a
/// malformed `${` leaves the rest of the string literal (compose rejects such strings).
pub fn interpolate(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    interp(s, lookup, 0)
}

fn interp(s: &str, lookup: &dyn Fn(&str) -> Option<String>, depth: usize) -> String {
    if depth > MAX_NEST {
        return s.to_string();
    }
    let (pieces, _) = tokenize(s);
    let mut out = String::with_capacity(s.len());
    for p in pieces {
        match p {
            Piece::Lit(l) => out.push_str(l),
            Piece::Var { name, op } => {
                let val = lookup(name);
                let set_nonempty = val.as_deref().is_some_and(|v| !v.is_empty());
                match op {
                    None => out.push_str(val.as_deref().unwrap_or_default()),
                    Some((OpKind::Default, colon, arg)) => {
                        let use_val = if colon { set_nonempty } else { val.is_some() };
                        if use_val {
                            out.push_str(val.as_deref().unwrap_or_default());
                        } else {
                            out.push_str(&interp(arg, lookup, depth + 1));
                        }
                    }
                    Some((OpKind::Required, _, _)) => out.push_str(val.as_deref().unwrap_or_default()),
                    Some((OpKind::Alt, colon, arg)) => {
                        let use_alt = if colon { set_nonempty } else { val.is_some() };
                        if use_alt {
                            out.push_str(&interp(arg, lookup, depth + 1));
                        }
                    }
                }
            }
        }
    }
    out
}

/// Variable references in a string: (name, default of `:-`/`-` as written, required by
/// `:?`/`?`). References nested in defaults/alternatives are included after their parent.
pub fn var_refs(s: &str) -> Vec<(String, Option<String>, bool)> {
    refs_in(s).0
}

fn refs_in(s: &str) -> (Vec<(String, Option<String>, bool)>, bool) {
    let mut out = Vec::new();
    let invalid = collect_var_refs(s, 0, &mut out);
    (out, invalid)
}

fn collect_var_refs(s: &str, depth: usize, out: &mut Vec<(String, Option<String>, bool)>) -> bool {
    if depth > MAX_NEST {
        return false;
    }
    let (pieces, mut invalid) = tokenize(s);
    for p in pieces {
        if let Piece::Var { name, op } = p {
            match op {
                None => out.push((name.to_string(), None, false)),
                Some((kind, _, arg)) => {
                    out.push((name.to_string(), (kind == OpKind::Default).then(|| arg.to_string()), kind == OpKind::Required));
                    if kind != OpKind::Required {
                        invalid |= collect_var_refs(arg, depth + 1, out);
                    }
                }
            }
        }
    }
    invalid
}

// ---------------------------------------------------------------------------------------------
// Merging

/// Replaces the first base item with the same key, or appends.
fn merge_by<T: Clone, K: Eq + Hash>(base: &mut Vec<T>, over: &[T], key: impl Fn(&T) -> K) {
    let mut index: HashMap<K, usize> = HashMap::new();
    for (i, b) in base.iter().enumerate() {
        index.entry(key(b)).or_insert(i);
    }
    for o in over {
        let k = key(o);
        match index.get(&k).copied() {
            Some(i) => {
                if let Some(slot) = base.get_mut(i) {
                    *slot = o.clone();
                }
            }
            None => {
                index.insert(k, base.len());
                base.push(o.clone());
            }
        }
    }
}

fn replace_some<T: Clone>(base: &mut Option<T>, over: &Option<T>) {
    if over.is_some() {
        base.clone_from(over);
    }
}

/// Applies `over` on top of `base` (compose override rules). Scalars (`image`, `command`,
/// `entrypoint`, `restart`, `replicas`, `container_name`, `extends`) are replaced when set;
/// `ports` are merged by (ip, host port, container port, protocol); `expose`, `profiles`,
/// `networks` unioned; `volumes` merged by target; `environment`, `labels`, build `args` by
/// name; `env_file` by path; `depends_on` by service; `healthcheck` and `build` field by field
/// (build `context` is always taken from the override). `exclude_from_hc` is or-ed.
pub fn merge(base: &mut ComposeFile, over: &ComposeFile) {
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, s) in base.services.iter().enumerate() {
        index.entry(s.name.clone()).or_insert(i);
    }
    for o in &over.services {
        match index.get(&o.name).and_then(|&i| base.services.get_mut(i)) {
            Some(b) => merge_service(b, o),
            None => {
                index.insert(o.name.clone(), base.services.len());
                base.services.push(o.clone());
            }
        }
    }
    let mut vols: HashSet<String> = base.volumes.iter().map(|(n, _)| n.clone()).collect();
    for v in &over.volumes {
        if vols.insert(v.0.clone()) {
            base.volumes.push(v.clone());
        }
    }
    replace_some(&mut base.version_line, &over.version_line);
    let mut refs: HashSet<VarRef> = base.var_refs.iter().cloned().collect();
    for r in &over.var_refs {
        if refs.insert(r.clone()) {
            base.var_refs.push(r.clone());
        }
    }
    base.warnings.extend(over.warnings.iter().cloned());
}

fn merge_service(b: &mut Service, o: &Service) {
    replace_some(&mut b.image, &o.image);
    replace_some(&mut b.command, &o.command);
    replace_some(&mut b.entrypoint, &o.entrypoint);
    replace_some(&mut b.restart, &o.restart);
    replace_some(&mut b.replicas, &o.replicas);
    replace_some(&mut b.container_name, &o.container_name);
    replace_some(&mut b.extends, &o.extends);
    match (&mut b.build, &o.build) {
        (Some(bb), Some(ob)) => {
            bb.context.clone_from(&ob.context);
            replace_some(&mut bb.dockerfile, &ob.dockerfile);
            replace_some(&mut bb.target, &ob.target);
            merge_by(&mut bb.args, &ob.args, |a| a.0.clone());
            bb.line = ob.line;
        }
        (None, Some(ob)) => b.build = Some(ob.clone()),
        _ => {}
    }
    merge_by(&mut b.ports, &o.ports, |p| {
        (p.host_ip.clone(), p.host_port.clone(), p.container_port.clone(), p.protocol.clone())
    });
    merge_by(&mut b.expose, &o.expose, |e| e.0.clone());
    merge_by(&mut b.volumes, &o.volumes, |m| m.target.clone());
    merge_by(&mut b.environment, &o.environment, |e| e.name.clone());
    merge_by(&mut b.env_file, &o.env_file, |e| e.path.clone());
    merge_by(&mut b.depends_on, &o.depends_on, |d| d.service.clone());
    merge_by(&mut b.labels, &o.labels, |l| l.0.clone());
    merge_by(&mut b.profiles, &o.profiles, String::clone);
    merge_by(&mut b.networks, &o.networks, String::clone);
    match (&mut b.healthcheck, &o.healthcheck) {
        (Some(bh), Some(oh)) => {
            if !oh.test.is_empty() {
                bh.test.clone_from(&oh.test);
            }
            bh.disabled = oh.disabled || (bh.disabled && oh.test.is_empty());
            replace_some(&mut bh.interval, &oh.interval);
            replace_some(&mut bh.timeout, &oh.timeout);
            replace_some(&mut bh.retries, &oh.retries);
            replace_some(&mut bh.start_period, &oh.start_period);
            bh.line = oh.line;
        }
        (None, Some(oh)) => b.healthcheck = Some(oh.clone()),
        _ => {}
    }
    b.exclude_from_hc |= o.exclude_from_hc;
}

// ---------------------------------------------------------------------------------------------
// File ranking

/// Ranks compose file names found in one directory, best (the production one) first:
/// names with a `prod`/`production` part, then `compose.yaml`, `compose.yml`,
/// `docker-compose.yaml`, `docker-compose.yml`, then other variants (e.g. `.staging.`), then
/// overrides (`override`, `dev`, `development`, `local`, `test`, `ci`, `debug`), then names that
/// are not compose files. Paths are reduced to their last component; ties keep input order.
pub fn rank_files(names: &[&str]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..names.len()).collect();
    idx.sort_by_key(|&i| rank_key(names.get(i).copied().unwrap_or_default()));
    idx
}

fn rank_key(name: &str) -> (u8, u8) {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).to_ascii_lowercase();
    let Some(stem) = base.strip_suffix(".yaml").or_else(|| base.strip_suffix(".yml")) else {
        return (9, 9);
    };
    let yaml_ext = base.ends_with(".yaml");
    let (family, middle) = if let Some(rest) = stem.strip_prefix("docker-compose") {
        (2u8, rest)
    } else if let Some(rest) = stem.strip_prefix("compose") {
        (0u8, rest)
    } else {
        return (9, 9);
    };
    // family order: compose.yaml 0, compose.yml 1, docker-compose.yaml 2, docker-compose.yml 3
    let sub = family + u8::from(!yaml_ext);
    if middle.is_empty() {
        return (1, sub);
    }
    if !middle.starts_with(['.', '-', '_']) {
        return (9, 9);
    }
    let tokens: Vec<&str> = middle.split(['.', '-', '_']).filter(|t| !t.is_empty()).collect();
    let has = |set: &[&str]| tokens.iter().any(|t| set.contains(t));
    if has(&["override", "dev", "development", "local", "test", "testing", "ci", "debug"]) {
        (8, sub)
    } else if has(&["prod", "production", "prd"]) {
        (0, sub)
    } else {
        (5, sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::time::{Duration, Instant};

    #[test]
    fn header_notes_that_the_file_is_not_for_production() {
        let note = |src: &str| parse(src).unwrap().not_for_production;
        assert_eq!(note("# This is meant for local development only.\nservices:\n  a:\n    image: x\n"), Some(1));
        assert_eq!(
            note("---\n# Example stack\n#\n# For demonstration only, don't use it in prod!\nservices: {}\n"),
            Some(4)
        );
        assert_eq!(note("# Core local-dev stack for contributors\nservices: {}\n"), Some(1));
        assert_eq!(note("# NOT INTENDED FOR PRODUCTION USE\nservices: {}\n"), Some(1));
        // Not a note: a profile list, a pointer to another file, a comment after the first key.
        assert_eq!(note("# Profiles:\n# - backend: all services for local development\nservices: {}\n"), None);
        assert_eq!(
            note("# Production stack. For development only, see docker-compose.dev.yml\nservices: {}\n"),
            None
        );
        assert_eq!(note("services:\n  # development only\n  a:\n    image: x\n"), None);
        assert_eq!(note("# Production-ready stack\nservices: {}\n"), None);
    }

    #[test]
    fn deploy_restart_policy_sets_the_restart_policy_unless_restart_is_given() {
        let f = parse("services:\n  a:\n    image: x\n    deploy:\n      restart_policy:\n        condition: any\n  b:\n    image: x\n    deploy:\n      restart_policy:\n        condition: on-failure\n        max_attempts: 3\n  c:\n    image: x\n    deploy:\n      restart_policy: {}\n    restart: unless-stopped\n  d:\n    image: x\n    deploy:\n      replicas: 2\n").unwrap();
        let r = |n: &str| f.service(n).and_then(|s| s.restart.clone()).map(|(p, _)| p);
        assert_eq!(r("a").as_deref(), Some("always"));
        assert_eq!(r("b").as_deref(), Some("on-failure"));
        assert!(f.service("b").is_some_and(Service::restarts_once));
        assert_eq!(r("c").as_deref(), Some("unless-stopped"));
        assert_eq!(r("d"), None);
    }

    const FULL: &str = r#"version: "3.8"
x-common: &common
  restart: unless-stopped
  environment:
    TZ: UTC
    SHARED: "1"
  labels:
    - "com.example=1"

services:
  web:
    <<: *common
    image: ghcr.io/acme/web:${TAG:-latest}
    build:
      context: ./app
      dockerfile: Dockerfile.prod
      target: runner
      args:
        NODE_ENV: production
    ports:
      - "3000"
      - 8080:3000
      - "127.0.0.1:5432:5432"
      - "5432:5432/tcp"
      - "9000-9010:9000-9010"
      - "${PORT:-3000}:3000"
      - "[::1]:6000:6000/udp"
      - target: 80
        published: "8081"
        host_ip: 0.0.0.0
        protocol: tcp
    expose: ["4000", 4001]
    volumes:
      - data:/var/lib/data
      - ./uploads:/app/uploads:ro
      - /cache
      - ${DATA_DIR:-./data}:/data:rw,z
      - type: bind
        source: ./conf
        target: /etc/conf
        read_only: true
      - type: volume
        target: /anon
      - type: tmpfs
        target: /tmp
    tmpfs: /run
    environment:
      DATABASE_URL: ${DATABASE_URL:?database url required}
      EMPTY:
      PORT: 3000
    env_file:
      - .env
      - path: .env.local
        required: false
    depends_on:
      db:
        condition: service_healthy
      cache:
        condition: service_started
        required: false
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:3000/api/health"]
      interval: 30s
      timeout: 5s
      retries: 3
      start_period: 10s
    deploy:
      replicas: 2
    profiles: [web]
    container_name: web
    exclude_from_hc: true
    networks: [front, back]
    command: ["node", "server.js", "--title", "my app"]
  db:
    image: postgres:16
    environment:
      - POSTGRES_PASSWORD=$DB_PASS
      - POSTGRES_USER
      - EMPTY=
    healthcheck:
      test: pg_isready -U postgres
    networks:
      back:
        aliases: [database]
  cache:
    image: redis
    depends_on: [db]
    healthcheck:
      test: ["NONE"]
    command: redis-server --save ""
    labels:
      traefik.enable: "true"
  worker:
    extends: web
    command: node worker.js
    ports: []
    environment:
      ROLE: worker
volumes:
  data:
  pgdata: {}
"#;

    #[test]
    fn full_file() {
        let f = parse(FULL).unwrap();
        assert_eq!(f.version_line, Some(1));
        assert_eq!(f.volumes, vec![("data".to_string(), 100), ("pgdata".to_string(), 101)]);
        let names: Vec<&str> = f.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["web", "db", "cache", "worker"]);
        let web = f.service("web").unwrap();
        assert_eq!(web.line, 11);
        assert_eq!(web.image, Some(("ghcr.io/acme/web:${TAG:-latest}".to_string(), 13)));
        assert_eq!(web.restart, Some(("unless-stopped".to_string(), 3)));
        let b = web.build.as_ref().unwrap();
        assert_eq!(b.context, "./app");
        assert_eq!(b.dockerfile.as_deref(), Some("Dockerfile.prod"));
        assert_eq!(b.target.as_deref(), Some("runner"));
        assert_eq!(b.line, 14);
        assert_eq!(web.replicas, Some((2, 68)));
        assert_eq!(web.profiles, ["web"]);
        assert_eq!(web.container_name, Some(("web".to_string(), 70)));
        assert!(web.exclude_from_hc);
        assert_eq!(web.networks, ["front", "back"]);
        assert_eq!(web.command, Some(("node server.js --title \"my app\"".to_string(), 73)));
        assert_eq!(web.expose, [("4000".to_string(), 32), ("4001".to_string(), 32)]);
        assert_eq!(web.labels, [("com.example".to_string(), "1".to_string(), 8)]);
        let env: HashMap<&str, Option<&str>> = web.environment.iter().map(|e| (e.name.as_str(), e.value.as_deref())).collect();
        // Merge keys are shallow: the explicit `environment` replaces the anchored one.
        assert!(!env.contains_key("TZ"));
        assert_eq!(env["EMPTY"], None);
        assert_eq!(env["PORT"], Some("3000"));
        let db_url = web.environment.iter().find(|e| e.name == "DATABASE_URL").unwrap();
        assert_eq!(db_url.line, 48);
        assert_eq!(
            web.env_file,
            [
                EnvFileRef {
                    path: ".env".into(),
                    required: true,
                    line: 52
                },
                EnvFileRef {
                    path: ".env.local".into(),
                    required: false,
                    line: 53
                }
            ]
        );
        assert_eq!(
            web.depends_on,
            [
                Dependency {
                    service: "db".into(),
                    condition: Some("service_healthy".into()),
                    line: 56,
                    required: true
                },
                Dependency {
                    service: "cache".into(),
                    condition: Some("service_started".into()),
                    line: 58,
                    required: false
                }
            ]
        );
        let hc = web.healthcheck.as_ref().unwrap();
        assert_eq!(hc.test, ["CMD", "curl", "-f", "http://localhost:3000/api/health"]);
        assert!(!hc.disabled);
        assert_eq!(hc.interval.as_deref(), Some("30s"));
        assert_eq!(hc.timeout.as_deref(), Some("5s"));
        assert_eq!(hc.retries, Some(3));
        assert_eq!(hc.start_period.as_deref(), Some("10s"));
        assert_eq!(hc.line, 61);
    }

    fn port(h: Option<&str>, ip: Option<&str>, c: &str, proto: Option<&str>) -> (Option<String>, Option<String>, String, Option<String>) {
        (h.map(String::from), ip.map(String::from), c.to_string(), proto.map(String::from))
    }

    #[test]
    fn ports_all_forms() {
        let f = parse(FULL).unwrap();
        let web = f.service("web").unwrap();
        let got: Vec<_> = web
            .ports
            .iter()
            .map(|p| (p.host_port.clone(), p.host_ip.clone(), p.container_port.clone(), p.protocol.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                port(None, None, "3000", None),
                port(Some("8080"), None, "3000", None),
                port(Some("5432"), Some("127.0.0.1"), "5432", None),
                port(Some("5432"), None, "5432", Some("tcp")),
                port(Some("9000-9010"), None, "9000-9010", None),
                port(Some("${PORT:-3000}"), None, "3000", None),
                port(Some("6000"), Some("::1"), "6000", Some("udp")),
                port(Some("8081"), Some("0.0.0.0"), "80", Some("tcp")),
            ]
        );
        assert_eq!(web.ports[1].raw, "8080:3000");
        assert_eq!(web.ports[1].line, 22);
        assert_eq!(web.ports[7].raw, "0.0.0.0:8081:80/tcp");
        assert_eq!(web.ports[7].line, 28);
        // `8080:3000` unquoted is a string in YAML 1.2.
        let f = parse("services:\n  a:\n    ports:\n      - 127.0.0.1::80\n      - {target: 81}\n      - [bad]\n").unwrap();
        let a = f.service("a").unwrap();
        assert_eq!(a.ports[0].host_port, None);
        assert_eq!(a.ports[0].host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(a.ports[1].container_port, "81");
        assert_eq!(a.ports[1].raw, "81");
        assert_eq!(a.ports.len(), 2);
        assert!(f.warnings.iter().any(|(l, _)| *l == 6));
    }

    #[test]
    fn volumes_all_forms() {
        let f = parse(FULL).unwrap();
        let web = f.service("web").unwrap();
        let got: Vec<_> = web
            .volumes
            .iter()
            .map(|m| (m.source.as_deref(), m.target.as_str(), m.kind, m.read_only, m.line))
            .collect();
        use MountKind::*;
        assert_eq!(
            got,
            vec![
                (Some("data"), "/var/lib/data", Named, false, 34),
                (Some("./uploads"), "/app/uploads", Bind, true, 35),
                (None, "/cache", Anonymous, false, 36),
                (Some("${DATA_DIR:-./data}"), "/data", Bind, false, 37),
                (Some("./conf"), "/etc/conf", Bind, true, 38),
                (None, "/anon", Anonymous, false, 42),
                (None, "/tmp", Tmpfs, false, 44),
                (None, "/run", Tmpfs, false, 46),
            ]
        );
        let f =
            parse("services:\n  a:\n    volumes:\n      - C:\\data:/data:ro\n      - pg:/var/lib/postgresql/data\n      - ~/x:/x\n      - ${V}:/v\n").unwrap();
        let v = &f.service("a").unwrap().volumes;
        assert_eq!(v[0].source.as_deref(), Some("C:\\data"));
        assert_eq!(v[0].target, "/data");
        assert!(v[0].read_only);
        assert_eq!(v[0].kind, Bind);
        assert_eq!(v[1].kind, Named);
        assert_eq!(v[2].kind, Bind);
        assert_eq!(v[3].kind, Bind);
    }

    #[test]
    fn env_list_form_and_other_services() {
        let f = parse(FULL).unwrap();
        let db = f.service("db").unwrap();
        let env: Vec<_> = db.environment.iter().map(|e| (e.name.as_str(), e.value.as_deref(), e.line)).collect();
        assert_eq!(
            env,
            [
                ("POSTGRES_PASSWORD", Some("$DB_PASS"), 77),
                ("POSTGRES_USER", None, 78),
                ("EMPTY", Some(""), 79)
            ]
        );
        let hc = db.healthcheck.as_ref().unwrap();
        assert_eq!(hc.test, ["CMD-SHELL", "pg_isready -U postgres"]);
        assert_eq!(db.networks, ["back"]);
        let cache = f.service("cache").unwrap();
        assert_eq!(
            cache.depends_on,
            [Dependency {
                service: "db".into(),
                condition: None,
                line: 87,
                required: true
            }]
        );
        assert!(cache.healthcheck.as_ref().unwrap().disabled);
        assert_eq!(cache.command.as_ref().unwrap().0, "redis-server --save \"\"");
        assert_eq!(cache.labels, [("traefik.enable".to_string(), "true".to_string(), 92)]);
    }

    #[test]
    fn extends_same_file() {
        let f = parse(FULL).unwrap();
        let w = f.service("worker").unwrap();
        assert_eq!(w.line, 93);
        assert_eq!(w.extends, Some(("web".to_string(), None, 94)));
        assert_eq!(w.image.as_ref().unwrap().0, "ghcr.io/acme/web:${TAG:-latest}");
        assert_eq!(w.command.as_ref().unwrap().0, "node worker.js");
        assert_eq!(w.ports.len(), 8, "ports merged from the base");
        assert!(w.environment.iter().any(|e| e.name == "ROLE"));
        assert!(w.environment.iter().any(|e| e.name == "DATABASE_URL"));
        let f = parse("services:\n  a:\n    extends:\n      service: nope\n  b:\n    extends: {service: x, file: other.yml}\n").unwrap();
        assert!(f.warnings.iter().any(|(l, m)| *l == 3 && m.contains("nope")));
        assert_eq!(f.service("b").unwrap().extends, Some(("x".to_string(), Some("other.yml".to_string()), 6)));
    }

    #[test]
    fn var_refs_collected_with_lines() {
        let f = parse(FULL).unwrap();
        let find = |n: &str| f.var_refs.iter().find(|r| r.name == n).unwrap();
        assert_eq!(find("TAG").line, 13);
        assert_eq!(find("TAG").default.as_deref(), Some("latest"));
        assert_eq!(find("PORT").line, 26);
        assert_eq!(find("DATA_DIR").default.as_deref(), Some("./data"));
        let db = find("DATABASE_URL");
        assert!(db.required);
        assert_eq!(db.line, 48);
        assert_eq!(find("DB_PASS").line, 77);
        assert!(!find("DB_PASS").required);
        // The worker copy of TAG comes from the same line: deduplicated.
        assert_eq!(f.var_refs.iter().filter(|r| r.name == "TAG").count(), 1);
    }

    #[test]
    fn anchors_and_merge_keys() {
        let src = "x-common: &common\n  image: base\n  restart: always\nservices:\n  a:\n    <<: *common\n    restart: 'no'\n  b: *common\n";
        let f = parse(src).unwrap();
        let a = f.service("a").unwrap();
        assert_eq!(a.image, Some(("base".to_string(), 2)));
        assert_eq!(a.restart, Some(("no".to_string(), 7)));
        let b = f.service("b").unwrap();
        assert_eq!(b.line, 8);
        assert_eq!(b.restart, Some(("always".to_string(), 3)));
    }

    #[test]
    fn alias_bomb_is_an_error_quickly() {
        let mut src = String::from("x-a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        let mut prev = 'a';
        for c in "bcdefghi".chars() {
            let refs = vec![format!("*{prev}"); 9].join(",");
            src.push_str(&format!("x-{c}: &{c} [{refs}]\n"));
            prev = c;
        }
        src.push_str("services:\n  s:\n    command: *i\n");
        let t = Instant::now();
        let e = parse(&src).unwrap_err();
        assert!(e.message.contains("too large"));
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn structural_errors() {
        let e = parse("- a\n- b\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("mapping"));
        let e = parse("services: [a]\n").unwrap_err();
        assert_eq!(e.line, 1);
        let e = parse("").unwrap_err();
        assert!(e.message.contains("empty"));
        let e = parse("services:\n  a:\n    image: [\n").unwrap_err();
        assert!(e.line >= 3);
        let f = parse("name: x\n").unwrap();
        assert!(f.services.is_empty());
        assert_eq!(f.warnings[0].0, 1);
        let f = parse("services:\n  a: 3\n  b:\n  c:\n    ports: 80\n").unwrap();
        assert!(f.warnings.iter().any(|(l, m)| *l == 2 && m.contains("`a`")));
        assert!(f.warnings.iter().any(|(l, m)| *l == 3 && m.contains("empty")));
        assert!(f.warnings.iter().any(|(l, _)| *l == 5));
        assert_eq!(f.services.len(), 2);
        let f = parse("services:\n  a:\n    environment:\n      PW: abc$\n").unwrap();
        assert!(f.warnings.iter().any(|(l, m)| *l == 4 && m.contains("$$")));
        assert!(!f.warnings.iter().any(|(_, m)| m.contains("abc")));
    }

    #[test]
    fn healthcheck_forms() {
        let src = "services:\n  a:\n    healthcheck:\n      test: [\"CMD-SHELL\", \"curl -f localhost || exit 1\"]\n      retries: \"5\"\n  b:\n    healthcheck:\n      disable: true\n  c:\n    healthcheck:\n      test: wget -q -O- localhost\n";
        let f = parse(src).unwrap();
        let a = f.service("a").unwrap().healthcheck.clone().unwrap();
        assert_eq!(a.test, ["CMD-SHELL", "curl -f localhost || exit 1"]);
        assert_eq!(a.retries, Some(5));
        assert_eq!(a.line, 3);
        let b = f.service("b").unwrap().healthcheck.clone().unwrap();
        assert!(b.disabled);
        assert!(b.test.is_empty());
        let c = f.service("c").unwrap().healthcheck.clone().unwrap();
        assert_eq!(c.test, ["CMD-SHELL", "wget -q -O- localhost"]);
    }

    #[test]
    fn env_file_and_depends_forms() {
        let src = "services:\n  a:\n    env_file: .env\n    depends_on: db\n    build: .\n    entrypoint: /entry.sh\n    scale: 3\n  b:\n    env_file:\n      path: ./b.env\n      required: \"false\"\n";
        let f = parse(src).unwrap();
        let a = f.service("a").unwrap();
        assert_eq!(a.env_file[0].path, ".env");
        assert!(a.env_file[0].required);
        assert_eq!(a.env_file[0].line, 3);
        assert_eq!(a.depends_on[0].service, "db");
        assert_eq!(a.build.as_ref().unwrap().context, ".");
        assert_eq!(a.build.as_ref().unwrap().line, 5);
        assert_eq!(a.entrypoint, Some(("/entry.sh".to_string(), 6)));
        assert_eq!(a.replicas, Some((3, 7)));
        let b = f.service("b").unwrap();
        assert_eq!(b.env_file[0].path, "./b.env");
        assert!(!b.env_file[0].required);
        let f = parse("services:\n  a:\n    build:\n      args:\n        - A=1\n        - B\n").unwrap();
        let b = f.service("a").unwrap().build.clone().unwrap();
        assert_eq!(b.context, ".");
        assert_eq!(b.args, [("A".to_string(), Some("1".to_string()), 5), ("B".to_string(), None, 6)]);
    }

    #[test]
    fn interpolation_forms() {
        let vars: HashMap<&str, &str> = [("SET", "v"), ("EMPTY", "")].into_iter().collect();
        let lk = |n: &str| vars.get(n).map(|v| v.to_string());
        let i = |s: &str| interpolate(s, &lk);
        assert_eq!(i("$SET"), "v");
        assert_eq!(i("${SET}x"), "vx");
        assert_eq!(i("$SETx"), "");
        assert_eq!(i("a$UNSET-b"), "a-b");
        assert_eq!(i("${UNSET:-d}"), "d");
        assert_eq!(i("${EMPTY:-d}"), "d");
        assert_eq!(i("${EMPTY-d}"), "");
        assert_eq!(i("${UNSET-d}"), "d");
        assert_eq!(i("${SET:-d}"), "v");
        assert_eq!(i("${UNSET:?err}"), "");
        assert_eq!(i("${SET?err}"), "v");
        assert_eq!(i("${SET:+alt}"), "alt");
        assert_eq!(i("${EMPTY:+alt}"), "");
        assert_eq!(i("${EMPTY+alt}"), "alt");
        assert_eq!(i("${UNSET+alt}"), "");
        assert_eq!(i("$$SET"), "$SET");
        assert_eq!(i("cost $$5"), "cost $5");
        assert_eq!(i("${UNSET:-${SET}-x}"), "v-x");
        assert_eq!(i("${UNSET:-${ALSO:-deep}}"), "deep");
        assert_eq!(i("${UNSET:-a}}"), "a}");
        assert_eq!(i("a $ b"), "a $ b");
        assert_eq!(i("${unterminated"), "${unterminated");
        assert_eq!(i("${1bad}"), "${1bad}");
        assert_eq!(i("é$SET€"), "év€");
        assert_eq!(i("trailing$"), "trailing$");
        let nested = format!("{}x{}", "${A:-".repeat(40), "}".repeat(40));
        let _ = i(&nested);
    }

    #[test]
    fn var_refs_forms() {
        assert_eq!(
            var_refs("$A ${B} ${C:-x} ${D-y} ${E:?must} ${F?m} ${G:+z} $$H ${I:-${J}}"),
            vec![
                ("A".to_string(), None, false),
                ("B".to_string(), None, false),
                ("C".to_string(), Some("x".to_string()), false),
                ("D".to_string(), Some("y".to_string()), false),
                ("E".to_string(), None, true),
                ("F".to_string(), None, true),
                ("G".to_string(), None, false),
                ("I".to_string(), Some("${J}".to_string()), false),
                ("J".to_string(), None, false),
            ]
        );
        assert!(var_refs("no refs $$ here").is_empty());
    }

    #[test]
    fn rank_files_prefers_production() {
        let names = [
            "docker-compose.yml",
            "docker-compose.override.yml",
            "compose.yaml",
            "docker-compose.prod.yml",
            "compose.dev.yml",
            "docker-compose.staging.yml",
            "README.md",
            "deploy/compose.production.yaml",
            "docker-compose.local.yml",
        ];
        let r = rank_files(&names);
        let ranked: Vec<&str> = r.iter().map(|&i| names[i]).collect();
        assert_eq!(
            ranked,
            [
                "deploy/compose.production.yaml",
                "docker-compose.prod.yml",
                "compose.yaml",
                "docker-compose.yml",
                "docker-compose.staging.yml",
                "compose.dev.yml",
                "docker-compose.override.yml",
                "docker-compose.local.yml",
                "README.md",
            ]
        );
        assert!(rank_files(&[]).is_empty());
        assert_eq!(rank_files(&["docker-compose.yml", "compose.yml"]), [1, 0]);
    }

    #[test]
    fn merge_override() {
        let base = parse("version: '3'\nservices:\n  web:\n    image: a\n    ports: ['80:80']\n    environment: {A: '1', B: '2'}\n    volumes: ['d:/data']\n    healthcheck:\n      test: curl x\n      interval: 10s\n  db:\n    image: pg\nvolumes:\n  d:\n").unwrap();
        let over = parse("services:\n  web:\n    image: b\n    ports: ['80:80', '443:443']\n    environment: [B=3, C]\n    volumes: ['./local:/data']\n    healthcheck:\n      retries: 2\n  extra:\n    image: e\nvolumes:\n  e:\n").unwrap();
        let mut m = base.clone();
        merge(&mut m, &over);
        let web = m.service("web").unwrap();
        assert_eq!(web.image.as_ref().unwrap().0, "b");
        assert_eq!(web.ports.len(), 2);
        let env: Vec<_> = web.environment.iter().map(|e| (e.name.as_str(), e.value.as_deref())).collect();
        assert_eq!(env, [("A", Some("1")), ("B", Some("3")), ("C", None)]);
        assert_eq!(web.volumes.len(), 1);
        assert_eq!(web.volumes[0].kind, MountKind::Bind);
        let hc = web.healthcheck.as_ref().unwrap();
        assert_eq!(hc.test, ["CMD-SHELL", "curl x"]);
        assert_eq!(hc.retries, Some(2));
        assert_eq!(hc.interval.as_deref(), Some("10s"));
        assert_eq!(m.services.len(), 3);
        assert_eq!(m.volumes.len(), 2);
        assert_eq!(m.version_line, Some(1));
    }

    fn mutate_no_panic(inputs: &[&str], f: &dyn Fn(&str)) {
        for input in inputs {
            f(input);
            for (i, _) in input.char_indices() {
                f(&input[..i]);
                f(&input[i..]);
            }
            let bytes = input.as_bytes();
            for i in 0..bytes.len() {
                for flip in [0x01u8, 0x20, 0x80] {
                    let mut b = bytes.to_vec();
                    b[i] ^= flip;
                    f(&String::from_utf8_lossy(&b));
                }
                for rep in [b'[', b'{', b':', b'-', b'$', b'}', b'\'', b'"', b'\n', b'/'] {
                    let mut b = bytes.to_vec();
                    b[i] = rep;
                    f(&String::from_utf8_lossy(&b));
                }
            }
        }
    }

    #[test]
    fn no_panic_on_mutations() {
        let small = [
            "services:\n  a:\n    image: x\n    ports: [\"${P:-1}:2/tcp\", \"[::1]:3:4\"]\n    volumes: [\"C:\\\\d:/d:ro\", \"n:/m\", {type: bind, source: ., target: /t}]\n",
            "x: &x {a: [1, 2]}\nservices:\n  s:\n    <<: *x\n    environment: [A=$B, \"C=${D:?e}\"]\n    depends_on: {t: {condition: service_healthy}}\n    healthcheck: {test: [CMD, x], retries: 3}\n    extends: t\n  t: {build: {context: ., args: [X=1]}}\n",
        ];
        let f = |s: &str| {
            let _ = parse(s);
            let _ = var_refs(s);
            let _ = interpolate(s, &|n| (n.len() % 2 == 0).then(|| n.to_string()));
        };
        mutate_no_panic(&small, &f);
        // The big fixture: truncations only (flips are covered by the small inputs).
        for (i, _) in FULL.char_indices() {
            f(&FULL[..i]);
        }
        let _ = rank_files(&["", ".yml", "compose", "docker-compose.", "compose.é.yml"]);
    }
}
