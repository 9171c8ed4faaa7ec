use super::{copies_standalone, deployable_apps, final_copies, standalone_state, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "standalone-recommended",
    aspect: Aspect::Docker,
    title: "The image ships the whole app and node_modules instead of standalone output",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Notes a Next.js app whose runner stage copies the whole project or its full `node_modules` while
next.config does not enable `output: 'standalone'`.

## Why it matters
Standalone output traces the files the server needs and produces a self-contained `server.js`;
images typically shrink several times, which speeds up deploys and cold starts on serverless
containers.

## Example
```dockerfile
COPY --from=builder /app/node_modules ./node_modules
CMD ["npm", "start"]
```

## Fix
Set `output: 'standalone'` in next.config and copy `.next/standalone`, `.next/static` and
`public` in the runner, then run `node server.js` (the official with-docker example).

## References
- https://nextjs.org/docs/app/api-reference/config/next-config-js/output
- https://github.com/vercel/next.js/tree/canary/examples/with-docker
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        if !app.is_next() || standalone_state(app) != Some(false) {
            continue;
        }
        let Some(d) = model.dockerfile_of(app) else { continue };
        if copies_standalone(d).is_some() {
            continue;
        }
        let whole = final_copies(&d.df)
            .into_iter()
            .find(|(_, srcs, _)| srcs.iter().any(|s| s.trim_end_matches('/').ends_with("node_modules") || s == "." || s == "./"));
        if let Some((ins, _, _)) = whole {
            out.push(Observation::at(RULE.id, &d.rel, ins.line, "the runner stage copies the full app or `node_modules` while Next.js standalone output is not enabled, so the image is several times larger than needed").key(d.rel.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG, STANDALONE_CONFIG, WITH_DOCKER};

    #[test]
    fn full_node_modules_copy_fires() {
        let df = "FROM node:20-alpine AS builder\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nFROM node:20-alpine\nWORKDIR /app\nCOPY --from=builder /app/node_modules ./node_modules\nCOPY --from=builder /app/.next ./.next\nCMD [\"npm\",\"start\"]\n";
        let obs = koyeb("standalone-recommended", &[("package.json", NEXT_PKG), ("Dockerfile", df)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(7));
    }

    #[test]
    fn standalone_setups_stay_silent() {
        assert!(koyeb(
            "standalone-recommended",
            &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER), ("next.config.js", STANDALONE_CONFIG)]
        )
        .is_empty());
    }
}
