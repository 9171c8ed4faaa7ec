use super::{database_image, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "compose-depends-unhealthy",
    aspect: Aspect::Operations,
    title: "The app starts before its database is ready",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
In the deployment compose file, finds a service that `depends_on` a database (Postgres,
MySQL/MariaDB, MongoDB; not a cache) without
`condition: service_healthy`, or with that condition while the database has no `healthcheck`.

## Why it matters
Plain `depends_on` only waits for the database container to start, not for the database to accept
connections: migrations and the first queries fail on every cold start, and the app crash-loops
until the database is up.

## Example
```yaml
app:
  depends_on:
    - db
```

## Fix
```yaml
app:
  depends_on:
    db:
      condition: service_healthy
db:
  healthcheck:
    test: ["CMD-SHELL", "pg_isready -U postgres"]
    interval: 5s
    retries: 10
```

## References
- https://docs.docker.com/compose/how-tos/startup-order/
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for c in model.deploy_composes() {
        for s in &c.v.services {
            for dep in &s.depends_on {
                let Some(target) = c.v.services.iter().find(|t| t.name == dep.service) else {
                    continue;
                };
                let Some((kind, _)) = target.image.as_ref().and_then(|(i, _)| database_image(i)) else {
                    continue;
                };
                let has_check = target.healthcheck.as_ref().is_some_and(|h| !h.disabled);
                let healthy = dep.condition.as_deref() == Some("service_healthy");
                let msg = if !healthy {
                    format!("service `{}` waits only for `{}` ({kind}) to start, not to be ready", s.name, dep.service)
                } else if !has_check {
                    format!(
                        "service `{}` waits for `{}` to be healthy, but `{}` has no healthcheck",
                        s.name, dep.service, dep.service
                    )
                } else {
                    continue;
                };
                out.push(
                    Observation::at(RULE.id, &c.rel, dep.line, msg)
                        .var("service", dep.service.clone())
                        .key(format!("{}:{}:{}", c.rel, s.name, dep.service)),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn plain_depends_on_a_database_fires() {
        let compose = "services:\n  app:\n    build: .\n    depends_on:\n      - db\n  db:\n    image: postgres:16\n";
        let obs = run("compose-depends-unhealthy", "vps", &[("docker-compose.yml", compose)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(5));
    }

    #[test]
    fn healthy_condition_with_healthcheck_stays_silent() {
        let compose = "services:\n  app:\n    build: .\n    depends_on:\n      db:\n        condition: service_healthy\n      worker:\n        condition: service_started\n  worker:\n    image: node:20\n  db:\n    image: postgres:16\n    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready\"]\n";
        assert!(run("compose-depends-unhealthy", "vps", &[("docker-compose.yml", compose)]).is_empty());
    }
}
