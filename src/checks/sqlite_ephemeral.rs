use super::ephemeral_disk_write::{container_path, declared_volume, local_target, volume_config};
use super::{deployable_apps, final_instructions, Check, Ctx, Rule};
use crate::model::App;
use crate::observe::Observation;
use crate::parse::prisma::PValue;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "sqlite-ephemeral",
    aspect: Aspect::Statelessness,
    title: "The database is an SQLite file on the container's disk",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Finds an SQLite database kept in a local file: a Prisma datasource with `provider = "sqlite"`
(its `file:` URL, written in the schema or taken from the `DATABASE_URL` the repository sets), or
server code opening a file with better-sqlite3 / sqlite3 (`new Database('data.db')`) or an ORM
configured for SQLite (knex `client: 'sqlite3'` + `connection.filename`, Sequelize
`dialect: 'sqlite'` + `storage`, TypeORM `type: 'sqlite'` + `database`). Silent when
a volume the platform reads from the repository (compose `volumes:`, fly.toml `[[mounts]]`,
render.yaml `disk`) covers the file, and for remote libSQL / Turso URLs.

## Why it matters
On platforms with an ephemeral disk the file, and every row in it, is gone after a restart,
redeploy or reschedule; with several instances each one has its own database.

## Example
```prisma
datasource db {
  provider = "sqlite"
  url      = "file:./dev.db"
}
```

## Fix
Use a managed database (Postgres, MySQL, or a hosted libSQL such as Turso), or mount a persistent
volume at the database's directory and run a single instance.

## References
- https://www.prisma.io/docs/orm/overview/databases/sqlite
- https://fly.io/docs/volumes/overview/
"#;

/// The value the deployment gives `name`: Dockerfile ENV, fly.toml [env], compose environment,
/// a committed env file of the app, else the app's template. (value, file, line)
fn env_value(ctx: &Ctx, app: &App, name: &str) -> Option<(String, String, usize)> {
    let m = ctx.model;
    if let Some(d) = m.dockerfile_of(app) {
        for ins in final_instructions(&d.df).into_iter().rev().filter(|i| i.keyword == "ENV") {
            if let Some((_, Some(v))) = ins.key_values().iter().find(|(k, _)| k == name) {
                return Some((v.clone(), d.rel.clone(), ins.line));
            }
        }
        for (c, s, _) in m.services_building(&d.rel) {
            if let Some(e) = s.environment.iter().find(|e| e.name == name) {
                if let Some(v) = &e.value {
                    return Some((v.clone(), c.rel.clone(), e.line));
                }
            }
        }
    }
    for f in &m.fly {
        if let Some((_, v, l)) = f.v.env.iter().find(|(k, _, _)| k == name) {
            return Some((v.clone(), f.rel.clone(), *l));
        }
    }
    let in_app = |rel: &str| crate::text::under(rel, &app.dir);
    for template in [false, true] {
        for e in m
            .env_files
            .iter()
            .filter(|e| e.template == template && in_app(&e.rel) && !crate::model::is_test_path(&e.rel))
        {
            if let Some(x) = e.entries.iter().find(|x| x.name == name && !x.commented) {
                return Some((x.value.clone(), e.rel.clone(), x.line));
            }
        }
    }
    None
}

/// `file:./dev.db` → `./dev.db`.
fn file_url(v: &str) -> Option<&str> {
    let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
    v.strip_prefix("file:").map(|p| p.split('?').next().unwrap_or(p))
}

fn message(ctx: &Ctx, path: &str) -> String {
    if ctx.facts.ephemeral_disk {
        format!(
            "the SQLite database `{path}` is a file on the container's local disk, which {} does not keep across restarts and redeploys: the data is lost",
            ctx.platform.name
        )
    } else {
        format!("the SQLite database `{path}` is a file inside the container, lost when the container is recreated unless a volume is mounted there")
    }
}

fn run(ctx: &Ctx) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(ctx.model) {
        let covered = |local: &str| container_path(ctx, app, local).is_some_and(|p| declared_volume(ctx, app, &p).is_some());
        if let Some(schema) = &app.prisma {
            let remote = app.dep("@prisma/adapter-libsql").is_some() || app.dep("@libsql/client").is_some();
            for ds in &schema.v.datasources {
                let Some((prov, pline)) = &ds.provider else { continue };
                if prov != "sqlite" || remote {
                    continue;
                }
                let (url, from) = match &ds.url {
                    Some((PValue::Str(s), _)) => (Some(s.clone()), None),
                    Some((PValue::Env(n), _)) => match env_value(ctx, app, n) {
                        Some((v, f, l)) => (Some(v), Some((n.clone(), f, l))),
                        None => (None, None),
                    },
                    _ => (None, None),
                };
                let schema_dir = crate::text::parent(app.local(&schema.rel)).to_string();
                let path = url.as_deref().and_then(file_url).map(|p| {
                    if p.starts_with('/') {
                        p.to_string()
                    } else {
                        crate::text::join(&schema_dir, p.trim_start_matches("./"))
                    }
                });
                if path.as_deref().is_some_and(&covered) {
                    continue;
                }
                if url.as_deref().is_some_and(|u| file_url(u).is_none() && !u.trim().is_empty()) {
                    continue; // libsql://, http://: not a local file
                }
                let shown = path.clone().unwrap_or_else(|| "the `file:` URL".into());
                let dir = path.as_deref().map(|p| crate::text::parent(p).to_string());
                let mount = dir
                    .as_deref()
                    .and_then(|d| container_path(ctx, app, d))
                    .or(dir)
                    .unwrap_or_else(|| "the database directory".into());
                let mut o = Observation::at(RULE.id, &schema.rel, *pline, message(ctx, &shown))
                    .var("path", mount)
                    .key(format!("prisma:{shown}"));
                if let Some((n, f, l)) = from {
                    o = o.related(&f, Some(l), format!("`{n}` points the datasource at this file"));
                }
                if let Some((file, line, what)) = volume_config(ctx, app) {
                    o = o.related(&file, line, format!("{what} mounts no volume over the database file"));
                }
                out.push(o);
            }
        }
        for src in app.sources.iter().filter(|s| s.runtime) {
            for w in src.facts.fs_writes.iter().filter(|w| w.func == "Database") {
                let Some((target, _)) = local_target(&w.path) else { continue };
                if target == "." || target.is_empty() || covered(&target) {
                    continue;
                }
                let dir = crate::text::parent(&target).to_string();
                let mount = container_path(ctx, app, &dir).unwrap_or(dir);
                let mut o = Observation::at(RULE.id, &src.rel, w.line, message(ctx, &target))
                    .var("path", mount)
                    .key(format!("db:{target}"));
                if let Some((file, line, what)) = volume_config(ctx, app) {
                    o = o.related(&file, line, format!("{what} mounts no volume over the database file"));
                }
                out.push(o);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, run, NEXT_PKG};

    const SCHEMA: &str = "datasource db {\n  provider = \"sqlite\"\n  url      = \"file:./dev.db\"\n}\n";

    #[test]
    fn prisma_sqlite_and_better_sqlite3_fire() {
        let obs = koyeb("sqlite-ephemeral", &[("package.json", NEXT_PKG), ("prisma/schema.prisma", SCHEMA)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(2));
        assert!(obs[0].message.contains("prisma/dev.db"), "{}", obs[0].message);
        let src = "import Database from 'better-sqlite3';\nexport const db = new Database('data/app.db');\n";
        let obs = koyeb("sqlite-ephemeral", &[("package.json", NEXT_PKG), ("lib/db.ts", src)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        // From env, with the template's value.
        let env_schema = SCHEMA.replace("\"file:./dev.db\"", "env(\"DATABASE_URL\")");
        let obs = koyeb(
            "sqlite-ephemeral",
            &[
                ("package.json", NEXT_PKG),
                ("prisma/schema.prisma", &env_schema),
                (".env.example", "DATABASE_URL=file:./data.db\n"),
            ],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].related.len(), 1);
    }

    #[test]
    fn volumes_postgres_memory_and_remote_urls_stay_silent() {
        let df = "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nCMD [\"npm\", \"start\"]\n";
        let fly = "app = \"a\"\n[[mounts]]\n  source = \"data\"\n  destination = \"/app/prisma\"\n";
        let files = [
            ("package.json", NEXT_PKG),
            ("prisma/schema.prisma", SCHEMA),
            ("Dockerfile", df),
            ("fly.toml", fly),
        ];
        assert!(run("sqlite-ephemeral", "fly", &files).is_empty());
        assert_eq!(run("sqlite-ephemeral", "koyeb", &files).len(), 1);
        let pg = SCHEMA.replace("sqlite", "postgresql").replace("file:./dev.db", "postgresql://x");
        let mem = "import Database from 'better-sqlite3';\nexport const db = new Database(':memory:');\n";
        let obs = koyeb(
            "sqlite-ephemeral",
            &[("package.json", NEXT_PKG), ("prisma/schema.prisma", &pg), ("lib/db.ts", mem)],
        );
        assert!(obs.is_empty(), "{obs:?}");
        let turso = SCHEMA.replace("\"file:./dev.db\"", "env(\"DATABASE_URL\")");
        let obs = koyeb(
            "sqlite-ephemeral",
            &[
                ("package.json", NEXT_PKG),
                ("prisma/schema.prisma", &turso),
                (".env.example", "DATABASE_URL=libsql://db-acme.turso.io\n"),
            ],
        );
        assert!(obs.is_empty(), "{obs:?}");
    }
}
