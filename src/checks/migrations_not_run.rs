use super::{deploy_commands, deployable_apps, has_seq, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "migrations-not-run",
    aspect: Aspect::Database,
    title: "Prisma migrations exist but nothing in the repository applies them",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Fires when `prisma/migrations/*/migration.sql` exist and no Dockerfile, compose service, start
command, package.json script, shell script or CI workflow runs `prisma migrate deploy`.

## Why it matters
The new schema then only reaches production if someone remembers to apply it by hand; the deploy
starts code that expects tables and columns that do not exist yet.

## Example
A repository with `prisma/migrations/20240101_init/migration.sql` and a start command of
`node server.js` only.

## Fix
Apply migrations once per deploy: the platform's release / pre-deploy command where it has one, a
CI step before the deploy, or the container start for a single instance.

## References
- https://www.prisma.io/docs/orm/prisma-client/deployment/deploy-database-changes-with-prisma-migrate
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    let m = model;
    let seq = ["prisma", "migrate", "deploy"];
    // A compose service (a one-off `migrate` service, a `command:`) or any Dockerfile runs it.
    let compose = m
        .composes
        .iter()
        .flat_map(|c| &c.v.services)
        .any(|s| s.command.iter().chain(&s.entrypoint).any(|(t, _)| has_seq(t, &seq)));
    let dockerfiles = m
        .dockerfiles
        .iter()
        .flat_map(|d| &d.df.instructions)
        .any(|i| matches!(i.keyword.as_str(), "CMD" | "ENTRYPOINT" | "RUN") && has_seq(&i.command_text(), &seq));
    let elsewhere = m.scripts.values().any(|s| has_seq(s, &seq)) || m.workflows.iter().any(|(_, t)| has_seq(t, &seq)) || compose || dockerfiles;
    for app in deployable_apps(m) {
        if !app.has_migrations || elsewhere {
            continue;
        }
        let scripts = app.package.as_ref().is_some_and(|p| p.v.scripts.iter().any(|(_, c, _)| has_seq(c, &seq)));
        if scripts || deploy_commands(m, app).iter().any(|c| has_seq(&c.text, &seq)) {
            continue;
        }
        let Some(schema) = &app.prisma else { continue };
        out.push(
            Observation::new(
                RULE.id,
                Some(&schema.rel),
                Some(1),
                "the repository has Prisma migrations, but nothing in it runs `prisma migrate deploy`, so schema changes reach production only by hand",
            )
            .key(schema.rel.clone()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    const SCHEMA: &str = "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n";

    #[test]
    fn migrations_never_applied_fire() {
        let obs = koyeb(
            "migrations-not-run",
            &[
                ("package.json", NEXT_PKG),
                ("prisma/schema.prisma", SCHEMA),
                ("prisma/migrations/1_init/migration.sql", "CREATE TABLE a();"),
            ],
        );
        assert_eq!(obs.len(), 1);
    }

    #[test]
    fn a_workflow_or_script_that_migrates_stays_silent() {
        let wf = "jobs:\n  deploy:\n    steps:\n      - run: npx prisma migrate deploy\n";
        assert!(koyeb(
            "migrations-not-run",
            &[
                ("package.json", NEXT_PKG),
                ("prisma/schema.prisma", SCHEMA),
                ("prisma/migrations/1_init/migration.sql", "x"),
                (".github/workflows/deploy.yml", wf)
            ]
        )
        .is_empty());
        assert!(koyeb("migrations-not-run", &[("package.json", NEXT_PKG), ("prisma/schema.prisma", SCHEMA)]).is_empty());
    }

    #[test]
    fn a_compose_service_that_migrates_stays_silent() {
        let compose = "services:\n  web:\n    build: .\n  migrate:\n    build: .\n    command: sh -c \"npx prisma migrate deploy\"\n";
        let files = [
            ("package.json", NEXT_PKG),
            ("prisma/schema.prisma", SCHEMA),
            ("prisma/migrations/1_init/migration.sql", "x"),
            ("docker-compose.yml", compose),
        ];
        assert!(koyeb("migrations-not-run", &files).is_empty());
    }
}
