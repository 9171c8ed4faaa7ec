use super::hardcoded_internal_host::internal_host;
use super::{deployable_apps, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::env_file::redact;
use crate::report::Aspect;
use std::collections::BTreeSet;

pub static RULE: Rule = Rule {
    id: "internal-host-fallback",
    aspect: Aspect::Networking,
    title: "A service URL falls back to localhost and nothing tells the deploy to set it",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds server code whose connection URL falls back to an internal host when the variable is unset,
`process.env.REDIS_URL || 'redis://localhost:6379'` (also `??`, destructuring defaults and env-
schema defaults), where the variable is documented and provided nowhere in the repository (no env
file or template, compose file, Dockerfile, platform config). A fallback only used in development
is ignored.

## Why it matters
Nothing tells whoever deploys to set the variable, so on the platform the fallback is used and the
app tries to reach a Redis or database on its own container: connection refused at the first
request that needs it.

## Example
```ts
const redis = new Redis(process.env.REDIS_URL || 'redis://localhost:6379');
```

## Fix
Document the variable in `.env.example`, set it in the platform's environment settings, and fail at
start when it is missing in production instead of falling back.

## References
- https://12factor.net/backing-services
"#;

fn run(model: &Model) -> Vec<Observation> {
    let documented = super::env_undocumented::documented(model);
    let no_services = BTreeSet::new();
    let mut out = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for app in deployable_apps(model) {
        for s in app.sources.iter().filter(|s| s.runtime) {
            for r in s.facts.env_reads.iter().filter(|r| !r.dev_only) {
                let Some(d) = r.default.as_deref() else { continue };
                if documented.contains_key(&r.name) || !seen.insert(r.name.as_str()) {
                    continue;
                }
                let Some((host, _)) = internal_host(&r.name, d, &no_services) else { continue };
                out.push(
                    Observation::at(
                        RULE.id,
                        &s.rel,
                        r.line,
                        format!(
                            "`{}` falls back to `{}` (host `{host}`) and no env file, compose file or Dockerfile provides it, so the deployed app connects to its own container",
                            r.name,
                            redact(d)
                        ),
                    )
                    .var("name", r.name.clone())
                    .key(r.name.clone()),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    const SRC: &str = "import Redis from 'ioredis';\nexport const redis = new Redis(process.env.REDIS_URL || 'redis://localhost:6379');\n";

    #[test]
    fn undocumented_localhost_fallback_fires() {
        let obs = koyeb("internal-host-fallback", &[("package.json", NEXT_PKG), ("lib/redis.ts", SRC)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(2));
    }

    #[test]
    fn documented_variables_dev_fallbacks_and_public_hosts_stay_silent() {
        assert!(koyeb(
            "internal-host-fallback",
            &[("package.json", NEXT_PKG), ("lib/redis.ts", SRC), (".env.example", "REDIS_URL=\n")]
        )
        .is_empty());
        let dev = "export const u = process.env.NODE_ENV === 'production' ? process.env.API_URL : (process.env.API_URL ?? 'http://localhost:4000');\nexport const s = process.env.SEARCH_URL || 'https://search.acme.io';\n";
        assert!(koyeb("internal-host-fallback", &[("package.json", NEXT_PKG), ("lib/api.ts", dev)]).is_empty());
    }

    #[test]
    fn a_fallback_shown_as_a_form_placeholder_stays_silent() {
        let ui = "export const inputs = [{\n  label: 'Parser URL',\n  placeholder: process.env.PARSER_URL || 'http://localhost:8000/parse',\n}];\n";
        assert!(koyeb("internal-host-fallback", &[("package.json", NEXT_PKG), ("lib/inputs.ts", ui)]).is_empty());
        let used = "export const parser = { url: process.env.PARSER_URL || 'http://localhost:8000/parse' };\n";
        assert_eq!(koyeb("internal-host-fallback", &[("package.json", NEXT_PKG), ("lib/inputs.ts", used)]).len(), 1);
    }
}
