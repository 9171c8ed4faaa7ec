use super::{database_image, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "compose-db-no-backup",
    aspect: Aspect::Database,
    title: "A database in the compose stack has nothing in the repository that backs it up",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
For each Postgres, MySQL/MariaDB or MongoDB service in the deployment compose file, looks for any
backup in the repository: a script, workflow, package.json script or compose service that runs
`pg_dump`, `pg_dumpall`, `pg_basebackup`, `mysqldump`, `mariadb-dump`, `mongodump`, `wal-g`,
`pgbackrest`, `restic` or `borg`, a backup container image, a scheduler job in a service's labels
(Ofelia), or a file named like a backup script.
Reports the database when there is none.

## Why it matters
A named volume keeps the data across container restarts, not across a failed disk, a deleted
volume (`docker compose down -v`), a bad migration or a compromised server. Without a dump
stored somewhere else, one mistake loses every record.

## Example
```yaml
db:
  image: postgres:16
  volumes:
    - pgdata:/var/lib/postgresql/data
```

## Fix
Schedule a dump that leaves the server, with rotation: e.g. a cron entry running
`docker compose exec -T db pg_dump -U app app | gzip > /backups/app-$(date +%F).sql.gz`, copied
to object storage, plus `find /backups -mtime +30 -delete`; or a backup service such as
`prodrigestivill/postgres-backup-local`. Test a restore.

## References
- https://www.postgresql.org/docs/current/backup-dump.html
- https://docs.docker.com/engine/storage/volumes/#back-up-restore-or-migrate-data-volumes
"#;

const TOOLS: &[&str] = &[
    "pg_dump",
    "pg_dumpall",
    "pg_basebackup",
    "mysqldump",
    "mariadb-dump",
    "mongodump",
    "wal-g",
    "pgbackrest",
    "restic",
    "borg",
    "barman",
];

fn mentions_backup(text: &str) -> bool {
    TOOLS.iter().any(|t| text.contains(t))
}

/// Does anything in the repository back up a database?
fn repository_backs_up(model: &Model) -> bool {
    let m = model;
    if m.scripts.values().any(|b| mentions_backup(b)) || m.workflows.iter().any(|(_, t)| mentions_backup(t)) {
        return true;
    }
    if m.packages().any(|p| p.v.scripts.iter().any(|(_, cmd, _)| mentions_backup(cmd))) {
        return true;
    }
    if m.paths.iter().any(|p| {
        let name = p.rsplit('/').next().unwrap_or(p).to_ascii_lowercase();
        name.contains("backup") && !name.ends_with(".md")
    }) {
        return true;
    }
    m.composes.iter().any(|c| {
        c.v.services.iter().any(|s| {
            s.image.as_ref().is_some_and(|(i, _)| {
                let i = i.to_ascii_lowercase();
                i.contains("backup") || i.contains("restic") || i.contains("borg") || i.contains("wal-g") || i.contains("pgbackrest")
            }) || s.command.as_ref().is_some_and(|(cmd, _)| mentions_backup(cmd))
                || s.entrypoint.as_ref().is_some_and(|(cmd, _)| mentions_backup(cmd))
                // A scheduler's job in labels (`ofelia.job-exec.dump.command: pg_dump ...`) or a
                // backup container's labels (`docker-volume-backup.stop-during-backup`).
                || s.labels.iter().any(|(k, v, _)| mentions_backup(v) || k.to_ascii_lowercase().contains("backup"))
        })
    })
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    let composes = model.deploy_composes();
    let dbs: Vec<_> = composes
        .iter()
        .flat_map(|c| c.v.services.iter().map(move |s| (c, s)))
        .filter_map(|(c, s)| {
            let (image, line) = s.image.as_ref()?;
            let (kind, _) = database_image(image)?;
            // A database without a volume is compose-db-no-volume's finding.
            (kind != "redis" && s.volumes.iter().any(|v| v.source.is_some())).then_some((c, s, kind, *line))
        })
        .collect();
    if dbs.is_empty() || repository_backs_up(model) {
        return out;
    }
    for (c, s, kind, line) in dbs {
        out.push(
            super::service_observation(
                RULE.id,
                &c.rel,
                &s.name,
                line,
                format!(
                    "service `{}` keeps its {kind} data in a volume on this server, and nothing in the repository backs it up",
                    crate::text::sanitize(&s.name)
                ),
            )
            .var("kind", kind),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    const STACK: &str = "services:\n  app:\n    build: .\n    restart: unless-stopped\n  db:\n    image: postgres:16\n    volumes:\n      - pgdata:/var/lib/postgresql/data\nvolumes:\n  pgdata:\n";

    #[test]
    fn database_volume_without_backup_fires() {
        let obs = run("compose-db-no-backup", "vps", &[("docker-compose.yml", STACK)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(6));
    }

    #[test]
    fn backup_script_service_or_cache_only_stay_silent() {
        let script = "#!/bin/sh\ndocker compose exec -T db pg_dump -U app app | gzip > /backups/app.sql.gz\n";
        assert!(run("compose-db-no-backup", "vps", &[("docker-compose.yml", STACK), ("ops/nightly.sh", script)]).is_empty());
        let with_service = format!("{STACK}  backup:\n    image: prodrigestivill/postgres-backup-local:16\n");
        let with_service = with_service
            .replace("volumes:\n  pgdata:\n  backup:", "  backup:")
            .replace("\nvolumes:\n  pgdata:\n", "\n");
        assert!(
            run("compose-db-no-backup", "vps", &[("docker-compose.yml", &with_service)]).is_empty(),
            "{with_service}"
        );
        let ofelia = format!("{STACK}  cron:\n    image: mcuadros/ofelia:latest\n    labels:\n      ofelia.job-exec.dump.schedule: \"@daily\"\n      ofelia.job-exec.dump.command: \"pg_dump -U app app\"\n");
        let ofelia = ofelia.replace("\nvolumes:\n  pgdata:\n  cron:", "\n  cron:");
        assert!(run("compose-db-no-backup", "vps", &[("docker-compose.yml", &ofelia)]).is_empty(), "{ofelia}");
        let idle_cron = ofelia.replace("pg_dump -U app app", "echo hi");
        assert_eq!(
            run("compose-db-no-backup", "vps", &[("docker-compose.yml", &idle_cron)]).len(),
            1,
            "{idle_cron}"
        );
        let cache = "services:\n  app:\n    build: .\n  cache:\n    image: redis:7\n    volumes:\n      - r:/data\n";
        assert!(run("compose-db-no-backup", "vps", &[("docker-compose.yml", cache)]).is_empty());
        // No volume: that is compose-db-no-volume's finding, not this one.
        let bare = "services:\n  app:\n    build: .\n  db:\n    image: postgres:16\n";
        assert!(run("compose-db-no-backup", "vps", &[("docker-compose.yml", bare)]).is_empty());
    }
}
