use super::{Check, Ctx, Rule};
use crate::observe::Observation;
use crate::report::Aspect;
use crate::text::{join, parent};

pub static RULE: Rule = Rule {
    id: "dockerfile-path-missing",
    aspect: Aspect::Docker,
    title: "The platform config names a Dockerfile that does not exist",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Reads the Dockerfile path from the file the platform uses — fly.toml `[build] dockerfile`,
railway.json/toml `build.dockerfilePath`, render.yaml `dockerfilePath`, compose
`build.dockerfile` — and reports it when no such file is in the repository.

## Why it matters
The build stops before it starts ("failed to read dockerfile", "Dockerfile not found"), usually
after a rename or a move into a monorepo folder that the config did not follow.

## Example
```json
{ "build": { "builder": "DOCKERFILE", "dockerfilePath": "docker/Dockerfile.prod" } }
```

## Fix
Point the setting at the Dockerfile's real path (relative to the directory the platform resolves
it from), or move the file there.

## References
- https://fly.io/docs/reference/configuration/#the-build-section
- https://docs.railway.com/builds/dockerfiles
- https://render.com/docs/blueprint-spec
- https://docs.docker.com/reference/compose-file/build/#dockerfile
"#;

fn clean(p: &str) -> String {
    let p = p.trim().trim_start_matches("./");
    p.trim_start_matches('/').to_string()
}

fn run(ctx: &Ctx) -> Vec<Observation> {
    let m = ctx.model;
    let exists = |p: &str| m.paths.contains(p);
    let mut out = Vec::new();
    let mut push = |file: &str, line: usize, path: &str, tried: &[String]| {
        if tried.iter().any(|t| exists(t)) {
            return;
        }
        out.push(
            Observation::at(
                RULE.id,
                file,
                line,
                format!(
                    "the Dockerfile path `{}` names no file in the repository, so the build fails",
                    crate::text::sanitize(path)
                ),
            )
            .var("path", path.to_string())
            .key(format!("{file}:{path}")),
        );
    };
    match ctx.facts.config_file.as_str() {
        "fly.toml" => {
            for f in &m.fly {
                if let Some((p, l)) = &f.v.dockerfile {
                    push(&f.rel, *l, p, &[join(parent(&f.rel), &clean(p)), clean(p)]);
                }
            }
        }
        "railway" => {
            for r in &m.railway {
                if let Some((p, l)) = &r.v.dockerfile_path {
                    push(&r.rel, *l, p, &[join(parent(&r.rel), &clean(p)), clean(p)]);
                }
            }
        }
        "render.yaml" => {
            for r in &m.render {
                for s in &r.v.services {
                    if let Some((p, l)) = &s.dockerfile_path {
                        let root = s.root_dir.as_ref().map(|(d, _)| clean(d)).unwrap_or_default();
                        push(&r.rel, *l, p, &[clean(p), join(&root, &clean(p)), join(parent(&r.rel), &clean(p))]);
                    }
                }
            }
        }
        "compose" => {
            for c in m.deploy_composes() {
                for s in &c.v.services {
                    let Some(b) = &s.build else { continue };
                    let Some(df) = &b.dockerfile else { continue };
                    if df.contains('$') || df.starts_with('/') {
                        continue;
                    }
                    let (_, path) = crate::model::compose_build_paths(&c.rel, b);
                    push(&c.rel, b.line, df, &[path]);
                }
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{run, NEXT_PKG, WITH_DOCKER};

    #[test]
    fn missing_paths_fire() {
        let rw = "{\"build\": {\"builder\": \"DOCKERFILE\", \"dockerfilePath\": \"docker/Dockerfile.prod\"}}";
        let obs = run(
            "dockerfile-path-missing",
            "railway",
            &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER), ("railway.json", rw)],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        let fly = "app = \"a\"\n[build]\n  dockerfile = \"Dockerfile.fly\"\n";
        let obs = run("dockerfile-path-missing", "fly", &[("package.json", NEXT_PKG), ("fly.toml", fly)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(3));
        let compose = "services:\n  web:\n    build:\n      context: .\n      dockerfile: docker/web.Dockerfile\n";
        assert_eq!(
            run("dockerfile-path-missing", "vps", &[("package.json", NEXT_PKG), ("docker-compose.yml", compose)]).len(),
            1
        );
    }

    #[test]
    fn existing_paths_stay_silent() {
        let rw = "{\"build\": {\"builder\": \"DOCKERFILE\", \"dockerfilePath\": \"docker/Dockerfile.prod\"}}";
        assert!(run(
            "dockerfile-path-missing",
            "railway",
            &[("package.json", NEXT_PKG), ("docker/Dockerfile.prod", WITH_DOCKER), ("railway.json", rw)]
        )
        .is_empty());
        let render = "services:\n  - type: web\n    name: web\n    runtime: docker\n    rootDir: apps/web\n    dockerfilePath: ./Dockerfile\n";
        assert!(run(
            "dockerfile-path-missing",
            "render",
            &[
                ("apps/web/package.json", NEXT_PKG),
                ("apps/web/Dockerfile", WITH_DOCKER),
                ("render.yaml", render)
            ]
        )
        .is_empty());
        let compose = "services:\n  web:\n    build:\n      context: ./apps/web\n      dockerfile: Dockerfile\n";
        assert!(run(
            "dockerfile-path-missing",
            "vps",
            &[
                ("apps/web/package.json", NEXT_PKG),
                ("apps/web/Dockerfile", WITH_DOCKER),
                ("docker-compose.yml", compose)
            ]
        )
        .is_empty());
    }
}
