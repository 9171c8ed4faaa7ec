use super::{Check, Ctx, Rule};
use crate::observe::Observation;
use crate::parse::source::PathExpr;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "ephemeral-disk-write",
    aspect: Aspect::Statelessness,
    title: "Server code writes files to the container's local disk",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Finds server-side code (route handlers, API routes, server modules; not scripts, tests or
`"use client"` components) that writes files with `writeFile`, `createWriteStream`, `appendFile`,
multer `diskStorage` / `dest`, to a path that resolves to the working directory, `public/`
or an absolute path (an env var with such a default counts). Writes to `/tmp` or `os.tmpdir()` are
ignored, and so are writes that hold no user data: scratch and cache folders (`tmp/`,
`temp_files/`, `.cache/`), code written into `generated/`, and an `openapi.json` / `swagger.json`
the server writes from its own routes. Modules imported only by scripts, and files only scripts,
workflows or the image build run, are tools, not server code. SQLite files and log files are
reported by `sqlite-ephemeral` and `local-log-file`.

## Why it matters
On platforms whose disk is ephemeral, files written at runtime disappear when the instance
restarts, is redeployed or is rescheduled; with several instances each one sees different files.
Uploads and backups written this way are silently lost.

## Example
```ts
const UPLOAD_DIR = process.env.UPLOAD_DIR ?? path.join(process.cwd(), 'public', 'uploads');
await writeFile(path.join(UPLOAD_DIR, name), bytes);
```

## Fix
Store files in object storage (S3, R2, GCS, Supabase Storage) or attach a persistent volume at the
path and declare it (in the platform's config file, or as `[platform] volumes = [{ mount = "…" }]`
in deploy-audit.toml when the volume lives in the dashboard). `next start` does not serve files added to `public/` after the build anyway.

## References
- https://www.koyeb.com/docs/reference/storage
- https://nextjs.org/docs/app/api-reference/file-conventions/public-folder
"#;

/// A log file: a logger's file transport, or a path ending in `.log` / under a `logs` folder.
pub fn is_log_write(w: &crate::parse::source::FsWrite) -> bool {
    if matches!(w.func.as_str(), "winston.transports.File" | "DailyRotateFile" | "pino.destination") {
        return true;
    }
    match local_target(&w.path) {
        Some((t, _)) => {
            let t = t.trim_end_matches('/');
            t.ends_with(".log") || t.split('/').any(|seg| seg == "logs" || seg == "log")
        }
        None => false,
    }
}

/// Where a path expression lands, when it is provably on the local disk (not a temp dir):
/// the path, and the env var that can override it.
pub fn local_target(p: &PathExpr) -> Option<(String, Option<String>)> {
    match p {
        PathExpr::Literal(s) => {
            if s.starts_with("/tmp") || s.starts_with("/dev/") || s.starts_with("/proc") {
                None
            } else {
                Some((s.clone(), None))
            }
        }
        PathExpr::Cwd(parts) => Some((if parts.is_empty() { ".".to_string() } else { parts.join("/") }, None)),
        PathExpr::Env { name, default } => default.as_deref().and_then(local_target).map(|(d, _)| (d, Some(name.clone()))),
        PathExpr::Join(items) => items.first().and_then(local_target),
        PathExpr::Tmp | PathExpr::Unknown(_) => None,
    }
}

/// The container path a relative write lands on: the final stage's WORKDIR joined with it.
pub fn container_path(ctx: &Ctx, app: &crate::model::App, target: &str) -> Option<String> {
    container_path_in(ctx.model, app, target)
}

fn container_path_in(model: &crate::model::Model, app: &crate::model::App, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return Some(target.to_string());
    }
    let d = model.dockerfile_of(app)?;
    let mut workdir = "/".to_string();
    for ins in super::final_instructions(&d.df) {
        if ins.keyword == "WORKDIR" {
            let w = ins.command_text();
            workdir = if w.starts_with('/') {
                w
            } else {
                format!("{}/{}", workdir.trim_end_matches('/'), w)
            };
        }
    }
    Some(format!("/{}", crate::text::join(&workdir, target)))
}

/// A volume declared in the repository file the platform reads (compose `volumes:` of the
/// service built from this app's Dockerfile, fly.toml `[[mounts]]`, render.yaml `disk` on a paid
/// plan) that covers the container path.
pub fn declared_volume(ctx: &Ctx, app: &crate::model::App, path: &str) -> Option<(String, usize)> {
    let covers = |target: &str| {
        let t = target.trim_end_matches('/');
        !t.is_empty() && (path == t || path.starts_with(&format!("{t}/")))
    };
    match ctx.facts.volumes.as_str() {
        "compose" => {
            let d = ctx.model.dockerfile_of(app)?;
            ctx.model
                .services_building(&d.rel)
                .find_map(|(c, s, _)| s.volumes.iter().find(|m| covers(&m.target)).map(|m| (c.rel.clone(), m.line)))
        }
        "fly.toml" => ctx
            .model
            .fly
            .iter()
            .find_map(|f| f.v.mounts.iter().find(|m| covers(&m.1)).map(|m| (f.rel.clone(), m.2))),
        "render.yaml" => ctx.model.render.iter().find_map(|r| {
            r.v.services
                .iter()
                .filter(|s| s.plan.as_ref().is_none_or(|(p, _)| p != "free"))
                .find_map(|s| s.disk.as_ref().filter(|(m, _)| covers(m)).map(|(_, l)| (r.rel.clone(), *l)))
        }),
        _ => None,
    }
}

/// The repository file where the platform reads volumes for this app, when there is one:
/// (file, line, what) — the compose service, fly.toml, render.yaml.
pub fn volume_config(ctx: &Ctx, app: &crate::model::App) -> Option<(String, Option<usize>, String)> {
    match ctx.facts.volumes.as_str() {
        "compose" => {
            let d = ctx.model.dockerfile_of(app)?;
            ctx.model
                .services_building(&d.rel)
                .next()
                .map(|(c, s, _)| (c.rel.clone(), Some(s.line), format!("compose service `{}`", s.name)))
        }
        "fly.toml" => ctx.model.fly.first().map(|f| (f.rel.clone(), None, "fly.toml".to_string())),
        "render.yaml" => ctx.model.render.first().map(|r| (r.rel.clone(), None, "render.yaml".to_string())),
        _ => None,
    }
}

/// A path whose loss costs no data: a scratch folder (`tmp`, `temp_uploads`), a cache, code or
/// files a generator writes (`generated/`), or an API description the server writes from its
/// own routes at every start (`openapi.json`, `swagger.yaml`).
fn scratch_or_generated(target: &str) -> bool {
    let segs: Vec<String> = target.trim_end_matches('/').split('/').map(|s| s.to_ascii_lowercase()).collect();
    let scratch = segs.iter().any(|seg| {
        let seg = seg.trim_start_matches('.');
        matches!(seg, "tmp" | "temp" | "cache")
            || ["tmp_", "tmp-", "temp_", "temp-"].iter().any(|p| seg.starts_with(p))
            || ["_tmp", "-tmp", "_temp", "-temp", "-cache", "_cache"].iter().any(|p| seg.ends_with(p))
    });
    let name = segs.last().map(String::as_str).unwrap_or("");
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let api_spec = (stem.starts_with("openapi") || stem.starts_with("swagger")) && matches!(ext, "json" | "yaml" | "yml");
    // Code a generator writes into `generated/` (not images an app generates for its users).
    let code = matches!(ext, "js" | "mjs" | "cjs" | "ts" | "mts" | "json" | "graphql" | "gql");
    let generated = code && segs.iter().any(|seg| matches!(seg.as_str(), "generated" | "__generated__" | ".generated"));
    scratch || api_spec || generated
}

/// Does a line after `line` remove `path` (`rmSync("x")`, `unlink('x')`, `fs.promises.rm(`x`)`)?
fn removed_later(text: &str, path: &str, line: usize) -> bool {
    if path.is_empty() {
        return false;
    }
    let quoted = [format!("\"{path}\""), format!("'{path}'"), format!("`{path}`")];
    text.lines().skip(line).any(|l| {
        ["rmSync(", "unlinkSync(", "rm(", "unlink(", "rimraf("]
            .iter()
            .any(|f| l.find(f).is_some_and(|i| quoted.iter().any(|q| l[i..].contains(q.as_str()))))
    })
}

/// A write to the local disk found in the server code: where it is, what it writes, and the
/// container path it lands on. The same under every platform, so found once per model.
struct Candidate {
    app: usize,
    file: String,
    line: usize,
    func: String,
    target: String,
    env: Option<String>,
    in_container: Option<String>,
}

fn candidates(model: &crate::model::Model) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (ai, app) in model.apps.iter().enumerate().filter(|(_, a)| super::is_deployable(a)) {
        for src in app.sources.iter().filter(|s| s.runtime) {
            // SQLite files and log files have their own rules (sqlite-ephemeral, local-log-file).
            let own: Vec<_> = src.facts.fs_writes.iter().filter(|w| w.func != "Database" && !is_log_write(w)).collect();
            let writes: Vec<_> = own.iter().copied().filter(|w| !w.func.starts_with("mkdir")).collect();
            let writes = if writes.is_empty() { own } else { writes };
            let mut seen: Vec<String> = Vec::new();
            for w in writes {
                let Some((target, env)) = local_target(&w.path) else { continue };
                // `.` alone means the rest of the path was not resolved; a build-output folder
                // (`dist`, `.next`…) is rewritten from the image at every start, not user data.
                let build_output = target.split('/').any(|seg| matches!(seg, "dist" | ".next" | "build" | "out" | ".output"));
                if target == "." || target.is_empty() || build_output || scratch_or_generated(&target) || seen.contains(&target) {
                    continue;
                }
                // A scratch file the same code removes again (`rmSync('build.env')`) is no data.
                if let crate::parse::source::PathExpr::Literal(lit) = &w.path {
                    if removed_later(model.file_text(&src.rel).unwrap_or(""), lit, w.line) {
                        continue;
                    }
                }
                seen.push(target.clone());
                out.push(Candidate {
                    app: ai,
                    file: src.rel.clone(),
                    line: w.line,
                    func: w.func.clone(),
                    in_container: container_path_in(model, app, &target),
                    target,
                    env,
                });
            }
        }
    }
    out
}

/// The write candidates of every app, computed once per model (every target reads them).
fn shared(model: &crate::model::Model) -> std::sync::Arc<Vec<Candidate>> {
    model.memo.get("ephemeral-disk-write:candidates", || candidates(model))
}

/// Compute what every target reads (see `checks::SHARED`).
pub fn prepare(model: &crate::model::Model) {
    shared(model);
}

fn run(ctx: &Ctx) -> Vec<Observation> {
    let found = shared(ctx.model);
    let mut out = Vec::new();
    for c in found.iter() {
        let app = &ctx.model.apps[c.app];
        let target = &c.target;
        if c.in_container.as_deref().is_some_and(|p| declared_volume(ctx, app, p).is_some())
            || ctx.declared.volume_covering(c.in_container.as_deref(), target).is_some()
        {
            continue;
        }
        let via = c.env.as_ref().map(|e| format!(" (the default when `{e}` is unset)")).unwrap_or_default();
        let msg = if ctx.facts.ephemeral_disk {
            format!(
                "`{}` writes to `{target}`{via} on the container's local disk, which {} does not keep across restarts and redeploys",
                c.func, ctx.platform.name
            )
        } else {
            format!(
                "`{}` writes to `{target}`{via} on the container's local disk, which is lost when the container is recreated unless a volume is mounted there",
                c.func
            )
        };
        let mut o = Observation::at(RULE.id, &c.file, c.line, msg)
            .var("path", target.clone())
            .key(format!("{}:{target}", c.func));
        if let Some((file, line, what)) = volume_config(ctx, app) {
            let shown = c.in_container.clone().unwrap_or_else(|| target.clone());
            o = o.related(&file, line, format!("{what} mounts no volume at `{shown}`"));
        }
        out.push(o);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn upload_route_writing_under_public_fires() {
        let src = "import path from 'path';\nimport { writeFile } from 'fs/promises';\nconst DIR = process.env.UPLOAD_DIR ?? path.join(process.cwd(), 'public', 'uploads');\nexport async function POST(req: Request) {\n  await writeFile(path.join(DIR, 'a.png'), Buffer.from(''));\n  return Response.json({});\n}\n";
        let obs = koyeb("ephemeral-disk-write", &[("package.json", NEXT_PKG), ("app/api/upload/route.ts", src)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].file.as_deref(), Some("app/api/upload/route.ts"));
        assert_eq!(obs[0].line, Some(5));
        assert!(obs[0].message.contains("public/uploads"), "{}", obs[0].message);
    }

    #[test]
    fn a_compose_volume_over_the_path_silences_it_where_repository_volumes_count() {
        let src = "import { writeFileSync } from 'fs';\nexport function POST() { writeFileSync('uploads/a.bin', ''); return new Response('') }\n";
        let df = "FROM node:20-alpine\nWORKDIR /srv/app\nCOPY . .\nCMD [\"npm\", \"start\"]\n";
        let compose = "services:\n  app:\n    build: .\n    volumes:\n      - uploads:/srv/app/uploads\nvolumes:\n  uploads:\n";
        let files = [
            ("package.json", NEXT_PKG),
            ("app/api/u/route.ts", src),
            ("Dockerfile", df),
            ("docker-compose.yml", compose),
        ];
        assert!(crate::checks::testing::run("ephemeral-disk-write", "vps", &files).is_empty());
        assert_eq!(koyeb("ephemeral-disk-write", &files).len(), 1);
        let other = compose.replace("/srv/app/uploads", "/srv/app/data");
        let files = [
            ("package.json", NEXT_PKG),
            ("app/api/u/route.ts", src),
            ("Dockerfile", df),
            ("docker-compose.yml", other.as_str()),
        ];
        let obs = crate::checks::testing::run("ephemeral-disk-write", "vps", &files);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].related.len(), 1, "{obs:?}");
        assert_eq!(obs[0].related[0].file, "docker-compose.yml");
        assert!(obs[0].related[0].message.contains("/srv/app/uploads"), "{:?}", obs[0].related);
    }

    #[test]
    fn a_volume_declared_in_deploy_audit_toml_silences_writes_under_its_mount_only() {
        let src = "import { writeFileSync } from 'fs';\nexport function POST() { writeFileSync('uploads/a.bin', ''); writeFileSync('data/b.bin', ''); return new Response('') }\n";
        let df = "FROM node:20-alpine\nWORKDIR /srv/app\nCOPY . .\nCMD [\"npm\", \"start\"]\n";
        let files = [("package.json", NEXT_PKG), ("app/api/u/route.ts", src), ("Dockerfile", df)];
        assert_eq!(koyeb("ephemeral-disk-write", &files).len(), 2);
        let cfg = crate::config::parse("[platform]\nvolumes = [{ mount = \"/srv/app/uploads\" }]\n", "deploy-audit.toml").unwrap();
        let obs = crate::checks::testing::run_declared("ephemeral-disk-write", "koyeb", &files, &cfg.tuning("koyeb").declared);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert!(obs[0].message.contains("data"), "{}", obs[0].message);
        // Without a Dockerfile the container path is unknown: a relative mount still matches.
        let files = [("package.json", NEXT_PKG), ("app/api/u/route.ts", src)];
        let abs = crate::checks::testing::run_declared("ephemeral-disk-write", "koyeb", &files, &cfg.tuning("koyeb").declared);
        assert_eq!(abs.len(), 2, "an absolute mount cannot be matched without WORKDIR: {abs:?}");
        let rel = crate::config::parse("[platform]\nvolumes = [{ mount = \"uploads\" }]\n", "deploy-audit.toml").unwrap();
        assert_eq!(
            crate::checks::testing::run_declared("ephemeral-disk-write", "koyeb", &files, &rel.tuning("koyeb").declared).len(),
            1
        );
    }

    #[test]
    fn build_output_rewritten_at_boot_and_unresolved_paths_stay_silent() {
        let boot = "import fs from 'fs';\nimport path from 'path';\nimport { NAME } from './names';\nexport function boot() {\n  fs.writeFileSync(path.join(__dirname, '../client/dist/index.html'), '<html/>');\n  fs.writeFileSync(path.join(process.cwd(), NAME), 'x');\n}\n";
        assert!(koyeb("ephemeral-disk-write", &[("package.json", NEXT_PKG), ("lib/boot.ts", boot)]).is_empty());
    }

    #[test]
    fn tmp_writes_scripts_tests_and_client_code_stay_silent() {
        let tmp = "import os from 'os';\nimport { writeFileSync } from 'fs';\nexport function GET() { writeFileSync(os.tmpdir() + '/x', 'a'); writeFileSync('/tmp/y', 'b'); return new Response('') }\n";
        let script = "import { writeFileSync } from 'fs';\nwriteFileSync('backups/x.sql', '');\n";
        let client = "'use client';\nimport { writeFileSync } from 'fs';\nwriteFileSync('x.txt', '');\n";
        let obs = koyeb(
            "ephemeral-disk-write",
            &[
                ("package.json", NEXT_PKG),
                ("app/api/t/route.ts", tmp),
                ("scripts/dump.ts", script),
                ("lib/__tests__/w.test.ts", script),
                ("components/c.tsx", client),
            ],
        );
        assert!(obs.is_empty(), "{obs:?}");
    }

    #[test]
    fn dot_folder_tools_and_package_templates_are_not_the_server() {
        let w = "import fs from 'fs';\nfs.writeFileSync('report.json', '{}');\n";
        let pkg = "{\"scripts\":{\"start\":\"node server.js\"},\"dependencies\":{\"express\":\"4.0.0\"}}";
        assert!(crate::checks::testing::koyeb("ephemeral-disk-write", &[("package.json", pkg), (".scripts/merge-reports.js", w)]).is_empty());
        // A CLI package whose templates hold a next.config is not a Next.js app that serves.
        let cli = "{\"name\":\"cli\",\"bin\":{\"x\":\"dist/index.js\"}}";
        let files = [
            ("packages/cli/package.json", cli),
            ("packages/cli/src/templates/app/next.config.mjs", "export default {};\n"),
            ("packages/cli/src/init.ts", w),
        ];
        assert!(crate::checks::testing::koyeb("ephemeral-disk-write", &files).is_empty());
    }

    #[test]
    fn a_scratch_file_removed_again_is_not_data() {
        let pkg = "{\"scripts\":{\"start\":\"node server.mjs\"}}";
        let src = "import fs from 'fs';\nfs.writeFileSync('build.env', 'A=1');\nrun();\nfs.rmSync('build.env');\nfs.writeFileSync('uploads/x.bin', 'data');\n";
        let obs = crate::checks::testing::koyeb("ephemeral-disk-write", &[("package.json", pkg), ("server.mjs", src)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(5));
    }

    #[test]
    fn scratch_folders_generated_code_and_api_descriptions_are_not_data() {
        let pkg = "{\"scripts\":{\"start\":\"node server.js\"}}";
        let src = "const fs = require('fs');\nconst path = require('path');\nfunction load(buf) {\n  const dir = path.join(process.cwd(), 'temp_parts');\n  fs.writeFileSync(path.join(dir, 'a.bin'), buf);\n}\nfunction boot(spec) {\n  fs.writeFileSync(path.join(__dirname, 'swagger.json'), spec);\n  fs.writeFileSync(path.resolve('generated', 'menu.mjs'), spec);\n}\nfunction save(buf) {\n  fs.writeFileSync(path.join(process.cwd(), 'generated', 'pic.png'), buf);\n  fs.writeFileSync(path.join(process.cwd(), 'uploads', 'a.bin'), buf);\n}\nmodule.exports = { load, boot, save };\n";
        let obs = crate::checks::testing::koyeb("ephemeral-disk-write", &[("package.json", pkg), ("server.js", src)]);
        // Only the user's files (an image it generated, an upload) are data.
        let lines: Vec<_> = obs.iter().map(|o| o.line).collect();
        assert_eq!(lines, vec![Some(12), Some(13)], "{obs:?}");
    }

    #[test]
    fn helpers_only_tools_import_and_files_the_image_build_runs_are_tools() {
        let pkg = "{\"scripts\":{\"start\":\"node server.js\",\"admin:purge\":\"ts-node admin/purge.ts\",\"release\":\"node extra/release.js\"}}";
        let helper = "import { promises } from 'fs';\nexport async function keep(o: unknown) {\n  await promises.writeFile(`${__dirname}/copies/x.json`, JSON.stringify(o));\n}\n";
        let purge = "import { keep } from './keep';\nkeep({});\n";
        let build = "const fs = require('fs');\nfs.renameSync('bin-amd64', './tool');\n";
        let orphan = "const fs = require('fs');\nfs.writeFileSync('../lang/en.json', '{}');\n";
        let df = "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN node extra/build.js\nCMD [\"node\", \"server.js\"]\n";
        let server = "require('http').createServer().listen(process.env.PORT);\n";
        // A file with no facts, in a multi-byte script, is still read for its imports.
        let zh = format!("export default {{ a: '{}' }};\n", "添加".repeat(80));
        let mut files: Vec<(&str, &str)> = vec![
            ("package.json", pkg),
            ("server.js", server),
            ("admin/keep.ts", helper),
            ("admin/purge.ts", purge),
            ("extra/build.js", build),
            ("extra/fix-lang.js", orphan),
            ("extra/release.js", "console.log(process.env.TAG);\n"),
            ("locales/zh.ts", &zh),
            ("Dockerfile", df),
        ];
        let obs = crate::checks::testing::koyeb("ephemeral-disk-write", &files);
        assert!(obs.is_empty(), "{obs:?}");
        // The same helper imported by the server is server code.
        let server2 = "const { keep } = require('./admin/keep');\nrequire('http').createServer((q, r) => keep({})).listen(process.env.PORT);\n";
        files[1] = ("server.js", server2);
        let obs = crate::checks::testing::koyeb("ephemeral-disk-write", &files);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].file.as_deref(), Some("admin/keep.ts"));
    }
}
