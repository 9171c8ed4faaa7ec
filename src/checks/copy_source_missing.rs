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
left alone, and so is a file a CI workflow or script creates before it builds the image (reported
by `build-context-generated`).

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
    /// Missing sources a CI workflow or script creates before it builds the image: reported by
    /// `build-context-generated` (a warning), not as a broken build.
    pub prepared: Vec<Observation>,
}

/// The workflow or shell script line that creates `path` (root-relative) in a file that builds
/// `dockerfile`: `cp x path`, `mv x path`, `touch path`, `echo … > path`, `… | tee path`.
pub fn created_before_build(model: &Model, path: &str, dockerfile: &str) -> Option<(String, usize)> {
    let texts = model
        .workflows
        .iter()
        .map(|(r, t)| (r.as_str(), "", t.as_str()))
        .chain(model.scripts.iter().map(|(r, t)| (r.as_str(), crate::text::parent(r), t.as_str())));
    for (rel, base, text) in texts {
        let builds = [
            "docker build",
            "docker buildx",
            "docker/build-push-action",
            "docker compose build",
            "docker-compose build",
        ]
        .iter()
        .any(|b| text.contains(b));
        // It builds this Dockerfile: names it, or builds the default `Dockerfile` naming none.
        let named = text.match_indices(dockerfile).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + dockerfile.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
                && !after.is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
        });
        let default = crate::text::parent(dockerfile).is_empty()
            && dockerfile == "Dockerfile"
            && !text.contains("file:")
            && !text.contains(" -f ")
            && !text.contains("--file");
        if !builds || !(named || default) {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let words: Vec<&str> = line
                .split_whitespace()
                .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
                .filter(|w| !w.is_empty())
                .collect();
            let mut targets: Vec<&str> = Vec::new();
            for (i, w) in words.iter().enumerate() {
                match *w {
                    "cp" | "mv" | "touch" | "ln" | "install" => {
                        // The destination is the last operand of the command.
                        let end = words[i + 1..]
                            .iter()
                            .position(|x| matches!(*x, "&&" | "||" | ";" | "|"))
                            .map(|p| i + 1 + p)
                            .unwrap_or(words.len());
                        if end > i + 1 {
                            targets.push(words[end - 1].trim_end_matches(';'));
                        }
                    }
                    ">" | ">>" | "tee" => {
                        if let Some(t) = words.get(i + 1) {
                            targets.push(t);
                        }
                    }
                    w if w.starts_with(">>") => targets.push(&w[2..]),
                    w if w.starts_with('>') && w.len() > 1 && !w.starts_with(">&") => targets.push(&w[1..]),
                    _ => {}
                }
            }
            if targets.iter().any(|t| !t.contains('$') && join(base, t) == path) {
                return Some((rel.to_string(), n + 1));
            }
        }
    }
    None
}

impl CopyAnalysis {
    /// No COPY source at all is in the repository: the context is prepared elsewhere (a script,
    /// a CI step), which `build-context-generated` reports once instead of a finding per line.
    pub fn context_generated(&self) -> bool {
        self.checked >= 2 && self.missing.len() + self.prepared.len() == self.checked
    }
}

/// The COPY analysis of every Dockerfile a deployment builds, computed once per model for the
/// rules that read it (copy-source-missing, build-context-generated, npm-ci-no-lockfile,
/// dockerfile-not-detected).
pub fn analysis(model: &Model) -> std::sync::Arc<Vec<CopyAnalysis>> {
    model.memo.get("copy-source-missing:analysis", || analyze(model))
}

fn analyze(model: &Model) -> Vec<CopyAnalysis> {
    let mut all = Vec::new();
    let m = model;
    for (_, d) in m.dockerfiles.iter().enumerate().filter(|(i, _)| m.is_used_dockerfile(*i)) {
        let mut out = Vec::new();
        let mut missing = Vec::new();
        let mut prepared = Vec::new();
        let mut checked = 0usize;
        let ignore = m.dockerignores.iter().find(|i| i.rel == join(&d.context, ".dockerignore"));
        for ins in
            d.df.instructions
                .iter()
                .filter(|i| (i.keyword == "COPY" || i.keyword == "ADD") && i.flag("from").is_none())
        {
            let Some((srcs, _)) = ins.copy_parts_ref() else { continue };
            for src in srcs {
                if src.starts_with("<<") || src.contains("://") || src.contains(['*', '?', '[', '$']) || src.starts_with("git@") {
                    continue;
                }
                let rel_in_ctx = join("", src);
                if rel_in_ctx.is_empty() {
                    continue;
                }
                if rel_in_ctx.split('/').any(|seg| SKIP_DIRS.contains(&seg) || seg == "out" || seg == ".output") {
                    continue;
                }
                let full = join(&d.context, src);
                checked += 1;
                if src.trim_start_matches("./").starts_with("..") {
                    out.push(
                        Observation::at(
                            RULE.id,
                            &d.rel,
                            ins.line,
                            format!("`{}` points above the build context, which Docker cannot read", crate::text::sanitize(src)),
                        )
                        .key(format!("{}:{src}", d.rel)),
                    );
                    continue;
                }
                if !m.has_path_or_dir(&full) {
                    if let Some((wf, line)) = created_before_build(m, &full, &d.rel) {
                        prepared.push(
                            Observation::at(
                                super::build_context_generated::RULE.id,
                                &d.rel,
                                ins.line,
                                format!(
                                    "`{}` is not in the repository: {wf} creates it before building the image, so the build works there but fails where a platform builds from the repository",
                                    crate::text::sanitize(src)
                                ),
                            )
                            .related(&wf, Some(line), "this step creates it")
                            .key(format!("{}:{src}", d.rel)),
                        );
                        continue;
                    }
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
                                crate::text::sanitize(src)
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
                                    crate::text::sanitize(src)
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
            prepared,
        });
    }
    all
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for a in analysis(model).iter() {
        if !a.context_generated() {
            out.extend(a.missing.iter().cloned());
        }
        out.extend(a.other.iter().cloned());
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

    #[test]
    fn a_file_the_ci_workflow_creates_before_building_is_a_warning_not_a_broken_build() {
        let df = "FROM node:20-alpine\nWORKDIR /app\nCOPY package.json ./\nCOPY .env.ci ./.env\nCMD [\"npm\",\"start\"]\n";
        let wf = "jobs:\n  image:\n    steps:\n      - run: cp app/.env.example .env.ci\n      - uses: docker/build-push-action@v6\n";
        let files = [("package.json", NEXT_PKG), ("Dockerfile", df), (".github/workflows/image.yml", wf)];
        assert!(koyeb("copy-source-missing", &files).is_empty());
        let obs = koyeb("build-context-generated", &files);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(4));
        assert_eq!(obs[0].related[0].line, Some(4));
        // A workflow that creates it but builds another Dockerfile, or no image, proves nothing.
        let other = wf.replace(
            "      - uses: docker/build-push-action@v6\n",
            "      - uses: docker/build-push-action@v6\n        with:\n          file: ./prod.Dockerfile\n",
        );
        let files = [("package.json", NEXT_PKG), ("Dockerfile", df), (".github/workflows/image.yml", other.as_str())];
        assert_eq!(koyeb("copy-source-missing", &files).len(), 1);
        let wf2 = "jobs:\n  test:\n    steps:\n      - run: cp app/.env.example .env.ci\n";
        let files = [("package.json", NEXT_PKG), ("Dockerfile", df), (".github/workflows/test.yml", wf2)];
        assert_eq!(koyeb("copy-source-missing", &files).len(), 1);
    }
}
