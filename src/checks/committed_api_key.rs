use super::{Check, Rule};
use crate::discover::FileKind;
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::env_file::{is_private_key, provider_key, redact};
use crate::report::Aspect;
use std::sync::OnceLock;

pub static RULE: Rule = Rule {
    id: "committed-api-key",
    aspect: Aspect::Security,
    title: "A live API key or private key is committed in a file",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Scans every file the tool reads (source code, Dockerfiles, compose files, platform configs,
package.json, scripts, workflows, env templates) for credentials in a provider's format: Stripe
`sk_live_` / `rk_live_`, GitHub `ghp_` / `github_pat_`, Slack `xoxb-` / `xoxp-`, AWS `AKIA…`,
OpenAI `sk-proj-` / `sk-`, Anthropic `sk-ant-`, Google `AIza…`, SendGrid `SG.`, GitLab `glpat-`,
npm `npm_`, Hugging Face `hf_`, Stripe webhook `whsec_`, and PEM private keys. A key must have its
format's length and look random; placeholders (`sk_live_xxxx`, `your-key`, `<...>`, `${VAR}`), samples
named as such on the same or the previous line (`placeholder`, `example`, `dummy`, `mock`…) and
test keys (`sk_test_`, `pk_`) are ignored, and so are test files. Committed env files (not
templates) are reported by `committed-env-secret`. The key is never printed, only its kind and
length.

## Why it matters
Everyone who can read the repository, its forks and its history can use the key. Provider secret
scanners revoke some of them automatically, which breaks production without warning.

## Example
```ts
const stripe = new Stripe('sk_live_51H…');
```

## Fix
Revoke and rotate the key at the provider, remove it from the file (and from history if the
repository is public), read it from an environment variable, and store it in the platform's
secrets.

## References
- https://docs.github.com/en/code-security/secret-scanning/introduction/about-secret-scanning
- https://docs.stripe.com/keys#safe-keys
"#;

/// Every literal a match of [`CANDIDATES`] starts with (its alternatives spelled out): the
/// discovery pass marks the files that hold one (`crate::hints::KEY`), and only those are searched.
pub const PREFIXES: &[&str] = &[
    "sk_live_",
    "rk_live_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxe-",
    "xoxr-",
    "xoxs-",
    "AKIA",
    "ASIA",
    "AIza",
    "sk-",
    "SG.",
    "whsec_",
    "glpat-",
    "npm_",
    "shpat_",
    "shpss_",
    "hf_",
    "gsk_",
    "xai-",
    "sq0csp-",
    "pplx-",
    "dop_v1_",
    "-----BEGIN ",
];

const CANDIDATES: &str = r"(?:sk_live_|rk_live_|gh[pousr]_|github_pat_|xox[bpaers]-|AKIA|ASIA|AIza|sk-|SG\.|whsec_|glpat-|npm_|shpat_|shpss_|hf_|gsk_|xai-|sq0csp-|pplx-|dop_v1_)[A-Za-z0-9_\-\.+/=]{10,}|-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----";

fn re() -> Option<&'static regex::Regex> {
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(CANDIDATES).ok()).as_ref()
}

/// Does the pattern find a candidate in `text` (before any check of shape or context)?
#[cfg(test)]
pub fn candidate(text: &str) -> bool {
    re().is_some_and(|r| r.is_match(text))
}

fn provider_name(prefix: &str) -> &'static str {
    match prefix {
        "sk_live_" | "rk_live_" => "Stripe or Clerk",
        "whsec_" => "webhook signing",
        p if p.starts_with("gh") || p == "github_pat_" => "GitHub",
        p if p.starts_with("xox") => "Slack",
        "AKIA" | "ASIA" => "AWS",
        "AIza" => "Google",
        "sk-ant-" => "Anthropic",
        p if p.starts_with("sk-") => "OpenAI",
        "SG." => "SendGrid",
        "glpat-" => "GitLab",
        "npm_" => "npm",
        "hf_" => "Hugging Face",
        _ => "provider",
    }
}

fn run(model: &Model) -> Vec<Observation> {
    // Only the files whose text holds a candidate's prefix (marked during discovery), and no test.
    let mut files = model
        .files
        .iter()
        .filter(|f| f.hints.has(crate::hints::KEY) && !f.hints.has(crate::hints::TEST))
        .peekable();
    // (The pattern is compiled only when some file may hold a key: it costs more than the rest
    // of a small repository's scan.)
    if files.peek().is_none() {
        return Vec::new();
    }
    let Some(re) = re() else { return Vec::new() };
    let mut out = Vec::new();
    for f in files {
        // (A lockfile never has the KEY bit: it is not read.)
        let Some(text) = f.text.as_deref() else { continue };
        let mut found = re.find_iter(text).peekable();
        if found.peek().is_none() {
            continue;
        }
        if f.kind == FileKind::EnvFile && !model.env_files.iter().any(|e| e.rel == f.rel && e.template) {
            continue;
        }
        let mut count = 0;
        for m in found {
            let before = text[..m.start()].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let (shape, what) = if m.as_str().starts_with("-----BEGIN") {
                let rest = &text[m.start()..];
                let end = rest.find("-----END").map(|i| i + 60).unwrap_or(20_000).min(rest.len());
                let block = (0..=end).rev().find_map(|e| rest.get(..e)).unwrap_or("");
                if !is_private_key(block) {
                    continue;
                }
                ("<redacted private key>".to_string(), "a PEM private key".to_string())
            } else {
                let token = m.as_str().trim_end_matches(['.', '=', '/', '+']);
                let Some(prefix) = provider_key(token) else { continue };
                (redact(token), format!("a live-looking {} key", provider_name(prefix)))
            };
            // `placeholder="sk_live_…"`, `const privateKeyDataHolder = "-----BEGIN …"`: a sample.
            let ctx_start = text[..m.start()].rfind('\n').and_then(|i| text[..i].rfind('\n')).map_or(0, |i| i + 1);
            let context = text[ctx_start..m.start()].to_ascii_lowercase();
            if ["placeholder", "holder", "example", "sample", "dummy", "fake", "mock", "fixture"]
                .iter()
                .any(|w| context.contains(w))
            {
                continue;
            }
            let line = crate::text::line_of(text, m.start());
            out.push(
                Observation::at(RULE.id, &f.rel, line, format!("this line holds {what} ({shape}) in a committed file"))
                    .var("what", what.clone())
                    .key(format!("{}:{what}:{}", f.rel, shape)),
            );
            count += 1;
            if count >= 20 {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn provider_keys_in_source_and_configs_fire_without_the_value() {
        let src = "import Stripe from 'stripe';\nexport const stripe = new Stripe('sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ');\nconst aws = { accessKeyId: 'AKIAQ3EGSZ7RX4PLMN2W' };\n";
        let obs = koyeb("committed-api-key", &[("package.json", NEXT_PKG), ("lib/stripe.ts", src)]);
        assert_eq!(obs.len(), 2, "{obs:?}");
        assert_eq!(obs[0].line, Some(2));
        assert!(!obs[0].message.contains("51HxQ2eJ8kq3"));
        let fly = "app = \"a\"\n[env]\n  GH = \"ghp_Zr2LmP0xVb7TkN4wYe1HsJq8Zr2LmP0xVb7T\"\n";
        assert_eq!(koyeb("committed-api-key", &[("fly.toml", fly)]).len(), 1);
    }

    #[test]
    fn placeholders_test_keys_words_tests_and_env_files_stay_silent() {
        let src = "export const a = 'sk_test_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ';\nexport const b = 'pk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ';\nexport const c = 'sk_live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';\nexport const d = process.env.STRIPE_KEY ?? '${STRIPE_KEY}';\nconst task = 'desk-organizer-and-task-manager-0123';\nconst pem = '-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----';\nexport const keyPlaceholder =\n  'sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ';\n";
        let test = "export const k = 'sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ';\n";
        let env = "STRIPE_SECRET_KEY=sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ\n";
        let obs = koyeb(
            "committed-api-key",
            &[
                ("package.json", NEXT_PKG),
                ("lib/keys.ts", src),
                ("lib/keys.test.ts", test),
                (".env.production", env),
            ],
        );
        assert!(obs.is_empty(), "{obs:?}");
    }

    #[test]
    fn mock_data_files_are_test_data() {
        let pem = "export const key = `-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw\n-----END RSA PRIVATE KEY-----`;\n";
        assert!(crate::checks::testing::koyeb("committed-api-key", &[("package.json", crate::checks::testing::NEXT_PKG), ("src/mock.ts", pem)]).is_empty());
        assert!(crate::checks::testing::koyeb(
            "committed-api-key",
            &[("package.json", crate::checks::testing::NEXT_PKG), ("src/__mocks__/keys.ts", pem)]
        )
        .is_empty());
        // Not only sources: a template or a compose file among a test suite's files is test data.
        let key = "STRIPE_SECRET_KEY=sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ\n";
        let compose = "services:\n  web:\n    environment:\n      STRIPE_SECRET_KEY: sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ\n";
        for (rel, text) in [("src/__mocks__/.env.example", key), ("e2e_tests/docker-compose.yml", compose)] {
            let obs = crate::checks::testing::koyeb("committed-api-key", &[("package.json", crate::checks::testing::NEXT_PKG), (rel, text)]);
            assert!(obs.is_empty(), "{rel}: {obs:?}");
        }
        // The same compose file outside a test folder fires.
        let obs = crate::checks::testing::koyeb(
            "committed-api-key",
            &[("package.json", crate::checks::testing::NEXT_PKG), ("docker-compose.yml", compose)],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
    }
}
