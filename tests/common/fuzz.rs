//! A small, dependency-free mutation fuzzer for every parser, shared by the bounded run in
//! `cargo test` (tests/fuzz.rs) and the long run (`scripts/fuzz.sh`, examples/fuzz.rs).
//!
//! Inputs are generated from a seeded xorshift generator, so a case is reproduced from
//! `(parser, seed, index)` alone. Each case is one of: a fixture file of the parser's kind
//! (or a built-in seed) put through 1–4 structure-aware mutations (splice with another file at
//! line boundaries, duplicate / drop / swap lines, insert a token of the format's syntax, deep
//! bracket nesting, CRLF / lone CR / BOM, truncation, byte flips), or plain random bytes.
//! A panic in a parser is caught and reported with the input; a stack overflow aborts the
//! process (the script reports it; `FUZZ_TRACE=file` writes each input before it runs).

#![allow(dead_code)]

use deploy_audit::parse::*;
use std::path::{Path, PathBuf};

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// One parser under test: the file names it reads (for picking fixture seeds), extra seeds
/// for formats the fixtures lack, the syntax tokens its mutations insert, and the call.
pub struct Target {
    pub name: &'static str,
    pub names: &'static [&'static str],
    pub seeds: &'static [&'static str],
    pub tokens: &'static [&'static str],
    pub run: fn(&str),
}

const COMMON_TOKENS: &[&str] = &[
    "\n",
    "\r\n",
    "\r",
    "\u{feff}",
    "\t",
    " ",
    "\\",
    "\\\n",
    "\"",
    "'",
    "`",
    "$",
    "${",
    "}",
    "{",
    "[",
    "]",
    "(",
    ")",
    "#",
    "=",
    ":",
    ",",
    "\0",
    "\u{1b}[31m",
    "|",
    "é",
    "\u{10ffff}",
    "9999999999999999999999",
    "-1",
    "0x",
    "<<EOF\n",
    "EOF\n",
];

fn run_dockerfile(s: &str) {
    let df = dockerfile::parse(s);
    let _ = df.final_stage();
    let _ = df.syntax();
    for (i, ins) in df.instructions.iter().enumerate() {
        let _ = ins.copy_parts();
        let _ = ins.command_text();
        let _ = ins.key_values();
        let _ = ins.flag("from");
        let _ = df.from_stage_of(ins);
        if i < 64 {
            let _ = df.env_before(i);
        }
    }
    for st in 0..df.stages.len().min(16) {
        let _ = df.stage_env(st);
    }
    let _ = dockerfile::process_word(s.get(..s.len().min(256)).unwrap_or(""), '\\', None);
}

fn run_compose(s: &str) {
    if let Ok(c) = compose::parse(s) {
        let lookup = |k: &str| (k.len() < 8).then(|| "v".to_string());
        for svc in c.services.iter().take(32) {
            let _ = c.service(&svc.name);
        }
        let mut base = compose::parse("services:\n  web:\n    image: node\n").unwrap_or_else(|_| unreachable!());
        compose::merge(&mut base, &c);
        let _ = compose::interpolate(s.get(..s.len().min(512)).unwrap_or(""), &lookup);
    }
    let _ = compose::var_refs(s.get(..s.len().min(4096)).unwrap_or(""));
}

fn run_yaml(s: &str) {
    let _ = yaml::parse(s);
}

fn run_dockerignore(s: &str) {
    let d = dockerignore::parse(s);
    for p in [
        "a",
        "a/b/c",
        ".env",
        "node_modules/x",
        "src/app/page.tsx",
        ".git",
        "Dockerfile",
        "x/.next/cache",
    ] {
        let _ = d.excluded(p);
    }
    let _ = d.has_exceptions();
}

fn run_prisma(s: &str) {
    let _ = prisma::parse(s);
}

fn run_prisma_config(s: &str) {
    let _ = prisma::parse_config_ts(s);
}

fn run_env(s: &str) {
    let (entries, _) = env_file::parse(s);
    for e in entries.iter().take(64) {
        let _ = env_file::url_parts(&e.value);
        let _ = env_file::redact(&e.value);
        let _ = env_file::is_placeholder(&e.value);
        let _ = env_file::is_secret_name(&e.name);
    }
}

fn run_toml(s: &str) {
    if let Ok(n) = platform::parse_toml(s) {
        let _ = platform::fly(&n);
        let _ = platform::railway(&n);
        let _ = platform::nixpacks(&n);
    }
}

fn run_railway_json(s: &str) {
    if let Ok(n) = platform::parse_json(s) {
        let _ = platform::railway(&n);
    }
}

fn run_render_yaml(s: &str) {
    if let Ok(n) = platform::parse_yaml(s) {
        let _ = platform::render(&n);
    }
}

fn run_procfile(s: &str) {
    let _ = platform::procfile(s);
}

fn run_package_json(s: &str) {
    if let Ok(p) = package_json::parse(s) {
        let _ = p.script("start");
        let _ = p.package_manager_name();
        for d in ["next", "prisma", "@prisma/client", "sharp"] {
            if let Some(dep) = p.dep(d) {
                let _ = package_json::min_version(&dep.spec);
                let _ = package_json::min_major(&dep.spec);
                let _ = package_json::is_unpinned(&dep.spec);
            }
        }
    }
    for spec in s.lines().take(16) {
        let _ = package_json::min_version(spec);
    }
}

fn run_next_config(s: &str) {
    let _ = next_config::parse(s, "next.config.mjs");
    let _ = next_config::parse(s, "next.config.ts");
}

fn run_source(s: &str) {
    if source::may_matter(s.as_bytes()) || s.len() < 2048 {
        let _ = source::analyze(s, "app/api/x/route.ts");
        let _ = source::analyze(s, "lib/server.js");
    }
}

pub const TARGETS: &[Target] = &[
    Target {
        name: "dockerfile",
        names: &["Dockerfile"],
        seeds: &["# syntax=docker/dockerfile:1\n# escape=`\nFROM node:20 AS b\nARG X=1\nENV A=$X B=\"c d\"\nRUN <<EOF\necho hi\nEOF\nCOPY --from=b --chown=1:1 a b ./\nCMD [\"node\", \"s.js\"]\n"],
        tokens: &["FROM ", "AS ", "RUN ", "COPY ", "--from=", "ENV ", "ARG ", "CMD ", "ENTRYPOINT ", "[\"", "\"]", "<<EOF\n", "<<-EOF\n", "# escape=`\n", "`\n", "ONBUILD ", "HEALTHCHECK ", "${A:-b}", "$X", "--mount=type=cache,target=/x "],
        run: run_dockerfile,
    },
    Target {
        name: "compose",
        names: &["docker-compose.yml", "docker-compose.prod.yml", "compose.yaml"],
        seeds: &["services:\n  web:\n    build:\n      context: .\n      dockerfile: Dockerfile\n    ports: [\"3000:3000\"]\n    environment:\n      - A=${B:-c}\n    volumes:\n      - data:/data\n    depends_on: {db: {condition: service_healthy}}\n  db:\n    image: postgres:16\nvolumes:\n  data:\n"],
        tokens: &["services:\n", "  ", "- ", ": ", "&a ", "*a", "<<: *a\n", "!!str ", "? ", "|\n", ">-\n", "---\n", "...\n", "${X:?e}", "volumes:\n", "build: .\n", "ports:\n", "{", "}", "[", "]", "%YAML 1.2\n"],
        run: run_compose,
    },
    Target {
        name: "yaml",
        names: &["render.yaml", "docker-compose.yml", "pnpm-lock.yaml"],
        seeds: &["a: &x [1, 2, {b: c}]\nd: *x\ne: !!binary aGk=\nf: |\n  text\n"],
        tokens: &["&a ", "*a", "<<: *a\n", "- ", ": ", "? ", "{", "}", "[", "]", "!", "%TAG ! tag:x,2000:\n", "---\n", "'", "\"\\u12\""],
        run: run_yaml,
    },
    Target {
        name: "dockerignore",
        names: &[".dockerignore"],
        seeds: &["node_modules\n**/.env*\n!.env.example\n# comment\n/dist\n*.md\n!README.md\n[a-z]?\\*\n"],
        tokens: &["**/", "*", "?", "!", "[", "]", "[^", "\\", "/", "..", "./", "#", "[a-", "**"],
        run: run_dockerignore,
    },
    Target {
        name: "prisma",
        names: &["schema.prisma"],
        seeds: &["generator client {\n  provider = \"prisma-client-js\"\n  binaryTargets = [\"native\", \"linux-musl\"]\n}\ndatasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\nmodel A {\n  id Int @id @default(autoincrement())\n  b String? @db.VarChar(3)\n  @@index([b])\n}\n"],
        tokens: &["model ", "generator ", "datasource ", "enum ", "{", "}", "(", ")", "[", "]", "@", "@@", "env(\"", "\"", "//", "///", "/*", "=", "?"],
        run: run_prisma,
    },
    Target {
        name: "prisma-config",
        names: &["prisma.config.ts"],
        seeds: &["import { defineConfig, env } from 'prisma/config';\nexport default defineConfig({ schema: 'prisma/schema.prisma', migrations: { path: 'prisma/migrations', seed: 'tsx prisma/seed.ts' }, datasource: { url: env('DATABASE_URL') } });\n"],
        tokens: &["defineConfig(", "{", "}", "(", ")", "'", "`", "${", "schema:", "env(", "//", "/*"],
        run: run_prisma_config,
    },
    Target {
        name: "env",
        names: &[".env.example", ".env", ".env.production"],
        seeds: &["# c\nexport A=1\nB=\"multi\nline\"\nC='x'\nDATABASE_URL=postgresql://u:p@h:5432/d?sslmode=require\nD=${A}-$B\nE= # comment\n"],
        tokens: &["=", "export ", "\"", "'", "`", "#", "${", "}", "$", "\\", "postgres://a:b@c/d", "://", "@", ":"],
        run: run_env,
    },
    Target {
        name: "toml",
        names: &["fly.toml", "railway.toml", "nixpacks.toml"],
        seeds: &[
            "app = \"x\"\nprimary_region = \"ams\"\n[build]\ndockerfile = \"Dockerfile\"\n[env]\nPORT = \"8080\"\n[http_service]\ninternal_port = 8080\n[[http_service.checks]]\npath = \"/api/health\"\n[[mounts]]\nsource = \"d\"\ndestination = \"/data\"\n[deploy]\nrelease_command = \"npx prisma migrate deploy\"\n[[vm]]\nmemory = \"512mb\"\n",
            "[build]\nbuilder = \"DOCKERFILE\"\ndockerfilePath = \"Dockerfile\"\n[deploy]\nstartCommand = \"npm start\"\nhealthcheckPath = \"/health\"\npreDeployCommand = [\"npm run migrate\"]\n",
            "[phases.setup]\nnixPkgs = [\"nodejs_20\"]\n[phases.build]\ncmds = [\"npm run build\"]\n[start]\ncmd = \"npm start\"\n",
        ],
        tokens: &["[", "]", "[[", "]]", "=", "\"", "'''", "\"\"\"", "{", "}", ",", ".", "#", "1979-05-27T07:32:00Z", "inf", "nan", "0x1f", "1_000"],
        run: run_toml,
    },
    Target {
        name: "railway-json",
        names: &["railway.json"],
        seeds: &["{\"$schema\":\"https://railway.com/railway.schema.json\",\"build\":{\"builder\":\"NIXPACKS\"},\"deploy\":{\"startCommand\":\"npm start\",\"healthcheckPath\":\"/health\",\"numReplicas\":2}}"],
        tokens: &["{", "}", "[", "]", ":", ",", "\"", "\\u0000", "\\", "1e999", "-0", "null", "true"],
        run: run_railway_json,
    },
    Target {
        name: "render-yaml",
        names: &["render.yaml"],
        seeds: &["services:\n  - type: web\n    name: app\n    runtime: docker\n    dockerfilePath: ./Dockerfile\n    healthCheckPath: /health\n    envVars:\n      - key: DATABASE_URL\n        fromDatabase: {name: db, property: connectionString}\n    disk: {name: d, mountPath: /data, sizeGB: 1}\ndatabases:\n  - name: db\n"],
        tokens: &["- ", ": ", "&a ", "*a", "services:\n", "envVars:\n", "{", "}", "[", "]", "  "],
        run: run_render_yaml,
    },
    Target {
        name: "procfile",
        names: &["Procfile"],
        seeds: &["web: npm start\nrelease: npx prisma migrate deploy\nworker: node worker.js # c\n"],
        tokens: &[":", "web", "release", "#", "\n", " ", "\t"],
        run: run_procfile,
    },
    Target {
        name: "package-json",
        names: &["package.json"],
        seeds: &["{\"name\":\"a\",\"packageManager\":\"pnpm@9.0.0\",\"engines\":{\"node\":\">=20 <23\"},\"scripts\":{\"start\":\"next start -p $PORT\"},\"dependencies\":{\"next\":\"^15.1.0\",\"sharp\":\"~0.33\"},\"workspaces\":[\"apps/*\"]}"],
        tokens: &["{", "}", "[", "]", ":", ",", "\"", "\\u", "^", "~", ">=", "||", " - ", "x", "*", "latest", "workspace:*", "npm:", "1.2.3-beta.1"],
        run: run_package_json,
    },
    Target {
        name: "next-config",
        names: &["next.config.js", "next.config.ts", "next.config.mjs"],
        seeds: &["const isProd = process.env.NODE_ENV === 'production';\n/** @type {import('next').NextConfig} */\nconst nextConfig = { output: isProd ? 'standalone' : undefined, images: { remotePatterns: [{ protocol: 'https', hostname: '**.example.com' }] }, ...other };\nmodule.exports = withX(nextConfig);\n"],
        tokens: &["{", "}", "(", ")", "[", "]", "...", "=>", "`", "${", "'", "\"", "//", "/*", "*/", "export default ", "module.exports = ", "async ", "await ", "?", ":", ",", "output: 'standalone'", "<div>", "</div>"],
        run: run_next_config,
    },
    Target {
        name: "source",
        names: &["route.ts", "page.tsx", "server.ts", "storage.ts", "index.ts", "main.ts", "seed.js", "print.ts", "database-backup.ts"],
        seeds: &["import fs from 'node:fs';\nconst { PORT = '3000', DB: url } = process.env;\nexport async function GET() {\n  await fs.promises.writeFile(process.env.UPLOAD_DIR ?? './uploads', 'x');\n  return new Response(`ok ${process.env['API_KEY'] || 'fallback'}`);\n}\napp.listen(Number(PORT), '0.0.0.0');\n"],
        tokens: &["{", "}", "(", ")", "[", "]", "=>", "`", "${", "'", "\"", "//", "/*", "*/", "process.env.", "process.env[", "import ", "require(", "export ", "<T,>", "</", "/>", "?.", "??", "async ", "function ", "class ", "@dec ", "#!", "/re/g"],
        run: run_source,
    },
];

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every fixture file, read once.
pub fn fixture_files() -> Vec<(String, Vec<u8>)> {
    let mut paths = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().to_string();
            Some((name, std::fs::read(&p).ok()?))
        })
        .collect()
}

/// The seed corpus of a target: fixture files with one of its names, then its built-in seeds.
pub fn corpus(t: &Target, fixtures: &[(String, Vec<u8>)]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = fixtures.iter().filter(|(n, _)| t.names.contains(&n.as_str())).map(|(_, b)| b.clone()).collect();
    out.extend(t.seeds.iter().map(|s| s.as_bytes().to_vec()));
    out
}

fn line_starts(b: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(memchr_iter(b).map(|i| i + 1));
    v
}

fn memchr_iter(b: &[u8]) -> impl Iterator<Item = usize> + '_ {
    b.iter().enumerate().filter(|(_, &c)| c == b'\n').map(|(i, _)| i)
}

/// A line range `[start, end)` of `b` picked at random.
fn some_lines(rng: &mut Rng, b: &[u8]) -> (usize, usize) {
    let starts = line_starts(b);
    let a = starts[rng.below(starts.len())];
    let n = 1 + rng.below(4);
    let end = starts.iter().copied().filter(|&s| s > a).nth(n - 1).unwrap_or(b.len());
    (a.min(b.len()), end.max(a).min(b.len()))
}

fn mutate_once(rng: &mut Rng, mut b: Vec<u8>, t: &Target, corpus: &[Vec<u8>]) -> Vec<u8> {
    let pos = |rng: &mut Rng, b: &Vec<u8>| rng.below(b.len() + 1);
    match rng.below(14) {
        0 => {
            // Insert a syntax token of the format.
            let tok = if rng.chance(3) {
                COMMON_TOKENS[rng.below(COMMON_TOKENS.len())]
            } else {
                t.tokens[rng.below(t.tokens.len())]
            };
            let p = pos(rng, &b);
            b.splice(p..p, tok.bytes());
        }
        1 => {
            // Splice: our head, another file's tail, at line boundaries.
            let other = &corpus[rng.below(corpus.len())];
            let (a, _) = some_lines(rng, &b);
            let (c, _) = some_lines(rng, other);
            b.truncate(a);
            b.extend_from_slice(&other[c..]);
        }
        2 => {
            // Duplicate some lines, sometimes many times.
            let (a, e) = some_lines(rng, &b);
            let chunk = b[a..e].to_vec();
            let times = if rng.chance(8) { 1 + rng.below(200) } else { 1 };
            for _ in 0..times {
                b.splice(e..e, chunk.iter().copied());
            }
        }
        3 => {
            let (a, e) = some_lines(rng, &b);
            b.drain(a..e);
        }
        4 => {
            // Swap two line ranges.
            let (a, e) = some_lines(rng, &b);
            let chunk: Vec<u8> = b.drain(a..e).collect();
            let p = pos(rng, &b);
            b.splice(p..p, chunk);
        }
        5 => {
            // Deep nesting of an opener.
            let open = ["[", "{", "(", "- ", "  ", "`${", "<a>", "[[", "&a [", "\""][rng.below(10)];
            let max = if rng.chance(4) { 5000 } else { 200 };
            let n = 1 + rng.below(max);
            let p = pos(rng, &b);
            let ins: Vec<u8> = open.repeat(n).into_bytes();
            b.splice(p..p, ins);
        }
        6 => {
            // Line endings: CRLF everywhere, lone CR, a BOM.
            match rng.below(3) {
                0 => b = String::from_utf8_lossy(&b).replace('\n', "\r\n").into_bytes(),
                1 => b = String::from_utf8_lossy(&b).replace('\n', "\r").into_bytes(),
                _ => {
                    b.splice(0..0, "\u{feff}".bytes());
                }
            }
        }
        7 => {
            let p = pos(rng, &b);
            b.truncate(p);
        }
        8 | 9 => {
            for _ in 0..1 + rng.below(8) {
                if b.is_empty() {
                    break;
                }
                let p = rng.below(b.len());
                b[p] ^= 1 << rng.below(8);
            }
        }
        10 => {
            // Interesting bytes.
            let p = pos(rng, &b);
            let v = [0u8, 0xff, 0xc3, 0x80, 0x7f, b'\r', b'\t', 0x1b, 0xef, 0xbb, 0xbf][rng.below(11)];
            b.insert(p, v);
        }
        11 => {
            // Random bytes in the middle.
            let p = pos(rng, &b);
            let n = rng.below(32);
            let ins: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            b.splice(p..p, ins);
        }
        12 => {
            // Indentation change of a line range (YAML, Python-like formats).
            let (a, e) = some_lines(rng, &b);
            let s = String::from_utf8_lossy(&b[a..e]).to_string();
            let re = if rng.chance(2) { s.replace('\n', "\n  ") } else { s.replace("\n  ", "\n") };
            b.splice(a..e, re.into_bytes());
        }
        _ => {
            // Replace a word-ish run with a token.
            if !b.is_empty() {
                let p = rng.below(b.len());
                let e = (p + 1 + rng.below(16)).min(b.len());
                let tok = t.tokens[rng.below(t.tokens.len())];
                b.splice(p..e, tok.bytes());
            }
        }
    }
    b
}

/// Case `index` of a target's run with `seed`.
pub fn case(t: &Target, corpus: &[Vec<u8>], seed: u64, index: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ (t.name.len() as u64) << 56);
    if rng.chance(10) {
        let n = rng.below(512);
        return (0..n).map(|_| rng.next() as u8).collect();
    }
    let mut b = corpus[rng.below(corpus.len())].clone();
    for _ in 0..1 + rng.below(4) {
        b = mutate_once(&mut rng, b, t, corpus);
        if b.len() > 256 << 10 {
            b.truncate(256 << 10);
        }
    }
    b
}

pub struct Outcome {
    pub cases: u64,
    pub crashes: Vec<(u64, String, Vec<u8>)>,
    pub seconds: f64,
    pub slowest_ms: f64,
    pub slowest_case: u64,
}

/// Run `cases` cases of `t`; panics are caught and collected with their inputs.
pub fn run(t: &Target, fixtures: &[(String, Vec<u8>)], seed: u64, cases: u64, trace: Option<&Path>) -> Outcome {
    let corpus = corpus(t, fixtures);
    assert!(!corpus.is_empty(), "{}: empty corpus", t.name);
    let start = std::time::Instant::now();
    let mut crashes = Vec::new();
    let mut slowest = 0f64;
    let mut slowest_case = 0;
    source::on_big_stack(|| {
        for i in 0..cases {
            let input = case(t, &corpus, seed, i);
            if let Some(p) = trace {
                let _ = std::fs::write(p, &input);
            }
            let text = String::from_utf8_lossy(&input);
            let c0 = std::time::Instant::now();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (t.run)(&text)));
            let ms = c0.elapsed().as_secs_f64() * 1000.0;
            if ms > slowest {
                slowest = ms;
                slowest_case = i;
            }
            if let Err(e) = r {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                crashes.push((i, msg, input));
                if crashes.len() >= 16 {
                    break;
                }
            }
        }
    });
    Outcome {
        cases,
        crashes,
        seconds: start.elapsed().as_secs_f64(),
        slowest_ms: slowest,
        slowest_case,
    }
}
