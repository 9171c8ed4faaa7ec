//! One walk over the repository: classify files by name and read the ones that matter.
//!
//! Safety rules: never follow a symlink out of the root, never open anything but a regular file
//! (a FIFO named `Dockerfile` must not block the scan), never read past the size limit.
//!
//! `.gitignore`: env files, sources, CI workflows and lockfiles that git ignores are left out
//! (they are local, not committed: a git-ignored `.env` is where local secrets belong, a
//! git-ignored lockfile is missing on the platform). Every other kind (Dockerfile, compose,
//! package.json, platform configs, scripts...) is audited even when a `.gitignore` matches it:
//! a tracked file stays tracked whatever `.gitignore` says, and Docker's build context,
//! `fly deploy` and `railway up` send the directory without reading `.gitignore`, so a
//! `.gitignore` of `*` must not turn a broken deployment into a "ready" one.

use crate::observe::Observation;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    Dockerfile,
    DockerIgnore,
    Compose,
    NextConfig,
    PrismaSchema,
    PrismaConfig,
    PackageJson,
    Lockfile,
    EnvFile,
    NodeVersion,
    Workspace,
    FlyToml,
    RailwayJson,
    RailwayToml,
    RenderYaml,
    NixpacksToml,
    Procfile,
    ShellScript,
    Workflow,
    Source,
    Gitignore,
    /// `migration.sql` of a Prisma migration (presence only).
    Migration,
}

impl FileKind {
    /// Kinds left out when git ignores them (see the module documentation).
    pub fn follows_gitignore(self) -> bool {
        matches!(self, FileKind::EnvFile | FileKind::Source | FileKind::Workflow | FileKind::Lockfile)
    }
    /// Kinds whose absence or corruption changes a build or a deploy.
    pub fn matters(self) -> bool {
        !matches!(self, FileKind::Source | FileKind::Workflow | FileKind::Gitignore | FileKind::Migration)
    }
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Dockerfile => "Dockerfile",
            FileKind::DockerIgnore => ".dockerignore",
            FileKind::Compose => "compose file",
            FileKind::NextConfig => "next.config",
            FileKind::PrismaSchema => "Prisma schema",
            FileKind::PrismaConfig => "prisma.config",
            FileKind::PackageJson => "package.json",
            FileKind::Lockfile => "lockfile",
            FileKind::EnvFile => "env file",
            FileKind::NodeVersion => "Node version file",
            FileKind::Workspace => "workspace config",
            FileKind::FlyToml => "fly.toml",
            FileKind::RailwayJson => "railway.json",
            FileKind::RailwayToml => "railway.toml",
            FileKind::RenderYaml => "render.yaml",
            FileKind::NixpacksToml => "nixpacks.toml",
            FileKind::Procfile => "Procfile",
            FileKind::ShellScript => "shell script",
            FileKind::Workflow => "CI workflow",
            FileKind::Source => "source file",
            FileKind::Gitignore => ".gitignore",
            FileKind::Migration => "migration",
        }
    }
}

/// Directories never entered: dependencies, build outputs, VCS data, vendored code.
pub const SKIP_DIRS: &[&str] = &[
    "node_modules",
    ".next",
    ".git",
    "dist",
    "build",
    "coverage",
    "vendor",
    "vendors",
    "third_party",
    ".turbo",
    ".vercel",
    ".output",
    ".nuxt",
    ".svelte-kit",
    ".cache",
    ".yarn",
    ".pnpm-store",
    "bower_components",
    "__snapshots__",
];

/// Classify a path (relative, `/`-separated) by its name.
pub fn classify(rel: &str) -> Option<FileKind> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    // Lower-cased on the stack (every entry of the walk comes here; names are short), a longer
    // name on the heap. ASCII lower-casing keeps valid UTF-8 valid.
    let mut buf = [0u8; 64];
    let heap: String;
    let lower: &str = match buf.get_mut(..name.len()) {
        Some(b) => {
            b.copy_from_slice(name.as_bytes());
            b.make_ascii_lowercase();
            std::str::from_utf8(b).unwrap_or(name)
        }
        None => {
            heap = name.to_ascii_lowercase();
            &heap
        }
    };
    let in_workflows = rel.starts_with(".github/workflows/");
    let kind = match lower {
        "dockerfile" => FileKind::Dockerfile,
        ".dockerignore" => FileKind::DockerIgnore,
        "package.json" => FileKind::PackageJson,
        "package-lock.json" | "npm-shrinkwrap.json" | "pnpm-lock.yaml" | "yarn.lock" | "bun.lockb" | "bun.lock" => FileKind::Lockfile,
        ".nvmrc" | ".node-version" => FileKind::NodeVersion,
        "pnpm-workspace.yaml" | "turbo.json" | "lerna.json" | "nx.json" => FileKind::Workspace,
        "fly.toml" => FileKind::FlyToml,
        "railway.json" => FileKind::RailwayJson,
        "railway.toml" => FileKind::RailwayToml,
        "render.yaml" | "render.yml" => FileKind::RenderYaml,
        "nixpacks.toml" => FileKind::NixpacksToml,
        "procfile" => FileKind::Procfile,
        "prisma.config.ts" | "prisma.config.mts" | "prisma.config.js" => FileKind::PrismaConfig,
        ".gitignore" => FileKind::Gitignore,
        "migration.sql" => FileKind::Migration,
        _ => {
            let doc_ext = [
                ".md", ".mdx", ".txt", ".json", ".yml", ".yaml", ".sh", ".ps1", ".py", ".js", ".ts", ".rst", ".html", ".png", ".svg",
            ];
            if (lower.starts_with("dockerfile.") || lower.ends_with(".dockerfile")) && !doc_ext.iter().any(|e| lower.ends_with(e)) {
                if lower.ends_with(".dockerignore") {
                    FileKind::DockerIgnore
                } else {
                    FileKind::Dockerfile
                }
            } else if lower.ends_with(".dockerignore") {
                FileKind::DockerIgnore
            } else if is_compose_name(lower) {
                FileKind::Compose
            } else if is_next_config(lower) {
                FileKind::NextConfig
            } else if lower.ends_with(".prisma") {
                FileKind::PrismaSchema
            } else if is_env_name(lower) {
                FileKind::EnvFile
            } else if in_workflows && (lower.ends_with(".yml") || lower.ends_with(".yaml")) {
                FileKind::Workflow
            } else if lower.ends_with(".sh") || lower == "entrypoint" || lower == "docker-entrypoint" {
                FileKind::ShellScript
            } else if is_source(lower) {
                FileKind::Source
            } else {
                return None;
            }
        }
    };
    Some(kind)
}

/// dotenv files: `.env`, `.env.*`, `.env-template`, and templates named the other way round
/// (`.example.env`, `example.env`, `env.sample`, `env.example`, `env.template`).
fn is_env_name(lower: &str) -> bool {
    if lower == ".env" || lower.starts_with(".env.") {
        return true;
    }
    if lower.starts_with(".env-") || lower.starts_with(".env_") {
        return !lower.ends_with(".md") && !lower.ends_with(".sh");
    }
    if let Some(stem) = lower.strip_suffix(".env") {
        return is_env_template_name(stem);
    }
    matches!(lower, "env.example" | "env.sample" | "env.template" | "env.dist")
}

/// Does an env file's name say it is a template (`.env.example`, `.env-template`, `.example.env`)?
pub fn is_env_template_name(lower: &str) -> bool {
    ["example", "sample", "template", "dist", "defaults"].iter().any(|t| lower.contains(t))
}

fn is_compose_name(lower: &str) -> bool {
    let yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
    yaml && (lower.starts_with("docker-compose") || lower.starts_with("compose.") || lower == "compose.yml" || lower == "compose.yaml")
}

fn is_next_config(lower: &str) -> bool {
    matches!(
        lower,
        "next.config.js" | "next.config.mjs" | "next.config.cjs" | "next.config.ts" | "next.config.mts"
    )
}

fn is_source(lower: &str) -> bool {
    let exts = [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx"];
    if !exts.iter().any(|e| lower.ends_with(e)) {
        return false;
    }
    !(lower.ends_with(".d.ts") || lower.ends_with(".min.js") || lower.ends_with(".d.mts") || lower.ends_with(".d.cts"))
}

#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest config file read (bytes).
    pub max_config_bytes: u64,
    /// Largest source file read (bytes).
    pub max_source_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_config_bytes: 1 << 20,
            max_source_bytes: 1 << 20,
        }
    }
}

/// A file the walk kept, with its text when it was read.
#[derive(Debug, Clone)]
pub struct RepoFile {
    pub rel: String,
    pub kind: FileKind,
    pub text: Option<String>,
    /// What one pass over the text and path found (see [`crate::hints`]).
    pub hints: crate::hints::Hints,
}

impl RepoFile {
    /// A file with its hints computed from its path and text.
    pub fn new(rel: String, kind: FileKind, text: Option<String>) -> RepoFile {
        let hints = crate::hints::of(kind, &rel, text.as_deref());
        RepoFile { rel, kind, text, hints }
    }
}

#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<RepoFile>,
    pub observations: Vec<Observation>,
    /// Number of entries walked (files and directories), for the summary.
    pub walked: usize,
    /// Every file path seen (relative, `/`-separated), read or not.
    pub paths: Vec<String>,
}

/// A walker thread's findings, handed over when the thread is done.
struct Local<'a> {
    shared: &'a Mutex<Vec<Discovery>>,
    d: Discovery,
}

impl Drop for Local<'_> {
    fn drop(&mut self) {
        let mut mine = std::mem::take(&mut self.d);
        // Each walker thread sorts its own part, in parallel; the parts are merged at the end.
        mine.files.sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
        mine.paths.sort_unstable();
        if let Ok(mut parts) = self.shared.lock() {
            parts.push(mine);
        }
    }
}

/// The walker threads' parts as one: their sorted lists merged in one pass into lists of the
/// exact size (no list is copied twice, and no sort needs a buffer).
fn merged(mut parts: Vec<Discovery>) -> Discovery {
    let mut d = match parts.len() {
        0 => return Discovery::default(),
        1 => return parts.pop().unwrap_or_default(),
        _ => Discovery::default(),
    };
    let (mut files, mut paths) = (Vec::new(), Vec::new());
    for p in parts {
        d.walked += p.walked;
        d.observations.extend(p.observations);
        files.push(p.files);
        paths.push(p.paths);
    }
    d.files = merge_sorted(files, |a, b| a.rel < b.rel);
    d.paths = merge_sorted(paths, |a, b| a < b);
    d
}

/// Sorted lists merged into one sorted list (`less` orders them; on a tie the earlier list's
/// element comes first).
fn merge_sorted<T>(mut lists: Vec<Vec<T>>, less: impl Fn(&T, &T) -> bool + Copy) -> Vec<T> {
    while lists.len() > 1 {
        let mut next = Vec::with_capacity(lists.len().div_ceil(2));
        let mut it = lists.into_iter();
        while let Some(a) = it.next() {
            let Some(b) = it.next() else {
                next.push(a);
                break;
            };
            let mut out = Vec::with_capacity(a.len() + b.len());
            let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
            loop {
                let take_b = match (a.peek(), b.peek()) {
                    (Some(x), Some(y)) => less(y, x),
                    (Some(_), None) => false,
                    (None, Some(_)) => true,
                    (None, None) => break,
                };
                let item = if take_b { b.next() } else { a.next() };
                out.extend(item);
            }
            next.push(out);
        }
        lists = next;
    }
    lists.pop().unwrap_or_default()
}

/// Relative `/`-separated path; `None` when the name is not UTF-8 (reported, not read).
/// The walker builds every path as `root` joined with names, so a byte prefix test suffices.
fn rel_path(root: &Path, path: &Path) -> Option<String> {
    let bytes = path.as_os_str().as_encoded_bytes();
    let rest = bytes.strip_prefix(root.as_os_str().as_encoded_bytes())?;
    let rest = rest.strip_prefix(std::path::MAIN_SEPARATOR_STR.as_bytes()).unwrap_or(rest);
    let s = std::str::from_utf8(rest).ok()?;
    if std::path::MAIN_SEPARATOR == '/' {
        Some(s.to_string())
    } else {
        Some(s.replace(std::path::MAIN_SEPARATOR, "/"))
    }
}

/// The walk every scan uses (and the benchmark's floor): directories listed in parallel on
/// `threads` threads, hidden files included, no symbolic link followed, dependency and build
/// folders ([`SKIP_DIRS`]) pruned. Each directory is listed once, whole, by one thread, which
/// hands its entries to that thread's visitor together with the state its parent's visit
/// produced; the visitor returns the state its subdirectories inherit (for a scan, the
/// `.gitignore` rules in force), so no state is looked up in a shared table and no file is
/// probed for. The work is a shared stack of directories, never the call stack: a tree nested
/// thousands deep walks like a flat one. `make` builds one visitor per thread; they are dropped
/// when the walk ends.
pub fn walk<T, V, M>(root: &Path, threads: usize, root_state: T, make: M)
where
    T: Send + Sync,
    V: FnMut(&Listing<'_>, &T) -> T,
    M: Fn() -> V + Sync,
{
    struct Queue<T> {
        dirs: Vec<(PathBuf, usize, Arc<T>)>,
        /// Directories being listed or visited.
        busy: usize,
        /// A visitor panicked: every worker stops (the panic then reaches the caller).
        failed: bool,
    }
    let queue = Mutex::new(Queue {
        dirs: vec![(root.to_path_buf(), 0, Arc::new(root_state))],
        busy: 0,
        failed: false,
    });
    let wake = std::sync::Condvar::new();
    let work = || {
        let mut visitor = make();
        let mut entries: Vec<Entry> = Vec::new();
        let mut subdirs: Vec<PathBuf> = Vec::new();
        loop {
            let (dir, depth, state) = {
                let Ok(mut q) = queue.lock() else { return };
                loop {
                    if q.failed {
                        return;
                    }
                    if let Some(job) = q.dirs.pop() {
                        q.busy += 1;
                        break job;
                    }
                    if q.busy == 0 {
                        wake.notify_all();
                        return;
                    }
                    q = match wake.wait(q) {
                        Ok(q) => q,
                        Err(_) => return,
                    };
                }
            };
            entries.clear();
            subdirs.clear();
            let mut error = None;
            match fs::read_dir(&dir) {
                Ok(rd) => {
                    for e in rd {
                        match e {
                            Ok(e) => {
                                // (An entry whose type cannot be read is neither listed nor entered.)
                                let Ok(file_type) = e.file_type() else { continue };
                                let path = e.path();
                                if file_type.is_dir() {
                                    if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| SKIP_DIRS.contains(&n)) {
                                        continue;
                                    }
                                    subdirs.push(path.clone());
                                }
                                entries.push(Entry { path, file_type });
                            }
                            Err(e) => error = Some(e),
                        }
                    }
                }
                Err(e) => error = Some(e),
            }
            let listing = Listing {
                dir: &dir,
                depth,
                entries: &entries,
                error: error.as_ref(),
            };
            let visited = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| visitor(&listing, &state)));
            let Ok(mut q) = queue.lock() else { return };
            q.busy -= 1;
            let inherited = match visited {
                Ok(t) => Arc::new(t),
                Err(panic) => {
                    q.failed = true;
                    drop(q);
                    wake.notify_all();
                    std::panic::resume_unwind(panic);
                }
            };
            let woken = !subdirs.is_empty() || q.busy == 0;
            q.dirs.extend(subdirs.drain(..).map(|d| (d, depth + 1, inherited.clone())));
            drop(q);
            if woken {
                wake.notify_all();
            }
        }
    };
    std::thread::scope(|scope| {
        let work = &work;
        for _ in 1..threads.max(1) {
            scope.spawn(work);
        }
        work();
    });
}

/// One directory as the walk hands it to a visitor: its path (the root joined with names), its
/// depth (0 for the root), its entries (pruned folders left out) and the error that cut its
/// listing short, if one did.
pub struct Listing<'a> {
    pub dir: &'a Path,
    pub depth: usize,
    pub entries: &'a [Entry],
    pub error: Option<&'a std::io::Error>,
}

/// An entry of a listing: its path and its type as the directory reports it (a symbolic link is
/// a link, never what it points to).
pub struct Entry {
    pub path: PathBuf,
    pub file_type: fs::FileType,
}

/// Threads the walk uses.
pub const WALK_THREADS: usize = 2;

/// The `.gitignore` rules in force in a directory: its own and its ancestors', deepest first,
/// and whether git ignores the directory itself.
#[derive(Clone, Default)]
struct GitState {
    chain: Vec<Arc<Gitignore>>,
    ignored: bool,
}

impl GitState {
    fn ignores(&self, path: &Path, is_dir: bool) -> bool {
        if self.ignored {
            return true;
        }
        for g in &self.chain {
            let m = g.matched(path, is_dir);
            if m.is_ignore() {
                return true;
            }
            if m.is_whitelist() {
                return false;
            }
        }
        false
    }
}

/// The state of directory `dir` from its parent's (`None`: no rules in force) and its own
/// `.gitignore` when its listing holds one (a regular file under 1 MiB, never a link or a pipe).
fn git_state(parent: &Option<Arc<GitState>>, dir: &Path, depth: usize, has_gitignore: bool) -> Option<Arc<GitState>> {
    let ignored = depth > 0 && parent.as_ref().is_some_and(|p| p.ignores(dir, true));
    let mut own = None;
    if !ignored && has_gitignore {
        let gi = dir.join(".gitignore");
        if fs::symlink_metadata(&gi).is_ok_and(|m| m.is_file() && m.len() <= 1 << 20) {
            let mut b = GitignoreBuilder::new(dir);
            let _ = b.add(&gi);
            own = b.build().ok().filter(|g| !g.is_empty());
        }
    }
    match (parent, own) {
        // Nothing of its own: the parent's state, shared.
        (Some(p), None) if p.ignored == ignored => Some(p.clone()),
        (None, None) if !ignored => None,
        (p, own) => {
            let mut chain: Vec<Arc<Gitignore>> = own.map(Arc::new).into_iter().collect();
            chain.extend(p.as_ref().map(|p| p.chain.clone()).unwrap_or_default());
            Some(Arc::new(GitState { chain, ignored }))
        }
    }
}

/// Walk `root` and read every file that matters.
pub fn discover(root: &Path, limits: &Limits) -> std::io::Result<Discovery> {
    let root = root.canonicalize()?;
    let shared = Mutex::new(Vec::new());
    walk(&root, WALK_THREADS, None, || {
        // Each walker thread fills its own buffer and hands it over once, when it finishes.
        let mut local = Local {
            shared: &shared,
            d: Discovery::default(),
        };
        let root = &root;
        move |listing: &Listing<'_>, parent: &Option<Arc<GitState>>| {
            let d = &mut local.d;
            d.walked += usize::from(listing.depth == 0) + listing.entries.len();
            if let Some(err) = listing.error {
                let shown = crate::text::sanitize(&listing.dir.strip_prefix(root).unwrap_or(listing.dir).to_string_lossy());
                let at = if shown.is_empty() { ".".to_string() } else { shown };
                d.observations.push(Observation::new(
                    "file-skipped",
                    None,
                    None,
                    format!("part of the tree could not be walked: {at}: {}", crate::text::sanitize(&err.to_string())),
                ));
            }
            let has_gitignore = listing
                .entries
                .iter()
                .any(|e| e.file_type.is_file() && e.path.file_name().is_some_and(|n| n == ".gitignore"));
            let state = git_state(parent, listing.dir, listing.depth, has_gitignore);
            for entry in listing.entries.iter().filter(|e| !e.file_type.is_dir()) {
                let path = &entry.path;
                let rel = rel_path(root, path);
                let kind = rel.as_deref().and_then(classify);
                // What git ignores is left out, unless it defines the deployment.
                // An env template in the tree is committed documentation even when a
                // `.env*` rule matches it (it was added with `git add -f`).
                let template = kind == Some(FileKind::EnvFile)
                    && path
                        .file_name()
                        .is_some_and(|n| is_env_template_name(&n.to_string_lossy().to_ascii_lowercase()));
                let skip = match kind {
                    Some(k) if !k.follows_gitignore() || template => false,
                    _ => state.as_ref().is_some_and(|s| s.ignores(path, false)),
                };
                if skip {
                    continue;
                }
                if let Some(r) = &rel {
                    d.paths.push(r.clone());
                }
                visit(root, path, rel, kind, entry.file_type, limits, &mut d.files, &mut d.observations);
            }
            state
        }
    });
    let mut d = merged(shared.into_inner().unwrap_or_default());
    d.observations.sort_by(|a, b| (&a.file, a.line, &a.message).cmp(&(&b.file, b.line, &b.message)));
    Ok(d)
}

/// Read one entry of the walk that is not a directory: `rel` is its relative path (`None` when
/// the name is not UTF-8) and `kind` what [`classify`] made of it.
#[allow(clippy::too_many_arguments)]
fn visit(
    root: &Path,
    path: &Path,
    rel: Option<String>,
    kind: Option<FileKind>,
    ftype: fs::FileType,
    limits: &Limits,
    out: &mut Vec<RepoFile>,
    obs: &mut Vec<Observation>,
) {
    let Some(rel) = rel else {
        let lossy = path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/");
        if classify(&lossy).is_none() {
            // Not a file the audit reads (an image, a document): nothing is missing.
            return;
        }
        let shown = crate::text::sanitize(&lossy);
        obs.push(Observation::new(
            "file-skipped",
            Some(&shown),
            None,
            "file name is not valid UTF-8; the file was not read",
        ));
        return;
    };
    let Some(kind) = kind else { return };
    // Resolve what to read: a regular file, or a symlink whose target stays inside the root.
    let target: std::borrow::Cow<'_, Path> = if ftype.is_symlink() {
        match fs::canonicalize(path) {
            Err(e) => {
                // ELOOP (40 on Linux, 62 on the BSDs and macOS): the link leads back to itself.
                let looped = matches!(e.raw_os_error(), Some(40) if cfg!(target_os = "linux"))
                    || matches!(e.raw_os_error(), Some(62) if cfg!(any(target_os = "macos", target_os = "freebsd")));
                let what = if looped {
                    "is a symbolic link loop (it leads back to itself)"
                } else {
                    "is a symbolic link to a file that does not exist"
                };
                if kind == FileKind::EnvFile {
                    obs.push(Observation::new("file-skipped", Some(&rel), None, format!("env file {what}; it was not read")).key(rel.clone()));
                } else if kind.matters() {
                    obs.push(
                        Observation::new(
                            "dangling-symlink",
                            Some(&rel),
                            None,
                            format!("{} `{}` {what}, so a build that needs it fails", kind.name(), crate::text::sanitize(&rel)),
                        )
                        .key(rel.clone()),
                    );
                }
                return;
            }
            Ok(t) if !t.starts_with(root) => {
                obs.push(Observation::new(
                    "file-skipped",
                    Some(&rel),
                    None,
                    format!("{} is a symbolic link that points outside the scanned directory; it was not read", kind.name()),
                ));
                return;
            }
            Ok(t) => std::borrow::Cow::Owned(t),
        }
    } else {
        std::borrow::Cow::Borrowed(path)
    };
    // A regular file (by its directory entry) is opened directly and sized with fstat; anything
    // else is checked with stat first so that a FIFO or device is never opened.
    let mut opened = None;
    let meta = if ftype.is_file() {
        match fs::File::open(&target) {
            Ok(f) => match f.metadata() {
                Ok(m) => {
                    opened = Some(f);
                    m
                }
                Err(_) => return,
            },
            Err(_) => return,
        }
    } else {
        match fs::metadata(&target) {
            Ok(m) => m,
            Err(_) => return,
        }
    };
    if !meta.is_file() {
        obs.push(Observation::new(
            "file-skipped",
            Some(&rel),
            None,
            format!("{} is not a regular file (a pipe, socket or device); it was not read", kind.name()),
        ));
        return;
    }
    let limit = if kind == FileKind::Source {
        limits.max_source_bytes
    } else {
        limits.max_config_bytes
    };
    if matches!(kind, FileKind::Lockfile | FileKind::Migration) {
        // Only the lockfile's presence matters.
        out.push(RepoFile::new(rel, kind, None));
        return;
    }
    if meta.len() > limit {
        obs.push(
            Observation::new(
                "file-skipped",
                Some(&rel),
                None,
                format!("{} is {} bytes, over the {} byte limit; it was not read", kind.name(), meta.len(), limit),
            )
            // The size changes with every edit; the fingerprint must not.
            .key(format!("{}:over-limit", kind.name())),
        );
        out.push(RepoFile::new(rel, kind, None));
        return;
    }
    let text = match read_limited(opened, &target, limit, meta.len()) {
        Ok(bytes) => bytes,
        Err(_) => return,
    };
    let probe = &text[..text.len().min(8192)];
    // Binary: NUL bytes, unless a rare one sits in otherwise valid UTF-8 text (a source file
    // with a `\0` written literally in a string).
    let nuls = memchr::memchr_iter(0, probe).count();
    let rare_in_text = nuls > 0 && nuls * 1024 <= probe.len() && std::str::from_utf8(&text).is_ok();
    if nuls > 0 && !rare_in_text {
        obs.push(Observation::new(
            "file-skipped",
            Some(&rel),
            None,
            format!("{} looks binary (it contains NUL bytes); it was not read", kind.name()),
        ));
        out.push(RepoFile::new(rel, kind, None));
        return;
    }
    match String::from_utf8(text) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                s.drain(..3);
            }
            out.push(RepoFile::new(rel, kind, Some(s)));
        }
        Err(_) => {
            obs.push(Observation::new(
                "file-skipped",
                Some(&rel),
                None,
                format!("{} is not valid UTF-8; it was not read", kind.name()),
            ));
            out.push(RepoFile::new(rel, kind, None));
        }
    }
}

fn read_limited(opened: Option<fs::File>, path: &Path, limit: u64, size: u64) -> std::io::Result<Vec<u8>> {
    let file = match opened {
        Some(f) => f,
        None => fs::File::open(path)?,
    };
    // Sized from fstat, with one spare byte so that a file that grew is seen to. A first read
    // that returns exactly the size fstat gave is the whole file: the probe read that confirms
    // the end (`read_to_end` always makes it) is saved, one system call per file. Any other
    // count (a short read, a file that grew) goes on to the end as usual.
    let want = size.min(limit) as usize;
    let mut buf = vec![0u8; want + 1];
    let mut file = file.take(limit);
    let first = loop {
        match file.read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => break r?,
        }
    };
    buf.truncate(first);
    // (A file that reports no size is read to the end: some file systems do not report one.)
    if first != want || want == 0 {
        file.read_to_end(&mut buf)?;
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The relative paths of the files the walk kept, in order.
    fn kept(d: &Discovery) -> Vec<&str> {
        d.files.iter().map(|f| f.rel.as_str()).collect()
    }

    #[test]
    fn sorted_lists_merge_into_one() {
        let lists = vec![vec![1, 4, 9], vec![], vec![2, 3, 10, 11], vec![5], vec![0, 12]];
        assert_eq!(merge_sorted(lists, |a, b| a < b), vec![0, 1, 2, 3, 4, 5, 9, 10, 11, 12]);
        assert_eq!(merge_sorted(Vec::<Vec<u8>>::new(), |a, b| a < b), Vec::<u8>::new());
        assert_eq!(merge_sorted(vec![vec![3, 1]], |a, b| a < b), vec![3, 1]);
        // A tie keeps the earlier list's element first.
        let tagged = merge_sorted(vec![vec![(1, 'a'), (2, 'a')], vec![(1, 'b')]], |x, y| x.0 < y.0);
        assert_eq!(tagged, vec![(1, 'a'), (1, 'b'), (2, 'a')]);
    }

    #[test]
    fn classifies_names_of_any_length_and_case() {
        // Names up to 64 bytes are lower-cased on the stack, longer ones on the heap: the same
        // answers either side of the boundary, for ASCII and non-ASCII names alike.
        for len in [60, 63, 64, 65, 200] {
            let stem = "A".repeat(len - ".TS".len());
            assert_eq!(classify(&format!("src/{stem}.TS")), Some(FileKind::Source), "{len}");
            assert_eq!(classify(&format!("src/{stem}.PNG")), None, "{len}");
            let docker = format!("DOCKERFILE.{}", "P".repeat(len - "DOCKERFILE.".len()));
            assert_eq!(classify(&docker), Some(FileKind::Dockerfile), "{len}");
            let accented = format!("{}é.EXAMPLE.ENV", "x".repeat(len.saturating_sub(14)));
            assert_eq!(classify(&accented), Some(FileKind::EnvFile), "{len}");
        }
    }

    #[test]
    fn classifies_names() {
        assert_eq!(classify("Dockerfile"), Some(FileKind::Dockerfile));
        assert_eq!(classify("apps/web/Dockerfile.prod"), Some(FileKind::Dockerfile));
        assert_eq!(classify("docker/web.Dockerfile"), Some(FileKind::Dockerfile));
        assert_eq!(classify("Dockerfile.dockerignore"), Some(FileKind::DockerIgnore));
        assert_eq!(classify("docs/dockerfile.mdx"), None);
        assert_eq!(classify("Dockerfile.md"), None);
        assert_eq!(classify("docker-compose.prod.yml"), Some(FileKind::Compose));
        assert_eq!(classify("compose.yaml"), Some(FileKind::Compose));
        assert_eq!(classify("next.config.mjs"), Some(FileKind::NextConfig));
        assert_eq!(classify("prisma/schema.prisma"), Some(FileKind::PrismaSchema));
        for env in [".env-template", "apps/api/.env-example", "src/.example.env", "podman/env.sample", "env.example"] {
            assert_eq!(classify(env), Some(FileKind::EnvFile), "{env}");
        }
        assert_eq!(classify("build.env.ts"), Some(FileKind::Source));
        assert_eq!(classify("docker.env"), None);
        assert_eq!(classify(".env.example"), Some(FileKind::EnvFile));
        assert_eq!(classify(".env"), Some(FileKind::EnvFile));
        assert_eq!(classify("app/api/health/route.ts"), Some(FileKind::Source));
        assert_eq!(classify("types/global.d.ts"), None);
        assert_eq!(classify("README.md"), None);
        assert_eq!(classify(".github/workflows/ci.yml"), Some(FileKind::Workflow));
        assert_eq!(classify("config.yml"), None);
    }

    #[test]
    fn a_rare_nul_in_a_text_source_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut src = "export const key = (a: string, b: string) => `${a}".as_bytes().to_vec();
        src.push(0);
        src.extend_from_slice("${b}`;\n".as_bytes());
        src.extend_from_slice("// padding\n".repeat(120).as_bytes());
        fs::write(root.join("key.ts"), &src).unwrap();
        let d = discover(root, &Limits::default()).unwrap();
        assert!(d.files.iter().any(|f| f.rel == "key.ts" && f.text.is_some()));
        assert!(!d.observations.iter().any(|o| o.rule == "file-skipped"));
    }

    #[test]
    fn walk_skips_dependency_dirs_and_reads_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("node_modules/x")).unwrap();
        fs::write(root.join("node_modules/x/package.json"), "{}").unwrap();
        fs::write(root.join("package.json"), "\u{feff}{\"name\":\"a\"}").unwrap();
        fs::write(root.join("Dockerfile"), "FROM node:20\n").unwrap();
        fs::write(root.join("bin.js"), b"\x00\x01binary").unwrap();
        let d = discover(root, &Limits::default()).unwrap();
        let rels = kept(&d);
        assert_eq!(rels, vec!["Dockerfile", "bin.js", "package.json"]);
        assert_eq!(d.files[2].text.as_deref(), Some("{\"name\":\"a\"}"));
        assert!(d.files[1].text.is_none());
        assert!(d.observations.iter().any(|o| o.rule == "file-skipped" && o.file.as_deref() == Some("bin.js")));
    }

    #[test]
    fn a_gitignored_env_template_is_still_read_but_a_gitignored_env_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join(".gitignore"), ".env*\n").unwrap();
        fs::write(root.join(".env"), "A=1\n").unwrap();
        fs::write(root.join(".env.example"), "A=\n").unwrap();
        fs::write(root.join(".env.local"), "A=2\n").unwrap();
        let d = discover(root, &Limits::default()).unwrap();
        let rels = kept(&d);
        assert_eq!(rels, vec![".env.example", ".gitignore"]);
    }

    #[test]
    fn gitignore_drops_local_kinds_but_never_deployment_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join(".gitignore"), "out/\n*.local.ts\n.env*\n!.env.example\npackage-lock.json\n").unwrap();
        fs::create_dir_all(root.join("out/deep")).unwrap();
        fs::write(root.join("out/deep/Dockerfile"), "FROM node:20\n").unwrap();
        fs::write(root.join("out/deep/page.js"), "x").unwrap();
        fs::write(root.join("a.local.ts"), "x").unwrap();
        fs::write(root.join("b.ts"), "x").unwrap();
        fs::write(root.join(".env"), "A=1\n").unwrap();
        fs::write(root.join(".env.example"), "A=\n").unwrap();
        fs::write(root.join("package-lock.json"), "{}").unwrap();
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::write(root.join("sub/.gitignore"), "!keep.local.ts\n").unwrap();
        fs::write(root.join("sub/keep.local.ts"), "x").unwrap();
        fs::write(root.join("sub/drop.local.ts"), "x").unwrap();
        let d = discover(root, &Limits::default()).unwrap();
        let rels = kept(&d);
        assert_eq!(
            rels,
            vec![
                ".env.example",
                ".gitignore",
                "b.ts",
                "out/deep/Dockerfile",
                "sub/.gitignore",
                "sub/keep.local.ts"
            ]
        );
        assert!(!d.paths.iter().any(|p| p == "out/deep/page.js"));
        assert!(d.paths.iter().any(|p| p == "out/deep/Dockerfile"));
    }

    #[test]
    fn the_walk_lists_every_directory_once_and_hands_each_its_parents_state() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut deep = root.to_path_buf();
        for i in 0..40 {
            deep.push(format!("d{i}"));
            fs::create_dir_all(&deep).unwrap();
            fs::write(deep.join("f.ts"), "x").unwrap();
            fs::create_dir_all(root.join(format!("wide{i}/node_modules/x"))).unwrap();
            fs::write(root.join(format!("wide{i}/node_modules/x/index.js")), "x").unwrap();
            fs::write(root.join(format!("wide{i}/g.ts")), "x").unwrap();
        }
        let seen = Mutex::new(Vec::new());
        walk(root, 2, 0usize, || {
            let seen = &seen;
            move |l: &Listing<'_>, parent: &usize| {
                // The state is the parent's depth plus one: every directory gets its parent's.
                assert_eq!(*parent, l.depth);
                for e in l.entries.iter().filter(|e| e.file_type.is_file()) {
                    seen.lock().unwrap().push(e.path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
                }
                l.depth + 1
            }
        });
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(seen.len(), 80, "{seen:?}");
        assert!(seen.iter().all(|p| !p.contains("node_modules")));
        assert_eq!(seen.iter().filter(|p| p.ends_with("f.ts")).count(), 40);
    }

    #[test]
    fn a_visitor_that_panics_ends_the_walk_instead_of_hanging_it() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..20 {
            fs::create_dir_all(dir.path().join(format!("a{i}/b"))).unwrap();
        }
        let r = std::panic::catch_unwind(|| {
            walk(dir.path(), 2, (), || {
                |l: &Listing<'_>, _: &()| {
                    if l.depth == 2 {
                        panic!("visitor bug");
                    }
                }
            })
        });
        assert!(r.is_err());
    }

    #[test]
    fn a_nested_gitignore_rules_its_own_subtree_only() {
        // No `.gitignore` at the root: directories stay in the default state until one is seen,
        // and the rules then reach every directory below, however deep, and nothing beside.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("apps/web/src/deep/er")).unwrap();
        fs::create_dir_all(root.join("apps/api")).unwrap();
        fs::write(root.join("apps/web/.gitignore"), "*.gen.ts\n").unwrap();
        fs::write(root.join("apps/web/src/deep/er/x.gen.ts"), "x").unwrap();
        fs::write(root.join("apps/web/src/deep/er/x.ts"), "x").unwrap();
        fs::write(root.join("apps/web/y.gen.ts"), "x").unwrap();
        fs::write(root.join("apps/api/y.gen.ts"), "x").unwrap();
        fs::write(root.join("z.gen.ts"), "x").unwrap();
        let d = discover(root, &Limits::default()).unwrap();
        let rels = kept(&d);
        assert_eq!(rels, vec!["apps/api/y.gen.ts", "apps/web/.gitignore", "apps/web/src/deep/er/x.ts", "z.gen.ts"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_root_and_dangling_are_reported_not_read() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("Dockerfile"), "FROM secret\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::os::unix::fs::symlink(outside.path().join("Dockerfile"), root.join("Dockerfile")).unwrap();
        std::os::unix::fs::symlink(root.join("missing"), root.join("package-lock.json")).unwrap();
        std::os::unix::fs::symlink(root.join("nope.env"), root.join(".env")).unwrap();
        let d = discover(root, &Limits::default()).unwrap();
        assert!(d.files.iter().all(|f| f.text.as_deref() != Some("FROM secret\n")));
        assert!(d
            .observations
            .iter()
            .any(|o| o.rule == "dangling-symlink" && o.file.as_deref() == Some("package-lock.json")));
        assert!(d.observations.iter().any(|o| o.rule == "file-skipped" && o.file.as_deref() == Some(".env")));
        assert!(d
            .observations
            .iter()
            .any(|o| o.rule == "file-skipped" && o.file.as_deref() == Some("Dockerfile")));
    }
}
