use super::{deployable_apps, final_instructions, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "in-app-db-backup",
    aspect: Aspect::Statelessness,
    title: "The web app runs database dump tools (pg_dump) itself",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds server code that spawns `pg_dump`, `pg_dumpall`, `mysqldump` or `mongodump` with
`child_process` (or execa), and points at the Dockerfile line that installs the client tools.

## Why it matters
A backup taken inside the web container needs the database client in the image, runs on the web
instance's CPU and memory, and writes its dump to the container's disk, which is lost on restart on
platforms with an ephemeral disk. A backup that vanishes with the instance is not a backup.

## Example
```ts
execFile('pg_dump', [process.env.DATABASE_URL!, '-f', path.join(BACKUP_DIR, file)]);
```

## Fix
Use the managed database's own backups (PITR), or run the dump as a separate scheduled job that
streams to object storage; then remove `postgresql-client` from the web image.

## References
- https://www.koyeb.com/docs/reference/storage
- https://www.postgresql.org/docs/current/app-pgdump.html
"#;

const TOOLS: &[&str] = &["pg_dump", "pg_dumpall", "mysqldump", "mongodump", "pg_basebackup"];
const PACKAGES: &[&str] = &[
    "postgresql-client",
    "postgresql16-client",
    "postgresql15-client",
    "postgresql-client-16",
    "postgresql-client-15",
    "mysql-client",
    "mariadb-client",
    "mongodb-database-tools",
];

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        let install = model.dockerfile_of(app).and_then(|d| {
            final_instructions(&d.df)
                .into_iter()
                .find(|i| i.keyword == "RUN" && PACKAGES.iter().any(|p| super::has_word(&i.command_text(), p)))
                .map(|i| (d.rel.clone(), i.line))
        });
        for src in app.sources.iter().filter(|s| s.runtime) {
            for c in &src.facts.child_processes {
                let Some(prog) = c.program.as_deref() else { continue };
                if !TOOLS.contains(&prog) {
                    continue;
                }
                let mut o = Observation::at(
                    RULE.id,
                    &src.rel,
                    c.line,
                    format!("server code runs `{prog}` inside the web container, so backups depend on the instance's disk and on database client tools in the image"),
                )
                .var("tool", prog)
                .key(prog);
                if let Some((rel, line)) = &install {
                    o = o.related(rel, Some(*line), "the image installs the database client for this");
                }
                out.push(o);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn pg_dump_from_server_code_fires_with_the_install_line() {
        let df = "FROM node:20-alpine\nWORKDIR /app\nRUN apk add --no-cache postgresql-client\nCOPY . .\nCMD [\"npm\",\"start\"]\n";
        let src = "import { execFile } from 'child_process';\nexport function backup() {\n  execFile('pg_dump', ['-f', 'x.sql']);\n}\n";
        let obs = koyeb("in-app-db-backup", &[("package.json", NEXT_PKG), ("Dockerfile", df), ("lib/backup.ts", src)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(3));
        assert_eq!(obs[0].related[0].line, Some(3));
    }

    #[test]
    fn other_child_processes_and_scripts_stay_silent() {
        let src = "import { execSync } from 'child_process';\nexport function v() { return execSync('git rev-parse HEAD'); }\n";
        let script = "import { execSync } from 'child_process';\nexecSync('pg_dump db > x.sql');\n";
        let obs = koyeb(
            "in-app-db-backup",
            &[("package.json", NEXT_PKG), ("lib/v.ts", src), ("scripts/backup.ts", script)],
        );
        assert!(obs.is_empty(), "{obs:?}");
    }
}
