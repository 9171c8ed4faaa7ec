use super::{app_for_config, has_seq, Check, Ctx, Rule};
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "release-touches-volume",
    aspect: Aspect::Statelessness,
    title: "The release / pre-deploy command works on a volume it cannot see",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Reads the release or pre-deploy command from the file the platform uses (fly.toml
`[deploy] release_command`, railway.json/toml `deploy.preDeployCommand`, render.yaml
`preDeployCommand`) and reports it when it writes under a volume's mount path declared in that
file, or migrates a SQLite database (Prisma `provider = "sqlite"`, a `file:` database URL).

## Why it matters
These commands run in a separate, temporary container from the new image, and the volume is not
mounted there: Fly's release Machine has no volumes, Railway's pre-deploy container mounts none
and discards its filesystem, Render mounts a disk only on the running service. A SQLite migration
then creates and migrates a fresh file that is thrown away, while the live database on the
volume is never migrated; the new code meets the old schema.

## Example
```toml
[deploy]
  release_command = "npx prisma migrate deploy"   # schema.prisma: provider = "sqlite"
[[mounts]]
  source = "data"
  destination = "/data"
```

## Fix
Run SQLite migrations in the start command, before the server starts (`npx prisma migrate
deploy && node server.js`), where the volume is mounted; keep release / pre-deploy commands for
databases reached over the network.

## References
- https://fly.io/docs/reference/configuration/#run-one-off-commands-before-releasing-a-deployment
- https://docs.railway.com/deployments/pre-deploy-command
- https://fly.io/docs/js/prisma/sqlite/
"#;

fn migrates(cmd: &str) -> bool {
    has_seq(cmd, &["prisma", "migrate", "deploy"])
        || has_seq(cmd, &["prisma", "db", "push"])
        || has_seq(cmd, &["drizzle-kit", "migrate"])
        || has_seq(cmd, &["drizzle-kit", "push"])
        || has_seq(cmd, &["knex", "migrate:latest"])
        || has_seq(cmd, &["sequelize", "db:migrate"])
}

fn run(ctx: &Ctx) -> Vec<Observation> {
    let m = ctx.model;
    let mut out = Vec::new();
    // (command, file, line, mount paths declared in the same file)
    let mut cmds: Vec<(String, String, usize, Vec<String>)> = Vec::new();
    match ctx.facts.config_file.as_str() {
        "fly.toml" => {
            for f in &m.fly {
                if let Some((c, l)) = &f.v.release_command {
                    cmds.push((c.clone(), f.rel.clone(), *l, f.v.mounts.iter().map(|(_, d, _)| d.clone()).collect()));
                }
            }
        }
        "railway" => {
            for r in &m.railway {
                for (c, l) in &r.v.pre_deploy {
                    cmds.push((c.clone(), r.rel.clone(), *l, Vec::new()));
                }
            }
        }
        "render.yaml" => {
            for r in &m.render {
                for s in &r.v.services {
                    if let Some((c, l)) = &s.pre_deploy_command {
                        cmds.push((c.clone(), r.rel.clone(), *l, s.disk.iter().map(|(p, _)| p.clone()).collect()));
                    }
                }
            }
        }
        _ => {}
    }
    for (cmd, file, line, mounts) in cmds {
        let mount = mounts.iter().find(|p| {
            let p = p.trim_end_matches('/');
            !p.is_empty()
                && cmd
                    .split(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '=')
                    .any(|w| w == p || w.starts_with(&format!("{p}/")))
        });
        if let Some(p) = mount {
            out.push(
                Observation::at(
                    RULE.id,
                    &file,
                    line,
                    format!(
                        "`{}` works under `{p}`, a volume that is not mounted where this command runs",
                        crate::text::sanitize(&cmd)
                    ),
                )
                .var("path", p.clone())
                .var("command", cmd.clone())
                .key(format!("{file}:{p}")),
            );
            continue;
        }
        if !migrates(&cmd) {
            continue;
        }
        let Some(app) = app_for_config(m, &file) else { continue };
        let sqlite = app.prisma.as_ref().and_then(|p| {
            p.v.datasources
                .iter()
                .find_map(|d| d.provider.as_ref().filter(|(prov, _)| prov == "sqlite").map(|(_, l)| (p.rel.clone(), *l)))
        });
        let Some((schema, schema_line)) = sqlite else { continue };
        out.push(
            Observation::at(
                RULE.id,
                &file,
                line,
                format!(
                    "`{}` migrates a SQLite database, but it runs in a separate container without the volume, so the live database file is never migrated",
                    crate::text::sanitize(&cmd)
                ),
            )
            .related(&schema, Some(schema_line), "the datasource is SQLite")
            .var("path", "the volume")
            .var("command", cmd.clone())
            .key(format!("{file}:sqlite")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{run, NEXT_PKG};

    const SQLITE: &str = "datasource db {\n  provider = \"sqlite\"\n  url = env(\"DATABASE_URL\")\n}\n";
    const PG: &str = "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n";

    #[test]
    fn sqlite_migration_or_mount_write_in_release_fires() {
        let fly = "app = \"a\"\n[deploy]\n  release_command = \"npx prisma migrate deploy\"\n[[mounts]]\n  source = \"data\"\n  destination = \"/data\"\n";
        let obs = run(
            "release-touches-volume",
            "fly",
            &[("package.json", NEXT_PKG), ("prisma/schema.prisma", SQLITE), ("fly.toml", fly)],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(3));
        assert_eq!(obs[0].related[0].file, "prisma/schema.prisma");
        let fly2 = "app = \"a\"\n[deploy]\n  release_command = \"node scripts/export.js --out /data/export.json\"\n[[mounts]]\n  source = \"data\"\n  destination = \"/data\"\n";
        assert_eq!(run("release-touches-volume", "fly", &[("package.json", NEXT_PKG), ("fly.toml", fly2)]).len(), 1);
        let rw = "{\"deploy\": {\"preDeployCommand\": [\"npx prisma migrate deploy\"]}}";
        assert_eq!(
            run(
                "release-touches-volume",
                "railway",
                &[("package.json", NEXT_PKG), ("prisma/schema.prisma", SQLITE), ("railway.json", rw)]
            )
            .len(),
            1
        );
    }

    #[test]
    fn postgres_migrations_and_other_paths_stay_silent() {
        let fly = "app = \"a\"\n[deploy]\n  release_command = \"npx prisma migrate deploy\"\n[[mounts]]\n  source = \"data\"\n  destination = \"/data\"\n";
        assert!(run(
            "release-touches-volume",
            "fly",
            &[("package.json", NEXT_PKG), ("prisma/schema.prisma", PG), ("fly.toml", fly)]
        )
        .is_empty());
        let fly2 =
            "app = \"a\"\n[deploy]\n  release_command = \"node scripts/warm.js /database-cache\"\n[[mounts]]\n  source = \"data\"\n  destination = \"/data\"\n";
        assert!(run("release-touches-volume", "fly", &[("package.json", NEXT_PKG), ("fly.toml", fly2)]).is_empty());
        // fly.toml is not what Render reads.
        assert!(run(
            "release-touches-volume",
            "render",
            &[("package.json", NEXT_PKG), ("prisma/schema.prisma", SQLITE), ("fly.toml", fly)]
        )
        .is_empty());
    }
}
