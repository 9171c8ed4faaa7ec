use super::{Check, Ctx, Rule};
use crate::observe::Observation;
use crate::report::Aspect;
use crate::text::{join, parent};

pub static RULE: Rule = Rule {
    id: "dockerfile-not-detected",
    aspect: Aspect::Docker,
    title: "The platform will not find the app's Dockerfile by itself",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Compares where the app's Dockerfile is with where the platform looks when nothing points at
it: Railway uses only a file named exactly `Dockerfile` at the root of the service's source
directory; `fly deploy` uses the `Dockerfile` next to fly.toml unless `[build] dockerfile` says
otherwise; a render.yaml service with `runtime: docker` reads `./Dockerfile` unless
`dockerfilePath` is set; Koyeb and Coolify default to `Dockerfile` at the root of the work / base
directory.

## Why it matters
The platform then builds something else: Railway falls back to its Railpack builder, Fly and
Render fail or build the wrong file, and the settings in your Dockerfile (base image, standalone
output, start command) never apply.

## Example
```text
apps/web/Dockerfile.prod     # Railway only auto-detects ./Dockerfile
```

## Fix
Point the platform at the file: `RAILWAY_DOCKERFILE_PATH` or `build.dockerfilePath`,
fly.toml `[build] dockerfile`, render.yaml `dockerfilePath`, or the Dockerfile location setting.

## References
- https://docs.railway.com/builds/dockerfiles
- https://fly.io/docs/reference/configuration/#the-build-section
- https://render.com/docs/blueprint-spec
"#;

fn run(ctx: &Ctx) -> Vec<Observation> {
    let m = ctx.model;
    let mut out = Vec::new();
    if m.apps.is_empty() {
        return out;
    }
    let app = &m.apps[m.primary_app()];
    let Some(d) = m.dockerfile_of(app) else { return out };
    // A Dockerfile whose build context is assembled by a script (no COPY source is in the
    // repository) cannot build from the repository wherever it is found: build-context-generated
    // says so, and where the platform looks for it is beside the point.
    let analysis = super::copy_source_missing::analysis(m);
    if analysis.iter().any(|a| a.dockerfile == d.rel && a.context_generated()) {
        return out;
    }
    let name = d.rel.rsplit('/').next().unwrap_or(&d.rel);
    let at_root = d.rel == "Dockerfile";
    let obs = |msg: String, how: &str| {
        Observation::at(RULE.id, &d.rel, 1, msg)
            .var("path", d.rel.clone())
            .var("dir", if d.dir.is_empty() { "/".to_string() } else { d.dir.clone() })
            .var("how", how.to_string())
            .key(d.rel.clone())
    };
    match ctx.facts.config_file.as_str() {
        "railway" => {
            if at_root || m.railway.iter().any(|r| r.v.dockerfile_path.is_some()) {
                return out;
            }
            if name == "Dockerfile" {
                // Found once the service's Root Directory is the Dockerfile's folder (a dashboard setting).
                out.push(obs(
                    format!(
                        "`{}` is found only if the Railway service's Root Directory is `{}`; otherwise Railway builds with Railpack",
                        d.rel, d.dir
                    ),
                    "root",
                ));
            } else {
                out.push(obs(
                    format!(
                        "Railway auto-detects only a file named `Dockerfile`, so `{}` is ignored and the app is built with Railpack",
                        d.rel
                    ),
                    "path",
                ));
            }
        }
        "fly.toml" => {
            for f in m.fly_building() {
                if f.v.dockerfile.is_some() {
                    continue;
                }
                let beside = join(parent(&f.rel), "Dockerfile");
                if m.paths.contains(&beside) {
                    continue;
                }
                out.push(
                    obs(
                        format!(
                            "fly.toml sets no `[build] dockerfile` and there is no `{beside}`, so `fly deploy` does not build `{}`",
                            d.rel
                        ),
                        "fly",
                    )
                    .related(&f.rel, Some(1), "the fly.toml `fly deploy` reads"),
                );
            }
        }
        "render.yaml" => {
            for r in &m.render {
                for s in &r.v.services {
                    let docker = s.runtime.as_ref().is_some_and(|(v, _)| v == "docker");
                    if !docker || s.dockerfile_path.is_some() {
                        continue;
                    }
                    let root = s
                        .root_dir
                        .as_ref()
                        .map(|(p, _)| p.trim_start_matches("./").trim_matches('/').to_string())
                        .unwrap_or_default();
                    if m.paths.contains(&join(&root, "Dockerfile")) {
                        continue;
                    }
                    out.push(
                        obs(
                            format!(
                                "service `{}` uses the Docker runtime without `dockerfilePath`, so Render looks for `{}`, not `{}`",
                                crate::text::sanitize(&s.name),
                                join(&root, "Dockerfile"),
                                d.rel
                            ),
                            "render",
                        )
                        .related(&r.rel, Some(s.line), "the service Render builds"),
                    );
                }
            }
        }
        // Koyeb and Coolify: the Dockerfile location is a dashboard setting that defaults to `Dockerfile`.
        "" | "compose" => {
            let compose_pack = ctx.facts.config_file == "compose" && !m.deploy_composes().is_empty();
            if !(at_root || compose_pack) {
                out.push(obs(
                    format!(
                        "`{}` is not at the default location `Dockerfile`, so {} needs its Dockerfile location set",
                        d.rel, ctx.platform.name
                    ),
                    "dashboard",
                ));
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
    fn renamed_or_nested_dockerfile_fires() {
        let files = [("package.json", NEXT_PKG), ("Dockerfile.prod", WITH_DOCKER)];
        assert_eq!(run("dockerfile-not-detected", "railway", &files).len(), 1);
        assert_eq!(run("dockerfile-not-detected", "koyeb", &files).len(), 1);
        let fly = "app = \"a\"\n[http_service]\n  internal_port = 3000\n";
        assert_eq!(
            run(
                "dockerfile-not-detected",
                "fly",
                &[("package.json", NEXT_PKG), ("docker/Dockerfile", WITH_DOCKER), ("fly.toml", fly)]
            )
            .len(),
            1
        );
        let render = "services:\n  - type: web\n    name: web\n    runtime: docker\n";
        assert_eq!(
            run(
                "dockerfile-not-detected",
                "render",
                &[("package.json", NEXT_PKG), ("docker/Dockerfile", WITH_DOCKER), ("render.yaml", render)]
            )
            .len(),
            1
        );
    }

    #[test]
    fn root_dockerfile_or_configured_path_stays_silent() {
        let files = [("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER)];
        for t in ["railway", "koyeb", "coolify", "fly", "render"] {
            assert!(run("dockerfile-not-detected", t, &files).is_empty(), "{t}");
        }
        let rw = "{\"build\": {\"dockerfilePath\": \"Dockerfile.prod\"}}";
        assert!(run(
            "dockerfile-not-detected",
            "railway",
            &[("package.json", NEXT_PKG), ("Dockerfile.prod", WITH_DOCKER), ("railway.json", rw)]
        )
        .is_empty());
        let fly = "app = \"a\"\n[build]\n  dockerfile = \"docker/Dockerfile\"\n";
        assert!(run(
            "dockerfile-not-detected",
            "fly",
            &[("package.json", NEXT_PKG), ("docker/Dockerfile", WITH_DOCKER), ("fly.toml", fly)]
        )
        .is_empty());
        let render = "services:\n  - type: web\n    name: web\n    runtime: node\n";
        assert!(run(
            "dockerfile-not-detected",
            "render",
            &[("package.json", NEXT_PKG), ("docker/Dockerfile", WITH_DOCKER), ("render.yaml", render)]
        )
        .is_empty());
    }

    #[test]
    fn a_dockerfile_whose_context_a_script_assembles_is_left_to_build_context_generated() {
        // `COPY ./meta ./deps ./pkg`: a context piped in by a packaging script; none is in the repository.
        let df = "FROM node:20-alpine\nWORKDIR /app\nCOPY ./meta .\nCOPY ./deps .\nCOPY ./pkg .\nRUN npm ci\nCMD [\"node\", \"dist/main.js\"]\n";
        let files = [("apps/web/package.json", NEXT_PKG), ("apps/web/Dockerfile", df)];
        assert!(run("dockerfile-not-detected", "railway", &files).is_empty());
        // The same Dockerfile copying what the repository has is reported.
        let df = "FROM node:20-alpine\nWORKDIR /app\nCOPY package.json .\nCOPY app ./app\nRUN npm ci\nCMD [\"npm\", \"start\"]\n";
        let page = "export default function P() { return null }\n";
        let files = [
            ("apps/web/package.json", NEXT_PKG),
            ("apps/web/app/page.tsx", page),
            ("apps/web/Dockerfile", df),
        ];
        assert_eq!(run("dockerfile-not-detected", "railway", &files).len(), 1);
    }

    #[test]
    fn dev_container_and_base_image_dockerfiles_are_not_the_apps() {
        let dev = "FROM mcr.microsoft.com/devcontainers/javascript-node:20\n";
        let files = [("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER), (".devcontainer/Dockerfile", dev)];
        assert!(run("dockerfile-not-detected", "railway", &files).is_empty());
        let files = [("package.json", NEXT_PKG), (".devcontainer/Dockerfile", dev)];
        assert!(run("dockerfile-not-detected", "railway", &files).is_empty());
        // An image whose start script runs the development server is no deployment either.
        let web = "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nCMD [\"/bin/sh\", \"/app/docker/start-dev.sh\"]\n";
        let files = [
            ("package.json", NEXT_PKG),
            ("docker/Dockerfile.web", web),
            ("docker/start-dev.sh", "#!/bin/sh\npnpm install\npnpm run dev\n"),
        ];
        assert!(run("dockerfile-not-detected", "railway", &files).is_empty());
        // Two Dockerfiles at the same depth: the one that copies the app is the app's.
        let base = "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN apt-get update\n";
        let files = [("package.json", NEXT_PKG), ("base/Dockerfile", base), ("docker/Dockerfile", WITH_DOCKER)];
        let obs = run("dockerfile-not-detected", "railway", &files);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].file.as_deref(), Some("docker/Dockerfile"));
    }

    #[test]
    fn the_app_a_turbo_prune_names_owns_the_dockerfile_over_a_base_image() {
        let root = "{\"name\": \"mono\", \"private\": true, \"workspaces\": [\"apps/*\", \"packages/*\"]}";
        let web = "{\"name\": \"webapp\", \"scripts\": {\"start\": \"node server.js\"}}";
        let schema = "{\"name\": \"schema\", \"scripts\": {\"start\": \"node x.js\"}}";
        let app_df = "FROM node:22 AS prune\nWORKDIR /w\nCOPY . .\nRUN npx turbo@2 prune --scope=webapp --docker\nFROM node:22\nCOPY packages/schema/sql ./sql\nCMD [\"node\", \"server.js\"]\n";
        let base = "ARG BASE\nFROM ${BASE}\nRUN apt-get update\n";
        let files = [
            ("package.json", root),
            ("apps/webapp/package.json", web),
            ("packages/schema/package.json", schema),
            ("packages/schema/sql/a.sql", ""),
            ("docker/Dockerfile", app_df),
            ("images/Dockerfile", base),
        ];
        let obs = run("dockerfile-not-detected", "railway", &files);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].file.as_deref(), Some("docker/Dockerfile"));
    }
}
