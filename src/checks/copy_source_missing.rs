use super::{Check, Rule};
use crate::discover::SKIP_DIRS;
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;
use crate::text::join;

pub static RULE: Rule = Rule {
    id: "copy-source-missing",
    aspect: Aspect::Docker,
    title: "A COPY source is not in the build context",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
For each `COPY` / `ADD` from the build context (not `--from`, not a URL, heredoc or glob), checks
that the source exists in the repository under the build context (the compose `build.context`,
else the directory the COPY paths resolve from) and that `.dockerignore` at the context root does
not exclude it. Sources under folders a build usually generates (`dist`, `build`, `.next`…) are
left alone.

## Why it matters
The build fails at that step ("failed to compute cache key: … not found"). Typical causes: a path
written relative to the repository root while the context is a subfolder (or the reverse), a file
that is git-ignored and so absent on the platform's builder, or a `.dockerignore` pattern that
excludes it.

## Example
```dockerfile
COPY nextjs_space/docker-entrypoint.sh ./
```
built with the context set to `nextjs_space/`.

## Fix
Make the path relative to the build context, set the platform's build context (base directory /
work directory) to the folder the paths are written against, or remove the `.dockerignore` pattern.

## References
- https://docs.docker.com/build/concepts/context/
- https://docs.docker.com/build/concepts/context/#dockerignore-files
"#;

/// What the COPY / ADD sources of one used Dockerfile look like against its build context.
pub struct CopyAnalysis {
    pub dockerfile: String,
    /// Sources missing from the context, one finding each.
    pub missing: Vec<Observation>,
    /// How many context sources were checked.
    pub checked: usize,
    /// Sources above the context or excluded by `.dockerignore`.
    pub other: Vec<Observation>,
}

impl CopyAnalysis {
    /// No COPY source at all is in the repository: the context is prepared elsewhere (a script,
    /// a CI step), which `build-context-generated` reports once instead of a finding per line.
    pub fn context_generated(&self) -> bool {
        self.checked >= 2 && self.missing.len() == self.checked
    }
}

/// The COPY analysis of every Dockerfile a deployment builds.
pub fn analyze(model: &Model) -> Vec<CopyAnalysis> {
    let mut all = Vec::new();
    let m = model;
    for (_, d) in m.dockerfiles.iter().enumerate().filter(|(i, _)| m.is_used_dockerfile(*i)) {
        let mut out = Vec::new();
        let mut missing = Vec::new();
        let mut checked = 0usize;
        let ignore = m.dockerignores.iter().find(|i| i.rel == join(&d.context, ".dockerignore"));
        for ins in
            d.df.instructions
                .iter()
                .filter(|i| (i.keyword == "COPY" || i.keyword == "ADD") && i.flag("from").is_none())
        {
            let Some((srcs, _)) = ins.copy_parts() else { continue };
            for src in srcs {
                if src.starts_with("<<") || src.contains("://") || src.contains(['*', '?', '[', '$']) || src.starts_with("git@") {
                    continue;
                }
                let rel_in_ctx = join("", &src);
                if rel_in_ctx.is_empty() {
                    continue;
                }
                if rel_in_ctx.split('/').any(|seg| SKIP_DIRS.contains(&seg) || seg == "out" || seg == ".output") {
                    continue;
                }
                let full = join(&d.context, &src);
                checked += 1;
                if src.trim_start_matches("./").starts_with("..") {
                    out.push(
                        Observation::at(
                            RULE.id,
                            &d.rel,
                            ins.line,
                            format!("`{}` points above the build context, which Docker cannot read", crate::text::sanitize(&src)),
                        )
                        .key(format!("{}:{src}", d.rel)),
                    );
                    continue;
                }
                if !m.has_path_or_dir(&full) {
                    let out = &mut missing;
                    let ctx_name = if d.context.is_empty() {
                        "the repository root".to_string()
                    } else {
                        format!("`{}`", d.context)
                    };
                    out.push(
                        Observation::at(
                            RULE.id,
                            &d.rel,
                            ins.line,
                            format!(
                                "`{}` is not in the build context ({ctx_name}), so the image build fails at this step",
                                crate::text::sanitize(&src)
                            ),
                        )
                        .var("path", src.clone())
                        .key(format!("{}:{src}", d.rel)),
                    );
                    continue;
                }
                if let Some(ig) = ignore {
                    if let Some(line) = ig.v.excluded(&rel_in_ctx) {
                        out.push(
                            Observation::at(
                                RULE.id,
                                &d.rel,
                                ins.line,
                                format!(
                                    "`{}` is excluded by `.dockerignore`, so the image build fails at this step",
                                    crate::text::sanitize(&src)
                                ),
                            )
                            .related(&ig.rel, Some(line), "this pattern excludes it")
                            .var("path", src.clone())
                            .key(format!("{}:{src}", d.rel)),
                        );
                    }
                }
            }
        }
        all.push(CopyAnalysis {
            dockerfile: d.rel.clone(),
            missing,
            checked,
            other: out,
        });
    }
    all
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for a in analyze(model) {
        if !a.context_generated() {
            out.extend(a.missing);
        }
        out.extend(a.other);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn missing_and_ignored_sources_fire() {
        let df = "FROM node:20-alpine\nWORKDIR /app\nCOPY package.json ./\nCOPY scripts/start.sh ./\nCOPY prisma ./prisma\nCMD [\"npm\",\"start\"]\n";
        let obs = koyeb(
            "copy-source-missing",
            &[("package.json", NEXT_PKG), ("Dockerfile", df), ("prisma/schema.prisma", "")],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(4));
        let obs = koyeb(
            "copy-source-missing",
            &[
                ("package.json", NEXT_PKG),
                ("Dockerfile", df),
                ("prisma/schema.prisma", ""),
                ("scripts/start.sh", "x"),
                (".dockerignore", "scripts\n"),
            ],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].related[0].line, Some(1));
    }

    #[test]
    fn globs_generated_dirs_and_monorepo_roots_stay_silent() {
        let df = "FROM node:20-alpine\nWORKDIR /app\nCOPY package.json package-lock.json* ./\nCOPY dist ./dist\nCOPY . .\nCMD [\"npm\",\"start\"]\n";
        assert!(koyeb("copy-source-missing", &[("package.json", NEXT_PKG), ("Dockerfile", df)]).is_empty());
        // Dockerfile in apps/api with paths written from the repository root.
        let df = "FROM node:20-alpine\nWORKDIR /app\nCOPY package.json ./\nCOPY apps/api ./apps/api\nCOPY packages/shared ./packages/shared\nCMD [\"node\",\"apps/api/index.js\"]\n";
        let files = [
            ("package.json", "{\"workspaces\":[\"apps/*\",\"packages/*\"]}"),
            ("apps/api/package.json", "{\"scripts\":{\"start\":\"node index.js\"}}"),
            ("apps/api/Dockerfile", df),
            ("packages/shared/index.js", ""),
        ];
        assert!(koyeb("copy-source-missing", &files).is_empty());
    }
}
