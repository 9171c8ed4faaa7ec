use super::{base_image, deployable_apps, Check, Rule};
use crate::model::App;
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::package_json::min_major;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "node-too-old",
    aspect: Aspect::Framework,
    title: "The Node.js version is older than Next.js or Prisma requires",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Compares the Node.js version the deployment runs — the `node:<version>` base image of each
Dockerfile stage, or, without a Dockerfile, `.nvmrc` / `.node-version` and a capped
`engines.node` such as `18.x` — with what the declared dependencies require: Next.js 16 needs
Node.js 20.9, Next.js 15 needs 18.18, Prisma 7 needs 20.19, Prisma 6 needs 18.18.

## Why it matters
`next build` and the Prisma CLI check the running Node.js version and stop ("For Next.js,
Node.js version >= v20.9.0 is required"), so the build or the container start fails on every
deploy until the base image or the version file changes.

## Example
```dockerfile
FROM node:18-alpine      # package.json: "next": "^16.0.0"
```

## Fix
Build and run on a Node.js version the dependencies support (`FROM node:22-alpine`), and declare
it in `engines.node` / `.nvmrc`.

## References
- https://nextjs.org/docs/app/guides/upgrading/version-16
- https://www.prisma.io/docs/orm/more/upgrade-guides/upgrading-versions/upgrading-to-prisma-7
- https://github.com/prisma/prisma/releases/tag/6.0.0
"#;

/// (package, its line, required (major, minor)) for the app's dependencies.
fn requirements(app: &App) -> Vec<(&'static str, usize, (u64, u64), String)> {
    let mut out = Vec::new();
    let Some(p) = &app.package else { return out };
    if let Some(d) = p.v.dep("next") {
        match min_major(&d.spec) {
            Some(m) if m >= 16 => out.push(("next", d.line, (20, 9), format!("Next.js {m}"))),
            Some(15) => out.push(("next", d.line, (18, 18), "Next.js 15".to_string())),
            _ => {}
        }
    }
    for name in ["prisma", "@prisma/client"] {
        if let Some(d) = p.v.dep(name) {
            match min_major(&d.spec) {
                Some(m) if m >= 7 => out.push(("prisma", d.line, (20, 19), format!("Prisma {m}"))),
                Some(6) => out.push(("prisma", d.line, (18, 18), "Prisma 6".to_string())),
                _ => {}
            }
            break;
        }
    }
    out
}

/// (major, minor when written) of a `node:<tag>` image, e.g. `node:20.5-alpine` → (20, Some(5)).
fn image_version(image: &str) -> Option<(u64, Option<u64>)> {
    let (repo, tag) = image.rsplit_once(':')?;
    if !(repo == "node" || repo.ends_with("/node")) {
        return None;
    }
    let digits: Vec<&str> = tag.split(['-', '@']).next()?.split('.').collect();
    let major = digits.first()?.parse().ok()?;
    let minor = digits.get(1).and_then(|m| m.parse().ok());
    Some((major, minor))
}

/// The highest version a version file or engines spec allows, when it caps it: `.nvmrc` "18.17.0"
/// → (18, Some(17)); engines "18.x", "^18.2", "~18", "18" → (18, None); ">=18" → None.
fn capped_version(spec: &str, exact: bool) -> Option<(u64, Option<u64>)> {
    let s = spec.lines().map(|l| l.split('#').next().unwrap_or("").trim()).find(|l| !l.is_empty())?;
    let s = s.trim_start_matches(['^', '~', '=']).trim_start_matches('v');
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || !parts
            .iter()
            .all(|p| !p.is_empty() && (p.chars().all(|c| c.is_ascii_digit()) || *p == "x" || *p == "*"))
    {
        return None;
    }
    let major = parts[0].parse().ok()?;
    let minor = if exact { parts.get(1).and_then(|m| m.parse().ok()) } else { None };
    Some((major, minor))
}

/// A Node.js version: major, and minor when it is known.
type Version = (u64, Option<u64>);

fn too_old(have: Version, need: (u64, u64)) -> bool {
    have.0 < need.0 || (have.0 == need.0 && have.1.is_some_and(|m| m < need.1))
}

fn show(v: (u64, Option<u64>)) -> String {
    match v.1 {
        Some(m) => format!("{}.{m}", v.0),
        None => v.0.to_string(),
    }
}

fn run(model: &Model) -> Vec<Observation> {
    let m = model;
    let mut out = Vec::new();
    for app in deployable_apps(m) {
        let reqs = requirements(app);
        let Some(pkg) = &app.package else { continue };
        if reqs.is_empty() {
            continue;
        }
        // Where the Node.js version comes from: (version, file, line, what).
        let mut used: Vec<(Version, String, usize, String)> = Vec::new();
        if let Some(d) = m.dockerfile_of(app) {
            for s in &d.df.stages {
                let img = base_image(&d.df, s.index);
                if let Some(v) = image_version(&img) {
                    if s.from_stage.is_none() {
                        used.push((v, d.rel.clone(), s.line, format!("`{}`", crate::text::sanitize(&img))));
                    }
                }
            }
        } else {
            if let Some((rel, text)) = &app.node_version_file {
                if let Some(v) = capped_version(text, true) {
                    used.push((v, rel.clone(), 1, format!("`{}`", crate::text::sanitize(rel))));
                }
            }
            if let Some((spec, line)) = &pkg.v.engines_node {
                if let Some(v) = capped_version(spec, false) {
                    used.push((v, pkg.rel.clone(), *line, format!("`engines.node` \"{}\"", crate::text::sanitize(spec))));
                }
            }
        }
        // Report the strictest requirement each source fails, once per source.
        for (have, file, line, what) in used {
            let Some((_, dep_line, need, label)) = reqs.iter().filter(|r| too_old(have, r.2)).max_by_key(|r| r.2) else {
                continue;
            };
            out.push(
                Observation::at(
                    RULE.id,
                    &file,
                    line,
                    format!(
                        "{what} gives Node.js {}, but {label} requires Node.js {}.{} or newer",
                        show(have),
                        need.0,
                        need.1
                    ),
                )
                .related(&pkg.rel, Some(*dep_line), format!("{label} is declared here"))
                .var("need", format!("{}.{}", need.0, need.1))
                .var("have", show(have))
                .key(format!("{file}:{}:{label}", show(have))),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{capped_version, image_version};
    use crate::checks::testing::koyeb;

    const NEXT16: &str = "{\"scripts\":{\"build\":\"next build\",\"start\":\"next start\"},\"dependencies\":{\"next\":\"^16.0.1\",\"react\":\"19.2.0\"}}";

    #[test]
    fn old_base_image_or_version_file_fires() {
        let df =
            "FROM node:18-alpine AS build\nCOPY . .\nRUN npm ci && npm run build\nFROM node:18-alpine\nCOPY --from=build /app ./\nCMD [\"npm\",\"start\"]\n";
        let obs = koyeb("node-too-old", &[("package.json", NEXT16), ("Dockerfile", df)]);
        assert_eq!(obs.iter().map(|o| o.line).collect::<Vec<_>>(), vec![Some(1), Some(4)], "{obs:?}");
        assert!(obs[0].message.contains("20.9"));
        let obs = koyeb("node-too-old", &[("package.json", NEXT16), (".nvmrc", "18.19.0\n")]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        let prisma7 = "{\"scripts\":{\"start\":\"node server.js\"},\"dependencies\":{\"@prisma/client\":\"^7.0.0\"}}";
        let df = "FROM node:20.11-alpine\nCOPY . .\nCMD [\"node\",\"server.js\"]\n";
        assert_eq!(koyeb("node-too-old", &[("package.json", prisma7), ("Dockerfile", df)]).len(), 1);
    }

    #[test]
    fn new_enough_or_open_versions_stay_silent() {
        let df = "FROM node:22-alpine\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"npm\",\"start\"]\n";
        assert!(koyeb("node-too-old", &[("package.json", NEXT16), ("Dockerfile", df)]).is_empty());
        // node:20 is the newest 20.x, which satisfies 20.9.
        let df20 = df.replace("node:22-alpine", "node:20-alpine");
        assert!(koyeb("node-too-old", &[("package.json", NEXT16), ("Dockerfile", &df20)]).is_empty());
        let open = "{\"scripts\":{\"start\":\"next start\"},\"engines\":{\"node\":\">=18\"},\"dependencies\":{\"next\":\"^16.0.1\"}}";
        assert!(koyeb("node-too-old", &[("package.json", open)]).is_empty());
        let next15 = "{\"scripts\":{\"start\":\"next start\"},\"dependencies\":{\"next\":\"15.1.0\"}}";
        assert!(koyeb("node-too-old", &[("package.json", next15), (".nvmrc", "18\n")]).is_empty());
    }

    #[test]
    fn versions() {
        assert_eq!(image_version("node:20.5-alpine"), Some((20, Some(5))));
        assert_eq!(image_version("node:lts-alpine"), None);
        assert_eq!(image_version("docker.io/library/node:18"), Some((18, None)));
        assert_eq!(image_version("oven/bun:1"), None);
        assert_eq!(capped_version("18.x", false), Some((18, None)));
        assert_eq!(capped_version(">=18", false), None);
        assert_eq!(capped_version("v18.17.0\n", true), Some((18, Some(17))));
    }
}
