use super::{final_copies, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;
use crate::text::{join, under};

pub static RULE: Rule = Rule {
    id: "env-file-in-image",
    aspect: Aspect::Security,
    title: "An env file with secrets is copied into the image",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
For each Dockerfile a deployment builds, looks at the final stage's `COPY` / `ADD` of a directory
(`COPY . .`, `COPY apps/web/ ./`) and at the env files (not templates) with live-looking secret values (a provider key format, a
database URL with a real password on a non-local host, a long random value) inside
that directory of the build context. Reports each one `.dockerignore` at the context root does not
exclude: a `.dockerignore` that lists only `.env` still lets `.env.production`, `.env.local` or
`apps/web/.env` through.

## Why it matters
The file becomes a layer of the image: anyone who can pull the image (a registry, a platform's
build cache, a leaked tarball) reads every secret in it, and the values are frozen into the image
instead of coming from the platform.

## Example
`.dockerignore` with `.env`, and `apps/web/.env.production` holding `STRIPE_SECRET_KEY=…` under a
`COPY . .`.

## Fix
Exclude every env file in `.dockerignore` (`**/.env*` and `!**/.env.example`), and give the values
to the platform's environment settings instead.

## References
- https://docs.docker.com/build/concepts/context/#dockerignore-files
"#;

fn run(model: &Model) -> Vec<Observation> {
    let m = model;
    let mut out = Vec::new();
    for (i, d) in m.dockerfiles.iter().enumerate() {
        if !m.is_used_dockerfile(i) {
            continue;
        }
        let ignore = m.dockerignores.iter().find(|x| x.rel == join(&d.context, ".dockerignore"));
        for (ins, srcs, _) in final_copies(&d.df) {
            if ins.flag("from").is_some() {
                continue;
            }
            for s in srcs {
                let s = s.trim_start_matches("./").trim_end_matches('/');
                if s.contains('*') || s.contains('$') {
                    continue;
                }
                let dir = if s.is_empty() || s == "." { d.context.clone() } else { join(&d.context, s) };
                for e in m.env_files.iter().filter(|e| !e.template && under(&e.rel, &dir) && e.rel != dir) {
                    let name = e.rel.rsplit('/').next().unwrap_or(&e.rel);
                    // Test and development files hold local values by convention.
                    if name.starts_with(".env.test") || name.ends_with(".test") || name.starts_with(".env.dev") || name.ends_with(".development") {
                        continue;
                    }
                    let secrets: Vec<&str> = e.entries.iter().filter(|x| !x.commented && x.live_secret).map(|x| x.name.as_str()).collect();
                    if secrets.is_empty() {
                        continue;
                    }
                    let rel_ctx = e.rel.strip_prefix(&d.context).map(|r| r.trim_start_matches('/')).unwrap_or(&e.rel);
                    if ignore.is_some_and(|ig| ig.v.excluded(rel_ctx).is_some()) {
                        continue;
                    }
                    let shown: Vec<String> = secrets.iter().take(5).map(|n| format!("`{n}`")).collect();
                    let why = if ignore.is_some() {
                        "`.dockerignore` does not exclude it"
                    } else {
                        "there is no `.dockerignore`"
                    };
                    out.push(
                        Observation::at(
                            RULE.id,
                            &d.rel,
                            ins.line,
                            format!("this COPY puts `{}` (secrets: {}) into the image: {why}", e.rel, shown.join(", ")),
                        )
                        .related(&e.rel, Some(1), "the env file with secret values")
                        .var("file", rel_ctx.to_string())
                        .key(format!("{}:{}", d.rel, e.rel)),
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    const DF: &str = "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"npm\", \"start\"]\n";
    const ENV: &str = "STRIPE_SECRET_KEY=sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ\n";

    #[test]
    fn env_file_the_dockerignore_misses_fires() {
        let obs = koyeb(
            "env-file-in-image",
            &[
                ("package.json", NEXT_PKG),
                ("Dockerfile", DF),
                (".dockerignore", ".env\nnode_modules\n"),
                (".env.production", ENV),
            ],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(3));
        assert!(!obs[0].message.contains("sk_live"));
    }

    #[test]
    fn excluded_files_templates_and_plain_values_stay_silent() {
        let files = [
            ("package.json", NEXT_PKG),
            ("Dockerfile", DF),
            (".dockerignore", "**/.env*\n!.env.example\n"),
            (".env.production", ENV),
            (".env.example", ENV),
        ];
        assert!(koyeb("env-file-in-image", &files).is_empty());
        let plain = [
            ("package.json", NEXT_PKG),
            ("Dockerfile", DF),
            (".env.production", "NEXT_PUBLIC_SITE=https://acme.io\nLOG_LEVEL=info\n"),
        ];
        assert!(koyeb("env-file-in-image", &plain).is_empty());
    }
}
