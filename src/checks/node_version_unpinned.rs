use super::{deployable_apps, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "node-version-unpinned",
    aspect: Aspect::Framework,
    title: "No Dockerfile and no Node.js version declared: the builder picks one",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
For an app built without a Dockerfile (buildpacks, Nixpacks, Railpack), checks that the Node.js
version is declared in `engines.node`, `.nvmrc` or `.node-version`.

## Why it matters
Buildpack builders fall back to their own default Node.js version, which changes over time and may
be too old for the framework (Next.js 16 needs Node 20.9+, Prisma 7 needs 20.19+): the build breaks
or behaves differently from local development.

## Example
A package.json with `"next": "^16.0.0"` and no `engines` field, deployed with buildpacks.

## Fix
Add `"engines": { "node": ">=20.9" }` to package.json (or an `.nvmrc`), or build with a Dockerfile
whose `FROM node:<version>` pins it.

## References
- https://www.koyeb.com/docs/build-and-deploy/build-from-git/nodejs
- https://docs.npmjs.com/cli/v10/configuring-npm/package-json#engines
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        // With Dockerfiles in the repository the deploy builds one of them; the root's version applies to workspaces.
        if !model.dockerfiles.is_empty() || app.node_version_file.is_some() || super::root_declares_node(model) {
            continue;
        }
        let Some(pkg) = &app.package else { continue };
        if pkg.v.engines_node.is_some() {
            continue;
        }
        out.push(
            Observation::new(
                RULE.id,
                Some(&pkg.rel),
                Some(1),
                format!(
                    "app `{}` has no Dockerfile and declares no Node.js version, so the builder's default Node.js is used",
                    app.display_dir()
                ),
            )
            .key(app.dir.clone()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG, WITH_DOCKER};

    #[test]
    fn buildpack_app_without_version_fires() {
        let obs = koyeb("node-version-unpinned", &[("package.json", NEXT_PKG)]);
        assert_eq!(obs.len(), 1);
    }

    #[test]
    fn dockerfile_engines_or_nvmrc_stay_silent() {
        assert!(koyeb("node-version-unpinned", &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER)]).is_empty());
        assert!(koyeb("node-version-unpinned", &[("package.json", NEXT_PKG), (".nvmrc", "20\n")]).is_empty());
        let pkg = "{\"scripts\":{\"start\":\"next start\"},\"engines\":{\"node\":\">=20\"},\"dependencies\":{\"next\":\"15.0.0\"}}";
        assert!(koyeb("node-version-unpinned", &[("package.json", pkg)]).is_empty());
    }

    #[test]
    fn tool_and_library_packages_nested_under_packages_are_not_apps() {
        let root = "{\"name\": \"root\", \"private\": true, \"engines\": {}, \"workspaces\": [\"site/*/packages/*\"]}";
        let tool = "{\"name\": \"doc-gen\", \"scripts\": {\"start\": \"node dist/index.js\"}}";
        let ui =
            "{\"name\": \"site-ui\", \"scripts\": {\"build\": \"tsc\"}, \"peerDependencies\": {\"next\": \"*\"}, \"devDependencies\": {\"next\": \"15.0.0\"}}";
        let files = [
            ("package.json", root),
            ("site/utils/packages/doc-gen/package.json", tool),
            ("site/packages/ui-kit/package.json", ui),
        ];
        assert!(koyeb("node-version-unpinned", &files).is_empty());
        // A Next.js app in the same tree still needs a version.
        let files = [("package.json", root), ("site/apps/web/package.json", NEXT_PKG)];
        assert_eq!(koyeb("node-version-unpinned", &files).len(), 1);
    }
}
