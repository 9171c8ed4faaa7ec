use super::{app_for_config, Check, Ctx, Rule};
use crate::model::App;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "healthcheck-path-no-route",
    aspect: Aspect::Operations,
    title: "The configured health check path has no route",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Compares the health check path in the repository's platform config (railway `healthcheckPath`,
render.yaml `healthCheckPath`, fly.toml `[[http_service.checks]] path`, or the
`health-check-path` declared in deploy-audit.toml for a dashboard setting) with the app's routes:
Next.js route handlers and API routes, pages, and paths a custom server declares. It stays silent
when the routes cannot be known (a custom server, `basePath`, rewrites in next.config).

## Why it matters
The platform waits for the health check to answer 200 before switching traffic; a path that
answers 404 keeps the deploy from ever going live.

## Example
`"healthcheckPath": "/health"` with only `app/api/health/route.ts`.

## Fix
Point the health check at an existing route (e.g. `/api/health`) or add the route.

## References
- https://docs.railway.com/deployments/healthchecks
- https://render.com/docs/health-checks
- https://fly.io/docs/reference/configuration/#http_service-checks
"#;

/// Can the app's routes be listed from its files?
fn routes_known(app: &App) -> bool {
    let custom_server = app.sources.iter().any(|s| !s.facts.listens.is_empty());
    let rewrites = app
        .next_config
        .as_ref()
        .is_some_and(|c| c.v.base_path.is_some() || c.v.entries.iter().any(|(k, _, _)| k == "rewrites" || k == "redirects"));
    app.is_next() && !custom_server && !rewrites
}

fn has_route(ctx: &Ctx, app: &App, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path).trim_end_matches('/');
    if path.is_empty() {
        let home = ["app/page", "src/app/page", "pages/index", "src/pages/index"];
        return home.iter().any(|h| ctx.model.has_prefix(&crate::text::join(&app.dir, &format!("{h}."))));
    }
    if app.routes.iter().any(|r| r.path == path || r.path.contains('[')) {
        return true;
    }
    // A page at that path also answers 200.
    let seg = path.trim_start_matches('/');
    ["app", "src/app"].iter().any(|base| {
        let prefix = crate::text::join(&app.dir, &format!("{base}/{seg}/page."));
        ctx.model.has_prefix(&prefix)
    }) || ["pages", "src/pages"].iter().any(|base| {
        let prefix = crate::text::join(&app.dir, &format!("{base}/{seg}."));
        ctx.model.has_prefix(&prefix)
    })
}

fn run(ctx: &Ctx) -> Vec<Observation> {
    let mut out = Vec::new();
    let mut configured: Vec<(String, String, usize)> = Vec::new();
    let reads = |file: &str| ctx.facts.config_file == file;
    for r in ctx.model.railway.iter().filter(|_| reads("railway")) {
        if let Some((p, l)) = &r.v.healthcheck_path {
            configured.push((r.rel.clone(), p.clone(), *l));
        }
    }
    for r in ctx.model.render.iter().filter(|_| reads("render.yaml")) {
        for s in &r.v.services {
            if let Some((p, l)) = &s.health_check_path {
                configured.push((r.rel.clone(), p.clone(), *l));
            }
        }
    }
    for f in ctx.model.fly_building().filter(|_| reads("fly.toml")) {
        for c in f.v.http_service.iter().flat_map(|h| h.checks.iter()) {
            if let Some(p) = &c.path {
                configured.push((f.rel.clone(), p.clone(), c.line));
            }
        }
    }
    if let Some((p, l)) = &ctx.declared.health_check_path {
        configured.push((ctx.declared.file.clone(), p.clone(), *l));
    }
    for (rel, path, line) in configured {
        let Some(app) = app_for_config(ctx.model, &rel) else { continue };
        if !routes_known(app) || has_route(ctx, app, &path) {
            continue;
        }
        let known: Vec<&str> = app
            .routes
            .iter()
            .map(|r| r.path.as_str())
            .filter(|p| super::no_health_route_paths().contains(p))
            .collect();
        let hint = if known.is_empty() {
            String::new()
        } else {
            format!(" (the app has {})", known.join(", "))
        };
        out.push(
            Observation::at(
                RULE.id,
                &rel,
                line,
                format!(
                    "the health check calls `{}`, but the app has no route there{hint}, so it answers 404",
                    crate::text::sanitize(&path)
                ),
            )
            .var("path", path.clone())
            .key(format!("{rel}:{path}")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{run, NEXT_PKG};

    const ROUTE: &str = "export function GET() { return Response.json({ ok: true }) }\n";

    #[test]
    fn missing_route_fires() {
        let rw = "{\"deploy\": {\"healthcheckPath\": \"/health\"}}";
        let obs = run(
            "healthcheck-path-no-route",
            "railway",
            &[
                ("package.json", NEXT_PKG),
                ("app/api/health/route.ts", ROUTE),
                ("app/page.tsx", "export default function P() { return null }\n"),
                ("railway.json", rw),
            ],
        );
        assert_eq!(obs.len(), 1);
        assert!(obs[0].message.contains("/api/health"));
    }

    #[test]
    fn a_declared_health_check_path_is_checked_like_a_config_file_one() {
        let files = [
            ("package.json", NEXT_PKG),
            ("app/api/health/route.ts", ROUTE),
            ("app/page.tsx", "export default function P() { return null }\n"),
        ];
        let bad = crate::config::parse("[platform]\nhealth-check-path = \"/healthz\"\n", "deploy-audit.toml").unwrap();
        let obs = crate::checks::testing::run_declared("healthcheck-path-no-route", "koyeb", &files, &bad.tuning("koyeb").declared);
        assert_eq!(obs.len(), 1);
        assert_eq!((obs[0].file.as_deref(), obs[0].line), (Some("deploy-audit.toml"), Some(2)));
        let good = crate::config::parse("[platform]\nhealth-check-path = \"/api/health\"\n", "deploy-audit.toml").unwrap();
        assert!(crate::checks::testing::run_declared("healthcheck-path-no-route", "koyeb", &files, &good.tuning("koyeb").declared).is_empty());
    }

    #[test]
    fn existing_route_home_page_or_custom_server_stays_silent() {
        let files = |p: &'static str| {
            vec![
                ("package.json", NEXT_PKG),
                ("app/api/health/route.ts", ROUTE),
                ("app/page.tsx", "export default function P() { return null }\n"),
                ("render.yaml", p),
            ]
        };
        assert!(run(
            "healthcheck-path-no-route",
            "render",
            &files("services:\n  - type: web\n    name: a\n    healthCheckPath: /api/health\n")
        )
        .is_empty());
        assert!(run(
            "healthcheck-path-no-route",
            "render",
            &files("services:\n  - type: web\n    name: a\n    healthCheckPath: /\n")
        )
        .is_empty());
        let server = "const http = require('http');\nhttp.createServer(() => {}).listen(process.env.PORT || 3000);\n";
        let rw = "{\"deploy\": {\"healthcheckPath\": \"/health\"}}";
        assert!(run(
            "healthcheck-path-no-route",
            "railway",
            &[("package.json", NEXT_PKG), ("server.js", server), ("railway.json", rw)]
        )
        .is_empty());
    }
}
