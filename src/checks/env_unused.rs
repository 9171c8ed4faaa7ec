use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;
use std::collections::{BTreeMap, BTreeSet};

pub static RULE: Rule = Rule {
    id: "env-unused",
    aspect: Aspect::Environment,
    title: "An env template documents a variable nothing reads",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Lists variables an env template (`.env.example`, `.env.sample`…) documents that no file in the
repository mentions: no source file (server, client, scripts), no Prisma schema, next.config,
package.json script, compose file, Dockerfile, shell script or workflow. Variables that frameworks
and SDKs read by themselves are never reported: `NODE_ENV`, `PORT`, `HOSTNAME`, next-auth's
`NEXTAUTH_*` / `AUTH_*`, Sentry's `SENTRY_*`, the AWS SDK's `AWS_*`, libpq's `PG*`, Prisma's
`PRISMA_*`, the AI SDK providers' `*_API_KEY` and `GOOGLE_VERTEX_*`, Azure's `AZURE_*`, Clerk's `CLERK_*`, Upstash's `UPSTASH_*`, Vercel's `POSTGRES_*` / `KV_*`, OpenAI's and
Anthropic's API keys, OpenTelemetry's `OTEL_*`, Next.js' `NEXT_*`, platform prefixes.

Repositories that also hold code in another language (Go, Python, Ruby…) are skipped: that code
reads variables this tool does not see.

## Why it matters
Whoever deploys sets every variable the template lists. A stale entry costs them time looking for a
value nothing uses, and hides the variables that do matter.

## Example
`LEGACY_API_URL=` in `.env.example` with no `LEGACY_API_URL` anywhere else.

## Fix
Remove the entry from the template, or document which tool reads it.

## References
- https://nextjs.org/docs/app/guides/environment-variables
"#;

/// Variables read implicitly by a framework, SDK or the runtime (prefixes end with `_`).
pub const IMPLICIT: &[&str] = &[
    "NODE_ENV",
    "PORT",
    "HOSTNAME",
    "HOST",
    "TZ",
    "DEBUG",
    "NODE_OPTIONS",
    "NODE_EXTRA_CA_CERTS",
    "LOG_LEVEL",
    "DATABASE_URL",
    "DIRECT_URL",
    "SHADOW_DATABASE_URL",
    "NEXTAUTH_",
    "AUTH_",
    "SENTRY_",
    "NEXT_PUBLIC_SENTRY_",
    "AWS_",
    "PG",
    "PRISMA_",
    "CLERK_",
    "NEXT_PUBLIC_CLERK_",
    "UPSTASH_",
    "KV_",
    "POSTGRES_",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "ANTHROPIC_API_KEY",
    "GOOGLE_VERTEX_",
    "AI_GATEWAY_API_KEY",
    "GOOGLE_GENERATIVE_AI_API_KEY",
    "AZURE_",
    "MISTRAL_API_KEY",
    "GROQ_API_KEY",
    "COHERE_API_KEY",
    "XAI_API_KEY",
    "DEEPSEEK_API_KEY",
    "PERPLEXITY_API_KEY",
    "REPLICATE_API_TOKEN",
    "FIREWORKS_API_KEY",
    "TOGETHER_AI_API_KEY",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "OTEL_",
    "NEXT_",
    "TURBO_",
    "VERCEL_",
    "BLOB_READ_WRITE_TOKEN",
    "EDGE_CONFIG",
    "LANGCHAIN_",
    "LANGSMITH_",
    "DD_",
    "NEW_RELIC_",
    "MYSQL_",
    "MONGO_INITDB_",
    "REDIS_PASSWORD",
    "CI",
    "COMPOSE_",
    "DOCKER_",
    "SKIP_ENV_VALIDATION",
    "ANALYZE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
];

pub fn implicit(name: &str) -> bool {
    IMPLICIT
        .iter()
        .any(|p| if p.ends_with('_') || *p == "PG" { name.starts_with(p) } else { name == *p })
        || super::env_builtin(name)
}

fn run(model: &Model) -> Vec<Observation> {
    let m = model;
    // Candidates: first place each non-commented template entry is documented.
    let mut cand: BTreeMap<String, (String, usize)> = BTreeMap::new();
    // Code in other languages (Go, Python…) reads env vars the tool does not see.
    let foreign = m.paths.iter().any(|p| {
        [".go", ".py", ".rb", ".rs", ".java", ".kt", ".php", ".ex", ".exs", ".cs", ".swift"]
            .iter()
            .any(|e| p.ends_with(e))
    });
    if foreign {
        return Vec::new();
    }
    for e in m.env_files.iter().filter(|e| e.template && !crate::model::is_test_path(&e.rel)) {
        for x in e.entries.iter().filter(|x| !x.commented && !implicit(&x.name)) {
            cand.entry(x.name.clone()).or_insert_with(|| (e.rel.clone(), x.line));
        }
    }
    for app in &m.apps {
        for s in &app.sources {
            if s.facts.env_opaque {
                // `{ ...process.env }`, `process.env[key]`: reads we cannot see.
                return Vec::new();
            }
            for r in &s.facts.env_reads {
                cand.remove(&r.name);
            }
        }
    }
    if cand.is_empty() {
        return Vec::new();
    }
    // Any mention as a whole word in a file that is not an env file counts as a use.
    let alts: Vec<String> = cand.keys().map(|k| regex::escape(k)).collect();
    let Ok(re) = regex::Regex::new(&format!(r"(?:^|[^A-Za-z0-9_])({})(?:[^A-Za-z0-9_]|$)", alts.join("|"))) else {
        return Vec::new();
    };
    let mut used: BTreeSet<String> = BTreeSet::new();
    for f in m.files.iter().filter(|f| f.kind != crate::discover::FileKind::EnvFile) {
        let Some(text) = f.text.as_deref() else { continue };
        // Each search goes on from the end of the name, not of the match: the character after
        // a name can be the one before the next (`A B`, `A,B`).
        let mut at = 0;
        while let Some(g) = re.captures_at(text, at).and_then(|c| c.get(1)) {
            used.insert(g.as_str().to_string());
            at = g.end();
        }
        if used.len() == cand.len() {
            return Vec::new();
        }
    }
    // One finding per template, at its first unused entry.
    let mut per_file: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    for (name, (file, line)) in cand.into_iter().filter(|(n, _)| !used.contains(n)) {
        per_file.entry(file).or_default().push((line, name));
    }
    per_file
        .into_iter()
        .map(|(file, mut list)| {
            list.sort();
            let names: Vec<String> = list.iter().map(|(_, n)| format!("`{n}`")).collect();
            let (what, verb) = if names.len() == 1 { ("variable", "is") } else { ("variables", "are") };
            let mut o = Observation::at(
                RULE.id,
                &file,
                list[0].0,
                format!(
                    "{} documented {what} {verb} read or mentioned by no file in the repository: {}",
                    names.len(),
                    names.join(", ")
                ),
            )
            .var("name", names.join(", "))
            .key(format!("{file}:{}", names.join(",")));
            for (line, n) in list.iter().skip(1).take(20) {
                o = o.related(&file, Some(*line), format!("`{n}` is documented here"));
            }
            o
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn names_mentioned_side_by_side_are_all_used() {
        let tpl = "FIRST_URL=\nSECOND_URL=\nTHIRD_URL=\n";
        for text in [
            "// set FIRST_URL SECOND_URL THIRD_URL in the dashboard\n",
            "export const names = ['FIRST_URL','SECOND_URL','THIRD_URL'];\n",
            "FIRST_URL,SECOND_URL\nTHIRD_URL",
        ] {
            let obs = koyeb("env-unused", &[("package.json", NEXT_PKG), (".env.example", tpl), ("lib/names.ts", text)]);
            assert!(obs.is_empty(), "{text:?}: {obs:?}");
        }
        // A name inside a longer word is not a mention.
        let obs = koyeb(
            "env-unused",
            &[
                ("package.json", NEXT_PKG),
                (".env.example", tpl),
                ("lib/names.ts", "FIRST_URLS SECOND_URL_X XTHIRD_URL\n"),
            ],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert!(obs[0].message.starts_with("3 documented"), "{}", obs[0].message);
    }

    #[test]
    fn unread_template_entry_fires() {
        let tpl = "# Legacy endpoint\nLEGACY_API_URL=\nSTRIPE_KEY=\n";
        let src = "export function GET() { return new Response(process.env.STRIPE_KEY); }\n";
        let obs = koyeb("env-unused", &[("package.json", NEXT_PKG), (".env.example", tpl), ("app/api/x/route.ts", src)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(2));
        assert!(obs[0].message.contains("LEGACY_API_URL"));
        // Opaque uses of process.env hide reads: nothing is reported.
        let spread = "import { spawn } from 'child_process';\nexport function GET() { spawn('x', [], { env: { ...process.env } }); return new Response(process.env.STRIPE_KEY); }\n";
        assert!(koyeb(
            "env-unused",
            &[("package.json", NEXT_PKG), (".env.example", tpl), ("app/api/x/route.ts", spread)]
        )
        .is_empty());
    }

    #[test]
    fn implicit_reads_and_mentions_elsewhere_stay_silent() {
        let tpl = "NEXTAUTH_SECRET=\nAUTH_GITHUB_ID=\nSENTRY_AUTH_TOKEN=\nPGHOST=\nNEXT_PUBLIC_BRAND=\nPOSTGRES_PASSWORD=\nBUILD_FLAG=\nSCHEMA_KEY=\n";
        let client = "'use client';\nexport function B() { return <b>{process.env.NEXT_PUBLIC_BRAND}</b> }\n";
        let compose = "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n";
        let pkg = NEXT_PKG.replace("\"build\": \"next build\"", "\"build\": \"BUILD_FLAG=1 next build\"");
        let env = "import { createEnv } from '@t3-oss/env-nextjs';\nimport { z } from 'zod';\nexport const env = createEnv({ server: { SCHEMA_KEY: z.string() }, experimental__runtimeEnv: {} });\n";
        let obs = koyeb(
            "env-unused",
            &[
                ("package.json", pkg.as_str()),
                (".env.example", tpl),
                ("components/b.tsx", client),
                ("docker-compose.yml", compose),
                ("src/env.ts", env),
            ],
        );
        assert!(obs.is_empty(), "{obs:?}");
    }
}
