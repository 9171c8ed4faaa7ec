use super::{deployable_apps, has_seq, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "migrate-at-start",
    aspect: Aspect::Database,
    title: "Database migrations run every time the container starts",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds `prisma migrate deploy`, `drizzle-kit migrate` / `push` or `knex migrate:latest` in what the
container runs at start: the Dockerfile CMD/ENTRYPOINT, the shell scripts they call and the
package.json scripts they invoke.

## Why it matters
Migrations at start delay the moment the app listens (health checks with a short grace period
fail), run concurrently when several instances start together, and a failed migration leaves the
instance crash-looping. A platform with a release / pre-deploy step runs them once per deploy.

## Example
```sh
npx prisma migrate deploy && node server.js
```

## Fix
Run migrations once per deploy: the platform's release or pre-deploy command, a CI step before the
deploy, or a one-off job; keep the container start to `node server.js`.

## References
- https://www.prisma.io/docs/orm/prisma-client/deployment/deploy-database-changes-with-prisma-migrate
- https://www.koyeb.com/docs/run-and-scale/health-checks
"#;

pub const MIGRATE: &[&[&str]] = &[
    &["prisma", "migrate", "deploy"],
    &["drizzle-kit", "migrate"],
    &["drizzle-kit", "push"],
    &["knex", "migrate:latest"],
    &["sequelize", "db:migrate"],
    &["typeorm", "migration:run"],
];

/// The migration a command runs: a known migration CLI, an npm script named like a migration,
/// or a migration script file run with node/tsx (`node dist/db/migrate.js`).
pub fn migration_command(text: &str) -> Option<String> {
    if let Some(seq) = MIGRATE.iter().find(|s| has_seq(text, s)) {
        return Some(seq.join(" "));
    }
    for script in ["migrate", "db:migrate", "migrate:deploy", "migration:run", "db:deploy"] {
        if has_seq(text, &["run", script]) || has_seq(text, &["yarn", script]) || has_seq(text, &["pnpm", script]) {
            return Some(format!("npm run {script}"));
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let name = w.rsplit('/').next().unwrap_or(w);
        let is_file = ["migrate.js", "migrate.mjs", "migrate.cjs", "migrate.ts"].contains(&name);
        let runner = i > 0 && ["node", "tsx", "ts-node", "bun"].iter().any(|r| words[i - 1].ends_with(r));
        if is_file && runner {
            return Some(format!("{} {w}", words[i - 1]));
        }
    }
    None
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        for c in model.start_commands(app) {
            if let Some(what) = migration_command(&c.text) {
                out.push(
                    Observation::at(
                        RULE.id,
                        &c.file,
                        c.line,
                        format!("`{what}` runs at container start ({}), on every restart and in every instance", c.via),
                    )
                    .var("command", what.clone())
                    .key(what),
                );
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn entrypoint_script_migrations_fire() {
        let df = "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nCOPY docker-entrypoint.sh /docker-entrypoint.sh\nENTRYPOINT [\"/docker-entrypoint.sh\"]\n";
        let sh = "#!/bin/sh\nset -e\nnpx prisma migrate deploy\nexec node server.js\n";
        let obs = koyeb(
            "migrate-at-start",
            &[("package.json", NEXT_PKG), ("Dockerfile", df), ("docker-entrypoint.sh", sh)],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].file.as_deref(), Some("docker-entrypoint.sh"));
        assert_eq!(obs[0].line, Some(3));
    }

    #[test]
    fn migration_scripts_are_recognised() {
        assert_eq!(
            super::migration_command("node apps/backend/dist/db/migrate.js").as_deref(),
            Some("node apps/backend/dist/db/migrate.js")
        );
        assert_eq!(
            super::migration_command("npm run db:migrate && npm start").as_deref(),
            Some("npm run db:migrate")
        );
        assert_eq!(super::migration_command("node server.js"), None);
        assert_eq!(super::migration_command("cat migrate.js"), None);
    }

    #[test]
    fn migrations_in_build_scripts_only_stay_silent() {
        let pkg = NEXT_PKG.replace("\"dev\": \"next dev\"", "\"dev\": \"next dev\", \"db:deploy\": \"prisma migrate deploy\"");
        assert!(koyeb("migrate-at-start", &[("package.json", &pkg)]).is_empty());
    }
}
