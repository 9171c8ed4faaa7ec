use super::{deploy_commands, deployable_apps, has_seq, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "migrate-dev-in-prod",
    aspect: Aspect::Database,
    title: "`prisma migrate dev` or `migrate reset` runs in deployment",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds `prisma migrate dev` or `prisma migrate reset` in commands that run when the app is built
or started.

## Why it matters
`migrate dev` is a development command: it needs a shadow database and may ask to reset the
database on drift; `migrate reset` drops it. Neither belongs in production.

## Example
```dockerfile
CMD npx prisma migrate dev && npm start
```

## Fix
Use `prisma migrate deploy`, which only applies committed migrations.

## References
- https://www.prisma.io/docs/orm/prisma-migrate/workflows/development-and-production
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        for c in deploy_commands(model, app) {
            for sub in ["dev", "reset"] {
                if has_seq(&c.text, &["prisma", "migrate", sub])
                    && !out
                        .iter()
                        .any(|o: &Observation| o.file.as_deref() == Some(c.file.as_str()) && o.line == Some(c.line))
                {
                    out.push(
                        Observation::at(
                            RULE.id,
                            &c.file,
                            c.line,
                            format!(
                                "`prisma migrate {sub}` runs during deployment ({}); it is a development command that can reset the database",
                                c.via
                            ),
                        )
                        .key(format!("{}:{sub}", c.file)),
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn migrate_dev_in_cmd_fires() {
        let df = "FROM node:20-alpine\nCOPY . .\nCMD npx prisma migrate dev && npm start\n";
        assert_eq!(koyeb("migrate-dev-in-prod", &[("package.json", NEXT_PKG), ("Dockerfile", df)]).len(), 1);
    }

    #[test]
    fn migrate_dev_in_a_dev_script_stays_silent() {
        let pkg = NEXT_PKG.replace("\"dev\": \"next dev\"", "\"dev\": \"next dev\", \"db:migrate\": \"prisma migrate dev\"");
        assert!(koyeb("migrate-dev-in-prod", &[("package.json", &pkg)]).is_empty());
    }
}
