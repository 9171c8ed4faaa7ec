use super::{Check, Ctx, Rule};
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "fly-build-secret",
    aspect: Aspect::Environment,
    title: "The image build expects a value that Fly does not pass to builds",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
When the repository has a fly.toml, finds `ARG` instructions without a default in the
Dockerfile that `fly deploy` builds, for secrets (names such as `DATABASE_URL`, `*_SECRET`,
`*_TOKEN`, `*_KEY`) and for `NEXT_PUBLIC_*` variables, that fly.toml `[build.args]` does not set.

## Why it matters
Fly builds the image without the app's secrets and environment: values set with `fly secrets
set` or `[env]` exist only at runtime. An `ARG` the build relies on is empty, so `next build`
inlines `undefined` for `NEXT_PUBLIC_*` values in the browser bundle, and a build step that needs
a secret (Prisma, a CMS fetch during static generation, Sentry uploads) fails or silently skips.

## Example
```dockerfile
ARG NEXT_PUBLIC_API_URL
ARG DATABASE_URL
RUN npm run build
```

## Fix
Non-secret values: set them in fly.toml `[build.args]` (or `fly deploy --build-arg`). Secrets:
`fly deploy --build-secret NAME=value` with `RUN --mount=type=secret,id=NAME` in the Dockerfile,
so the value never lands in an image layer.

## References
- https://fly.io/docs/apps/build-secrets/
- https://fly.io/docs/reference/configuration/#specify-build-arguments
"#;

fn run(ctx: &Ctx) -> Vec<Observation> {
    let m = ctx.model;
    let mut out = Vec::new();
    if ctx.facts.config_file != "fly.toml" {
        return out;
    }
    for f in m.fly_building() {
        let Some(app) = super::app_for_config(m, &f.rel) else { continue };
        let Some(d) = m.dockerfile_of(app) else { continue };
        for ins in d.df.instructions.iter().filter(|i| i.keyword == "ARG" && i.stage.is_some()) {
            for (name, default) in ins.key_values() {
                if default.is_some() || f.v.build_args.iter().any(|(n, _)| n == name) {
                    continue;
                }
                let public = name.starts_with("NEXT_PUBLIC_");
                if !public && !crate::parse::env_file::is_secret_name(name) {
                    continue;
                }
                let (what, how) = if public {
                    ("is inlined into the browser bundle at build time", "build-arg")
                } else {
                    ("is a secret the build expects", "build-secret")
                };
                out.push(
                    Observation::at(
                        RULE.id,
                        &d.rel,
                        ins.line,
                        format!(
                            "`ARG {}` {what}, but Fly passes no secrets or `[env]` values to builds and fly.toml `[build.args]` does not set it",
                            crate::text::sanitize(name)
                        ),
                    )
                    .related(&f.rel, Some(1), "the fly.toml that `fly deploy` reads")
                    .var("name", name.clone())
                    .var("how", how)
                    .key(format!("{}:{name}", d.rel)),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{run, NEXT_PKG};

    const DF: &str = "FROM node:20-alpine AS builder\nWORKDIR /app\nARG NEXT_PUBLIC_API_URL\nARG DATABASE_URL\nARG NODE_VERSION_LABEL\nCOPY . .\nRUN npm ci && npm run build\nFROM node:20-alpine\nCOPY --from=builder /app ./\nCMD [\"npm\", \"start\"]\n";

    #[test]
    fn args_fly_does_not_pass_fire() {
        let fly = "app = \"a\"\n[http_service]\n  internal_port = 3000\n";
        let obs = run("fly-build-secret", "fly", &[("package.json", NEXT_PKG), ("Dockerfile", DF), ("fly.toml", fly)]);
        assert_eq!(obs.iter().map(|o| o.line).collect::<Vec<_>>(), vec![Some(3), Some(4)], "{obs:?}");
    }

    #[test]
    fn build_args_defaults_and_other_platforms_stay_silent() {
        let fly = "app = \"a\"\n[build.args]\n  NEXT_PUBLIC_API_URL = \"https://api.example.com\"\n";
        let df = DF.replace("ARG DATABASE_URL\n", "ARG DATABASE_URL=postgresql://build@localhost/none\n");
        assert!(run("fly-build-secret", "fly", &[("package.json", NEXT_PKG), ("Dockerfile", &df), ("fly.toml", fly)]).is_empty());
        // Without fly.toml there is no Fly build to speak of.
        assert!(run("fly-build-secret", "fly", &[("package.json", NEXT_PKG), ("Dockerfile", DF)]).is_empty());
    }
}
