use super::{deployable_apps, has_seq, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "db-push-in-prod",
    aspect: Aspect::Database,
    title: "`prisma db push` manages the production schema",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds `prisma db push` (without `--accept-data-loss`, which has its own rule) in what the
container runs at start.

## Why it matters
`db push` keeps no migration history: schema changes cannot be reviewed or rolled back, and the
first change that would lose data makes the start command fail, so the instance never comes up.

## Example
```sh
npx prisma db push && node server.js
```

## Fix
Switch to migrations: `prisma migrate dev` locally, commit `prisma/migrations`, and run
`prisma migrate deploy` once per deploy.

## References
- https://www.prisma.io/docs/orm/prisma-migrate/workflows/prototyping-your-schema
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        for c in model.start_commands(app) {
            if has_seq(&c.text, &["prisma", "db", "push"]) && !c.text.contains("--accept-data-loss") && !c.text.contains("--force-reset") {
                out.push(
                    Observation::at(
                        RULE.id,
                        &c.file,
                        c.line,
                        format!("`prisma db push` runs at container start ({}), with no migration history for production", c.via),
                    )
                    .key(c.file.clone()),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn push_at_start_fires() {
        let df = "FROM node:20-alpine\nCOPY . .\nCMD npx prisma db push && node server.js\n";
        assert_eq!(koyeb("db-push-in-prod", &[("package.json", NEXT_PKG), ("Dockerfile", df)]).len(), 1);
    }

    #[test]
    fn migrate_deploy_stays_silent() {
        let df = "FROM node:20-alpine\nCOPY . .\nCMD npx prisma migrate deploy && node server.js\n";
        assert!(koyeb("db-push-in-prod", &[("package.json", NEXT_PKG), ("Dockerfile", df)]).is_empty());
    }
}
