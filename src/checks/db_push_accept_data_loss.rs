use super::{deploy_commands, deployable_apps, has_seq, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "db-push-accept-data-loss",
    aspect: Aspect::Database,
    title: "`prisma db push --accept-data-loss` (or --force-reset) runs in deployment",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds `prisma db push --accept-data-loss` or `--force-reset` in any command that runs when the
app is built or started: Dockerfile RUN/CMD/ENTRYPOINT, the scripts they call, and package.json
lifecycle scripts.

## Why it matters
`--accept-data-loss` tells Prisma to drop columns and tables that no longer match the schema
without asking; `--force-reset` drops the whole database. Run on every deploy against production,
one schema rename silently deletes data.

## Example
```sh
npx prisma db push --accept-data-loss && node server.js
```

## Fix
Create migrations with `prisma migrate dev` during development, commit `prisma/migrations`, and
run `prisma migrate deploy` once per deploy.

## References
- https://www.prisma.io/docs/orm/reference/prisma-cli-reference#db-push
- https://www.prisma.io/docs/orm/prisma-migrate/workflows/prototyping-your-schema
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        for c in deploy_commands(model, app) {
            if !has_seq(&c.text, &["prisma", "db", "push"]) {
                continue;
            }
            let flag = if c.text.contains("--accept-data-loss") {
                "--accept-data-loss"
            } else if c.text.contains("--force-reset") {
                "--force-reset"
            } else {
                continue;
            };
            if out
                .iter()
                .any(|o: &Observation| o.file.as_deref() == Some(c.file.as_str()) && o.line == Some(c.line))
            {
                continue;
            }
            out.push(
                Observation::at(
                    RULE.id,
                    &c.file,
                    c.line,
                    format!(
                        "`prisma db push {flag}` runs during deployment ({}), which can drop production columns and tables without a prompt",
                        c.via
                    ),
                )
                .key(format!("{}:{flag}", c.file)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn accept_data_loss_in_entrypoint_fires() {
        let df = "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nENTRYPOINT [\"./start.sh\"]\n";
        let sh = "#!/bin/sh\nnpx prisma db push --accept-data-loss\nnode server.js\n";
        let obs = koyeb("db-push-accept-data-loss", &[("package.json", NEXT_PKG), ("Dockerfile", df), ("start.sh", sh)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(2));
    }

    #[test]
    fn plain_push_or_dev_only_script_stays_silent() {
        let pkg = NEXT_PKG.replace("\"dev\": \"next dev\"", "\"dev\": \"next dev\", \"db:reset\": \"prisma db push --force-reset\"");
        assert!(koyeb("db-push-accept-data-loss", &[("package.json", &pkg)]).is_empty());
        let df = "FROM node:20-alpine\nCOPY . .\nCMD npx prisma db push && node server.js\n";
        assert!(koyeb("db-push-accept-data-loss", &[("package.json", NEXT_PKG), ("Dockerfile", df)]).is_empty());
    }
}
