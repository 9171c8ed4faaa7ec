use super::{deployable_apps, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "engines-node-missing",
    aspect: Aspect::Framework,
    title: "package.json does not declare the Node.js version the Dockerfile uses",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Notes an app whose Dockerfile pins Node.js (`FROM node:20-alpine`) while package.json has no
`engines.node` and there is no `.nvmrc` / `.node-version`.

## Why it matters
The Dockerfile decides the production runtime, but local development, CI and any buildpack-based
deploy do not read it. Declaring the version keeps them aligned and lets npm warn on a mismatch.

## Example
`FROM node:20-alpine` with a package.json that has no `engines` field.

## Fix
Add `"engines": { "node": ">=20" }` (matching the Dockerfile's major) to package.json.

## References
- https://docs.npmjs.com/cli/v10/configuring-npm/package-json#engines
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        let Some(d) = model.dockerfile_of(app) else { continue };
        let Some(pkg) = &app.package else { continue };
        if pkg.v.engines_node.is_some() || app.node_version_file.is_some() || super::root_declares_node(model) {
            continue;
        }
        let Some(stage) = d.df.final_stage() else { continue };
        let base = super::base_image(&d.df, stage.index);
        let repo = base.split(':').next().unwrap_or("");
        if !(repo == "node" || repo.ends_with("/node")) {
            continue;
        }
        let major: String = base.split(':').nth(1).unwrap_or("").chars().take_while(|c| c.is_ascii_digit()).collect();
        if major.is_empty() {
            continue;
        }
        out.push(
            Observation::new(
                RULE.id,
                Some(&pkg.rel),
                Some(1),
                format!("package.json declares no `engines.node`, while {} runs Node.js {major}", d.rel),
            )
            .related(&d.rel, Some(stage.line), format!("the image is built on `{base}`"))
            .var("node_major", major)
            .key(app.dir.clone()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG, WITH_DOCKER};

    #[test]
    fn dockerfile_node_without_engines_notes_it() {
        let obs = koyeb("engines-node-missing", &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER)]);
        assert_eq!(obs.len(), 1);
        assert!(obs[0].message.contains("Node.js 20"));
    }

    #[test]
    fn engines_or_non_node_base_stay_silent() {
        let pkg = "{\"scripts\":{\"start\":\"next start\"},\"engines\":{\"node\":\"20.x\"},\"dependencies\":{\"next\":\"15.0.0\"}}";
        assert!(koyeb("engines-node-missing", &[("package.json", pkg), ("Dockerfile", WITH_DOCKER)]).is_empty());
        assert!(koyeb(
            "engines-node-missing",
            &[("package.json", NEXT_PKG), ("Dockerfile", "FROM ubuntu:22.04\nCMD [\"node\",\"x.js\"]\n")]
        )
        .is_empty());
    }
}
