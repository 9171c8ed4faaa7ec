use super::stage_chain;
use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::env_file::{is_placeholder, is_secret_name, url_parts};
use crate::report::Aspect;
use std::collections::BTreeSet;

pub static RULE: Rule = Rule {
    id: "secret-build-arg",
    aspect: Aspect::Security,
    title: "A secret is passed to the Docker build as a build argument",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
In each Dockerfile a deployment builds, finds `ARG` instructions with a secret-like name
(`DATABASE_URL`, `*_SECRET`, `*_TOKEN`, `*_PASSWORD`, `*_KEY`…) that either carry a literal default
(`ARG NPM_TOKEN=abc…`) or are followed by a `RUN` (or an `ENV` copying them) in the same stage.
`NEXT_PUBLIC_*` arguments are not secrets and are ignored, and so are defaults that are
placeholders or URLs without credentials (`ARG DATABASE_URL=postgresql://`). In a builder stage
the deployed image does not keep (not the built stage nor one it is built `FROM`), the finding
says so: that stage's history and config are discarded, but the build cache and provenance
attestations still hold the value.

## Why it matters
Build arguments are recorded in the image: every `RUN` after the `ARG` stores its value in the
image history (`docker history`), and an `ENV X=$ARG` stores it in the image config. Anyone who can
pull the image can read the secret; a literal default is also committed to the repository.

## Example
```dockerfile
ARG DATABASE_URL
RUN npx prisma migrate deploy
```

## Fix
Use a BuildKit secret mount, which is never stored in the image:
`RUN --mount=type=secret,id=database_url,env=DATABASE_URL npx prisma generate`; better, move steps
that need production credentials (migrations) out of the build into a release or start command.

## References
- https://docs.docker.com/build/building/secrets/
- https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/
"#;

/// A literal default that can be a secret: not a placeholder, a reference, a number or a flag,
/// nor a URL without credentials (`postgresql://`, the dummy `prisma generate` needs).
fn secret_default(v: &str) -> bool {
    let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
    if url_parts(v).is_some_and(|u| !u.has_password && !u.params.iter().any(|(k, _)| SECRET_PARAMS.iter().any(|p| k.to_ascii_lowercase().contains(p)))) {
        return false;
    }
    v.chars().count() >= 8 && !v.contains('$') && !is_placeholder(v) && !v.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '_')
}

/// Query parameters that carry a credential in a URL.
const SECRET_PARAMS: &[&str] = &["pass", "pwd", "token", "key", "secret", "sig", "auth"];

/// The stages a deployment's image is made of: the stage it builds (the last one, or a compose
/// `build.target`, or fly.toml `build-target`) and the stages that one is built `FROM`. A builder
/// stage outside them is discarded once its files are copied.
fn shipped_stages(m: &Model, d: &crate::model::DockerfileDoc) -> BTreeSet<usize> {
    let df = &d.df;
    let mut targets: Vec<usize> = m
        .services_building(&d.rel)
        .filter_map(|(_, s, _)| s.build.as_ref()?.target.clone())
        .chain(m.fly.iter().filter_map(|f| f.v.build_target.as_ref().map(|(t, _)| t.clone())))
        .filter_map(|t| df.stage_by_name(&t).map(|s| s.index))
        .collect();
    if targets.is_empty()
        || m.services_building(&d.rel)
            .any(|(_, s, _)| s.build.as_ref().is_some_and(|b| b.target.is_none()))
    {
        targets.extend(df.final_stage().map(|s| s.index));
    }
    targets.into_iter().flat_map(|t| stage_chain(df, t)).collect()
}

fn run(model: &Model) -> Vec<Observation> {
    let m = model;
    let mut out = Vec::new();
    for (di, d) in m.dockerfiles.iter().enumerate() {
        if !m.is_used_dockerfile(di) {
            continue;
        }
        for (name, default, line) in &d.df.global_args {
            if is_secret_name(name) && default.as_deref().is_some_and(secret_default) {
                out.push(
                    Observation::at(
                        RULE.id,
                        &d.rel,
                        *line,
                        format!("`ARG {name}` commits a default value for a secret in the Dockerfile"),
                    )
                    .var("name", name.clone())
                    .key(format!("{}:{name}", d.rel)),
                );
            }
        }
        let shipped = shipped_stages(m, d);
        for stage in &d.df.stages {
            // A builder stage the image does not keep: its history and config are not in the
            // deployed image, but the build cache and provenance attestations hold build args.
            let builder = (!shipped.contains(&stage.index)).then(|| stage.name.clone().unwrap_or_else(|| stage.index.to_string()));
            let ins: Vec<_> = stage.instructions.iter().filter_map(|&i| d.df.instructions.get(i)).collect();
            for (pos, a) in ins.iter().enumerate().filter(|(_, i)| i.keyword == "ARG") {
                // An ARG whose default is a number or a flag is a setting, not a secret.
                let setting = |d: &Option<String>| {
                    d.as_deref().is_some_and(|v| {
                        let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
                        !v.is_empty() && (v.chars().all(|c| c.is_ascii_digit() || c == '.') || matches!(v, "true" | "false"))
                    })
                };
                for (name, default) in a.key_values().iter().filter(|(k, d)| is_secret_name(k) && !setting(d)) {
                    let literal = default.as_deref().is_some_and(secret_default);
                    let later = ins.iter().skip(pos + 1).find(|i| {
                        i.keyword == "RUN" || (i.keyword == "ENV" && (i.text.contains(&format!("${name}")) || i.text.contains(&format!("${{{name}}}"))))
                    });
                    let msg = match (literal, later, &builder) {
                        (true, _, _) => format!("`ARG {name}` commits a default value for a secret in the Dockerfile"),
                        (false, Some(i), Some(stage)) => format!(
                            "the `{name}` build argument reaches the `{}` at line {} of build stage `{stage}`: the deployed image does not keep that stage, but the build cache and provenance attestations can still hold its value",
                            i.keyword, i.line
                        ),
                        (false, Some(i), None) if i.keyword == "ENV" => {
                            format!(
                                "the `{name}` build argument is copied into `ENV` at line {}, so its value is stored in the image config",
                                i.line
                            )
                        }
                        (false, Some(i), None) => format!(
                            "the `{name}` build argument is in scope of the `RUN` at line {}, so its value is recorded in the image history",
                            i.line
                        ),
                        (false, None, _) => continue,
                    };
                    let mut o = Observation::at(RULE.id, &d.rel, a.line, msg)
                        .var("name", name.clone())
                        .key(format!("{}:{name}", d.rel));
                    if let Some(i) = later {
                        o = o.related(&d.rel, Some(i.line), format!("`{name}` reaches the image here"));
                    }
                    out.push(o);
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
    fn secret_args_used_by_run_or_env_or_with_defaults_fire() {
        let df = "FROM node:20-alpine AS builder\nARG DATABASE_URL\nARG NPM_TOKEN=npm_q8Zr2LmP0xVb7TkN4wYe1HsJq8Zr2LmP0x\nRUN npm ci && npx prisma migrate deploy\nFROM node:20-alpine\nARG JWT_SECRET\nENV JWT_SECRET=$JWT_SECRET\nCMD [\"npm\", \"start\"]\n";
        let obs = koyeb("secret-build-arg", &[("package.json", NEXT_PKG), ("Dockerfile", df)]);
        assert_eq!(obs.len(), 3, "{obs:?}");
        assert!(!obs.iter().any(|o| o.message.contains("npm_q8Zr")));
    }

    #[test]
    fn public_args_unused_args_and_placeholders_stay_silent() {
        let df = "FROM node:20-alpine\nARG NEXT_PUBLIC_API_URL\nRUN npm run build\nARG SENTRY_AUTH_TOKEN\nARG API_KEY=changeme\nCMD [\"npm\", \"start\"]\n";
        let obs = koyeb("secret-build-arg", &[("package.json", NEXT_PKG), ("Dockerfile", df)]);
        assert!(obs.is_empty(), "{obs:?}");
    }

    #[test]
    fn credential_free_url_defaults_and_hex_stand_ins_are_no_committed_secret() {
        let df =
            "FROM node:20-alpine AS builder\nARG DATABASE_URL=postgresql://\nARG ENCRYPTION_KEY=\"CAFEBABE\"\nFROM node:20-alpine\nCMD [\"npm\", \"start\"]\n";
        let obs = koyeb("secret-build-arg", &[("package.json", NEXT_PKG), ("Dockerfile", df)]);
        assert!(obs.is_empty(), "{obs:?}");
        let real = "FROM node:20-alpine\nARG DATABASE_URL=postgresql://app:Zq8rL2mP0xVb7TkN@db.acme.io/app\nCMD [\"npm\", \"start\"]\n";
        let obs = koyeb("secret-build-arg", &[("package.json", NEXT_PKG), ("Dockerfile", real)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert!(obs[0].message.contains("commits a default"));
    }

    #[test]
    fn a_builder_stage_the_image_does_not_keep_is_named_as_such() {
        let df = "FROM node:20-alpine AS base\nARG API_TOKEN\nENV API_TOKEN=$API_TOKEN\nFROM node:20-alpine AS builder\nARG SENTRY_AUTH_TOKEN\nRUN npm run build\nFROM base AS runner\nCMD [\"npm\", \"start\"]\n";
        let obs = koyeb("secret-build-arg", &[("package.json", NEXT_PKG), ("Dockerfile", df)]);
        assert_eq!(obs.len(), 2, "{obs:?}");
        // The runner is built FROM base: its ENV is in the deployed image's config.
        let base = obs.iter().find(|o| o.line == Some(2)).expect("base");
        assert!(base.message.contains("stored in the image config"), "{}", base.message);
        let builder = obs.iter().find(|o| o.line == Some(5)).expect("builder");
        assert!(builder.message.contains("build stage `builder`"), "{}", builder.message);
        assert!(!builder.message.contains("recorded in the image history"));
    }
}
