use super::{deployable_apps, has_seq, stage_chain, Check, Rule};
use crate::model::App;
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::dockerfile::Dockerfile;
use crate::report::Aspect;
use std::collections::BTreeMap;

pub static RULE: Rule = Rule {
    id: "next-public-build-arg-missing",
    aspect: Aspect::Environment,
    title: "A NEXT_PUBLIC_ variable never reaches the Docker build",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
For a Next.js app built by a Dockerfile, finds `process.env.NEXT_PUBLIC_X` reads (server or client
code, without a fallback and not themselves the fallback of another read) when the stage that runs `next build` (directly or through the `build`
script) declares no `ARG NEXT_PUBLIC_X` or `ENV NEXT_PUBLIC_X`, no RUN line of that stage mentions
it, no committed `.env` / `.env.production` / `.env.local` in the app provides it, and next.config
`env` does not set it.

## Why it matters
Next.js inlines `NEXT_PUBLIC_*` values into the JavaScript bundle at `next build`. A Docker build
only sees variables declared with `ARG` in the stage that uses them, so the platform's environment
variables never reach it: the browser gets `undefined`, and setting the variable at runtime changes
nothing.

## Example
```dockerfile
FROM base AS builder
COPY . .
RUN npm run build        # NEXT_PUBLIC_API_URL is undefined here
```

## Fix
Declare the variable in the build stage before `next build` and pass it as a build argument:
```dockerfile
ARG NEXT_PUBLIC_API_URL
ENV NEXT_PUBLIC_API_URL=$NEXT_PUBLIC_API_URL
RUN npm run build
```

## References
- https://nextjs.org/docs/app/guides/environment-variables#bundling-environment-variables-for-the-browser
- https://docs.docker.com/build/building/variables/
"#;

/// Does this RUN build Next.js (directly, or through the app's `build` script)?
fn builds_next(app: &App, cmd: &str) -> bool {
    if has_seq(cmd, &["next", "build"]) {
        return true;
    }
    let script = app.package.as_ref().and_then(|p| p.v.script("build")).map(|(_, c, _)| c.as_str()).unwrap_or("");
    if !has_seq(script, &["next", "build"]) {
        return false;
    }
    ["npm", "pnpm", "yarn", "bun"]
        .iter()
        .any(|pm| has_seq(cmd, &[pm, "run", "build"]) || (*pm != "npm" && has_seq(cmd, &[pm, "build"])) || has_seq(cmd, &[pm, "run-script", "build"]))
}

/// The (stage, line) of the first RUN that builds Next.js.
fn build_step(app: &App, df: &Dockerfile) -> Option<(usize, usize)> {
    df.instructions
        .iter()
        .filter(|i| i.keyword == "RUN")
        .find(|i| builds_next(app, &i.command_text()))
        .and_then(|i| i.stage.map(|s| (s, i.line)))
}

/// Names visible to the build step: ARG of the stage, ENV of the stage chain, words of its RUNs.
fn provided(df: &Dockerfile, stage: usize, name: &str) -> bool {
    let chain = stage_chain(df, stage);
    for (pos, &s) in chain.iter().enumerate() {
        let Some(st) = df.stages.get(s) else { continue };
        for ins in st.instructions.iter().filter_map(|&i| df.instructions.get(i)) {
            let hit = match ins.keyword.as_str() {
                "ENV" => ins.key_values().iter().any(|(k, _)| k == name),
                "ARG" => pos == 0 && ins.key_values().iter().any(|(k, _)| k == name),
                "RUN" | "COPY" | "ADD" => pos == 0 && ins.text.contains(name),
                _ => false,
            };
            if hit {
                return true;
            }
        }
    }
    false
}

fn run(model: &Model) -> Vec<Observation> {
    let m = model;
    let mut out = Vec::new();
    for app in deployable_apps(m).filter(|a| a.is_next()) {
        let Some(&di) = app.dockerfiles.first() else { continue };
        if !m.is_used_dockerfile(di) {
            continue;
        }
        let d = &m.dockerfiles[di];
        let Some((stage, build_line)) = build_step(app, &d.df) else { continue };
        // First unguarded read of each NEXT_PUBLIC_ variable, in code that reaches the bundle.
        let mut reads: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
        let mut defaulted: Vec<&str> = Vec::new();
        // Code the bundle can contain: files in folders (app/, src/, components/…), and root
        // middleware / instrumentation; not root tool configs such as `sanity.cli.ts`.
        let bundled = |rel: &str| {
            let local = app.local(rel);
            local.contains('/') || local.starts_with("middleware.") || local.starts_with("instrumentation")
        };
        for s in app.sources.iter().filter(|s| s.runtime || s.facts.directives.iter().any(|d| d == "use client")) {
            for r in s
                .facts
                .env_reads
                .iter()
                .filter(|r| r.name.starts_with("NEXT_PUBLIC_") && !r.name.starts_with("NEXT_PUBLIC_VERCEL_"))
            {
                // Optional anywhere (a fallback, an optional env-schema field) means optional.
                if r.has_default || r.in_fallback {
                    defaulted.push(&r.name);
                } else if bundled(&s.rel) {
                    reads.entry(&r.name).or_insert((&s.rel, r.line));
                }
            }
        }
        let env_files: Vec<&crate::model::EnvDoc> = m
            .env_files
            .iter()
            .filter(|e| !e.template && crate::text::parent(&e.rel) == app.dir)
            .filter(|e| {
                let n = e.rel.rsplit('/').next().unwrap_or(&e.rel);
                matches!(n, ".env" | ".env.production" | ".env.local" | ".env.production.local")
            })
            .collect();
        let next_env = app.next_config.as_ref().map(|c| &c.v.env_keys);
        for (name, (file, line)) in reads {
            if defaulted.contains(&name)
                || provided(&d.df, stage, name)
                || env_files.iter().any(|e| e.entries.iter().any(|x| x.name == name && !x.commented))
                || next_env.is_some_and(|k| k.iter().any(|(n, _)| n == name))
            {
                continue;
            }
            out.push(
                Observation::at(
                    RULE.id,
                    file,
                    line,
                    format!(
                        "`{name}` is inlined into the bundle at `next build`, but the Docker stage that builds it declares no `ARG {name}`, so the bundle gets `undefined`"
                    ),
                )
                .related(&d.rel, Some(build_line), format!("`next build` runs here without `ARG {name}` in this stage"))
                .var("name", name)
                .key(name),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG, STANDALONE_CONFIG, WITH_DOCKER};

    const PAGE: &str = "'use client';\nexport function P() { return <a href={process.env.NEXT_PUBLIC_API_URL}>x</a> }\n";

    #[test]
    fn public_read_without_build_arg_fires_with_the_build_line() {
        let obs = koyeb(
            "next-public-build-arg-missing",
            &[
                ("package.json", NEXT_PKG),
                ("next.config.js", STANDALONE_CONFIG),
                ("Dockerfile", WITH_DOCKER),
                ("components/p.tsx", PAGE),
            ],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].file.as_deref(), Some("components/p.tsx"));
        assert_eq!(obs[0].related[0].line, Some(13));
    }

    #[test]
    fn arg_env_file_defaults_and_other_stages_stay_silent() {
        let with_arg = WITH_DOCKER.replace("RUN npm run build", "ARG NEXT_PUBLIC_API_URL\nRUN npm run build");
        let base = [("package.json", NEXT_PKG), ("next.config.js", STANDALONE_CONFIG), ("components/p.tsx", PAGE)];
        let mut files = base.to_vec();
        files.push(("Dockerfile", with_arg.as_str()));
        assert!(koyeb("next-public-build-arg-missing", &files).is_empty());
        // ENV in the parent stage reaches the build stage.
        let env_base = WITH_DOCKER.replace(
            "FROM node:20-alpine AS base\n",
            "FROM node:20-alpine AS base\nENV NEXT_PUBLIC_API_URL=https://api.acme.io\n",
        );
        let mut files = base.to_vec();
        files.push(("Dockerfile", env_base.as_str()));
        assert!(koyeb("next-public-build-arg-missing", &files).is_empty());
        // An ARG in another stage does not count.
        let wrong = WITH_DOCKER.replace("RUN npm ci", "ARG NEXT_PUBLIC_API_URL\nRUN npm ci");
        let mut files = base.to_vec();
        files.push(("Dockerfile", wrong.as_str()));
        assert_eq!(koyeb("next-public-build-arg-missing", &files).len(), 1);
        // A committed .env.production provides it.
        let mut files = base.to_vec();
        files.push(("Dockerfile", WITH_DOCKER));
        files.push((".env.production", "NEXT_PUBLIC_API_URL=https://api.acme.io\n"));
        assert!(koyeb("next-public-build-arg-missing", &files).is_empty());
        // A fallback in code, or the read is itself the fallback.
        let dflt = "'use client';\nexport const u = process.env.NEXT_PUBLIC_API_URL || '/api';\nexport const d = process.env.SENTRY_DSN || process.env.NEXT_PUBLIC_SENTRY_DSN;\n";
        let files = [
            ("package.json", NEXT_PKG),
            ("next.config.js", STANDALONE_CONFIG),
            ("components/p.tsx", dflt),
            ("Dockerfile", WITH_DOCKER),
        ];
        assert!(koyeb("next-public-build-arg-missing", &files).is_empty());
    }
}
