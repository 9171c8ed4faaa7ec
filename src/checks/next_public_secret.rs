use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;
use std::collections::BTreeMap;

pub static RULE: Rule = Rule {
    id: "next-public-secret",
    aspect: Aspect::Security,
    title: "A secret is exposed to the browser through a NEXT_PUBLIC_ variable",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds `NEXT_PUBLIC_*` variables (read in code, or listed in an env file, compose file or
Dockerfile) whose name ends in a server secret: `_SECRET`, `_PASSWORD`, `_SECRET_KEY`,
`_PRIVATE_KEY`, `_SERVICE_ROLE_KEY`, `_SERVICE_KEY`, `_ADMIN_KEY`, `_AUTH_TOKEN`, `_ADMIN_TOKEN`,
`_DATABASE_URL`. Keys made for the browser (`PUBLISHABLE_KEY`, `ANON_KEY`, `PUBLIC_KEY`,
`SITE_KEY`, Firebase / Maps `API_KEY`, Mapbox `ACCESS_TOKEN`, `CLIENT_ID`, `DSN`), demo
credentials (`DEMO_PASSWORD`) and flags (`DISABLE_PASSWORD_SIGNUP`, `PASSWORD_MIN_LENGTH`) are
not reported.

## Why it matters
Next.js copies every `NEXT_PUBLIC_*` value into the JavaScript bundle sent to every visitor. A
Supabase service-role key or a Stripe secret key there gives anyone full access to the account.

## Example
`createClient(url, process.env.NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY)`

## Fix
Rename the variable without the `NEXT_PUBLIC_` prefix, read it only in server code (route handlers,
server actions), rotate the key, and rebuild so the old bundle is gone.

## References
- https://nextjs.org/docs/app/guides/environment-variables#bundling-environment-variables-for-the-browser
- https://supabase.com/docs/guides/api/api-keys
"#;

/// Does the part after `NEXT_PUBLIC_` name a server-only secret?
pub fn public_secret(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("NEXT_PUBLIC_") else { return false };
    let segs: Vec<&str> = rest.split('_').filter(|s| !s.is_empty()).collect();
    let has = |w: &str| segs.contains(&w);
    // Browser keys by design, demo credentials, and flags about a secret (DISABLE_PASSWORD_SIGNUP).
    const NOT: &[&str] = &[
        "PUBLISHABLE",
        "ANON",
        "PUBLIC",
        "SITE",
        "DEMO",
        "TEST",
        "EXAMPLE",
        "SAMPLE",
        "DISABLE",
        "DISABLED",
        "ENABLE",
        "ENABLED",
        "SHOW",
        "HIDE",
        "ALLOW",
        "REQUIRE",
        "REQUIRED",
        "MIN",
        "MAX",
        "LENGTH",
        "POLICY",
        "RESET",
        "FORGOT",
        "SIGNUP",
        "SIGNIN",
        "LOGIN",
        "AUTH",
        "FEATURE",
    ];
    if segs.iter().any(|s| NOT.contains(s)) && !(has("AUTH") && segs.last() == Some(&"TOKEN") && !has("PUBLIC")) {
        return false;
    }
    let last = segs.last().copied().unwrap_or("");
    let prev = segs.len().checked_sub(2).and_then(|i| segs.get(i)).copied().unwrap_or("");
    match last {
        "SECRET" | "SECRETS" | "PASSWORD" | "PASSWD" => true,
        "KEY" => matches!(prev, "SECRET" | "PRIVATE" | "ROLE" | "SERVICE" | "ADMIN" | "MASTER" | "SIGNING" | "ENCRYPTION"),
        "TOKEN" => matches!(prev, "AUTH" | "ADMIN" | "SERVICE" | "SECRET"),
        "URL" => prev == "DATABASE",
        _ => false,
    }
}

fn run(model: &Model) -> Vec<Observation> {
    let m = model;
    let mut found: BTreeMap<String, (String, usize, &'static str)> = BTreeMap::new();
    for app in &m.apps {
        for s in &app.sources {
            for r in s.facts.env_reads.iter().filter(|r| public_secret(&r.name)) {
                found.entry(r.name.clone()).or_insert((s.rel.clone(), r.line, "read"));
            }
        }
    }
    for e in &m.env_files {
        for x in e.entries.iter().filter(|x| public_secret(&x.name)) {
            found.entry(x.name.clone()).or_insert((e.rel.clone(), x.line, "set"));
        }
    }
    for c in &m.composes {
        for s in &c.v.services {
            for x in s.environment.iter().filter(|x| public_secret(&x.name)) {
                found.entry(x.name.clone()).or_insert((c.rel.clone(), x.line, "set"));
            }
        }
    }
    for d in &m.dockerfiles {
        for ins in d.df.instructions.iter().filter(|i| i.keyword == "ARG" || i.keyword == "ENV") {
            for (k, _) in ins.key_values().iter().filter(|(k, _)| public_secret(k)) {
                found.entry(k.clone()).or_insert((d.rel.clone(), ins.line, "set"));
            }
        }
    }
    found
        .into_iter()
        .map(|(name, (file, line, how))| {
            let plain = name.trim_start_matches("NEXT_PUBLIC_").to_string();
            Observation::at(
                RULE.id,
                &file,
                line,
                format!("`{name}` is {how} here: its name says it is a secret, and Next.js inlines every `NEXT_PUBLIC_` value into the browser bundle"),
            )
            .var("name", name.clone())
            .var("plain", plain)
            .key(name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::public_secret;
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn names() {
        for n in [
            "NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY",
            "NEXT_PUBLIC_STRIPE_SECRET_KEY",
            "NEXT_PUBLIC_JWT_SECRET",
            "NEXT_PUBLIC_DATABASE_URL",
            "NEXT_PUBLIC_ADMIN_PASSWORD",
        ] {
            assert!(public_secret(n), "{n}");
        }
        for n in [
            "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY",
            "NEXT_PUBLIC_SUPABASE_ANON_KEY",
            "NEXT_PUBLIC_FIREBASE_API_KEY",
            "NEXT_PUBLIC_RECAPTCHA_SITE_KEY",
            "NEXT_PUBLIC_VAPID_PUBLIC_KEY",
            "NEXT_PUBLIC_SENTRY_DSN",
            "NEXT_PUBLIC_GOOGLE_CLIENT_ID",
            "STRIPE_SECRET_KEY",
            "NEXT_PUBLIC_DISABLE_EMAIL_PASSWORD_SIGNUP",
            "NEXT_PUBLIC_DEMO_PASSWORD",
            "NEXT_PUBLIC_MAPBOX_ACCESS_TOKEN",
            "NEXT_PUBLIC_PASSWORD_MIN_LENGTH",
        ] {
            assert!(!public_secret(n), "{n}");
        }
    }

    #[test]
    fn a_secret_read_in_client_code_fires_and_publishable_keys_stay_silent() {
        let src = "'use client';\nimport { createClient } from '@supabase/supabase-js';\nexport const s = createClient(process.env.NEXT_PUBLIC_SUPABASE_URL!, process.env.NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY!);\nexport const k = process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY;\n";
        let obs = koyeb("next-public-secret", &[("package.json", NEXT_PKG), ("lib/supabase.ts", src)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(3));
        let tpl = "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY=pk_test_x\n";
        assert!(koyeb("next-public-secret", &[("package.json", NEXT_PKG), (".env.example", tpl)]).is_empty());
    }
}
