use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "compose-secret-default",
    aspect: Aspect::Security,
    title: "A compose file gives a secret a well-known default value",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
In the deployment compose file, finds `${NAME:-value}` / `${NAME-value}` substitutions where
`NAME` is a password, secret, token or key and `value` is a literal. A default that cannot be
a secret is left alone: a connection URL without a password (`redis://cache:6379`), a flag
(`true`, `0`) or the path of a key file (`/certs/server.key`).

## Why it matters
When the variable is not set on the server (a missing or misspelt `.env`, a new host), Compose
silently uses the default: the database or the app runs with a password that is in the
repository for anyone to read, and nothing fails to warn you.

## Example
```yaml
environment:
  POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}
```

## Fix
Require the variable instead: `${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}` makes
`docker compose up` stop with that message when it is missing. On Coolify, use a generated
magic variable (`${SERVICE_PASSWORD_POSTGRES}`).

## References
- https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/
- https://coolify.io/docs/knowledge-base/docker/compose
"#;

/// Can this default be the secret itself? A URL carries one only as the password of its user
/// info (`postgres://app:pw@db/app`); flags and file paths name no secret.
fn may_be_secret(default: &str) -> bool {
    let d = default.trim_matches(|c| c == '"' || c == '\'');
    if let Some((_, rest)) = d.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        return authority
            .rsplit_once('@')
            .is_some_and(|(userinfo, _)| userinfo.split_once(':').is_some_and(|(_, pw)| !pw.is_empty()));
    }
    let flag = matches!(
        d.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "0" | "1" | "none" | "null" | "enabled" | "disabled"
    );
    let path = (d.starts_with('/') || d.starts_with("./") || d.starts_with("~/")) && !d.contains(char::is_whitespace);
    !flag && !path
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for c in model.deploy_composes() {
        let mut seen = std::collections::BTreeSet::new();
        for r in &c.v.var_refs {
            let Some(default) = r.default.as_deref() else { continue };
            let d = default.trim();
            if d.is_empty() || d.contains('$') || !may_be_secret(d) || !crate::parse::env_file::is_secret_name(&r.name) || !seen.insert(r.name.clone()) {
                continue;
            }
            out.push(
                Observation::at(
                    RULE.id,
                    &c.rel,
                    r.line,
                    format!(
                        "`{}` falls back to a default written in the repository ({}) when it is not set on the server",
                        crate::text::sanitize(&r.name),
                        crate::parse::env_file::redact(d)
                    ),
                )
                .var("name", r.name.clone())
                .key(format!("{}:{}", c.rel, r.name)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    const APP: &str = "services:\n  app:\n    build: .\n    environment:\n      DATABASE_URL: postgresql://postgres:${POSTGRES_PASSWORD:-postgres}@db:5432/app\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}\n      POSTGRES_USER: ${POSTGRES_USER:-postgres}\n";

    #[test]
    fn secret_with_literal_default_fires_once_without_the_value() {
        let obs = run("compose-secret-default", "vps", &[("docker-compose.yml", APP)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(5));
        assert!(!obs[0].message.contains("postgres)"), "{}", obs[0].message);
    }

    #[test]
    fn defaults_that_cannot_be_the_secret_stay_silent() {
        let ok = "services:\n  app:\n    build: .\n    environment:\n      CACHE_URL: ${CACHE_URL:-redis://cache:6379/0}\n      QUEUE_REDIS_URL: ${QUEUE_REDIS_URL:-http://redis-proxy:80}\n      SKIP_AUTH_TOKENS: ${SKIP_AUTH_TOKENS:-true}\n      TLS_PRIVATE_KEY: ${TLS_PRIVATE_KEY:-/certs/tls.key}\n";
        assert!(run("compose-secret-default", "vps", &[("docker-compose.yml", ok)]).is_empty());
        // A URL whose user info holds a password is a secret default.
        let url = "services:\n  app:\n    build: .\n    environment:\n      DATABASE_URL: ${DATABASE_URL:-postgres://app:hunter2@db:5432/app}\n";
        assert_eq!(run("compose-secret-default", "vps", &[("docker-compose.yml", url)]).len(), 1);
    }

    #[test]
    fn required_empty_and_non_secret_defaults_stay_silent() {
        let ok = "services:\n  app:\n    build: .\n    environment:\n      SECRET: ${SECRET:?set SECRET}\n      TOKEN: ${TOKEN}\n      API_KEY: ${API_KEY:-}\n      DB_USER: ${DB_USER:-postgres}\n      JWT_SECRET: ${JWT_SECRET:-${FALLBACK_SECRET}}\n";
        assert!(run("compose-secret-default", "vps", &[("docker-compose.yml", ok)]).is_empty());
        // A development compose file is not the deployment.
        assert!(run("compose-secret-default", "vps", &[("docker-compose.dev.yml", APP)]).is_empty());
    }
}
