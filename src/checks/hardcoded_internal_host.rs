use super::{deployable_apps, final_instructions, Check, Ctx, Rule};
use crate::observe::Observation;
use crate::parse::env_file::{redact, url_parts};
use crate::report::Aspect;
use std::borrow::Cow;
use std::collections::BTreeSet;

pub static RULE: Rule = Rule {
    id: "hardcoded-internal-host",
    aspect: Aspect::Networking,
    title: "A production config points a service URL at a host that does not exist there",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Reads the values a deployment gets from the repository (the final Dockerfile stage's `ENV`, a
committed `.env.production`, fly.toml `[env]` on Fly, the deployment compose file's `environment:`
on compose platforms) and connection URLs passed as literals to a client in server code
(`new Redis('redis://localhost:6379')`, `mongoose.connect('mongodb://…')`; not env or config
fallbacks, not development branches) for connection URLs and hosts (`DATABASE_URL`, `REDIS_URL`, `*_URL`,
a backing service's `*_HOST` such as `DB_HOST` / `REDIS_HOST`…) and reports those whose host is `localhost` / `127.0.0.1` / `::1`, a private IP
(10/8, 172.16/12, 192.168/16), or, where the platform does not run the compose file, the name of
a compose service (`postgres`, `db`, `redis`…). Public URLs, `${VAR}` references and a compose
service's own URL (`http://localhost:3000` on a service publishing `3000:3000`) are ignored;
values are shown redacted.

## Why it matters
Inside a container `localhost` is the container itself, and compose service names and private
addresses only resolve on the network they were written for. The app starts, then fails every
query with connection refused or a DNS error.

## Example
```dockerfile
ENV DATABASE_URL=postgresql://app:app@localhost:5432/app
```

## Fix
Remove the value from the committed file and set the real URL of the managed service in the
platform's environment settings (as a secret when it carries a password).

## References
- https://docs.docker.com/engine/network/
- https://12factor.net/backing-services
"#;

pub fn loopback(host: &str) -> bool {
    let h = host.trim_matches(|c| c == '[' || c == ']').to_ascii_lowercase();
    matches!(h.as_str(), "localhost" | "127.0.0.1" | "::1") || h.starts_with("127.")
}

pub fn private_ip(host: &str) -> bool {
    let parts: Vec<u8> = host.split('.').filter_map(|p| p.parse().ok()).collect();
    if parts.len() != 4 || host.split('.').count() != 4 {
        return false;
    }
    parts[0] == 10 || (parts[0] == 172 && (16..=31).contains(&parts[1])) || (parts[0] == 192 && parts[1] == 168)
}

/// Name segments of backing services whose `*_HOST` is another machine.
const BACKING: &[&str] = &[
    "DB",
    "DATABASE",
    "POSTGRES",
    "POSTGRESQL",
    "PG",
    "MYSQL",
    "MARIADB",
    "MONGO",
    "MONGODB",
    "REDIS",
    "VALKEY",
    "CACHE",
    "SMTP",
    "MAIL",
    "RABBITMQ",
    "AMQP",
    "KAFKA",
    "ELASTIC",
    "ELASTICSEARCH",
    "OPENSEARCH",
    "MEILI",
    "MEILISEARCH",
    "TYPESENSE",
    "MINIO",
    "S3",
    "CLICKHOUSE",
    "NATS",
    "MQTT",
    "QDRANT",
    "MEMCACHED",
];

/// A variable that names another service's address.
fn address_name(name: &str) -> bool {
    // (Compared without case, and without copying the name: it is asked of every value.)
    let starts = |p: &str| name.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    if starts("NEXT_PUBLIC_") || starts("VITE_") {
        return false; // read by the browser, where localhost is the visitor's machine: another problem
    }
    let any = |s: &str, words: &[&str]| words.iter().any(|w| s.eq_ignore_ascii_case(w));
    let last = name.rsplit('_').next().unwrap_or("");
    if any(last, &["HOST", "HOSTNAME", "ADDR", "ADDRESS", "SERVER"]) {
        // Only a backing service's address, not the app's own bind address (HOST, APP_HOST).
        return name.split('_').any(|s| any(s, BACKING));
    }
    any(last, &["URL", "URI", "DSN", "ENDPOINT"]) && !any(name, &["NEXTAUTH_URL", "AUTH_URL", "APP_URL", "BASE_URL", "SITE_URL", "PUBLIC_URL"])
}

/// The host a value addresses, when it is an internal one: (host, kind).
pub fn internal_host(name: &str, value: &str, services: &BTreeSet<String>) -> Option<(String, &'static str)> {
    if !address_name(name) || value.contains('$') {
        return None;
    }
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
    let host = match url_parts(v) {
        Some(u) if u.scheme == "file" => return None,
        Some(u) => u.host,
        None if name.to_ascii_uppercase().ends_with("HOST") => v.split(':').next().unwrap_or(v).to_string(),
        None => return None,
    };
    let h = host.to_ascii_lowercase();
    if h.is_empty() {
        return None;
    }
    if loopback(&h) {
        Some((host, "loopback"))
    } else if private_ip(&h) {
        Some((host, "private"))
    } else if services.contains(&h) {
        Some((host, "service"))
    } else {
        None
    }
}

/// A loopback URL on a port the service itself publishes unchanged.
fn own_url(value: &str, own: &BTreeSet<u16>) -> bool {
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
    let Some(u) = url_parts(v) else { return false };
    let port = u.port.or(match u.scheme.as_str() {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    });
    loopback(&u.host) && port.is_some_and(|p| own.contains(&p))
}

fn run(ctx: &Ctx) -> Vec<Observation> {
    let m = ctx.model;
    let compose_platform = ctx.facts.config_file == "compose";
    let services: BTreeSet<String> = if compose_platform {
        BTreeSet::new() // compose service names resolve on the compose network
    } else {
        m.composes
            .iter()
            .flat_map(|c| c.v.services.iter().map(|s| s.name.to_ascii_lowercase()))
            .collect()
    };
    // (name, value, file, line, where), borrowed from the model.
    let mut values: Vec<(&str, &str, &str, usize, Cow<'static, str>)> = Vec::new();
    for app in deployable_apps(m) {
        if let Some(d) = m.dockerfile_of(app) {
            for ins in final_instructions(&d.df).into_iter().filter(|i| i.keyword == "ENV") {
                for (k, v) in ins.key_values() {
                    if let Some(v) = v {
                        values.push((k, v, &d.rel, ins.line, "the image's `ENV`".into()));
                    }
                }
            }
        }
    }
    for e in m.env_files.iter().filter(|e| !e.template && !crate::model::is_test_path(&e.rel)) {
        let name = e.rel.rsplit('/').next().unwrap_or(&e.rel);
        if name == ".env.production" || name == ".env.production.local" || name == ".env.prod" {
            for x in e.entries.iter().filter(|x| !x.commented) {
                values.push((&x.name, &x.value, &e.rel, x.line, format!("`{name}`").into()));
            }
        }
    }
    if ctx.facts.config_file == "fly.toml" {
        for f in &m.fly {
            for (k, v, line) in &f.v.env {
                values.push((k, v, &f.rel, *line, "fly.toml `[env]`".into()));
            }
        }
    }
    if compose_platform {
        for c in m.deploy_composes() {
            for s in c.v.services.iter().filter(|s| s.build.is_some()) {
                // Ports the service publishes as themselves (`3000:3000`): `http://localhost:3000`
                // is this service both from the host's browser and from inside the container
                // (its own public URL, `DASHBOARD_URL`).
                let own: BTreeSet<u16> = s
                    .ports
                    .iter()
                    .filter(|p| p.host_port.as_deref() == Some(p.container_port.as_str()))
                    .filter_map(|p| p.container_port.parse().ok())
                    .collect();
                for x in &s.environment {
                    if let Some(v) = &x.value {
                        if own_url(v, &own) {
                            continue;
                        }
                        values.push((&x.name, v, &c.rel, x.line, format!("compose service `{}`", s.name).into()));
                    }
                }
            }
        }
    }
    // Connection URLs written in server code (not env fallbacks): always what the app uses.
    for app in deployable_apps(m) {
        for s in app.sources.iter().filter(|s| s.runtime) {
            for (url, line) in &s.facts.service_urls {
                values.push(("SERVICE_URL", url, &s.rel, *line, "server code".into()));
            }
        }
    }
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (name, value, file, line, place) in values {
        let Some((host, kind)) = internal_host(name, value, &services) else {
            continue;
        };
        let code = name == "SERVICE_URL";
        if !seen.insert((file, if code { Cow::Owned(format!("{name}:{line}")) } else { Cow::Borrowed(name) })) {
            continue;
        }
        let why = match kind {
            "loopback" => "is the container itself once it runs in a container".to_string(),
            "private" => "is a private address the platform's network does not reach".to_string(),
            _ => format!("is a compose service name, which does not resolve on {}", ctx.platform.name),
        };
        if code {
            out.push(
                Observation::at(
                    RULE.id,
                    file,
                    line,
                    format!("server code connects to `{}`, whose host `{host}` {why}", redact(value)),
                )
                .var("name", "the connection URL")
                .var("host", host)
                .key(format!("{file}:code:{}", redact(value))),
            );
            continue;
        }
        let shown = if value.contains("://") {
            format!(" (`{}`)", redact(value))
        } else {
            String::new()
        };
        out.push(
            Observation::at(RULE.id, file, line, format!("{place} sets `{name}`{shown} to the host `{host}`, which {why}"))
                .var("name", name.to_string())
                .var("host", host)
                .key(format!("{file}:{name}")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, run, NEXT_PKG};

    #[test]
    fn loopback_and_service_hosts_in_deploy_configs_fire() {
        let df =
            "FROM node:20-alpine\nENV DATABASE_URL=postgresql://app:s3cretpw@localhost:5432/app\nENV REDIS_URL=redis://redis:6379\nCMD [\"npm\", \"start\"]\n";
        let compose = "services:\n  redis:\n    image: redis:7\n";
        let files = [("package.json", NEXT_PKG), ("Dockerfile", df), ("docker-compose.yml", compose)];
        let obs = koyeb("hardcoded-internal-host", &files);
        assert_eq!(obs.len(), 2, "{obs:?}");
        assert!(!obs[0].message.contains("s3cretpw"));
        // On a compose platform the service name resolves; localhost is still wrong.
        assert_eq!(run("hardcoded-internal-host", "vps", &files).len(), 1);
        let code = "import Redis from 'ioredis';\nexport const r = new Redis('redis://127.0.0.1:6379');\nexport const f = new Redis(process.env.REDIS_URL || 'redis://localhost:6379');\n";
        let obs = koyeb("hardcoded-internal-host", &[("package.json", NEXT_PKG), ("lib/redis.ts", code)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(2));
        let prod = "API_URL=http://10.0.0.12:8080\n";
        assert_eq!(
            koyeb("hardcoded-internal-host", &[("package.json", NEXT_PKG), (".env.production", prod)]).len(),
            1
        );
    }

    #[test]
    fn public_hosts_references_dev_files_and_own_url_stay_silent() {
        let df = "FROM node:20-alpine\nENV DATABASE_URL=${DATABASE_URL}\nENV API_URL=https://api.acme.io\nENV HOSTNAME=0.0.0.0\nENV HOST=127.0.0.1\nENV APP_HOST=localhost\nENV NEXTAUTH_URL=http://localhost:3000\nCMD [\"npm\", \"start\"]\n";
        let env = "DATABASE_URL=postgresql://postgres:postgres@localhost:5432/app\n";
        let tpl = "REDIS_URL=redis://localhost:6379\n";
        let obs = koyeb(
            "hardcoded-internal-host",
            &[("package.json", NEXT_PKG), ("Dockerfile", df), (".env", env), (".env.example", tpl)],
        );
        assert!(obs.is_empty(), "{obs:?}");
    }

    #[test]
    fn a_compose_services_own_published_url_stays_silent() {
        let compose = "services:\n  app:\n    build: .\n    ports:\n      - \"3000:3000\"\n    environment:\n      DASHBOARD_URL: \"http://localhost:3000\"\n      SEARCH_URL: \"http://localhost:7700\"\n";
        let obs = run("hardcoded-internal-host", "vps", &[("package.json", NEXT_PKG), ("docker-compose.yml", compose)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert!(obs[0].message.contains("SEARCH_URL"));
    }
}
