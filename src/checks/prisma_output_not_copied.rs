use super::{copies_standalone, deployable_apps, final_copies, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;
use crate::text::{join, parent};

pub static RULE: Rule = Rule {
    id: "prisma-output-not-copied",
    aspect: Aspect::Docker,
    title: "The generated Prisma client lives outside node_modules and the runner does not copy it",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
For a generator with a relative `output` outside `node_modules` (e.g. `src/generated/prisma`),
checks that the runtime stage either runs the standalone server (which traces it), copies the whole
app, or copies that folder.

## Why it matters
A runner that copies only `node_modules`, `.next` and `package.json` leaves the generated client
behind; the server fails at start with "Cannot find module".

## Example
```dockerfile
COPY --from=builder /app/node_modules ./node_modules
COPY --from=builder /app/.next ./.next
```
with `output = "../src/generated/prisma"`.

## Fix
Copy the generated folder into the runner (`COPY --from=builder /app/src/generated ./src/generated`)
or use standalone output.

## References
- https://www.prisma.io/docs/orm/prisma-client/setup-and-configuration/generating-prisma-client#using-a-custom-output-path
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        let Some(schema) = &app.prisma else { continue };
        let Some(d) = model.dockerfile_of(app) else { continue };
        if copies_standalone(d).is_some() {
            continue;
        }
        for g in &schema.v.generators {
            let Some((path, line)) = &g.output else { continue };
            if path.starts_with('/') || path.contains(':') {
                continue;
            }
            let resolved = join(parent(&schema.rel), path);
            let local = app.local(&resolved).to_string();
            if local.starts_with("node_modules") || local.is_empty() {
                continue;
            }
            // The runtime stage (or a stage it is built on) generates the client in place.
            if super::final_instructions(&d.df)
                .iter()
                .any(|i| i.keyword == "RUN" && super::has_seq(&i.command_text(), &["prisma", "generate"]))
            {
                continue;
            }
            let copies = final_copies(&d.df);
            let copied = copies.iter().any(|(ins, srcs, _)| {
                srcs.iter().any(|s| {
                    let s = s.trim_end_matches('/');
                    let whole = s == "."
                        || s.is_empty()
                        || (ins.flag("from").is_some()
                            && s.matches('/').count() <= 2
                            && !s.contains("node_modules")
                            && !s.contains(".next")
                            && !s.contains("public")
                            && !s.ends_with(".json"));
                    let segs: Vec<&str> = s.trim_start_matches("./").split('/').collect();
                    let suffix_match = (0..segs.len()).any(|i| {
                        let suf = segs[i..].join("/");
                        !suf.is_empty() && (local == suf || local.starts_with(&format!("{suf}/")))
                    });
                    whole || suffix_match
                })
            });
            if !copied {
                out.push(
                    Observation::at(
                        RULE.id,
                        &schema.rel,
                        *line,
                        format!(
                            "the Prisma client is generated into `{local}`, which the runtime stage of {} does not copy",
                            d.rel
                        ),
                    )
                    .related(&d.rel, d.df.final_stage().map(|s| s.line), "runtime stage")
                    .key(local.clone()),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    const SCHEMA: &str = "generator client {\n  provider = \"prisma-client-js\"\n  output = \"../src/generated/prisma\"\n}\n";

    #[test]
    fn runner_without_generated_folder_fires() {
        let df = "FROM node:20-alpine AS builder\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nFROM node:20-alpine\nWORKDIR /app\nCOPY --from=builder /app/node_modules ./node_modules\nCOPY --from=builder /app/.next ./.next\nCOPY --from=builder /app/package.json ./\nCMD [\"npm\",\"start\"]\n";
        let obs = koyeb(
            "prisma-output-not-copied",
            &[("package.json", NEXT_PKG), ("Dockerfile", df), ("prisma/schema.prisma", SCHEMA)],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(3));
    }

    #[test]
    fn copied_folder_or_whole_app_stays_silent() {
        let df = "FROM node:20-alpine AS builder\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nFROM node:20-alpine\nWORKDIR /app\nCOPY --from=builder /app/node_modules ./node_modules\nCOPY --from=builder /app/src/generated ./src/generated\nCMD [\"npm\",\"start\"]\n";
        assert!(koyeb(
            "prisma-output-not-copied",
            &[("package.json", NEXT_PKG), ("Dockerfile", df), ("prisma/schema.prisma", SCHEMA)]
        )
        .is_empty());
        let df2 = "FROM node:20-alpine AS builder\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nFROM node:20-alpine\nWORKDIR /app\nCOPY --from=builder /app ./\nCMD [\"npm\",\"start\"]\n";
        assert!(koyeb(
            "prisma-output-not-copied",
            &[("package.json", NEXT_PKG), ("Dockerfile", df2), ("prisma/schema.prisma", SCHEMA)]
        )
        .is_empty());
    }

    #[test]
    fn a_runtime_stage_built_on_the_stage_that_generates_stays_silent() {
        let df = "FROM node:20 AS builder\nWORKDIR /app\nCOPY ./api .\nRUN npm ci\nRUN npx prisma generate\nFROM builder AS prod\nCMD [\"npm\",\"start\"]\n";
        assert!(koyeb(
            "prisma-output-not-copied",
            &[("package.json", NEXT_PKG), ("Dockerfile", df), ("prisma/schema.prisma", SCHEMA)]
        )
        .is_empty());
    }
}
