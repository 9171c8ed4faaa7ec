use super::{base_image, deployable_apps, flavor, has_seq, Check, Flavor, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "prisma-binary-target",
    aspect: Aspect::Database,
    title: "Prisma's query engine is generated for a different OS than the runtime image",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
For a `prisma-client-js` generator, finds the Dockerfile stage that runs `prisma generate` and
the final (runtime) stage. When their base images differ in libc or OpenSSL (Alpine/musl vs
Debian, OpenSSL 1.1 vs 3), checks that `binaryTargets` lists the runtime's target
(`linux-musl-openssl-3.0.x`, `debian-openssl-3.0.x`, `debian-openssl-1.1.x`).

## Why it matters
`native` means "the OS where `prisma generate` ran". Generated on Debian and run on Alpine, the
client fails at the first query with "Query engine library for current platform could not be
found".

## Example
```prisma
generator client {
  provider = "prisma-client-js"
}
```
with `FROM node:20 AS builder` and `FROM node:20-alpine AS runner`.

## Fix
Add the runtime's target: `binaryTargets = ["native", "linux-musl-openssl-3.0.x"]` (add
`linux-musl-arm64-openssl-3.0.x` for arm64 instances), or build and run on the same base image.

## References
- https://www.prisma.io/docs/orm/reference/prisma-schema-reference#binarytargets-options
- https://www.prisma.io/docs/orm/prisma-client/deployment/traditional/deploy-to-koyeb
"#;

fn target_for(f: Flavor) -> Option<&'static str> {
    match f {
        Flavor::Alpine => Some("linux-musl-openssl-3.0.x"),
        Flavor::Debian3 => Some("debian-openssl-3.0.x"),
        Flavor::Debian11 => Some("debian-openssl-1.1.x"),
        Flavor::Distroless | Flavor::Unknown => None,
    }
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        let Some(schema) = &app.prisma else { continue };
        let Some(d) = model.dockerfile_of(app) else { continue };
        let Some(last) = d.df.final_stage() else { continue };
        let build_script = app.package.as_ref().and_then(|p| p.v.script("build")).map(|s| s.1.clone()).unwrap_or_default();
        let postinstall = app
            .package
            .as_ref()
            .and_then(|p| p.v.script("postinstall"))
            .map(|s| s.1.clone())
            .unwrap_or_default();
        let gen = d.df.instructions.iter().find(|i| {
            if i.keyword != "RUN" {
                return false;
            }
            let t = i.command_text();
            has_seq(&t, &["prisma", "generate"])
                || (has_seq(&build_script, &["prisma", "generate"]) && (has_seq(&t, &["run", "build"]) || has_seq(&t, &["yarn", "build"])))
                || (has_seq(&postinstall, &["prisma", "generate"])
                    && (has_seq(&t, &["npm", "ci"])
                        || has_seq(&t, &["npm", "install"])
                        || has_seq(&t, &["yarn", "install"])
                        || has_seq(&t, &["pnpm", "install"])))
        });
        let Some(gen) = gen else { continue };
        let Some(gen_stage) = gen.stage else { continue };
        let gen_base = base_image(&d.df, gen_stage);
        let run_base = base_image(&d.df, last.index);
        let (gf, rf) = (flavor(&gen_base), flavor(&run_base));
        if gf == rf || gf == Flavor::Unknown || rf == Flavor::Unknown {
            continue;
        }
        let Some(need) = target_for(rf) else { continue };
        for g in schema
            .v
            .generators
            .iter()
            .filter(|g| g.provider.as_ref().is_some_and(|(p, _)| p == "prisma-client-js"))
        {
            if g.engine_type.as_ref().is_some_and(|(e, _)| e == "client") {
                continue;
            }
            let targets: Vec<String> = g.binary_targets.as_ref().map(|(t, _)| t.clone()).unwrap_or_default();
            if targets.iter().any(|t| t == need) {
                continue;
            }
            let line = g.binary_targets.as_ref().map(|(_, l)| *l).unwrap_or(g.line);
            out.push(
                Observation::at(
                    RULE.id,
                    &schema.rel,
                    line,
                    format!("Prisma generates its engine on `{gen_base}` but the app runs on `{run_base}`, and `binaryTargets` lacks `{need}`"),
                )
                .related(&d.rel, Some(gen.line), "`prisma generate` runs in this stage")
                .related(&d.rel, Some(last.line), "the runtime stage starts here")
                .var("target", need)
                .key(format!("{}:{need}", g.name)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    const DF: &str = "FROM node:20 AS builder\nWORKDIR /app\nCOPY . .\nRUN npm ci && npx prisma generate && npm run build\nFROM node:20-alpine AS runner\nWORKDIR /app\nCOPY --from=builder /app ./\nCMD [\"npm\", \"start\"]\n";

    #[test]
    fn debian_build_alpine_runtime_without_target_fires() {
        let schema = "generator client {\n  provider = \"prisma-client-js\"\n}\n";
        let obs = koyeb(
            "prisma-binary-target",
            &[("package.json", NEXT_PKG), ("Dockerfile", DF), ("prisma/schema.prisma", schema)],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(1));
        assert!(obs[0].message.contains("linux-musl-openssl-3.0.x"));
    }

    #[test]
    fn matching_target_or_same_base_stays_silent() {
        let schema = "generator client {\n  provider = \"prisma-client-js\"\n  binaryTargets = [\"native\", \"linux-musl-openssl-3.0.x\"]\n}\n";
        assert!(koyeb(
            "prisma-binary-target",
            &[("package.json", NEXT_PKG), ("Dockerfile", DF), ("prisma/schema.prisma", schema)]
        )
        .is_empty());
        let same = DF.replace("FROM node:20 AS builder", "FROM node:20-alpine AS builder");
        let bare = "generator client {\n  provider = \"prisma-client-js\"\n}\n";
        assert!(koyeb(
            "prisma-binary-target",
            &[("package.json", NEXT_PKG), ("Dockerfile", &same), ("prisma/schema.prisma", bare)]
        )
        .is_empty());
    }
}
