use super::{database_image, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::compose::MountKind;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "compose-db-no-volume",
    aspect: Aspect::Database,
    title: "A database in compose keeps its data in the container",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
In the compose file that describes the deployment (not `*.override.yml` / `*.dev.yml`), finds a
Postgres, MySQL/MariaDB or MongoDB service (by image) with no named volume or bind mount at or
above its data directory (`/var/lib/postgresql/data`, `/var/lib/mysql`, `/data/db`). Redis counts only when it
persists (`--appendonly yes` or `--save`).

## Why it matters
Without a volume the data lives in the container's writable layer: `docker compose down`, an image
upgrade or any recreation of the container deletes the database.

## Example
```yaml
db:
  image: postgres:16
```

## Fix
Mount a named volume at the data directory:
```yaml
db:
  image: postgres:16
  volumes:
    - pgdata:/var/lib/postgresql/data
volumes:
  pgdata:
```

## References
- https://docs.docker.com/engine/storage/volumes/
- https://hub.docker.com/_/postgres
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for c in model.deploy_composes() {
        for s in &c.v.services {
            let Some((image, line)) = &s.image else { continue };
            let Some((kind, data)) = database_image(image) else { continue };
            if kind == "redis" {
                let persists = s
                    .command
                    .as_ref()
                    .is_some_and(|(cmd, _)| cmd.contains("--appendonly yes") || cmd.contains("--save "));
                if !persists {
                    continue;
                }
            }
            // An anonymous volume (`- /var/lib/postgresql/data`) or a tmpfs is not kept by
            // `docker compose down` / `up`: only a named volume or a bind mount keeps the data.
            let covered = s.volumes.iter().filter(|m| matches!(m.kind, MountKind::Named | MountKind::Bind)).any(|m| {
                let t = m.target.trim_end_matches('/');
                !t.is_empty()
                    && (data == t
                        || data.starts_with(&format!("{t}/"))
                        || t.starts_with(&format!("{data}/"))
                        || (kind == "postgres" && t == "/var/lib/postgresql"))
            });
            if !covered {
                out.push(
                    super::service_observation(RULE.id, &c.rel, &s.name, *line, format!(
                            "service `{}` runs {kind} with no named volume at `{data}`, so its data sits in the container or an anonymous volume that `docker compose down` leaves behind and the next `up` does not reuse",
                            s.name
                        ))
                    .var("path", data),
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
    fn postgres_without_volume_fires() {
        let compose = "services:\n  db:\n    image: postgres:16-alpine\n    environment:\n      POSTGRES_PASSWORD: x\n  app:\n    build: .\n";
        let obs = run("compose-db-no-volume", "vps", &[("docker-compose.yml", compose)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(3));
    }

    #[test]
    fn named_volume_cache_redis_and_dev_files_stay_silent() {
        let compose = "services:\n  app:\n    build: .\n  db:\n    image: postgres:16\n    volumes:\n      - pgdata:/var/lib/postgresql/data\n  cache:\n    image: redis:7\nvolumes:\n  pgdata:\n";
        let db_only = "services:\n  db:\n    image: postgres:16\n";
        assert!(
            run("compose-db-no-volume", "vps", &[("docker-compose.yml", db_only)]).is_empty(),
            "a database-only file is a development helper"
        );
        assert!(run("compose-db-no-volume", "vps", &[("docker-compose.yml", compose)]).is_empty());
        let dev = "services:\n  app:\n    build: .\n  db:\n    image: postgres:16\n";
        assert!(run("compose-db-no-volume", "vps", &[("docker-compose.dev.yml", dev)]).is_empty());
        assert!(run("compose-db-no-volume", "vps", &[("docker-compose.integration.yml", dev)]).is_empty());
    }

    #[test]
    fn an_anonymous_volume_at_the_data_directory_fires() {
        let compose = "services:\n  app:\n    build: .\n  db:\n    image: postgres:16\n    volumes:\n      - /var/lib/postgresql/data\n";
        assert_eq!(run("compose-db-no-volume", "vps", &[("docker-compose.yml", compose)]).len(), 1);
        let bind = "services:\n  app:\n    build: .\n  db:\n    image: postgres:16\n    volumes:\n      - ./pgdata:/var/lib/postgresql/data\n";
        assert!(run("compose-db-no-volume", "vps", &[("docker-compose.yml", bind)]).is_empty());
    }

    #[test]
    fn a_file_whose_header_says_it_is_not_for_production_stays_silent() {
        let demo =
            "# Demo stack: for demonstration only, do not use in production.\nservices:\n  app:\n    image: example/app:1\n  db:\n    image: postgres:16\n";
        assert!(run("compose-db-no-volume", "vps", &[("docker-compose.yml", demo)]).is_empty());
        // A header that only points at the development file describes that file.
        let prod = "# Self-hosting stack. For development only, use docker-compose.dev.yml instead.\nservices:\n  app:\n    image: example/app:1\n  db:\n    image: postgres:16\n";
        assert_eq!(run("compose-db-no-volume", "vps", &[("docker-compose.yml", prod)]).len(), 1);
    }
}
