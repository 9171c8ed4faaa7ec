use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "compose-no-healthcheck",
    aspect: Aspect::Operations,
    title: "The app's compose service has no health check",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
In the deployment compose file, finds the services built from the repository that run a server
(not one-shot jobs, workers or schedulers) with no `healthcheck:` and no `HEALTHCHECK` in the
Dockerfile they build.

## Why it matters
Without a health check Docker reports the container as running even while the server is stuck
or still migrating: `depends_on: condition: service_healthy` cannot wait for it, `docker compose
ps` shows nothing wrong, and on Coolify the proxy routes to it as soon as it starts.

## Example
```yaml
app:
  build: .
  restart: unless-stopped
```

## Fix
Add a health check that calls the app's health route with a tool the image has, e.g.
`test: ["CMD", "wget", "-qO-", "http://127.0.0.1:3000/api/health"]` with `start_period` long
enough for migrations.

## References
- https://docs.docker.com/reference/compose-file/services/#healthcheck
- https://coolify.io/docs/applications/configuration/health-checks
"#;

fn run(model: &Model) -> Vec<Observation> {
    let m = model;
    let mut out = Vec::new();
    for c in m.deploy_composes() {
        for s in &c.v.services {
            let Some(b) = &s.build else { continue };
            if s.healthcheck.is_some() || s.exclude_from_hc || !s.profiles.is_empty() {
                continue;
            }
            let one_shot = s.restarts_once()
                || s.command.as_ref().is_some_and(|(cmd, _)| {
                    ["migrate", "seed", "worker", "cron", "queue", "beat", "scheduler"]
                        .iter()
                        .any(|w| cmd.contains(w))
                });
            if one_shot {
                continue;
            }
            let (_, df_path) = crate::model::compose_build_paths(&c.rel, b);
            let image_checks = m
                .dockerfiles
                .iter()
                .find(|d| d.rel == df_path)
                .is_some_and(|d| super::final_instructions(&d.df).iter().any(|i| i.keyword == "HEALTHCHECK"));
            if image_checks {
                continue;
            }
            out.push(super::service_observation(
                RULE.id,
                &c.rel,
                &s.name,
                s.line,
                format!(
                    "service `{}` has no health check, so nothing tells when its server is actually ready",
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
    fn app_without_healthcheck_fires() {
        let y = "services:\n  app:\n    build: .\n    restart: unless-stopped\n";
        let obs = run(
            "compose-no-healthcheck",
            "vps",
            &[("Dockerfile", "FROM node:20\nCMD node server.js\n"), ("docker-compose.yml", y)],
        );
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(2));
    }

    #[test]
    fn compose_or_image_healthcheck_and_one_shot_jobs_stay_silent() {
        let y = "services:\n  app:\n    build: .\n    healthcheck:\n      test: [\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:3000/api/health\"]\n  migrate:\n    build: .\n    command: npx prisma migrate deploy\n    restart: \"no\"\n  beat:\n    build: .\n    command: ./bin/entrypoint-beat.sh\n";
        assert!(run("compose-no-healthcheck", "vps", &[("Dockerfile", "FROM node:20\n"), ("docker-compose.yml", y)]).is_empty());
        let df = "FROM node:20-alpine\nHEALTHCHECK CMD wget -qO- http://127.0.0.1:3000/ || exit 1\nCMD node server.js\n";
        assert!(run(
            "compose-no-healthcheck",
            "vps",
            &[("Dockerfile", df), ("docker-compose.yml", "services:\n  app:\n    build: .\n")]
        )
        .is_empty());
        // Images pulled from a registry are not the repository's to fix.
        assert!(run(
            "compose-no-healthcheck",
            "vps",
            &[("docker-compose.yml", "services:\n  app:\n    image: ghcr.io/x/app:1\n")]
        )
        .is_empty());
    }
}
