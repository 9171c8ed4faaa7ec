use super::{deployable_apps, Check, Ctx, Rule};
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "no-health-route",
    aspect: Aspect::Operations,
    title: "No health check endpoint",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Looks for a health endpoint in the app: a Next.js route handler or API route at `/health`,
`/healthz`, `/api/health`, `/api/healthz`, `/ping`, `/status`, `/livez` or `/readyz`, or such a
path in a custom server.

## Why it matters
Without one, the platform can only check that the port accepts TCP connections: an instance whose
database connection is broken still counts as healthy and keeps receiving traffic, and rolling
deploys cannot tell a good release from a bad one.

## Example
An app with no `app/api/health/route.ts`.

## Fix
Add `app/api/health/route.ts` returning 200 (optionally after a cheap `SELECT 1`), and point the
platform's HTTP health check at it.

## References
- https://www.koyeb.com/docs/run-and-scale/health-checks
"#;

pub const HEALTH_PATHS: &[&str] = &[
    "/health",
    "/healthz",
    "/api/health",
    "/api/healthz",
    "/ping",
    "/api/ping",
    "/status",
    "/api/status",
    "/livez",
    "/readyz",
    "/api/healthcheck",
    "/healthcheck",
    "/up",
    "/_health",
    "/heartbeat",
    "/api/heartbeat",
    "/api/_health",
    "/api/live",
    "/api/ready",
];

/// Is this route path a health endpoint by its last segment?
pub fn is_health_path(path: &str) -> bool {
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .trim_start_matches('_')
        .to_ascii_lowercase();
    HEALTH_PATHS.contains(&path)
        || [
            "health",
            "healthz",
            "healthcheck",
            "heartbeat",
            "ping",
            "livez",
            "readyz",
            "liveness",
            "readiness",
            "up",
        ]
        .contains(&last.as_str())
}

/// The path a container health check (Dockerfile HEALTHCHECK, compose healthcheck) requests.
fn checked_path(text: &str) -> Option<String> {
    let at = text.find("://")?;
    let rest = &text[at + 3..];
    let path_start = rest.find('/')?;
    let path: String = rest[path_start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '\'' && *c != '|')
        .collect();
    Some(path)
}

fn run(ctx: &Ctx) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(ctx.model) {
        if app.routes.iter().any(|r| is_health_path(&r.path)) {
            continue;
        }
        // A container health check the repository already configures counts as the endpoint.
        let df_check = ctx.model.dockerfile_of(app).is_some_and(|d| {
            d.df.instructions
                .iter()
                .any(|i| i.keyword == "HEALTHCHECK" && checked_path(&i.command_text()).is_some())
        });
        let compose_check = ctx.model.composes.iter().any(|c| {
            c.v.services
                .iter()
                .any(|s| s.build.is_some() && s.healthcheck.as_ref().is_some_and(|h| checked_path(&h.test.join(" ")).is_some()))
        });
        // So does a health check path declared in deploy-audit.toml (healthcheck-path-no-route
        // reports it when no route answers there).
        let declared_check = ctx.declared.health_check_path.is_some();
        if df_check || compose_check || declared_check {
            continue;
        }
        let file = app.package.as_ref().map(|p| p.rel.clone());
        out.push(
            Observation::new(
                RULE.id,
                file.as_deref(),
                None,
                format!(
                    "app `{}` has no health endpoint, so the platform can only check that its port is open",
                    app.display_dir()
                ),
            )
            .key(app.dir.clone()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn app_without_health_route_fires() {
        assert_eq!(
            koyeb(
                "no-health-route",
                &[("package.json", NEXT_PKG), ("app/page.tsx", "export default function P() { return null }\n")]
            )
            .len(),
            1
        );
    }

    #[test]
    fn a_health_check_path_declared_in_deploy_audit_toml_counts_as_the_endpoint() {
        let files = [
            ("package.json", NEXT_PKG),
            ("app/page.tsx", "export default function P() { return null }\n"),
            ("app/api/state/route.ts", "export function GET() { return Response.json({}) }\n"),
        ];
        assert_eq!(koyeb("no-health-route", &files).len(), 1);
        let cfg = crate::config::parse("[platform]\nhealth-check-path = \"/api/state\"\n", "deploy-audit.toml").unwrap();
        assert!(crate::checks::testing::run_declared("no-health-route", "koyeb", &files, &cfg.tuning("koyeb").declared).is_empty());
    }

    #[test]
    fn health_path_shapes() {
        assert!(super::is_health_path("/api/heartbeat") && super::is_health_path("/_health") && super::is_health_path("/api/_monitor/healthcheck"));
        assert!(!super::is_health_path("/api/users"));
        assert_eq!(
            super::checked_path("wget -q --spider http://localhost:3000/_health || exit 1").as_deref(),
            Some("/_health")
        );
    }

    #[test]
    fn route_handler_or_express_route_stays_silent() {
        assert!(koyeb(
            "no-health-route",
            &[
                ("package.json", NEXT_PKG),
                ("app/api/health/route.ts", "export function GET() { return Response.json({ ok: true }) }\n")
            ]
        )
        .is_empty());
        let pkg = "{\"scripts\":{\"start\":\"node server.js\"}}";
        let srv = "const app = require('express')();\napp.get('/healthz', (req, res) => res.send('ok'));\napp.listen(process.env.PORT);\n";
        assert!(koyeb("no-health-route", &[("package.json", pkg), ("server.js", srv)]).is_empty());
    }
}
