use super::{has_seq, migrate_at_start::migration_command, Check, Ctx, Rule};
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "build-runs-migrations",
    aspect: Aspect::Database,
    title: "The image build runs database migrations",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Finds a Dockerfile `RUN` that applies migrations or pushes the schema (`prisma migrate deploy`,
`prisma db push`, `drizzle-kit migrate` / `push`, `knex migrate:latest`…).

## Why it matters
The build runs before the release, often without the production database: builders have no
access to private networks (Railway, compose), secrets are not available at build (Fly), and an
image rebuilt for a rollback migrates again. The build fails, or migrates the database before the
code that needs it is live.

## Example
```dockerfile
RUN npx prisma migrate deploy && npm run build
```

## Fix
Move the migration to the release / pre-deploy command, a CI step, or the container start.

## References
- https://www.prisma.io/docs/orm/prisma-client/deployment/deploy-database-changes-with-prisma-migrate
- https://docs.railway.com/deployments/pre-deploy-command
"#;

/// What the repository alone decides: the Dockerfile RUN lines that migrate, and each app whose
/// build script migrates with whether its Dockerfile runs that script (`None`: no Dockerfile).
struct Found {
    runs: Vec<Observation>,
    scripts: Vec<(Observation, Option<bool>)>,
}

fn found(model: &crate::model::Model) -> Found {
    let mut runs = Vec::new();
    for (_, d) in model.dockerfiles.iter().enumerate().filter(|(i, _)| model.is_used_dockerfile(*i)) {
        for ins in d.df.instructions.iter().filter(|i| i.keyword == "RUN") {
            let t = ins.command_text();
            let seq = migration_command(&t).or_else(|| has_seq(&t, &["prisma", "db", "push"]).then(|| "prisma db push".to_string()));
            if let Some(what) = seq {
                runs.push(
                    Observation::at(
                        RULE.id,
                        &d.rel,
                        ins.line,
                        format!("the image build runs `{what}`, where the production database is usually unreachable"),
                    )
                    .var("command", what.clone())
                    .key(format!("{}:{what}", d.rel)),
                );
            }
        }
    }
    let mut scripts = Vec::new();
    for app in super::deployable_apps(model) {
        let Some(p) = &app.package else { continue };
        let Some((_, script, line)) = p.v.script("build") else { continue };
        let Some(what) = migration_command(script).or_else(|| has_seq(script, &["prisma", "db", "push"]).then(|| "prisma db push".to_string())) else {
            continue;
        };
        let dockerfile_runs_build = model.dockerfile_of(app).map(|d| {
            d.df.instructions
                .iter()
                .any(|i| i.keyword == "RUN" && (has_seq(&i.command_text(), &["run", "build"]) || has_seq(&i.command_text(), &["yarn", "build"])))
        });
        let o = Observation::at(
            RULE.id,
            &p.rel,
            *line,
            format!("the `build` script runs `{what}`, so every build touches the production database, which the builder usually cannot reach"),
        )
        .var("command", what.clone())
        .key(format!("{}:build:{what}", p.rel));
        scripts.push((o, dockerfile_runs_build));
    }
    Found { runs, scripts }
}

/// What the builds and build scripts run, computed once per model (every target reads it).
fn shared(model: &crate::model::Model) -> std::sync::Arc<Found> {
    model.memo.get("build-runs-migrations:found", || found(model))
}

/// Compute what every target reads (see `checks::SHARED`).
pub fn prepare(model: &crate::model::Model) {
    shared(model);
}

fn run(ctx: &Ctx) -> Vec<Observation> {
    let found = shared(ctx.model);
    let mut out = found.runs.clone();
    // The package's build script, when the build runs it: buildpack builds (no Dockerfile) run
    // `npm run build`, and so does a Dockerfile RUN that calls it.
    for (o, dockerfile_runs_build) in &found.scripts {
        let runs_build = match dockerfile_runs_build {
            // Without a Dockerfile the platform's builder runs the build script, where there is one.
            None => ctx.model.dockerfiles.is_empty() && ctx.facts.builds_without_dockerfile,
            Some(runs) => *runs,
        };
        if runs_build {
            out.push(o.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn build_script_with_db_push_fires_for_buildpack_builds() {
        let pkg = "{\n  \"scripts\": {\n    \"build\": \"prisma generate && prisma db push && next build\",\n    \"start\": \"next start\"\n  },\n  \"dependencies\": {\"next\": \"15.0.0\"}\n}\n";
        let obs = run("build-runs-migrations", "railway", &[("package.json", pkg)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(3));
        let plain = pkg.replace("prisma db push && ", "");
        assert!(run("build-runs-migrations", "railway", &[("package.json", &plain)]).is_empty());
    }

    #[test]
    fn migrate_in_run_fires_and_generate_does_not() {
        let df = "FROM node:20\nCOPY . .\nRUN npx prisma generate\nRUN npx prisma migrate deploy && npm run build\n";
        let obs = run("build-runs-migrations", "railway", &[("Dockerfile", df)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(4));
        assert!(run(
            "build-runs-migrations",
            "railway",
            &[(
                "Dockerfile",
                "FROM node:20\nRUN npx prisma generate\nCMD npx prisma migrate deploy && node server.js\n"
            )]
        )
        .is_empty());
    }

    #[test]
    fn a_vps_without_a_dockerfile_runs_no_build_script() {
        let pkg = "{\n  \"scripts\": {\n    \"build\": \"prisma generate && prisma db push && next build\",\n    \"start\": \"next start\"\n  },\n  \"dependencies\": {\"next\": \"15.0.0\"}\n}\n";
        let compose = "services:\n  db:\n    image: postgres:16\n";
        assert!(crate::checks::testing::run("build-runs-migrations", "vps", &[("package.json", pkg), ("docker-compose.yml", compose)]).is_empty());
        assert_eq!(
            crate::checks::testing::run("build-runs-migrations", "railway", &[("package.json", pkg)]).len(),
            1
        );
    }
}
