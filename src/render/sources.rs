//! The text of the files findings point at, made safe to show in code frames (`--format pretty`).
//! Built once in the CLI from the model, so the renderer never reads a file.
//!
//! Secrets are never shown:
//! - env files holding a live secret are left out entirely; in the others each assignment is
//!   shown as `NAME=<redacted shape>` (`env_file::redact`), continuation lines of multi-line
//!   values are blanked and commented-out assignments keep only their name;
//! - in every other file, a `NAME=value` / `NAME: value` / `ENV NAME value` whose name looks like
//!   a secret has its value redacted, and a URL's password becomes `****`;
//! - the lines a security finding points at (its own and its related lines) are hidden;
//! - every line goes through `text::sanitize` (no terminal escapes from the repository).

use crate::model::Model;
use crate::parse::env_file::{is_secret_name, redact};
use crate::report::{Aspect, Report};
use crate::text::sanitize;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

pub const HIDDEN: &str = "<line hidden: it may hold a secret>";

/// Security rules whose lines are shown all the same: they point at no secret value. Every other
/// security rule (committed secrets, default credentials, and any rule added later) gets its
/// lines hidden.
const SECURITY_RULES_WITHOUT_SECRETS: &[&str] = &["compose-db-port-public"];

/// File (relative to the scanned root) → the text shown for it.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: BTreeMap<String, String>,
}

impl Sources {
    pub fn get(&self, rel: &str) -> Option<&str> {
        self.files.get(rel).map(String::as_str)
    }
    pub fn len(&self) -> usize {
        self.files.len()
    }
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)(?P<q>["']?)(?P<sep>\s*[:=]\s*)(?P<val>"[^"]*"|'[^']*'|`[^`]*`|[^\s,;}\]"'`]+)"#).expect("valid regex")
});
static DOCKER_ENV: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?P<head>\s*(?i:ENV|ARG)\s+)(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<sep>\s+)(?P<val>\S.*)$").expect("valid regex"));
/// A run of token characters long enough to be a key.
static TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z0-9_+/=-]{16,}").expect("valid regex"));
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:'`]+:)[^\s@/'`]+@").expect("valid regex"));

fn unquote(v: &str) -> &str {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'' || b[0] == b'`') && b[b.len() - 1] == b[0] {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

/// A value that names where the secret comes from rather than holding it.
fn is_reference(v: &str) -> bool {
    ["process.env", "import.meta.env", "Deno.env", "Bun.env", "$"].iter().any(|p| v.starts_with(p))
}

/// Redact secret-looking assignments and URL passwords on one line of any file.
pub fn mask_line(line: &str) -> String {
    let line = if let Some(c) = DOCKER_ENV.captures(line).filter(|c| is_secret_name(&c["name"]) && !c["val"].contains('=')) {
        format!("{}{}{}{}", &c["head"], &c["name"], &c["sep"], redact(unquote(&c["val"])))
    } else {
        line.to_string()
    };
    let line = ASSIGN
        .replace_all(&line, |c: &regex::Captures| {
            if is_secret_name(&c["name"]) && !is_reference(&c["val"]) {
                format!("{}{}{}{}", &c["name"], &c["q"], &c["sep"], redact(unquote(&c["val"])))
            } else {
                c[0].to_string()
            }
        })
        .into_owned();
    let line = URL_PASSWORD.replace_all(&line, "${head}****@").into_owned();
    // Whatever the line's shape, a long token mixing digits with upper- and lower-case letters
    // (API keys, passwords, signing secrets) is not shown.
    TOKEN
        .replace_all(&line, |c: &regex::Captures| {
            let t = &c[0];
            let (digit, upper, lower) = (
                t.bytes().any(|b| b.is_ascii_digit()),
                t.bytes().any(|b| b.is_ascii_uppercase()),
                t.bytes().any(|b| b.is_ascii_lowercase()),
            );
            if digit && upper && lower {
                format!("<redacted, {} chars>", t.chars().count())
            } else {
                t.to_string()
            }
        })
        .into_owned()
}

/// The env file's text with every value redacted, or `None` when it holds a live secret.
fn env_text(model: &Model, rel: &str, text: &str) -> Option<Vec<String>> {
    let doc = model.env_files.iter().find(|e| e.rel == rel)?;
    if doc.entries.iter().any(|e| e.live_secret) {
        return None;
    }
    let mut lines: Vec<String> = text.lines().map(mask_line).collect();
    for e in &doc.entries {
        let Some(i) = e.line.checked_sub(1).filter(|i| *i < lines.len()) else {
            continue;
        };
        if e.commented {
            lines[i] = format!("# {}=…", e.name);
            continue;
        }
        lines[i] = format!("{}={}", e.name, redact(&e.value));
        for k in 1..=e.value.matches('\n').count() {
            if let Some(l) = lines.get_mut(i + k) {
                l.clear();
            }
        }
    }
    Some(lines)
}

/// Collect the shown text of every file a finding or a related location names.
pub fn collect(model: &Model, report: &Report) -> Sources {
    let mut wanted: BTreeSet<&str> = BTreeSet::new();
    let mut hidden: BTreeSet<(&str, usize)> = BTreeSet::new();
    for t in &report.targets {
        for f in &t.findings {
            let secret = f.aspect == Aspect::Security && !SECURITY_RULES_WITHOUT_SECRETS.contains(&f.rule.as_str());
            if let Some(file) = f.file.as_deref() {
                wanted.insert(file);
                if let (true, Some(l)) = (secret, f.line) {
                    hidden.insert((file, l));
                }
            }
            for r in &f.related {
                wanted.insert(&r.file);
                if let (true, Some(l)) = (secret, r.line) {
                    hidden.insert((&r.file, l));
                }
            }
        }
    }
    let mut files = BTreeMap::new();
    for rel in wanted {
        let Some(text) = model.file_text(rel) else { continue };
        let lines = if model.env_files.iter().any(|e| e.rel == rel) {
            match env_text(model, rel, text) {
                Some(l) => l,
                None => continue,
            }
        } else {
            text.lines().map(mask_line).collect()
        };
        let shown: Vec<String> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| if hidden.contains(&(rel, i + 1)) { HIDDEN.to_string() } else { sanitize(l) })
            .collect();
        files.insert(rel.to_string(), shown.join("\n"));
    }
    Sources { files }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secret_assignments_and_url_passwords() {
        let l = mask_line("      POSTGRES_PASSWORD: hunter2-very-secret");
        assert!(!l.contains("hunter2"), "{l}");
        assert!(l.starts_with("      POSTGRES_PASSWORD: "), "{l}");
        let l = mask_line("ENV SESSION_SECRET s3cr3t-value-123");
        assert!(!l.contains("s3cr3t"), "{l}");
        let l = mask_line(r#"  const url = "postgres://app:Sup3rPass@db.example.net:5432/app";"#);
        assert!(!l.contains("Sup3rPass") && l.contains("postgres://app:****@db.example.net"), "{l}");
        let l = mask_line(r#"JWT_SECRET="abcdefghijklmnop" PORT=3000"#);
        assert!(!l.contains("abcdefghijklmnop") && l.contains("PORT=3000"), "{l}");
        // Near misses stay as written.
        assert_eq!(
            mask_line("  const secret = process.env.SESSION_SECRET;"),
            "  const secret = process.env.SESSION_SECRET;"
        );
        assert_eq!(mask_line("      JWT_SECRET: ${JWT_SECRET}"), "      JWT_SECRET: ${JWT_SECRET}");
        assert_eq!(mask_line("ENV PORT=3000"), "ENV PORT=3000");
        assert_eq!(mask_line("    ports: [\"5432:5432\"]"), "    ports: [\"5432:5432\"]");
        assert_eq!(mask_line("const x = { secret: true }"), mask_line("const x = { secret: true }"));
    }

    #[test]
    fn env_files_show_only_shapes_and_files_with_live_secrets_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".env.example"),
            "# database\nDATABASE_URL=postgresql://user:password@localhost:5432/db\nAPP_NAME=\"Cafe\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join(".env"), "STRIPE_SECRET_KEY=sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ\n").unwrap();
        let d = crate::discover::discover(dir.path(), &crate::discover::Limits::default()).unwrap();
        let model = Model::build(d);
        let mk = |file: &str| crate::report::Finding {
            rule: "env-undocumented".into(),
            severity: crate::report::Severity::Warning,
            aspect: Aspect::Environment,
            message: "m".into(),
            file: Some(file.into()),
            line: Some(2),
            fix: "f".into(),
            docs: "https://example.com".into(),
            related: vec![],
            fingerprint: "0".into(),
        };
        let report = Report {
            version: 1,
            tool: crate::report::Tool {
                name: "deploy-audit".into(),
                version: "0".into(),
            },
            root: ".".into(),
            apps: vec![],
            targets: vec![crate::report::TargetReport {
                target: "koyeb".into(),
                platform: "Koyeb".into(),
                verify_in: "the control panel".into(),
                verdict: crate::report::Verdict::Ready,
                counts: Default::default(),
                aspects: vec![],
                findings: vec![mk(".env.example"), mk(".env")],
                settings: vec![],
                env: vec![],
                checklist: vec![],
                suppressed: 0,
                baselined: 0,
            }],
        };
        let s = collect(&model, &report);
        assert!(s.get(".env").is_none(), "a file with a live secret is never shown");
        let t = s.get(".env.example").unwrap();
        assert!(t.starts_with("# database\nDATABASE_URL="), "{t}");
        assert!(!t.contains(":password@"), "{t}");
        assert!(t.contains("APP_NAME="), "{t}");
    }

    #[test]
    fn long_mixed_tokens_are_masked_wherever_they_stand() {
        let l = mask_line("  const fallback = process.env.SIGNING || 'Tz5Kq1Xm8Lv3Cr6Pb9Nw2Gh4Jy7Fd0Se';");
        assert!(!l.contains("Tz5Kq1Xm8L"), "{l}");
        assert!(l.contains("process.env.SIGNING"), "{l}");
        assert_eq!(mask_line("RUN npm ci && npm run build"), "RUN npm ci && npm run build");
    }
}
