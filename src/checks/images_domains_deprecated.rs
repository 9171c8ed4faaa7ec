use super::{deployable_apps, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "images-domains-deprecated",
    aspect: Aspect::Framework,
    title: "images.domains is deprecated",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Notes next.config's `images.domains`, unless package.json pins Next.js 13 or older.

## Why it matters
`images.domains` is deprecated since Next.js 14 in favour of `images.remotePatterns`, which also
restricts protocol, port and path.

## Example
```js
images: { domains: ['cdn.example.com'] }
```

## Fix
```js
images: { remotePatterns: [{ protocol: 'https', hostname: 'cdn.example.com' }] }
```

## References
- https://nextjs.org/docs/app/api-reference/components/image#domains
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        let Some(cfg) = &app.next_config else { continue };
        // Next.js 13 and older still accept it without a warning.
        let before_14 = app.dep("next").is_some_and(|d| {
            let fixed_major = !d.spec.contains('>') && !d.spec.contains("||") && !d.spec.contains('x') && !d.spec.contains('*');
            fixed_major && crate::parse::package_json::min_major(&d.spec).is_some_and(|m| m < 14)
        });
        if before_14 {
            continue;
        }
        if let Some((_, line)) = &cfg.v.images_domains {
            out.push(Observation::at(RULE.id, &cfg.rel, *line, "`images.domains` is deprecated; `images.remotePatterns` replaces it").key(cfg.rel.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn domains_is_noted_and_remote_patterns_is_not() {
        assert_eq!(
            koyeb(
                "images-domains-deprecated",
                &[
                    ("package.json", NEXT_PKG),
                    ("next.config.js", "module.exports = { images: { domains: ['a.com'] } };\n")
                ]
            )
            .len(),
            1
        );
        assert!(koyeb(
            "images-domains-deprecated",
            &[
                ("package.json", NEXT_PKG),
                ("next.config.js", "module.exports = { images: { remotePatterns: [{ hostname: 'a.com' }] } };\n")
            ]
        )
        .is_empty());
    }

    #[test]
    fn an_app_still_on_next_13_is_not_told() {
        let pkg = NEXT_PKG.replace("\"next\": \"15.1.0\"", "\"next\": \"13.5.6\"");
        let cfg = "module.exports = { images: { domains: ['a.com'] } };\n";
        assert!(koyeb("images-domains-deprecated", &[("package.json", pkg.as_str()), ("next.config.js", cfg)]).is_empty());
        let open = NEXT_PKG.replace("\"next\": \"15.1.0\"", "\"next\": \">=13\"");
        assert_eq!(
            koyeb("images-domains-deprecated", &[("package.json", open.as_str()), ("next.config.js", cfg)]).len(),
            1
        );
    }
}
