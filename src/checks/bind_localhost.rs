use super::{deployable_apps, final_instructions, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "bind-localhost",
    aspect: Aspect::Networking,
    title: "The server binds to localhost inside the container",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds a server bound to `127.0.0.1`, `localhost` or `::1`: a `listen(port, '127.0.0.1')` call, a
`next start -H localhost` (in the image's start command or a compose `command:`), or
`HOSTNAME=localhost` (Dockerfile `ENV`, or the compose service's `environment:`) for an image that
runs the standalone `server.js` (which binds to `HOSTNAME`).

## Why it matters
Inside a container, localhost is only reachable from the container itself. The platform's proxy and
health checks connect from outside, get connection refused, and the service answers 502 or never
becomes healthy.

## Example
```js
server.listen(3000, '127.0.0.1');
```

## Fix
Bind to `0.0.0.0` (or `::`): `listen(port, '0.0.0.0')`, `next start -H 0.0.0.0`, or
`ENV HOSTNAME=0.0.0.0` for the standalone server.

## References
- https://www.koyeb.com/docs/build-and-deploy/prebuilt-docker-images
- https://fly.io/docs/networking/app-services/
"#;

fn local(host: &str) -> bool {
    let h = host.trim_matches(|c| c == '"' || c == '\'' || c == '[' || c == ']');
    matches!(h, "127.0.0.1" | "localhost" | "::1")
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        for src in app.sources.iter().filter(|s| s.runtime) {
            for l in src.facts.listens.iter().filter(|l| l.port != crate::parse::source::PortExpr::Literal(0)) {
                if let Some(h) = l.host.as_deref().filter(|h| local(h)) {
                    out.push(
                        Observation::at(
                            RULE.id,
                            &src.rel,
                            l.line,
                            format!("the server binds to `{h}`, which the platform's proxy cannot reach from outside the container"),
                        )
                        .key(format!("{}:{h}", src.rel)),
                    );
                }
            }
        }
        for c in model.start_commands(app) {
            let words: Vec<&str> = c.text.split_whitespace().collect();
            for (i, w) in words.iter().enumerate() {
                let val = if *w == "-H" || *w == "--hostname" {
                    words.get(i + 1).copied()
                } else {
                    w.strip_prefix("--hostname=")
                };
                if let Some(h) = val.filter(|h| local(h)) {
                    if super::has_seq(&c.text, &["next", "start"]) || super::has_seq(&c.text, &["next", "dev"]) {
                        out.push(
                            Observation::at(
                                RULE.id,
                                &c.file,
                                c.line,
                                format!("the start command binds Next.js to `{h}`, which the platform's proxy cannot reach"),
                            )
                            .key(format!("cmd:{h}")),
                        );
                    }
                }
            }
        }
        if let Some(d) = model.dockerfile_of(app) {
            // The compose service that runs the image can set HOSTNAME or override the command.
            for (c, s, _) in model.services_building(&d.rel) {
                for e in s.environment.iter().filter(|e| e.name == "HOSTNAME") {
                    if e.value.as_deref().is_some_and(local) && super::copies_standalone(d).is_some() {
                        out.push(
                            Observation::at(
                                RULE.id,
                                &c.rel,
                                e.line,
                                format!("compose service `{}` sets `HOSTNAME` to localhost, and the standalone `server.js` binds to `HOSTNAME`, so the proxy cannot reach it", s.name),
                            )
                            .key(format!("compose-hostname:{}", s.name)),
                        );
                    }
                }
                if let Some((cmd, line)) = &s.command {
                    let words: Vec<&str> = cmd.split_whitespace().collect();
                    let host = words.iter().enumerate().find_map(|(i, w)| {
                        if *w == "-H" || *w == "--hostname" {
                            words.get(i + 1).copied()
                        } else {
                            w.strip_prefix("--hostname=")
                        }
                    });
                    if let Some(h) = host.filter(|h| local(h)) {
                        if super::has_seq(cmd, &["next", "start"]) {
                            out.push(
                                Observation::at(
                                    RULE.id,
                                    &c.rel,
                                    *line,
                                    format!("compose service `{}` starts Next.js bound to `{h}`, which the proxy cannot reach", s.name),
                                )
                                .key(format!("compose-cmd:{}", s.name)),
                            );
                        }
                    }
                }
            }
            for ins in final_instructions(&d.df).into_iter().filter(|i| i.keyword == "ENV") {
                for (k, v) in ins.key_values() {
                    if k == "HOSTNAME" && v.as_deref().is_some_and(local) && super::copies_standalone(d).is_some() {
                        out.push(
                            Observation::at(
                                RULE.id,
                                &d.rel,
                                ins.line,
                                "the image sets `HOSTNAME` to localhost, and the standalone `server.js` binds to `HOSTNAME`, so the platform cannot reach it",
                            )
                            .key("env-hostname"),
                        );
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG, WITH_DOCKER};

    #[test]
    fn loopback_listen_and_hostname_fire() {
        let pkg = "{\"scripts\":{\"start\":\"node server.js\"}}";
        let src = "const http = require('http');\nhttp.createServer(() => {}).listen(process.env.PORT || 3000, '127.0.0.1');\n";
        let obs = koyeb("bind-localhost", &[("package.json", pkg), ("server.js", src)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(2));
        let df = WITH_DOCKER.replace("ENV HOSTNAME=\"0.0.0.0\"", "ENV HOSTNAME=127.0.0.1");
        assert_eq!(koyeb("bind-localhost", &[("package.json", NEXT_PKG), ("Dockerfile", &df)]).len(), 1);
    }

    #[test]
    fn all_interfaces_stay_silent() {
        let pkg = "{\"scripts\":{\"start\":\"node server.js\"}}";
        let src = "const http = require('http');\nhttp.createServer(() => {}).listen(process.env.PORT || 3000, '0.0.0.0');\n";
        assert!(koyeb("bind-localhost", &[("package.json", pkg), ("server.js", src)]).is_empty());
        assert!(koyeb("bind-localhost", &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER)]).is_empty());
        let compose = "services:\n  web:\n    build: .\n    environment:\n      HOSTNAME: 0.0.0.0\n";
        assert!(crate::checks::testing::run(
            "bind-localhost",
            "vps",
            &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER), ("docker-compose.yml", compose)]
        )
        .is_empty());
    }

    #[test]
    fn compose_hostname_and_command_fire() {
        let compose = "services:\n  web:\n    build: .\n    command: npx next start -H 127.0.0.1\n    environment:\n      HOSTNAME: localhost\n";
        let obs = crate::checks::testing::run(
            "bind-localhost",
            "vps",
            &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER), ("docker-compose.yml", compose)],
        );
        assert_eq!(obs.len(), 2, "{obs:?}");
    }
}
