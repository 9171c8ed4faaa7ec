use super::{app_for_config, deployable_apps, is_example_app, Check, Ctx, Rule};
use crate::model::{App, Model};
use crate::observe::Observation;
use crate::parse::source::PortExpr;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "port-not-read",
    aspect: Aspect::Networking,
    title: "The server listens on a fixed port and ignores PORT",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Finds a server that listens on a literal port (`app.listen(3000)`, `server.listen(8080, ...)`) or a
start command with a literal `next start -p 3000` / `--port 3000`, instead of reading `PORT`.
On Fly it stays silent when the fly.toml building the app routes `internal_port` to that port
(fly-internal-port compares the two).

## Why it matters
Platforms route traffic and health checks to the port they configure and pass it in `PORT`. A
fixed port only works if the platform's port setting is changed to match it by hand; otherwise the
health check fails and the deploy never goes live.

## Example
```js
app.listen(3000);
```

## Fix
Listen on `process.env.PORT` with a default (`app.listen(process.env.PORT || 3000)`), or
`next start -p ${PORT:-3000}`; otherwise set the platform's port to the fixed value.

## References
- https://www.koyeb.com/docs/build-and-deploy/environment-variables
- https://nextjs.org/docs/app/api-reference/cli/next#next-start-options
"#;

/// Does a fly.toml that builds this app already route to `port` (`[http_service]` or
/// `[[services]]` `internal_port`)? Then Fly's setting is in the repository and matches.
fn fly_routes_to(model: &Model, app: &App, port: u16) -> bool {
    model.fly_building().any(|f| {
        app_for_config(model, &f.rel).is_some_and(|a| a.dir == app.dir)
            && (f
                .v
                .http_service
                .as_ref()
                .and_then(|h| h.internal_port)
                .is_some_and(|(p, _)| p == i64::from(port))
                || f.v.services.iter().any(|s| s.internal_port.is_some_and(|(p, _)| p == i64::from(port))))
    })
}

fn run(ctx: &Ctx) -> Vec<Observation> {
    let mut out = Vec::new();
    let default = ctx
        .facts
        .default_port
        .map(|p| p.to_string())
        .unwrap_or_else(|| "the configured port".to_string());
    let routed = |app: &App, p: u16| ctx.platform.id == "fly" && fly_routes_to(ctx.model, app, p);
    for app in deployable_apps(ctx.model).filter(|a| !is_example_app(a)) {
        for src in app.sources.iter().filter(|s| s.runtime) {
            for l in &src.facts.listens {
                if let PortExpr::Literal(p @ 1..) = l.port {
                    if routed(app, p) {
                        continue;
                    }
                    out.push(
                        Observation::at(
                            RULE.id,
                            &src.rel,
                            l.line,
                            format!(
                                "the server listens on fixed port {p} and ignores `PORT`, so {} must be set to route to {p}",
                                ctx.platform.port_setting
                            ),
                        )
                        .var("port", p.to_string())
                        .var("default_port", default.clone())
                        .key(format!("{}:{p}", src.rel)),
                    );
                }
            }
        }
        for c in ctx.model.start_commands(app) {
            if let Some(p) = super::next_start_port(&c.text).filter(|&p| !routed(app, p)) {
                out.push(
                    Observation::at(
                        RULE.id,
                        &c.file,
                        c.line,
                        format!(
                            "the start command runs `next start` on fixed port {p} and ignores `PORT`, so {} must be set to route to {p}",
                            ctx.platform.port_setting
                        ),
                    )
                    .var("port", p.to_string())
                    .var("default_port", default.clone())
                    .key(format!("next-start:{p}")),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn literal_listen_and_next_start_port_fire() {
        let pkg = "{\"scripts\":{\"start\":\"node server.js\"},\"dependencies\":{\"express\":\"4.0.0\"}}";
        let src = "const express = require('express');\nconst app = express();\napp.listen(3000, () => console.log('up'));\n";
        let obs = koyeb("port-not-read", &[("package.json", pkg), ("server.js", src)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(3));
        let pkg2 = NEXT_PKG.replace("\"start\": \"next start\"", "\"start\": \"next start -p 3000\"");
        let obs = koyeb("port-not-read", &[("package.json", &pkg2)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
    }

    #[test]
    fn port_from_env_stays_silent() {
        let pkg = "{\"scripts\":{\"start\":\"node server.js\"},\"dependencies\":{\"express\":\"4.0.0\"}}";
        let src = "const app = require('express')();\napp.listen(process.env.PORT || 3000);\n";
        assert!(koyeb("port-not-read", &[("package.json", pkg), ("server.js", src)]).is_empty());
        let pkg2 = NEXT_PKG.replace("\"start\": \"next start\"", "\"start\": \"next start -p ${PORT:-3000}\"");
        assert!(koyeb("port-not-read", &[("package.json", &pkg2)]).is_empty());
    }

    #[test]
    fn a_fly_toml_routing_to_the_fixed_port_and_playgrounds_stay_silent() {
        use crate::checks::testing::run;
        let pkg = "{\"scripts\":{\"start\":\"node server.js\"},\"dependencies\":{\"express\":\"4.0.0\"}}";
        let src = "const app = require('express')();\napp.listen(3000);\n";
        let df = "FROM node:20-alpine\nCOPY . .\nCMD [\"node\", \"server.js\"]\n";
        let fly = "app = \"a\"\n[http_service]\n  internal_port = 3000\n";
        let files = [("package.json", pkg), ("server.js", src), ("Dockerfile", df), ("fly.toml", fly)];
        assert!(run("port-not-read", "fly", &files).is_empty());
        // Fly routing elsewhere is still told (fly-internal-port reports the mismatch too), and
        // the other platforms, which fly.toml does not configure, still need their setting.
        let fly8080 = fly.replace("3000", "8080");
        let files8080 = [("package.json", pkg), ("server.js", src), ("Dockerfile", df), ("fly.toml", fly8080.as_str())];
        assert_eq!(run("port-not-read", "fly", &files8080).len(), 1);
        assert_eq!(run("port-not-read", "railway", &files).len(), 1);
        // A playground beside the product is not deployed.
        let files = [
            ("package.json", "{\"name\":\"root\",\"private\":true}"),
            ("playground/nest/package.json", pkg),
            ("playground/nest/server.js", src),
        ];
        assert!(koyeb("port-not-read", &files).is_empty());
    }
}
