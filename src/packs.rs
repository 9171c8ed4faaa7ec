//! Rule packs: one TOML file per target platform (`rules/*.toml`), embedded in the binary as the
//! JSON that `build.rs` converts it to (read in a tenth of the time TOML takes). A pack states
//! the platform's facts and, for every rule, its severity and advice in the platform's own terms.

use crate::report::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The embedded packs (the JSON form of `rules/<id>.toml`), in the order targets are listed.
pub const PACK_SOURCES: &[(&str, &str)] = &[
    ("koyeb", include_str!(concat!(env!("OUT_DIR"), "/koyeb.json"))),
    ("coolify", include_str!(concat!(env!("OUT_DIR"), "/coolify.json"))),
    ("fly", include_str!(concat!(env!("OUT_DIR"), "/fly.json"))),
    ("railway", include_str!(concat!(env!("OUT_DIR"), "/railway.json"))),
    ("render", include_str!(concat!(env!("OUT_DIR"), "/render.json"))),
    ("vps", include_str!(concat!(env!("OUT_DIR"), "/vps.json"))),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackSeverity {
    Critical,
    Warning,
    Info,
    Off,
}

impl PackSeverity {
    pub fn severity(self) -> Option<Severity> {
        match self {
            PackSeverity::Critical => Some(Severity::Critical),
            PackSeverity::Warning => Some(Severity::Warning),
            PackSeverity::Info => Some(Severity::Info),
            PackSeverity::Off => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            PackSeverity::Critical => "critical",
            PackSeverity::Warning => "warning",
            PackSeverity::Info => "info",
            PackSeverity::Off => "off",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformInfo {
    pub id: String,
    pub name: String,
    pub docs: String,
    /// What the platform calls the port setting, e.g. "Exposed port".
    pub port_setting: String,
    /// What the platform calls its environment settings, e.g. "Environment variables and secrets".
    pub env_setting: String,
    /// Where a setting the repository cannot show is checked, e.g. "the control panel".
    #[serde(default = "default_verify_in")]
    pub verify_in: String,
    /// The platform's own name for each row of the deployment plan, keyed by the generic name
    /// ("Port" → "Exposed ports").
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
}

fn default_verify_in() -> String {
    "the dashboard".to_string()
}

/// What a platform injects, keeps, drops and requires. Checks read these, never the target id.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// The repository file the platform reads settings from: "", "compose", "fly.toml",
    /// "railway" (railway.json / railway.toml), "render.yaml".
    pub config_file: String,
    /// Local disk is lost on restart or redeploy unless a volume is attached.
    pub ephemeral_disk: bool,
    /// Where volumes are declared: "none", "preview", "dashboard" (not visible in the repository),
    /// or the repository file that declares them: "compose", "fly.toml", "render.yaml".
    pub volumes: String,
    /// The platform sets `PORT` for the app.
    pub injects_port: bool,
    /// The port the platform routes to when nothing else is configured.
    pub default_port: Option<u16>,
    /// A release / pre-deploy command exists (name of the setting), or "" when none.
    pub release_command: String,
    /// Default health check when none is configured: "tcp", "http", "none".
    pub health_default: String,
    /// Default health grace period in seconds, when known.
    pub health_grace_seconds: Option<u32>,
    /// Instances may sleep (scale to zero).
    pub scale_to_zero: bool,
    /// The platform can run several instances behind one address.
    pub multi_instance: bool,
    /// CPU architectures the platform runs ("amd64", "arm64").
    pub architectures: Vec<String>,
    /// The setting where the Dockerfile path is chosen.
    pub dockerfile_setting: String,
    /// How migrations are best run on this platform, in its terms.
    pub migrations_advice: String,
    /// The platform builds a repository without a Dockerfile itself (buildpacks, Nixpacks,
    /// Railpack, a native runtime), running its `build` script.
    #[serde(default = "yes")]
    pub builds_without_dockerfile: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleAdvice {
    pub severity: PackSeverity,
    pub fix: String,
    pub docs: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pack {
    pub platform: PlatformInfo,
    pub facts: Facts,
    pub rules: BTreeMap<String, RuleAdvice>,
}

impl Pack {
    pub fn advice(&self, rule: &str) -> Option<&RuleAdvice> {
        self.rules.get(rule)
    }
}

/// Every target id, in order.
pub fn target_ids() -> Vec<&'static str> {
    PACK_SOURCES.iter().map(|(id, _)| *id).collect()
}

/// The embedded JSON of target `id`'s pack; an error naming it when there is no such target.
pub fn source(id: &str) -> Result<&'static str, String> {
    PACK_SOURCES
        .iter()
        .find(|(t, _)| *t == id)
        .map(|(_, src)| *src)
        .ok_or_else(|| format!("unknown target `{id}`"))
}

/// Load one embedded pack.
pub fn load(id: &str) -> Result<Pack, String> {
    // (The position in a schema error is the generated JSON's; `embedded_packs_are_the_toml_files`
    // reports the TOML line.)
    serde_json::from_str(source(id)?).map_err(|e| format!("rules/{id}.toml does not match the pack schema: {e}"))
}

/// Fill `{name}` placeholders from an observation's variables; unknown ones stay as written.
pub fn fill(template: &str, vars: &[(&'static str, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if after[..end].chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && end > 0 => {
                let name = &after[..end];
                match vars.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded JSON says what `rules/<id>.toml` says, as the file stands now, and the
    /// schema is still enforced on it (an unknown key is an error, as in the TOML).
    #[test]
    fn embedded_packs_are_the_toml_files() {
        for id in target_ids() {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("rules/{id}.toml"));
            let text = std::fs::read_to_string(&path).unwrap();
            let from_toml: Pack = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(format!("{from_toml:?}"), format!("{:?}", load(id).unwrap()), "{id}");
        }
        let mut v: serde_json::Value = serde_json::from_str(source("koyeb").unwrap()).unwrap();
        v["facts"]["ephemeral_disks"] = serde_json::Value::Bool(true);
        let err = serde_json::from_value::<Pack>(v).unwrap_err().to_string();
        assert!(err.contains("ephemeral_disks"), "{err}");
    }

    #[test]
    fn every_pack_loads_and_names_every_rule() {
        let ids: Vec<&str> = crate::checks::RULES.iter().map(|r| r.id).collect();
        for target in target_ids() {
            let pack = load(target).unwrap();
            assert_eq!(pack.platform.id, target);
            for id in &ids {
                let advice = pack.advice(id).unwrap_or_else(|| panic!("rules/{target}.toml lacks [rules.{id}]"));
                if advice.severity != PackSeverity::Off {
                    assert!(advice.docs.starts_with("https://"), "{target}/{id} docs must be a URL");
                    assert!(!advice.fix.trim().is_empty(), "{target}/{id} needs a fix");
                }
            }
            for key in pack.rules.keys() {
                assert!(ids.contains(&key.as_str()), "rules/{target}.toml names unknown rule {key}");
            }
        }
    }

    #[test]
    fn fills_placeholders() {
        let vars = vec![("port", "3000".to_string())];
        assert_eq!(fill("set {port} not {other} {", &vars), "set 3000 not {other} {");
    }
}
