use super::{deployable_apps, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::env_file::{is_secret_name, redact};
use crate::report::Aspect;
use std::collections::BTreeSet;

pub static RULE: Rule = Rule {
    id: "secret-fallback",
    aspect: Aspect::Security,
    title: "A signing or session secret falls back to a hard-coded value",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds server code that reads a signing, session or admin secret (`JWT_SECRET`, `SESSION_SECRET`,
`NEXTAUTH_SECRET`, `COOKIE_SECRET`, `ENCRYPTION_KEY`, `*_WEBHOOK_SECRET`, `ADMIN_TOKEN`…) with a
literal fallback: `process.env.JWT_SECRET || 'dev-secret'`, `?? "changeme"`, a destructuring
default, or a zod `.default('…')` in an env schema. A fallback only used in development
(`if (process.env.NODE_ENV !== 'production')`, the non-production side of a `NODE_ENV` ternary),
a variable the code checks and throws on when missing, or one an env schema requires, is not
reported. The value is never printed.

## Why it matters
If the variable is missing on the platform (a new environment, a renamed variable, a typo), the
server starts anyway and signs sessions and tokens with a secret that anyone who can read the
repository knows: they can forge a login as any user.

## Example
```ts
const secret = process.env.JWT_SECRET || 'dev-secret';
```

## Fix
Remove the fallback and fail at start when the secret is missing
(`if (!process.env.JWT_SECRET) throw new Error('JWT_SECRET is required')`, or a required field in
the env schema), then set the secret in the platform's secrets.

## References
- https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html
- https://env.t3.gg/docs/introduction
"#;

/// A secret whose knowledge lets someone forge sessions, tokens, signatures or admin access.
pub fn signing_secret(name: &str) -> bool {
    if !is_secret_name(name) {
        return false;
    }
    let n = name.to_ascii_uppercase();
    if n.contains("CLIENT_SECRET") {
        return false;
    }
    let strong = [
        "JWT",
        "SESSION",
        "COOKIE",
        "SIGN",
        "ENCRYPT",
        "HMAC",
        "CSRF",
        "WEBHOOK",
        "ADMIN",
        "NEXTAUTH",
        "APP_KEY",
        "MASTER_KEY",
    ]
    .iter()
    .any(|w| n.contains(w));
    // The app's own secrets; a third-party API secret (`TRANSLOADIT_SECRET`) only breaks the integration.
    let own = matches!(
        n.as_str(),
        "SECRET" | "APP_SECRET" | "AUTH_SECRET" | "SECRET_KEY" | "SECRET_KEY_BASE" | "CRON_SECRET" | "SERVER_SECRET"
    ) || (n.ends_with("_TOKEN_SECRET") || n.ends_with("_AUTH_SECRET")) && !third_party(&n);
    strong || own
}

/// A provider's credential (`TWITTER_ACCESS_TOKEN_SECRET`, `DROPBOX_AUTH_SECRET`): a wrong value
/// breaks that integration, nobody can sign in with it.
fn third_party(upper: &str) -> bool {
    const PROVIDERS: &[&str] = &[
        "TWITTER",
        "X",
        "GITHUB",
        "GITLAB",
        "GOOGLE",
        "STRIPE",
        "SLACK",
        "DISCORD",
        "FACEBOOK",
        "META",
        "LINKEDIN",
        "AWS",
        "AZURE",
        "GCP",
        "OPENAI",
        "TWILIO",
        "SENDGRID",
        "MAILGUN",
        "DROPBOX",
        "NOTION",
        "SHOPIFY",
        "ZOOM",
        "HUBSPOT",
        "SALESFORCE",
        "TELEGRAM",
        "REDDIT",
        "TIKTOK",
        "PINTEREST",
        "INSTAGRAM",
        "YOUTUBE",
        "SPOTIFY",
        "APPLE",
        "MICROSOFT",
        "OKTA",
        "AUTH0",
        "CLERK",
        "SUPABASE",
    ];
    upper.split('_').next().is_some_and(|first| PROVIDERS.contains(&first))
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        let runtime: Vec<_> = app.sources.iter().filter(|s| s.runtime).collect();
        let guarded: BTreeSet<&str> = runtime.iter().flat_map(|s| s.facts.env_guards.iter().map(String::as_str)).collect();
        let required: BTreeSet<&str> = runtime
            .iter()
            .flat_map(|s| s.facts.env_reads.iter())
            .filter(|r| r.schema && !r.has_default)
            .map(|r| r.name.as_str())
            .collect();
        let mut seen = BTreeSet::new();
        for s in &runtime {
            for r in &s.facts.env_reads {
                let Some(d) = r.default.as_deref() else { continue };
                if d.trim().is_empty() || r.dev_only || !signing_secret(&r.name) || guarded.contains(r.name.as_str()) || required.contains(r.name.as_str()) {
                    continue;
                }
                if !seen.insert((s.rel.as_str(), r.name.as_str())) {
                    continue;
                }
                let how = if r.schema { "the env schema defaults it" } else { "it falls back" };
                out.push(
                    Observation::at(
                        RULE.id,
                        &s.rel,
                        r.line,
                        format!(
                            "`{}` is a signing secret and {how} to a hard-coded value ({}) when unset, so a deploy without it signs with a secret readable in the repository",
                            r.name,
                            redact(d)
                        ),
                    )
                    .var("name", r.name.clone())
                    .key(format!("{}:{}", s.rel, r.name)),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn hard_coded_fallbacks_fire_without_the_value() {
        let src = "export const secret = process.env.JWT_SECRET || 'dev-secret-123';\nexport const s2 = process.env.SESSION_SECRET ?? \"changeme\";\n";
        let obs = koyeb("secret-fallback", &[("package.json", NEXT_PKG), ("lib/auth.ts", src)]);
        assert_eq!(obs.len(), 2, "{obs:?}");
        assert!(!obs[0].message.contains("dev-secret-123"));
        // The app's own token secret fires; a provider's (TWITTER_…) does not (see below).
        let own = "export const a = process.env.ACCESS_TOKEN_SECRET || 'dev-access-secret';\n";
        assert_eq!(koyeb("secret-fallback", &[("package.json", NEXT_PKG), ("lib/jwt.ts", own)]).len(), 1);
        let schema = "import { createEnv } from '@t3-oss/env-nextjs';\nimport { z } from 'zod';\nexport const env = createEnv({ server: { NEXTAUTH_SECRET: z.string().default('supersecret') }, runtimeEnv: {} });\n";
        assert_eq!(koyeb("secret-fallback", &[("package.json", NEXT_PKG), ("src/env.ts", schema)]).len(), 1);
    }

    #[test]
    fn development_fallbacks_throwing_guards_and_other_names_stay_silent() {
        let dev = "let s = process.env.JWT_SECRET;\nif (process.env.NODE_ENV !== 'production') { s = process.env.JWT_SECRET || 'dev'; }\nexport const t = process.env.NODE_ENV === 'production' ? process.env.COOKIE_SECRET : (process.env.COOKIE_SECRET ?? 'dev');\n";
        let guard =
            "if (!process.env.SESSION_SECRET) throw new Error('SESSION_SECRET missing');\nexport const s = process.env.SESSION_SECRET || 'x-never-used';\n";
        let other = "export const a = process.env.STRIPE_SECRET_KEY || 'sk_test_123';\nexport const b = process.env.APP_NAME || 'app';\nexport const c = process.env.JWT_SECRET || '';\nexport const d = process.env.TRANSLOADIT_SECRET || 'just empty text';\nexport const e = process.env.TWITTER_ACCESS_TOKEN_SECRET || 'dummyAccessTokenSecret';\n";
        let script = "export const s = process.env.JWT_SECRET || 'seed-secret';\n";
        let obs = koyeb(
            "secret-fallback",
            &[
                ("package.json", NEXT_PKG),
                ("lib/a.ts", dev),
                ("lib/b.ts", guard),
                ("lib/c.ts", other),
                ("scripts/seed.ts", script),
            ],
        );
        assert!(obs.is_empty(), "{obs:?}");
    }
}
