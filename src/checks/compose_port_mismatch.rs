use super::{listen_port, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "compose-port-mismatch",
    aspect: Aspect::Networking,
    title: "The compose port mapping targets a port the app does not listen on",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
For each deployment compose service built from the repository, compares the container side of
its `ports:` mappings with the port the app listens on: a literal `listen()` port, `next start
-p`, `PORT` from the service's `environment:` or the image's `ENV`, else the server's default
(3000 for Next.js). Services whose `PORT` may come from an `env_file` or a `${…}` substitution
are skipped.

## Why it matters
Docker forwards the published host port to the container port named on the right of the colon.
If nothing listens there, every request to the server's port (and the reverse proxy in front of
it) gets "connection refused" or a 502, although the container is running and healthy inside.

## Example
```yaml
app:
  build: .
  ports:
    - "80:8080"      # the Next.js server listens on 3000
```

## Fix
Map to the port the app listens on (`"80:3000"`), or set `PORT` in the service's `environment:`
to the container port you publish.

## References
- https://docs.docker.com/reference/compose-file/services/#ports
- https://nextjs.org/docs/app/api-reference/cli/next#next-start-options
"#;

fn run(model: &Model) -> Vec<Observation> {
    let m = model;
    let mut out = Vec::new();
    for app in super::deployable_apps(m) {
        let Some(d) = m.dockerfile_of(app) else { continue };
        let Some(last) = d.df.final_stage() else { continue };
        // Ports the image says it serves; a proxy in the image (Caddy, nginx) listens for the app.
        // An EXPOSEd port other than the app's own (the image's ENV PORT, or the app's default
        // when the platform sets nothing) means another process in the image listens there.
        let image_port = listen_port(m, app, None).map(|(p, ..)| p);
        let exposed: Vec<u16> = super::final_instructions(&d.df)
            .into_iter()
            .filter(|i| i.keyword == "EXPOSE")
            .flat_map(|i| {
                i.command_text()
                    .split_whitespace()
                    .filter_map(|w| w.split('/').next()?.parse().ok())
                    .collect::<Vec<u16>>()
            })
            .filter(|p| Some(*p) != image_port)
            .collect();
        let proxied = m.start_commands(app).iter().any(|c| {
            ["caddy", "nginx", "haproxy", "supervisord", "traefik"]
                .iter()
                .any(|p| super::has_word(&c.text, p))
        });
        for (c, s, _) in m.services_building(&d.rel) {
            if !m.deploy_composes().iter().any(|dc| dc.rel == c.rel) || s.ports.is_empty() || proxied {
                continue;
            }
            // Another stage than the final one is what this service runs.
            let target_stage = s.build.as_ref().and_then(|b| b.target.as_deref());
            if target_stage.is_some_and(|t| last.name.as_deref().is_none_or(|n| !n.eq_ignore_ascii_case(t))) {
                continue;
            }
            let env_port = s.environment.iter().find(|e| e.name == "PORT");
            let platform_port = match env_port {
                Some(e) => match e.value.as_deref().and_then(|v| v.trim().parse::<u16>().ok()) {
                    Some(p) => Some((p, c.rel.as_str(), e.line)),
                    None => continue, // `${PORT}` or empty: decided on the server.
                },
                None if !s.env_file.is_empty() => continue, // PORT may come from the env file.
                None => None,
            };
            let Some((port, how, file, line)) = listen_port(m, app, platform_port) else {
                continue;
            };
            let container_ports: Vec<(u16, usize)> = s
                .ports
                .iter()
                .filter_map(|p| {
                    let cp = p.container_port.split('/').next().unwrap_or("");
                    if cp.contains('$') || cp.contains('-') {
                        return None;
                    }
                    cp.trim().parse::<u16>().ok().map(|n| (n, p.line))
                })
                .collect();
            if container_ports.is_empty() || container_ports.iter().any(|(n, _)| *n == port || exposed.contains(n)) {
                continue;
            }
            let (first, at) = container_ports[0];
            out.push(
                Observation::at(
                    RULE.id,
                    &c.rel,
                    at,
                    format!(
                        "service `{}` publishes container port {first}, but the app listens on {port} ({how}), so nothing answers on the published port",
                        crate::text::sanitize(&s.name)
                    ),
                )
                .related(&file, Some(line), format!("listens on {port} here"))
                .var("service", s.name.clone())
                .var("port", port.to_string())
                .var("container_port", first.to_string())
                .key(format!("{}:{}:{first}:{port}", c.rel, s.name)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{run, NEXT_PKG, STANDALONE_CONFIG, WITH_DOCKER};

    fn files(compose: &str) -> Vec<(&'static str, String)> {
        vec![
            ("package.json", NEXT_PKG.to_string()),
            ("next.config.js", STANDALONE_CONFIG.to_string()),
            ("Dockerfile", WITH_DOCKER.to_string()),
            ("docker-compose.yml", compose.to_string()),
        ]
    }

    fn go(compose: &str) -> usize {
        let f = files(compose);
        let refs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (*a, b.as_str())).collect();
        run("compose-port-mismatch", "vps", &refs).len()
    }

    #[test]
    fn mapping_to_the_wrong_container_port_fires() {
        assert_eq!(go("services:\n  app:\n    build: .\n    ports:\n      - \"80:8080\"\n"), 1);
        // PORT in the service's environment wins over the image's ENV PORT=3000.
        assert_eq!(
            go("services:\n  app:\n    build: .\n    environment:\n      PORT: \"4000\"\n    ports:\n      - \"80:3000\"\n"),
            1
        );
    }

    #[test]
    fn matching_ports_env_files_and_substitutions_stay_silent() {
        assert_eq!(go("services:\n  app:\n    build: .\n    ports:\n      - \"80:3000\"\n"), 0);
        assert_eq!(go("services:\n  app:\n    build: .\n    ports:\n      - \"127.0.0.1:3000:3000\"\n"), 0);
        assert_eq!(go("services:\n  app:\n    build: .\n    env_file: .env\n    ports:\n      - \"80:8080\"\n"), 0);
        assert_eq!(
            go("services:\n  app:\n    build: .\n    environment:\n      PORT: ${PORT}\n    ports:\n      - \"80:8080\"\n"),
            0
        );
        assert_eq!(
            go("services:\n  app:\n    build: .\n    ports:\n      - \"${APP_PORT:-3000}:${APP_PORT:-3000}\"\n"),
            0
        );
        assert_eq!(
            go("services:\n  app:\n    build: .\n    environment:\n      PORT: \"8080\"\n    ports:\n      - \"80:8080\"\n"),
            0
        );
    }

    #[test]
    fn test_stacks_and_port_zero_stay_silent() {
        let compose = "services:\n  web:\n    build: .\n    ports:\n      - \"3000:3000\"\n";
        let server = "const http = require('http');\nhttp.createServer(() => {}).listen(0);\n";
        let pkg = "{\"scripts\":{\"start\":\"node server.js\"}}";
        let df = "FROM node:20-alpine\nCOPY . .\nCMD [\"node\", \"server.js\"]\n";
        assert!(run(
            "compose-port-mismatch",
            "vps",
            &[
                ("package.json", pkg),
                ("server.js", server),
                ("Dockerfile", df),
                ("docker-compose.yml", compose)
            ]
        )
        .is_empty());
        let files = [
            ("packages/e2e_tests/package.json", NEXT_PKG),
            ("packages/e2e_tests/Dockerfile", WITH_DOCKER),
            (
                "packages/e2e_tests/docker-compose.yml",
                "services:\n  web:\n    build: .\n    ports:\n      - \"80:8080\"\n",
            ),
        ];
        assert!(run("compose-port-mismatch", "vps", &files).is_empty());
    }

    #[test]
    fn exposed_ports_proxies_and_other_stages_stay_silent() {
        let df = WITH_DOCKER.replace("EXPOSE 3000", "EXPOSE 3000 80");
        let compose = "services:\n  app:\n    build: .\n    ports:\n      - \"3180:80\"\n";
        let files = [
            ("package.json", NEXT_PKG),
            ("next.config.js", STANDALONE_CONFIG),
            ("Dockerfile", df.as_str()),
            ("docker-compose.yml", compose),
        ];
        assert!(run("compose-port-mismatch", "vps", &files).is_empty());
        let staged = "services:\n  app:\n    build:\n      context: .\n      target: builder\n    ports:\n      - \"80:8080\"\n";
        assert_eq!(go(staged), 0);
    }
}
