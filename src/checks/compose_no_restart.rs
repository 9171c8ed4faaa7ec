use super::{database_image, has_word, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "compose-no-restart",
    aspect: Aspect::Operations,
    title: "A long-running compose service has no restart policy",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
In the deployment compose file, finds long-running services (the app built from the repository, a
database, or a service publishing ports) with neither `restart:` nor `deploy.restart_policy`.
One-shot services (migrations, seeds) are left alone.

## Why it matters
The default policy is `no`: after a crash, an out-of-memory kill or a server reboot the service
stays down until someone runs `docker compose up` again.

## Example
```yaml
app:
  build: .
```

## Fix
Add `restart: unless-stopped` (or `always`) to each long-running service.

## References
- https://docs.docker.com/reference/compose-file/services/#restart
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for c in model.deploy_composes() {
        for s in &c.v.services {
            if s.restart.is_some() {
                continue;
            }
            let one_shot = s
                .command
                .as_ref()
                .is_some_and(|(cmd, _)| ["migrate", "seed", "prisma"].iter().any(|w| has_word(cmd, w) || cmd.contains(w)))
                || s.exclude_from_hc
                || !s.profiles.is_empty();
            if one_shot {
                continue;
            }
            let db = s.image.as_ref().is_some_and(|(i, _)| database_image(i).is_some());
            if !(s.build.is_some() || db || !s.ports.is_empty()) {
                continue;
            }
            out.push(super::service_observation(
                RULE.id,
                &c.rel,
                &s.name,
                s.line,
                format!("service `{}` has no restart policy, so it stays down after a crash or a reboot", s.name),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn app_and_db_without_restart_fire() {
        let compose = "services:\n  app:\n    build: .\n  db:\n    image: postgres:16\n";
        let obs = run("compose-no-restart", "vps", &[("docker-compose.yml", compose)]);
        assert_eq!(obs.iter().map(|o| o.line).collect::<Vec<_>>(), vec![Some(2), Some(4)]);
    }

    #[test]
    fn deploy_restart_policy_counts_as_a_restart_policy() {
        let compose = "services:\n  app:\n    build: .\n    deploy:\n      restart_policy:\n        condition: any\n  db:\n    image: postgres:16\n    deploy:\n      replicas: 1\n      restart_policy:\n        condition: on-failure\n";
        assert!(run("compose-no-restart", "vps", &[("docker-compose.yml", compose)]).is_empty());
        // `condition: none` never restarts: the service still has no restart policy for a server.
        let none = "services:\n  app:\n    build: .\n    ports:\n      - \"3000:3000\"\n    deploy:\n      restart_policy:\n        condition: none\n";
        let obs = run("compose-no-restart", "vps", &[("docker-compose.yml", none)]);
        assert!(obs.is_empty(), "a `none` policy is an explicit choice: {obs:?}");
    }

    #[test]
    fn development_and_test_stacks_stay_silent() {
        // The app runs in development mode: a contributor's stack.
        let dev_env = "services:\n  web:\n    build: .\n    environment:\n      NODE_ENV: development\n  db:\n    image: postgres:16\n";
        assert!(run("compose-no-restart", "vps", &[("docker-compose.yml", dev_env)]).is_empty());
        let dev_cmd = "services:\n  web:\n    build: .\n    command: pnpm run dev\n";
        assert!(run("compose-no-restart", "vps", &[("docker-compose.yml", dev_cmd)]).is_empty());
        // The only app container is a test container.
        let test = "services:\n  web-test:\n    build: .\n    ports:\n      - \"3000:3000\"\n";
        assert!(run("compose-no-restart", "vps", &[("docker-compose.yml", test)]).is_empty());
        // Production mode still fires.
        let prod = "services:\n  web:\n    build: .\n    environment:\n      NODE_ENV: production\n";
        assert_eq!(run("compose-no-restart", "vps", &[("docker-compose.yml", prod)]).len(), 1);
    }

    #[test]
    fn a_one_image_helper_next_to_the_full_stack_stays_silent() {
        // `apps/api/docker-compose.yml` builds the image the root stack builds too.
        let helper = "services:\n  api:\n    build:\n      context: ../..\n      dockerfile: apps/api/Dockerfile\n    ports:\n      - \"3000:3000\"\n";
        let stack = "services:\n  api:\n    build:\n      context: .\n      dockerfile: apps/api/Dockerfile\n    restart: always\n  db:\n    image: postgres:16\n    restart: always\n";
        let files = [
            ("apps/api/docker-compose.yml", helper),
            ("docker-compose.yml", stack),
            ("apps/api/Dockerfile", "FROM node:20\n"),
        ];
        assert!(run("compose-no-restart", "vps", &files).is_empty());
        // Alone, the same file is the deployment.
        assert_eq!(run("compose-no-restart", "vps", &files[..1]).len(), 1);
        // Alternatives in one folder (`docker-compose.yml`, `docker-compose.postgres.yml`) are
        // ranked, not treated as helpers of each other.
        let alt = "services:\n  api:\n    build: .\n  db:\n    image: postgres:16\n    restart: always\n";
        let base = "services:\n  api:\n    build: .\n";
        let obs = run(
            "compose-no-restart",
            "vps",
            &[("docker-compose.yml", base), ("docker-compose.postgres.yml", alt)],
        );
        assert_eq!(obs.iter().map(|o| o.file.as_deref()).collect::<Vec<_>>(), vec![Some("docker-compose.yml")]);
    }

    #[test]
    fn restart_policies_and_one_shot_jobs_stay_silent() {
        let compose = "services:\n  app:\n    build: .\n    restart: unless-stopped\n  migrate:\n    build: .\n    command: npx prisma migrate deploy\n";
        assert!(run("compose-no-restart", "vps", &[("docker-compose.yml", compose)]).is_empty());
    }
}
