use super::{copies_standalone, deployable_apps, final_copies_path, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "standalone-missing-public",
    aspect: Aspect::Docker,
    title: "Standalone server copied without public/",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Fires when the app has a `public/` folder and the final stage copies `.next/standalone` but not
`public`.

## Why it matters
The standalone folder does not include `public/`; favicons, images and other static files return
404 in production.

## Example
```dockerfile
COPY --from=builder /app/.next/standalone ./
COPY --from=builder /app/.next/static ./.next/static
```

## Fix
Add `COPY --from=builder /app/public ./public`.

## References
- https://nextjs.org/docs/app/api-reference/config/next-config-js/output#automatically-copying-traced-files
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        let Some(d) = model.dockerfile_of(app) else { continue };
        let Some(line) = copies_standalone(d) else { continue };
        let public = crate::text::join(&app.dir, "public/");
        if !model.has_prefix(&public) {
            continue;
        }
        if !final_copies_path(&d.df, "public") {
            out.push(
                Observation::at(
                    RULE.id,
                    &d.rel,
                    line,
                    "the app has a `public/` folder, but the image copies the standalone server without it, so its files return 404",
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
    fn missing_public_fires() {
        let df = WITH_DOCKER.replace("COPY --from=builder /app/public ./public\n", "");
        let obs = koyeb(
            "standalone-missing-public",
            &[
                ("package.json", NEXT_PKG),
                ("Dockerfile", &df),
                ("next.config.js", STANDALONE_CONFIG),
                ("public/favicon.svg", "<svg/>"),
            ],
        );
        assert_eq!(obs.len(), 1);
    }

    #[test]
    fn copied_or_absent_public_stays_silent() {
        assert!(koyeb(
            "standalone-missing-public",
            &[
                ("package.json", NEXT_PKG),
                ("Dockerfile", WITH_DOCKER),
                ("next.config.js", STANDALONE_CONFIG),
                ("public/favicon.svg", "<svg/>")
            ]
        )
        .is_empty());
        let df = WITH_DOCKER.replace("COPY --from=builder /app/public ./public\n", "");
        assert!(koyeb(
            "standalone-missing-public",
            &[("package.json", NEXT_PKG), ("Dockerfile", &df), ("next.config.js", STANDALONE_CONFIG)]
        )
        .is_empty());
    }
}
