use super::{deployable_apps, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "images-localhost-only",
    aspect: Aspect::Networking,
    title: "next/image only allows localhost",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Fires when next.config's `images.domains` / `images.remotePatterns` list only local hosts
(`localhost`, `127.0.0.1`, `0.0.0.0`) and images are optimised (no `unoptimized: true`).

## Why it matters
In production the images are served from the public domain; `next/image` refuses hosts that are
not allowed ("hostname is not configured under images"), so uploaded or remote images break.

## Example
```js
images: { domains: ['localhost'] }
```

## Fix
Add the production host (the platform's app domain or your custom domain) to
`images.remotePatterns`, or serve uploads from object storage whose host is allowed.

## References
- https://nextjs.org/docs/app/api-reference/components/image#remotepatterns
"#;

fn local(h: &str) -> bool {
    matches!(h, "localhost" | "127.0.0.1" | "0.0.0.0" | "::1" | "[::1]")
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        let Some(cfg) = &app.next_config else { continue };
        let c = &cfg.v;
        if c.images_unoptimized.is_some_and(|(u, _)| u) {
            continue;
        }
        let domains: Vec<&str> = c
            .images_domains
            .as_ref()
            .map(|(d, _)| d.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let patterns: Vec<Option<&str>> = c.remote_patterns.iter().map(|p| p.hostname.as_deref()).collect();
        if domains.is_empty() && patterns.is_empty() {
            continue;
        }
        let all_local = domains.iter().all(|d| local(d)) && patterns.iter().all(|h| h.is_some_and(local));
        if !all_local {
            continue;
        }
        let line = c
            .images_domains
            .as_ref()
            .map(|(_, l)| *l)
            .or_else(|| c.remote_patterns.first().map(|p| p.line))
            .unwrap_or(1);
        out.push(
            Observation::at(
                RULE.id,
                &cfg.rel,
                line,
                "next/image allows only localhost, so images from the production domain are refused",
            )
            .key(cfg.rel.clone()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn localhost_domains_fire() {
        let cfg = "module.exports = {\n  images: {\n    domains: ['localhost'],\n  },\n};\n";
        let obs = koyeb("images-localhost-only", &[("package.json", NEXT_PKG), ("next.config.js", cfg)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(3));
    }

    #[test]
    fn public_hosts_or_unoptimized_stay_silent() {
        let cfg = "module.exports = { images: { domains: ['localhost'], remotePatterns: [{ protocol: 'https', hostname: 'cdn.example.com' }] } };\n";
        assert!(koyeb("images-localhost-only", &[("package.json", NEXT_PKG), ("next.config.js", cfg)]).is_empty());
        let cfg = "module.exports = { images: { domains: ['localhost'], unoptimized: true } };\n";
        assert!(koyeb("images-localhost-only", &[("package.json", NEXT_PKG), ("next.config.js", cfg)]).is_empty());
    }
}
