use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "build-context-generated",
    aspect: Aspect::Docker,
    title: "None of the Dockerfile's COPY sources is in the repository",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
For a Dockerfile a deployment builds, checks the sources of its `COPY` / `ADD` instructions
(not `--from` stages) against the build context: when there are at least two and none of them
exists in the repository, it reports the Dockerfile once instead of one `copy-source-missing` per
line. A single missing source that a CI workflow or shell script creates before it builds an image
(`cp .env.example .env.production`, then `docker build`) is reported here too, on its COPY line.

## Why it matters
A Dockerfile whose every source is missing is built from a context that something else
prepares — a script that assembles `meta/`, `deps/` and `pkg/` and pipes them to
`docker build -`, a CI job that runs `turbo prune` first — or from another directory than the
platform uses. Building it straight from the repository, as a platform does, fails at the first
COPY; whether that is what the deployment does lives outside the repository.

## Example
```dockerfile
COPY ./meta .
COPY ./deps .
COPY ./pkg .
```

## Fix
Build the image where its context is prepared (CI, then deploy the image), or make the
Dockerfile build from the repository itself (e.g. `turbo prune` inside a builder stage).

## References
- https://docs.docker.com/build/concepts/context/
- https://turborepo.com/docs/guides/tools/docker
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for a in super::copy_source_missing::analysis(model).iter() {
        if !a.context_generated() {
            // Single files a CI step creates before building.
            out.extend(a.prepared.iter().cloned());
            continue;
        }
        let (rel, mut missing, checked) = (a.dockerfile.clone(), a.missing.clone(), a.checked);
        missing.extend(a.prepared.iter().cloned());
        missing.sort_by_key(|o| o.line);
        let first = missing.first().and_then(|o| o.line).unwrap_or(1);
        let mut o = Observation::at(
            RULE.id,
            &rel,
            first,
            format!("none of the {checked} COPY sources of this Dockerfile is in the repository, so its build context is prepared elsewhere or it cannot be built from the repository"),
        )
        .key(rel.clone());
        for m in missing.iter().skip(1).take(4) {
            if let (Some(f), Some(l)) = (&m.file, m.line) {
                o = o.related(f, Some(l), "another missing source");
            }
        }
        out.push(o);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn a_context_made_elsewhere_is_one_warning_not_many_criticals() {
        let df = "FROM node:20-alpine\nWORKDIR /app\nCOPY ./meta .\nCOPY ./deps .\nCOPY ./pkg .\nCMD [\"node\", \"main.js\"]\n";
        let files = [
            ("package.json", NEXT_PKG),
            ("apps/api/package.json", "{\"scripts\":{\"start\":\"node main.js\"}}"),
            ("apps/api/Dockerfile", df),
        ];
        let obs = koyeb("build-context-generated", &files);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(3));
        assert!(koyeb("copy-source-missing", &files).is_empty());
    }

    #[test]
    fn one_missing_source_among_present_ones_is_copy_source_missing() {
        let df = "FROM node:20-alpine\nWORKDIR /app\nCOPY package.json ./\nCOPY scripts/start.sh ./\nCMD [\"npm\",\"start\"]\n";
        let files = [("package.json", NEXT_PKG), ("Dockerfile", df)];
        assert!(koyeb("build-context-generated", &files).is_empty());
        assert_eq!(koyeb("copy-source-missing", &files).len(), 1);
    }
}
