use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::prisma::PValue;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "db-ssl-unspecified",
    aspect: Aspect::Database,
    title: "Postgres connection with no TLS setting anywhere in the repository",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Notes a Prisma `postgresql` datasource whose URL comes from the environment when no env file in the
repository mentions `sslmode` (and no managed host was found, which `db-ssl-missing` reports).

## Why it matters
Most managed Postgres services require TLS. The URL lives in the platform's settings, so the
repository cannot show whether it asks for it; this is a reminder to check.

## Example
```prisma
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}
```

## Fix
Include `sslmode=require` (or your provider's parameters) in the `DATABASE_URL` set on the
platform, and document it in `.env.example`.

## References
- https://www.prisma.io/docs/orm/overview/databases/postgresql#configuring-an-ssl-connection
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    let mentions_ssl = model.env_files.iter().any(|e| {
        e.entries
            .iter()
            .any(|x| x.value.contains("sslmode") || x.value.contains("ssl=true") || x.name.contains("SSL"))
    });
    if mentions_ssl {
        return out;
    }
    let managed_found = !super::rule("db-ssl-missing").and_then(|r| r.observe_repo(model)).unwrap_or_default().is_empty();
    if managed_found {
        return out;
    }
    for app in &model.apps {
        let Some(schema) = &app.prisma else { continue };
        for ds in &schema.v.datasources {
            let pg = ds.provider.as_ref().is_some_and(|(p, _)| p == "postgresql" || p == "postgres");
            let Some((PValue::Env(name), line)) = &ds.url else { continue };
            if pg {
                out.push(
                    Observation::at(
                        RULE.id,
                        &schema.rel,
                        *line,
                        format!("`{name}` is read from the environment and nothing in the repository says it uses TLS (`sslmode`)"),
                    )
                    .var("name", name.clone())
                    .key(name.clone()),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    const SCHEMA: &str = "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n";

    #[test]
    fn postgres_without_ssl_note_fires() {
        let obs = koyeb("db-ssl-unspecified", &[("package.json", NEXT_PKG), ("prisma/schema.prisma", SCHEMA)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(3));
    }

    #[test]
    fn documented_sslmode_or_sqlite_stays_silent() {
        let env = "DATABASE_URL=postgresql://USER:PASSWORD@HOST:5432/db?sslmode=require\n";
        assert!(koyeb(
            "db-ssl-unspecified",
            &[("package.json", NEXT_PKG), ("prisma/schema.prisma", SCHEMA), (".env.example", env)]
        )
        .is_empty());
        let sqlite = "datasource db {\n  provider = \"sqlite\"\n  url = env(\"DATABASE_URL\")\n}\n";
        assert!(koyeb("db-ssl-unspecified", &[("package.json", NEXT_PKG), ("prisma/schema.prisma", sqlite)]).is_empty());
    }
}
