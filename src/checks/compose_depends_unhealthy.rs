use super::{database_image, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::compose::Service;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "compose-depends-unhealthy",
    aspect: Aspect::Operations,
    title: "The app starts before its database is ready",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
In the deployment compose file, finds a service that `depends_on` a SQL database (Postgres,
MySQL/MariaDB; not a cache, and not MongoDB, whose drivers wait for the server) without
`condition: service_healthy`, or with that condition while the database has no `healthcheck`.
A service that waits for the database itself is left alone: its command or the repository
script it runs waits (`wait_for_db`, `wait-for-it`, `pg_isready`, `nc -z`), its image is known
to wait (`temporalio/auto-setup`, `electricsql/electric`), or it only idles (`tail -f /dev/null`).

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

/// Commands that wait until a database accepts connections.
const WAITS: &[&str] = &[
    "wait_for_db",
    "wait-for-db",
    "wait_for_postgres",
    "wait-for-postgres",
    "wait-for-it",
    "wait-for ",
    "pg_isready",
    "mysqladmin ping",
    "dockerize -wait",
    "nc -z",
];

/// Images whose own entrypoint waits for (or keeps retrying) the database they are given.
const SELF_WAITING_IMAGES: &[&str] = &["temporalio/auto-setup", "electricsql/electric"];

/// Does the service wait for its database by itself, so that the start order does not matter?
fn waits_itself(model: &Model, s: &Service) -> bool {
    let image_waits = s.image.as_ref().is_some_and(|(i, _)| {
        let i = i.to_ascii_lowercase();
        let i = i.strip_prefix("docker.io/").unwrap_or(&i);
        SELF_WAITING_IMAGES
            .iter()
            .any(|w| i.starts_with(&format!("{w}:")) || i.starts_with(&format!("{w}@")) || i == *w)
    });
    if image_waits {
        return true;
    }
    let cmds: Vec<&str> = s.command.iter().chain(s.entrypoint.iter()).map(|(c, _)| c.as_str()).collect();
    // A container kept alive for `docker compose exec` starts nothing that could fail.
    if cmds.iter().any(|c| c.contains("tail -f /dev/null") || c.contains("sleep infinity")) {
        return true;
    }
    if cmds.iter().any(|c| WAITS.iter().any(|w| c.contains(w))) {
        return true;
    }
    // `./bin/docker-entrypoint-api.sh`: the repository's script of that name waits, on a line
    // of its own at the top level (not inside an `if` that the compose file may not satisfy).
    cmds.iter()
        .flat_map(|c| c.split(|ch: char| ch.is_whitespace() || ch == '"' || ch == '\'' || ch == ';' || ch == '&'))
        .any(|word| {
            let Some(name) = word.rsplit('/').next().filter(|n| n.ends_with(".sh") && n.len() > 3) else {
                return false;
            };
            model
                .scripts
                .iter()
                .any(|(rel, text)| rel.rsplit('/').next() == Some(name) && text.lines().any(waits_unconditionally))
        })
}

fn waits_unconditionally(line: &str) -> bool {
    !line.starts_with([' ', '\t']) && !line.starts_with('#') && WAITS.iter().any(|w| line.contains(w))
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for c in model.deploy_composes() {
        for s in &c.v.services {
            if s.depends_on.is_empty() || waits_itself(model, s) {
                continue;
            }
            for dep in &s.depends_on {
                let Some(target) = c.v.services.iter().find(|t| t.name == dep.service) else {
                    continue;
                };
                // Clients of a cache (Redis, Valkey) reconnect, and MongoDB drivers wait for the
                // server (server selection, 30 s by default): only SQL databases refuse the app.
                let Some((kind, _)) = target
                    .image
                    .as_ref()
                    .and_then(|(i, _)| database_image(i))
                    .filter(|(k, _)| !matches!(*k, "redis" | "mongodb"))
                else {
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
    fn caches_and_services_that_wait_themselves_stay_silent() {
        // A cache, an image that waits for its database, an idle admin shell, an inline wait.
        let compose = "services:\n  app:\n    build: .\n    depends_on:\n      - cache\n  sched:\n    image: temporalio/auto-setup:1.2\n    depends_on:\n      - db\n  shell:\n    build: .\n    command: tail -f /dev/null\n    depends_on:\n      - db\n  jobs:\n    build: .\n    command: sh -c \"until pg_isready -h db; do sleep 1; done; node jobs.js\"\n    depends_on:\n      - db\n  cache:\n    image: valkey/valkey:8\n  db:\n    image: postgres:16\n  docs:\n    build: .\n    depends_on:\n      - mongo\n  mongo:\n    image: mongo:7\n";
        assert!(run("compose-depends-unhealthy", "vps", &[("docker-compose.yml", compose)]).is_empty());
        // The entrypoint script the service runs waits for the database.
        let compose =
            "services:\n  api:\n    image: example/api:1\n    command: ./bin/start-api.sh\n    depends_on:\n      - db\n  db:\n    image: postgres:16\n";
        let script = "#!/bin/sh\nset -e\npython manage.py wait_for_db\nexec gunicorn app\n";
        assert!(run(
            "compose-depends-unhealthy",
            "vps",
            &[("docker-compose.yml", compose), ("api/bin/start-api.sh", script)]
        )
        .is_empty());
        // A script of that name that does not wait, or waits only under a condition, keeps the finding.
        let plain = "#!/bin/sh\nexec gunicorn app\n";
        assert_eq!(
            run(
                "compose-depends-unhealthy",
                "vps",
                &[("docker-compose.yml", compose), ("api/bin/start-api.sh", plain)]
            )
            .len(),
            1
        );
        let guarded = "#!/bin/sh\nif [ -n \"$DB_HOST\" ]; then\n  ./wait-for-it.sh $DB_HOST\nfi\nexec gunicorn app\n";
        assert_eq!(
            run(
                "compose-depends-unhealthy",
                "vps",
                &[("docker-compose.yml", compose), ("api/bin/start-api.sh", guarded)]
            )
            .len(),
            1
        );
    }

    #[test]
    fn healthy_condition_with_healthcheck_stays_silent() {
        let compose = "services:\n  app:\n    build: .\n    depends_on:\n      db:\n        condition: service_healthy\n      worker:\n        condition: service_started\n  worker:\n    image: node:20\n  db:\n    image: postgres:16\n    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready\"]\n";
        assert!(run("compose-depends-unhealthy", "vps", &[("docker-compose.yml", compose)]).is_empty());
    }
}
