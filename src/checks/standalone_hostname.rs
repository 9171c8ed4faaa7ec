use super::{copies_standalone, deployable_apps, final_instructions, Check, Ctx, Rule};
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "standalone-hostname",
    aspect: Aspect::Networking,
    title: "Standalone server.js without HOSTNAME=0.0.0.0",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Fires when the image runs the standalone `server.js` and neither the Dockerfile nor the start
command sets `HOSTNAME` (to `0.0.0.0` or `::`). Stays silent when the start script handles
`HOSTNAME` itself, and on Coolify and a VPS when a compose service building the image sets it.

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

/// Platforms that run the repository's compose file, where a service's `environment` reaches the
/// container.
fn runs_compose(platform: &str) -> bool {
    matches!(platform, "coolify" | "vps")
}

fn run(ctx: &Ctx) -> Vec<Observation> {
    let model = ctx.model;
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
        // A start script that handles `HOSTNAME` itself (exports it, sets it, or points a proxy
        // in the image at `${HOSTNAME}:3000` on purpose) decides the bind address knowingly.
        let script_handles = cmds.iter().any(|c| model.scripts.get(&c.file).is_some_and(|t| t.contains("HOSTNAME")));
        // On a platform that runs the compose file, a service building this image sets it.
        let set_in_compose = runs_compose(&ctx.platform.id)
            && model.services_building(&d.rel).any(|(_, s, _)| {
                s.environment
                    .iter()
                    .any(|e| e.name == "HOSTNAME" && e.value.as_deref().is_some_and(|v| !v.is_empty()))
            });
        if !set_in_env && !set_in_cmd && !script_handles && !set_in_compose {
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

    #[test]
    fn a_start_script_handling_hostname_or_a_compose_service_setting_it_stays_silent() {
        use crate::checks::testing::run;
        let df = WITH_DOCKER
            .replace("ENV HOSTNAME=\"0.0.0.0\"\n", "")
            .replace("CMD [\"node\", \"server.js\"]", "COPY start.sh ./start.sh\nCMD [\"sh\", \"start.sh\"]");
        // The image fronts the server with a proxy pointed at `${HOSTNAME}:3000` on purpose.
        let script = "#!/bin/sh\nexport HOSTNAME\nenvsubst '${HOSTNAME}' < /etc/proxy.tpl > /etc/proxy.conf\nproxy &\nnode server.js\n";
        let files = [
            ("package.json", NEXT_PKG),
            ("Dockerfile", df.as_str()),
            ("next.config.js", STANDALONE_CONFIG),
            ("start.sh", script),
        ];
        assert!(koyeb("standalone-hostname", &files).is_empty());
        let plain = "#!/bin/sh\nnode server.js\n";
        let files = [
            ("package.json", NEXT_PKG),
            ("Dockerfile", df.as_str()),
            ("next.config.js", STANDALONE_CONFIG),
            ("start.sh", plain),
        ];
        assert_eq!(koyeb("standalone-hostname", &files).len(), 1);
        // The compose service that builds the image sets HOSTNAME: silent where compose runs it.
        let df = WITH_DOCKER.replace("ENV HOSTNAME=\"0.0.0.0\"\n", "");
        let compose = "services:\n  web:\n    build: .\n    environment:\n      - HOSTNAME=0.0.0.0\n";
        let files = [
            ("package.json", NEXT_PKG),
            ("Dockerfile", df.as_str()),
            ("next.config.js", STANDALONE_CONFIG),
            ("docker-compose.yml", compose),
        ];
        assert!(run("standalone-hostname", "vps", &files).is_empty());
        assert!(run("standalone-hostname", "coolify", &files).is_empty());
        assert_eq!(run("standalone-hostname", "fly", &files).len(), 1);
    }
}
