use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::env_file::{redact, url_parts};
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "committed-env-secret",
    aspect: Aspect::Security,
    title: "A committed env file holds a real-looking secret",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Looks at env files that are committed (not git-ignored) and are not templates (`.env`,
`.env.production`, `.env.local`), and reports values that look like live credentials: provider key
formats (Stripe `sk_live_`, GitHub `ghp_`, AWS `AKIA…`, Slack `xox…`, private keys), URLs with a
real password on a non-local host, or long random values under a secret-like name. Placeholders
(`changeme`, `your-key-here`, `${VAR}`) are ignored. The value is never printed, only its shape.

## Why it matters
Anyone with read access to the repository (and every fork, CI log and image built from it) has the
credential. Rotating it is the only fix once it is pushed.

## Example
```sh
STRIPE_SECRET_KEY=sk_live_...
```
in a committed `.env.production`.

## Fix
Rotate the credential, remove the file from git (`git rm --cached`), add it to `.gitignore`, keep a
placeholder in `.env.example`, and set the real value as a secret in the platform.

## References
- https://www.koyeb.com/docs/reference/secrets
- https://docs.github.com/en/code-security/secret-scanning
"#;

fn local_url(value: &str) -> bool {
    url_parts(value).is_some_and(|u| {
        matches!(
            u.host.as_str(),
            "localhost" | "127.0.0.1" | "0.0.0.0" | "db" | "postgres" | "postgresql" | "redis" | "mysql" | "database" | "host.docker.internal"
        )
    })
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for env in model.env_files.iter().filter(|e| !e.template) {
        let name = env.rel.rsplit('/').next().unwrap_or(&env.rel);
        if name.starts_with(".env.test") || name.contains(".ci") || name.ends_with(".test") {
            // Test fixtures for the suite, not deployment credentials.
            continue;
        }
        for e in env.entries.iter().filter(|e| e.live_secret && !e.commented) {
            if local_url(&e.value) {
                continue;
            }
            out.push(
                Observation::at(
                    RULE.id,
                    &env.rel,
                    e.line,
                    format!("committed env file sets `{}` to a real-looking secret ({})", e.name, redact(&e.value)),
                )
                .var("name", e.name.clone())
                .key(format!("{}:{}", env.rel, e.name)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn live_key_in_committed_env_fires_without_the_value() {
        let env = "NODE_ENV=production\nSTRIPE_SECRET_KEY=sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ\n";
        let obs = koyeb("committed-env-secret", &[("package.json", NEXT_PKG), (".env.production", env)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(2));
        assert!(!obs[0].message.contains("sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ"));
    }

    #[test]
    fn templates_placeholders_and_local_urls_stay_silent() {
        let tpl = "STRIPE_SECRET_KEY=sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ\n";
        assert!(koyeb("committed-env-secret", &[("package.json", NEXT_PKG), (".env.example", tpl)]).is_empty());
        let env = "JWT_SECRET=changeme\nDATABASE_URL=postgresql://postgres:postgres@localhost:5432/app\n";
        assert!(koyeb("committed-env-secret", &[("package.json", NEXT_PKG), (".env", env)]).is_empty());
    }

    #[test]
    fn password_hashes_are_not_credentials() {
        let env = "ADMIN_PASSWORD_HASH=$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\n";
        assert!(koyeb("committed-env-secret", &[("package.json", NEXT_PKG), (".env.production", env)]).is_empty());
    }
}
