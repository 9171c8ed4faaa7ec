use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::env_file::{is_placeholder, is_secret_name};
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "secrets-in-committed-config",
    aspect: Aspect::Security,
    title: "A secret's value is written in a committed platform config",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds secret-looking variables (names with SECRET, PASSWORD, TOKEN, KEY, DATABASE_URL…) given a
literal value in fly.toml `[env]` or render.yaml `envVars` `value:`, or in a compose service's
`environment:` of the deployment compose file. Placeholders, `${VAR}` references and render.yaml
`generateValue: true` (Render generates the value) are ignored; values are never printed.

## Why it matters
These files are committed: the value is visible to everyone with access to the repository and its
history, and it is the same in every environment.

## Example
```toml
[env]
  JWT_SECRET = "f3a9…"
```

## Fix
Store it as a secret: `fly secrets set`, render.yaml `sync: false` (set in the dashboard), or a
`${VAR}` reference in compose with the value in an untracked `.env`.

## References
- https://fly.io/docs/apps/secrets/
- https://render.com/docs/blueprint-spec#setting-environment-variables
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    let literal = |v: &str| !v.is_empty() && !v.contains('$') && !is_placeholder(v) && v.len() >= 8;
    for f in &model.fly {
        for (k, v, line) in &f.v.env {
            if is_secret_name(k) && literal(v) {
                out.push(
                    Observation::at(RULE.id, &f.rel, *line, format!("fly.toml `[env]` commits a value for `{k}`"))
                        .var("name", k.clone())
                        .key(format!("{}:{k}", f.rel)),
                );
            }
        }
    }
    for r in &model.render {
        for s in &r.v.services {
            for e in &s.env_vars {
                // `generateValue: true` commits no value; a placeholder `value:` is no secret.
                let placeholder = e.value.as_deref().is_some_and(|v| v.contains('$') || is_placeholder(v));
                if is_secret_name(&e.key) && e.has_value && !placeholder && !e.sync_false && !e.from {
                    out.push(
                        Observation::at(RULE.id, &r.rel, e.line, format!("render.yaml commits a `value:` for `{}`", e.key))
                            .var("name", e.key.clone())
                            .key(format!("{}:{}", r.rel, e.key)),
                    );
                }
            }
        }
    }
    for c in model.deploy_composes() {
        for s in &c.v.services {
            for e in &s.environment {
                let Some(v) = e.value.as_deref() else { continue };
                let local_url = crate::parse::env_file::url_parts(v).is_some_and(|u| !u.host.contains('.'));
                if is_secret_name(&e.name) && literal(v) && !local_url {
                    out.push(
                        Observation::at(
                            RULE.id,
                            &c.rel,
                            e.line,
                            format!("compose service `{}` commits a value for `{}`", s.name, e.name),
                        )
                        .var("name", e.name.clone())
                        .key(format!("{}:{}:{}", c.rel, s.name, e.name)),
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn literal_secret_in_fly_env_fires_without_its_value() {
        let fly = "app = \"a\"\n[env]\n  JWT_SECRET = \"q8Zr2LmP0xVb7TkN4wYe1HsJ\"\n";
        let obs = run("secrets-in-committed-config", "fly", &[("fly.toml", fly)]);
        assert_eq!(obs.len(), 1);
        assert!(!obs[0].message.contains("q8Zr2"));
    }

    #[test]
    fn references_placeholders_and_sync_false_stay_silent() {
        let fly = "app = \"a\"\n[env]\n  NODE_ENV = \"production\"\n  API_KEY = \"changeme\"\n";
        assert!(run("secrets-in-committed-config", "fly", &[("fly.toml", fly)]).is_empty());
        let y = "services:\n  - type: web\n    name: a\n    envVars:\n      - key: SECRET_KEY\n        sync: false\n      - key: DATABASE_URL\n        fromDatabase:\n          name: db\n          property: connectionString\n";
        assert!(run("secrets-in-committed-config", "render", &[("render.yaml", y)]).is_empty());
        let compose = "services:\n  app:\n    build: .\n    environment:\n      DATABASE_URL: postgresql://u:${DB_PASSWORD}@db:5432/app\n      JWT_SECRET: ${JWT_SECRET}\n";
        assert!(run("secrets-in-committed-config", "vps", &[("docker-compose.yml", compose)]).is_empty());
    }

    #[test]
    fn render_generated_values_and_realm_names_stay_silent_but_a_literal_value_fires() {
        let y = "services:\n  - type: web\n    name: a\n    envVars:\n      - key: SESSION_SECRET\n        generateValue: true\n      - key: API_TOKEN\n        value: q8Zr2LmP0xVb7TkN4wYe1HsJ\n";
        let obs = run("secrets-in-committed-config", "render", &[("render.yaml", y)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert!(obs[0].message.contains("API_TOKEN"));
        let compose = "services:\n  hub:\n    image: registry:2\n    environment:\n      REGISTRY_AUTH_HTPASSWD_REALM: Hub Realm\n      REGISTRY_AUTH_HTPASSWD_PATH: /auth/htpasswd\n";
        assert!(run("secrets-in-committed-config", "vps", &[("docker-compose.yml", compose)]).is_empty());
    }
}
