use super::{deployable_apps, is_example_app, Check, Ctx, Rule};
use crate::model::{App, Model, Route};
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
`/healthz`, `/api/health`, `/api/healthz`, `/ping`, `/status`, `/livez` or `/readyz` (or under a
`health` segment, such as `/api/health/live`), such a path in a custom server or a NestJS
`@Controller`, or in a workspace package the app depends on (a router its catch-all route mounts).
A monorepo image built at the root counts the routes of every package it ships.

Only packages that answer HTTP themselves are checked: a Next.js or other server-rendering app
(`next start`, Nitro `.output/server/index.mjs`, Remix / React Router servers), or code that
listens on a port. Libraries, workers, CLIs, examples and static bundles served by nginx are not.

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
    "/health-check",
    "/api/health-check",
];

/// Is this route path a health endpoint: by its last segment (`/api/_monitor/healthcheck`,
/// `/v1/health-check`), or under a health segment (`/api/health/live`)?
pub fn is_health_path(path: &str) -> bool {
    const LAST: &[&str] = &[
        "health",
        "healthz",
        "healthcheck",
        "health-check",
        "heartbeat",
        "ping",
        "livez",
        "readyz",
        "liveness",
        "readiness",
        "up",
    ];
    const ANY: &[&str] = &["health", "healthz", "healthcheck"];
    if HEALTH_PATHS.contains(&path) {
        return true;
    }
    // Segments without their leading underscores, compared without case (no copies made).
    let mut segs = path.trim_end_matches('/').split('/').map(|s| s.trim_start_matches('_'));
    let is = |seg: &str, words: &[&str]| words.iter().any(|w| seg.eq_ignore_ascii_case(w));
    let last = segs.clone().next_back().unwrap_or("");
    is(last, LAST) || segs.any(|s| is(s, ANY))
}

/// A route that answers a health check: its path says so and, for a route handler whose methods
/// are known, it answers GET (a `POST`-only `…/webhook/health-check` is a webhook).
fn answers_health(app: &App, r: &Route) -> bool {
    is_health_path(&r.path)
        && app
            .sources
            .iter()
            .find(|s| s.rel == r.file)
            .is_none_or(|s| s.facts.http_methods.is_empty() || s.facts.http_methods.iter().any(|(m, _)| m == "GET" || m == "HEAD"))
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

/// Start commands of server-rendering frameworks: Next.js (`next start`, or a build that the
/// standalone `server.js` runs), Nitro output (TanStack Start, Nuxt, Analog), Remix / React
/// Router servers, Astro's Node adapter.
const SSR_SERVERS: &[&str] = &[
    "next start",
    "next build",
    "next dev",
    ".output/server/index.mjs",
    "nuxt start",
    "nuxi start",
    "nuxi preview",
    "vinxi start",
    "vite start",
    "remix-serve",
    "react-router-serve",
    "dist/server/entry.mjs",
];

/// Does the package run a server-rendering framework? A library that lists `next` among its
/// dependencies runs none of them.
fn runs_ssr(model: &Model, app: &App) -> bool {
    app.next_config.is_some()
        || app
            .package
            .as_ref()
            .is_some_and(|p| p.v.scripts.iter().any(|(_, cmd, _)| SSR_SERVERS.iter().any(|n| cmd.contains(n))))
        || model.start_commands(app).iter().any(|c| SSR_SERVERS.iter().any(|n| c.text.contains(n)))
}

/// The apps whose code this app's image or server runs: a monorepo root built by a Dockerfile
/// ships every workspace package.
fn served_by<'a>(model: &'a Model, app: &'a App) -> Vec<&'a App> {
    if app.dir.is_empty() && model.dockerfile_of(app).is_some() {
        model.apps.iter().filter(|a| !is_example_app(a)).collect()
    } else {
        vec![app]
    }
}

/// Does the app, or a workspace package it depends on (a router package its catch-all route
/// mounts), declare a health route?
fn has_health_route(model: &Model, app: &App) -> bool {
    let served = served_by(model, app);
    if served.iter().any(|a| a.routes.iter().any(|r| answers_health(a, r))) {
        return true;
    }
    let Some(p) = &app.package else { return false };
    let dep_dirs: Vec<String> = model
        .apps
        .iter()
        .filter_map(|a| a.package.as_ref())
        .chain(model.libraries.iter())
        .filter(|q| {
            q.v.name
                .as_deref()
                .and_then(|name| p.v.dep(name))
                .is_some_and(|d| d.spec.starts_with("workspace:"))
        })
        .map(|q| format!("{}/", q.rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("")))
        .filter(|d| d != "/")
        .collect();
    !dep_dirs.is_empty()
        && model.apps.iter().any(|a| {
            a.routes
                .iter()
                .any(|r| dep_dirs.iter().any(|d| r.file.starts_with(d.as_str())) && answers_health(a, r))
        })
}

/// Packages that answer HTTP or WebSocket connections when their `listen` is called.
const SERVER_PACKAGES: &[&str] = &[
    "express",
    "fastify",
    "koa",
    "hono",
    "@hono/node-server",
    "@nestjs/core",
    "@nestjs/platform-express",
    "@nestjs/platform-fastify",
    "@hapi/hapi",
    "restify",
    "polka",
    "h3",
    "elysia",
    "socket.io",
    "ws",
    "http-server",
    "serve",
    "connect",
];

/// Does this `listen` open a port the platform routes to? `listen(0, "127.0.0.1")` is an
/// internal helper; a `listen(name, handler)` whose port is not understood only counts in code
/// that uses a server package (an event emitter's `listen` is no server).
fn opens_port(app: &App, s: &crate::model::SourceDoc, l: &crate::parse::source::Listen) -> bool {
    use crate::parse::source::PortExpr;
    let loopback = l.host.as_deref().is_some_and(|h| matches!(h, "127.0.0.1" | "localhost" | "::1"));
    if loopback || l.port == PortExpr::Literal(0) {
        return false;
    }
    l.port != PortExpr::Unknown
        || SERVER_PACKAGES.iter().any(|p| app.dep(p).is_some())
        || s.facts.imports.iter().any(|(m, _)| {
            let m = m.strip_prefix("node:").unwrap_or(m);
            m == "http" || m == "https" || m == "http2" || SERVER_PACKAGES.contains(&m)
        })
}

/// Does the app answer HTTP itself: a Next.js server, route handlers, or code that calls `listen`
/// / `serve` or starts a WebSocket server? A worker, a CLI, a library, or a static bundle served by nginx has
/// no route of its own to check (a static server's `/` is its health check).
fn serves_http(model: &Model, app: &App) -> bool {
    served_by(model, app).into_iter().any(|a| {
        runs_ssr(model, a)
            // Route handlers (`app/**/route.ts`, `pages/api/*`, `app/routes/*`) answer requests.
            || !a.routes.is_empty()
            || a.sources
                .iter()
                .filter(|s| s.runtime)
                .any(|s| !s.facts.ws_servers.is_empty() || s.facts.listens.iter().any(|l| opens_port(a, s, l)))
    })
}

/// Is the Dockerfile linked to this app kept in a deeper app's directory? A workspace root whose
/// build copies the root manifests gets the Dockerfile of `apps/portal/`, but the image is that
/// app's, which is judged on its own.
fn image_of_other_app(model: &Model, app: &App) -> bool {
    model.dockerfile_of(app).is_some_and(|d| {
        model
            .apps
            .iter()
            .any(|o| o.dir.len() > app.dir.len() && !o.dir.is_empty() && d.rel.starts_with(&format!("{}/", o.dir)))
    })
}

/// The apps without a health endpoint in the repository (the same under every platform).
fn missing(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        if is_example_app(app) || !serves_http(model, app) || image_of_other_app(model, app) {
            continue;
        }
        if has_health_route(model, app) {
            continue;
        }
        // A container health check the repository already configures counts as the endpoint.
        let df_check = model.dockerfile_of(app).is_some_and(|d| {
            d.df.instructions
                .iter()
                .any(|i| i.keyword == "HEALTHCHECK" && checked_path(&i.command_text()).is_some())
        });
        let compose_check = model.composes.iter().any(|c| {
            c.v.services
                .iter()
                .any(|s| s.build.is_some() && s.healthcheck.as_ref().is_some_and(|h| checked_path(&h.test.join(" ")).is_some()))
        });
        if df_check || compose_check {
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

fn run(ctx: &Ctx) -> Vec<Observation> {
    // A health check path declared in deploy-audit.toml counts as the endpoint
    // (healthcheck-path-no-route reports it when no route answers there).
    if ctx.declared.health_check_path.is_some() {
        return Vec::new();
    }
    shared(ctx.model).as_ref().clone()
}

/// The apps that serve requests and have no health route, computed once per model (every
/// target reports the same ones).
fn shared(model: &Model) -> std::sync::Arc<Vec<Observation>> {
    model.memo.get("no-health-route:missing", || missing(model))
}

/// Compute what every target reads (see `checks::SHARED`).
pub fn prepare(model: &Model) {
    shared(model);
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
        // Case and leading underscores aside; whole segments only.
        assert!(super::is_health_path("/API/Health/live") && super::is_health_path("/up/") && super::is_health_path("/__HEALTHZ"));
        assert!(
            !super::is_health_path("/api/healthy") && !super::is_health_path("/api/ups") && !super::is_health_path("/pinged") && !super::is_health_path("")
        );
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

    #[test]
    fn libraries_workers_and_examples_are_not_web_services() {
        // A workspace library that lists `next` as a dependency but neither builds nor starts it.
        let root = "{\"name\":\"mono\",\"private\":true,\"workspaces\":[\"packages/*\",\"apps/*\"]}";
        let lib = "{\"name\":\"@m/auth\",\"main\":\"./index.ts\",\"dependencies\":{\"next\":\"15.0.0\"}}";
        assert!(koyeb(
            "no-health-route",
            &[
                ("package.json", root),
                ("packages/auth/package.json", lib),
                ("packages/auth/index.ts", "export const x = 1;\n")
            ]
        )
        .is_empty());
        // A queue worker in its own image: no port, nothing for an HTTP check to ask.
        let worker = "{\"name\":\"worker\",\"scripts\":{\"start\":\"node dist/index.js\"},\"dependencies\":{\"bullmq\":\"5.0.0\"}}";
        let df = "FROM node:20-alpine\nCOPY . .\nCMD [\"node\", \"dist/index.js\"]\n";
        let src = "import { Worker } from 'bullmq';\nnew Worker('q', async () => {});\nemitter.listen(eventName, handler);\n";
        let files = [
            ("package.json", root),
            ("apps/worker/package.json", worker),
            ("apps/worker/Dockerfile", df),
            ("apps/worker/src/index.ts", src),
        ];
        assert!(koyeb("no-health-route", &files).is_empty());
        // The same package answering HTTP fires.
        let http = "import express from 'express';\nconst app = express();\napp.listen(process.env.PORT || 3000);\n";
        let worker_http = worker.replace("\"bullmq\":\"5.0.0\"", "\"express\":\"4.0.0\"");
        let files = [
            ("package.json", root),
            ("apps/worker/package.json", &worker_http),
            ("apps/worker/Dockerfile", df),
            ("apps/worker/src/index.ts", http),
        ];
        assert_eq!(koyeb("no-health-route", &files).len(), 1);
        // An example app is not the repository's service.
        assert!(koyeb(
            "no-health-route",
            &[
                ("package.json", root),
                ("examples/demo/package.json", NEXT_PKG),
                ("examples/demo/app/page.tsx", "export default function P() { return null }\n")
            ]
        )
        .is_empty());
    }

    #[test]
    fn a_server_rendering_framework_without_next_still_needs_an_endpoint() {
        let pkg = "{\"name\":\"portal\",\"scripts\":{\"build\":\"vite build\",\"start\":\"node .output/server/index.mjs\"}}";
        assert_eq!(
            koyeb(
                "no-health-route",
                &[("package.json", pkg), ("src/routes/index.tsx", "export const Route = 1;\n")]
            )
            .len(),
            1
        );
    }

    #[test]
    fn health_routes_in_nest_controllers_nested_paths_and_workspace_packages_count() {
        let pkg = "{\"name\":\"api\",\"scripts\":{\"start\":\"node dist/main.js\"},\"dependencies\":{\"@nestjs/core\":\"10.0.0\"}}";
        let main = "import { NestFactory } from '@nestjs/core';\nasync function boot() { const app = await NestFactory.create(M); await app.listen(process.env.PORT); }\nboot();\n";
        // A controller file with nothing else in it (the source analysis skips such files).
        let ctl = "import { Controller, Get } from '@nestjs/common';\n@Controller('v1/health-check')\nexport class H { @Get() ok() { return {}; } }\n";
        assert!(koyeb(
            "no-health-route",
            &[("package.json", pkg), ("src/main.ts", main), ("src/health/health.controller.ts", ctl)]
        )
        .is_empty());
        // `app/api/health/live/route.ts` is under a health segment.
        let live = "export function GET() { return Response.json({ ok: true }) }\n";
        assert!(koyeb("no-health-route", &[("package.json", NEXT_PKG), ("app/api/health/live/route.ts", live)]).is_empty());
        // A POST-only webhook named health-check is a webhook.
        let hook = "export async function POST(req) { return Response.json(await req.json()) }\n";
        assert_eq!(
            koyeb("no-health-route", &[("package.json", NEXT_PKG), ("app/api/hooks/health-check/route.ts", hook)]).len(),
            1
        );
        // A router package the app mounts in its catch-all route declares `/health`.
        let root = "{\"name\":\"mono\",\"private\":true}";
        let web = NEXT_PKG.replace("\"dependencies\": {", "\"dependencies\": {\n    \"@m/api\": \"workspace:^0.1.0\",");
        let api_pkg = "{\"name\":\"@m/api\",\"main\":\"index.ts\"}";
        let api = "import { Hono } from 'hono';\nexport const app = new Hono().route(\"/health\", health);\n";
        let catch_all = "import { app } from '@m/api';\nexport const GET = (r) => app.fetch(r);\n";
        let files = [
            ("package.json", root),
            ("apps/web/package.json", web.as_str()),
            ("apps/web/app/api/[[...route]]/route.ts", catch_all),
            ("packages/api/package.json", api_pkg),
            ("packages/api/index.ts", api),
        ];
        assert!(koyeb("no-health-route", &files).is_empty(), "{:?}", koyeb("no-health-route", &files));
    }

    #[test]
    fn a_monorepo_root_image_counts_the_routes_of_its_packages() {
        let root = "{\"name\":\"mono\",\"private\":true,\"scripts\":{\"start\":\"pnpm --filter ./apps/server start\"}}";
        let df = "FROM node:20-alpine\nCOPY . .\nCMD [\"pnpm\", \"start\"]\n";
        let server = "{\"name\":\"server\",\"scripts\":{\"start\":\"node dist/main.js\"},\"dependencies\":{\"express\":\"4.0.0\"}}";
        let main = "const app = require('express')();\napp.get('/api/health', (q, r) => r.send('ok'));\napp.listen(process.env.PORT);\n";
        let files = [
            ("package.json", root),
            ("Dockerfile", df),
            ("apps/server/package.json", server),
            ("apps/server/src/main.js", main),
        ];
        assert!(koyeb("no-health-route", &files).is_empty());
        let main = main.replace("/api/health", "/api/users");
        let files = [
            ("package.json", root),
            ("Dockerfile", df),
            ("apps/server/package.json", server),
            ("apps/server/src/main.js", main.as_str()),
        ];
        assert!(!koyeb("no-health-route", &files).is_empty());
    }

    #[test]
    fn a_workspace_root_given_the_dockerfile_of_a_deeper_app_is_not_reported_twice() {
        let ws = "{\"name\":\"web-root\",\"private\":true,\"scripts\":{\"build\":\"turbo run build\"}}";
        let portal = "{\"name\":\"portal\",\"scripts\":{\"build\":\"vite build\",\"start\":\"node .output/server/index.mjs\"}}";
        let df = "FROM node:20-alpine\nWORKDIR /app\nCOPY web/package.json web/pnpm-workspace.yaml web/pnpm-lock.yaml ./\nCOPY web/apps/portal/package.json ./apps/portal/\nCOPY web/apps/portal/src ./apps/portal/src\nCMD [\"node\", \".output/server/index.mjs\"]\n";
        let files = [
            ("web/package.json", ws),
            ("web/pnpm-workspace.yaml", "packages:\n  - apps/*\n"),
            ("web/pnpm-lock.yaml", "lockfileVersion: '9.0'\n"),
            ("web/apps/portal/package.json", portal),
            ("web/apps/portal/Dockerfile", df),
            ("web/apps/portal/src/routes/index.tsx", "export const Route = 1;\n"),
        ];
        let obs = koyeb("no-health-route", &files);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].file.as_deref(), Some("web/apps/portal/package.json"));
    }
}
