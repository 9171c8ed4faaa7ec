use super::{deployable_apps, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::package_json::is_unpinned;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "unpinned-framework",
    aspect: Aspect::Framework,
    title: "A framework dependency floats across major versions",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Flags `next`, `react`, `react-dom`, `prisma`, `@prisma/client` and `drizzle-orm` declared as
`latest`, `*`, `x`, an empty range or an open `>=` range in package.json.

## Why it matters
Without a lockfile honoured by the build, the next deploy can install a new major version with
breaking changes (Next 16 made Turbopack the default build and removed APIs; Prisma 7 changed the
generator and requires driver adapters). The same commit then builds differently on different days.

## Example
```json
{ "dependencies": { "next": "latest" } }
```

## Fix
Pin a major with a caret range (`"next": "^15.1.0"`) and commit the lockfile.

## References
- https://docs.npmjs.com/cli/v10/configuring-npm/package-json#dependencies
- https://nextjs.org/docs/app/guides/upgrading
"#;

const WATCHED: &[&str] = &["next", "react", "react-dom", "prisma", "@prisma/client", "drizzle-orm"];

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        let Some(pkg) = &app.package else { continue };
        for name in WATCHED {
            // A peer range says which versions a library accepts; it installs nothing.
            let Some(dep) = pkg
                .v
                .deps
                .iter()
                .find(|d| d.name == *name && d.kind != crate::parse::package_json::DepKind::Peer)
            else {
                continue;
            };
            if is_unpinned(&dep.spec) {
                let spec = if dep.spec.is_empty() { "\"\"".to_string() } else { dep.spec.clone() };
                out.push(
                    Observation::at(
                        RULE.id,
                        &pkg.rel,
                        dep.line,
                        format!(
                            "`{name}` is declared as `{}`, so a deploy can pull a new major version",
                            crate::text::sanitize(&spec)
                        ),
                    )
                    .var("package", *name)
                    .key(*name),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::koyeb;

    #[test]
    fn latest_fires_with_line() {
        let pkg = "{\n  \"name\": \"a\",\n  \"scripts\": {\"start\": \"next start\"},\n  \"dependencies\": {\n    \"next\": \"latest\",\n    \"react\": \"^19.0.0\"\n  }\n}\n";
        let obs = koyeb("unpinned-framework", &[("package.json", pkg)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(5));
    }

    #[test]
    fn caret_and_tilde_ranges_stay_silent() {
        let pkg = "{\"scripts\": {\"start\": \"next start\"}, \"dependencies\": {\"next\": \"^15.0.0\", \"prisma\": \"~6.1.0\", \"lodash\": \"*\"}}";
        assert!(koyeb("unpinned-framework", &[("package.json", pkg)]).is_empty());
    }

    #[test]
    fn peer_ranges_and_config_or_library_packages_stay_silent() {
        let app = "{\"scripts\": {\"start\": \"next start\"}, \"dependencies\": {\"next\": \"^15.0.0\"}, \"peerDependencies\": {\"react\": \">=17\"}}";
        assert!(koyeb("unpinned-framework", &[("package.json", app)]).is_empty());
        // A Next.js SDK in a nested packages folder, and a shared eslint config depending on next.
        let sdk = "{\"name\": \"@acme/next-sdk\", \"scripts\": {\"build\": \"tsup\"}, \"devDependencies\": {\"next\": \"15.0.0\"}, \"peerDependencies\": {\"next\": \">=13\"}}";
        let lint = "{\"name\": \"eslint-config-site\", \"main\": \"base.js\", \"dependencies\": {\"next\": \"latest\"}}";
        let root = "{\"name\": \"root\", \"private\": true, \"workspaces\": [\"web/packages/*\"]}";
        let files = [
            ("package.json", root),
            ("web/packages/next-sdk/package.json", sdk),
            ("web/packages/eslint-config-site/package.json", lint),
        ];
        assert!(koyeb("unpinned-framework", &files).is_empty());
        assert!(koyeb("node-version-unpinned", &files).is_empty());
        // The same `latest` in an app fires.
        let web = "{\"name\": \"web\", \"scripts\": {\"build\": \"next build\", \"start\": \"next start\"}, \"dependencies\": {\"next\": \"latest\"}}";
        let files = [("package.json", root), ("web/app/package.json", web)];
        assert_eq!(koyeb("unpinned-framework", &files).len(), 1);
    }
}
