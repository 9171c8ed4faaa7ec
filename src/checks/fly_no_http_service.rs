use super::{app_for_config, Check, Ctx, Rule};
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "fly-no-http-service",
    aspect: Aspect::Networking,
    title: "fly.toml routes no traffic to the web app",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Finds a fly.toml for a web app (a Next.js app or a server that listens on a port) that has
neither an `[http_service]` section nor a `[[services]]` entry.

## Why it matters
Fly's proxy only routes requests to the ports a service section declares: without one the
Machines run, but the app's `*.fly.dev` address and custom domains answer nothing.

## Example
```toml
app = "my-app"
primary_region = "fra"
```

## Fix
Add an `[http_service]` with the port the app listens on:
`[http_service]` / `internal_port = 3000` / `force_https = true`.

## References
- https://fly.io/docs/reference/configuration/#the-http_service-section
"#;

fn run(ctx: &Ctx) -> Vec<Observation> {
    let mut out = Vec::new();
    if ctx.facts.config_file != "fly.toml" {
        return out;
    }
    for f in ctx.model.fly_building() {
        if f.v.http_service.is_some() || !f.v.services.is_empty() {
            continue;
        }
        let Some(app) = app_for_config(ctx.model, &f.rel) else { continue };
        let listens = app.sources.iter().any(|s| s.runtime && !s.facts.listens.is_empty());
        if !(app.is_next() || listens) {
            continue;
        }
        out.push(
            Observation::at(
                RULE.id,
                &f.rel,
                1,
                "fly.toml has no `[http_service]` or `[[services]]`, so Fly's proxy sends no requests to the app",
            )
            .key(f.rel.clone()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{run, NEXT_PKG};

    #[test]
    fn web_app_without_a_service_section_fires() {
        let obs = run(
            "fly-no-http-service",
            "fly",
            &[("package.json", NEXT_PKG), ("fly.toml", "app = \"a\"\nprimary_region = \"fra\"\n")],
        );
        assert_eq!(obs.len(), 1);
    }

    #[test]
    fn http_service_services_or_a_worker_stay_silent() {
        let fly = "app = \"a\"\n[http_service]\n  internal_port = 3000\n";
        assert!(run("fly-no-http-service", "fly", &[("package.json", NEXT_PKG), ("fly.toml", fly)]).is_empty());
        let svc = "app = \"a\"\n[[services]]\n  internal_port = 3000\n  protocol = \"tcp\"\n";
        assert!(run("fly-no-http-service", "fly", &[("package.json", NEXT_PKG), ("fly.toml", svc)]).is_empty());
        let worker = "{\"scripts\":{\"start\":\"node worker.js\"}}";
        assert!(run(
            "fly-no-http-service",
            "fly",
            &[
                ("package.json", worker),
                ("worker.js", "setInterval(() => {}, 1000);\n"),
                ("fly.toml", "app = \"w\"\n")
            ]
        )
        .is_empty());
    }
}
