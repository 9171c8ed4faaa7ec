use super::{copies_standalone, deployable_apps, dockerfile_writes_next_config, standalone_state, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "standalone-not-enabled",
    aspect: Aspect::Framework,
    title: "The image copies .next/standalone but next.config does not produce it",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Fires when the Dockerfile's final stage copies `.next/standalone` while next.config has no
`output: 'standalone'` (or there is no next.config at all) and the Dockerfile does not write one.
A conditional value (`output: process.env.X ? 'standalone' : undefined`) is left alone.

## Why it matters
`next build` only writes `.next/standalone` when standalone output is enabled; otherwise the
`COPY --from=builder /app/.next/standalone ./` step fails and the image never builds.

## Example
```js
module.exports = { reactStrictMode: true } // no output: 'standalone'
```

## Fix
Add `output: 'standalone'` to next.config, or change the runner to copy the full app and run
`next start`.

## References
- https://nextjs.org/docs/app/api-reference/config/next-config-js/output
- https://github.com/vercel/next.js/tree/canary/examples/with-docker
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        if !app.is_next() {
            continue;
        }
        let Some(d) = model.dockerfile_of(app) else { continue };
        let Some(line) = copies_standalone(d) else { continue };
        if standalone_state(app) != Some(false) || dockerfile_writes_next_config(&d.df) {
            continue;
        }
        let mut o = Observation::at(
            RULE.id,
            &d.rel,
            line,
            "the image copies `.next/standalone`, but next.config does not set `output: 'standalone'`, so the build produces no such folder",
        )
        .key(d.rel.clone());
        if let Some(cfg) = &app.next_config {
            o = o.related(&cfg.rel, Some(1), "no `output: 'standalone'` here");
        }
        out.push(o);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG, STANDALONE_CONFIG, WITH_DOCKER};

    #[test]
    fn standalone_copy_without_config_fires() {
        let obs = koyeb(
            "standalone-not-enabled",
            &[
                ("package.json", NEXT_PKG),
                ("Dockerfile", WITH_DOCKER),
                ("next.config.js", "module.exports = { reactStrictMode: true };\n"),
            ],
        );
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(21));
    }

    #[test]
    fn configured_conditional_or_written_config_stays_silent() {
        assert!(koyeb(
            "standalone-not-enabled",
            &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER), ("next.config.js", STANDALONE_CONFIG)]
        )
        .is_empty());
        let cond = "module.exports = { output: process.env.DOCKER ? 'standalone' : undefined };\n";
        assert!(koyeb(
            "standalone-not-enabled",
            &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER), ("next.config.js", cond)]
        )
        .is_empty());
        let writes = WITH_DOCKER.replace(
            "RUN npm run build",
            "RUN cat > next.config.js <<'EOF'\nmodule.exports = { output: 'standalone' };\nEOF\nRUN npm run build",
        );
        assert!(koyeb("standalone-not-enabled", &[("package.json", NEXT_PKG), ("Dockerfile", &writes)]).is_empty());
    }
}
