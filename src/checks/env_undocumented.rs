use super::{deployable_apps, Check, Rule};
use crate::model::{App, Model};
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
templates and env files, compose `environment` and `${VAR}` references, Dockerfile `ENV` / `ARG`,
fly.toml `[env]`, render.yaml `envVars`, an env schema's `.default(…)`). Reports each variable read
but documented nowhere; past a dozen, one finding lists them at the env template of the app that
reads them (in its folder or the nearest above it; the root template when several apps do); with
no env template at all, one finding lists them. Variables the platform, the operating
system or a test runner sets (`NODE_ENV`, `PORT`, `HOSTNAME`, `CI`, platform prefixes,
`PLAYWRIGHT`, `E2E_TESTING`) are ignored.

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
    !env_like || BUILTIN.contains(&name) || PLATFORM_PREFIXES.iter().any(|p| name.starts_with(p)) || PROXY_AND_CLOUD.contains(&name) || test_runner_var(name)
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
    // Windows and POSIX session variables (set by the operating system).
    "APPDATA",
    "LOCALAPPDATA",
    "PROGRAMFILES",
    "HOMEPATH",
    "HOMEDRIVE",
    "USERPROFILE",
    "SYSTEMROOT",
    "WINDIR",
    "COMSPEC",
    "TMPDIR",
    "TEMP",
    "TMP",
    "KUBERNETES_SERVICE_HOST",
];

/// Name segments of variables a test runner sets or a test run passes (`PLAYWRIGHT`,
/// `CI_PLAYWRIGHT`, `E2E_TESTING`, `VITEST`): no deployment sets them.
const TEST_RUNNER_SEGMENTS: &[&str] = &["PLAYWRIGHT", "CYPRESS", "VITEST", "JEST", "MOCHA"];

fn test_runner_var(name: &str) -> bool {
    let segs: Vec<&str> = name.split('_').collect();
    // `E2E` alone can be end-to-end encryption (`E2E_ENCRYPTION_KEY`); with `TEST` it is a test run.
    segs.iter().any(|s| TEST_RUNNER_SEGMENTS.contains(s))
        || ((segs.contains(&"E2E") || segs.contains(&"CI")) && segs.iter().any(|s| matches!(*s, "TEST" | "TESTS" | "TESTING")))
        || name == "E2E"
}

/// Variables a shell command line sets: `A=1 B=2 cmd`, `cross-env A=1 cmd`, `export A=1`,
/// `export A`, `env A=1 cmd`, also after `&&`, `;` or `|`.
pub fn assigned_vars(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in cmd.split(['&', ';', '|', '\n']) {
        let mut words = part.split_whitespace().peekable();
        while let Some(w) = words.peek().copied() {
            if matches!(w, "export" | "cross-env" | "env" | "npx" | "cross-env-shell") {
                words.next();
                continue;
            }
            let (name, has_value) = match w.split_once('=') {
                Some((n, _)) => (n, true),
                None => (w, false),
            };
            let is_name = !name.is_empty()
                && name.chars().next().is_some_and(|c| c.is_ascii_uppercase() || c == '_')
                && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            // `export NAME` without a value exports a variable the script set before.
            if is_name && (has_value || part.trim_start().starts_with("export")) {
                out.push(name.to_string());
                words.next();
            } else {
                break;
            }
        }
    }
    out
}

/// Every variable the repository provides or documents, with the first place it does
/// (computed once per model: env-undocumented and internal-host-fallback both ask).
pub fn documented(model: &Model) -> std::sync::Arc<BTreeMap<String, String>> {
    model.memo.get("env-documented", || documented_in(model))
}

fn documented_in(model: &Model) -> BTreeMap<String, String> {
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
    // Platform configs: fly.toml `[env]`, render.yaml `envVars` (a `sync: false` entry is how
    // render.yaml documents a secret set in the dashboard).
    for f in &m.fly {
        for (k, _, _) in &f.v.env {
            out.entry(k.clone()).or_insert_with(|| f.rel.clone());
        }
    }
    for r in &m.render {
        for e in r.v.services.iter().flat_map(|s| &s.env_vars) {
            out.entry(e.key.clone()).or_insert_with(|| r.rel.clone());
        }
    }
    // Set by the package's own scripts (`cross-env GENERATE_SCHEMA=true nest build`, `PORT=3001
    // node server.js`) or by the commands the image runs at start (an entrypoint script's
    // `export GIT_COMMIT_SHA=…`): the repository provides them.
    for p in m.apps.iter().filter_map(|a| a.package.as_ref()).chain(m.libraries.iter()) {
        for (_, cmd, _) in &p.v.scripts {
            for name in assigned_vars(cmd) {
                out.entry(name).or_insert_with(|| p.rel.clone());
            }
        }
    }
    for app in &m.apps {
        for c in &app.start {
            for name in assigned_vars(&c.text) {
                out.entry(name).or_insert_with(|| c.file.clone());
            }
        }
    }
    for d in &m.dockerfiles {
        for ins in d.df.instructions.iter().filter(|i| i.keyword == "ENV" || i.keyword == "ARG") {
            for (k, _) in ins.key_values() {
                out.entry(k.clone()).or_insert_with(|| d.rel.clone());
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
    let mut out: BTreeMap<String, (String, usize, bool)> = BTreeMap::new();
    for app in deployable_apps(model) {
        for (name, r) in app_reads(app) {
            let e = out.entry(name).or_insert_with(|| (r.file.clone(), r.line, r.has_default));
            e.2 &= r.has_default;
        }
    }
    out
}

/// One variable an app reads.
struct Read {
    file: String,
    line: usize,
    has_default: bool,
    /// An env schema declares it with a `.default(…)`: the schema documents it and the app runs
    /// without it.
    schema_default: bool,
}

/// The variables one app's server code reads.
fn app_reads(app: &App) -> BTreeMap<String, Read> {
    let mut out = BTreeMap::new();
    // An env schema decides whether a variable is optional; `runtimeEnv: { X: process.env.X }`
    // reads it without a fallback either way.
    // (The model keeps no test files among an app's sources.)
    for s in app.sources.iter().filter(|s| s.runtime) {
        for r in s.facts.env_reads.iter().filter(|r| r.schema) {
            out.entry(r.name.clone()).or_insert_with(|| Read {
                file: s.rel.clone(),
                line: r.line,
                has_default: r.has_default,
                schema_default: r.schema_default || r.default.is_some(),
            });
        }
    }
    let schema: BTreeSet<String> = out.keys().cloned().collect();
    for s in app.sources.iter().filter(|s| s.runtime) {
        // A read that is only the fallback of another (`process.env.NEW ?? process.env.OLD`, an
        // alias kept for old deployments) is not one the deployment must set.
        for r in s.facts.env_reads.iter().filter(|r| !schema.contains(&r.name) && !r.in_fallback) {
            let e = out.entry(r.name.clone()).or_insert_with(|| Read {
                file: s.rel.clone(),
                line: r.line,
                has_default: r.has_default,
                schema_default: false,
            });
            e.has_default &= r.has_default;
        }
    }
    if let Some(schema) = &app.prisma {
        for ds in &schema.v.datasources {
            for (v, line) in [&ds.url, &ds.direct_url].into_iter().flatten() {
                if let PValue::Env(name) = v {
                    out.entry(name.clone())
                        .or_insert_with(|| Read {
                            file: schema.rel.clone(),
                            line: *line,
                            has_default: false,
                            schema_default: false,
                        })
                        .has_default = false;
                }
            }
        }
    }
    out
}

/// How plainly a template's name says it documents the deployment: `.env.example` first, then a
/// production one, then others, and development / test variants last.
fn template_rank(rel: &str) -> (u8, usize) {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    let rank = if matches!(name.as_str(), ".env.example" | ".env.sample" | ".env.template" | ".example.env") {
        0
    } else if name.contains("prod") {
        1
    } else if ["dev", "test", "local", "ci", "e2e"]
        .iter()
        .any(|w| name.split(['.', '-', '_']).any(|p| p == *w))
    {
        3
    } else {
        2
    };
    (rank, name.len())
}

/// The env template that documents an app: the nearest one in its folder or above it, else the
/// repository's first template (or env file).
fn template_of<'a>(model: &'a Model, app: &App) -> Option<&'a crate::model::EnvDoc> {
    let dir_of = |rel: &str| rel.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
    let encloses = |d: &str| d.is_empty() || app.dir == d || app.dir.starts_with(&format!("{d}/"));
    model
        .env_files
        .iter()
        .filter(|e| e.template && encloses(&dir_of(&e.rel)))
        .max_by_key(|e| (dir_of(&e.rel).len(), std::cmp::Reverse(template_rank(&e.rel))))
        .or_else(|| model.env_files.iter().find(|e| e.template))
        .or(model.env_files.first())
}

/// Up to this many undocumented variables are reported one by one.
const MAX_SEPARATE: usize = 12;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    let documented = documented(model);
    // What each deployed app reads, once.
    let per_app: Vec<(&App, BTreeMap<String, Read>)> = deployable_apps(model).map(|a| (a, app_reads(a))).collect();
    // A default in any app's env schema (a shared package read by several apps) documents it.
    let schema_defaults: BTreeSet<String> = per_app
        .iter()
        .flat_map(|(_, reads)| reads.iter().filter(|(_, r)| r.schema_default).map(|(n, _)| n.clone()))
        .collect();
    let undocumented = |name: &str, r: &Read| !builtin(name) && !r.schema_default && !schema_defaults.contains(name) && !documented.contains_key(name);
    let has_template = model.env_files.iter().any(|e| e.template);
    if !has_template && model.env_files.is_empty() {
        let names: BTreeSet<&str> = per_app
            .iter()
            .flat_map(|(_, reads)| reads.iter().filter(|(n, r)| undocumented(n, r)).map(|(n, _)| n.as_str()))
            .collect();
        if names.is_empty() {
            return out;
        }
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
    // Each variable once, at its first read, with the app that reads it.
    let mut missing: BTreeMap<String, (Read, &App)> = BTreeMap::new();
    for (app, reads) in per_app {
        for (n, r) in reads.into_iter().filter(|(n, r)| undocumented(n, r)) {
            missing.entry(n).or_insert((r, app));
        }
    }
    if missing.is_empty() {
        return out;
    }
    // Past a dozen, one finding at the env template lists them: a report of a hundred lines that
    // all say "add this to .env.example" hides the findings that matter.
    if missing.len() > MAX_SEPARATE {
        let mut per_app: BTreeMap<&str, (usize, &App)> = BTreeMap::new();
        for (_, app) in missing.values() {
            per_app.entry(app.dir.as_str()).or_insert((0, app)).0 += 1;
        }
        // One app's variables: its template. Several apps': the repository's root template,
        // else the template of the app that reads most of them.
        let templates: BTreeSet<&str> = per_app.values().filter_map(|(_, a)| template_of(model, a)).map(|t| t.rel.as_str()).collect();
        let root = model
            .env_files
            .iter()
            .filter(|e| e.template && !e.rel.contains('/'))
            .min_by_key(|e| template_rank(&e.rel));
        let main = per_app.values().max_by_key(|(n, a)| (*n, std::cmp::Reverse(a.dir.len()))).map(|(_, a)| *a);
        let template = if templates.len() > 1 { root } else { None }.or_else(|| main.and_then(|a| template_of(model, a)));
        let mut sorted: Vec<(&String, &Read)> = missing.iter().map(|(n, (r, _))| (n, r)).collect();
        // Variables read without a default first: those are the ones a deploy cannot do without.
        sorted.sort_by_key(|(n, r)| (r.has_default, (*n).clone()));
        let required = sorted.iter().filter(|(_, r)| !r.has_default).count();
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
        for (n, r) in sorted.iter().take(5) {
            o = o.related(&r.file, Some(r.line), format!("`{n}` is read here"));
        }
        out.push(o);
        return out;
    }
    for (name, (r, _)) in missing {
        out.push(
            Observation::at(
                RULE.id,
                &r.file,
                r.line,
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
    fn variables_set_by_scripts_entrypoints_aliases_and_other_apps_schemas_are_documented() {
        let tmpl = (".env.example", "DATABASE_URL=\nNEW_TOKEN_URL=\n");
        // Set by the package's own codegen script; a deployment never sets it.
        let pkg = r#"{"name":"api","scripts":{"start":"node dist/main.js","gen":"cross-env GENERATE_SCHEMA=true SCHEMA_OUT=./s.gql nest build"}}"#;
        let src = "export const gen = process.env.GENERATE_SCHEMA;\nexport const out = process.env.SCHEMA_OUT ?? 'schema.gql';\nexport const url = process.env.NEW_TOKEN_URL ?? process.env.OLD_TOKEN_URL;\nexport const still = process.env.STRIPE_KEY;\n";
        let obs = koyeb("env-undocumented", &[("package.json", pkg), ("src/config.ts", src), tmpl]);
        let names: Vec<&str> = obs.iter().map(|o| o.message.as_str()).collect();
        assert_eq!(obs.len(), 1, "{names:?}");
        assert!(obs[0].message.contains("STRIPE_KEY"), "{names:?}");
        // Exported by the entrypoint script the image runs.
        let df = "FROM node:22-alpine\nWORKDIR /app\nCOPY . .\nENTRYPOINT [\"./docker-entrypoint.sh\"]\n";
        let entry = "#!/bin/sh\nexport GIT_COMMIT_SHA=$(cat /app/.sha)\nexec node dist/main.js\n";
        let src = "export const sha = process.env.GIT_COMMIT_SHA;\n";
        let files = [
            ("package.json", pkg),
            ("Dockerfile", df),
            ("docker-entrypoint.sh", entry),
            ("src/sha.ts", src),
            tmpl,
        ];
        assert!(koyeb("env-undocumented", &files).is_empty());
        // Copied into the image under another name.
        let df2 = "FROM node:22-alpine\nWORKDIR /app\nCOPY scripts/docker-entrypoint.sh /app/entrypoint.sh\nCOPY . .\nENTRYPOINT [\"/app/entrypoint.sh\"]\n";
        let files = [
            ("package.json", pkg),
            ("Dockerfile", df2),
            ("scripts/docker-entrypoint.sh", entry),
            ("src/sha.ts", src),
            tmpl,
        ];
        assert!(koyeb("env-undocumented", &files).is_empty());
        // Without the export it is undocumented.
        let entry = "#!/bin/sh\nexec node dist/main.js\n";
        let files = [
            ("package.json", pkg),
            ("Dockerfile", df),
            ("docker-entrypoint.sh", entry),
            ("src/sha.ts", src),
            tmpl,
        ];
        assert_eq!(koyeb("env-undocumented", &files).len(), 1);
    }

    #[test]
    fn assigned_vars_reads_shell_assignments_only() {
        assert_eq!(super::assigned_vars("cross-env A=1 B_2=x nest build"), vec!["A", "B_2"]);
        assert_eq!(super::assigned_vars("export SHA=$(git rev-parse HEAD) && export SHA2"), vec!["SHA", "SHA2"]);
        assert_eq!(super::assigned_vars("PORT=3001 node server.js; env DEBUG=1 node x.js"), vec!["PORT", "DEBUG"]);
        assert!(super::assigned_vars("node server.js --port=3000").is_empty());
        assert!(super::assigned_vars("echo A=1").is_empty());
        assert!(super::assigned_vars("lower=1 node x").is_empty());
    }

    #[test]
    fn a_default_in_a_shared_schema_documents_the_variable_for_every_app() {
        let schema = "import { z } from 'zod';\nexport const env = z.object({ EMAIL_PROVIDER: z.string().default('smtp'), SITE_URL: z.string().prefault('http://localhost:3000') }).parse(process.env);\n";
        let other = "export const p = process.env.EMAIL_PROVIDER;\nexport const u = process.env.SITE_URL;\n";
        let web = r#"{"name":"web","scripts":{"build":"next build","start":"next start"},"dependencies":{"next":"15.1.0"}}"#;
        let worker = r#"{"name":"worker","scripts":{"start":"node index.js"}}"#;
        let obs = koyeb(
            "env-undocumented",
            &[
                ("apps/web/package.json", web),
                ("apps/web/src/env.ts", schema),
                ("apps/worker/package.json", worker),
                ("apps/worker/src/mail.ts", other),
                (".env.example", "DATABASE_URL=\n"),
            ],
        );
        assert!(obs.is_empty(), "{obs:?}");
    }

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

    #[test]
    fn bundler_test_runner_and_os_variables_stay_silent() {
        // `import.meta.env.DEV` is Vite's; `PLAYWRIGHT` / `E2E_TESTING` are set by a test run; `LOCALAPPDATA` by Windows.
        let src = "export const dev = import.meta.env.DEV;\nexport const t = Boolean(process.env.PLAYWRIGHT || process.env.CI_PLAYWRIGHT || process.env.E2E_TESTING);\nexport const d = process.env.LOCALAPPDATA;\nexport const k = import.meta.env.VITE_API_KEY;\nexport const e = process.env.E2E_ENCRYPTION_KEY;\nexport const ci = process.env.CI_EE_TEST;\nexport const cid = process.env.CI_DEPLOY_TOKEN;\n";
        let obs = koyeb(
            "env-undocumented",
            &[("package.json", NEXT_PKG), ("lib/flags.ts", src), (".env.example", "A=\n")],
        );
        // End-to-end encryption is the deployment's, and so is a CI_ name that is no test flag.
        assert_eq!(obs.len(), 3, "{obs:?}");
        assert!(obs.iter().any(|o| o.message.contains("CI_DEPLOY_TOKEN")));
        assert!(obs.iter().any(|o| o.message.contains("VITE_API_KEY")));
        assert!(obs.iter().any(|o| o.message.contains("E2E_ENCRYPTION_KEY")));
    }

    #[test]
    fn a_schema_default_and_platform_configs_document_a_variable() {
        let schema = "import { z } from 'zod';\nexport const env = z.object({\n  LEVEL: z.string().default('6'),\n  OPTIONAL_FLAG: z.string().optional(),\n}).parse(process.env);\nexport const a = process.env.FLY_SET + process.env.RENDER_SET;\n";
        let fly = "app = 'x'\n[env]\n  FLY_SET = '1'\n";
        let render = "services:\n  - type: web\n    name: web\n    envVars:\n      - key: RENDER_SET\n        sync: false\n";
        let obs = koyeb(
            "env-undocumented",
            &[
                ("package.json", NEXT_PKG),
                ("lib/env.ts", schema),
                (".env.example", "A=\n"),
                ("fly.toml", fly),
                ("render.yaml", render),
            ],
        );
        // `.optional()` without a default is still a variable nobody wrote down.
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert!(obs[0].message.contains("OPTIONAL_FLAG"), "{}", obs[0].message);
    }

    #[test]
    fn test_suites_client_instrumentation_and_nested_packages_are_not_server_code() {
        let setup = "export const noBuild = process.env.SUITE_NO_BUILD;\n";
        let client = "if (!process.env.NEXT_PUBLIC_TRACING_OFF) { console.log('on'); }\n";
        let tool_pkg = r#"{ "name": "gen", "scripts": { "start": "node dist/index.js" } }"#;
        let tool = "export const owner = process.env.GEN_OWNER;\n";
        let obs = koyeb(
            "env-undocumented",
            &[
                ("package.json", NEXT_PKG),
                (".env.example", "A=\n"),
                ("suite/e2e_tests/setup/start.ts", setup),
                ("instrumentation-client.ts", client),
                ("site/utils/packages/gen/package.json", tool_pkg),
                ("site/utils/packages/gen/src/index.ts", tool),
            ],
        );
        assert!(obs.is_empty(), "{obs:?}");
        // The same read in server code fires.
        let obs = koyeb(
            "env-undocumented",
            &[("package.json", NEXT_PKG), (".env.example", "A=\n"), ("lib/start.ts", setup)],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
    }

    #[test]
    fn the_grouped_finding_sits_at_the_template_of_the_app_that_reads_the_variables() {
        let mut src = String::new();
        for i in 0..14 {
            src.push_str(&format!("export const v{i} = process.env.FEATURE_{i};\n"));
        }
        let api_pkg = r#"{ "name": "api", "scripts": { "start": "node dist/main.js" } }"#;
        let files = [
            ("package.json", r#"{ "name": "root", "private": true, "workspaces": ["apps/*"] }"#),
            ("apps/api/package.json", api_pkg),
            ("apps/api/src/flags.ts", src.as_str()),
            ("apps/api/.env.example", "PORT=\n"),
            ("bench/load/.env.example", "TARGET=\n"),
            (".env.test.example", "A=\n"),
        ];
        let obs = koyeb("env-undocumented", &files);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].file.as_deref(), Some("apps/api/.env.example"));
    }
}
