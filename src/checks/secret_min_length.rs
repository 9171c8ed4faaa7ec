use super::{deployable_apps, final_instructions, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;
use std::collections::BTreeMap;

pub static RULE: Rule = Rule {
    id: "secret-min-length",
    aspect: Aspect::Environment,
    title: "A committed value is shorter than the minimum the code enforces",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Collects the minimum lengths the server enforces on variables, from env schemas
(`z.string().min(32)`, `.length(32)`) and start-up checks
(`if (process.env.SESSION_SECRET.length < 32) throw …`), and compares them with the values the
repository sets for a deployment: committed `.env` / `.env.production` files (not templates),
the deployment compose file's `environment:`, fly.toml `[env]` and Dockerfile `ENV`. Reports a
value shorter than the minimum, by its length only. Templates are not compared: the minimum is shown
in the report's environment table instead ("at least 32 characters").

## Why it matters
The server refuses to start (or the env schema throws at build time) and the deploy fails its
health check, with an error that only shows in the logs.

## Example
`SESSION_SECRET: dev-session` in `docker-compose.yml` with `z.string().min(32)` in `src/env.ts`.

## Fix
Generate a value of at least the minimum length (`openssl rand -base64 32`) and set it as a secret
in the platform instead of committing it.

## References
- https://zod.dev/api#strings
- https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html
"#;

/// Minimum lengths the deployed code enforces: name → (minimum, file, line).
pub fn minimums(model: &Model) -> BTreeMap<String, (usize, String, usize)> {
    let mut out: BTreeMap<String, (usize, String, usize)> = BTreeMap::new();
    let mut put = |name: &str, min: usize, file: &str, line: usize| {
        if min < 2 {
            return;
        }
        let e = out.entry(name.to_string()).or_insert((min, file.to_string(), line));
        if min > e.0 {
            *e = (min, file.to_string(), line);
        }
    };
    for app in deployable_apps(model) {
        for s in app.sources.iter().filter(|s| s.runtime) {
            for r in &s.facts.env_reads {
                if let Some(min) = r.min_len {
                    put(&r.name, min, &s.rel, r.line);
                }
            }
            for (name, min, line) in &s.facts.env_min_lengths {
                put(name, *min, &s.rel, *line);
            }
        }
    }
    out
}

fn run(model: &Model) -> Vec<Observation> {
    let m = model;
    let mins = minimums(model);
    if mins.is_empty() {
        return Vec::new();
    }
    // (name, value, file, line, where)
    let mut values: Vec<(String, String, String, usize, &str)> = Vec::new();
    for e in m.env_files.iter().filter(|e| !e.template && !crate::model::is_test_path(&e.rel)) {
        for x in e.entries.iter().filter(|x| !x.commented) {
            values.push((x.name.clone(), x.value.clone(), e.rel.clone(), x.line, "the committed env file"));
        }
    }
    for c in m.deploy_composes() {
        for s in &c.v.services {
            for x in &s.environment {
                if let Some(v) = &x.value {
                    values.push((x.name.clone(), v.clone(), c.rel.clone(), x.line, "the compose file"));
                }
            }
        }
    }
    for f in &m.fly {
        for (k, v, line) in &f.v.env {
            values.push((k.clone(), v.clone(), f.rel.clone(), *line, "fly.toml `[env]`"));
        }
    }
    for app in deployable_apps(m) {
        if let Some(d) = m.dockerfile_of(app) {
            for ins in final_instructions(&d.df).into_iter().filter(|i| i.keyword == "ENV") {
                for (k, v) in ins.key_values() {
                    if let Some(v) = v {
                        values.push((k.clone(), v.clone(), d.rel.clone(), ins.line, "the image's `ENV`"));
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (name, value, file, line, place) in values {
        let Some((min, mfile, mline)) = mins.get(&name) else { continue };
        let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
        if v.is_empty() || v.contains('$') {
            continue;
        }
        let len = v.chars().count();
        if len >= *min {
            continue;
        }
        out.push(
            Observation::at(
                RULE.id,
                &file,
                line,
                format!("{place} sets `{name}` to a {len}-character value, but the code requires at least {min} characters, so the server fails at start"),
            )
            .related(mfile, Some(*mline), format!("the minimum of {min} characters is enforced here"))
            .var("name", name.clone())
            .var("min", min.to_string())
            .key(format!("{file}:{name}")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{run, NEXT_PKG};

    const ENV_TS: &str = "import { createEnv } from '@t3-oss/env-nextjs';\nimport { z } from 'zod';\nexport const env = createEnv({ server: { SESSION_SECRET: z.string().min(32) }, runtimeEnv: { SESSION_SECRET: process.env.SESSION_SECRET } });\n";

    #[test]
    fn short_committed_value_fires_with_the_schema_line() {
        let compose = "services:\n  app:\n    build: .\n    environment:\n      SESSION_SECRET: dev-session\n";
        let obs = run(
            "secret-min-length",
            "vps",
            &[
                ("package.json", NEXT_PKG),
                ("src/env.ts", ENV_TS),
                ("Dockerfile", "FROM node:20\nCMD [\"npm\",\"start\"]\n"),
                ("docker-compose.yml", compose),
            ],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(5));
        assert!(!obs[0].message.contains("dev-session"));
        assert_eq!(obs[0].related[0].line, Some(3));
    }

    #[test]
    fn long_values_references_and_templates_stay_silent() {
        let compose = "services:\n  app:\n    build: .\n    environment:\n      SESSION_SECRET: ${SESSION_SECRET}\n";
        let env = "SESSION_SECRET=q8Zr2LmP0xVb7TkN4wYe1HsJq8Zr2LmP0xVb\n";
        let tpl = "SESSION_SECRET=changeme\n";
        let obs = run(
            "secret-min-length",
            "vps",
            &[
                ("package.json", NEXT_PKG),
                ("src/env.ts", ENV_TS),
                ("Dockerfile", "FROM node:20\nCMD [\"npm\",\"start\"]\n"),
                ("docker-compose.yml", compose),
                (".env.production", env),
                (".env.example", tpl),
            ],
        );
        assert!(obs.is_empty(), "{obs:?}");
    }
}
