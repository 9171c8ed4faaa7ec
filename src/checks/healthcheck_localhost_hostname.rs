use super::{copies_standalone, deployable_apps, final_instructions, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "healthcheck-localhost-hostname",
    aspect: Aspect::Networking,
    title: "The container health check calls localhost while the standalone server binds elsewhere",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
For an image that runs the Next.js standalone `server.js` without setting `HOSTNAME` (in the
Dockerfile, the start command or the compose service's environment), finds a Dockerfile
`HEALTHCHECK` or compose `healthcheck` that requests `localhost` or `127.0.0.1`.

## Why it matters
Docker sets `HOSTNAME` to the container's id, and the standalone server listens on the address
that name resolves to, not on the loopback interface. The health check's request to localhost
is refused, the container never becomes healthy, and Coolify / the compose stack keeps it out of
service (502, "no available server"), although the app works from outside the container.

## Example
```dockerfile
CMD ["node", "server.js"]
HEALTHCHECK CMD wget -qO- http://localhost:3000/api/health || exit 1
```

## Fix
Add `ENV HOSTNAME="0.0.0.0"` to the runner stage so the server listens on every interface,
loopback included.

## References
- https://github.com/vercel/next.js/tree/canary/examples/with-docker
- https://nextjs.org/docs/app/api-reference/config/next-config-js/output
"#;

fn calls_loopback(text: &str) -> bool {
    text.contains("://localhost") || text.contains("://127.0.0.1") || text.contains("://[::1]")
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        let Some(d) = model.dockerfile_of(app) else { continue };
        let Some(copy_line) = copies_standalone(d) else { continue };
        let cmds = model.start_commands(app);
        if !cmds.iter().any(|c| c.text.contains("server.js")) || cmds.iter().any(|c| c.text.contains("HOSTNAME=")) {
            continue;
        }
        let image_sets = final_instructions(&d.df)
            .into_iter()
            .any(|i| i.keyword == "ENV" && i.key_values().iter().any(|(k, _)| k == "HOSTNAME"));
        if image_sets {
            continue;
        }
        let mut checks: Vec<(String, usize)> = Vec::new();
        for ins in final_instructions(&d.df).into_iter().filter(|i| i.keyword == "HEALTHCHECK") {
            if calls_loopback(&ins.command_text()) {
                checks.push((d.rel.clone(), ins.line));
            }
        }
        for (c, s, _) in model.services_building(&d.rel) {
            if s.environment.iter().any(|e| e.name == "HOSTNAME") {
                checks.clear();
                break;
            }
            if let Some(h) = &s.healthcheck {
                if calls_loopback(&h.test.join(" ")) {
                    checks.push((c.rel.clone(), h.line));
                }
            }
        }
        for (file, line) in checks {
            out.push(
                Observation::at(
                    RULE.id,
                    &file,
                    line,
                    "the health check requests localhost, but the standalone `server.js` runs without `HOSTNAME` and listens only on the container's own address, so the check is refused",
                )
                .related(&d.rel, Some(copy_line), "the standalone server copied here")
                .key(format!("{file}:{}", d.rel)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{run, NEXT_PKG, STANDALONE_CONFIG, WITH_DOCKER};

    fn df(hostname: bool) -> String {
        let mut d = WITH_DOCKER.to_string();
        if !hostname {
            d = d.replace("ENV HOSTNAME=\"0.0.0.0\"\n", "");
        }
        d.replace(
            "CMD [\"node\", \"server.js\"]",
            "HEALTHCHECK CMD wget -qO- http://localhost:3000/ || exit 1\nCMD [\"node\", \"server.js\"]",
        )
    }

    #[test]
    fn loopback_check_without_hostname_fires() {
        let d = df(false);
        let obs = run(
            "healthcheck-localhost-hostname",
            "vps",
            &[("package.json", NEXT_PKG), ("next.config.js", STANDALONE_CONFIG), ("Dockerfile", &d)],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(26));
    }

    #[test]
    fn hostname_set_in_image_or_compose_stays_silent() {
        let d = df(true);
        assert!(run(
            "healthcheck-localhost-hostname",
            "vps",
            &[("package.json", NEXT_PKG), ("next.config.js", STANDALONE_CONFIG), ("Dockerfile", &d)]
        )
        .is_empty());
        let d = df(false);
        let compose = "services:\n  app:\n    build: .\n    environment:\n      HOSTNAME: 0.0.0.0\n";
        assert!(run(
            "healthcheck-localhost-hostname",
            "vps",
            &[
                ("package.json", NEXT_PKG),
                ("next.config.js", STANDALONE_CONFIG),
                ("Dockerfile", &d),
                ("docker-compose.yml", compose)
            ]
        )
        .is_empty());
    }
}
