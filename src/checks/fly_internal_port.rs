use super::{app_for_config, listen_port, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "fly-internal-port",
    aspect: Aspect::Networking,
    title: "fly.toml routes to a port the app does not listen on",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Compares `[http_service] internal_port` (8080 when unset) and `[[services]] internal_port` in
fly.toml with the port the app listens on: a literal `listen(port)`, `next start -p`, `PORT` from
fly.toml `[env]` or the image's `ENV PORT`, else 3000 for Next.js. Fly.io does not set `PORT`.

## Why it matters
Fly's proxy sends traffic and health checks to `internal_port`; when nothing listens there the app
answers 502 and the deploy fails with "app is not listening on the expected address".

## Example
```toml
[http_service]
  internal_port = 8080
```
with a Next.js image that sets `ENV PORT=3000`.

## Fix
Set `internal_port` to the port the app listens on, or set `PORT` in `[env]` to `internal_port`.

## References
- https://fly.io/docs/reference/configuration/#http_service-section
- https://fly.io/docs/js/the-basics/listening-ports/
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for f in model.fly_building() {
        let Some(app) = app_for_config(model, &f.rel) else { continue };
        let env_port =
            f.v.env
                .iter()
                .find(|(k, _, _)| k == "PORT")
                .and_then(|(_, v, l)| v.parse::<u16>().ok().map(|p| (p, f.rel.as_str(), *l)));
        let Some((port, how, file, line)) = listen_port(model, app, env_port) else {
            continue;
        };
        let mut targets: Vec<(i64, usize)> = Vec::new();
        if let Some(h) = &f.v.http_service {
            targets.push(h.internal_port.unwrap_or((8080, h.line)));
        }
        targets.extend(f.v.services.iter().filter_map(|s| s.internal_port));
        for (internal, at) in targets {
            if internal != i64::from(port) {
                out.push(
                    Observation::at(
                        RULE.id,
                        &f.rel,
                        at,
                        format!("Fly routes to internal_port {internal}, but the app listens on {port} ({how})"),
                    )
                    .related(&file, Some(line), format!("listens on {port} here"))
                    .var("port", port.to_string())
                    .var("internal_port", internal.to_string())
                    .key(format!("{}:{internal}:{port}", f.rel)),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{run, NEXT_PKG, WITH_DOCKER};

    #[test]
    fn env_port_3000_with_default_internal_port_fires() {
        let fly = "app = \"web\"\n[http_service]\n  force_https = true\n";
        let obs = run(
            "fly-internal-port",
            "fly",
            &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER), ("fly.toml", fly)],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert!(obs[0].message.contains("8080") && obs[0].message.contains("3000"));
    }

    #[test]
    fn matching_port_or_env_override_stays_silent() {
        let fly = "app = \"web\"\n[http_service]\n  internal_port = 3000\n";
        assert!(run(
            "fly-internal-port",
            "fly",
            &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER), ("fly.toml", fly)]
        )
        .is_empty());
        let fly = "app = \"web\"\n[env]\n  PORT = \"8080\"\n[http_service]\n  internal_port = 8080\n";
        assert!(run(
            "fly-internal-port",
            "fly",
            &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER), ("fly.toml", fly)]
        )
        .is_empty());
    }

    #[test]
    fn a_fly_toml_deploying_a_prebuilt_image_is_not_the_app() {
        let pkg = "{\"scripts\":{\"start\":\"node server.js\"}}";
        let src = "require('http').createServer(() => {}).listen(3000);\n";
        let fly = "app = \"log\"\n[build]\n  image = \"ghcr.io/superfly/fly-log-shipper:latest\"\n[http_service]\n  internal_port = 8686\n";
        assert!(crate::checks::testing::run("fly-internal-port", "fly", &[("package.json", pkg), ("server.js", src), ("log/fly.toml", fly)]).is_empty());
    }
}
