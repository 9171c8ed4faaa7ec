use super::{deployable_apps, Check, Ctx, Rule};
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "in-memory-state",
    aspect: Aspect::Statelessness,
    title: "Rate limits, sessions or realtime fan-out kept in one process's memory",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Finds server code that keeps shared state in process memory: `express-rate-limit` without a
`store`, `express-session` without a `store` (MemoryStore), a socket.io server without an adapter.
Reported where the platform can run several instances; a declared `instances = 1` in
deploy-audit.toml silences it, and a declared count above one makes it certain.

## Why it matters
Each instance keeps its own copy: a client that hits another replica gets a fresh rate-limit
budget, loses its session, or misses the events published on the other instance. Restarts and
redeploys reset everything. express-session's MemoryStore also leaks memory by design.

## Example
```ts
app.use(rateLimit({ windowMs: 60_000, limit: 100 }));
```

## Fix
Use a shared store: `rate-limit-redis` for express-rate-limit, `connect-redis` for sessions, the
Redis adapter for socket.io, or keep the service at exactly one instance.

## References
- https://express-rate-limit.mintlify.app/reference/stores
- https://socket.io/docs/v4/redis-adapter/
"#;

/// Does the file pass a `store` option (`store: new RedisStore()`, shorthand `{ store }`,
/// `...(store && { store })`)?
fn sets_store(text: &str) -> bool {
    text.match_indices("store").any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + 5..].trim_start().chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') && matches!(after, Some(':' | ',' | '}'))
    })
}

/// In-process state found in the server code: (file, what, line). The same under every
/// platform, so found once per model.
fn found(model: &crate::model::Model) -> Vec<(String, &'static str, usize)> {
    let mut all = Vec::new();
    for app in deployable_apps(model) {
        let app_has_adapter = app
            .sources
            .iter()
            .any(|s| s.facts.imports.iter().any(|(i, _)| i.starts_with("@socket.io/") && i.ends_with("adapter")));
        for s in app.sources.iter().filter(|s| s.runtime) {
            let imports = |m: &str| s.facts.imports.iter().any(|(i, _)| i == m);
            let rate_limit = imports("express-rate-limit");
            let session = imports("express-session");
            let socket_io = imports("socket.io") || s.facts.ws_servers.iter().any(|(k, _)| k == "socket.io");
            // Only a file that uses one of these modules is read again.
            if !rate_limit && !session && !socket_io {
                continue;
            }
            let Some(text) = model.file_text(&s.rel) else { continue };
            let line_of = |needle: &str| text.find(needle).map(|o| crate::text::line_of(text, o));
            let mut found: Vec<(&'static str, usize)> = Vec::new();
            if rate_limit && !sets_store(text) {
                if let Some(l) = line_of("rateLimit(").or_else(|| line_of("express-rate-limit")) {
                    found.push(("rate limiter (express-rate-limit with its default memory store)", l));
                }
            }
            if session && !sets_store(text) {
                if let Some(l) = line_of("session(").or_else(|| line_of("express-session")) {
                    found.push(("sessions (express-session's MemoryStore)", l));
                }
            }
            // socket.io: only a file that creates the server, and only when no adapter is set up anywhere in the app.
            let creates_server = socket_io && (text.contains("new Server(") || text.contains("socket.io')(") || text.contains("socket.io\")("));
            if creates_server && !app_has_adapter {
                if let Some(l) = line_of("new Server(").or_else(|| line_of("socket.io")) {
                    found.push(("socket.io rooms and broadcasts (no adapter)", l));
                }
            }
            all.extend(found.into_iter().map(|(what, line)| (s.rel.clone(), what, line)));
        }
    }
    all
}

/// The in-memory state of every app's server code, computed once per model (every
/// multi-instance target reads it).
fn shared(model: &crate::model::Model) -> std::sync::Arc<Vec<(String, &'static str, usize)>> {
    model.memo.get("in-memory-state:found", || found(model))
}

/// Compute what every target reads (see `checks::SHARED`).
pub fn prepare(model: &crate::model::Model) {
    shared(model);
}

fn run(ctx: &Ctx) -> Vec<Observation> {
    let mut out = Vec::new();
    if !ctx.facts.multi_instance {
        return out;
    }
    let found = shared(ctx.model);
    for (rel, what, line) in found.iter() {
        let (what, line) = (*what, *line);
        let o = match ctx.declared.instance_count().filter(|(n, _)| *n > 1) {
            Some((n, l)) => Observation::at(
                RULE.id,
                rel,
                line,
                format!(
                    "{what} live in this process's memory, so each of the {n} instances declared in {} keeps its own copy",
                    ctx.declared.file
                ),
            )
            .related(&ctx.declared.file, Some(l), format!("{n} instances declared here"))
            .var("declared", n.to_string()),
            None => Observation::at(
                RULE.id,
                rel,
                line,
                format!("{what} live in this process's memory, so each instance keeps its own copy"),
            ),
        };
        out.push(o.key(format!("{rel}:{what}")));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    const PKG: &str = "{\"scripts\":{\"start\":\"node server.js\"}}";

    #[test]
    fn default_rate_limiter_fires_where_instances_can_multiply() {
        let src = "import express from 'express';\nimport rateLimit from 'express-rate-limit';\nconst app = express();\napp.use(rateLimit({ windowMs: 60000, limit: 100 }));\napp.listen(process.env.PORT);\n";
        let obs = run("in-memory-state", "railway", &[("package.json", PKG), ("server.ts", src)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(4));
        assert!(run("in-memory-state", "vps", &[("package.json", PKG), ("server.ts", src)]).is_empty());
    }

    #[test]
    fn declared_instances_silence_or_confirm_it() {
        let src = "import express from 'express';\nimport rateLimit from 'express-rate-limit';\nconst app = express();\napp.use(rateLimit({ windowMs: 60000, limit: 100 }));\napp.listen(process.env.PORT);\n";
        let files = [("package.json", PKG), ("server.ts", src)];
        let one = crate::config::parse("[platform]\ninstances = 1\n", "deploy-audit.toml")
            .unwrap()
            .tuning("railway");
        assert!(crate::checks::testing::run_declared("in-memory-state", "railway", &files, &one.declared).is_empty());
        let three = crate::config::parse("[platform]\nreplicas = 3\n", "deploy-audit.toml")
            .unwrap()
            .tuning("railway");
        let obs = crate::checks::testing::run_declared("in-memory-state", "railway", &files, &three.declared);
        assert_eq!(obs.len(), 1);
        assert!(obs[0].message.contains("3 instances declared in deploy-audit.toml"), "{}", obs[0].message);
        assert_eq!(obs[0].related[0].file, "deploy-audit.toml");
        assert_eq!(obs[0].related[0].line, Some(2));
        // Declared several instances where the pack says one container: it now fires.
        assert_eq!(crate::checks::testing::run_declared("in-memory-state", "vps", &files, &three.declared).len(), 1);
    }

    #[test]
    fn socket_io_adapter_configured_elsewhere_stays_silent() {
        let gw = "import { Server } from 'socket.io';\nexport class Gateway { server: Server; }\nconst io = new Server(3001);\n";
        let adapter = "import { createAdapter } from '@socket.io/redis-adapter';\nexport const make = () => createAdapter(process.env.REDIS_URL as any);\n";
        assert_eq!(run("in-memory-state", "fly", &[("package.json", PKG), ("src/gateway.ts", gw)]).len(), 1);
        assert!(run(
            "in-memory-state",
            "fly",
            &[("package.json", PKG), ("src/gateway.ts", gw), ("src/adapter.ts", adapter)]
        )
        .is_empty());
    }

    #[test]
    fn redis_store_stays_silent() {
        let src = "import express from 'express';\nimport rateLimit from 'express-rate-limit';\nimport { RedisStore } from 'rate-limit-redis';\nconst app = express();\napp.use(rateLimit({ windowMs: 60000, limit: 100, store: new RedisStore({}) }));\napp.listen(process.env.PORT);\n";
        assert!(run("in-memory-state", "railway", &[("package.json", PKG), ("server.ts", src)]).is_empty());
    }

    #[test]
    fn a_store_passed_in_shorthand_stays_silent() {
        let src = "import rateLimit from 'express-rate-limit';\nimport { RedisStore } from 'rate-limit-redis';\nimport express from 'express';\nconst app = express();\nconst redis = process.env.REDIS_URL;\nconst store = redis ? new RedisStore({ sendCommand: (...a) => a }) : undefined;\napp.use(rateLimit({ windowMs: 1000, ...(store && { store }) }));\napp.listen(process.env.PORT);\n";
        assert!(run("in-memory-state", "railway", &[("package.json", PKG), ("limiter.ts", src)]).is_empty());
        let plain = "import express from 'express';\nimport rateLimit from 'express-rate-limit';\nconst app = express();\nconst restore = { a: 1 };\napp.use(rateLimit({ windowMs: 1000, limit: 5 }));\napp.listen(process.env.PORT);\n";
        assert_eq!(run("in-memory-state", "railway", &[("package.json", PKG), ("limiter.ts", plain)]).len(), 1);
    }
}
