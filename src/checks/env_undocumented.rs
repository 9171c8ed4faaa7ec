use super::{deployable_apps, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::prisma::PValue;
use crate::report::Aspect;
use std::collections::{BTreeMap, BTreeSet};

pub static RULE: Rule = Rule {
    id: "env-undocumented",
    aspect: Aspect::Environment,
    title: "The code reads an environment variable no template documents",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Collects every environment variable the server code reads (`process.env.X`, `process.env['X']`,
destructuring, Prisma `env("X")`) and every variable the repository provides or documents (env
templates and env files, compose `environment` and `${VAR}` references, Dockerfile `ENV` / `ARG`).
Reports each variable read but documented nowhere; with no env template at all, one finding lists
them. Variables the platform or runtime sets (`NODE_ENV`, `PORT`, `HOSTNAME`, `CI`, platform
prefixes) are ignored.

## Why it matters
The deploy has to set every variable by hand in the platform's settings. One that nobody wrote down
is found only when a page or job fails in production.

## Example
`process.env.STRIPE_WEBHOOK_SECRET` in a route with no `STRIPE_WEBHOOK_SECRET=` line in
`.env.example`.

## Fix
Add the variable to `.env.example` with a placeholder and a comment saying what it is for, then set
it in the platform's environment settings (as a secret when it is one).

## References
- https://www.koyeb.com/docs/build-and-deploy/environment-variables
- https://nextjs.org/docs/app/guides/environment-variables
"#;

pub const BUILTIN: &[&str] = &[
    "NODE_ENV",
    "PORT",
    "HOSTNAME",
    "HOST",
    "NEXT_RUNTIME",
    "NEXT_PHASE",
    "CI",
    "TZ",
    "HOME",
    "PWD",
    "PATH",
    "NEXT_TELEMETRY_DISABLED",
    "NODE_OPTIONS",
    "DEBUG",
    "npm_package_version",
    "npm_lifecycle_event",
    "NEXT_PUBLIC_VERCEL_URL",
    "VERCEL",
    "VERCEL_URL",
    "VERCEL_ENV",
    "ANALYZE",
    "NEXT_MANUAL_SIG_HANDLE",
    "TEST",
    "JEST_WORKER_ID",
];
pub const PLATFORM_PREFIXES: &[&str] = &[
    "VERCEL_",
    "KOYEB_",
    "FLY_",
    "RAILWAY_",
    "RENDER_",
    "COOLIFY_",
    "npm_",
    "GITHUB_",
    "NEXT_PUBLIC_VERCEL_",
];

pub fn builtin(name: &str) -> bool {
    // Environment variables are UPPER_SNAKE_CASE; a lower-case name is a config object's member.
    let env_like =
        name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    !env_like || BUILTIN.contains(&name) || PLATFORM_PREFIXES.iter().any(|p| name.starts_with(p)) || PROXY_AND_CLOUD.contains(&name)
}

/// Variables set by the host, proxies or cloud SDKs rather than by the deployment's settings.
const PROXY_AND_CLOUD: &[&str] = &[
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "SKIP_ENV_VALIDATION",
    "HOSTNAME",
    "LANG",
    "USER",
    "SHELL",
    "TERM",
];

/// Every variable the repository provides or documents, with the first place it does.
pub fn documented(model: &Model) -> BTreeMap<String, String> {
    let m = model;
    let mut out = BTreeMap::new();
    for e in &m.env_files {
        for x in &e.entries {
            out.entry(x.name.clone()).or_insert_with(|| e.rel.clone());
        }
    }
    for c in &m.composes {
        for s in &c.v.services {
            for x in &s.environment {
                out.entry(x.name.clone()).or_insert_with(|| c.rel.clone());
            }
        }
        for r in &c.v.var_refs {
            out.entry(r.name.clone()).or_insert_with(|| c.rel.clone());
        }
    }
    for app in &m.apps {
        if let Some(cfg) = &app.next_config {
            for (k, _) in &cfg.v.env_keys {
                out.entry(k.clone()).or_insert_with(|| cfg.rel.clone());
            }
        }
    }
    for d in &m.dockerfiles {
        for ins in d.df.instructions.iter().filter(|i| i.keyword == "ENV" || i.keyword == "ARG") {
            for (k, _) in ins.key_values() {
                out.entry(k).or_insert_with(|| d.rel.clone());
            }
        }
        for (k, _, _) in &d.df.global_args {
            out.entry(k.clone()).or_insert_with(|| d.rel.clone());
        }
    }
    out
}

/// Every variable the deployed code reads: name → (file, line, has default).
pub fn reads(model: &Model) -> BTreeMap<String, (String, usize, bool)> {
    let mut out = BTreeMap::new();
    for app in deployable_apps(model) {
        // An env schema decides whether a variable is optional; `runtimeEnv: { X: process.env.X }`
        // reads it without a fallback either way.
        let schema: BTreeMap<&str, (&str, usize, bool)> = app
            .sources
            .iter()
            .filter(|s| s.runtime)
            .flat_map(|s| {
                s.facts
                    .env_reads
                    .iter()
                    .filter(|r| r.schema)
                    .map(move |r| (r.name.as_str(), (s.rel.as_str(), r.line, r.has_default)))
            })
            .collect();
        for (name, (file, line, has_default)) in &schema {
            out.insert(name.to_string(), (file.to_string(), *line, *has_default));
        }
        for s in app.sources.iter().filter(|s| s.runtime) {
            for r in s.facts.env_reads.iter().filter(|r| !schema.contains_key(r.name.as_str())) {
                let e = out.entry(r.name.clone()).or_insert_with(|| (s.rel.clone(), r.line, r.has_default));
                e.2 &= r.has_default;
            }
        }
        if let Some(schema) = &app.prisma {
            for ds in &schema.v.datasources {
                for (v, line) in [&ds.url, &ds.direct_url].into_iter().flatten() {
                    if let PValue::Env(name) = v {
                        out.entry(name.clone()).or_insert_with(|| (schema.rel.clone(), *line, false)).2 = false;
                    }
                }
            }
        }
    }
    out
}

/// Up to this many undocumented variables are reported one by one.
const MAX_SEPARATE: usize = 12;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    let documented = documented(model);
    let missing: Vec<(String, (String, usize, bool))> = reads(model).into_iter().filter(|(n, _)| !builtin(n) && !documented.contains_key(n)).collect();
    if missing.is_empty() {
        return out;
    }
    let has_template = model.env_files.iter().any(|e| e.template);
    if !has_template && model.env_files.is_empty() {
        let names: BTreeSet<&str> = missing.iter().map(|(n, _)| n.as_str()).collect();
        let list: Vec<&str> = names.iter().copied().take(12).collect();
        let more = if names.len() > 12 {
            format!(" and {} more", names.len() - 12)
        } else {
            String::new()
        };
        out.push(
            Observation::new(
                RULE.id,
                None,
                None,
                format!(
                    "the code reads {} environment variables and the repository has no env template documenting them: {}{more}",
                    names.len(),
                    list.join(", ")
                ),
            )
            .key("no-template"),
        );
        return out;
    }
    // Past a dozen, one finding at the template lists them: a report of a hundred lines that
    // all say "add this to .env.example" hides the findings that matter.
    if missing.len() > MAX_SEPARATE {
        let template = model.env_files.iter().find(|e| e.template).or(model.env_files.first());
        let mut sorted: Vec<&(String, (String, usize, bool))> = missing.iter().collect();
        // Variables read without a default first: those are the ones a deploy cannot do without.
        sorted.sort_by_key(|(n, (_, _, has_default))| (*has_default, n.clone()));
        let required = sorted.iter().filter(|(_, (_, _, d))| !d).count();
        let list: Vec<&str> = sorted.iter().take(12).map(|(n, _)| n.as_str()).collect();
        let mut o = Observation::new(
            RULE.id,
            template.map(|t| t.rel.as_str()),
            template.map(|_| 1),
            format!(
                "{} environment variables the code reads are documented in no env template, compose file or Dockerfile ({required} without a default in code): {} and {} more",
                missing.len(),
                list.join(", "),
                missing.len() - list.len()
            ),
        )
        .var("name", list.first().copied().unwrap_or("").to_string())
        .key("many");
        for (n, (file, line, _)) in sorted.iter().take(5) {
            o = o.related(file, Some(*line), format!("`{n}` is read here"));
        }
        out.push(o);
        return out;
    }
    for (name, (file, line, _)) in missing {
        out.push(
            Observation::at(
                RULE.id,
                &file,
                line,
                format!("`{name}` is read here but no env template, compose file or Dockerfile documents it"),
            )
            .var("name", name.clone())
            .key(name),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn undocumented_reads_fire_per_variable() {
        let src = "export function GET() {\n  const k = process.env.STRIPE_KEY;\n  const d = process.env.DATABASE_URL;\n  return new Response(process.env.NODE_ENV);\n}\n";
        let obs = koyeb(
            "env-undocumented",
            &[("package.json", NEXT_PKG), ("app/api/x/route.ts", src), (".env.example", "DATABASE_URL=\n")],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(2));
        assert!(obs[0].message.contains("STRIPE_KEY"));
    }

    #[test]
    fn no_template_gives_one_finding_and_documented_reads_stay_silent() {
        let src = "export function GET() { return new Response(process.env.A_KEY + process.env.B_KEY); }\n";
        let obs = koyeb("env-undocumented", &[("package.json", NEXT_PKG), ("app/api/x/route.ts", src)]);
        assert_eq!(obs.len(), 1);
        assert!(obs[0].file.is_none());
        let df = "FROM node:20-alpine\nARG A_KEY\nENV B_KEY=x\nCMD [\"npm\",\"start\"]\n";
        assert!(koyeb(
            "env-undocumented",
            &[("package.json", NEXT_PKG), ("app/api/x/route.ts", src), ("Dockerfile", df)]
        )
        .is_empty());
    }

    #[test]
    fn many_undocumented_variables_are_one_finding_at_the_template() {
        let mut src = String::new();
        for i in 0..20 {
            src.push_str(&format!("export const v{i} = process.env.FEATURE_{i};\n"));
        }
        src.push_str("export const k = process.env.API_KEY ?? '';\n");
        let obs = crate::checks::testing::koyeb(
            "env-undocumented",
            &[
                ("package.json", crate::checks::testing::NEXT_PKG),
                (".env.example", "DATABASE_URL=\n"),
                ("lib/flags.ts", &src),
            ],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].file.as_deref(), Some(".env.example"));
        assert!(obs[0].message.starts_with("21 environment variables"), "{}", obs[0].message);
        assert_eq!(obs[0].related.len(), 5);
    }
}
