use super::{deployable_apps, has_seq, standalone_state, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "standalone-next-start",
    aspect: Aspect::Framework,
    title: "`next start` used with standalone output",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Fires when next.config sets `output: 'standalone'` and the production start command (Dockerfile
CMD/ENTRYPOINT, the scripts they call, or `npm start` without a Dockerfile) runs `next start`.

## Why it matters
Next.js warns that `next start` does not work with `output: 'standalone'`; the standalone build
is meant to be started with `node .next/standalone/server.js`, and mixing both ships the full
`node_modules` for nothing.

## Example
```json
"start": "next start"
```
with `output: 'standalone'`.

## Fix
Start the server with `node server.js` from the standalone folder (copy `.next/standalone`,
`.next/static` and `public`), or remove `output: 'standalone'`.

## References
- https://nextjs.org/docs/app/api-reference/config/next-config-js/output
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        if standalone_state(app) != Some(true) {
            continue;
        }
        if let Some(c) = model.start_commands(app).iter().find(|c| has_seq(&c.text, &["next", "start"])) {
            out.push(
                Observation::at(
                    RULE.id,
                    &c.file,
                    c.line,
                    format!(
                        "the start command ({}) runs `next start`, but next.config enables standalone output, which is started with `node server.js`",
                        c.via
                    ),
                )
                .key(app.dir.clone()),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG, STANDALONE_CONFIG, WITH_DOCKER};

    #[test]
    fn npm_start_with_standalone_fires() {
        let obs = koyeb("standalone-next-start", &[("package.json", NEXT_PKG), ("next.config.js", STANDALONE_CONFIG)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].file.as_deref(), Some("package.json"));
    }

    #[test]
    fn server_js_or_no_standalone_stays_silent() {
        assert!(koyeb(
            "standalone-next-start",
            &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER), ("next.config.js", STANDALONE_CONFIG)]
        )
        .is_empty());
        assert!(koyeb("standalone-next-start", &[("package.json", NEXT_PKG)]).is_empty());
    }
}
