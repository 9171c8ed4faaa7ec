use super::{copies_standalone, deployable_apps, final_copies, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "standalone-missing-static",
    aspect: Aspect::Docker,
    title: "Standalone server copied without .next/static",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Fires when the final stage copies `.next/standalone` but never copies `.next/static`.

## Why it matters
The standalone folder does not contain `.next/static` (the CSS and JS chunks): without it every
page loads without styles or scripts (404 on `/_next/static/...`).

## Example
```dockerfile
COPY --from=builder /app/.next/standalone ./
CMD ["node", "server.js"]
```

## Fix
Add `COPY --from=builder /app/.next/static ./.next/static` beside `server.js`.

## References
- https://nextjs.org/docs/app/api-reference/config/next-config-js/output#automatically-copying-traced-files
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        let Some(d) = model.dockerfile_of(app) else { continue };
        let Some(line) = copies_standalone(d) else { continue };
        let copies_static = final_copies(&d.df).iter().any(|(_, srcs, _)| {
            srcs.iter().any(|s| {
                let s = s.trim_end_matches('/');
                s.ends_with(".next/static") || s.ends_with(".next") || s == "."
            })
        });
        if !copies_static
            && !d
                .df
                .instructions
                .iter()
                .any(|i| i.keyword == "RUN" && i.command_text().contains(".next/static"))
        {
            out.push(
                Observation::at(
                    RULE.id,
                    &d.rel,
                    line,
                    "the image copies the standalone server but not `.next/static`, so CSS and JavaScript chunks return 404",
                )
                .key(d.rel.clone()),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG, STANDALONE_CONFIG, WITH_DOCKER};

    #[test]
    fn missing_static_fires() {
        let df = WITH_DOCKER.replace("COPY --from=builder --chown=nextjs:nodejs /app/.next/static ./.next/static\n", "");
        let obs = koyeb(
            "standalone-missing-static",
            &[("package.json", NEXT_PKG), ("Dockerfile", &df), ("next.config.js", STANDALONE_CONFIG)],
        );
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(21));
    }

    #[test]
    fn with_docker_example_stays_silent() {
        assert!(koyeb(
            "standalone-missing-static",
            &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER), ("next.config.js", STANDALONE_CONFIG)]
        )
        .is_empty());
    }
}
