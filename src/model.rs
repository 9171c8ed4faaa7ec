//! The repository as the checks see it: parsed files, and the apps they belong to.

use crate::discover::{Discovery, FileKind, RepoFile};
use crate::observe::Observation;
use crate::parse::{compose, dockerfile, dockerignore, env_file, next_config, package_json, platform, prisma, source};
use crate::text::{join, parent, under};
use std::collections::{BTreeMap, BTreeSet};

/// A parsed file with its path.
#[derive(Debug)]
pub struct Doc<T> {
    pub rel: String,
    pub v: T,
}

#[derive(Debug)]
pub struct DockerfileDoc {
    pub rel: String,
    pub dir: String,
    pub df: dockerfile::Dockerfile,
    /// The build context (relative to the root) the COPY sources resolve against.
    pub context: String,
    /// Index into `Model::apps` of the app it builds.
    pub app: Option<usize>,
}

#[derive(Debug)]
pub struct EnvDoc {
    pub rel: String,
    /// An example/template (`.env.example`), as opposed to a file with real values (`.env`).
    pub template: bool,
    pub entries: Vec<env_file::EnvEntry>,
}

#[derive(Debug)]
pub struct SourceDoc {
    pub rel: String,
    /// Index in `Model::files`.
    pub file: usize,
    /// Boxed: a source's facts are large, and the model moves each only by its pointer.
    pub facts: Box<source::SourceFacts>,
    /// Runs in the deployed server (not a script, seed, test or client component).
    pub runtime: bool,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub path: String,
    pub file: String,
    pub line: usize,
}

#[derive(Debug, Default)]
pub struct App {
    /// Directory relative to the root ("" for the root).
    pub dir: String,
    pub package: Option<Doc<package_json::PackageJson>>,
    pub next_config: Option<Doc<next_config::NextConfig>>,
    pub prisma: Option<Doc<prisma::PrismaSchema>>,
    pub prisma_config: Option<Doc<prisma::PrismaConfig>>,
    /// `.nvmrc` / `.node-version` (path, trimmed contents).
    pub node_version_file: Option<(String, String)>,
    pub lockfiles: Vec<String>,
    pub sources: Vec<SourceDoc>,
    pub routes: Vec<Route>,
    /// Indices into `Model::dockerfiles` that build this app, best first.
    pub dockerfiles: Vec<usize>,
    /// `prisma/migrations/*/migration.sql` exist.
    pub has_migrations: bool,
    /// What the container runs at start (computed once; see `Model::start_commands`).
    pub start: Vec<Command>,
}

impl App {
    pub fn display_dir(&self) -> &str {
        if self.dir.is_empty() {
            "."
        } else {
            &self.dir
        }
    }
    pub fn dep(&self, name: &str) -> Option<&package_json::Dep> {
        self.package.as_ref().and_then(|p| p.v.dep(name))
    }
    pub fn is_next(&self) -> bool {
        self.dep("next").is_some() || self.next_config.is_some()
    }
    pub fn uses_prisma(&self) -> bool {
        self.prisma.is_some() || self.dep("@prisma/client").is_some() || self.dep("prisma").is_some()
    }
    /// Path relative to the app directory.
    pub fn local<'a>(&self, rel: &'a str) -> &'a str {
        if self.dir.is_empty() {
            rel
        } else {
            // (Only at a folder boundary: `apps/web` is not a prefix of `apps/web2/x.ts`.)
            match rel.strip_prefix(&self.dir) {
                Some(r) if r.starts_with('/') => r.trim_start_matches('/'),
                Some("") => "",
                _ => rel,
            }
        }
    }
}

/// A command the deployed container runs at start, with where it is written.
#[derive(Debug, Clone)]
pub struct Command {
    pub text: String,
    pub file: String,
    pub line: usize,
    /// How it was reached, e.g. "CMD", "ENTRYPOINT script", "npm start".
    pub via: String,
}

#[derive(Debug, Default)]
pub struct Model {
    pub files: Vec<RepoFile>,
    pub paths: BTreeSet<String>,
    pub dockerfiles: Vec<DockerfileDoc>,
    pub composes: Vec<Doc<compose::ComposeFile>>,
    pub dockerignores: Vec<Doc<dockerignore::DockerIgnore>>,
    pub env_files: Vec<EnvDoc>,
    pub scripts: BTreeMap<String, String>,
    pub workflows: Vec<(String, String)>,
    pub fly: Vec<Doc<platform::FlyConfig>>,
    pub railway: Vec<Doc<platform::RailwayConfig>>,
    pub render: Vec<Doc<platform::RenderConfig>>,
    pub nixpacks: Vec<Doc<platform::NixpacksConfig>>,
    pub procfiles: Vec<Doc<Vec<(String, String, usize)>>>,
    pub apps: Vec<App>,
    /// package.json files that are not apps (workspace libraries such as `packages/db`).
    pub libraries: Vec<Doc<package_json::PackageJson>>,
    /// Observations made while reading: skipped files, parse errors.
    pub observations: Vec<Observation>,
    /// Inline `deploy-audit-ignore` comments, read once from every file that has comments.
    pub suppressions: Vec<crate::suppress::Suppression>,
    /// Work computed once per model and shared by every target (see [`Memo`]).
    pub memo: Memo,
    /// App directory → index in `apps` (see [`Model::deepest_app`]).
    pub app_index: std::collections::HashMap<String, usize>,
}

type Slot = std::sync::Arc<std::sync::OnceLock<std::sync::Arc<dyn std::any::Any + Send + Sync>>>;

/// Results computed once per model and shared by the targets evaluated on it (in parallel):
/// what a repository-scoped rule observes, and analyses several rules or targets need. The model
/// is not changed after it is built, so a result stays valid as long as the model lives.
#[derive(Default)]
pub struct Memo {
    slots: std::sync::Mutex<std::collections::HashMap<&'static str, Slot>>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl Memo {
    /// The keys computed so far.
    #[cfg(test)]
    pub fn keys(&self) -> std::collections::BTreeSet<&'static str> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).keys().copied().collect()
    }

    /// The value under `key`, computed by `compute` on first use. Another thread asking for the
    /// same key meanwhile waits for that computation instead of repeating it.
    pub fn get<T: std::any::Any + Send + Sync>(&self, key: &'static str, compute: impl FnOnce() -> T) -> std::sync::Arc<T> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots.entry(key).or_default().clone()
        };
        let mut compute = Some(compute);
        let value = slot
            .get_or_init(|| -> std::sync::Arc<dyn std::any::Any + Send + Sync> {
                match compute.take() {
                    Some(c) => std::sync::Arc::new(c()),
                    None => std::sync::Arc::new(()),
                }
            })
            .clone();
        match value.downcast::<T>() {
            Ok(v) => v,
            // The key holds another type (a programming error): compute without caching rather
            // than fail.
            Err(_) => std::sync::Arc::new(
                compute
                    .take()
                    .map(|c| c())
                    .unwrap_or_else(|| unreachable!("memo value computed but not stored")),
            ),
        }
    }
}

/// Words every health-route needle below holds (one pass decides whether to look further).
pub const HEALTH_WORDS: &[&str] = &["health", "/ping", "/status", "heartbeat", "Controller('ping'", "Controller(\"ping\""];

const TEST_MARKERS: &[&str] = &[
    ".test.",
    ".spec.",
    ".stories.",
    ".story.",
    ".cy.",
    ".e2e.",
    "playwright",
    "vitest",
    "jest.",
    "cypress",
    ".setup.",
    "-setup.",
    "global-setup",
    "test-utils",
    "testutils",
];
const TEST_DIRS: &[&str] = &[
    "__tests__",
    "__test__",
    "__mocks__",
    "__fixtures__",
    "test",
    "tests",
    "e2e",
    "cypress",
    "playwright",
    "stories",
    "fixtures",
    "examples",
    "docs",
    "integration",
    "mocks",
    "test-helpers",
    "testing",
    ".storybook",
];
const SCRIPT_DIRS: &[&str] = &["scripts", "script", "prisma", "tools", "seed", "seeds", "migrations", "bin", ".railway"];

/// The app that holds each file, asked of files in path order: most share their folder with the
/// file before, whose answer is kept and reused.
struct NearestApp<'i, 'r> {
    index: &'i std::collections::HashMap<String, usize>,
    last: Option<(&'r str, usize)>,
}

impl<'r> NearestApp<'_, 'r> {
    /// The deepest app that holds `rel` (the first, the root, when none does).
    fn of(&mut self, rel: &'r str) -> usize {
        let dir = parent(rel);
        match self.last {
            Some((d, a)) if d == dir => a,
            _ => {
                let a = deepest_in(self.index, dir).unwrap_or(0);
                self.last = Some((dir, a));
                a
            }
        }
    }
}

/// The entry of `index` (directory → app) for `rel` itself or its nearest ancestor directory:
/// one lookup per level, not a scan of every app (quadratic in a monorepo of many apps).
fn deepest_in(index: &std::collections::HashMap<String, usize>, rel: &str) -> Option<usize> {
    let mut d = rel;
    loop {
        if let Some(&i) = index.get(d) {
            return Some(i);
        }
        if d.is_empty() {
            return None;
        }
        d = parent(d);
    }
}

pub fn is_test_path(rel: &str) -> bool {
    static MARKERS: crate::text::Needles = crate::text::Needles::new(TEST_MARKERS);
    let (dirs, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let stem = name.split('.').next().unwrap_or(name);
    // Mock data (`mock.ts`, `mocks.ts`, `payment.mock.ts`, `__mocks__/`) feeds tests.
    let mock = ["mock", "mocks", "mock-data", "mockdata"].iter().any(|m| stem.eq_ignore_ascii_case(m)) || name.contains(".mock.");
    // One pass over the name for all the markers.
    if mock || MARKERS.any_in(name) || TEST_DIRS.contains(&name) {
        return true;
    }
    // A test folder, or a test suite's own (`e2e_tests/`, `integration-tests/`; not `-test`
    // alone: `ab-test/` is a feature).
    let suite = |seg: &str| {
        let b = seg.as_bytes();
        let ends = |x: &[u8]| b.len() >= x.len() && b[b.len() - x.len()..].eq_ignore_ascii_case(x);
        ends(b"_tests") || ends(b"-tests") || b.len() >= 3 && b[..3].eq_ignore_ascii_case(b"e2e")
    };
    !dirs.is_empty() && dirs.split('/').any(|seg| TEST_DIRS.contains(&seg) || suite(seg))
}

/// Folders whose files are samples or served content, not the repository's own configuration:
/// `public/`, `assets/`, `docs/`, `examples/`, `templates/`, `fixtures/`, test folders.
pub fn is_sample_path(rel: &str) -> bool {
    let mut segs: Vec<&str> = rel.split('/').collect();
    segs.pop();
    segs.iter().any(|s| {
        matches!(
            s.to_ascii_lowercase().as_str(),
            "public"
                | "static"
                | "assets"
                | "docs"
                | "doc"
                | "examples"
                | "example"
                | "templates"
                | "template"
                | "fixtures"
                | "__fixtures__"
                | "testdata"
                | "test"
                | "tests"
                | "e2e"
                | "node_modules"
        )
    })
}

/// Scripts, seeds, tools and config files run by hand, in CI or by the build, not by the server.
fn is_script_path(local: &str) -> bool {
    // The folders above the file's name.
    let mut segs = local.rsplit_once('/').map(|(dirs, _)| dirs.split('/')).into_iter().flatten();
    // Dot-folders (`.scripts`, `.github`, `.husky`, `.changeset`) hold tooling, not the server.
    segs.any(|s| SCRIPT_DIRS.contains(&s) || (s.starts_with('.') && s.len() > 1))
        || local.contains("seed.")
        || [".config.js", ".config.ts", ".config.mjs", ".config.cjs", ".config.mts"]
            .iter()
            .any(|e| local.ends_with(e))
}

/// What precedes a module specifier in a file's text.
const IMPORT_KEYS: [&str; 4] = ["from ", "require(", "import(", "import "];

/// Module specifiers a file imports, read from its text (for files not parsed because they hold
/// no fact): `from '…'`, `require('…')`, `import('…')`, `import '…'`.
fn text_imports(text: &str) -> Vec<String> {
    // A SIMD substring search (memmem) per key. No key can overlap itself, so these are the
    // matches `str::match_indices` finds.
    static KEYS: std::sync::OnceLock<[memchr::memmem::Finder<'static>; 4]> = std::sync::OnceLock::new();
    let keys = KEYS.get_or_init(|| IMPORT_KEYS.map(memchr::memmem::Finder::new));
    let mut out = Vec::new();
    for key in keys {
        for i in key.find_iter(text.as_bytes()) {
            // (The key is ASCII, so the byte after it starts a character.)
            out.extend(quoted_spec(&text[i + key.needle().len()..]).map(String::from));
        }
    }
    out
}

/// The module specifier quoted at the start of `rest` (the text after `from `, `require(`, …),
/// spaces before it skipped: non-empty, on one line, under 300 bytes.
fn quoted_spec(rest: &str) -> Option<&str> {
    let rest = rest.trim_start();
    let q = rest.chars().next().filter(|c| matches!(c, '\'' | '"' | '`'))?;
    let end = rest[1..].find(q)?;
    let spec = &rest[1..1 + end];
    (!spec.is_empty() && spec.len() < 300 && !spec.contains('\n')).then_some(spec)
}

fn parse_error(rel: &str, line: usize, what: &str, msg: &str) -> Observation {
    Observation::at(
        "parse-error",
        rel,
        line.max(1),
        format!("{what} could not be parsed: {}", crate::text::sanitize(msg)),
    )
    .key(format!("{what}:{}", stable_key(&crate::text::sanitize(msg))))
}

/// A parser message without the positions it names ("at line 5 column 3"), so the
/// fingerprint survives inserted lines.
fn stable_key(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut words = msg.split(' ').peekable();
    while let Some(w) = words.next() {
        if matches!(w, "line" | "column" | "col" | "offset" | "position") {
            if let Some(n) = words.peek() {
                if n.trim_end_matches([',', ';', ':', ')', '.']).chars().all(|c| c.is_ascii_digit()) && !n.is_empty() {
                    words.next();
                    continue;
                }
            }
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

impl Model {
    pub fn build(d: Discovery) -> Model {
        Self::build_with_budget(d, crate::pool::FILE_BUDGET)
    }

    /// Build the model; parsing one file may take at most `budget` (see [`crate::pool`]).
    pub fn build_with_budget(d: Discovery, budget: std::time::Duration) -> Model {
        let mut m = Self::assemble(d, budget);
        m.link();
        m
    }

    /// [`Model::build`], with `side` run on another core while the model's last, serial stage
    /// (linking Dockerfiles, start commands and tool modules) runs on this one.
    pub fn build_beside<R: Send>(d: Discovery, side: impl FnOnce() -> R + Send) -> (Model, R) {
        let mut m = Self::assemble(d, crate::pool::FILE_BUDGET);
        let (r, ()) = crate::pool::join(side, || m.link());
        (m, r)
    }

    /// Parse every file and assemble the model from the parses.
    fn assemble(mut d: Discovery, budget: std::time::Duration) -> Model {
        let mut m = Model {
            observations: d.observations,
            ..Default::default()
        };
        let first_own = m.observations.len();
        // Every file is parsed once, in parallel, each within the time budget; this thread
        // assembles the model from the parses as they come, in file order (package.json files
        // first: they say which directories are apps).
        let t = crate::timing::phase("parse + model: assemble");
        let mut parses = Parses::start(std::mem::take(&mut d.files), budget);
        let files = parses.files.clone();
        // (Built while the workers parse the first files.)
        m.paths = std::mem::take(&mut d.paths).into_iter().collect();
        // 1. Apps: each package.json that is an app, or the root.
        let mut packages: Vec<Doc<package_json::PackageJson>> = Vec::new();
        for (fi, f) in files.iter().enumerate().filter(|(_, f)| f.kind == FileKind::PackageJson) {
            if let Parsed::PackageJson(p) = parses.take(fi) {
                match *p {
                    Ok(p) => packages.push(Doc { rel: f.rel.clone(), v: p }),
                    Err(e) => m.observations.push(parse_error(&f.rel, e.line, "package.json", &e.message)),
                }
            }
        }
        let dockerfile_dirs: BTreeSet<&str> = files.iter().filter(|f| f.kind == FileKind::Dockerfile).map(|f| parent(&f.rel)).collect();
        for p in packages {
            let dir = parent(&p.rel).to_string();
            let v = &p.v;
            let is_app = dir.is_empty()
                || v.dep("next").is_some()
                || v.script("start").is_some()
                || v.script("dev").is_some() && v.script("build").is_some()
                || dockerfile_dirs.contains(dir.as_str());
            if is_app {
                m.apps.push(App {
                    dir,
                    package: Some(p),
                    ..Default::default()
                });
            } else {
                m.libraries.push(p);
            }
        }
        if m.apps.is_empty() {
            m.apps.push(App::default());
        }
        let app_index: std::collections::HashMap<String, usize> = m.apps.iter().enumerate().map(|(i, a)| (a.dir.clone(), i)).rev().collect();
        // The deepest app that holds a file (the first, the root, when none does).
        let mut nearest = NearestApp { index: &app_index, last: None };
        let mut app_of = |rel| nearest.of(rel);

        for (fi, f) in files.iter().enumerate() {
            let Some(text) = f.text.as_deref() else {
                if f.kind == FileKind::Lockfile {
                    let a = app_of(&f.rel);
                    m.apps[a].lockfiles.push(f.rel.clone());
                }
                continue;
            };
            let parsed = parses.take(fi);
            if matches!(parsed, Parsed::Skipped) {
                // Over the time budget or a parser failure, reported by `Parses::take`.
                continue;
            }
            match f.kind {
                FileKind::Dockerfile => {
                    let Parsed::Dockerfile(df) = parsed else { continue };
                    let exact = f.rel.rsplit('/').next().is_some_and(|n| n.eq_ignore_ascii_case("dockerfile"));
                    if df.stages.is_empty() && !exact {
                        // A fragment or template (`Dockerfile.append`, `Dockerfile.tmpl` without FROM):
                        // nothing builds it on its own.
                        continue;
                    }
                    for e in &df.errors {
                        m.observations.push(parse_error(&f.rel, e.line, "Dockerfile", &e.message));
                    }
                    let dir = parent(&f.rel).to_string();
                    m.dockerfiles.push(DockerfileDoc {
                        rel: f.rel.clone(),
                        context: dir.clone(),
                        dir,
                        df: *df,
                        app: None,
                    });
                }
                FileKind::Compose => {
                    if let Parsed::Compose(c) = parsed {
                        match *c {
                            Ok(c) => m.composes.push(Doc { rel: f.rel.clone(), v: c }),
                            Err(e) => m.observations.push(parse_error(&f.rel, e.line, "compose file", &e.message)),
                        }
                    }
                }
                FileKind::DockerIgnore => {
                    let Parsed::DockerIgnore(v) = parsed else { continue };
                    m.dockerignores.push(Doc { rel: f.rel.clone(), v })
                }
                FileKind::EnvFile => {
                    let Parsed::Env(entries, errors) = parsed else { continue };
                    for e in errors {
                        m.observations.push(parse_error(&f.rel, e.line, "env file", &e.message));
                    }
                    let name = f.rel.rsplit('/').next().unwrap_or(&f.rel).to_ascii_lowercase();
                    let template = crate::discover::is_env_template_name(&name);
                    m.env_files.push(EnvDoc {
                        rel: f.rel.clone(),
                        template,
                        entries,
                    });
                }
                FileKind::NextConfig => {
                    let a = app_of(&f.rel);
                    let Parsed::NextConfig(cfg) = parsed else { continue };
                    // A next.config inside a package's templates or examples is scaffolding.
                    if is_sample_path(m.apps[a].local(&f.rel)) {
                        continue;
                    }
                    for (line, msg) in &cfg.errors {
                        m.observations.push(parse_error(&f.rel, *line, "next.config", msg));
                    }
                    if m.apps[a].next_config.is_none() {
                        m.apps[a].next_config = Some(Doc { rel: f.rel.clone(), v: *cfg });
                    }
                }
                FileKind::PrismaSchema => {
                    let a = app_of(&f.rel);
                    let Parsed::Prisma(schema) = parsed else { continue };
                    for (line, msg) in &schema.errors {
                        m.observations.push(parse_error(&f.rel, *line, "Prisma schema", msg));
                    }
                    let app = &mut m.apps[a];
                    let better = match &app.prisma {
                        None => true,
                        Some(old) => old.v.generators.is_empty() && !schema.generators.is_empty(),
                    };
                    if better {
                        app.prisma = Some(Doc {
                            rel: f.rel.clone(),
                            v: *schema,
                        });
                    }
                }
                FileKind::PrismaConfig => {
                    let Parsed::PrismaConfig(v) = parsed else { continue };
                    let a = app_of(&f.rel);
                    m.apps[a].prisma_config = Some(Doc { rel: f.rel.clone(), v: *v });
                }
                FileKind::NodeVersion => {
                    let a = app_of(&f.rel);
                    m.apps[a].node_version_file = Some((f.rel.clone(), text.trim().to_string()));
                }
                FileKind::ShellScript => {
                    m.scripts.insert(f.rel.clone(), text.to_string());
                }
                FileKind::Workflow => m.workflows.push((f.rel.clone(), text.to_string())),
                FileKind::Source => {
                    if f.hints.has(crate::hints::TEST) {
                        continue;
                    }
                    let a = app_of(&f.rel);
                    let local = m.apps[a].local(&f.rel);
                    if let Some(route) = route_of(local) {
                        m.apps[a].routes.push(Route {
                            path: route,
                            file: f.rel.clone(),
                            line: 1,
                        });
                    }
                    // Custom servers declare their health routes as string literals (every needle
                    // holds one of the words of the prefilter), also in files the source analysis
                    // skips (a controller that reads no env and starts nothing).
                    let maybe_health = f.hints.has(crate::hints::HEALTH);
                    for needle in [
                        "'/health",
                        "\"/health",
                        "'/api/health",
                        "\"/api/health",
                        "'/healthz",
                        "\"/healthz",
                        "'/ping'",
                        "\"/ping\"",
                        "'/status'",
                        "\"/status\"",
                        "'/_health",
                        "\"/_health",
                        "'/heartbeat",
                        "\"/heartbeat",
                        "Controller('health",
                        "Controller(\"health",
                        "Controller('ping'",
                        "Controller(\"ping\"",
                    ] {
                        if !maybe_health {
                            break;
                        }
                        if let Some(off) = text.find(needle) {
                            let lit = &text[off..];
                            let lit = &lit[lit.find(['\'', '"']).map(|i| i + 1).unwrap_or(0)..];
                            let end = lit.find(['\'', '"']).unwrap_or(lit.len());
                            m.apps[a].routes.push(Route {
                                path: format!("/{}", lit[..end].trim_start_matches('/')),
                                file: f.rel.clone(),
                                line: crate::text::line_of(text, off),
                            });
                        }
                    }
                    // NestJS controllers under a versioned or prefixed path: `@Controller('v1/health-check')`.
                    if maybe_health {
                        for (off, _) in text.match_indices("@Controller(") {
                            let lit = text[off + 12..].trim_start();
                            let Some(q) = lit.chars().next().filter(|c| matches!(c, '\'' | '"' | '`')) else {
                                continue;
                            };
                            let body = &lit[1..];
                            let end = body.find(q).unwrap_or(0);
                            let path = body[..end].trim_matches('/');
                            if path.contains("health") && !path.starts_with("health") {
                                m.apps[a].routes.push(Route {
                                    path: format!("/{path}"),
                                    file: f.rel.clone(),
                                    line: crate::text::line_of(text, off),
                                });
                            }
                        }
                    }
                    let Parsed::Source(facts) = parsed else { continue };
                    for (line, msg) in &facts.errors {
                        m.observations.push(parse_error(&f.rel, *line, "source file", msg));
                    }
                    // Next.js runs `instrumentation-client.*` in the browser only.
                    let file_name = f.rel.rsplit('/').next().unwrap_or(&f.rel);
                    let client = facts.use_client() || file_name.starts_with("instrumentation-client.");
                    let runtime = !client && !is_script_path(local) && !local.ends_with("next.config.js") && !local.ends_with("next.config.mjs");
                    m.apps[a].sources.push(SourceDoc {
                        rel: f.rel.clone(),
                        file: fi,
                        facts,
                        runtime,
                    });
                }
                FileKind::PackageJson | FileKind::Lockfile | FileKind::Workspace | FileKind::Gitignore | FileKind::Migration => {}
                FileKind::FlyToml | FileKind::RailwayToml | FileKind::NixpacksToml | FileKind::RailwayJson | FileKind::RenderYaml => {
                    if is_sample_path(&f.rel) {
                        // A railway.json among a blog post's assets or a fly.toml in a template is
                        // data, not the configuration of a deployment.
                        continue;
                    }
                    let Parsed::Platform(tree) = parsed else { continue };
                    let node = match *tree {
                        Ok(n) => n,
                        Err(e) => {
                            m.observations.push(parse_error(&f.rel, e.line, f.kind.name(), &e.message));
                            continue;
                        }
                    };
                    let rel = f.rel.clone();
                    match f.kind {
                        FileKind::FlyToml => m.fly.push(Doc { rel, v: platform::fly(&node) }),
                        FileKind::RailwayJson | FileKind::RailwayToml => m.railway.push(Doc {
                            rel,
                            v: platform::railway(&node),
                        }),
                        FileKind::RenderYaml => m.render.push(Doc {
                            rel,
                            v: platform::render(&node),
                        }),
                        _ => m.nixpacks.push(Doc {
                            rel,
                            v: platform::nixpacks(&node),
                        }),
                    }
                }
                FileKind::Procfile => {
                    let Parsed::Procfile(v) = parsed else { continue };
                    m.procfiles.push(Doc { rel: f.rel.clone(), v })
                }
            }
        }
        for app in &mut m.apps {
            let mig = join(&app.dir, "prisma/migrations/");
            app.has_migrations = m
                .paths
                .range(mig.clone()..)
                .take_while(|p| p.starts_with(&mig))
                .any(|p| p.ends_with("/migration.sql"));
        }
        m.app_index = app_index;
        drop(dockerfile_dirs);
        drop(files);
        let (files, skipped) = parses.finish();
        // (The files skipped come first, as when the parse was a phase of its own.)
        m.observations.splice(first_own..first_own, skipped);
        m.files = files;
        m.suppressions = crate::suppress::collect(&m.files);
        t.end();
        m
    }

    /// Link Dockerfiles to apps, compute the start commands and mark the tool modules.
    fn link(&mut self) {
        let t = crate::timing::phase("model: link + start");
        self.link_dockerfiles();
        for i in 0..self.apps.len() {
            let start = self.compute_start_commands(&self.apps[i]);
            self.apps[i].start = start;
        }
        t.end();
        let t = crate::timing::phase("model: tool modules");
        self.mark_script_entrypoints();
        t.end();
    }

    /// Source files a package.json script runs directly (`"db:setup": "tsx lib/db/setup.ts"`) are
    /// tools, not server code, unless a start / dev / serve script or the start command runs them.
    fn mark_script_entrypoints(&mut self) {
        let exts = [".ts", ".js", ".mjs", ".cjs", ".mts", ".cts", ".tsx"];
        let mut tools: BTreeSet<String> = BTreeSet::new();
        let mut servers: BTreeSet<String> = BTreeSet::new();
        let packages = self.apps.iter().filter_map(|a| a.package.as_ref()).chain(self.libraries.iter());
        for p in packages {
            let dir = parent(&p.rel);
            for (name, cmd, _) in &p.v.scripts {
                // `start`, `dev:api`, `start-server`, `serve_prod`: a word of the name says it serves.
                let server = name.split([':', '-', '_', '.']).any(|w| {
                    matches!(
                        w,
                        "start" | "dev" | "serve" | "server" | "preview" | "prestart" | "poststart" | "prod" | "production"
                    )
                });
                // A bundler's or compiler's entry (`bun build src/index.ts`) is built into the
                // server, not run as a tool.
                let compiles = [
                    "bun build",
                    "esbuild",
                    "tsup",
                    "ncc build",
                    "rollup",
                    "webpack",
                    "swc ",
                    "tsc ",
                    "vite build",
                    "babel",
                    "pkg ",
                ]
                .iter()
                .any(|b| cmd.contains(b));
                if compiles && !server {
                    continue;
                }
                for w in cmd.split_whitespace() {
                    let w = w.trim_matches(|c| c == '"' || c == '\'');
                    if exts.iter().any(|e| w.ends_with(e)) && !w.contains("config.") {
                        let rel = join(dir, w.trim_start_matches("./"));
                        if server {
                            servers.insert(rel);
                        } else {
                            tools.insert(rel);
                        }
                    }
                }
            }
        }
        // CI workflows and shell scripts that run a file with node / tsx / ts-node / bun, and
        // Dockerfile `RUN` lines (the image build runs them, not the server).
        let runners = ["node", "tsx", "ts-node", "bun", "npx", "zx", "vite-node"];
        let runs: Vec<(Vec<String>, String)> = self
            .dockerfiles
            .iter()
            .map(|d| {
                let bases = vec![d.context.clone(), d.dir.clone()];
                let text: Vec<String> = d.df.instructions.iter().filter(|i| i.keyword == "RUN").map(|i| i.command_text()).collect();
                (bases, text.join("\n"))
            })
            .collect();
        let texts = self
            .workflows
            .iter()
            .map(|(_, t)| (vec![String::new()], t.as_str()))
            .chain(self.scripts.iter().map(|(r, t)| (vec![parent(r).to_string()], t.as_str())))
            .chain(runs.iter().map(|(b, t)| (b.clone(), t.as_str())));
        for (bases, text) in texts {
            for line in text.lines() {
                let words: Vec<&str> = line.split_whitespace().collect();
                for (i, w) in words.iter().enumerate().skip(1) {
                    let w = w.trim_matches(|c| c == '"' || c == '\'');
                    let prev = words[i - 1].rsplit('/').next().unwrap_or("");
                    if runners.contains(&prev) && exts.iter().any(|e| w.ends_with(e)) {
                        for base in &bases {
                            tools.insert(join(base, w.trim_start_matches("./")));
                        }
                    }
                }
            }
        }
        for app in &mut self.apps {
            let starts: Vec<&str> = app.start.iter().map(|c| c.text.as_str()).collect();
            for s in app
                .sources
                .iter_mut()
                .filter(|s| s.runtime && tools.contains(&s.rel) && !servers.contains(&s.rel))
            {
                // The start command runs it when it names its path (extension aside).
                let no_ext = s.rel.rsplit_once('.').map(|(a, _)| a).unwrap_or(&s.rel);
                let mut last_two: Vec<&str> = no_ext.rsplit('/').take(2).collect();
                last_two.reverse();
                let tail = last_two.join("/");
                if !starts.iter().any(|t| t.contains(no_ext) || (tail.contains('/') && t.contains(&tail))) {
                    s.runtime = false;
                }
            }
        }
        let only_tools: BTreeSet<String> = tools.difference(&servers).cloned().collect();
        self.demote_tool_modules(&only_tools, &servers);
    }

    /// Modules that only tools import are tools too (a backup helper imported by an admin
    /// script), and so is a file nothing imports that sits among the tools of a tool folder
    /// (`extra/` of release and maintenance scripts, none of them used by the server). Imports
    /// are matched loosely (a relative path, or an alias / package path ending like the file),
    /// so a file any server module might import stays server code.
    fn demote_tool_modules(&mut self, tools: &BTreeSet<String>, servers: &BTreeSet<String>) {
        // Worked out on a shared borrow of the model, then applied.
        let demoted = self.tool_modules(tools, servers);
        for (a, i) in demoted {
            self.apps[a].sources[i].runtime = false;
        }
    }

    /// The sources (app, index) that [`Model::demote_tool_modules`] finds to be tools.
    fn tool_modules(&self, tools: &BTreeSet<String>, servers: &BTreeSet<String>) -> Vec<(usize, usize)> {
        fn strip_ext(rel: &str) -> &str {
            let name_start = rel.rfind('/').map(|i| i + 1).unwrap_or(0);
            match rel[name_start..].rfind('.') {
                Some(i) if i > 0 => &rel[..name_start + i],
                _ => rel,
            }
        }
        // Every JS/TS file that is not a test, parsed or not (a file with no facts of its own
        // still imports): its path, its place among its app's sources, its imports, and
        // whether it is server code, a client component, a config file.
        struct Entry<'m> {
            rel: &'m str,
            /// Index in `self.files`.
            file: usize,
            source: Option<(usize, usize)>,
            app: usize,
            /// Read from the text for files not parsed (a parsed source's are in its facts).
            imports: Vec<String>,
            runtime: bool,
            client: bool,
        }
        // File index → (app, index in its sources), for the files that were parsed.
        let mut index: Vec<Option<(usize, usize)>> = vec![None; self.files.len()];
        for (a, app) in self.apps.iter().enumerate() {
            for (i, s) in app.sources.iter().enumerate() {
                if let Some(slot) = index.get_mut(s.file) {
                    *slot = Some((a, i));
                }
            }
        }
        // A config file (`payload.config.ts`) loads modules at run time: never a tool.
        let config_file = |rel: &str| rel.rsplit('/').next().unwrap_or(rel).contains(".config.");
        let head_says_client = |text: &str| {
            let mut n = text.len().min(300);
            while !text.is_char_boundary(n) {
                n -= 1;
            }
            let head = &text[..n];
            head.contains("\"use client\"") || head.contains("'use client'")
        };
        // Run by hand, in CI or by the build, by its place in its app: a script or next.config.
        // A path whose whole text says neither cannot (its app-relative path is a suffix of it),
        // so most files are never placed in their app.
        let script_like = |rel: &str| {
            if !(is_script_path(rel) || rel.contains("next.config.")) {
                return false;
            }
            let local = self.apps.get(self.deepest_app(rel).unwrap_or(0)).map_or(rel, |x| x.local(rel));
            is_script_path(local) || local.contains("next.config.")
        };
        if tools.is_empty() {
            // The common case first: with no tool named by a script, is any file a tool at all
            // (`tool` below, asked of each file without building its entry)?
            let any_tool = self
                .files
                .iter()
                .enumerate()
                .filter(|(_, f)| f.kind == FileKind::Source && !f.hints.has(crate::hints::TEST))
                .any(|(fi, f)| {
                    let Some(text) = f.text.as_deref() else { return false };
                    match index[fi] {
                        Some((a, i)) => {
                            let s = &self.apps[a].sources[i];
                            !s.runtime && !s.facts.use_client() && !config_file(&f.rel)
                        }
                        // Not parsed: not server code exactly when its place says script and it
                        // is not a client component (the test cheapest first).
                        None => script_like(&f.rel) && !head_says_client(text) && !config_file(&f.rel),
                    }
                });
            if !any_tool {
                return Vec::new();
            }
        }
        let mut all: Vec<Entry> = Vec::new();
        for (fi, f) in self
            .files
            .iter()
            .enumerate()
            .filter(|(_, f)| f.kind == FileKind::Source && !f.hints.has(crate::hints::TEST))
        {
            let Some(text) = f.text.as_deref() else { continue };
            if let Some((a, i)) = index[fi] {
                let s = &self.apps[a].sources[i];
                all.push(Entry {
                    rel: &f.rel,
                    file: fi,
                    source: Some((a, i)),
                    app: a,
                    imports: Vec::new(),
                    runtime: s.runtime,
                    client: s.facts.use_client(),
                });
                continue;
            }
            let a = self.deepest_app(&f.rel).unwrap_or(0);
            let client = head_says_client(text);
            // (Whether the start command runs it is only asked of a file a script names as a tool.)
            let started = || {
                let no_ext = strip_ext(&f.rel);
                self.apps.get(a).is_some_and(|x| x.start.iter().any(|c| c.text.contains(x.local(no_ext))))
            };
            let tool = tools.contains(&f.rel) && !servers.contains(&f.rel) && !started();
            all.push(Entry {
                rel: &f.rel,
                file: fi,
                source: None,
                app: a,
                // Filled in below, when there is a tool to follow.
                imports: Vec::new(),
                runtime: !client && !script_like(&f.rel) && !tool,
                client,
            });
        }
        // Not server code because it is a script or tool (not a client component; config files
        // such as `payload.config.ts` load modules at run time, so they do not count).
        let tool = |e: &Entry<'_>| !e.runtime && !e.client && !config_file(e.rel);
        // With no tool among the files and no tool named by a script, there is nothing to
        // follow: no import graph needed.
        if tools.is_empty() && !all.iter().any(tool) {
            return Vec::new();
        }
        for e in all.iter_mut().filter(|e| e.source.is_none()) {
            if let Some(text) = self.files[e.file].text.as_deref() {
                e.imports = text_imports(text);
            }
        }
        // Path without extension (and without `/index`) → files; basename → files.
        let mut by_base: std::collections::HashMap<String, Vec<usize>> = std::collections::HashMap::new();
        let mut by_name: std::collections::HashMap<String, Vec<usize>> = std::collections::HashMap::new();
        for (k, e) in all.iter().enumerate() {
            let base = strip_ext(e.rel);
            by_base.entry(base.to_string()).or_default().push(k);
            let short = base.strip_suffix("/index").unwrap_or(base);
            if short != base {
                by_base.entry(short.to_string()).or_default().push(k);
            }
            by_name.entry(short.rsplit('/').next().unwrap_or(short).to_string()).or_default().push(k);
        }
        // Workspace packages: name → index; each file → the package it belongs to.
        let pkgs: Vec<(String, String)> = self
            .packages()
            .filter_map(|p| p.v.name.clone().map(|n| (n, parent(&p.rel).to_string())))
            .filter(|(_, d)| !d.is_empty())
            .collect();
        let pkg_index: std::collections::HashMap<&str, usize> = pkgs.iter().enumerate().map(|(i, (n, _))| (n.as_str(), i)).collect();
        let pkg_dirs: std::collections::HashMap<&str, usize> = pkgs.iter().enumerate().map(|(i, (_, d))| (d.as_str(), i)).collect();
        let pkg_of: Vec<Option<usize>> = all
            .iter()
            .map(|e| {
                let mut d = parent(e.rel);
                while !d.is_empty() {
                    if let Some(&i) = pkg_dirs.get(d) {
                        return Some(i);
                    }
                    d = parent(d);
                }
                None
            })
            .collect();
        let mut importers: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); all.len()];
        let mut pkg_importers: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); pkgs.len()];
        for (k, e) in all.iter().enumerate() {
            let dir = parent(e.rel);
            let parsed = e.source.map(|(a, i)| &self.apps[a].sources[i].facts.imports);
            let specs = parsed.into_iter().flatten().map(|(m, _)| m).chain(&e.imports);
            for spec in specs {
                let spec = spec.split(['?', '#']).next().unwrap_or(spec);
                if spec.is_empty() {
                    continue;
                }
                if spec.starts_with("./") || spec.starts_with("../") || spec == "." || spec == ".." {
                    let target = join(dir, spec);
                    let target = strip_ext(&target);
                    for key in [target.to_string(), format!("{target}/index")] {
                        for &t in by_base.get(&key).into_iter().flatten() {
                            importers[t].insert(k);
                        }
                    }
                    continue;
                }
                let pkg = if spec.starts_with('@') {
                    spec.splitn(3, '/').take(2).collect::<Vec<_>>().join("/")
                } else {
                    spec.split('/').next().unwrap_or(spec).to_string()
                };
                if let Some(&p) = pkg_index.get(pkg.as_str()) {
                    pkg_importers[p].insert(k);
                }
                // An alias (`@/lib/x`, `~/lib/x`, `@jobs/utils/x` for `src/utils/x`): any file whose
                // path ends like its last two segments (or its name, for `~/x`). Loose on purpose:
                // a file any server module might import stays server code.
                let aliased = spec.starts_with("@/") || spec.starts_with("~/") || spec.starts_with('#');
                let tail = strip_ext(spec.trim_start_matches(['@', '~', '#']).trim_start_matches('/'));
                let tail = tail.strip_suffix("/index").unwrap_or(tail);
                let segs: Vec<&str> = tail.split('/').collect();
                if segs.len() < 2 && !aliased {
                    continue;
                }
                let tail = segs[segs.len().saturating_sub(2)..].join("/");
                let name = segs.last().copied().unwrap_or("");
                let suffix = format!("/{tail}");
                for &t in by_name.get(name).into_iter().flatten() {
                    let tb = strip_ext(all[t].rel);
                    let tb = tb.strip_suffix("/index").unwrap_or(tb);
                    if tb == tail || tb.ends_with(&suffix) {
                        importers[t].insert(k);
                    }
                }
            }
        }
        // A file's importers: its own, and those of the workspace package it belongs to.
        let empty = BTreeSet::new();
        let via_pkg = |k: usize| pkg_of[k].map(|p| &pkg_importers[p]).unwrap_or(&empty);
        // Files the start command names stay server code.
        let started = |m: &Model, e: &Entry| {
            let local = m.apps[e.app].local(strip_ext(e.rel));
            m.apps[e.app].start.iter().any(|c| c.text.contains(local))
        };
        // 1. Imported only by tools: a tool (to a fixpoint, for chains of helpers).
        for _ in 0..64 {
            let mut changed = false;
            for k in 0..all.len() {
                let (own, pkg) = (&importers[k], via_pkg(k));
                if !all[k].runtime || (own.is_empty() && pkg.is_empty()) || own.contains(&k) || pkg.contains(&k) {
                    continue;
                }
                if own.iter().chain(pkg).all(|&j| tool(&all[j])) && !started(self, &all[k]) {
                    all[k].runtime = false;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        // 2. Nothing imports it, and its folder is a tool folder: at least two tools, and tools
        // are at least half of its files, none of which the server imports.
        let mut in_dir: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for e in &all {
            let c = in_dir.entry(parent(e.rel)).or_default();
            c.1 += 1;
            if tools.contains(e.rel) {
                c.0 += 1;
            }
        }
        let tool_dirs: BTreeSet<&str> = in_dir.iter().filter(|(_, (t, n))| *t >= 2 && t * 2 >= *n).map(|(d, _)| *d).collect();
        let served_dirs: BTreeSet<String> = (0..all.len())
            .filter(|&k| importers[k].iter().chain(via_pkg(k)).any(|&j| all[j].runtime))
            .map(|k| parent(all[k].rel).to_string())
            .collect();
        let mut orphans = Vec::new();
        for (k, e) in all.iter().enumerate() {
            let dir = parent(e.rel);
            if !e.runtime || !importers[k].is_empty() || !via_pkg(k).is_empty() || dir.is_empty() || !tool_dirs.contains(dir) || served_dirs.contains(dir) {
                continue;
            }
            let local = self.apps[e.app].local(e.rel);
            let framework = route_of(local).is_some() || ["app/", "pages/", "src/app/", "src/pages/"].iter().any(|p| local.starts_with(p));
            if framework || started(self, e) || servers.contains(e.rel) {
                continue;
            }
            orphans.push(k);
        }
        for k in orphans {
            all[k].runtime = false;
        }
        all.iter()
            .filter_map(|e| e.source.filter(|&(a, i)| !e.runtime && self.apps[a].sources[i].runtime))
            .collect()
    }

    /// Link each Dockerfile to the app it builds and infer its build context.
    fn link_dockerfiles(&mut self) {
        for i in 0..self.dockerfiles.len() {
            let (dir, sources) = {
                let d = &self.dockerfiles[i];
                let mut sources = Vec::new();
                for ins in &d.df.instructions {
                    if (ins.keyword == "COPY" || ins.keyword == "ADD") && ins.flag("from").is_none() {
                        if let Some((srcs, _)) = ins.copy_parts_ref() {
                            sources.extend(srcs.iter().filter(|s| !s.starts_with("<<") && !s.contains("://") && !s.contains('$')).cloned());
                        }
                    }
                }
                (d.dir.clone(), sources)
            };
            // Context: compose says so; else the candidate (Dockerfile dir or an ancestor) where most COPY sources exist.
            let mut context = dir.clone();
            let mut from_compose = false;
            if let Some((_, _, ctx)) = self.services_building(&self.dockerfiles[i].rel).last() {
                context = ctx;
                from_compose = true;
            }
            if !from_compose && !sources.is_empty() {
                let mut best = (self.count_existing(&dir, &sources), dir.clone());
                let mut cand = dir.clone();
                while !cand.is_empty() {
                    cand = parent(&cand).to_string();
                    let n = self.count_existing(&cand, &sources);
                    if n > best.0 {
                        best = (n, cand.clone());
                    }
                }
                context = best.1;
            }
            // App: the app whose directory the COPY sources (resolved in the context) point into, else by location.
            let mut votes: BTreeMap<usize, usize> = BTreeMap::new();
            for s in &sources {
                let p = join(&context, s);
                if let Some(a) = self.deepest_app(&p) {
                    if !self.apps[a].dir.is_empty() {
                        *votes.entry(a).or_default() += 1;
                    }
                }
            }
            // `turbo prune web --docker` / `--scope=web` names the app the image builds.
            let pruned_for = self.dockerfiles[i].df.instructions.iter().filter(|i| i.keyword == "RUN").find_map(|ins| {
                let t = ins.command_text();
                let words: Vec<&str> = t.split_whitespace().collect();
                let at = words
                    .windows(2)
                    .position(|w| w[0].split('@').next().is_some_and(|x| x.ends_with("turbo")) && w[1] == "prune")?
                    + 2;
                let mut rest = words[at..].iter().take_while(|w| !matches!(**w, "&&" | "||" | ";"));
                let mut name = None;
                while let Some(w) = rest.next() {
                    let w = w.trim_matches(|c| c == '"' || c == '\'');
                    if let Some(v) = w.strip_prefix("--scope=").or_else(|| w.strip_prefix("--filter=")) {
                        name = Some(v.to_string());
                    } else if w == "--scope" || w == "--filter" {
                        name = rest.next().map(|v| v.trim_matches(|c| c == '"' || c == '\'').to_string());
                    } else if !w.starts_with('-') && name.is_none() {
                        name = Some(w.to_string());
                    }
                }
                let name = name?;
                self.apps
                    .iter()
                    .position(|a| a.package.as_ref().and_then(|p| p.v.name.as_deref()) == Some(name.as_str()))
            });
            let app = pruned_for.or_else(|| {
                votes
                    .into_iter()
                    .max_by_key(|(_, n)| *n)
                    .map(|(a, _)| a)
                    .or_else(|| self.deepest_app(&self.dockerfiles[i].rel))
            });
            // A dev container's Dockerfile builds an editor environment, never a deployment.
            let rel = &self.dockerfiles[i].rel;
            let dev_container = rel
                .split('/')
                .any(|seg| matches!(seg, ".devcontainer" | ".gitpod" | ".cursor" | ".codesandbox" | ".github"))
                || rel.rsplit('/').next().is_some_and(|n| n.to_ascii_lowercase().starts_with(".gitpod"));
            // So does an image whose start runs the development server (`pnpm run dev`), directly
            // or through the script its CMD names, unless a compose file or platform builds it.
            let dev_server = |t: &str| {
                ["npm run dev", "pnpm run dev", "pnpm dev", "yarn dev", "yarn run dev", "bun run dev", "next dev"]
                    .iter()
                    .any(|d| t.contains(d))
            };
            let starts_dev = self.dockerfiles[i]
                .df
                .instructions
                .iter()
                .filter(|i| matches!(i.keyword.as_str(), "CMD" | "ENTRYPOINT"))
                .any(|ins| {
                    let t = ins.command_text();
                    dev_server(&t)
                        || t.split_whitespace().filter(|w| w.ends_with(".sh")).any(|w| {
                            let w = w.trim_matches(|c| c == '"' || c == '\'').trim_start_matches('/');
                            self.scripts
                                .iter()
                                .any(|(rel, text)| (w.ends_with(rel.as_str()) || rel.ends_with(w)) && dev_server(text))
                        })
                });
            let referenced = self.services_building(&self.dockerfiles[i].rel).next().is_some();
            let app = if dev_container || (starts_dev && !referenced) { None } else { app };
            self.dockerfiles[i].context = context;
            self.dockerfiles[i].app = app;
            if let Some(a) = app {
                self.apps[a].dockerfiles.push(i);
            }
        }
        // Best Dockerfile first: plain `Dockerfile`, production names, then the rest; dev ones last.
        let rank = |rel: &str| -> u8 {
            let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
            if name == "dockerfile" {
                0
            } else if name.contains("prod") {
                1
            } else if name.contains("dev") || name.contains("test") || name.contains("local") {
                3
            } else {
                2
            }
        };
        for a in 0..self.apps.len() {
            let mut list = std::mem::take(&mut self.apps[a].dockerfiles);
            // At equal name and depth, one that copies files from its context builds the app
            // before one that copies nothing (a base image built from build arguments).
            let copies_nothing = |i: usize| {
                !self.dockerfiles[i]
                    .df
                    .instructions
                    .iter()
                    .any(|ins| (ins.keyword == "COPY" || ins.keyword == "ADD") && ins.flag("from").is_none())
            };
            list.sort_by_key(|&i| (rank(&self.dockerfiles[i].rel), self.dockerfiles[i].rel.matches('/').count(), copies_nothing(i)));
            self.apps[a].dockerfiles = list;
        }
    }

    fn count_existing(&self, context: &str, sources: &[String]) -> usize {
        sources
            .iter()
            .filter(|s| {
                let p = join(context, s);
                let glob = s.contains('*');
                if glob || s.as_str() == "." || s.as_str() == "./" {
                    return false;
                }
                self.has_path_or_dir(&p)
            })
            .count()
    }

    /// Every parsed package.json: apps' and libraries'.
    pub fn packages(&self) -> impl Iterator<Item = &Doc<package_json::PackageJson>> {
        self.apps.iter().filter_map(|a| a.package.as_ref()).chain(&self.libraries)
    }

    /// Is `p` a file, or a directory holding files? (A range query on the sorted paths.)
    pub fn has_path_or_dir(&self, p: &str) -> bool {
        self.paths.contains(p) || self.has_prefix(&format!("{p}/"))
    }

    /// Is there any path starting with `prefix`?
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.paths.range(prefix.to_string()..).next().is_some_and(|x| x.starts_with(prefix))
    }

    /// The compose files that describe a deployment: per directory, the best-ranked file that
    /// is not an override or a development file (`compose.override.yml`, `docker-compose.dev.yml`,
    /// a file under `dev/` or `.devcontainer/`, one whose header says it is for development or a
    /// demonstration only), runs the app (not only databases and tools), does not run it in
    /// development mode or as a test, and is not a one-service helper that builds an image a
    /// bigger stack in the repository already builds.
    pub fn deploy_composes(&self) -> Vec<&Doc<compose::ComposeFile>> {
        let dev = |rel: &str| {
            let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
            let stem = name.trim_end_matches(".yml").trim_end_matches(".yaml");
            stem.split(['.', '-', '_']).skip(1).any(|t| {
                matches!(
                    t,
                    "override" | "dev" | "development" | "local" | "test" | "testing" | "integration" | "ci" | "debug" | "e2e"
                )
            })
        };
        let dev_dir = |rel: &str| {
            rel.split('/').rev().skip(1).any(|seg| {
                // `e2e_tests`, `integration-test`: any word of the folder name counts.
                seg == ".devcontainer"
                    || seg.split(['_', '-', '.']).any(|w| {
                        matches!(
                            w,
                            "development"
                                | "dev"
                                | "testing"
                                | "test"
                                | "tests"
                                | "integration"
                                | "e2e"
                                | "cypress"
                                | "examples"
                                | "example"
                                | "local"
                                | "playwright"
                        )
                    })
            })
        };
        let candidates: Vec<&Doc<compose::ComposeFile>> = self
            .composes
            .iter()
            .filter(|c| !dev(&c.rel) && !dev_dir(&c.rel) && c.v.not_for_production.is_none() && runs_app(&c.v) && !runs_in_development(&c.v))
            .collect();
        // The Dockerfiles a compose file builds.
        let builds = |c: &Doc<compose::ComposeFile>| -> BTreeSet<String> {
            c.v.services
                .iter()
                .filter_map(|s| s.build.as_ref())
                .map(|b| compose_build_paths(&c.rel, b).1)
                .collect()
        };
        let built: Vec<BTreeSet<String>> = candidates.iter().map(|c| builds(c)).collect();
        let mut dirs: BTreeMap<&str, Vec<&Doc<compose::ComposeFile>>> = BTreeMap::new();
        for (i, c) in candidates.iter().enumerate() {
            // `apps/api/docker-compose.yml` building only the image a stack in another folder also
            // builds (with its database and neighbours) is a helper to try that one image. Files
            // in the same folder are alternatives, which the ranking below chooses between.
            let helper = !built[i].is_empty()
                && candidates
                    .iter()
                    .enumerate()
                    .any(|(j, o)| parent(&o.rel) != parent(&c.rel) && o.v.services.len() > c.v.services.len() && built[i].is_subset(&built[j]));
            if !helper {
                dirs.entry(parent(&c.rel)).or_default().push(c);
            }
        }
        dirs.into_values()
            .filter_map(|list| {
                let names: Vec<&str> = list.iter().map(|c| c.rel.as_str()).collect();
                compose::rank_files(&names).first().and_then(|&i| list.get(i).copied())
            })
            .collect()
    }

    /// The fly.toml files that build this repository: not those that deploy a prebuilt image
    /// (`[build] image`, e.g. a log shipper), which say nothing about the app.
    pub fn fly_building(&self) -> impl Iterator<Item = &Doc<platform::FlyConfig>> {
        self.fly.iter().filter(|f| f.v.build_image.is_none())
    }

    /// The app with the longest directory that holds `rel` (a file or a directory).
    pub fn deepest_app(&self, rel: &str) -> Option<usize> {
        deepest_in(&self.app_index, rel)
    }

    /// The app a deployment is about: the one a root Dockerfile builds, else a Next.js app, else the first.
    pub fn primary_app(&self) -> usize {
        if let Some(i) = self.dockerfiles.iter().position(|d| d.dir.is_empty() && parent(&d.rel).is_empty()) {
            if let Some(a) = self.dockerfiles[i].app {
                return a;
            }
        }
        // An app whose Dockerfile copies nothing from the repository (a base image built from
        // build arguments) comes after the apps whose Dockerfile builds them.
        let builds_nothing = |i: usize| {
            self.dockerfile_of(&self.apps[i]).is_some_and(|d| {
                !d.df
                    .instructions
                    .iter()
                    .any(|ins| (ins.keyword == "COPY" || ins.keyword == "ADD") && ins.flag("from").is_none())
            })
        };
        (0..self.apps.len())
            .filter(|&i| !self.apps[i].dockerfiles.is_empty() || self.apps[i].is_next())
            .min_by_key(|&i| {
                (
                    self.apps[i].dockerfiles.is_empty(),
                    builds_nothing(i),
                    !self.apps[i].is_next(),
                    self.apps[i].dir.len(),
                )
            })
            .unwrap_or(0)
    }

    /// Is this Dockerfile one a deployment builds: an app's primary Dockerfile, or one named by a
    /// compose file or a platform config? Alternatives (`Dockerfile.bun`, `Dockerfile.dev`) are not.
    pub fn is_used_dockerfile(&self, idx: usize) -> bool {
        let Some(d) = self.dockerfiles.get(idx) else { return false };
        let name = d.rel.rsplit('/').next().unwrap_or(&d.rel).to_ascii_lowercase();
        let plain = name == "dockerfile" || name.contains("prod");
        if plain && self.apps.iter().any(|a| a.dockerfiles.first() == Some(&idx)) {
            return true;
        }
        let named = |dir: &str, path: &str| join(dir, path) == d.rel;
        self.services_building(&d.rel).next().is_some()
            || self.fly.iter().any(|f| f.v.dockerfile.as_ref().is_some_and(|(p, _)| named(parent(&f.rel), p)))
            || self
                .railway
                .iter()
                .any(|r| r.v.dockerfile_path.as_ref().is_some_and(|(p, _)| named("", p) || named(parent(&r.rel), p)))
            || self
                .render
                .iter()
                .any(|r| r.v.services.iter().any(|s| s.dockerfile_path.as_ref().is_some_and(|(p, _)| named("", p))))
    }

    /// Compose services whose `build:` uses the Dockerfile at `dockerfile_rel`, with the
    /// compose file and the build context they give it.
    pub fn services_building<'a>(
        &'a self,
        dockerfile_rel: &'a str,
    ) -> impl Iterator<Item = (&'a Doc<compose::ComposeFile>, &'a compose::Service, String)> + 'a {
        self.composes.iter().flat_map(move |c| {
            c.v.services.iter().filter_map(move |s| {
                let (context, dockerfile) = compose_build_paths(&c.rel, s.build.as_ref()?);
                (dockerfile == dockerfile_rel).then_some((c, s, context))
            })
        })
    }

    pub fn dockerfile_of(&self, app: &App) -> Option<&DockerfileDoc> {
        app.dockerfiles.first().map(|&i| &self.dockerfiles[i])
    }

    pub fn file_text(&self, rel: &str) -> Option<&str> {
        // `files` is sorted by path (see `discover`).
        let i = self.files.binary_search_by(|f| f.rel.as_str().cmp(rel)).ok()?;
        self.files[i].text.as_deref()
    }

    /// What the deployed container runs at start, following CMD/ENTRYPOINT into scripts and
    /// `npm start`-style wrappers into package.json scripts.
    pub fn start_commands<'a>(&self, app: &'a App) -> &'a [Command] {
        &app.start
    }

    fn compute_start_commands(&self, app: &App) -> Vec<Command> {
        let mut out = Vec::new();
        if let Some(d) = self.dockerfile_of(app) {
            if let Some(stage) = d.df.final_stage() {
                let mut cmd = None;
                let mut entry = None;
                // The last CMD / ENTRYPOINT of the final stage, or of the stage it inherits from.
                let mut chain = vec![stage.index];
                let mut cur = stage;
                while let Some(p) = cur.from_stage {
                    if chain.contains(&p) {
                        break;
                    }
                    chain.push(p);
                    match d.df.stages.get(p) {
                        Some(s) => cur = s,
                        None => break,
                    }
                }
                for s in chain.iter().filter_map(|&i| d.df.stages.get(i)) {
                    for &ii in s.instructions.iter().rev() {
                        let Some(ins) = d.df.instructions.get(ii) else { continue };
                        if ins.keyword == "CMD" && cmd.is_none() {
                            cmd = Some(ins);
                        }
                        if ins.keyword == "ENTRYPOINT" && entry.is_none() {
                            entry = Some(ins);
                        }
                    }
                }
                for (ins, via) in [(entry, "ENTRYPOINT"), (cmd, "CMD")] {
                    let Some(ins) = ins else { continue };
                    let text = ins.command_text();
                    out.push(Command {
                        text: text.clone(),
                        file: d.rel.clone(),
                        line: ins.line,
                        via: via.to_string(),
                    });
                    self.follow(app, d, &text, &mut out, 0);
                }
            }
        } else if let Some(p) = app.package.as_ref().filter(|_| self.dockerfiles.is_empty()) {
            // Without any Dockerfile, buildpacks run `npm start`; when the repository has
            // Dockerfiles but none builds this app, how it starts is not in the files.
            if let Some((_, cmd, line)) = p.v.script("start") {
                out.push(Command {
                    text: cmd.clone(),
                    file: p.rel.clone(),
                    line: *line,
                    via: "npm start".into(),
                });
                self.follow_scripts(app, cmd, &mut out, 0);
            }
        }
        out
    }

    fn follow(&self, app: &App, d: &DockerfileDoc, text: &str, out: &mut Vec<Command>, depth: usize) {
        if depth > 4 {
            return;
        }
        // Shell scripts named in the command: resolve by file name against the scripts we read.
        for word in text.split(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',' || c == '[' || c == ']') {
            if !word.ends_with(".sh") {
                continue;
            }
            let mut name = word.rsplit('/').next().unwrap_or(word);
            // Copied under another name (`COPY scripts/docker-entrypoint.sh /app/entrypoint.sh`):
            // the script is the COPY's source.
            let renamed = d.df.instructions.iter().filter_map(|i| i.copy_parts_ref()).find_map(|(srcs, dest)| {
                let (src, dest_name) = (srcs.first()?, dest.rsplit('/').next()?);
                let src_name = src.rsplit('/').next()?;
                (srcs.len() == 1 && dest_name == name && src_name != name && src_name.ends_with(".sh")).then(|| src_name.to_string())
            });
            if let Some(r) = &renamed {
                if !self.scripts.keys().any(|rel| rel.rsplit('/').next() == Some(name)) {
                    name = r.as_str();
                }
            }
            let found = self
                .scripts
                .iter()
                .filter(|(rel, _)| rel.rsplit('/').next() == Some(name))
                .min_by_key(|(rel, _)| (!under(rel, &d.context), !under(rel, &app.dir), rel.len()));
            if let Some((rel, body)) = found {
                if out.iter().any(|c| &c.file == rel) {
                    continue;
                }
                for (i, line) in body.lines().enumerate() {
                    let t = line.trim();
                    if t.is_empty() || t.starts_with('#') {
                        continue;
                    }
                    out.push(Command {
                        text: t.to_string(),
                        file: rel.clone(),
                        line: i + 1,
                        via: format!("{name}, started by the image"),
                    });
                }
            }
        }
        self.follow_scripts(app, text, out, depth);
    }

    /// `npm start`, `npm run x`, `yarn x`, `pnpm x`: the package.json script they run.
    fn follow_scripts(&self, app: &App, text: &str, out: &mut Vec<Command>, depth: usize) {
        if depth > 4 {
            return;
        }
        let Some(p) = &app.package else { return };
        let words: Vec<&str> = text.split_whitespace().collect();
        for (i, w) in words.iter().enumerate() {
            let name = match *w {
                "npm" | "pnpm" | "yarn" | "bun" => {
                    let next = words.get(i + 1).copied().unwrap_or("");
                    if next == "run" || next == "run-script" {
                        words.get(i + 2).copied()
                    } else if next == "start" {
                        Some("start")
                    } else if *w != "npm" && !next.is_empty() && p.v.script(next).is_some() {
                        Some(next)
                    } else {
                        None
                    }
                }
                _ => None,
            };
            let Some(name) = name else { continue };
            if let Some((n, cmd, line)) = p.v.script(name) {
                if out.iter().any(|c| c.file == p.rel && c.line == *line) {
                    continue;
                }
                out.push(Command {
                    text: cmd.clone(),
                    file: p.rel.clone(),
                    line: *line,
                    via: format!("npm script `{n}`"),
                });
                self.follow_scripts(app, cmd, out, depth + 1);
            }
        }
    }
}

/// What parsing one file gave (see [`Parses`]).
enum Parsed {
    Nothing,
    /// Not analyzed: over the time budget, or the parser failed (already reported).
    Skipped,
    // (Large parses are boxed, so that a parse costs little to keep until it is taken.)
    Dockerfile(Box<dockerfile::Dockerfile>),
    Compose(Box<Result<compose::ComposeFile, compose::ParseError>>),
    DockerIgnore(dockerignore::DockerIgnore),
    Env(Vec<env_file::EnvEntry>, Vec<env_file::ParseError>),
    NextConfig(Box<next_config::NextConfig>),
    Prisma(Box<prisma::PrismaSchema>),
    PrismaConfig(Box<prisma::PrismaConfig>),
    PackageJson(Box<Result<package_json::PackageJson, package_json::ParseError>>),
    Platform(Box<Result<crate::parse::yaml::Node, platform::ConfigError>>),
    Procfile(Vec<(String, String, usize)>),
    Source(Box<source::SourceFacts>),
}

/// Does this file get parsed? Application sources only when they are not tests and the
/// prefilter says they may hold a fact.
/// What a scan reads and parses of a discovered tree (reported by the benchmark).
#[derive(Debug, Default, Clone, Copy)]
pub struct ParsePlan {
    /// Paths discovery saw (read or not).
    pub seen: usize,
    /// Files discovery read (the kinds the audit uses).
    pub read: usize,
    /// JS/TS sources read.
    pub sources: usize,
    /// Sources parsed with oxc (the byte prefilter found something that can matter).
    pub sources_parsed: usize,
    /// Sources skipped as tests, stories, mocks.
    pub sources_tests: usize,
    /// Sources skipped by the byte prefilter (nothing in them can produce a fact).
    pub sources_prefiltered: usize,
    /// Other files parsed (Dockerfiles, compose, env, Prisma, package.json, platform configs…).
    pub configs_parsed: usize,
}

/// Which of the discovered files a model build parses, and why the others are skipped.
pub fn parse_plan(d: &Discovery) -> ParsePlan {
    let mut p = ParsePlan {
        seen: d.paths.len(),
        read: d.files.iter().filter(|f| f.text.is_some()).count(),
        ..Default::default()
    };
    for f in d.files.iter().filter(|f| f.text.is_some()) {
        if f.kind == FileKind::Source {
            p.sources += 1;
            if f.hints.has(crate::hints::TEST) {
                p.sources_tests += 1;
            } else if wants_parse(f) {
                p.sources_parsed += 1;
            } else {
                p.sources_prefiltered += 1;
            }
        } else if wants_parse(f) {
            p.configs_parsed += 1;
        }
    }
    p
}

fn wants_parse(f: &RepoFile) -> bool {
    if f.text.is_none() {
        return false;
    }
    match f.kind {
        // (A test's FACTS bit is never set.)
        FileKind::Source => f.hints.has(crate::hints::FACTS),
        FileKind::Lockfile | FileKind::Workspace | FileKind::Gitignore | FileKind::Migration | FileKind::NodeVersion => false,
        FileKind::ShellScript | FileKind::Workflow => false,
        _ => true,
    }
}

fn parse_one(f: &RepoFile) -> Parsed {
    let Some(text) = f.text.as_deref() else { return Parsed::Nothing };
    match f.kind {
        FileKind::Dockerfile => Parsed::Dockerfile(Box::new(dockerfile::parse(text))),
        FileKind::Compose => Parsed::Compose(Box::new(compose::parse(text))),
        FileKind::DockerIgnore => Parsed::DockerIgnore(dockerignore::parse(text)),
        FileKind::EnvFile => {
            let (entries, errors) = env_file::parse(text);
            Parsed::Env(entries, errors)
        }
        FileKind::NextConfig => Parsed::NextConfig(Box::new(next_config::parse(text, &f.rel))),
        FileKind::PrismaSchema => Parsed::Prisma(Box::new(prisma::parse(text))),
        FileKind::PrismaConfig => Parsed::PrismaConfig(Box::new(prisma::parse_config_ts(text))),
        FileKind::PackageJson => Parsed::PackageJson(Box::new(package_json::parse(text))),
        FileKind::RailwayJson => Parsed::Platform(Box::new(platform::parse_json(text))),
        FileKind::RenderYaml => Parsed::Platform(Box::new(platform::parse_yaml(text))),
        FileKind::FlyToml | FileKind::RailwayToml | FileKind::NixpacksToml => Parsed::Platform(Box::new(platform::parse_toml(text))),
        FileKind::Procfile => Parsed::Procfile(platform::procfile(text)),
        FileKind::Source => Parsed::Source(source::analyze_boxed(text, &f.rel)),
        _ => Parsed::Nothing,
    }
}

/// Every file that needs it parsed on the worker pool, each within the budget, the results taken
/// in file order as the workers produce them (package.json files first). A file over the budget
/// (or whose parser failed) is reported as `file-skipped` and left out.
struct Parses {
    stream: crate::pool::Stream<Parsed>,
    /// The files, shared with the workers.
    files: std::sync::Arc<Vec<RepoFile>>,
    /// Each file's job (`None`: not parsed, or taken).
    job_of: Vec<Option<usize>>,
    budget: std::time::Duration,
    skipped: Vec<Observation>,
}

impl Parses {
    fn start(files: Vec<RepoFile>, budget: std::time::Duration) -> Parses {
        let packages = files.iter().enumerate().filter(|(_, f)| f.kind == FileKind::PackageJson);
        let others = files.iter().enumerate().filter(|(_, f)| f.kind != FileKind::PackageJson);
        let order: Vec<usize> = packages.chain(others).filter(|(_, f)| wants_parse(f)).map(|(i, _)| i).collect();
        let mut job_of = vec![None; files.len()];
        for (j, &fi) in order.iter().enumerate() {
            job_of[fi] = Some(j);
        }
        let threads = if order.len() > 8 { crate::pool::workers() } else { 1 };
        let files = std::sync::Arc::new(files);
        let shared = files.clone();
        let stream = crate::pool::Stream::start(order.len(), threads, budget, move |j| parse_one(&shared[order[j]]));
        Parses {
            stream,
            files,
            job_of,
            budget,
            skipped: Vec::new(),
        }
    }

    /// File `fi`'s parse (`Nothing` when it is not parsed, or taken already); files are taken
    /// in order, package.json files first.
    fn take(&mut self, fi: usize) -> Parsed {
        let Some(j) = self.job_of.get_mut(fi).and_then(Option::take) else {
            return Parsed::Nothing;
        };
        let f = &self.files[fi];
        match self.stream.take(j) {
            crate::pool::Outcome::Done(p) => p,
            crate::pool::Outcome::TimedOut(ran) => {
                self.skipped.push(Observation::new(
                    "file-skipped",
                    Some(&f.rel),
                    None,
                    format!(
                        "{} took longer than {} ms to parse (stopped after {} ms); it was not analyzed",
                        f.kind.name(),
                        self.budget.as_millis(),
                        ran.as_millis()
                    ),
                ));
                Parsed::Skipped
            }
            crate::pool::Outcome::Panicked => {
                self.skipped.push(Observation::new(
                    "file-skipped",
                    Some(&f.rel),
                    None,
                    format!("{} could not be parsed (an internal parser error); it was not analyzed", f.kind.name()),
                ));
                Parsed::Skipped
            }
        }
    }

    /// The files back, and the `file-skipped` observations.
    fn finish(self) -> (Vec<RepoFile>, Vec<Observation>) {
        let Parses { stream, files, skipped, .. } = self;
        // The workers end (every job is taken); one still running past its budget holds a
        // reference, and the files are then copied.
        drop(stream);
        let files = std::sync::Arc::try_unwrap(files).unwrap_or_else(|shared| shared.as_ref().clone());
        (files, skipped)
    }
}

/// Images of infrastructure a stack runs next to the app (proxies, object stores, mail catchers,
/// brokers, analytics stores, observability): a compose file with only these and databases is a
/// development helper, not the deployment of the app.
pub fn infra_image(image: &str) -> bool {
    const NAMES: &[&str] = &[
        "nginx",
        "traefik",
        "caddy",
        "haproxy",
        "envoy",
        "minio",
        "mc",
        "mailhog",
        "mailpit",
        "maildev",
        "adminer",
        "pgadmin",
        "pgadmin4",
        "redis-commander",
        "localstack",
        "clickhouse-server",
        "redpanda",
        "kafka",
        "zookeeper",
        "rabbitmq",
        "nats",
        "elasticsearch",
        "opensearch",
        "kibana",
        "memcached",
        "prometheus",
        "grafana",
        "loki",
        "promtail",
        "jaeger",
        "zipkin",
        "opentelemetry-collector",
        "opentelemetry-collector-contrib",
    ];
    // Publishers whose every image is infrastructure.
    const NAMESPACES: &[&str] = &[
        "redpandadata",
        "confluentinc",
        "bitnami",
        "clickhouse",
        "temporalio",
        "grafana",
        "prom",
        "otel",
        "jaegertracing",
        "openzipkin",
        "minio",
        "localstack",
        "axllent",
        "mailhog",
    ];
    let lower = image.to_ascii_lowercase();
    let path = lower.split(['@']).next().unwrap_or("");
    let mut segs: Vec<&str> = path.split('/').collect();
    // A registry host (`docker.io`, `ghcr.io`, `localhost:5000`) is not a publisher.
    if segs.len() > 1 && segs[0].contains(['.', ':']) {
        segs.remove(0);
    }
    let Some(last) = segs.last() else { return false };
    let repo = last.split(':').next().unwrap_or("");
    NAMES.contains(&repo) || (segs.len() > 1 && NAMESPACES.contains(&segs[0]))
}

/// Does the compose file run the app: a service built from the repository, or an image that is
/// neither a database nor infrastructure? A service named as a test or development container
/// (`app-test`, `e2e`, `web-dev`) does not count.
fn runs_app(c: &compose::ComposeFile) -> bool {
    c.services.iter().any(|s| {
        let named_test = s
            .name
            .to_ascii_lowercase()
            .split(['-', '_', '.'])
            .any(|w| matches!(w, "test" | "tests" | "e2e" | "dev" | "ci"));
        !named_test
            && (s.build.is_some()
                || s.image
                    .as_ref()
                    .is_some_and(|(i, _)| crate::checks::database_image(i).is_none() && !infra_image(i)))
    })
}

/// Does a service run in development mode: `NODE_ENV=development`, or a dev server
/// (`next dev`, `npm run dev`, `nodemon`) as its command?
fn runs_in_development(c: &compose::ComposeFile) -> bool {
    c.services.iter().any(|s| {
        let env_dev = s.environment.iter().any(|e| {
            e.name == "NODE_ENV"
                && e.value.as_deref().is_some_and(|v| {
                    let v = crate::parse::compose::interpolate(v.trim_matches(|c| c == '"' || c == '\''), &|_| None);
                    v.eq_ignore_ascii_case("development")
                })
        });
        let dev_server = s.command.iter().chain(s.entrypoint.iter()).any(|(cmd, _)| {
            let words: Vec<&str> = cmd
                .split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
                .filter(|w| !w.is_empty())
                .collect();
            words.windows(3).any(|w| matches!(w, ["npm" | "yarn" | "pnpm" | "bun", "run", "dev"]))
                || words
                    .windows(2)
                    .any(|w| matches!(w, ["yarn" | "pnpm" | "bun" | "next" | "nuxt" | "remix" | "astro", "dev"]))
                || words.iter().any(|w| *w == "nodemon" || w.ends_with("/nodemon"))
        });
        env_dev || dev_server
    })
}

/// The build context and Dockerfile path (relative to the root) of a compose `build:`.
pub fn compose_build_paths(compose_rel: &str, b: &compose::Build) -> (String, String) {
    let context = join(parent(compose_rel), &b.context);
    let dockerfile = join(&context, b.dockerfile.as_deref().unwrap_or("Dockerfile"));
    (context, dockerfile)
}

/// The URL path of a Next.js route handler or API route, from its path inside the app.
pub fn route_of(local: &str) -> Option<String> {
    let local = local.strip_prefix("src/").unwrap_or(local);
    // Remix / React Router file routes: app/routes/api+/health.ts, app/routes/api.health.ts
    if let Some(r) = local.strip_prefix("app/routes/") {
        let stem = r.rsplit_once('.').map(|(s, _)| s).unwrap_or(r);
        let path = stem.replace("+/", "/").replace('.', "/").replace('+', "");
        return Some(format!("/{}", path.trim_start_matches('_').trim_end_matches("/route")));
    }
    let (rest, api) = if let Some(r) = local.strip_prefix("app/") {
        let name = r.rsplit('/').next().unwrap_or(r);
        let stem = name.split('.').next().unwrap_or(name);
        if stem != "route" {
            return None;
        }
        (parent(r), false)
    } else if let Some(r) = local.strip_prefix("pages/api/") {
        let stem = r.rsplit_once('.').map(|(s, _)| s).unwrap_or(r);
        let stem = stem.strip_suffix("/index").unwrap_or(stem);
        (if stem == "index" { "" } else { stem }, true)
    } else {
        return None;
    };
    // `/` and the path's segments, without route groups `(…)` and parallel-route slots `@…`.
    let mut path = String::with_capacity(rest.len() + 5);
    if api {
        path.push_str("/api");
    }
    for seg in rest.split('/') {
        if seg.is_empty() || (seg.starts_with('(') && seg.ends_with(')')) || seg.starts_with('@') {
            continue;
        }
        path.push('/');
        path.push_str(seg);
    }
    if path.is_empty() {
        path.push('/');
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn routes_from_paths() {
        assert_eq!(route_of("app/api/health/route.ts").as_deref(), Some("/api/health"));
        assert_eq!(route_of("src/app/(public)/api/healthz/route.js").as_deref(), Some("/api/healthz"));
        assert_eq!(route_of("pages/api/health.ts").as_deref(), Some("/api/health"));
        assert_eq!(route_of("pages/api/status/index.ts").as_deref(), Some("/api/status"));
        assert_eq!(route_of("app/page.tsx"), None);
        assert_eq!(route_of("lib/health.ts"), None);
        // The root, route groups and parallel-route slots, the API index.
        assert_eq!(route_of("app/route.ts").as_deref(), Some("/"));
        assert_eq!(route_of("app/(marketing)/route.ts").as_deref(), Some("/"));
        assert_eq!(route_of("app/@modal/(ops)/api/ping/route.ts").as_deref(), Some("/api/ping"));
        assert_eq!(route_of("app/api//live/route.ts").as_deref(), Some("/api/live"));
        assert_eq!(route_of("pages/api/index.ts").as_deref(), Some("/api"));
        assert_eq!(route_of("pages/api/v1/index.js").as_deref(), Some("/api/v1"));
    }

    #[test]
    fn script_paths_by_their_folders() {
        assert!(is_script_path(".github/x.ts") && is_script_path("a/tools/b/c.ts") && is_script_path("seed.ts"));
        assert!(!is_script_path("scripts.ts") && !is_script_path("/x.ts") && !is_script_path("src/./a.ts"));
        assert!(!is_script_path("app/scripts-page/route.ts") && is_script_path("tailwind.config.ts"));
    }
    #[test]
    fn files_run_by_tool_scripts_are_not_server_code() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = [
            ("package.json", "{\"scripts\":{\"start\":\"next start\",\"db:setup\":\"npx tsx lib/db/setup.ts\",\"dev\":\"tsx watch src/server.ts\",\"gen\":\"tsx src/server.ts --gen\"},\"dependencies\":{\"next\":\"15.0.0\"}}"),
            ("lib/db/setup.ts", "import fs from 'fs';\nfs.writeFileSync('.env', process.env.X ?? '');\n"),
            ("src/server.ts", "import fs from 'fs';\nfs.writeFileSync('data/x', process.env.Y ?? '');\n"),
        ];
        for (rel, text) in files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, text).expect("write");
        }
        let d = crate::discover::discover(dir.path(), &crate::discover::Limits::default()).expect("discover");
        let m = Model::build(d);
        let runtime = |rel: &str| m.apps[0].sources.iter().find(|s| s.rel == rel).map(|s| s.runtime);
        assert_eq!(runtime("lib/db/setup.ts"), Some(false));
        assert_eq!(runtime("src/server.ts"), Some(true));
    }

    #[test]
    fn modules_only_tools_import_are_not_server_code_with_no_script_naming_a_tool() {
        let tree = |extra: &[(&str, &str)]| {
            let dir = tempfile::tempdir().expect("tempdir");
            let pkg = "{\"scripts\":{\"start\":\"next start\"},\"dependencies\":{\"next\":\"15.0.0\"}}";
            let mut files = vec![
                ("apps/web/package.json", pkg),
                ("apps/web2/package.json", pkg),
                (
                    "apps/web/lib/helper.ts",
                    "import fs from 'fs';\nexport const save = () => fs.writeFileSync('data/x', process.env.Y ?? '');\n",
                ),
                ("apps/web2/lib/other.ts", "export const n = 1;\n"),
            ];
            files.extend_from_slice(extra);
            for (rel, text) in files {
                let p = dir.path().join(rel);
                std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                std::fs::write(&p, text).expect("write");
            }
            let m = Model::build(crate::discover::discover(dir.path(), &crate::discover::Limits::default()).expect("discover"));
            let web = m.apps.iter().position(|a| a.dir == "apps/web").expect("app");
            m.apps[web].sources.iter().find(|s| s.rel == "apps/web/lib/helper.ts").map(|s| s.runtime)
        };
        // A script (by its folder, not parsed: it holds no fact) is the only importer.
        let tool = ("apps/web/scripts/migrate.ts", "import { save } from '../lib/helper';\nsave();\n");
        assert_eq!(tree(&[tool]), Some(false));
        // Near misses: no script at all; a page imports it too; `scripts` only in a client component.
        assert_eq!(tree(&[]), Some(true));
        assert_eq!(
            tree(&[tool, ("apps/web/app/page.ts", "import { save } from '../lib/helper';\nsave();\n")]),
            Some(true)
        );
        assert_eq!(
            tree(&[("apps/web/scripts/ui.tsx", "'use client';\nimport { save } from '../lib/helper';\n")]),
            Some(true)
        );
    }

    #[test]
    fn text_imports_finds_what_a_str_search_finds() {
        // The search before memmem (`str::match_indices`), as the reference.
        fn reference(text: &str) -> Vec<String> {
            IMPORT_KEYS
                .iter()
                .flat_map(|key| text.match_indices(key).filter_map(|(i, _)| quoted_spec(&text[i + key.len()..])))
                .map(String::from)
                .collect()
        }
        let texts = [
            "import a from './a';\nconst b = require(\"../b\");\nconst c = await import(`@/c`);\nimport './side.css';\n",
            "import import 'x'; from from \"y\"; require(require('z'))",
            "é import 'ü/ä'; // from 'naïve' \u{1F600} require( 'spaced' )",
            "from '' import \"\" require(`unterminated",
            "import 'line\nbreak'; from \"ok\"",
            "",
            "fromimport('x') importfrom 'y'",
        ];
        for t in texts {
            assert_eq!(text_imports(t), reference(t), "{t:?}");
        }
        assert_eq!(text_imports(texts[0]), ["./a", "../b", "@/c", "./side.css"]);
    }

    #[test]
    fn an_app_holds_only_the_paths_below_its_folder() {
        let app = App {
            dir: "apps/web".into(),
            ..Default::default()
        };
        assert_eq!(app.local("apps/web/scripts/x.ts"), "scripts/x.ts");
        assert_eq!(app.local("apps/web.scripts/x.ts"), "apps/web.scripts/x.ts");
        assert_eq!(app.local("apps/web2/x.ts"), "apps/web2/x.ts");
        assert_eq!(app.local("apps/web"), "");
        assert_eq!(App::default().local("a/b.ts"), "a/b.ts");
    }

    #[test]
    fn a_file_over_the_time_budget_is_reported_and_the_rest_is_built() {
        let big: String = (0..20_000).map(|i| format!("export const a{i} = process.env.A{i} ?? 'x';\n")).collect();
        let d = Discovery {
            files: vec![
                RepoFile::new("lib/big.ts".into(), FileKind::Source, Some(big)),
                RepoFile::new("package.json".into(), FileKind::PackageJson, Some(r#"{"name":"a"}"#.into())),
            ],
            ..Default::default()
        };
        let m = Model::build_with_budget(d, std::time::Duration::from_nanos(1));
        let o = m
            .observations
            .iter()
            .find(|o| o.rule == "file-skipped" && o.file.as_deref() == Some("lib/big.ts"));
        assert!(o.is_some_and(|o| o.message.contains("took longer than 0 ms")), "{:?}", m.observations);
        assert!(m.apps.iter().all(|a| a.sources.is_empty()));
        assert_eq!(m.files.len(), 2);
    }

    #[test]
    fn test_and_script_paths() {
        assert!(is_test_path("src/__tests__/a.ts"));
        assert!(is_test_path("lib/a.test.ts"));
        assert!(!is_test_path("lib/a.ts"));
        assert!(is_test_path("packages/e2e_tests/setup/start.ts"));
        assert!(is_test_path("suites/integration-tests/run.ts"));
        assert!(!is_test_path("src/features/ab-test/assign.ts"));
        assert!(!is_test_path("src/e2e.ts"));
        assert!(is_script_path("scripts/backup.ts"));
        assert!(is_script_path("prisma/seed.ts"));
        assert!(!is_script_path("app/api/x/route.ts"));
    }
}
