use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::env_file::url_parts;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "db-ssl-missing",
    aspect: Aspect::Database,
    title: "A managed Postgres URL without sslmode",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds a Postgres URL in an env file whose host belongs to a managed provider (Neon, Supabase, AWS
RDS, Render, Railway's proxy, Aiven, Koyeb, DigitalOcean) and that has no `sslmode` / `ssl`
parameter. A repository that reaches Postgres only through a driver that always uses TLS
(`@vercel/postgres`, `@neondatabase/serverless`: HTTPS and secure WebSockets) is not reported.

## Why it matters
Managed providers require TLS; a client that does not ask for it is refused ("SSL connection is
required", "no pg_hba.conf entry … no encryption"), or connects unencrypted over the internet.

## Example
```sh
DATABASE_URL=postgresql://app:****@ep-cool-1.eu-central-1.aws.neon.tech/app
```

## Fix
Append `?sslmode=require` (or the provider's recommended parameters) to the URL you set on the
platform.

## References
- https://neon.tech/docs/connect/connect-securely
- https://www.prisma.io/docs/orm/overview/databases/postgresql#configuring-an-ssl-connection
"#;

pub const MANAGED: &[&str] = &[
    "neon.tech",
    "supabase.co",
    "supabase.com",
    "rds.amazonaws.com",
    "render.com",
    "rlwy.net",
    "aivencloud.com",
    "koyeb.app",
    "ondigitalocean.com",
    "cockroachlabs.cloud",
    "azure.com",
    "timescale.com",
    "tsdb.cloud.timescale.com",
    "xata.sh",
];

/// Postgres clients that speak HTTPS / secure WebSockets to the provider's proxy: TLS always, and
/// no `sslmode` to set.
const TLS_DRIVERS: &[&str] = &["@vercel/postgres", "@neondatabase/serverless"];
/// Clients that open a Postgres TCP connection, where `sslmode` decides.
const TCP_CLIENTS: &[&str] = &[
    "pg",
    "postgres",
    "@prisma/client",
    "prisma",
    "pg-promise",
    "knex",
    "typeorm",
    "sequelize",
    "slonik",
    "@mikro-orm/postgresql",
];

/// Does the repository reach Postgres only through a TLS-by-design driver?
fn tls_only(model: &Model) -> bool {
    let packages: Vec<_> = model.apps.iter().filter_map(|a| a.package.as_ref()).chain(model.libraries.iter()).collect();
    // drizzle-kit has no driver of its own: it uses the one installed.
    let any = |names: &[&str]| packages.iter().any(|p| names.iter().any(|n| p.v.dep(n).is_some()));
    any(TLS_DRIVERS) && !any(TCP_CLIENTS)
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    if tls_only(model) {
        return out;
    }
    for env in &model.env_files {
        for e in &env.entries {
            let Some(u) = url_parts(&e.value) else { continue };
            if !u.scheme.starts_with("postgres") {
                continue;
            }
            let host = u.host.to_ascii_lowercase();
            let Some(provider) = MANAGED.iter().find(|m| host == **m || host.ends_with(&format!(".{m}"))) else {
                continue;
            };
            if u.params.iter().any(|(k, _)| k == "sslmode" || k == "ssl" || k == "sslaccept") {
                continue;
            }
            out.push(
                Observation::at(
                    RULE.id,
                    &env.rel,
                    e.line,
                    format!("`{}` points at a managed Postgres host ({provider}) without `sslmode`", e.name),
                )
                .var("name", e.name.clone())
                .key(format!("{}:{}", env.rel, e.name)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn neon_url_without_sslmode_fires() {
        let env = "# db\nDATABASE_URL=postgresql://app:secretpw@ep-x-1.eu-central-1.aws.neon.tech/app\n";
        let obs = koyeb("db-ssl-missing", &[("package.json", NEXT_PKG), (".env.example", env)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(2));
        assert!(!obs[0].message.contains("secretpw"));
    }

    #[test]
    fn sslmode_or_local_host_stays_silent() {
        let env = "DATABASE_URL=postgresql://app:pw@ep-x.neon.tech/app?sslmode=require\nLOCAL_URL=postgresql://u:p@localhost:5432/app\n";
        assert!(koyeb("db-ssl-missing", &[("package.json", NEXT_PKG), (".env.example", env)]).is_empty());
    }

    #[test]
    fn a_tls_only_driver_needs_no_sslmode() {
        let env = "POSTGRES_URL=postgres://app:Zq8rL2mP0xVb@aws-0-eu.pooler.supabase.com:6543/postgres\n";
        let serverless = r#"{ "name": "web", "scripts": { "start": "next start" }, "dependencies": { "next": "15.0.0", "@vercel/postgres": "^0.10.0" } }"#;
        assert!(koyeb("db-ssl-missing", &[("package.json", serverless), (".env.example", env)]).is_empty());
        let tcp =
            r#"{ "name": "web", "scripts": { "start": "next start" }, "dependencies": { "next": "15.0.0", "@vercel/postgres": "^0.10.0", "pg": "^8.0.0" } }"#;
        assert_eq!(koyeb("db-ssl-missing", &[("package.json", tcp), (".env.example", env)]).len(), 1);
    }
}
