//! Facts from application JavaScript / TypeScript source, read statically with oxc (the code is
//! never run): environment reads, filesystem writes, child processes, `listen` calls, SSE,
//! intervals and schedulers, imports, WebSockets and route-handler exports.
//!
//! Also home of the helpers shared with `next_config`: [`LineIndex`], [`with_program`] and
//! [`snippet`].

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use oxc_allocator::Allocator;
use oxc_ast::ast::*;
use oxc_parser::{ParseOptions, Parser};
use oxc_span::{GetSpan, SourceType, Span};

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// Maps byte offsets to 1-based line numbers (and 1-based byte columns). Lines end at `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index the line starts of `src` (one pass with memchr).
    pub fn new(src: &str) -> Self {
        let mut starts = Vec::with_capacity(src.len() / 32 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', src.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 1-based line of byte `offset` (offsets past the end give the last line).
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }

    /// 1-based (line, byte column) of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.line(offset);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        (line, offset.saturating_sub(start) + 1)
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

/// Deepest bracket nesting (`(`, `[`, `{` counted naively over the bytes) that is handed to the
/// parser; oxc recurses once per level, so deeper files are reported instead of parsed.
pub const MAX_NESTING: usize = 400;
/// Stack for the parsing thread (virtual memory; only touched pages are committed).
pub const PARSE_STACK: usize = 256 << 20;
/// Syntax errors reported per file.
const MAX_ERRORS: usize = 20;

/// The oxc source type for `file_name`: `.ts/.mts/.cts` TypeScript, `.tsx` TSX,
/// `.js/.mjs/.cjs/.jsx` JavaScript with JSX enabled (Next.js allows JSX in `.js`), anything else TSX.
pub fn source_type_for(file_name: &str) -> SourceType {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let ext = base.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "ts" | "mts" | "cts" => SourceType::from_extension(&ext).unwrap_or_else(|_| SourceType::ts()),
        "js" | "mjs" | "cjs" | "jsx" => SourceType::from_extension(&ext).map(|s| s.with_jsx(true)).unwrap_or_else(|_| SourceType::jsx()),
        _ => SourceType::tsx(),
    }
}

/// Byte offset where naive bracket nesting first exceeds `limit`, if it does.
fn nesting_overflow(bytes: &[u8], limit: usize) -> Option<usize> {
    // Nesting cannot exceed the number of opening brackets: most files have fewer than `limit`
    // in all, which a branch-free (vectorized) count shows at a fraction of the walk's cost.
    if bytes.iter().map(|&b| usize::from(matches!(b, b'(' | b'[' | b'{'))).sum::<usize>() <= limit {
        return None;
    }
    let mut depth = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Parse `src` (source type from `file_name`) and call `f` with the program and the syntax errors
/// as `(line, message)`. On a syntax error the program is whatever oxc recovered (empty if it gave
/// up). Runs on a scoped thread with a large stack, so deeply nested input cannot overflow the
/// caller's stack; falls back to the current thread if no thread can be spawned.
pub fn with_program<R, F>(src: &str, file_name: &str, lines: &LineIndex, f: F) -> R
where
    R: Send,
    F: for<'a, 'b> FnOnce(&'b Program<'a>, Vec<(usize, String)>) -> R + Send,
{
    let source_type = source_type_for(file_name);
    let job = move || -> R {
        // The thread's arena, reset and reused from file to file (one allocation of a grown arena
        // rather than a dozen small ones per file); a fresh one when it is in use already.
        THREAD_ARENA.with(|cell| match cell.try_borrow_mut() {
            Ok(mut alloc) => {
                if alloc.capacity() > MAX_KEPT_ARENA {
                    // A huge file grew it: give the memory back rather than keep it.
                    *alloc = Allocator::default();
                } else {
                    alloc.reset();
                }
                parse_in(&alloc, src, source_type, lines, f)
            }
            Err(_) => parse_in(&Allocator::default(), src, source_type, lines, f),
        })
    };
    run_with_big_stack(job)
}

/// Largest arena a thread keeps between files (bytes).
const MAX_KEPT_ARENA: usize = 8 << 20;

thread_local! {
    static THREAD_ARENA: std::cell::RefCell<Allocator> = std::cell::RefCell::new(Allocator::default());
}

fn parse_in<R, F>(alloc: &Allocator, src: &str, source_type: SourceType, lines: &LineIndex, f: F) -> R
where
    F: for<'a, 'b> FnOnce(&'b Program<'a>, Vec<(usize, String)>) -> R,
{
    if let Some(off) = nesting_overflow(src.as_bytes(), MAX_NESTING) {
        let ret = Parser::new(alloc, "", source_type).parse();
        let msg = format!("brackets nest deeper than {MAX_NESTING} levels; the file was not analyzed");
        return f(&ret.program, vec![(lines.line(off), msg)]);
    }
    let options = ParseOptions {
        allow_return_outside_function: true,
        preserve_parens: false,
        ..ParseOptions::default()
    };
    let ret = Parser::new(alloc, src, source_type).with_options(options).parse();
    let errors = ret
        .diagnostics
        .iter()
        .take(MAX_ERRORS)
        .map(|d| {
            let off = d.labels.first().map_or(0, |l| l.offset() as usize);
            (lines.line(off), d.message.to_string())
        })
        .collect();
    f(&ret.program, errors)
}

thread_local! {
    /// Set on threads that already run with a large stack (see [`on_big_stack`]).
    static BIG_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f` on a scoped thread with the parser's large stack; every parse inside it then runs on
/// that thread directly instead of spawning one per file. Used to analyze many files in a batch.
pub fn on_big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    run_with_big_stack(move || {
        BIG_STACK.with(|b| b.set(true));
        f()
    })
}

/// Declare that the current thread was spawned with [`PARSE_STACK`] bytes of stack: parses on it
/// then run directly (a worker pool spawns its threads so).
pub fn mark_big_stack() {
    BIG_STACK.with(|b| b.set(true));
}

fn run_with_big_stack<R: Send>(job: impl FnOnce() -> R + Send) -> R {
    if BIG_STACK.with(|b| b.get()) {
        return job();
    }
    let mut slot = Some(job);
    let outcome = std::thread::scope(|scope| {
        let slot_ref = &mut slot;
        let spawned = std::thread::Builder::new()
            .name("deploy-audit-parse".into())
            .stack_size(PARSE_STACK)
            .spawn_scoped(scope, move || slot_ref.take().map(|j| j()));
        spawned.ok().map(|h| h.join())
    });
    match outcome {
        Some(Ok(Some(r))) => return r,
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        _ => {}
    }
    // The thread could not be spawned: the job is still in the slot.
    match slot.take() {
        Some(job) => job(),
        None => unreachable!("parse job consumed without a result"),
    }
}

/// Source text of `span`, whitespace runs collapsed to one space, truncated to 80 characters
/// (the last one `…` when cut).
pub fn snippet(src: &str, span: Span) -> String {
    let text = src.get(span.start as usize..span.end as usize).unwrap_or("");
    let mut out = String::new();
    let mut count = 0usize;
    let mut prev_ws = false;
    for ch in text.trim().chars() {
        if ch.is_whitespace() {
            if prev_ws {
                continue;
            }
            prev_ws = true;
            out.push(' ');
        } else {
            prev_ws = false;
            out.push(ch);
        }
        count += 1;
        if count >= 79 {
            out.push('…');
            break;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Public facts
// ---------------------------------------------------------------------------------------------

/// Everything [`analyze`] finds in one file. All lines are 1-based.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceFacts {
    /// Program directives at the top of the file ("use client", "use server", "use strict").
    pub directives: Vec<String>,
    /// Environment variable reads.
    pub env_reads: Vec<EnvRead>,
    /// Filesystem writes (fs, fs/promises, fs-extra, multer disk storage, SQLite files).
    pub fs_writes: Vec<FsWrite>,
    /// Child processes (child_process, cross-spawn, execa, zx / Bun `$`, Bun.spawn).
    pub child_processes: Vec<ChildProcess>,
    /// `listen` calls and `serve({ port })` servers.
    pub listens: Vec<Listen>,
    /// Lines where `text/event-stream` is the value of a `Content-Type` header (server-sent
    /// events answered by this code).
    pub sse: Vec<usize>,
    /// Lines of `setInterval` calls.
    pub intervals: Vec<usize>,
    /// In-process schedulers: (library, line); library is one of node-cron, cron, croner,
    /// node-schedule, agenda, bull, bullmq.
    pub schedulers: Vec<(String, usize)>,
    /// Module specifiers of value imports, re-exports, `require` and `import()`.
    pub imports: Vec<(String, usize)>,
    /// `new WebSocket(url)` clients: (url literal or "", line).
    pub websockets: Vec<(String, usize)>,
    /// WebSocket servers: ("ws" | "socket.io", line).
    pub ws_servers: Vec<(String, usize)>,
    /// Exported route-handler functions: (GET/POST/PUT/PATCH/DELETE/HEAD/OPTIONS, line).
    pub http_methods: Vec<(String, usize)>,
    /// Syntax errors and analysis limits: (line, message).
    pub errors: Vec<(usize, String)>,
    /// Environment variables tested in an `if` whose branch throws or exits
    /// (`if (!process.env.JWT_SECRET) throw …`): a missing value stops the server.
    pub env_guards: Vec<String>,
    /// Jobs started when the module loads (not inside a function): in-process schedulers and
    /// `setInterval` calls. Next.js `instrumentation.*` `register()` counts as module load.
    pub top_jobs: Vec<TopJob>,
    /// `if (process.env.X && token !== process.env.X) return …`: an auth check that lets every
    /// request through when `X` is unset: (variable, line).
    pub fail_open_auth: Vec<(String, usize)>,
    /// Minimum lengths enforced at start: `if (process.env.X.length < 32) throw …` →
    /// (variable, minimum, line).
    pub env_min_lengths: Vec<(String, usize, usize)>,
    /// `process.env` is used as a whole (spread, passed to a function, indexed with a computed
    /// key, aliased): the variables it reads cannot all be seen.
    pub env_opaque: bool,
    /// Connection URLs of backing services passed as literals to a client (`new Redis('redis://…')`,
    /// `mongoose.connect('mongodb://…')`, `createClient({ url: 'redis://…' })`, `new Pool({
    /// connectionString })`), outside development branches: (url, line). Never print them unredacted.
    pub service_urls: Vec<(String, usize)>,
}

impl SourceFacts {
    /// The file starts with a `"use client"` directive (a client component).
    pub fn use_client(&self) -> bool {
        self.directives.iter().any(|d| d == "use client")
    }
}

/// A job started at module load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopJob {
    /// "setInterval", or the scheduler library (node-cron, cron, croner, node-schedule, agenda, bree).
    pub kind: String,
    pub line: usize,
    /// The interval of a `setInterval`, when it is a constant.
    pub period_ms: Option<u64>,
}

/// One environment variable read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRead {
    /// Variable name.
    pub name: String,
    /// Line of the read.
    pub line: usize,
    /// Literal fallback via `||`, `??` or a destructuring default. Never print it: it may be a secret.
    pub default: Option<String>,
    /// True when there is any fallback (literal or not), or an env schema marks it optional.
    pub has_default: bool,
    /// Declared in an env schema (t3-env `createEnv`, `z.object({…}).parse(process.env)`).
    pub schema: bool,
    /// Minimum length a schema requires (`z.string().min(32)`, `.length(32)`).
    pub min_len: Option<usize>,
    /// Read inside a development-only branch (`if (process.env.NODE_ENV !== 'production')`, the
    /// non-production side of a `NODE_ENV === 'production' ? … : …`).
    pub dev_only: bool,
    /// The read is itself a fallback (`process.env.A || process.env.NEXT_PUBLIC_A`).
    pub in_fallback: bool,
    /// An env schema gives it a default (`.default(…)`, `.prefault(…)`, envalid `default:`),
    /// literal or not: the app runs without it.
    pub schema_default: bool,
}

/// A statically understood filesystem path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathExpr {
    /// A string literal (relative literals are relative to the working directory).
    Literal(String),
    /// Under the working directory (`process.cwd()` or `__dirname`), with these segments.
    Cwd(Vec<String>),
    /// The value of an environment variable, with an optional fallback path.
    Env { name: String, default: Option<Box<PathExpr>> },
    /// Several parts joined (path.join / template literal) that did not collapse.
    Join(Vec<PathExpr>),
    /// The temporary directory (`os.tmpdir()`, `/tmp...`).
    Tmp,
    /// Anything else: the source text, truncated.
    Unknown(String),
}

/// One filesystem write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsWrite {
    /// The function: writeFile, writeFileSync, appendFile(Sync), createWriteStream, mkdir(Sync),
    /// rename(Sync), copyFile(Sync), cp(Sync), fs-extra's outputFile/writeJson/ensureDir/copy/move…,
    /// "mkdirp", "diskStorage" (multer), "multer" (`dest` option), "Database" (SQLite file).
    pub func: String,
    /// Line of the call.
    pub line: usize,
    /// The written path (the destination for rename/copy).
    pub path: PathExpr,
}

/// One child process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildProcess {
    /// exec, execSync, spawn, spawnSync, execFile, execFileSync, fork, execa, execaSync,
    /// execaCommand, "$" (zx / Bun shell / execa tagged template), "Bun.spawn".
    pub func: String,
    /// Line of the call.
    pub line: usize,
    /// First word of a literal command, or of a template's static head (e.g. "pg_dump").
    pub program: Option<String>,
    /// Inside the `try` block of a `try … catch` in the same function, whose `catch` does not
    /// rethrow: a failure is handled there.
    pub caught: bool,
}

/// One server `listen`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    /// Line of the `listen` / `serve` name.
    pub line: usize,
    /// The port.
    pub port: PortExpr,
    /// Literal host argument or `host` / `hostname` option (after constant resolution).
    pub host: Option<String>,
}

/// A statically understood port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortExpr {
    /// A fixed port.
    Literal(u16),
    /// An environment variable with an optional literal fallback.
    Env { name: String, default: Option<u16> },
    /// Anything else.
    Unknown,
}

/// `Content-Type` / `content-type` / `contentType`: a header naming what a response is.
fn is_content_type_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("content-type") || name == "contentType"
}

// ---------------------------------------------------------------------------------------------
// Prefilter
// ---------------------------------------------------------------------------------------------

/// Needles that can produce a fact anywhere in a word.
pub const MAY_MATTER: &[&str] = &[
    "env",
    "File",
    "WriteStream",
    "mkdir",
    "rename",
    "ensureDir",
    "writeJson",
    "outputJson",
    "fs-extra",
    "listen",
    "serve",
    "child_process",
    "exec",
    "spawn",
    "$`",
    "event-stream",
    "Interval",
    "cron",
    "Cron",
    "schedule",
    "agenda",
    "repeat",
    "JobScheduler",
    "WebSocket",
    "socket.io",
    "multer",
    "diskStorage",
    "Database",
    "use server",
    "Bree",
    "pino",
    "sqlite",
    "redis://",
    "postgres",
    "mysql://",
    "mongodb",
    "amqp://",
];
/// Needles that count only as whole words (route handlers: `export async function GET`).
pub const MAY_MATTER_WORDS: [&str; 7] = HTTP_METHODS;

/// Cheap byte prefilter (one multi-needle pass, Teddy/Aho-Corasick): true if the file contains a
/// token that can produce a fact other than an import or a "use client" directive (`env`,
/// `writeFile`, `mkdir`, `listen`, `child_process`, `exec`, `spawn`, `event-stream`,
/// `setInterval`, `cron`, `WebSocket`, `diskStorage`, `Database`, `GET`/`POST`…, …). False means
/// [`analyze`] would find nothing but imports and directives.
pub fn may_matter(bytes: &[u8]) -> bool {
    // Leftmost-first searchers, so that the SIMD (Teddy) prefilter skips most of a text that
    // holds no needle (most files a scan reads).
    type Searchers = (aho_corasick::AhoCorasick, aho_corasick::AhoCorasick, Vec<memchr::memmem::Finder<'static>>);
    static AC: OnceLock<Option<Searchers>> = OnceLock::new();
    let Some((anywhere, words, short)) = AC.get_or_init(|| {
        let build = |needles: &[&str]| {
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(needles)
                .ok()
        };
        // Needles of three bytes or more (a longer fingerprint: fewer false candidates); the
        // shorter ones are searched on their own.
        let long: Vec<&str> = MAY_MATTER.iter().copied().filter(|n| n.len() >= 3).collect();
        let short = MAY_MATTER
            .iter()
            .filter(|n| n.len() < 3)
            .map(|n| memchr::memmem::Finder::new(n.as_bytes()))
            .collect();
        Some((build(&long)?, build(&MAY_MATTER_WORDS)?, short))
    }) else {
        return true;
    };
    if anywhere.is_match(bytes) || short.iter().any(|f| f.find(bytes).is_some()) {
        return true;
    }
    // Whole words only. Non-overlapping matches suffice: an occurrence that overlaps an earlier
    // match starts after one of its letters, so it is no whole word.
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    words.find_iter(bytes).any(|m| {
        let before = m.start().checked_sub(1).and_then(|i| bytes.get(i)).copied();
        let after = bytes.get(m.end()).copied();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

// ---------------------------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------------------------

/// Deepest statement/expression nesting the walker follows.
const MAX_DEPTH: usize = 512;
/// Identifier indirections followed when resolving a path, port or program.
const MAX_RESOLVE: usize = 4;
/// Resolution steps per file (guards against exponential constant chains).
const RESOLVE_BUDGET: usize = 200_000;

const HTTP_METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const FS_WRITES: &[&str] = &[
    "writeFile",
    "writeFileSync",
    "appendFile",
    "appendFileSync",
    "createWriteStream",
    "mkdir",
    "mkdirSync",
    "rename",
    "renameSync",
    "copyFile",
    "copyFileSync",
    "cp",
    "cpSync",
    "outputFile",
    "outputFileSync",
    "outputJson",
    "outputJsonSync",
    "outputJSON",
    "outputJSONSync",
    "writeJson",
    "writeJsonSync",
    "writeJSON",
    "writeJSONSync",
    "ensureDir",
    "ensureDirSync",
    "ensureFile",
    "ensureFileSync",
    "mkdirp",
    "mkdirpSync",
    "mkdirs",
    "mkdirsSync",
    "copy",
    "copySync",
    "move",
    "moveSync",
];
/// Called without any import or declaration in the file, these are taken as `fs` functions.
const UNBOUND_FS: &[&str] = &[
    "writeFile",
    "writeFileSync",
    "appendFile",
    "appendFileSync",
    "createWriteStream",
    "mkdir",
    "mkdirSync",
    "rename",
    "renameSync",
    "copyFile",
    "copyFileSync",
];
/// Called without any import or declaration in the file, these are taken as `child_process` functions.
const UNBOUND_CP: &[&str] = &["exec", "execSync", "execFile", "execFileSync", "spawn", "spawnSync"];
const CP_FUNCS: &[&str] = &["exec", "execSync", "spawn", "spawnSync", "execFile", "execFileSync", "fork"];
const EXECA_FUNCS: &[&str] = &["execa", "execaSync", "execaCommand", "execaCommandSync", "execaNode", "$"];
/// Unbound identifiers treated as the module they are conventionally named after.
const PSEUDO_MODULES: &[&str] = &[
    "fs",
    "fsp",
    "fse",
    "fsPromises",
    "fsExtra",
    "path",
    "os",
    "child_process",
    "childProcess",
    "cp",
    "cron",
    "multer",
];

fn strip_node(m: &str) -> &str {
    m.strip_prefix("node:").unwrap_or(m)
}

fn is_fs_module(m: &str) -> bool {
    matches!(
        strip_node(m),
        "fs" | "fs/promises" | "fs-extra" | "fs-extra/esm" | "graceful-fs" | "mz/fs" | "fsp" | "fse" | "fsPromises" | "fsExtra"
    )
}

fn is_cp_module(m: &str) -> bool {
    matches!(strip_node(m), "child_process" | "child-process-promise" | "childProcess" | "cp")
}

fn is_path_module(m: &str) -> bool {
    matches!(strip_node(m), "path" | "path/posix" | "pathe" | "upath")
}

/// `~/env`, `@/env.mjs`, `../lib/env.ts`: a local module whose file name ends in `env`.
fn is_env_module(spec: &str) -> bool {
    let local = spec.starts_with('.') || spec.starts_with('~') || spec.starts_with('#') || spec.starts_with('/') || spec.contains('/');
    if !local {
        return false;
    }
    let last = spec.rsplit('/').next().unwrap_or(spec);
    let stem = [".mjs", ".js", ".ts", ".mts", ".cjs", ".cts"]
        .iter()
        .find_map(|e| last.strip_suffix(e))
        .unwrap_or(last);
    stem.ends_with("env")
}

fn dest_arg(func: &str) -> usize {
    usize::from(matches!(
        func,
        "rename" | "renameSync" | "copyFile" | "copyFileSync" | "cp" | "cpSync" | "copy" | "copySync" | "move" | "moveSync"
    ))
}

/// Literal text of a string-ish literal (string, template without substitutions).
fn string_lit<'a>(e: &Expression<'a>) -> Option<&'a str> {
    match e.get_inner_expression() {
        Expression::StringLiteral(s) => Some(s.value.as_str()),
        Expression::TemplateLiteral(t) if t.expressions.is_empty() => t.quasis.first().map(|q| q.value.cooked.unwrap_or(q.value.raw).as_str()),
        _ => None,
    }
}

fn arg_expr<'x, 'a>(args: &'x [Argument<'a>], i: usize) -> Option<&'x Expression<'a>> {
    args.get(i).and_then(Argument::as_expression)
}

/// `require('m')` → "m".
fn require_spec<'a>(e: &Expression<'a>) -> Option<&'a str> {
    match e.get_inner_expression() {
        Expression::CallExpression(c) if c.callee.is_specific_id("require") && c.arguments.len() == 1 => arg_expr(&c.arguments, 0).and_then(string_lit),
        _ => None,
    }
}

/// `require('m')`, `import('m')`, `await import('m')` → "m".
fn module_spec<'a>(e: &Expression<'a>) -> Option<&'a str> {
    match e.get_inner_expression() {
        Expression::AwaitExpression(a) => module_spec(&a.argument),
        Expression::ImportExpression(i) => string_lit(&i.source),
        other => require_spec(other),
    }
}

fn first_word(s: &str) -> Option<String> {
    s.split_whitespace()
        .next()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
}

/// First word of a template's static head, when the head reaches whitespace before a substitution.
fn template_program(t: &TemplateLiteral<'_>) -> Option<String> {
    let head = t.quasis.first().map(|q| q.value.cooked.unwrap_or(q.value.raw).as_str())?;
    if t.expressions.is_empty() {
        return first_word(head);
    }
    let head = head.trim_start();
    let end = head.find(char::is_whitespace)?;
    first_word(head.get(..end)?)
}

fn port_of_f64(v: f64) -> Option<u16> {
    if v.fract() == 0.0 && (0.0..=65535.0).contains(&v) {
        Some(v as u16)
    } else {
        None
    }
}

/// Literal value text of a fallback expression.
fn literal_text(e: &Expression<'_>) -> Option<String> {
    match e.get_inner_expression() {
        Expression::StringLiteral(s) => Some(s.value.to_string()),
        Expression::TemplateLiteral(t) if t.expressions.is_empty() => string_lit(e).map(str::to_string),
        Expression::NumericLiteral(n) => Some(n.raw.map(|r| r.to_string()).unwrap_or_else(|| n.value.to_string())),
        Expression::BooleanLiteral(b) => Some(b.value.to_string()),
        Expression::UnaryExpression(u) if u.operator == UnaryOperator::UnaryNegation => match u.argument.get_inner_expression() {
            Expression::NumericLiteral(n) => Some(format!("-{}", n.raw.map(|r| r.to_string()).unwrap_or_else(|| n.value.to_string()))),
            _ => None,
        },
        _ => None,
    }
}

/// Join/normalize path parts: literals after a Cwd become segments, adjacent literals merge,
/// anything under Tmp is Tmp, a single part stands alone.
fn normalize_join(parts: Vec<PathExpr>, resolve: bool, concat: bool) -> PathExpr {
    let mut out: Vec<PathExpr> = Vec::new();
    let mut flat = Vec::new();
    for p in parts {
        match p {
            PathExpr::Join(inner) => flat.extend(inner),
            other => flat.push(other),
        }
    }
    for p in flat {
        match (out.last_mut(), p) {
            (_, PathExpr::Literal(s)) if s.is_empty() => {}
            (_, PathExpr::Literal(s)) if resolve && s.starts_with('/') => {
                out.clear();
                out.push(literal_path(s));
            }
            (Some(PathExpr::Cwd(segs)), PathExpr::Literal(s)) => {
                segs.extend(s.split(['/', '\\']).filter(|x| !x.is_empty() && *x != ".").map(str::to_string));
            }
            (Some(PathExpr::Literal(prev)), PathExpr::Literal(s)) => {
                let joined = if concat {
                    format!("{prev}{s}")
                } else {
                    format!("{}/{}", prev.trim_end_matches('/'), s.trim_start_matches('/'))
                };
                *prev = joined;
                if let Some(PathExpr::Literal(p)) = out.last() {
                    if literal_path(p.clone()) == PathExpr::Tmp {
                        out.pop();
                        out.push(PathExpr::Tmp);
                    }
                }
            }
            (Some(PathExpr::Tmp), PathExpr::Literal(_)) => {}
            (_, other) => out.push(other),
        }
    }
    if matches!(out.first(), Some(PathExpr::Tmp)) {
        return PathExpr::Tmp;
    }
    match out.len() {
        0 => PathExpr::Literal(String::new()),
        1 => out.pop().unwrap_or(PathExpr::Literal(String::new())),
        _ => PathExpr::Join(out),
    }
}

fn literal_path(s: String) -> PathExpr {
    if s == "/tmp" || s.starts_with("/tmp/") || s == "/var/tmp" || s.starts_with("/var/tmp/") {
        PathExpr::Tmp
    } else {
        PathExpr::Literal(s)
    }
}

/// Small fast hasher for identifier keys (FxHash; file-local maps need no DoS resistance).
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            for (d, s) in w.iter_mut().zip(rest) {
                *d = *s;
            }
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
type FxSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

/// Where a local binding comes from: `module` and the imported member (None: default, namespace
/// or the whole module).
#[derive(Debug, Clone, Copy)]
struct ModBinding<'a> {
    module: &'a str,
    name: Option<&'a str>,
}

type EnvLocal<'a, 'b> = (&'a str, Option<&'b Expression<'a>>);

struct Walker<'a, 'b> {
    src: &'a str,
    lines: &'b LineIndex,
    facts: Box<SourceFacts>,
    modules: FxMap<&'a str, ModBinding<'a>>,
    /// Visible `const`/`let`/`var` initializers; `None` marks a shadowing parameter.
    consts: FxMap<&'a str, Option<&'b Expression<'a>>>,
    /// Locals destructured from `process.env`: local → (variable, default).
    env_locals: FxMap<&'a str, EnvLocal<'a, 'b>>,
    /// Locals bound to a t3 / zod `env` object imported from a local `env` module.
    env_objects: FxSet<&'a str>,
    /// Names declared in the file by function/class declarations or patterns (never unbound globals).
    declared: FxSet<&'a str>,
    depth: usize,
    too_deep: bool,
    budget: Cell<usize>,
    /// Nesting of development-only branches.
    dev_depth: usize,
    /// Inside the arguments of an env schema call.
    in_schema: usize,
    /// Inside the value of a `Content-Type` header (an object property `'Content-Type': …`, or
    /// the arguments of `setHeader('Content-Type', …)` / `res.type(…)`): only there does a
    /// `text/event-stream` string say that this code answers with Server-Sent Events (an
    /// `Accept: 'text/event-stream'` request header, or a content-type table, is a client's).
    in_content_type: usize,
    /// Inside the right-hand side of `||` / `??`.
    fallback_depth: usize,
    /// Inside the value of a UI hint property (`placeholder:`, `description:`): a fallback there
    /// is text shown in a form, not a value the code uses.
    hint_depth: usize,
    /// Nesting of function bodies (0 = module load).
    fn_depth: usize,
    /// Nesting of `try` blocks (of the current function) whose `catch` does not throw.
    try_depth: usize,
    /// The file is Next.js `instrumentation.*`: its `register()` runs at server start.
    instrumentation: bool,
}

type Saved<'a, 'b> = Vec<(&'a str, Option<Option<&'b Expression<'a>>>)>;

/// Does a block throw at its top level (`catch (e) { log(e); throw e; }`)?
fn body_throws(body: &[Statement<'_>]) -> bool {
    body.iter().any(|st| match st {
        Statement::ThrowStatement(_) => true,
        Statement::BlockStatement(b) => body_throws(&b.body),
        Statement::IfStatement(i) => {
            body_throws(std::slice::from_ref(&i.consequent)) || i.alternate.as_ref().is_some_and(|a| body_throws(std::slice::from_ref(a)))
        }
        _ => false,
    })
}

/// Analyze one JS/TS file statically. `file_name` picks the dialect (see [`source_type_for`]).
pub fn analyze(src: &str, file_name: &str) -> SourceFacts {
    *analyze_boxed(src, file_name)
}

/// [`analyze`], boxed where it is built (the facts are large; the model keeps them boxed).
pub fn analyze_boxed(src: &str, file_name: &str) -> Box<SourceFacts> {
    let lines = LineIndex::new(src);
    with_program(src, file_name, &lines, |program, errors| {
        let mut w = Walker {
            src: program.source_text,
            lines: &lines,
            facts: Box::new(SourceFacts {
                errors,
                ..SourceFacts::default()
            }),
            // Sized for a typical module's imports and top-level bindings, so that they are not
            // rehashed as they fill.
            modules: FxMap::with_capacity_and_hasher(16, Default::default()),
            consts: FxMap::with_capacity_and_hasher(32, Default::default()),
            env_locals: FxMap::default(),
            env_objects: FxSet::default(),
            declared: FxSet::with_capacity_and_hasher(32, Default::default()),
            depth: 0,
            too_deep: false,
            budget: Cell::new(RESOLVE_BUDGET),
            dev_depth: 0,
            in_schema: 0,
            in_content_type: 0,
            fallback_depth: 0,
            hint_depth: 0,
            fn_depth: 0,
            try_depth: 0,
            instrumentation: {
                let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
                base.starts_with("instrumentation.")
            },
        };
        w.run(program);
        w.facts
    })
}

impl<'a, 'b> Walker<'a, 'b> {
    fn line(&self, span: Span) -> usize {
        self.lines.line(span.start as usize)
    }

    fn text(&self, span: Span) -> String {
        snippet(self.src, span)
    }

    fn spend(&self) -> bool {
        let left = self.budget.get();
        if left == 0 {
            return false;
        }
        self.budget.set(left - 1);
        true
    }

    fn enter(&mut self, span: Span) -> bool {
        if self.depth >= MAX_DEPTH {
            if !self.too_deep {
                self.too_deep = true;
                let line = self.line(span);
                self.facts
                    .errors
                    .push((line, format!("code nests deeper than {MAX_DEPTH} levels; deeper code was not analyzed")));
            }
            return false;
        }
        self.depth += 1;
        true
    }

    fn run(&mut self, program: &'b Program<'a>) {
        for d in &program.directives {
            self.facts.directives.push(d.expression.value.to_string());
        }
        // Bindings first, so uses before the declaration (hoisting, functions) resolve.
        for st in &program.body {
            match st {
                Statement::ImportDeclaration(i) => self.bind_import(i),
                Statement::VariableDeclaration(d) => self.bind_var_decl(d),
                _ => {}
            }
        }
        let _ = self.enter_block(&program.body);
        for st in &program.body {
            self.top_level_exports(st);
            self.visit_stmt(st);
        }
    }

    // ----- bindings -----

    fn bind_import(&mut self, i: &'b ImportDeclaration<'a>) {
        let module = i.source.value.as_str();
        let env_mod = is_env_module(module);
        let Some(specs) = &i.specifiers else { return };
        for s in specs {
            match s {
                ImportDeclarationSpecifier::ImportSpecifier(s) => {
                    let imported = s.imported.name().as_str();
                    self.modules.insert(s.local.name.as_str(), ModBinding { module, name: Some(imported) });
                    if env_mod && imported == "env" {
                        self.env_objects.insert(s.local.name.as_str());
                    }
                }
                ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => {
                    self.modules.insert(s.local.name.as_str(), ModBinding { module, name: None });
                    if env_mod && s.local.name == "env" {
                        self.env_objects.insert(s.local.name.as_str());
                    }
                }
                ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => {
                    self.modules.insert(s.local.name.as_str(), ModBinding { module, name: None });
                }
            }
        }
    }

    fn bind_var_decl(&mut self, d: &'b VariableDeclaration<'a>) {
        for decl in &d.declarations {
            if let Some(init) = &decl.init {
                self.bind_from_init(&decl.id, init);
            }
        }
    }

    /// Module bindings created by a declarator: `require`, `import()`, members of modules,
    /// `promisify(x)` aliases.
    fn bind_from_init(&mut self, id: &'b BindingPattern<'a>, init: &'b Expression<'a>) {
        let init = init.get_inner_expression();
        let whole: Option<&'a str> = module_spec(init).or_else(|| self.object_module(init));
        let member: Option<ModBinding<'a>> = match init {
            Expression::StaticMemberExpression(m) => self.object_module(&m.object).map(|module| ModBinding {
                module,
                name: Some(m.property.name.as_str()),
            }),
            Expression::CallExpression(c) if c.callee.is_specific_id("promisify") || c.callee.is_specific_member_access("util", "promisify") => {
                arg_expr(&c.arguments, 0)
                    .and_then(|x| self.callee_target(x))
                    .map(|(module, name)| ModBinding { module, name: Some(name) })
            }
            _ => None,
        };
        match id {
            BindingPattern::BindingIdentifier(b) => {
                if let Some(mb) = member {
                    self.modules.insert(b.name.as_str(), mb);
                } else if let (Some(module), true) = (whole, module_spec(init).is_some()) {
                    self.modules.insert(b.name.as_str(), ModBinding { module, name: None });
                }
            }
            BindingPattern::ObjectPattern(o) => {
                let Some(module) = whole else { return };
                for p in &o.properties {
                    let key: &'a str = match &p.key {
                        PropertyKey::StaticIdentifier(k) => k.name.as_str(),
                        PropertyKey::StringLiteral(k) => k.value.as_str(),
                        _ => continue,
                    };
                    let local = match &p.value {
                        BindingPattern::BindingIdentifier(b) => Some(b.name.as_str()),
                        BindingPattern::AssignmentPattern(a) => match &a.left {
                            BindingPattern::BindingIdentifier(b) => Some(b.name.as_str()),
                            _ => None,
                        },
                        _ => None,
                    };
                    if let Some(local) = local {
                        self.modules.insert(local, ModBinding { module, name: Some(key) });
                    }
                }
            }
            _ => {}
        }
    }

    /// The module an object expression stands for: a module binding, a conventional unbound name
    /// (`fs`, `path`…), `require('m')` / `import('m')`, or a member of one (`fs.promises`).
    fn object_module(&self, e: &Expression<'a>) -> Option<&'a str> {
        match e.get_inner_expression() {
            Expression::Identifier(id) => {
                let name = id.name.as_str();
                match self.modules.get(name) {
                    Some(b) => Some(b.module),
                    None if !self.consts.contains_key(name) && PSEUDO_MODULES.contains(&name) => Some(name),
                    None => None,
                }
            }
            Expression::StaticMemberExpression(m) => self.object_module(&m.object),
            other => module_spec(other),
        }
    }

    /// (module, function) of a callee: a module-bound identifier or a member of a module object.
    fn callee_target(&self, callee: &Expression<'a>) -> Option<(&'a str, &'a str)> {
        match callee.get_inner_expression() {
            Expression::Identifier(id) => {
                let b = self.modules.get(id.name.as_str())?;
                Some((b.module, b.name.unwrap_or(id.name.as_str())))
            }
            Expression::StaticMemberExpression(m) => Some((self.object_module(&m.object)?, m.property.name.as_str())),
            _ => None,
        }
    }

    /// Collect a block's `const/let/var x = init` so later uses resolve; returns what to restore.
    fn enter_block(&mut self, stmts: &'b [Statement<'a>]) -> Saved<'a, 'b> {
        let mut saved = Vec::new();
        for st in stmts {
            match st {
                Statement::FunctionDeclaration(f) => {
                    if let Some(id) = &f.id {
                        self.declared.insert(id.name.as_str());
                    }
                }
                Statement::ClassDeclaration(c) => {
                    if let Some(id) = &c.id {
                        self.declared.insert(id.name.as_str());
                    }
                }
                _ => {}
            }
            let decl = match st {
                Statement::VariableDeclaration(d) => d,
                Statement::ExportDeclaration(e) => match &e.declaration {
                    Declaration::VariableDeclaration(d) => d,
                    _ => continue,
                },
                _ => continue,
            };
            for d in &decl.declarations {
                if let (BindingPattern::BindingIdentifier(id), Some(init)) = (&d.id, &d.init) {
                    let name = id.name.as_str();
                    saved.push((name, self.consts.insert(name, Some(init))));
                } else {
                    let mut names = Vec::new();
                    Self::pattern_names(&d.id, &mut names, 0);
                    self.declared.extend(names);
                }
            }
        }
        saved
    }

    fn restore(&mut self, saved: Saved<'a, 'b>) {
        for (name, old) in saved.into_iter().rev() {
            match old {
                Some(v) => {
                    self.consts.insert(name, v);
                }
                None => {
                    self.consts.remove(name);
                }
            }
        }
    }

    fn pattern_names(p: &'b BindingPattern<'a>, out: &mut Vec<&'a str>, depth: usize) {
        if depth > 32 {
            return;
        }
        match p {
            BindingPattern::BindingIdentifier(b) => out.push(b.name.as_str()),
            BindingPattern::ObjectPattern(o) => {
                for prop in &o.properties {
                    Self::pattern_names(&prop.value, out, depth + 1);
                }
                if let Some(r) = &o.rest {
                    Self::pattern_names(&r.argument, out, depth + 1);
                }
            }
            BindingPattern::ArrayPattern(a) => {
                for el in a.elements.iter().flatten() {
                    Self::pattern_names(el, out, depth + 1);
                }
                if let Some(r) = &a.rest {
                    Self::pattern_names(&r.argument, out, depth + 1);
                }
            }
            BindingPattern::AssignmentPattern(a) => Self::pattern_names(&a.left, out, depth + 1),
        }
    }

    fn shadow_params(&mut self, params: &'b FormalParameters<'a>) -> Saved<'a, 'b> {
        let mut names = Vec::new();
        for p in &params.items {
            Self::pattern_names(&p.pattern, &mut names, 0);
        }
        if let Some(r) = &params.rest {
            Self::pattern_names(&r.rest.argument, &mut names, 0);
        }
        names.into_iter().map(|n| (n, self.consts.insert(n, None))).collect()
    }

    // ----- env -----

    fn is_process_env(e: &Expression<'a>) -> bool {
        match e.get_inner_expression() {
            Expression::StaticMemberExpression(m) if m.property.name == "env" => {
                matches!(m.object.get_inner_expression(), Expression::ImportMeta(_)) || m.object.is_specific_id("process") || m.object.is_specific_id("Bun")
            }
            _ => false,
        }
    }

    fn is_import_meta_env(e: &Expression<'a>) -> bool {
        matches!(e.get_inner_expression(), Expression::StaticMemberExpression(m)
            if m.property.name == "env" && matches!(m.object.get_inner_expression(), Expression::ImportMeta(_)))
    }

    fn is_env_object(&self, e: &Expression<'a>) -> bool {
        if Self::is_process_env(e) {
            return true;
        }
        match e.get_inner_expression() {
            Expression::Identifier(id) => {
                let n = id.name.as_str();
                self.env_objects.contains(n) || matches!(self.consts.get(n), Some(Some(init)) if Self::is_process_env(init))
            }
            _ => false,
        }
    }

    /// `process.env.X`, `process.env['X']`, `import.meta.env.X`, `Bun.env.X`, `env.X` → "X".
    /// Vite's own `import.meta.env.DEV` / `PROD` / `MODE` / `SSR` / `BASE_URL` are set by the
    /// bundler, not by the environment.
    fn env_member(&self, e: &Expression<'a>) -> Option<&'a str> {
        match e.get_inner_expression() {
            Expression::StaticMemberExpression(m)
                if matches!(m.property.name.as_str(), "DEV" | "PROD" | "MODE" | "SSR" | "BASE_URL") && Self::is_import_meta_env(&m.object) =>
            {
                None
            }
            Expression::StaticMemberExpression(m) if self.is_env_object(&m.object) => Some(m.property.name.as_str()),
            Expression::ComputedMemberExpression(m) if self.is_env_object(&m.object) => string_lit(&m.expression),
            _ => None,
        }
    }

    /// Env variable named by an expression: a direct read or a local destructured from the env.
    fn env_ref(&self, e: &Expression<'a>) -> Option<EnvLocal<'a, 'b>> {
        if let Some(n) = self.env_member(e) {
            return Some((n, None));
        }
        match e.get_inner_expression() {
            Expression::Identifier(id) if !matches!(self.consts.get(id.name.as_str()), Some(None)) => self.env_locals.get(id.name.as_str()).copied(),
            _ => None,
        }
    }

    fn record_env(&mut self, name: &str, span: Span, default: Option<&Expression<'a>>) {
        let line = self.line(span);
        let lit = if self.hint_depth > 0 {
            None
        } else {
            default.and_then(|d| literal_text(d).or_else(|| self.const_literal(d)))
        };
        self.facts.env_reads.push(EnvRead {
            name: name.to_string(),
            line,
            default: lit,
            has_default: default.is_some(),
            schema: false,
            min_len: None,
            dev_only: self.dev_depth > 0,
            in_fallback: self.fallback_depth > 0,
            schema_default: false,
        });
    }

    fn const_literal(&self, e: &Expression<'a>) -> Option<String> {
        match e.get_inner_expression() {
            Expression::Identifier(id) => match self.consts.get(id.name.as_str()) {
                Some(Some(init)) => literal_text(init),
                _ => None,
            },
            _ => None,
        }
    }

    /// `const { A, B = 'd', C: c } = process.env` (or from an env object).
    fn env_destructure(&mut self, o: &'b ObjectPattern<'a>) {
        for p in &o.properties {
            let name: &'a str = match &p.key {
                PropertyKey::StaticIdentifier(k) => k.name.as_str(),
                PropertyKey::StringLiteral(k) => k.value.as_str(),
                _ => continue,
            };
            let (local, default) = match &p.value {
                BindingPattern::BindingIdentifier(b) => (Some(b.name.as_str()), None),
                BindingPattern::AssignmentPattern(a) => match &a.left {
                    BindingPattern::BindingIdentifier(b) => (Some(b.name.as_str()), Some(&a.right)),
                    _ => (None, Some(&a.right)),
                },
                _ => (None, None),
            };
            self.record_env(name, p.span, default);
            if let Some(local) = local {
                self.env_locals.insert(local, (name, default));
            }
        }
    }

    // ----- schedulers, schemas, guards -----

    fn sched(&mut self, lib: &str, line: usize) {
        self.facts.schedulers.push((lib.to_string(), line));
        if self.fn_depth == 0 && !matches!(lib, "bull" | "bullmq") {
            self.facts.top_jobs.push(TopJob {
                kind: lib.to_string(),
                line,
                period_ms: None,
            });
        }
    }

    /// A constant number: a literal, a product or sum of constants, or a constant holding one.
    fn const_number(&self, e: &Expression<'a>, depth: usize) -> Option<f64> {
        if depth > 2 * MAX_RESOLVE || !self.spend() {
            return None;
        }
        match e.get_inner_expression() {
            Expression::NumericLiteral(n) => Some(n.value),
            Expression::BinaryExpression(b) => {
                let (l, r) = (self.const_number(&b.left, depth + 1)?, self.const_number(&b.right, depth + 1)?);
                match b.operator {
                    BinaryOperator::Multiplication => Some(l * r),
                    BinaryOperator::Addition => Some(l + r),
                    _ => None,
                }
            }
            Expression::Identifier(_) => self.resolve_const(e).and_then(|i| self.const_number(i, depth + 1)),
            _ => None,
        }
    }

    /// The env variable an expression reads: a direct read, a destructured local, or a constant
    /// initialised with a read.
    fn env_name_of(&self, e: &Expression<'a>, depth: usize) -> Option<&'a str> {
        if let Some((n, _)) = self.env_ref(e) {
            return Some(n);
        }
        if depth > MAX_RESOLVE {
            return None;
        }
        match e.get_inner_expression() {
            Expression::Identifier(_) => self.resolve_const(e).and_then(|i| self.env_name_of(i, depth + 1)),
            _ => None,
        }
    }

    /// Does the test select development (Some(true)) or production (Some(false)) on its true side?
    fn dev_test(&self, e: &Expression<'a>, depth: usize) -> Option<bool> {
        if depth > MAX_RESOLVE {
            return None;
        }
        match e.get_inner_expression() {
            Expression::BinaryExpression(b) => {
                let eq = match b.operator {
                    BinaryOperator::StrictEquality | BinaryOperator::Equality => true,
                    BinaryOperator::StrictInequality | BinaryOperator::Inequality => false,
                    _ => return None,
                };
                let (envs, lit) = match (self.env_name_of(&b.left, 0), self.env_name_of(&b.right, 0)) {
                    (Some(n), _) => (n, string_lit(&b.right)?),
                    (_, Some(n)) => (n, string_lit(&b.left)?),
                    _ => return None,
                };
                if envs != "NODE_ENV" && envs != "APP_ENV" && envs != "VERCEL_ENV" {
                    return None;
                }
                match lit {
                    "production" | "prod" => Some(!eq),
                    "development" | "dev" | "test" | "local" => Some(eq),
                    _ => None,
                }
            }
            Expression::UnaryExpression(u) if u.operator == UnaryOperator::LogicalNot => self.dev_test(&u.argument, depth + 1).map(|d| !d),
            Expression::LogicalExpression(l) if l.operator == LogicalOperator::And => {
                match (self.dev_test(&l.left, depth + 1), self.dev_test(&l.right, depth + 1)) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    _ => None,
                }
            }
            Expression::Identifier(_) => self.resolve_const(e).and_then(|i| self.dev_test(i, depth + 1)),
            _ => None,
        }
    }

    /// Env variables an `if` test mentions (directly, destructured, or through a constant).
    fn env_names_in(&self, e: &Expression<'a>, out: &mut Vec<&'a str>, depth: usize) {
        if depth > 16 {
            return;
        }
        if let Some(n) = self.env_name_of(e, 0) {
            out.push(n);
            return;
        }
        match e.get_inner_expression() {
            Expression::LogicalExpression(l) => {
                self.env_names_in(&l.left, out, depth + 1);
                self.env_names_in(&l.right, out, depth + 1);
            }
            Expression::BinaryExpression(b) => {
                self.env_names_in(&b.left, out, depth + 1);
                self.env_names_in(&b.right, out, depth + 1);
            }
            Expression::UnaryExpression(u) => self.env_names_in(&u.argument, out, depth + 1),
            Expression::StaticMemberExpression(m) => self.env_names_in(&m.object, out, depth + 1),
            Expression::CallExpression(c) => {
                for a in c.arguments.iter().filter_map(Argument::as_expression) {
                    self.env_names_in(a, out, depth + 1);
                }
            }
            _ => {}
        }
    }

    fn on_if(&mut self, i: &'b IfStatement<'a>) {
        fn stops(st: &Statement<'_>, depth: usize) -> bool {
            match st {
                Statement::ThrowStatement(_) => true,
                Statement::ExpressionStatement(e) => match e.expression.get_inner_expression() {
                    Expression::CallExpression(c) => c.callee.is_specific_member_access("process", "exit"),
                    _ => false,
                },
                Statement::BlockStatement(b) => b.body.iter().any(|s| stops(s, depth)),
                Statement::IfStatement(i) if depth < 2 => stops(&i.consequent, depth + 1),
                _ => false,
            }
        }
        fn rejects(st: &Statement<'_>) -> bool {
            match st {
                Statement::ThrowStatement(_) | Statement::ReturnStatement(_) => true,
                Statement::BlockStatement(b) => b.body.iter().any(|s| matches!(s, Statement::ThrowStatement(_) | Statement::ReturnStatement(_))),
                _ => false,
            }
        }
        if stops(&i.consequent, 0) {
            let mut mins = Vec::new();
            self.length_checks(&i.test, &mut mins, 0);
            let line = self.line(i.span);
            for (n, min) in mins {
                self.facts.env_min_lengths.push((n.to_string(), min, line));
            }
            let mut names = Vec::new();
            self.env_names_in(&i.test, &mut names, 0);
            for n in names {
                if !self.facts.env_guards.iter().any(|g| g == n) {
                    self.facts.env_guards.push(n.to_string());
                }
            }
        }
        // `if (process.env.X && token !== process.env.X) return 401`: unset X lets everyone in.
        if let Expression::LogicalExpression(l) = i.test.get_inner_expression() {
            if l.operator == LogicalOperator::And && rejects(&i.consequent) {
                if let (Some(x), Expression::BinaryExpression(b)) = (self.env_name_of(&l.left, 0), l.right.get_inner_expression()) {
                    let ne = matches!(b.operator, BinaryOperator::StrictInequality | BinaryOperator::Inequality);
                    // `token !== process.env.X`, or `auth !== `Bearer ${process.env.X}``.
                    let names = |e: &Expression<'a>| match e.get_inner_expression() {
                        Expression::TemplateLiteral(t) => t.expressions.iter().any(|x2| self.env_name_of(x2, 0) == Some(x)),
                        other => self.env_name_of(other, 0) == Some(x),
                    };
                    let same = names(&b.left) || names(&b.right);
                    if ne && same {
                        let line = self.line(i.span);
                        self.facts.fail_open_auth.push((x.to_string(), line));
                    }
                }
            }
        }
    }

    /// `X.length < N` / `X.length <= N` inside a test: (variable, minimum length).
    fn length_checks(&self, e: &Expression<'a>, out: &mut Vec<(&'a str, usize)>, depth: usize) {
        if depth > 16 {
            return;
        }
        match e.get_inner_expression() {
            Expression::LogicalExpression(l) => {
                self.length_checks(&l.left, out, depth + 1);
                self.length_checks(&l.right, out, depth + 1);
            }
            Expression::BinaryExpression(b) if matches!(b.operator, BinaryOperator::LessThan | BinaryOperator::LessEqualThan) => {
                let Expression::StaticMemberExpression(m) = b.left.get_inner_expression() else {
                    return;
                };
                if m.property.name != "length" {
                    return;
                }
                let (Some(name), Some(n)) = (self.env_name_of(&m.object, 0), self.const_number(&b.right, 0)) else {
                    return;
                };
                if n >= 1.0 && n.fract() == 0.0 && n < 100_000.0 {
                    let min = n as usize + usize::from(b.operator == BinaryOperator::LessEqualThan);
                    out.push((name, min));
                }
            }
            _ => {}
        }
    }

    /// ORM configuration objects that open an SQLite file: knex `{ client: 'sqlite3', connection:
    /// { filename } }`, Sequelize `{ dialect: 'sqlite', storage }`, TypeORM `{ type: 'sqlite',
    /// database }`.
    fn sqlite_config(&mut self, o: &'b ObjectExpression<'a>) {
        let lit = |key: &str| prop_value(o, key).and_then(string_lit);
        let file = if lit("client").is_some_and(|c| matches!(c, "sqlite3" | "better-sqlite3" | "sqlite")) {
            match prop_value(o, "connection").map(Expression::get_inner_expression) {
                Some(Expression::ObjectExpression(c)) => prop_value(c, "filename"),
                Some(other) => Some(other),
                None => None,
            }
        } else if lit("dialect") == Some("sqlite") {
            prop_value(o, "storage")
        } else if lit("type").is_some_and(|t| matches!(t, "sqlite" | "better-sqlite3")) {
            prop_value(o, "database")
        } else {
            return;
        };
        let Some(file) = file else { return };
        if string_lit(file).is_some_and(|s| s.is_empty() || s == ":memory:") {
            return;
        }
        let line = self.line(file.span());
        let path = self.path_expr(file, 0);
        self.facts.fs_writes.push(FsWrite {
            func: "Database".into(),
            line,
            path,
        });
    }

    /// t3-env `createEnv({ server: {…}, client: {…}, shared: {…} })`.
    fn env_schema_create(&mut self, c: &'b CallExpression<'a>) {
        let Some(Expression::ObjectExpression(o)) = arg_expr(&c.arguments, 0).map(Expression::get_inner_expression) else {
            return;
        };
        for key in ["server", "client", "shared"] {
            if let Some(Expression::ObjectExpression(inner)) = prop_value(o, key).map(Expression::get_inner_expression) {
                self.env_schema_keys(inner);
            }
        }
    }

    /// `schema.parse(process.env)` where the schema is `z.object({…})` (here or in a constant).
    fn env_schema_parse(&mut self, schema: &'b Expression<'a>, depth: usize) {
        if depth > MAX_RESOLVE {
            return;
        }
        match schema.get_inner_expression() {
            Expression::Identifier(_) => {
                if let Some(init) = self.resolve_const(schema) {
                    self.env_schema_parse(init, depth + 1);
                }
            }
            Expression::CallExpression(c) => {
                let Expression::StaticMemberExpression(m) = c.callee.get_inner_expression() else {
                    return;
                };
                match m.property.name.as_str() {
                    "object" | "strictObject" | "looseObject" => {
                        if let Some(Expression::ObjectExpression(o)) = arg_expr(&c.arguments, 0).map(Expression::get_inner_expression) {
                            self.env_schema_keys(o);
                        }
                    }
                    "strict" | "passthrough" | "strip" | "partial" | "required" | "readonly" => self.env_schema_parse(&m.object, depth + 1),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn env_schema_keys(&mut self, o: &'b ObjectExpression<'a>) {
        self.env_schema_keys_at(o, 0);
    }

    /// An object literal, after constant resolution: `x` (`const x = { … }`) or `x.server`
    /// (`const x = { server: { … } }`).
    fn object_value(&self, e: &'b Expression<'a>, depth: usize) -> Option<&'b ObjectExpression<'a>> {
        if depth >= MAX_RESOLVE || !self.spend() {
            return None;
        }
        match e.get_inner_expression() {
            Expression::ObjectExpression(o) => Some(o),
            Expression::Identifier(_) => self.resolve_const(e).and_then(|init| self.object_value(init, depth + 1)),
            Expression::StaticMemberExpression(m) => {
                let parent = self.object_value(&m.object, depth + 1)?;
                parent.properties.iter().find_map(|p| match p {
                    ObjectPropertyKind::ObjectProperty(p) if p.key.static_name().is_some_and(|k| k == m.property.name.as_str()) => {
                        self.object_value(&p.value, depth + 1)
                    }
                    _ => None,
                })
            }
            _ => None,
        }
    }

    fn env_schema_keys_at(&mut self, o: &'b ObjectExpression<'a>, depth: usize) {
        for p in &o.properties {
            // `server: { ...authEnv.server, DATABASE_URL: z.string() }`: the spread object's keys.
            if let ObjectPropertyKind::SpreadProperty(sp) = p {
                if depth < MAX_RESOLVE {
                    if let Some(inner) = self.object_value(&sp.argument, 0) {
                        self.env_schema_keys_at(inner, depth + 1);
                    }
                }
                continue;
            }
            let ObjectPropertyKind::ObjectProperty(p) = p else { continue };
            let Some(name) = p.key.static_name() else { continue };
            let (default, has_default, min_len, schema_default) = zod_chain(&p.value);
            let line = self.line(p.key.span());
            self.facts.env_reads.push(EnvRead {
                name: name.to_string(),
                line,
                default,
                has_default,
                schema: true,
                min_len,
                dev_only: self.dev_depth > 0,
                in_fallback: self.fallback_depth > 0,
                schema_default,
            });
        }
    }

    // ----- statements -----

    fn top_level_exports(&mut self, st: &'b Statement<'a>) {
        match st {
            Statement::ExportDeclaration(e) => match &e.declaration {
                Declaration::FunctionDeclaration(f) => {
                    if let Some(id) = &f.id {
                        self.http_method(id.name.as_str(), id.span);
                    }
                }
                Declaration::VariableDeclaration(d) => {
                    for decl in &d.declarations {
                        if let BindingPattern::BindingIdentifier(id) = &decl.id {
                            self.http_method(id.name.as_str(), id.span);
                        }
                    }
                }
                _ => {}
            },
            Statement::ExportNamedDeclaration(e) if e.export_kind.is_value() => {
                for s in &e.specifiers {
                    self.http_method(s.exported.name().as_str(), s.span);
                }
            }
            Statement::ExportFromDeclaration(e) if e.export_kind.is_value() => {
                for s in &e.specifiers {
                    self.http_method(s.exported.name().as_str(), s.span);
                }
            }
            _ => {}
        }
    }

    fn http_method(&mut self, name: &str, span: Span) {
        if HTTP_METHODS.contains(&name) {
            let line = self.line(span);
            self.facts.http_methods.push((name.to_string(), line));
        }
    }

    fn visit_body(&mut self, stmts: &'b [Statement<'a>]) {
        let saved = self.enter_block(stmts);
        for st in stmts {
            self.visit_stmt(st);
        }
        self.restore(saved);
    }

    fn visit_stmt(&mut self, st: &'b Statement<'a>) {
        if !self.enter(st.span()) {
            return;
        }
        self.visit_stmt_inner(st);
        self.depth -= 1;
    }

    fn visit_stmt_inner(&mut self, st: &'b Statement<'a>) {
        match st {
            Statement::BlockStatement(b) => self.visit_body(&b.body),
            Statement::ExpressionStatement(e) => self.visit_expr(&e.expression),
            Statement::IfStatement(i) => {
                self.visit_expr(&i.test);
                self.on_if(i);
                let dev = self.dev_test(&i.test, 0);
                let d = usize::from(dev == Some(true));
                self.dev_depth += d;
                self.visit_stmt(&i.consequent);
                self.dev_depth -= d;
                if let Some(alt) = &i.alternate {
                    let d = usize::from(dev == Some(false));
                    self.dev_depth += d;
                    self.visit_stmt(alt);
                    self.dev_depth -= d;
                }
            }
            Statement::ForStatement(f) => {
                match &f.init {
                    Some(ForStatementInit::VariableDeclaration(d)) => self.visit_var_decl(d),
                    Some(other) => {
                        if let Some(e) = other.as_expression() {
                            self.visit_expr(e);
                        }
                    }
                    None => {}
                }
                if let Some(t) = &f.test {
                    self.visit_expr(t);
                }
                if let Some(u) = &f.update {
                    self.visit_expr(u);
                }
                self.visit_stmt(&f.body);
            }
            Statement::ForInStatement(f) => {
                if let ForStatementLeft::VariableDeclaration(d) = &f.left {
                    self.visit_var_decl(d);
                }
                self.visit_expr(&f.right);
                self.visit_stmt(&f.body);
            }
            Statement::ForOfStatement(f) => {
                if let ForStatementLeft::VariableDeclaration(d) = &f.left {
                    self.visit_var_decl(d);
                }
                self.visit_expr(&f.right);
                self.visit_stmt(&f.body);
            }
            Statement::WhileStatement(w) => {
                self.visit_expr(&w.test);
                self.visit_stmt(&w.body);
            }
            Statement::DoWhileStatement(w) => {
                self.visit_stmt(&w.body);
                self.visit_expr(&w.test);
            }
            Statement::ReturnStatement(r) => {
                if let Some(a) = &r.argument {
                    self.visit_expr(a);
                }
            }
            Statement::ThrowStatement(t) => self.visit_expr(&t.argument),
            Statement::SwitchStatement(s) => {
                self.visit_expr(&s.discriminant);
                for c in &s.cases {
                    if let Some(t) = &c.test {
                        self.visit_expr(t);
                    }
                    self.visit_body(&c.consequent);
                }
            }
            Statement::LabeledStatement(l) => self.visit_stmt(&l.body),
            Statement::TryStatement(t) => {
                let handled = t.handler.as_ref().is_some_and(|h| !body_throws(&h.body.body));
                let d = usize::from(handled);
                self.try_depth += d;
                self.visit_body(&t.block.body);
                self.try_depth -= d;
                if let Some(h) = &t.handler {
                    self.visit_body(&h.body.body);
                }
                if let Some(f) = &t.finalizer {
                    self.visit_body(&f.body);
                }
            }
            Statement::WithStatement(w) => {
                self.visit_expr(&w.object);
                self.visit_stmt(&w.body);
            }
            Statement::VariableDeclaration(d) => self.visit_var_decl(d),
            Statement::FunctionDeclaration(f) => self.visit_function(f),
            Statement::ClassDeclaration(c) => self.visit_class(c),
            Statement::ImportDeclaration(i) => {
                if i.import_kind.is_value() {
                    let line = self.line(i.span);
                    self.facts.imports.push((i.source.value.to_string(), line));
                }
                self.bind_import(i);
            }
            Statement::ExportDefaultDeclaration(e) => match &e.declaration {
                ExportDefaultDeclarationKind::FunctionDeclaration(f) => self.visit_function(f),
                ExportDefaultDeclarationKind::ClassDeclaration(c) => self.visit_class(c),
                ExportDefaultDeclarationKind::TSInterfaceDeclaration(_) => {}
                other => {
                    if let Some(x) = other.as_expression() {
                        self.visit_expr(x);
                    }
                }
            },
            Statement::ExportDeclaration(e) => match &e.declaration {
                Declaration::VariableDeclaration(d) => self.visit_var_decl(d),
                Declaration::FunctionDeclaration(f) => self.visit_function(f),
                Declaration::ClassDeclaration(c) => self.visit_class(c),
                _ => {}
            },
            Statement::ExportFromDeclaration(e) if e.export_kind.is_value() => {
                let line = self.line(e.span);
                self.facts.imports.push((e.source.value.to_string(), line));
            }
            Statement::ExportAllDeclaration(e) if e.export_kind.is_value() => {
                let line = self.line(e.span);
                self.facts.imports.push((e.source.value.to_string(), line));
            }
            Statement::TSExportAssignment(e) => self.visit_expr(&e.expression),
            Statement::TSImportEqualsDeclaration(d) => {
                if let TSModuleReference::ExternalModuleReference(r) = &d.module_reference {
                    let module = r.expression.value.as_str();
                    if d.import_kind.is_value() {
                        let line = self.line(d.span);
                        self.facts.imports.push((module.to_string(), line));
                    }
                    self.modules.insert(d.id.name.as_str(), ModBinding { module, name: None });
                }
            }
            _ => {}
        }
    }

    fn visit_var_decl(&mut self, d: &'b VariableDeclaration<'a>) {
        for decl in &d.declarations {
            if decl.init.is_none() {
                // `for (const x of xs)`, `let x;`: a local name, never a global function.
                let mut names = Vec::new();
                Self::pattern_names(&decl.id, &mut names, 0);
                self.declared.extend(names);
            }
            if let Some(init) = &decl.init {
                self.bind_from_init(&decl.id, init);
                if let BindingPattern::ObjectPattern(o) = &decl.id {
                    if self.is_env_object(init) {
                        self.env_destructure(o);
                        continue;
                    }
                }
            }
            self.visit_pattern(&decl.id);
            if let Some(init) = &decl.init {
                self.visit_expr(init);
            }
        }
    }

    /// Visit default values and computed keys inside a binding pattern.
    fn visit_pattern(&mut self, p: &'b BindingPattern<'a>) {
        if !self.enter(p.span()) {
            return;
        }
        match p {
            BindingPattern::BindingIdentifier(_) => {}
            BindingPattern::ObjectPattern(o) => {
                for prop in &o.properties {
                    if prop.computed {
                        if let Some(k) = prop.key.as_expression() {
                            self.visit_expr(k);
                        }
                    }
                    self.visit_pattern(&prop.value);
                }
            }
            BindingPattern::ArrayPattern(a) => {
                for el in a.elements.iter().flatten() {
                    self.visit_pattern(el);
                }
            }
            BindingPattern::AssignmentPattern(a) => {
                self.visit_pattern(&a.left);
                self.visit_expr(&a.right);
            }
        }
        self.depth -= 1;
    }

    fn visit_params(&mut self, params: &'b FormalParameters<'a>) {
        for p in &params.items {
            self.visit_pattern(&p.pattern);
            if let Some(init) = &p.initializer {
                self.visit_expr(init);
            }
        }
    }

    fn visit_function(&mut self, f: &'b Function<'a>) {
        if !self.enter(f.span) {
            return;
        }
        let register = self.instrumentation && self.fn_depth == 0 && f.id.as_ref().is_some_and(|id| id.name == "register");
        let fd = usize::from(!register);
        self.fn_depth += fd;
        let tries = std::mem::take(&mut self.try_depth);
        let saved = self.shadow_params(&f.params);
        self.visit_params(&f.params);
        if let Some(body) = &f.body {
            self.visit_body(&body.statements);
        }
        self.restore(saved);
        self.try_depth = tries;
        self.fn_depth -= fd;
        self.depth -= 1;
    }

    fn visit_arrow(&mut self, f: &'b ArrowFunctionExpression<'a>) {
        if !self.enter(f.span) {
            return;
        }
        self.fn_depth += 1;
        let tries = std::mem::take(&mut self.try_depth);
        let saved = self.shadow_params(&f.params);
        self.visit_params(&f.params);
        if let Some(e) = f.get_expression() {
            self.visit_expr(e);
        } else if let Some(body) = f.get_function_body() {
            self.visit_body(&body.statements);
        }
        self.restore(saved);
        self.try_depth = tries;
        self.fn_depth -= 1;
        self.depth -= 1;
    }

    fn visit_class(&mut self, c: &'b Class<'a>) {
        if !self.enter(c.span) {
            return;
        }
        if let Some(h) = &c.heritage {
            self.visit_expr(&h.expression);
        }
        for el in &c.body.body {
            match el {
                ClassElement::MethodDefinition(m) => self.visit_function(&m.value),
                ClassElement::PropertyDefinition(p) => {
                    if let Some(v) = &p.value {
                        self.visit_expr(v);
                    }
                }
                ClassElement::AccessorProperty(p) => {
                    if let Some(v) = &p.value {
                        self.visit_expr(v);
                    }
                }
                ClassElement::StaticBlock(b) => self.visit_body(&b.body),
                ClassElement::TSIndexSignature(_) => {}
            }
        }
        self.depth -= 1;
    }

    // ----- expressions -----

    fn visit_expr(&mut self, e: &'b Expression<'a>) {
        if !self.enter(e.span()) {
            return;
        }
        self.visit_expr_inner(e);
        self.depth -= 1;
    }

    fn visit_args(&mut self, args: &'b [Argument<'a>]) {
        for a in args {
            match a {
                Argument::SpreadElement(s) => self.visit_expr(&s.argument),
                other => {
                    if let Some(e) = other.as_expression() {
                        self.visit_expr(e);
                    }
                }
            }
        }
    }

    fn visit_template(&mut self, t: &'b TemplateLiteral<'a>) {
        for q in &t.quasis {
            if self.in_content_type > 0 && q.value.raw.contains("text/event-stream") {
                let line = self.line(q.span);
                self.sse(line);
            }
        }
        for e in &t.expressions {
            self.visit_expr(e);
        }
    }

    fn sse(&mut self, line: usize) {
        if self.facts.sse.last() != Some(&line) {
            self.facts.sse.push(line);
        }
    }

    fn visit_member(&mut self, m: &'b MemberExpression<'a>) {
        match m {
            MemberExpression::ComputedMemberExpression(c) => {
                self.visit_expr(&c.object);
                self.visit_expr(&c.expression);
            }
            MemberExpression::StaticMemberExpression(s) => self.visit_expr(&s.object),
            MemberExpression::PrivateFieldExpression(p) => self.visit_expr(&p.object),
        }
    }

    fn visit_expr_inner(&mut self, e: &'b Expression<'a>) {
        match e {
            Expression::StringLiteral(s) if self.in_content_type > 0 && s.value.contains("text/event-stream") => {
                let line = self.line(s.span);
                self.sse(line);
            }
            Expression::TemplateLiteral(t) => self.visit_template(t),
            Expression::StaticMemberExpression(m) => {
                if let Some(name) = self.env_member(e) {
                    self.record_env(name, m.span, None);
                } else {
                    if self.in_schema == 0 && Self::is_process_env(e) {
                        self.facts.env_opaque = true;
                    }
                    self.visit_expr(&m.object);
                }
            }
            Expression::ComputedMemberExpression(m) => {
                if let Some(name) = self.env_member(e) {
                    self.record_env(name, m.span, None);
                } else {
                    self.visit_expr(&m.object);
                    self.visit_expr(&m.expression);
                }
            }
            Expression::PrivateFieldExpression(m) => self.visit_expr(&m.object),
            Expression::CallExpression(c) => self.visit_call(c),
            Expression::NewExpression(n) => {
                self.on_new(n);
                self.visit_expr(&n.callee);
                self.visit_args(&n.arguments);
            }
            Expression::TaggedTemplateExpression(t) => {
                self.on_tagged(t);
                self.visit_expr(&t.tag);
                self.visit_template(&t.quasi);
            }
            Expression::LogicalExpression(l) => {
                let fallback = usize::from(matches!(l.operator, LogicalOperator::Or | LogicalOperator::Coalesce));
                if fallback == 1 {
                    if let Some(name) = self.env_member(&l.left) {
                        self.record_env(name, l.left.span(), Some(&l.right));
                        self.fallback_depth += 1;
                        self.visit_expr(&l.right);
                        self.fallback_depth -= 1;
                        return;
                    }
                }
                self.visit_expr(&l.left);
                self.fallback_depth += fallback;
                self.visit_expr(&l.right);
                self.fallback_depth -= fallback;
            }
            Expression::ConditionalExpression(c) => {
                self.visit_expr(&c.test);
                let dev = self.dev_test(&c.test, 0);
                let d = usize::from(dev == Some(true));
                self.dev_depth += d;
                self.visit_expr(&c.consequent);
                self.dev_depth -= d;
                let d = usize::from(dev == Some(false));
                self.dev_depth += d;
                self.visit_expr(&c.alternate);
                self.dev_depth -= d;
            }
            Expression::BinaryExpression(b) => {
                self.visit_expr(&b.left);
                self.visit_expr(&b.right);
            }
            Expression::UnaryExpression(u) => self.visit_expr(&u.argument),
            Expression::AssignmentExpression(a) => {
                match &a.left {
                    AssignmentTarget::StaticMemberExpression(m) if !self.is_env_object(&m.object) => self.visit_expr(&m.object),
                    AssignmentTarget::ComputedMemberExpression(m) => {
                        if !self.is_env_object(&m.object) {
                            self.visit_expr(&m.object);
                        }
                        self.visit_expr(&m.expression);
                    }
                    _ => {}
                }
                self.visit_expr(&a.right);
            }
            Expression::SequenceExpression(s) => {
                for x in &s.expressions {
                    self.visit_expr(x);
                }
            }
            Expression::AwaitExpression(a) => self.visit_expr(&a.argument),
            Expression::YieldExpression(y) => {
                if let Some(a) = &y.argument {
                    self.visit_expr(a);
                }
            }
            Expression::ChainExpression(c) => match &c.expression {
                ChainElement::CallExpression(call) => self.visit_call(call),
                ChainElement::StaticMemberExpression(m) if self.is_env_object(&m.object) => self.record_env(m.property.name.as_str(), m.span, None),
                ChainElement::TSNonNullExpression(t) => self.visit_expr(&t.expression),
                other => {
                    if let Some(m) = other.as_member_expression() {
                        self.visit_member(m);
                    }
                }
            },
            Expression::ParenthesizedExpression(p) => self.visit_expr(&p.expression),
            Expression::ArrayExpression(a) => {
                for el in &a.elements {
                    match el {
                        ArrayExpressionElement::SpreadElement(s) => self.visit_expr(&s.argument),
                        ArrayExpressionElement::Elision(_) => {}
                        other => {
                            if let Some(x) = other.as_expression() {
                                self.visit_expr(x);
                            }
                        }
                    }
                }
            }
            Expression::ObjectExpression(o) => {
                self.sqlite_config(o);
                for p in &o.properties {
                    match p {
                        ObjectPropertyKind::ObjectProperty(p) => {
                            if p.computed {
                                if let Some(k) = p.key.as_expression() {
                                    self.visit_expr(k);
                                }
                            }
                            let ct = p.key.static_name().is_some_and(|k| is_content_type_name(&k));
                            let hint = !p.computed
                                && p.key
                                    .static_name()
                                    .is_some_and(|k| matches!(k.as_ref(), "placeholder" | "description" | "helperText" | "hint" | "label"));
                            self.in_content_type += usize::from(ct);
                            self.hint_depth += usize::from(hint);
                            self.visit_expr(&p.value);
                            self.hint_depth -= usize::from(hint);
                            self.in_content_type -= usize::from(ct);
                        }
                        ObjectPropertyKind::SpreadProperty(s) => self.visit_expr(&s.argument),
                    }
                }
            }
            Expression::ArrowFunctionExpression(f) => self.visit_arrow(f),
            Expression::FunctionExpression(f) => self.visit_function(f),
            Expression::ClassExpression(c) => self.visit_class(c),
            Expression::ImportExpression(i) => {
                if let Some(s) = string_lit(&i.source) {
                    let line = self.line(i.span);
                    self.facts.imports.push((s.to_string(), line));
                }
                self.visit_expr(&i.source);
                if let Some(o) = &i.options {
                    self.visit_expr(o);
                }
            }
            Expression::JSXElement(j) => self.visit_jsx_element(j),
            Expression::JSXFragment(f) => self.visit_jsx_children(&f.children),
            Expression::TSAsExpression(x) => self.visit_expr(&x.expression),
            Expression::TSSatisfiesExpression(x) => self.visit_expr(&x.expression),
            Expression::TSTypeAssertion(x) => self.visit_expr(&x.expression),
            Expression::TSNonNullExpression(x) => self.visit_expr(&x.expression),
            Expression::TSInstantiationExpression(x) => self.visit_expr(&x.expression),
            _ => {}
        }
    }

    fn visit_jsx_element(&mut self, el: &'b JSXElement<'a>) {
        if !self.enter(el.span) {
            return;
        }
        for attr in &el.opening_element.attributes {
            match attr {
                JSXAttributeItem::Attribute(a) => match &a.value {
                    Some(JSXAttributeValue::ExpressionContainer(c)) => {
                        if let Some(x) = c.expression.as_expression() {
                            self.visit_expr(x);
                        }
                    }
                    Some(JSXAttributeValue::Element(e)) => self.visit_jsx_element(e),
                    Some(JSXAttributeValue::Fragment(f)) => self.visit_jsx_children(&f.children),
                    Some(JSXAttributeValue::StringLiteral(_)) | None => {}
                },
                JSXAttributeItem::SpreadAttribute(s) => self.visit_expr(&s.argument),
            }
        }
        self.visit_jsx_children(&el.children);
        self.depth -= 1;
    }

    fn visit_jsx_children(&mut self, children: &'b [JSXChild<'a>]) {
        let span = children.first().map(GetSpan::span).unwrap_or_default();
        if !self.enter(span) {
            return;
        }
        for ch in children {
            match ch {
                JSXChild::Text(_) => {}
                JSXChild::Element(e) => self.visit_jsx_element(e),
                JSXChild::Fragment(f) => self.visit_jsx_children(&f.children),
                JSXChild::ExpressionContainer(c) => {
                    if let Some(x) = c.expression.as_expression() {
                        self.visit_expr(x);
                    }
                }
                JSXChild::Spread(s) => self.visit_expr(&s.expression),
            }
        }
        self.depth -= 1;
    }

    // ----- calls -----

    fn visit_call(&mut self, c: &'b CallExpression<'a>) {
        self.on_call(c);
        self.visit_expr(&c.callee);
        // `process.env` handed to an env schema is read key by key (see `env_schema_*`).
        let schema = match c.callee.get_inner_expression() {
            Expression::Identifier(id) => id.name == "createEnv" || id.name == "cleanEnv",
            Expression::StaticMemberExpression(m) => matches!(m.property.name.as_str(), "parse" | "safeParse" | "parseAsync" | "safeParseAsync"),
            _ => false,
        };
        // `setHeader('Content-Type', 'text/event-stream')`, `headers.set(...)`, `c.header(...)`,
        // `res.type('text/event-stream')`, `res.contentType(...)`.
        let ct = c
            .arguments
            .iter()
            .any(|a| a.as_expression().and_then(|e| string_lit(e)).is_some_and(is_content_type_name))
            || matches!(c.callee.get_inner_expression(), Expression::StaticMemberExpression(m) if matches!(m.property.name.as_str(), "type" | "contentType"));
        self.in_schema += usize::from(schema);
        self.in_content_type += usize::from(ct);
        self.visit_args(&c.arguments);
        self.in_content_type -= usize::from(ct);
        self.in_schema -= usize::from(schema);
    }

    fn on_call(&mut self, c: &'b CallExpression<'a>) {
        let callee = c.callee.get_inner_expression();
        let client_fn = match callee {
            Expression::Identifier(id) => Some(id.name.as_str()),
            Expression::StaticMemberExpression(m) => Some(m.property.name.as_str()),
            _ => None,
        };
        if client_fn.is_some_and(|f| {
            matches!(
                f,
                "connect" | "createClient" | "createConnection" | "createPool" | "postgres" | "drizzle" | "neon"
            )
        }) {
            self.client_url(&c.arguments);
        }
        let line = match callee {
            Expression::Identifier(id) => {
                let line = self.line(id.span);
                match id.name.as_str() {
                    "require" => {
                        if let Some(s) = arg_expr(&c.arguments, 0).and_then(string_lit) {
                            self.facts.imports.push((s.to_string(), line));
                        }
                        return;
                    }
                    "setInterval" if !self.modules.contains_key("setInterval") => {
                        self.facts.intervals.push(line);
                        if self.fn_depth == 0 {
                            let period_ms = arg_expr(&c.arguments, 1).and_then(|a| self.const_number(a, 0)).map(|v| v as u64);
                            self.facts.top_jobs.push(TopJob {
                                kind: "setInterval".into(),
                                line,
                                period_ms,
                            });
                        }
                        return;
                    }
                    "createEnv" if !self.declared.contains("createEnv") => {
                        self.env_schema_create(c);
                        return;
                    }
                    // envalid: `cleanEnv(process.env, { PORT: port({ default: 3000 }), … })`.
                    "cleanEnv" if !self.declared.contains("cleanEnv") => {
                        if let Some(o) = arg_expr(&c.arguments, 1).and_then(|e| self.object_value(e, 0)) {
                            self.env_schema_keys(o);
                        }
                        return;
                    }
                    name if self.is_global(name) => {
                        // Not imported or declared here: the conventional Node function.
                        if UNBOUND_FS.contains(&name) {
                            self.fs_write(name, c, line);
                        } else if UNBOUND_CP.contains(&name) {
                            self.child(name, c, line);
                        }
                        return;
                    }
                    _ => {}
                }
                line
            }
            Expression::StaticMemberExpression(m) => {
                let line = self.line(m.property.span);
                if self.on_member_call(&m.object, m.property.name.as_str(), c, line) {
                    return;
                }
                line
            }
            _ => return,
        };
        if let Some((module, func)) = self.callee_target(callee) {
            self.classify_call(module, func, c, line);
        }
    }

    /// Calls recognised by the member name (and the object's shape). True when handled.
    fn on_member_call(&mut self, obj: &'b Expression<'a>, prop: &'a str, c: &'b CallExpression<'a>, line: usize) -> bool {
        let obj_name = match obj.get_inner_expression() {
            Expression::Identifier(id) => Some(id.name.as_str()),
            _ => None,
        };
        match prop {
            "listen" => {
                self.on_listen(c, line);
                true
            }
            "diskStorage" => {
                self.disk_storage(c, line);
                true
            }
            "setInterval" if matches!(obj_name, Some("window" | "globalThis" | "global" | "self")) => {
                self.facts.intervals.push(line);
                true
            }
            "every" if obj_name.is_some_and(|n| n.to_ascii_lowercase().contains("agenda")) => {
                self.sched("agenda", line);
                true
            }
            "add" if c.arguments.iter().skip(1).filter_map(Argument::as_expression).any(|a| has_key(a, "repeat")) => {
                self.sched("bull", line);
                true
            }
            "parse" | "safeParse" | "parseAsync" | "safeParseAsync" if arg_expr(&c.arguments, 0).is_some_and(Self::is_process_env) => {
                self.env_schema_parse(obj, 0);
                true
            }
            "destination" if obj_name == Some("pino") || obj_name.is_some_and(|n| self.modules.get(n).is_some_and(|b| b.module == "pino")) => {
                let path = match arg_expr(&c.arguments, 0).map(Expression::get_inner_expression) {
                    Some(Expression::ObjectExpression(o)) => prop_value(o, "dest").map_or(PathExpr::Unknown(String::new()), |d| self.path_expr(d, 0)),
                    Some(e) => self.path_expr(e, 0),
                    None => PathExpr::Unknown(String::new()),
                };
                self.facts.fs_writes.push(FsWrite {
                    func: "pino.destination".into(),
                    line,
                    path,
                });
                true
            }
            "upsertJobScheduler" => {
                self.sched("bullmq", line);
                true
            }
            "spawn" | "spawnSync" if obj_name == Some("Bun") => {
                let program = arg_expr(&c.arguments, 0).and_then(|a| self.program_of(a, 0));
                self.facts.child_processes.push(ChildProcess {
                    func: format!("Bun.{prop}"),
                    line,
                    program,
                    caught: self.try_depth > 0,
                });
                true
            }
            "serve" if matches!(obj_name, Some("Bun" | "Deno")) => {
                self.serve(c, line);
                true
            }
            _ => false,
        }
    }

    fn classify_call(&mut self, module: &'a str, func: &'a str, c: &'b CallExpression<'a>, line: usize) {
        let m = strip_node(module);
        if is_fs_module(m) && FS_WRITES.contains(&func) {
            self.fs_write(func, c, line);
        } else if m == "mkdirp" || m == "make-dir" {
            let path = self.arg_path(c, 0);
            self.facts.fs_writes.push(FsWrite {
                func: "mkdirp".into(),
                line,
                path,
            });
        } else if is_cp_module(m) && CP_FUNCS.contains(&func) {
            self.child(func, c, line);
        } else if m == "cross-spawn" {
            self.child(if func == "sync" { "spawnSync" } else { "spawn" }, c, line);
        } else if m == "execa" && (EXECA_FUNCS.contains(&func) || self.modules.get(func).is_some_and(|b| b.name.is_none())) {
            let f = if EXECA_FUNCS.contains(&func) { func } else { "execa" };
            self.child(f, c, line);
        } else if (m == "node-cron" || m == "cron") && func == "schedule" {
            self.sched("node-cron", line);
        } else if m == "cron" && func == "from" {
            self.sched("cron", line);
        } else if m == "node-schedule" && (func == "scheduleJob" || func == "RecurrenceRule") {
            self.sched("node-schedule", line);
        } else if m == "croner" {
            self.sched("croner", line);
        } else if m == "multer" && func != "diskStorage" && func != "memoryStorage" {
            // `multer({ dest })` stores uploads on disk.
            if let Some(Expression::ObjectExpression(o)) = arg_expr(&c.arguments, 0).map(Expression::get_inner_expression) {
                if let Some(dest) = prop_value(o, "dest") {
                    let path = self.path_expr(dest, 0);
                    self.facts.fs_writes.push(FsWrite {
                        func: "multer".into(),
                        line,
                        path,
                    });
                }
            }
        } else if m == "socket.io" {
            self.facts.ws_servers.push(("socket.io".into(), line));
        } else if m == "@hono/node-server" && func == "serve" {
            self.serve(c, line);
        }
    }

    /// A name neither imported, declared, nor a visible binding in this file.
    fn is_global(&self, name: &str) -> bool {
        !self.modules.contains_key(name) && !self.consts.contains_key(name) && !self.declared.contains(name) && !self.env_locals.contains_key(name)
    }

    fn arg_path(&self, c: &CallExpression<'a>, i: usize) -> PathExpr {
        match arg_expr(&c.arguments, i) {
            Some(e) => self.path_expr(e, 0),
            None => PathExpr::Unknown(String::new()),
        }
    }

    fn fs_write(&mut self, func: &str, c: &CallExpression<'a>, line: usize) {
        let path = self.arg_path(c, dest_arg(func));
        self.facts.fs_writes.push(FsWrite {
            func: func.to_string(),
            line,
            path,
        });
    }

    fn child(&mut self, func: &str, c: &CallExpression<'a>, line: usize) {
        let program = arg_expr(&c.arguments, 0).and_then(|a| self.program_of(a, 0));
        self.facts.child_processes.push(ChildProcess {
            func: func.to_string(),
            line,
            program,
            caught: self.try_depth > 0,
        });
    }

    /// multer.diskStorage({ destination }) — a path, or a function calling `cb(null, path)`.
    fn disk_storage(&mut self, c: &CallExpression<'a>, line: usize) {
        let dest = match arg_expr(&c.arguments, 0).map(Expression::get_inner_expression) {
            Some(Expression::ObjectExpression(o)) => prop_value(o, "destination"),
            _ => None,
        };
        let path = match dest.map(Expression::get_inner_expression) {
            None => PathExpr::Tmp, // multer's default destination is os.tmpdir()
            Some(Expression::ArrowFunctionExpression(f)) => {
                let found = match f.get_expression() {
                    Some(e) => cb_path(e),
                    None => f.get_function_body().and_then(|b| cb_path_in(&b.statements, 0)),
                };
                found.map_or_else(|| PathExpr::Unknown(self.text(f.span)), |e| self.path_expr(e, 0))
            }
            Some(Expression::FunctionExpression(f)) => {
                let found = f.body.as_ref().and_then(|b| cb_path_in(&b.statements, 0));
                found.map_or_else(|| PathExpr::Unknown(self.text(f.span)), |e| self.path_expr(e, 0))
            }
            Some(other) => self.path_expr(other, 0),
        };
        self.facts.fs_writes.push(FsWrite {
            func: "diskStorage".into(),
            line,
            path,
        });
    }

    /// A service URL literal given to a client as its first argument or as its `url` /
    /// `connectionString` / `uri` option.
    fn client_url(&mut self, args: &'b [Argument<'a>]) {
        if self.dev_depth > 0 {
            return;
        }
        let url = match arg_expr(args, 0).map(Expression::get_inner_expression) {
            Some(Expression::ObjectExpression(o)) => ["url", "connectionString", "uri"].iter().find_map(|k| prop_value(o, k).and_then(string_lit)),
            Some(e) => string_lit(e),
            None => None,
        };
        if let Some(u) = url.filter(|u| is_service_url(u)) {
            let line = arg_expr(args, 0).map_or(0, |a| self.line(a.span()));
            self.facts.service_urls.push((u.to_string(), line));
        }
    }

    fn on_new(&mut self, n: &'b NewExpression<'a>) {
        self.client_url(&n.arguments);
        let (module, name, span): (Option<&'a str>, &'a str, Span) = match n.callee.get_inner_expression() {
            Expression::Identifier(id) => (self.modules.get(id.name.as_str()).map(|b| b.module), id.name.as_str(), id.span),
            Expression::StaticMemberExpression(m) => {
                let module = self.object_module(&m.object).or_else(|| m.object.is_specific_id("WebSocket").then_some("ws"));
                (module, m.property.name.as_str(), m.property.span)
            }
            _ => return,
        };
        let line = self.line(span);
        let module = module.map(strip_node);
        match name {
            "WebSocket" => {
                let url = arg_expr(&n.arguments, 0).and_then(string_lit).unwrap_or("").to_string();
                self.facts.websockets.push((url, line));
            }
            "WebSocketServer" => self.facts.ws_servers.push(("ws".into(), line)),
            "Server" if module == Some("ws") => self.facts.ws_servers.push(("ws".into(), line)),
            "Server" if module == Some("socket.io") => self.facts.ws_servers.push(("socket.io".into(), line)),
            "CronJob" => self.sched("cron", line),
            "Bree" => self.sched("bree", line),
            "File" | "DailyRotateFile"
                if name == "DailyRotateFile"
                    || matches!(n.callee.get_inner_expression(), Expression::StaticMemberExpression(m) if m.object.get_inner_expression().is_specific_id("transports") || matches!(m.object.get_inner_expression(), Expression::StaticMemberExpression(o) if o.property.name == "transports")) =>
            {
                let Some(Expression::ObjectExpression(o)) = arg_expr(&n.arguments, 0).map(Expression::get_inner_expression) else {
                    return;
                };
                let file = prop_value(o, "filename").map(|f| self.path_expr(f, 0));
                let dir = prop_value(o, "dirname").map(|d| self.path_expr(d, 0));
                let path = match (dir, file) {
                    (Some(d), Some(f)) => normalize_join(vec![d, f], true, false),
                    (Some(p), None) | (None, Some(p)) => p,
                    (None, None) => return,
                };
                self.facts.fs_writes.push(FsWrite {
                    func: if name == "File" {
                        "winston.transports.File".into()
                    } else {
                        "DailyRotateFile".into()
                    },
                    line,
                    path,
                });
            }
            "Cron" => self.sched("croner", line),
            "Database" => {
                let Some(arg) = arg_expr(&n.arguments, 0) else { return };
                if matches!(arg.get_inner_expression(), Expression::ObjectExpression(_)) || string_lit(arg).is_some_and(|s| s.is_empty() || s == ":memory:") {
                    return;
                }
                let path = self.path_expr(arg, 0);
                self.facts.fs_writes.push(FsWrite {
                    func: "Database".into(),
                    line,
                    path,
                });
            }
            _ => {}
        }
    }

    fn on_tagged(&mut self, t: &'b TaggedTemplateExpression<'a>) {
        let tag = t.tag.get_inner_expression();
        let (is_shell, span) = match tag {
            Expression::Identifier(id) if id.name == "$" => (true, id.span),
            Expression::Identifier(id) => (self.modules.get(id.name.as_str()).is_some_and(|b| strip_node(b.module) == "execa"), id.span),
            Expression::StaticMemberExpression(m) => (m.object.is_specific_id("$"), m.span),
            Expression::CallExpression(c) => (c.callee.is_specific_id("$"), c.span),
            _ => (false, t.span),
        };
        if is_shell {
            let func = match tag {
                Expression::Identifier(id) if id.name != "$" => "execa",
                _ => "$",
            };
            let line = self.line(span);
            self.facts.child_processes.push(ChildProcess {
                func: func.into(),
                line,
                program: template_program(&t.quasi),
                caught: self.try_depth > 0,
            });
        }
    }

    // ----- listen -----

    fn on_listen(&mut self, c: &CallExpression<'a>, line: usize) {
        let first = arg_expr(&c.arguments, 0).map(Expression::get_inner_expression);
        let (port, host) = match first {
            None => (PortExpr::Unknown, None),
            Some(Expression::ObjectExpression(o)) => self.port_host_options(o),
            Some(Expression::StringLiteral(s)) if s.value.trim().parse::<u16>().is_err() => return, // a pipe or an event name
            Some(Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_)) => (PortExpr::Unknown, None),
            Some(e) => (self.port_expr(e, 0), arg_expr(&c.arguments, 1).and_then(|h| self.string_value(h, 0))),
        };
        self.facts.listens.push(Listen { line, port, host });
    }

    /// `Bun.serve({ port })`, `serve({ fetch, port })` (@hono/node-server).
    fn serve(&mut self, c: &CallExpression<'a>, line: usize) {
        let (port, host) = match arg_expr(&c.arguments, 0).map(Expression::get_inner_expression) {
            Some(Expression::ObjectExpression(o)) => self.port_host_options(o),
            _ => (PortExpr::Unknown, None),
        };
        self.facts.listens.push(Listen { line, port, host });
    }

    fn port_host_options(&self, o: &ObjectExpression<'a>) -> (PortExpr, Option<String>) {
        let port = prop_value(o, "port").map_or(PortExpr::Unknown, |p| self.port_expr(p, 0));
        let host = prop_value(o, "host")
            .or_else(|| prop_value(o, "hostname"))
            .and_then(|h| self.string_value(h, 0));
        (port, host)
    }

    fn resolve_const(&self, e: &Expression<'a>) -> Option<&'b Expression<'a>> {
        match e.get_inner_expression() {
            Expression::Identifier(id) => self.consts.get(id.name.as_str()).copied().flatten(),
            _ => None,
        }
    }

    /// A literal string, after constant resolution.
    fn string_value(&self, e: &Expression<'a>, depth: usize) -> Option<String> {
        if let Some(s) = string_lit(e) {
            return Some(s.to_string());
        }
        if depth >= MAX_RESOLVE || !self.spend() {
            return None;
        }
        self.resolve_const(e).and_then(|init| self.string_value(init, depth + 1))
    }

    fn port_literal(&self, e: &Expression<'a>, depth: usize) -> Option<u16> {
        match self.port_expr(e, depth) {
            PortExpr::Literal(p) => Some(p),
            _ => None,
        }
    }

    fn port_expr(&self, e: &Expression<'a>, depth: usize) -> PortExpr {
        if depth > 2 * MAX_RESOLVE || !self.spend() {
            return PortExpr::Unknown;
        }
        let e = e.get_inner_expression();
        if let Some((name, default)) = self.env_ref(e) {
            return PortExpr::Env {
                name: name.to_string(),
                default: default.and_then(|d| self.port_literal(d, depth + 1)),
            };
        }
        match e {
            Expression::NumericLiteral(n) => port_of_f64(n.value).map_or(PortExpr::Unknown, PortExpr::Literal),
            Expression::StringLiteral(_) | Expression::TemplateLiteral(_) => string_lit(e)
                .and_then(|s| s.trim().parse::<u16>().ok())
                .map_or(PortExpr::Unknown, PortExpr::Literal),
            Expression::Identifier(_) => match self.resolve_const(e) {
                Some(init) => self.port_expr(init, depth + 1),
                None => PortExpr::Unknown,
            },
            Expression::LogicalExpression(l) if matches!(l.operator, LogicalOperator::Or | LogicalOperator::Coalesce) => {
                match self.port_expr(&l.left, depth + 1) {
                    PortExpr::Env { name, default: None } => PortExpr::Env {
                        name,
                        default: self.port_literal(&l.right, depth + 1),
                    },
                    other => other,
                }
            }
            Expression::ConditionalExpression(c) => match self.port_expr(&c.consequent, depth + 1) {
                PortExpr::Env { name, default: None } => PortExpr::Env {
                    name,
                    default: self.port_literal(&c.alternate, depth + 1),
                },
                PortExpr::Literal(p) if self.port_literal(&c.alternate, depth + 1) == Some(p) => PortExpr::Literal(p),
                _ => PortExpr::Unknown,
            },
            Expression::CallExpression(c) => {
                let conv = c.callee.is_specific_id("parseInt")
                    || c.callee.is_specific_id("Number")
                    || c.callee.is_specific_id("parseFloat")
                    || c.callee.is_specific_id("String")
                    || c.callee.is_specific_member_access("Number", "parseInt")
                    || c.callee.is_specific_member_access("Number", "parseFloat");
                match (conv, arg_expr(&c.arguments, 0)) {
                    (true, Some(a)) => self.port_expr(a, depth + 1),
                    _ => PortExpr::Unknown,
                }
            }
            Expression::UnaryExpression(u) if u.operator == UnaryOperator::UnaryPlus => self.port_expr(&u.argument, depth + 1),
            _ => PortExpr::Unknown,
        }
    }

    // ----- paths and programs -----

    fn path_expr(&self, e: &Expression<'a>, depth: usize) -> PathExpr {
        let e = e.get_inner_expression();
        if depth > 3 * MAX_RESOLVE || !self.spend() {
            return PathExpr::Unknown(self.text(e.span()));
        }
        if let Some((name, default)) = self.env_ref(e) {
            return PathExpr::Env {
                name: name.to_string(),
                default: default.map(|d| Box::new(self.path_expr(d, depth + 1))),
            };
        }
        match e {
            Expression::StringLiteral(s) => literal_path(s.value.to_string()),
            Expression::TemplateLiteral(t) => {
                if t.expressions.is_empty() {
                    return literal_path(string_lit(e).unwrap_or("").to_string());
                }
                let mut parts = Vec::new();
                for (i, q) in t.quasis.iter().enumerate() {
                    let s = q.value.cooked.unwrap_or(q.value.raw).as_str();
                    if !s.is_empty() {
                        parts.push(literal_path(s.to_string()));
                    }
                    if let Some(x) = t.expressions.get(i) {
                        parts.push(self.path_expr(x, depth + 1));
                    }
                }
                normalize_join(parts, false, true)
            }
            Expression::Identifier(id) if id.name == "__dirname" => PathExpr::Cwd(Vec::new()),
            Expression::Identifier(id) => match self.resolve_const(e) {
                Some(init) if depth < MAX_RESOLVE => self.path_expr(init, depth + 1),
                _ => PathExpr::Unknown(id.name.to_string()),
            },
            Expression::LogicalExpression(l) if matches!(l.operator, LogicalOperator::Or | LogicalOperator::Coalesce) => {
                match self.path_expr(&l.left, depth + 1) {
                    PathExpr::Env { name, default: None } => PathExpr::Env {
                        name,
                        default: Some(Box::new(self.path_expr(&l.right, depth + 1))),
                    },
                    _ => PathExpr::Unknown(self.text(e.span())),
                }
            }
            Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
                let parts = vec![self.path_expr(&b.left, depth + 1), self.path_expr(&b.right, depth + 1)];
                normalize_join(parts, false, true)
            }
            Expression::CallExpression(c) => {
                if c.callee.is_specific_member_access("process", "cwd") {
                    return PathExpr::Cwd(Vec::new());
                }
                let Some((module, func)) = self.callee_target(&c.callee) else {
                    return PathExpr::Unknown(self.text(e.span()));
                };
                let m = strip_node(module);
                if m == "os" && func == "tmpdir" {
                    return PathExpr::Tmp;
                }
                if is_path_module(m) && matches!(func, "join" | "resolve" | "normalize") {
                    let parts = c.arguments.iter().map(|a| match a.as_expression() {
                        Some(x) => self.path_expr(x, depth + 1),
                        None => PathExpr::Unknown(self.text(a.span())),
                    });
                    return normalize_join(parts.collect(), func == "resolve", false);
                }
                PathExpr::Unknown(self.text(e.span()))
            }
            _ => PathExpr::Unknown(self.text(e.span())),
        }
    }

    /// First word of a command: string literal, template head, first array element, or a
    /// constant holding one.
    fn program_of(&self, e: &Expression<'a>, depth: usize) -> Option<String> {
        if depth > MAX_RESOLVE || !self.spend() {
            return None;
        }
        match e.get_inner_expression() {
            Expression::StringLiteral(s) => first_word(s.value.as_str()),
            Expression::TemplateLiteral(t) => template_program(t),
            Expression::ArrayExpression(a) => a
                .elements
                .first()
                .and_then(ArrayExpressionElement::as_expression)
                .and_then(|x| self.program_of(x, depth + 1)),
            Expression::Identifier(_) => self.resolve_const(e).and_then(|init| self.program_of(init, depth + 1)),
            _ => None,
        }
    }
}

/// A connection URL of a database, cache or broker.
fn is_service_url(v: &str) -> bool {
    let Some((scheme, rest)) = v.split_once("://") else { return false };
    !rest.is_empty()
        && matches!(
            scheme.to_ascii_lowercase().as_str(),
            "postgres" | "postgresql" | "mysql" | "mariadb" | "mongodb" | "mongodb+srv" | "redis" | "rediss" | "amqp" | "amqps" | "nats" | "mqtt"
        )
}

/// What a zod chain says about a variable: (literal default, optional or defaulted, minimum
/// string length). `z.string().min(32).default('…')` → (Some("…"), true, Some(32)).
fn zod_chain(e: &Expression<'_>) -> (Option<String>, bool, Option<usize>, bool) {
    let mut default = None;
    let mut has_default = false;
    let mut explicit = false;
    let mut min = None;
    let mut is_string = false;
    let mut cur = e;
    for _ in 0..32 {
        match cur.get_inner_expression() {
            Expression::CallExpression(c) => {
                let Expression::StaticMemberExpression(m) = c.callee.get_inner_expression() else {
                    // envalid: `bool({ default: false })`, `str({ devDefault: 'x' })`.
                    if let Some(Expression::ObjectExpression(o)) = arg_expr(&c.arguments, 0).map(Expression::get_inner_expression) {
                        for p in &o.properties {
                            let ObjectPropertyKind::ObjectProperty(p) = p else { continue };
                            match p.key.static_name().as_deref() {
                                Some("default") => {
                                    has_default = true;
                                    explicit = true;
                                    default = literal_text(&p.value);
                                }
                                Some("devDefault") => has_default = true,
                                _ => {}
                            }
                        }
                    }
                    break;
                };
                match m.property.name.as_str() {
                    "min" | "length" | "nonempty" => {
                        let n = match arg_expr(&c.arguments, 0).map(Expression::get_inner_expression) {
                            Some(Expression::NumericLiteral(n)) if n.value >= 0.0 && n.value.fract() == 0.0 => Some(n.value as usize),
                            None if m.property.name == "nonempty" => Some(1),
                            _ => None,
                        };
                        if min.is_none() {
                            min = n;
                        }
                    }
                    // `.prefault(v)` (zod 4) defaults the input before parsing.
                    "default" | "catch" | "prefault" => {
                        has_default = true;
                        explicit = true;
                        if default.is_none() {
                            default = arg_expr(&c.arguments, 0).and_then(literal_text);
                        }
                    }
                    "optional" | "nullish" => has_default = true,
                    "string" | "url" | "email" | "uuid" | "base64" => is_string = true,
                    _ => {}
                }
                cur = &m.object;
            }
            Expression::StaticMemberExpression(m) => cur = &m.object,
            _ => break,
        }
    }
    (default, has_default, if is_string { min } else { None }, explicit)
}

/// The value of property `key` in an object literal.
fn prop_value<'x, 'a>(o: &'x ObjectExpression<'a>, key: &str) -> Option<&'x Expression<'a>> {
    o.properties.iter().find_map(|p| match p {
        ObjectPropertyKind::ObjectProperty(p) if p.key.static_name().is_some_and(|k| k == key) => Some(&p.value),
        _ => None,
    })
}

fn has_key(e: &Expression<'_>, key: &str) -> bool {
    match e.get_inner_expression() {
        Expression::ObjectExpression(o) => prop_value(o, key).is_some(),
        _ => false,
    }
}

/// `cb(null, x)` → x.
fn cb_path<'x, 'a>(e: &'x Expression<'a>) -> Option<&'x Expression<'a>> {
    match e.get_inner_expression() {
        Expression::CallExpression(c) if c.arguments.len() >= 2 && arg_expr(&c.arguments, 0).is_some_and(Expression::is_null) => arg_expr(&c.arguments, 1),
        Expression::AwaitExpression(a) => cb_path(&a.argument),
        Expression::SequenceExpression(s) => s.expressions.iter().find_map(cb_path),
        _ => None,
    }
}

fn cb_path_in<'x, 'a>(stmts: &'x [Statement<'a>], depth: usize) -> Option<&'x Expression<'a>> {
    if depth > 8 {
        return None;
    }
    stmts.iter().find_map(|st| match st {
        Statement::ExpressionStatement(s) => cb_path(&s.expression),
        Statement::ReturnStatement(r) => r.argument.as_ref().and_then(cb_path),
        Statement::BlockStatement(b) => cb_path_in(&b.body, depth + 1),
        Statement::IfStatement(i) => cb_path_in(std::slice::from_ref(&i.consequent), depth + 1)
            .or_else(|| i.alternate.as_ref().and_then(|a| cb_path_in(std::slice::from_ref(a), depth + 1))),
        Statement::TryStatement(t) => cb_path_in(&t.block.body, depth + 1),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(src: &str) -> SourceFacts {
        analyze(src, "app/api/x/route.ts")
    }

    fn lit(s: &str) -> PathExpr {
        PathExpr::Literal(s.to_string())
    }

    fn cwd(parts: &[&str]) -> PathExpr {
        PathExpr::Cwd(parts.iter().map(|s| s.to_string()).collect())
    }

    fn env(name: &str, default: Option<PathExpr>) -> PathExpr {
        PathExpr::Env {
            name: name.to_string(),
            default: default.map(Box::new),
        }
    }

    const UPLOAD: &str = "const UPLOAD_DIR = process.env.POS_UPLOAD_BASE ?? path.join(process.cwd(), 'public', 'pos-images');\n\
export async function POST(req: Request) { await writeFile(path.join(UPLOAD_DIR, name), buf); }\n";

    #[test]
    fn upload_dir_from_env_with_cwd_default() {
        let f = ts(UPLOAD);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(
            f.fs_writes,
            vec![FsWrite {
                func: "writeFile".into(),
                line: 2,
                path: PathExpr::Join(vec![
                    env("POS_UPLOAD_BASE", Some(cwd(&["public", "pos-images"]))),
                    PathExpr::Unknown("name".into())
                ]),
            }]
        );
        assert_eq!(f.http_methods, vec![("POST".to_string(), 2)]);
        assert_eq!(
            f.env_reads,
            vec![EnvRead {
                name: "POS_UPLOAD_BASE".into(),
                line: 1,
                default: None,
                has_default: true,
                schema: false,
                min_len: None,
                dev_only: false,
                in_fallback: false,
                schema_default: false,
            }]
        );
    }

    #[test]
    fn fs_writes_through_imports_and_aliases() {
        let src = "import fs from 'node:fs';\n\
import * as fsp from 'fs/promises';\n\
import { createWriteStream as cws } from 'fs';\n\
import os from 'os';\n\
const { mkdirSync } = require('fs');\n\
const { writeFile: wf } = require('fs').promises;\n\
fs.promises.appendFile('logs/app.log', 'x');\n\
await fsp.mkdir(path.resolve(__dirname, '../data'), { recursive: true });\n\
cws('/tmp/out.txt');\n\
mkdirSync(`${process.cwd()}/uploads/${id}`);\n\
wf(os.tmpdir() + '/x', 'a');\n\
fs.renameSync(a, 'public/b.png');\n\
cache.writeFile('nope');\n\
function writeFile() {}\n\
writeFile('local function, not fs');\n";
        let f = ts(src);
        let got: Vec<(&str, usize, &PathExpr)> = f.fs_writes.iter().map(|w| (w.func.as_str(), w.line, &w.path)).collect();
        assert_eq!(
            got,
            vec![
                ("appendFile", 7, &lit("logs/app.log")),
                ("mkdir", 8, &cwd(&["..", "data"])),
                ("createWriteStream", 9, &PathExpr::Tmp),
                ("mkdirSync", 10, &PathExpr::Join(vec![cwd(&["uploads"]), PathExpr::Unknown("id".into())])),
                ("writeFile", 11, &PathExpr::Tmp),
                ("renameSync", 12, &lit("public/b.png")),
            ]
        );
    }

    #[test]
    fn multer_and_sqlite_writes() {
        let src = "import multer from 'multer';\n\
import Database from 'better-sqlite3';\n\
const storage = multer.diskStorage({\n\
  destination: (req, file, cb) => { cb(null, 'uploads/'); },\n\
  filename: (req, file, cb) => cb(null, file.originalname),\n\
});\n\
const upload = multer({ dest: 'tmp-uploads' });\n\
const db = new Database(process.env.DB_FILE || 'data/app.db');\n\
const mem = new Database(':memory:');\n\
const s2 = multer.diskStorage({ destination: '/var/data/up' });\n";
        let f = ts(src);
        let got: Vec<(&str, usize, &PathExpr)> = f.fs_writes.iter().map(|w| (w.func.as_str(), w.line, &w.path)).collect();
        assert_eq!(
            got,
            vec![
                ("diskStorage", 3, &lit("uploads/")),
                ("multer", 7, &lit("tmp-uploads")),
                ("Database", 8, &env("DB_FILE", Some(lit("data/app.db")))),
                ("diskStorage", 10, &lit("/var/data/up")),
            ]
        );
    }

    #[test]
    fn child_processes_and_programs() {
        let src = "import { execFile, exec } from 'child_process';\n\
import cp from 'node:child_process';\n\
import { promisify } from 'util';\n\
import { $ } from 'zx';\n\
const execAsync = promisify(exec);\n\
const CMD = 'git rev-parse HEAD';\n\
execFile('pg_dump', ['-f', 'x.sql']);\n\
exec(`pg_dump ${url} > ${file}`);\n\
await execAsync(`mysqldump -u root`);\n\
cp.spawn(bin, ['--x']);\n\
cp.execSync(CMD);\n\
await $`pg_dump ${db} -f out.sql`;\n\
/a(b)/.exec(str);\n\
exec(`${tool} --help`);\n";
        let f = ts(src);
        let got: Vec<(&str, usize, Option<&str>)> = f.child_processes.iter().map(|c| (c.func.as_str(), c.line, c.program.as_deref())).collect();
        assert_eq!(
            got,
            vec![
                ("execFile", 7, Some("pg_dump")),
                ("exec", 8, Some("pg_dump")),
                ("exec", 9, Some("mysqldump")),
                ("spawn", 10, None),
                ("execSync", 11, Some("git")),
                ("$", 12, Some("pg_dump")),
                ("exec", 14, None),
            ]
        );
    }

    #[test]
    fn unimported_globals_as_in_snippets() {
        let f = ts("execFile('pg_dump', ['-Fc']);\nexec(`pg_dump ${url} > ${file}`);\n");
        let got: Vec<(&str, usize, Option<&str>)> = f.child_processes.iter().map(|c| (c.func.as_str(), c.line, c.program.as_deref())).collect();
        assert_eq!(got, vec![("execFile", 1, Some("pg_dump")), ("exec", 2, Some("pg_dump"))]);
        // A parameter named exec is not child_process.
        assert!(ts("function run(exec) { exec('ls'); }\n").child_processes.is_empty());
        assert!(ts("for (const spawn of spawners) spawn('x');\n").child_processes.is_empty());
    }

    #[test]
    fn listens_ports_and_hosts() {
        let src = "server.listen(3000, '127.0.0.1');\n\
app.listen(process.env.PORT || 3000);\n\
const port = parseInt(process.env.PORT ?? '3000', 10);\n\
const hostname = 'localhost';\n\
app.listen(port, hostname, () => console.log('up'));\n\
await fastify.listen({ port: Number(process.env.APP_PORT) || 8080, host: '0.0.0.0' });\n\
const { PORT = 4000 } = process.env;\n\
http.createServer((req, res) => {\n\
  res.end('ok');\n\
}).listen(PORT);\n\
emitter.listen('message', cb);\n\
Bun.serve({ port: 5000, fetch });\n\
srv.listen();\n\
srv.listen(cfg.port);\n";
        let f = ts(src);
        let got: Vec<(usize, &PortExpr, Option<&str>)> = f.listens.iter().map(|l| (l.line, &l.port, l.host.as_deref())).collect();
        let penv = |n: &str, d: Option<u16>| PortExpr::Env {
            name: n.to_string(),
            default: d,
        };
        assert_eq!(
            got,
            vec![
                (1, &PortExpr::Literal(3000), Some("127.0.0.1")),
                (2, &penv("PORT", Some(3000)), None),
                (5, &penv("PORT", Some(3000)), Some("localhost")),
                (6, &penv("APP_PORT", Some(8080)), Some("0.0.0.0")),
                (10, &penv("PORT", Some(4000)), None),
                (12, &PortExpr::Literal(5000), None),
                (13, &PortExpr::Unknown, None),
                (14, &PortExpr::Unknown, None),
            ]
        );
    }

    #[test]
    fn env_reads_in_all_forms() {
        let src = "import { env } from '~/env.mjs';\n\
import { env as pkgEnv } from 'some-package';\n\
import dotenv from 'dotenv';\n\
dotenv.config();\n\
const a = process.env.ALPHA;\n\
const b = process.env['BETA'] || 'beta-default';\n\
const { GAMMA, DELTA = 'd', EPS: eps } = process.env;\n\
const v = import.meta.env.VITE_ZETA;\n\
const db = env.DATABASE_URL;\n\
pkgEnv.NOT_AN_ENV;\n\
const c = process.env.ETA ?? fallback();\n\
process.env.WRITTEN = '1';\n\
const n = process.env.NUM || 3000;\n\
const o = process.env?.OPT;\n";
        let f = analyze(src, "server/x.mjs");
        let got: Vec<(&str, usize, Option<&str>, bool)> = f
            .env_reads
            .iter()
            .map(|r| (r.name.as_str(), r.line, r.default.as_deref(), r.has_default))
            .collect();
        assert_eq!(
            got,
            vec![
                ("ALPHA", 5, None, false),
                ("BETA", 6, Some("beta-default"), true),
                ("GAMMA", 7, None, false),
                ("DELTA", 7, Some("d"), true),
                ("EPS", 7, None, false),
                ("VITE_ZETA", 8, None, false),
                ("DATABASE_URL", 9, None, false),
                ("ETA", 11, None, true),
                ("NUM", 13, Some("3000"), true),
                ("OPT", 14, None, false),
            ]
        );
    }

    #[test]
    fn sse_intervals_schedulers_sockets() {
        let src = "import cron from 'node-cron';\n\
import { CronJob } from 'cron';\n\
import { WebSocketServer } from 'ws';\n\
export async function GET() {\n\
  return new Response(stream, { headers: { 'Content-Type': 'text/event-stream' } });\n\
}\n\
setInterval(() => poll(), 1000);\n\
window.setInterval(tick, 5);\n\
cron.schedule('*/5 * * * *', job);\n\
new CronJob('0 * * * *', job);\n\
agenda.every('1 hour', 'cleanup');\n\
await queue.add('report', data, { repeat: { pattern: '0 0 * * *' } });\n\
queue.add('once', data);\n\
const ws = new WebSocket('wss://stream.example.com/feed');\n\
const wss = new WebSocketServer({ port: 8081 });\n\
const other = new WebSocket(url);\n";
        let f = ts(src);
        assert_eq!(f.sse, vec![5]);
        assert_eq!(f.intervals, vec![7, 8]);
        let sched: Vec<(&str, usize)> = f.schedulers.iter().map(|(l, n)| (l.as_str(), *n)).collect();
        assert_eq!(sched, vec![("node-cron", 9), ("cron", 10), ("agenda", 11), ("bull", 12)]);
        assert_eq!(f.websockets, vec![("wss://stream.example.com/feed".to_string(), 14), (String::new(), 16)]);
        assert_eq!(f.ws_servers, vec![("ws".to_string(), 15)]);
        assert_eq!(f.http_methods, vec![("GET".to_string(), 4)]);
    }

    #[test]
    fn imports_directives_and_route_exports() {
        let src = "'use client';\n\
import a from 'a';\n\
import type { T } from 't';\n\
const b = require('b');\n\
export * from 'd';\n\
export { x } from 'e';\n\
async function f() { 'use server'; const c = await import('c'); }\n\
const handler = () => new Response('');\n\
export { handler as PUT, handler as PATCH };\n\
export const GET = handler;\n\
export async function DELETE() {}\n";
        let f = analyze(src, "app/page.tsx");
        assert_eq!(f.directives, vec!["use client".to_string()]);
        let imports: Vec<(&str, usize)> = f.imports.iter().map(|(m, l)| (m.as_str(), *l)).collect();
        assert_eq!(imports, vec![("a", 2), ("b", 4), ("d", 5), ("e", 6), ("c", 7)]);
        let methods: Vec<(&str, usize)> = f.http_methods.iter().map(|(m, l)| (m.as_str(), *l)).collect();
        assert_eq!(methods, vec![("PUT", 9), ("PATCH", 9), ("GET", 10), ("DELETE", 11)]);
    }

    #[test]
    fn jsx_in_js_files_and_class_members() {
        let src = "export default function Page() {\n  return <div title={process.env.NEXT_PUBLIC_TITLE}>{process.env.NEXT_PUBLIC_BODY}</div>;\n}\n\
class Store { path = process.env.STORE_PATH; save() { fs.writeFileSync(this.path, '') } }\n";
        let f = analyze(src, "pages/index.js");
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        let names: Vec<(&str, usize)> = f.env_reads.iter().map(|r| (r.name.as_str(), r.line)).collect();
        assert_eq!(names, vec![("NEXT_PUBLIC_TITLE", 2), ("NEXT_PUBLIC_BODY", 2), ("STORE_PATH", 4)]);
        assert_eq!(f.fs_writes.len(), 1);
        assert_eq!(f.fs_writes[0].path, PathExpr::Unknown("this.path".into()));
    }

    #[test]
    fn syntax_errors_have_lines_and_recovery_is_used() {
        let f = ts("const a = process.env.A;\nconst b = ;\nconst c = process.env.C;\n");
        assert!(!f.errors.is_empty());
        assert_eq!(f.errors[0].0, 2, "{:?}", f.errors);
        let f = ts("let x = 1;\nfunction (\n");
        assert!(f.errors.iter().any(|(l, _)| *l == 2), "{:?}", f.errors);
    }

    #[test]
    fn nesting_limits_report_instead_of_overflowing() {
        let deep = format!("x = {}1{};\n", "(".repeat(5000), ")".repeat(5000));
        let f = ts(&deep);
        assert_eq!(f.errors.len(), 1);
        assert!(f.errors[0].1.contains("nest"));
        // Not brackets: a long chain of arrows is parsed, and the walker stops at its limit.
        let arrows = format!("export const f = {}process.env.DEEP;\n", "a => ".repeat(MAX_DEPTH + 50));
        let f = ts(&arrows);
        assert!(f.errors.iter().any(|(l, m)| *l == 1 && m.contains("deeper")), "{:?}", f.errors);
        let chain = format!("x = {}1;\n", "!".repeat(20000));
        let _ = ts(&chain);
    }

    #[test]
    fn nesting_overflow_counts_depth_not_brackets() {
        // More brackets than the limit, side by side: no overflow.
        assert_eq!(nesting_overflow("f(a[0], {});".repeat(500).as_bytes(), 400), None);
        // Exactly at the limit, then one past it (at the offending bracket's offset).
        let at = format!("{}{}", "(".repeat(400), ")".repeat(400));
        assert_eq!(nesting_overflow(at.as_bytes(), 400), None);
        let past = format!("x{}{}", "[".repeat(401), "]".repeat(401));
        assert_eq!(nesting_overflow(past.as_bytes(), 400), Some(401));
        // Closers never take the depth below zero.
        let closers_first = format!("{}{}", ")".repeat(1000), "{".repeat(401));
        assert_eq!(nesting_overflow(closers_first.as_bytes(), 400), Some(1400));
    }

    #[test]
    fn line_index() {
        let li = LineIndex::new("ab\ncd\n\nef");
        assert_eq!(li.line(0), 1);
        assert_eq!(li.line(2), 1);
        assert_eq!(li.line(3), 2);
        assert_eq!(li.line(6), 3);
        assert_eq!(li.line(7), 4);
        assert_eq!(li.line(999), 4);
        assert_eq!(li.line_col(4), (2, 2));
        assert_eq!(li.line_count(), 4);
        assert_eq!(LineIndex::new("").line(0), 1);
    }

    #[test]
    fn envalid_defaults_count() {
        let src = "import { cleanEnv, bool, str } from 'envalid';\nexport const env = cleanEnv(process.env, {\n  ENABLE_OTEL: bool({ default: false }),\n  LOG_LEVEL: str({ devDefault: 'debug' }),\n  API_KEY: str(),\n});\n";
        let f = ts(src);
        let got: Vec<(&str, bool, bool)> = f.env_reads.iter().map(|r| (r.name.as_str(), r.has_default, r.schema)).collect();
        assert_eq!(got, vec![("ENABLE_OTEL", true, true), ("LOG_LEVEL", true, true), ("API_KEY", false, true)]);
        // A default that is no literal (`ms('1 minute')`) is still the schema's default.
        let src = "import { cleanEnv, num } from 'envalid';\nexport const env = cleanEnv(process.env, { CACHE_TTL: num({ default: ms('1 minute') }), DEV: num({ devDefault: 1 }) });\n";
        let f = ts(src);
        let got: Vec<(&str, bool, bool)> = f.env_reads.iter().map(|r| (r.name.as_str(), r.default.is_some(), r.schema_default)).collect();
        assert_eq!(got, vec![("CACHE_TTL", false, true), ("DEV", false, false)]);
    }

    #[test]
    fn env_schema_keys_spread_from_constants_are_read() {
        let src = "import { createEnv } from '@t3-oss/env-nextjs';\n\
import { z } from 'zod';\n\
const oauth = {\n\
  server: { OAUTH_NAME: z.string().default('Custom'), OAUTH_SECRET: z.string() },\n\
};\n\
const base = { LOG_LEVEL: z.string().prefault('info') };\n\
export const env = createEnv({\n\
  server: { ...oauth.server, ...base, ...unknownThing, DATABASE_URL: z.string() },\n\
  runtimeEnv: process.env,\n\
});\n";
        let f = ts(src);
        let got: Vec<(&str, usize, bool, bool)> = f.env_reads.iter().map(|r| (r.name.as_str(), r.line, r.has_default, r.schema)).collect();
        assert_eq!(
            got,
            vec![
                ("OAUTH_NAME", 4, true, true),
                ("OAUTH_SECRET", 4, false, true),
                ("LOG_LEVEL", 6, true, true),
                ("DATABASE_URL", 8, false, true),
            ]
        );
    }

    #[test]
    #[allow(clippy::type_complexity)]
    fn env_schemas_min_lengths_and_defaults() {
        let src = "import { createEnv } from '@t3-oss/env-nextjs';\n\
import { z } from 'zod';\n\
export const env = createEnv({\n\
  server: {\n\
    SESSION_SECRET: z.string().min(32),\n\
    JWT_SECRET: z.string().default('dev-secret'),\n\
    SENTRY_DSN: z.string().url().optional(),\n\
  },\n\
  client: { NEXT_PUBLIC_APP_URL: z.string().url() },\n\
  runtimeEnv: { SESSION_SECRET: process.env.SESSION_SECRET },\n\
});\n\
const Schema = z.object({ API_KEY: z.string().length(40), PORT: z.coerce.number().min(1) }).strict();\n\
export const cfg = Schema.parse(process.env);\n\
z.object({ OTHER: z.string() }).parse(input);\n";
        let f = ts(src);
        let got: Vec<(&str, usize, Option<&str>, bool, bool, Option<usize>)> = f
            .env_reads
            .iter()
            .map(|r| (r.name.as_str(), r.line, r.default.as_deref(), r.has_default, r.schema, r.min_len))
            .collect();
        assert_eq!(
            got,
            vec![
                ("SESSION_SECRET", 5, None, false, true, Some(32)),
                ("JWT_SECRET", 6, Some("dev-secret"), true, true, None),
                ("SENTRY_DSN", 7, None, true, true, None),
                ("NEXT_PUBLIC_APP_URL", 9, None, false, true, None),
                ("SESSION_SECRET", 10, None, false, false, None),
                ("API_KEY", 12, None, false, true, Some(40)),
                ("PORT", 12, None, false, true, None),
            ]
        );
    }

    #[test]
    fn dev_branches_guards_and_fail_open_checks() {
        let src = "const isProd = process.env.NODE_ENV === 'production';\n\
const a = process.env.A_SECRET || 'dev-a';\n\
if (process.env.NODE_ENV !== 'production') { x = process.env.B_SECRET ?? 'dev-b'; }\n\
const c = isProd ? process.env.C_SECRET : (process.env.C_SECRET || 'dev-c');\n\
if (!process.env.D_SECRET) { throw new Error('D_SECRET missing'); }\n\
const key = process.env.API_KEY;\n\
export function GET(req) {\n\
  if (process.env.ADMIN_TOKEN && req.headers.get('x') !== process.env.ADMIN_TOKEN) return new Response('no', { status: 401 });\n\
  if (key && req.token != key) { return null; }\n\
  if (req.token !== process.env.STRICT_TOKEN) return null;\n\
}\n";
        let f = ts(src);
        let dev: Vec<(&str, bool)> = f
            .env_reads
            .iter()
            .filter(|r| r.default.is_some())
            .map(|r| (r.name.as_str(), r.dev_only))
            .collect();
        assert_eq!(dev, vec![("A_SECRET", false), ("B_SECRET", true), ("C_SECRET", true)]);
        assert_eq!(f.env_guards, vec!["D_SECRET".to_string()]);
        assert!(!f.env_opaque);
        assert!(ts("spawn('x', [], { env: { ...process.env, A: '1' } });\n").env_opaque);
        assert!(ts("const v = process.env[name];\n").env_opaque);
        assert!(!ts("const v = process.env['NAME'];\nz.object({ A: z.string() }).parse(process.env);\n").env_opaque);
        let g = ts("if (!process.env.SESSION_SECRET || process.env.SESSION_SECRET.length < 32) {\n  throw new Error('short');\n}\n");
        assert_eq!(g.env_min_lengths, vec![("SESSION_SECRET".to_string(), 32, 1)]);
        assert!(ts("if (process.env.S.length < 32) console.warn('short');\n").env_min_lengths.is_empty());
        assert_eq!(f.fail_open_auth, vec![("ADMIN_TOKEN".to_string(), 8), ("API_KEY".to_string(), 9)]);
        let bearer = ts("export function GET(req) {\n  if (process.env.CRON_SECRET && req.headers.get('authorization') !== `Bearer ${process.env.CRON_SECRET}`) {\n    return new Response(null, { status: 401 });\n  }\n}\n");
        assert_eq!(bearer.fail_open_auth, vec![("CRON_SECRET".to_string(), 2)]);
    }

    #[test]
    fn service_url_literals() {
        let src = "import Redis from 'ioredis';\n\
export const r = new Redis('redis://localhost:6379');\n\
export const u = process.env.REDIS_URL || 'redis://localhost:6379';\n\
const dev = process.env.NODE_ENV !== 'production' ? 'postgres://localhost/dev' : process.env.DATABASE_URL;\n\
export const site = 'https://acme.io';\n\
mongoose.connect('mongodb://127.0.0.1/app');\n\
export const c = createClient({ url: 'redis://redis:6379' });\n\
const d = config.get('REDIS_URL', 'redis://localhost:6379');\n";
        let f = ts(src);
        let got: Vec<(&str, usize)> = f.service_urls.iter().map(|(u, l)| (u.as_str(), *l)).collect();
        assert_eq!(
            got,
            vec![("redis://localhost:6379", 2), ("mongodb://127.0.0.1/app", 6), ("redis://redis:6379", 7)]
        );
    }

    #[test]
    fn orm_sqlite_configs() {
        let src = "import knex from 'knex';\n\
export const db = knex({ client: 'sqlite3', connection: { filename: './data/app.sqlite' } });\n\
export const s = new Sequelize({ dialect: 'sqlite', storage: process.env.DB_PATH || 'db.sqlite' });\n\
export const t = new DataSource({ type: 'better-sqlite3', database: ':memory:' });\n\
export const pg = knex({ client: 'pg', connection: process.env.DATABASE_URL });\n";
        let f = ts(src);
        let got: Vec<(&str, usize, &PathExpr)> = f.fs_writes.iter().map(|w| (w.func.as_str(), w.line, &w.path)).collect();
        assert_eq!(
            got,
            vec![
                ("Database", 2, &lit("./data/app.sqlite")),
                ("Database", 3, &env("DB_PATH", Some(lit("db.sqlite"))))
            ]
        );
    }

    #[test]
    fn top_level_jobs_and_log_files() {
        let src = "import cron from 'node-cron';\n\
import winston from 'winston';\n\
import pino from 'pino';\n\
cron.schedule('0 * * * *', () => cleanup());\n\
setInterval(sync, 60 * 60 * 1000);\n\
export function start() { setInterval(poll, 1000); cron.schedule('* * * * *', job); }\n\
const logger = winston.createLogger({ transports: [new winston.transports.File({ filename: 'logs/error.log' })] });\n\
const dest = pino.destination('./app.log');\n";
        let f = ts(src);
        let jobs: Vec<(&str, usize, Option<u64>)> = f.top_jobs.iter().map(|j| (j.kind.as_str(), j.line, j.period_ms)).collect();
        assert_eq!(
            jobs,
            vec![("node-cron", 4), ("setInterval", 5)]
                .into_iter()
                .zip([None, Some(3_600_000)])
                .map(|((k, l), p)| (k, l, p))
                .collect::<Vec<_>>()
        );
        let w: Vec<(&str, &PathExpr)> = f.fs_writes.iter().map(|w| (w.func.as_str(), &w.path)).collect();
        assert_eq!(
            w,
            vec![("winston.transports.File", &lit("logs/error.log")), ("pino.destination", &lit("./app.log"))]
        );
        let reg = "import cron from 'node-cron';\nexport async function register() {\n  if (process.env.NEXT_RUNTIME === 'nodejs') { cron.schedule('0 0 * * *', job); }\n}\n";
        assert_eq!(analyze(reg, "instrumentation.ts").top_jobs.len(), 1);
        assert!(analyze(reg, "lib/jobs.ts").top_jobs.is_empty());
    }

    #[test]
    fn prefilter() {
        assert!(may_matter(UPLOAD.as_bytes()));
        assert!(may_matter(b"app.listen(3000)"));
        assert!(may_matter(b"export async function GET() {}"));
        assert!(may_matter(b"new WebSocket(u)"));
        assert!(!may_matter(
            b"import React from 'react';\nexport default function Page() { return <div>Hello</div> }\n"
        ));
        assert!(!may_matter(b"fetch(url, { method: 'GETTER' })"));
        assert!(may_matter(b"GETTER GET"));
        assert!(may_matter(b"x=_POST;POST"));
        assert!(!may_matter(b"_POST POSTS xDELETE"));
    }

    /// The prefilter answers as the regex it replaced (the needles and word-bounded methods).
    #[test]
    fn prefilter_agrees_with_the_regex_it_replaced() {
        let re = regex::bytes::Regex::new(concat!(
            r"env|File|WriteStream|mkdir|rename|ensureDir|writeJson|outputJson|fs-extra|listen|serve",
            r"|child_process|exec|spawn|\$`|event-stream|Interval|[cC]ron|schedule|agenda|repeat|JobScheduler",
            r"|WebSocket|socket\.io|multer|diskStorage|Database|use server|Bree|pino|sqlite|redis://|postgres|mysql://|mongodb|amqp://",
            r"|(?-u:\b)(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)(?-u:\b)",
        ))
        .expect("regex");
        let words = [
            "GET",
            "POST",
            "HEADS",
            "_PUT",
            "PATCH_",
            "xOPTIONS",
            "cron",
            "Cron",
            "crOn",
            "$`",
            "$ `",
            "socket.io",
            "socketxio",
            "é",
            "\u{0}",
            "OPTIONS-",
            "-DELETE-",
            "envy",
            "Env",
            "serve",
            "redis:/",
            "amqp://",
        ];
        let mut n = 0u64;
        for a in &words {
            for b in &words {
                for sep in ["", " ", "_", "\n", "1"] {
                    let text = format!("{a}{sep}{b}");
                    assert_eq!(may_matter(text.as_bytes()), re.is_match(text.as_bytes()), "{text:?}");
                    n += 1;
                }
            }
        }
        assert!(n > 2000);
    }

    #[test]
    fn source_types() {
        assert!(source_type_for("a/b.ts").is_typescript());
        assert!(!source_type_for("a/b.ts").is_jsx());
        assert!(source_type_for("a/b.tsx").is_jsx());
        assert!(source_type_for("b.MJS").is_jsx());
        assert!(source_type_for("b.cjs").is_javascript());
        assert!(source_type_for("noext").is_typescript());
    }

    #[test]
    fn large_file_is_linear_and_fast() {
        let unit = "import fs from 'fs';\nconst DIR = process.env.DIR || './data';\nexport async function POST(req) {\n  const body = await req.json();\n  if (body.x) { fs.writeFileSync(path.join(DIR, body.name), JSON.stringify(body)); }\n  return new Response(JSON.stringify({ ok: true, port: process.env.PORT }), { headers: { 'Content-Type': 'application/json' } });\n}\nfunction helper(a, b) { return a.map((x) => ({ ...x, y: b[x.id] ?? null })).filter(Boolean); }\n";
        let src: String = unit.repeat(250); // ~2,000 lines
        let start = std::time::Instant::now();
        let f = analyze(&src, "big.js");
        let took = start.elapsed();
        assert_eq!(f.fs_writes.len(), 250);
        assert_eq!(f.fs_writes[249].line, 249 * 8 + 5);
        assert!(took.as_millis() < 3000, "took {took:?}");
        let start = std::time::Instant::now();
        assert!(may_matter(src.as_bytes()));
        let _ = may_matter(&src.as_bytes()[src.len() / 2..]);
        eprintln!("analyze 2000 lines: {took:?}; prefilter: {:?}", start.elapsed());
    }

    fn mutations(inputs: &[&str], mut check: impl FnMut(&str)) {
        for src in inputs {
            for (i, _) in src.char_indices() {
                check(&src[..i]);
            }
            let bytes = src.as_bytes();
            let subs = [b'(', b'`', b'"', b'{', b'/', b'\n', b'}', b'<'];
            for (i, &b) in bytes.iter().enumerate() {
                if !b.is_ascii() {
                    continue;
                }
                let mut m = bytes.to_vec();
                m[i] = subs[i % subs.len()];
                if let Ok(s) = std::str::from_utf8(&m) {
                    check(s);
                }
            }
        }
    }

    #[test]
    fn never_panics_on_truncated_or_mutated_input() {
        let inputs = [
            UPLOAD,
            "import { execFile } from 'child_process';\nconst { PORT = 3000 } = process.env;\nexecFile('pg_dump', [`-f${x}`]);\nserver.listen({ port: PORT, host: 'localhost' });\n",
            "import multer from 'multer';\nconst s = multer.diskStorage({ destination: function (r, f, cb) { if (x) { cb(null, `/tmp/${a}`) } } });\n",
            "export default function P() { return <a href={`${process.env.NEXT_PUBLIC_URL}/x`}>é ü {'text/event-stream'}</a> }\n",
            "new CronJob('* * *', () => fs.promises.writeFile(os.tmpdir() + '/x', ''));\nsetInterval(() => {}, 1);\nnew Database(`${__dirname}/db.sqlite`);\n",
        ];
        mutations(&inputs, |s| {
            let _ = analyze(s, "x.tsx");
            let _ = may_matter(s.as_bytes());
        });
        mutations(&inputs[..2], |s| {
            let _ = analyze(s, "x.js");
        });
    }
}
