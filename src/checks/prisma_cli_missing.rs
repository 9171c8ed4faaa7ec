use super::{deployable_apps, final_instructions, has_seq, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::dockerfile::Dockerfile;
use crate::parse::package_json::DepKind;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "prisma-cli-missing",
    aspect: Aspect::Docker,
    title: "The start command calls the prisma CLI, which the runtime image does not contain",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Fires when what the container runs at start calls `prisma` (`migrate deploy`, `db push`, …) while
the runtime stage has no prisma CLI: it copies only the standalone output, or installs production
dependencies only while `prisma` is a devDependency, and installs no `prisma` itself. A folder
copied from a builder stage that installed all dependencies (or ran the prisma CLI) in it brings
its `node_modules` along.

## Why it matters
The container fails at start with `prisma: not found`; with `npx prisma`, npx instead downloads
whatever version is latest at that moment (a different major than the app was built with), or
fails without network access.

## Example
```dockerfile
COPY --from=builder /app/.next/standalone ./
CMD npx prisma migrate deploy && node server.js
```

## Fix
Install the CLI in the runner at the app's pinned version (`RUN npm install prisma@<version>`),
move `prisma` to dependencies and copy `node_modules`, or run migrations outside the container.

## References
- https://www.prisma.io/docs/orm/prisma-client/deployment/deploy-database-changes-with-prisma-migrate
- https://nextjs.org/docs/app/api-reference/config/next-config-js/output
"#;

const PRUNE: &[&str] = &["--omit=dev", "--production", "--only=production", "--prod", "prune"];

fn stage_prunes(df: &Dockerfile, name: &str) -> bool {
    let Some(stage) = df.stage_by_name(name) else { return false };
    super::stage_chain(df, stage.index).into_iter().filter_map(|s| df.stages.get(s)).any(|s| {
        s.instructions
            .iter()
            .filter_map(|&i| df.instructions.get(i))
            .any(|i| i.keyword == "RUN" && PRUNE.iter().any(|p| i.command_text().contains(p)))
    })
}

/// The WORKDIRs of the `from` stage (and the stages it is built on) where a RUN installs all
/// dependencies or runs the prisma CLI: a COPY of such a folder brings its `node_modules`.
fn install_dirs(df: &Dockerfile, name: &str) -> Vec<String> {
    let Some(stage) = df.stage_by_name(name) else { return Vec::new() };
    let mut out = Vec::new();
    let mut workdir = "/".to_string();
    for s in super::stage_chain(df, stage.index).into_iter().rev().filter_map(|s| df.stages.get(s)) {
        for ins in s.instructions.iter().filter_map(|&i| df.instructions.get(i)) {
            let t = ins.command_text();
            match ins.keyword.as_str() {
                "WORKDIR" => {
                    workdir = if t.starts_with('/') {
                        t.trim_end_matches('/').to_string()
                    } else {
                        format!("{}/{}", workdir.trim_end_matches('/'), t.trim_end_matches('/'))
                    }
                }
                "RUN" => {
                    let install = ["npm ci", "npm install", "npm i", "yarn install", "pnpm install", "bun install"]
                        .iter()
                        .any(|p| has_seq(&t, &p.split(' ').collect::<Vec<_>>()))
                        || t.trim() == "yarn";
                    let pruned = PRUNE.iter().any(|p| t.contains(p));
                    if (install && !pruned) || has_seq(&t, &["prisma", "generate"]) {
                        out.push(workdir.clone());
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// Does any package.json in the repository list `prisma` in `dependencies`?
fn prod_prisma_elsewhere(model: &Model) -> bool {
    model.packages().any(|p| p.v.deps.iter().any(|d| d.name == "prisma" && d.kind == DepKind::Prod))
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        let Some(d) = model.dockerfile_of(app) else { continue };
        let cmds = model.start_commands(app);
        let Some(c) = cmds
            .iter()
            .find(|c| has_seq(&c.text, &["prisma", "migrate"]) || has_seq(&c.text, &["prisma", "db"]))
        else {
            continue;
        };
        // The CLI may be declared by any workspace package (a shared `packages/db`).
        let deps: Vec<&crate::parse::package_json::Dep> = model.apps.iter().filter_map(|a| a.dep("prisma")).chain(app.dep("prisma")).collect();
        let dep = deps.first().copied();
        let dev_only = deps.iter().all(|d| d.kind == DepKind::Dev) && !prod_prisma_elsewhere(model);
        let mut has_cli = false;
        for ins in final_instructions(&d.df) {
            let t = ins.command_text();
            match ins.keyword.as_str() {
                "RUN" => {
                    let installs_named = ["npm install", "npm i ", "npm add", "yarn add", "pnpm add", "npm install -g", "bun add"]
                        .iter()
                        .any(|p| t.contains(p))
                        && has_seq(&t.replace('@', " "), &["prisma"]);
                    let full_install = (has_seq(&t, &["npm", "ci"])
                        || has_seq(&t, &["npm", "install"])
                        || has_seq(&t, &["yarn", "install"])
                        || has_seq(&t, &["pnpm", "install"]))
                        && !PRUNE.iter().any(|p| t.contains(p));
                    let prod_install = PRUNE.iter().any(|p| t.contains(p));
                    // The build already runs the CLI in this stage, so it is there.
                    if has_seq(&t, &["prisma", "generate"]) || has_seq(&t, &["prisma", "migrate"]) {
                        has_cli = true;
                    }
                    if installs_named || (full_install && dep.is_some()) || (prod_install && !dev_only) {
                        has_cli = true;
                    }
                    if prod_install && dev_only && t.contains("prune") {
                        has_cli = false;
                    }
                }
                "COPY" | "ADD" => {
                    if let Some((srcs, _)) = ins.copy_parts_ref() {
                        for s in srcs {
                            let s = s.trim_end_matches('/');
                            let from_installed = ins
                                .flag("from")
                                .is_some_and(|f| s.starts_with('/') && install_dirs(&d.df, f).iter().any(|w| crate::text::under(w, s)));
                            if s.contains("node_modules/prisma") || s.contains("node_modules/.bin") || (from_installed && dep.is_some()) {
                                has_cli = true;
                            } else if s.ends_with("node_modules")
                                || s == "."
                                || (ins.flag("from").is_some() && s.matches('/').count() <= 1 && !s.contains(".next"))
                            {
                                let pruned = ins.flag("from").is_some_and(|f| stage_prunes(&d.df, f));
                                if !dev_only || (dep.is_some() && !pruned) {
                                    has_cli = true;
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if has_cli {
            continue;
        }
        let npx = c.text.contains("npx");
        let msg = if npx {
            format!(
                "the start command ({}) runs `npx prisma`, but the runtime image has no prisma CLI, so npx downloads the latest prisma at every start",
                c.via
            )
        } else {
            format!(
                "the start command ({}) runs `prisma`, but the runtime image has no prisma CLI, so it fails with `prisma: not found`",
                c.via
            )
        };
        out.push(
            Observation::at(RULE.id, &c.file, c.line, msg)
                .related(&d.rel, d.df.final_stage().map(|s| s.line), "runtime stage")
                .key(c.file.clone()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, STANDALONE_CONFIG};

    const PKG: &str = "{\"scripts\":{\"start\":\"next start\",\"build\":\"next build\"},\"dependencies\":{\"next\":\"15.0.0\",\"@prisma/client\":\"6.0.0\"},\"devDependencies\":{\"prisma\":\"6.0.0\"}}";

    #[test]
    fn standalone_runner_with_migrate_fires() {
        let df = "FROM node:20-alpine AS builder\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nFROM node:20-alpine\nWORKDIR /app\nCOPY --from=builder /app/.next/standalone ./\nCOPY --from=builder /app/.next/static ./.next/static\nCMD npx prisma migrate deploy && node server.js\n";
        let obs = koyeb(
            "prisma-cli-missing",
            &[("package.json", PKG), ("Dockerfile", df), ("next.config.js", STANDALONE_CONFIG)],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(9));
    }

    #[test]
    fn npm_add_in_the_runner_and_workspace_dependencies_stay_silent() {
        let df = "FROM node:20-alpine AS builder\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nFROM node:20-slim\nWORKDIR /app\nRUN npm add prisma@7\nCOPY --from=builder /app/.next/standalone ./\nCMD npx prisma migrate deploy && node server.js\n";
        assert!(koyeb(
            "prisma-cli-missing",
            &[("package.json", PKG), ("Dockerfile", df), ("next.config.js", STANDALONE_CONFIG)]
        )
        .is_empty());
        let df = "FROM node:20-alpine AS builder\nWORKDIR /app\nCOPY . .\nRUN yarn install && yarn build\nFROM node:20-alpine\nWORKDIR /app\nCOPY --from=builder /app/node_modules ./node_modules\nCOPY --from=builder /app/.next ./.next\nCMD npx prisma migrate deploy && npm start\n";
        let pkg = "{\"scripts\":{\"start\":\"next start\"},\"dependencies\":{\"next\":\"15.0.0\"}}";
        let db = "{\"name\":\"db\",\"dependencies\":{\"prisma\":\"6.0.0\"}}";
        assert!(koyeb(
            "prisma-cli-missing",
            &[("package.json", pkg), ("packages/db/package.json", db), ("Dockerfile", df)]
        )
        .is_empty());
    }

    #[test]
    fn full_node_modules_or_installed_cli_stays_silent() {
        let df = "FROM node:20-alpine AS builder\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nFROM node:20-alpine\nWORKDIR /app\nCOPY --from=builder /app/node_modules ./node_modules\nCOPY --from=builder /app/.next ./.next\nCMD npx prisma migrate deploy && npm start\n";
        assert!(koyeb("prisma-cli-missing", &[("package.json", PKG), ("Dockerfile", df)]).is_empty());
        let df2 = "FROM node:20-alpine AS builder\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nFROM node:20-alpine\nWORKDIR /app\nCOPY --from=builder /app/.next/standalone ./\nRUN npm install prisma@6.0.0\nCMD npx prisma migrate deploy && node server.js\n";
        assert!(koyeb(
            "prisma-cli-missing",
            &[("package.json", PKG), ("Dockerfile", df2), ("next.config.js", STANDALONE_CONFIG)]
        )
        .is_empty());
    }

    #[test]
    fn a_copied_folder_where_the_builder_installed_dependencies_has_the_cli() {
        let df = "FROM node:22-slim AS builder\nWORKDIR /src\nCOPY . .\nRUN npm install && npm run build\nWORKDIR /src/out/server\nRUN npm install\nFROM node:22-slim\nCOPY --from=builder /src/out /srv/\nCOPY start.sh /srv/\nWORKDIR /srv/server\nCMD [\"/srv/start.sh\"]\n";
        let pkg = "{\"scripts\":{\"start\":\"node main.js\"},\"dependencies\":{\"@prisma/client\":\"6.0.0\"},\"devDependencies\":{\"prisma\":\"6.0.0\"}}";
        let start = "#!/bin/sh\nnpx prisma migrate deploy\nexec node main\n";
        let files = [("package.json", pkg), ("Dockerfile", df), ("start.sh", start)];
        assert!(koyeb("prisma-cli-missing", &files).is_empty());
        // Copying a folder the builder only compiled into still lacks it.
        let df2 = df.replace("WORKDIR /src/out/server\nRUN npm install\n", "");
        let files = [("package.json", pkg), ("Dockerfile", df2.as_str()), ("start.sh", start)];
        assert_eq!(koyeb("prisma-cli-missing", &files).len(), 1);
    }
}
