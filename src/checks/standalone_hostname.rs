use super::{copies_standalone, deployable_apps, final_instructions, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "standalone-hostname",
    aspect: Aspect::Networking,
    title: "Standalone server.js without HOSTNAME=0.0.0.0",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Fires when the image runs the standalone `server.js` and neither the Dockerfile nor the start
command sets `HOSTNAME` (to `0.0.0.0` or `::`).

## Why it matters
The standalone server binds to the `HOSTNAME` environment variable. Container runtimes set
`HOSTNAME` to the container's own name, so the server listens only on that interface: checks
against localhost fail and some platform proxies cannot connect. The official with-docker example
sets `ENV HOSTNAME="0.0.0.0"` for this reason.

## Example
```dockerfile
COPY --from=builder /app/.next/standalone ./
CMD ["node", "server.js"]
```

## Fix
Add `ENV HOSTNAME="0.0.0.0"` to the runner stage.

## References
- https://github.com/vercel/next.js/tree/canary/examples/with-docker
- https://nextjs.org/docs/app/api-reference/config/next-config-js/output
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        let Some(d) = model.dockerfile_of(app) else { continue };
        let Some(line) = copies_standalone(d) else { continue };
        let cmds = model.start_commands(app);
        if !cmds.iter().any(|c| c.text.contains("server.js")) {
            continue;
        }
        let set_in_env = final_instructions(&d.df)
            .into_iter()
            .any(|i| i.keyword == "ENV" && i.key_values().iter().any(|(k, _)| k == "HOSTNAME"));
        let set_in_cmd = cmds.iter().any(|c| c.text.contains("HOSTNAME="));
        if !set_in_env && !set_in_cmd {
            out.push(
                Observation::at(
                    RULE.id,
                    &d.rel,
                    line,
                    "the image runs the standalone `server.js` without setting `HOSTNAME`, so it binds to the container's hostname instead of all interfaces",
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
    fn missing_hostname_fires() {
        let df = WITH_DOCKER.replace("ENV HOSTNAME=\"0.0.0.0\"\n", "");
        let obs = koyeb(
            "standalone-hostname",
            &[("package.json", NEXT_PKG), ("Dockerfile", &df), ("next.config.js", STANDALONE_CONFIG)],
        );
        assert_eq!(obs.len(), 1);
    }

    #[test]
    fn with_docker_example_stays_silent() {
        assert!(koyeb(
            "standalone-hostname",
            &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER), ("next.config.js", STANDALONE_CONFIG)]
        )
        .is_empty());
    }
}
