use super::{deployable_apps, has_seq, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;
use crate::text::under;

pub static RULE: Rule = Rule {
    id: "npm-ci-no-lockfile",
    aspect: Aspect::Docker,
    title: "The image installs from a lockfile the build context does not have",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Fires when a Dockerfile runs `npm ci` (or `yarn install --frozen-lockfile` / `--immutable`, or
`pnpm install --frozen-lockfile`) without a fallback, while the matching lockfile is missing from
the build context or excluded by `.dockerignore`.

## Why it matters
`npm ci` refuses to run without `package-lock.json`; the frozen-lockfile modes of yarn and pnpm
fail the same way. The image never builds.

## Example
```dockerfile
COPY package.json ./
RUN npm ci
```
in a repository with no package-lock.json.

## Fix
Commit the lockfile (and do not list it in `.dockerignore`), or use the package manager whose
lockfile the repository has.

## References
- https://docs.npmjs.com/cli/v10/commands/npm-ci
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    let m = model;
    // Dockerfiles whose context is prepared outside the repository (build-context-generated)
    // get their lockfile from there too.
    let generated: Vec<String> = super::copy_source_missing::analysis(model)
        .iter()
        .filter(|a| a.context_generated())
        .map(|a| a.dockerfile.clone())
        .collect();
    for app in deployable_apps(m) {
        let Some(d) = m.dockerfile_of(app) else { continue };
        if generated.contains(&d.rel) {
            continue;
        }
        let ignore = m.dockerignores.iter().find(|i| i.rel == crate::text::join(&d.context, ".dockerignore"));
        for ins in d.df.instructions.iter().filter(|i| i.keyword == "RUN") {
            let t = ins.command_text();
            if t.contains("||") {
                continue;
            }
            let (names, what): (&[&str], &str) = if has_seq(&t, &["npm", "ci"]) {
                (&["package-lock.json", "npm-shrinkwrap.json"], "npm ci")
            } else if has_seq(&t, &["yarn", "install"]) && (t.contains("--frozen-lockfile") || t.contains("--immutable")) {
                (&["yarn.lock"], "yarn install --frozen-lockfile")
            } else if has_seq(&t, &["pnpm", "install"]) && t.contains("--frozen-lockfile") {
                (&["pnpm-lock.yaml"], "pnpm install --frozen-lockfile")
            } else {
                continue;
            };
            // The lockfile sits at the context root, in the app's folder, or in the Dockerfile's.
            let dirs = [d.context.as_str(), app.dir.as_str(), d.dir.as_str()];
            let mut present: Vec<String> = dirs
                .iter()
                .filter(|dir| under(dir, &d.context))
                .flat_map(|dir| names.iter().map(move |n| crate::text::join(dir, n)))
                .filter(|p| m.paths.contains(p))
                .collect();
            present.dedup();
            let usable = present.iter().any(|p| {
                let rel = p.strip_prefix(&d.context).unwrap_or(p).trim_start_matches('/');
                ignore.is_none_or(|ig| ig.v.excluded(rel).is_none())
            });
            if !usable {
                let elsewhere = names.iter().any(|n| m.paths.iter().any(|p| p.rsplit('/').next() == Some(n)));
                let why = if present.is_empty() && elsewhere {
                    "the lockfile is outside the build context"
                } else if present.is_empty() {
                    "the repository has no such lockfile"
                } else {
                    "`.dockerignore` excludes it from the build context"
                };
                out.push(
                    Observation::at(
                        RULE.id,
                        &d.rel,
                        ins.line,
                        format!("`{what}` needs {} but {why}, so the image build fails", names[0]),
                    )
                    .key(format!("{}:{what}", d.rel)),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG, WITH_DOCKER};

    #[test]
    fn npm_ci_without_lockfile_fires() {
        let obs = koyeb("npm-ci-no-lockfile", &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(7));
        let obs = koyeb(
            "npm-ci-no-lockfile",
            &[
                ("package.json", NEXT_PKG),
                ("Dockerfile", WITH_DOCKER),
                ("package-lock.json", "{}"),
                (".dockerignore", "package-lock.json\n"),
            ],
        );
        assert_eq!(obs.len(), 1);
    }

    #[test]
    fn lockfile_present_or_fallback_stays_silent() {
        assert!(koyeb(
            "npm-ci-no-lockfile",
            &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER), ("package-lock.json", "{}")]
        )
        .is_empty());
        let df = "FROM node:20-alpine\nCOPY package.json ./\nRUN yarn install --frozen-lockfile || yarn install\n";
        assert!(koyeb("npm-ci-no-lockfile", &[("package.json", NEXT_PKG), ("Dockerfile", df)]).is_empty());
    }

    #[test]
    fn a_generated_context_brings_its_own_lockfile() {
        let df =
            "FROM node:20-alpine\nWORKDIR /app\nCOPY ./meta .\nCOPY ./deps .\nRUN pnpm install --frozen-lockfile\nCOPY ./pkg .\nCMD [\"node\", \"main.js\"]\n";
        let files = [
            ("package.json", crate::checks::testing::NEXT_PKG),
            ("pnpm-lock.yaml", ""),
            ("apps/api/package.json", "{\"scripts\":{\"start\":\"node main.js\"}}"),
            ("apps/api/Dockerfile", df),
        ];
        assert!(crate::checks::testing::koyeb("npm-ci-no-lockfile", &files).is_empty());
    }
}
