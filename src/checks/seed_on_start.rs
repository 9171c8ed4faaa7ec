use super::{deployable_apps, has_seq, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "seed-on-start",
    aspect: Aspect::Database,
    title: "The database seed runs every time the container starts",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds `prisma db seed`, or a `seed` script (`node prisma/seed.js`, `tsx prisma/seed.ts`,
`npm run seed`), in what the container runs at start.

## Why it matters
A seed on every start re-inserts or overwrites data on each restart and in each instance, and
seeds often create default users with known passwords.

## Example
```sh
npx prisma migrate deploy && node scripts/seed.js && node server.js
```

## Fix
Run the seed once, by hand or as a one-off job, and make it idempotent (upserts) if it must stay.

## References
- https://www.prisma.io/docs/orm/prisma-migrate/workflows/seeding
"#;

fn is_seed(text: &str) -> bool {
    has_seq(text, &["prisma", "db", "seed"])
        || text.split_whitespace().any(|w| {
            let name = w.rsplit('/').next().unwrap_or(w);
            name.starts_with("seed.") && (name.ends_with(".js") || name.ends_with(".ts") || name.ends_with(".mjs") || name.ends_with(".cjs"))
        })
        || has_seq(text, &["run", "seed"])
        || has_seq(text, &["run", "db:seed"])
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        for c in model.start_commands(app) {
            if is_seed(&c.text) {
                out.push(
                    Observation::at(
                        RULE.id,
                        &c.file,
                        c.line,
                        format!("the database seed runs at container start ({}), on every restart and in every instance", c.via),
                    )
                    .key(c.file.clone()),
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
    fn seed_in_entrypoint_fires() {
        let df = "FROM node:20-alpine\nCOPY . .\nENTRYPOINT [\"sh\", \"./entry.sh\"]\n";
        let sh = "npx prisma migrate deploy\nnode scripts/seed.js\nexec node server.js\n";
        let obs = koyeb("seed-on-start", &[("package.json", NEXT_PKG), ("Dockerfile", df), ("entry.sh", sh)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(2));
    }

    #[test]
    fn seed_script_not_at_start_stays_silent() {
        let pkg = NEXT_PKG.replace("\"dev\": \"next dev\"", "\"dev\": \"next dev\", \"seed\": \"node prisma/seed.js\"");
        assert!(koyeb("seed-on-start", &[("package.json", &pkg)]).is_empty());
    }
}
