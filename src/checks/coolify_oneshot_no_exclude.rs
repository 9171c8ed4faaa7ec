use super::{has_seq, has_word, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "coolify-oneshot-no-exclude",
    aspect: Aspect::Operations,
    title: "A one-shot compose service is not excluded from Coolify's health status",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
In the deployment compose file, finds services that run once and exit — another service waits
for them with `condition: service_completed_successfully`, or they run a migration or seed with
`restart: "no"` / `on-failure` — that lack Coolify's `exclude_from_hc: true`.

## Why it matters
Coolify derives the resource's status from every container in the stack: a migration container
that exited after doing its job makes the whole deployment show as unhealthy or exited, and
rolling restarts and notifications follow that status.

## Example
```yaml
migrate:
  build: .
  command: npx prisma migrate deploy
  restart: "no"
```

## Fix
Add `exclude_from_hc: true` to the one-shot service.

## References
- https://coolify.io/docs/knowledge-base/docker/compose
"#;

fn runs_once_command(cmd: &str) -> bool {
    has_seq(cmd, &["migrate", "deploy"])
        || has_seq(cmd, &["db", "push"])
        || has_seq(cmd, &["db", "seed"])
        || has_word(cmd, "migrate")
        || has_word(cmd, "seed")
        || cmd.contains("migrate.js")
        || cmd.contains("seed.js")
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for c in model.deploy_composes() {
        for s in &c.v.services {
            if s.exclude_from_hc || !s.profiles.is_empty() {
                continue;
            }
            let awaited = c.v.services.iter().any(|o| {
                o.depends_on
                    .iter()
                    .any(|d| d.service == s.name && d.condition.as_deref() == Some("service_completed_successfully"))
            });
            let once_policy = s.restarts_once();
            let once_cmd = s.command.as_ref().is_some_and(|(cmd, _)| runs_once_command(cmd));
            if !(awaited || (once_policy && once_cmd)) {
                continue;
            }
            out.push(super::service_observation(
                RULE.id,
                &c.rel,
                &s.name,
                s.line,
                format!(
                    "service `{}` runs once and exits, so without `exclude_from_hc: true` Coolify reports the whole stack as unhealthy",
                    crate::text::sanitize(&s.name)
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn awaited_or_no_restart_migration_fires() {
        let y = "services:\n  migrate:\n    build: .\n    command: npx prisma migrate deploy\n  app:\n    build: .\n    depends_on:\n      migrate:\n        condition: service_completed_successfully\n";
        let obs = run("coolify-oneshot-no-exclude", "coolify", &[("docker-compose.yml", y)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(2));
        let y2 = "services:\n  app:\n    build: .\n  seed:\n    build: .\n    command: node scripts/seed.js\n    restart: \"no\"\n";
        assert_eq!(run("coolify-oneshot-no-exclude", "coolify", &[("docker-compose.yml", y2)]).len(), 1);
    }

    #[test]
    fn excluded_or_long_running_services_stay_silent() {
        let y = "services:\n  migrate:\n    build: .\n    command: npx prisma migrate deploy\n    exclude_from_hc: true\n  app:\n    build: .\n    restart: unless-stopped\n    command: sh -c \"npx prisma migrate deploy && node server.js\"\n    depends_on:\n      migrate:\n        condition: service_completed_successfully\n";
        assert!(run("coolify-oneshot-no-exclude", "coolify", &[("docker-compose.yml", y)]).is_empty());
    }
}
