//! Hostile repositories: each test generates a tree in a temporary directory, plants a real
//! finding next to the hostile thing, and runs the built `audit` binary with a timeout. Every
//! case must finish within seconds, exit 0 or 1 (never a crash), report what it skipped and
//! why, and still report the planted finding.

use serde_json::Value;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Wall-clock cap for one scan (debug build, shared CI machine). Real runs take well under 1 s.
const TIMEOUT: Duration = Duration::from_secs(30);

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn audit_in(root: &Path, args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_audit"))
        .args(args)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run audit");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("audit {args:?} did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = String::from_utf8_lossy(&t_out.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&t_err.join().unwrap()).into_owned();
    let code = status
        .code()
        .unwrap_or_else(|| panic!("audit killed by a signal: {status:?}\nstderr: {stderr}"));
    assert!(code == 0 || code == 1, "exit code {code}\nstderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    Run { code, stdout, stderr }
}

/// Scan `root` (relative path `.`) for `target` in `format`.
fn scan(root: &Path, target: &str, format: &str) -> Run {
    audit_in(root, &["scan", ".", "--target", target, "--format", format])
}

fn scan_json(root: &Path, target: &str) -> Value {
    let r = scan(root, target, "json");
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("invalid json ({e}): {}", r.stdout))
}

#[derive(Debug)]
struct F {
    rule: String,
    file: String,
    line: Option<u64>,
    message: String,
}

fn findings(v: &Value) -> Vec<F> {
    v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["findings"].as_array().unwrap().iter())
        .map(|f| F {
            rule: f["rule"].as_str().unwrap().to_string(),
            file: f["file"].as_str().unwrap_or("").to_string(),
            line: f["line"].as_u64(),
            message: f["message"].as_str().unwrap_or("").to_string(),
        })
        .collect()
}

fn has(fs: &[F], rule: &str, file: &str) -> bool {
    fs.iter().any(|f| f.rule == rule && f.file == file)
}

fn write(root: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const UPLOAD_ROUTE: &str = "import { writeFileSync } from 'fs';\n\nexport async function POST(req: Request) {\n  writeFileSync('./uploads/latest.bin', 'x');\n  return new Response('ok');\n}\n";

/// A small Next.js app with one real blocker: an upload route writing to local disk (line 4).
fn plant(root: &Path) {
    write(
        root,
        "package.json",
        r#"{"name":"a","scripts":{"build":"next build","start":"next start"},"dependencies":{"next":"15.1.0"}}"#,
    );
    write(root, "app/api/upload/route.ts", UPLOAD_ROUTE);
}

fn assert_planted(fs: &[F]) {
    assert!(
        fs.iter()
            .any(|f| f.rule == "ephemeral-disk-write" && f.file == "app/api/upload/route.ts" && f.line == Some(4)),
        "the planted finding is missing: {fs:#?}"
    );
}

fn skipped<'a>(fs: &'a [F], file: &str) -> Option<&'a F> {
    fs.iter().find(|f| f.rule == "file-skipped" && f.file == file)
}

#[cfg(unix)]
fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let st = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(st.success());
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root);
    symlink(".", root.join("loop"));
    std::fs::create_dir_all(root.join("a/b")).unwrap();
    symlink("..", root.join("a/b/up"));
    symlink("Dockerfile.b", root.join("Dockerfile"));
    symlink("Dockerfile", root.join("Dockerfile.b"));
    symlink("self.ts", root.join("a/self.ts"));
    let v = scan_json(root, "koyeb");
    let fs = findings(&v);
    assert_planted(&fs);
    // The looping Dockerfile links resolve to nothing: reported, not read.
    assert!(has(&fs, "dangling-symlink", "Dockerfile"), "{fs:#?}");
    #[cfg(target_os = "linux")]
    assert!(
        fs.iter()
            .any(|f| f.rule == "dangling-symlink" && f.file == "Dockerfile" && f.message.contains("loop")),
        "{fs:#?}"
    );
    // Each file once: the loops did not multiply the tree.
    assert_eq!(fs.iter().filter(|f| f.rule == "ephemeral-disk-write").count(), 1, "{fs:#?}");
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_root_are_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let sibling = dir.path().join("sibling");
    let root = dir.path().join("repo");
    write(&sibling, "Dockerfile", "FROM sibling-secret-image-7f3a:1\nRUN npm ci\nCMD node s.js\n");
    write(
        &sibling,
        "docker-compose.yml",
        "services:\n  siblingdb:\n    image: postgres:16\n    ports: ['5432:5432']\n",
    );
    plant(&root);
    symlink("/etc/passwd", root.join(".env.production"));
    std::fs::create_dir_all(root.join("apps/web")).unwrap();
    symlink("/etc/passwd", root.join("apps/web/Dockerfile"));
    symlink("../sibling/Dockerfile", root.join("Dockerfile"));
    symlink("../sibling/docker-compose.yml", root.join("docker-compose.yml"));
    symlink("../sibling", root.join("linked"));
    for format in ["json", "table", "markdown"] {
        let r = scan(&root, "all", format);
        for leak in ["root:x:0", "sibling-secret-image-7f3a", "siblingdb"] {
            assert!(!r.stdout.contains(leak), "{format} output shows `{leak}`:\n{}", r.stdout);
            assert!(!r.stderr.contains(leak));
        }
    }
    let fs = findings(&scan_json(&root, "vps"));
    assert_planted(&fs);
    for f in [".env.production", "apps/web/Dockerfile", "Dockerfile", "docker-compose.yml"] {
        let s = skipped(&fs, f).unwrap_or_else(|| panic!("{f} not reported: {fs:#?}"));
        assert!(s.message.contains("outside the scanned directory"), "{s:?}");
    }
    assert!(!fs.iter().any(|f| f.file.starts_with("linked/")), "followed a directory link: {fs:#?}");
}

#[cfg(unix)]
#[test]
fn dangling_symlinks_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root);
    symlink("missing/Dockerfile", root.join("Dockerfile"));
    symlink("gone.json", root.join("package-lock.json"));
    symlink("nope", root.join(".env"));
    std::fs::create_dir_all(root.join("lib")).unwrap();
    symlink("nowhere.ts", root.join("lib/x.ts"));
    let fs = findings(&scan_json(root, "koyeb"));
    assert_planted(&fs);
    assert!(has(&fs, "dangling-symlink", "Dockerfile"), "{fs:#?}");
    assert!(has(&fs, "dangling-symlink", "package-lock.json"), "{fs:#?}");
    assert!(skipped(&fs, ".env").is_some(), "{fs:#?}");
}

#[cfg(unix)]
#[test]
fn named_pipes_do_not_block_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root);
    for f in ["Dockerfile", ".env", "docker-compose.yml", "lib/server.ts", "fly.toml"] {
        std::fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
        mkfifo(&root.join(f));
    }
    // A symlink to a pipe inside the root is no better.
    symlink("Dockerfile", root.join("Dockerfile.prod"));
    let fs = findings(&scan_json(root, "all"));
    assert_planted(&fs);
    for f in ["Dockerfile", ".env", "docker-compose.yml", "fly.toml", "Dockerfile.prod"] {
        let s = skipped(&fs, f).unwrap_or_else(|| panic!("{f} not reported: {fs:#?}"));
        assert!(s.message.contains("not a regular file"), "{s:?}");
    }
}

#[test]
fn huge_files_are_skipped_by_size_without_reading() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root);
    // A sparse 2 GiB package.json in an app directory, a sparse 2 GiB route.
    std::fs::create_dir_all(root.join("apps/big")).unwrap();
    std::fs::File::create(root.join("apps/big/package.json")).unwrap().set_len(2 << 30).unwrap();
    std::fs::create_dir_all(root.join("app/api/big")).unwrap();
    std::fs::File::create(root.join("app/api/big/route.ts")).unwrap().set_len(2 << 30).unwrap();
    // A one-line 50 MB compose file.
    let line = format!(
        "services: {{{}}}\n",
        (0..2_000_000).map(|i| format!("s{i}: {{image: x}}")).collect::<Vec<_>>().join(", ")
    );
    write(root, "docker-compose.yml", &line.as_bytes()[..50_000_000.min(line.len())]);
    let start = Instant::now();
    let fs = findings(&scan_json(root, "all"));
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    assert_planted(&fs);
    for f in ["apps/big/package.json", "app/api/big/route.ts", "docker-compose.yml"] {
        let s = skipped(&fs, f).unwrap_or_else(|| panic!("{f} not reported: {fs:#?}"));
        assert!(s.message.contains("over the 1048576 byte limit"), "{s:?}");
    }
    // The limit is the flag's.
    let r = audit_in(root, &["scan", ".", "--target", "koyeb", "--format", "json", "--max-file-size", "100"]);
    let fs = findings(&serde_json::from_str(&r.stdout).unwrap());
    assert!(
        skipped(&fs, "app/api/upload/route.ts").is_some_and(|s| s.message.contains("over the 100 byte limit")),
        "{fs:#?}"
    );
}

#[test]
fn a_one_line_compose_just_under_the_limit_parses_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root);
    let mut line = String::from("services: {db: {image: 'postgres:16'}");
    let mut i = 0;
    while line.len() < 1_000_000 {
        line.push_str(&format!(", s{i}: {{image: 'x:1', environment: [A=1, B=2]}}"));
        i += 1;
    }
    line.push_str("}\n");
    write(root, "docker-compose.yml", &line);
    let start = Instant::now();
    let fs = findings(&scan_json(root, "vps"));
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    assert_planted(&fs);
    // Either parsed (then the database without a volume is found) or refused with a reason.
    assert!(
        has(&fs, "compose-db-no-volume", "docker-compose.yml") || fs.iter().any(|f| f.file == "docker-compose.yml" && f.rule == "parse-error"),
        "{fs:#?}"
    );
}

#[test]
fn directories_nested_a_thousand_deep_are_walked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root);
    let deep: String = "d/".repeat(1000);
    write(root, &format!("{deep}lib/store.ts"), UPLOAD_ROUTE);
    let fs = findings(&scan_json(root, "koyeb"));
    assert_planted(&fs);
    assert!(
        fs.iter().any(|f| f.rule == "ephemeral-disk-write" && f.file == format!("{deep}lib/store.ts")),
        "the deepest file was not audited: {:?}",
        fs.iter().map(|f| (&f.rule, f.file.len())).collect::<Vec<_>>()
    );
}

#[test]
fn a_hundred_thousand_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root);
    for d in 0..100 {
        let p = root.join(format!("lib/m{d}"));
        std::fs::create_dir_all(&p).unwrap();
        for i in 0..1000 {
            let name = match i % 4 {
                0 => format!("f{i}.ts"),
                1 => format!("f{i}.tsx"),
                2 => format!("f{i}.md"),
                _ => format!("f{i}"),
            };
            std::fs::File::create(p.join(name)).unwrap();
        }
    }
    let start = Instant::now();
    let fs = findings(&scan_json(root, "all"));
    assert!(start.elapsed() < Duration::from_secs(25), "took {:?}", start.elapsed());
    assert_planted(&fs);
}

#[test]
fn yaml_alias_bombs_fail_fast() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root);
    let mut bomb = String::from("x-a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let mut prev = 'a';
    for c in 'b'..='j' {
        bomb.push_str(&format!("x-{c}: &{c} [{}]\n", vec![format!("*{prev}"); 9].join(",")));
        prev = c;
    }
    let compose = format!("{bomb}services:\n  web:\n    build: .\n    environment: *j\n  db:\n    image: postgres:16\n");
    write(root, "docker-compose.yml", &compose);
    write(root, "render.yaml", format!("{bomb}services:\n  - type: web\n    name: a\n    envVars: *j\n"));
    let start = Instant::now();
    let fs = findings(&scan_json(root, "all"));
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    assert_planted(&fs);
    for f in ["docker-compose.yml", "render.yaml"] {
        assert!(
            fs.iter().any(|x| x.rule == "parse-error" && x.file == f && x.message.contains("too large")),
            "{f}: {fs:#?}"
        );
    }
}

#[test]
fn nesting_a_hundred_thousand_deep_in_every_format() {
    let n = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root);
    let arrays = format!("{}{}", "[".repeat(n), "]".repeat(n));
    let objects = format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
    write(root, "apps/j/package.json", &arrays);
    write(root, "apps/o/package.json", &objects);
    write(root, "next.config.js", format!("module.exports = {{ output: 'standalone', x: {arrays} }};\n"));
    write(root, "app/api/deep/route.ts", format!("export const x = process.env.A ?? {arrays};\n"));
    // Nesting without brackets: a ternary chain, an else-if chain, a member chain, JSX.
    write(root, "lib/ternary.ts", format!("export const t = process.env.A ? {}0;\n", "a ? b : ".repeat(n)));
    write(
        root,
        "lib/elseif.ts",
        format!("const p = process.env.A;\n{}{{}}\n", "if (p) {} else ".repeat(60_000)),
    );
    write(root, "lib/member.ts", format!("export const m = process.env.A{};\n", ".b".repeat(n)));
    write(
        root,
        "lib/jsx.tsx",
        format!("const p = process.env.A;\nexport const J = () => {}{};\n", "<a>".repeat(n), "</a>".repeat(n)),
    );
    write(root, "docker-compose.yml", format!("services: {arrays}\n"));
    write(
        root,
        "deep/compose.yaml",
        format!("services:\n  web:\n    image: x\n    environment: {}1{}\n", "{a: ".repeat(n), "}".repeat(n)),
    );
    write(root, "fly.toml", format!("app = \"x\"\na = {arrays}\n"));
    write(root, "r/railway.toml", format!("x = {}1{}\n", "{a = ".repeat(n), "}".repeat(n)));
    write(root, "n/nixpacks.toml", format!("{} = 1\n", vec!["a"; n].join(".")));
    write(root, "railway.json", &arrays);
    write(root, "render.yaml", format!("a: {}\n", arrays));
    write(root, "prisma/schema.prisma", format!("model A {{\n{}{}\n}}\n", "{".repeat(n), "}".repeat(n)));
    write(root, "prisma.config.ts", format!("export default {{ schema: {arrays} }};\n"));
    write(root, ".env", format!("A={}\n", "${".repeat(n)));
    write(root, "Dockerfile", format!("FROM node:20\nRUN {}x\nCMD {arrays}\n", "\\\n".repeat(n)));
    write(root, ".dockerignore", format!("{}x\n", "**/".repeat(n)));
    let start = Instant::now();
    let fs = findings(&scan_json(root, "all"));
    assert!(start.elapsed() < Duration::from_secs(25), "took {:?}", start.elapsed());
    assert_planted(&fs);
    for f in [
        "apps/j/package.json",
        "apps/o/package.json",
        "next.config.js",
        "app/api/deep/route.ts",
        "lib/ternary.ts",
        "lib/member.ts",
        "docker-compose.yml",
        "deep/compose.yaml",
        "fly.toml",
        "r/railway.toml",
        "n/nixpacks.toml",
        "railway.json",
        "render.yaml",
    ] {
        assert!(
            fs.iter().any(|x| x.file == f && (x.rule == "parse-error" || x.rule == "file-skipped")),
            "{f} should be reported as too deep: {:#?}",
            fs.iter().filter(|x| x.file == f).collect::<Vec<_>>()
        );
    }
}

#[test]
fn encodings_and_line_endings_keep_findings_and_lines() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root);
    // A BOM'd CRLF Dockerfile still parses: `npm ci` without a lockfile at line 4.
    write(
        root,
        "Dockerfile",
        "\u{feff}FROM node:20\r\nWORKDIR /app\r\nCOPY . .\r\nRUN npm ci && npm run build\r\nCMD [\"npm\",\"start\"]\r\n",
    );
    // CRLF compose: the database without a volume, at its image line.
    write(
        root,
        "docker-compose.yml",
        "services:\r\n  web:\r\n    build: .\r\n    ports:\r\n      - \"3000:3000\"\r\n  db:\r\n    image: postgres:16\r\n",
    );
    // Lone CR compose in another directory.
    write(
        root,
        "ops/docker-compose.yml",
        "services:\r  web:\r    build: ..\r  db:\r    image: postgres:16\r",
    );
    // A BOM'd CRLF route writing to disk, at line 3.
    write(
        root,
        "app/api/crlf/route.ts",
        "\u{feff}import fs from 'fs';\r\nexport async function POST() {\r\n  fs.writeFileSync('./data/x.json', '{}');\r\n  return new Response('ok');\r\n}\r\n",
    );
    // Invalid UTF-8: reported, not read.
    write(root, "apps/bad/package.json", b"{\"name\":\"\xff\xfe\"}".as_slice());
    write(root, "lib/latin1.ts", b"export const s = '\xe9t\xe9';\n".as_slice());
    let fs = findings(&scan_json(root, "vps"));
    assert_planted(&fs);
    assert!(
        fs.iter().any(|f| f.rule == "npm-ci-no-lockfile" && f.file == "Dockerfile" && f.line == Some(4)),
        "{fs:#?}"
    );
    assert!(
        fs.iter()
            .any(|f| f.rule == "compose-db-no-volume" && f.file == "docker-compose.yml" && f.line == Some(7)),
        "{fs:#?}"
    );
    assert!(
        fs.iter()
            .any(|f| f.rule == "compose-db-no-volume" && f.file == "ops/docker-compose.yml" && f.line == Some(5)),
        "{fs:#?}"
    );
    assert!(
        fs.iter()
            .any(|f| f.rule == "ephemeral-disk-write" && f.file == "app/api/crlf/route.ts" && f.line == Some(3)),
        "{fs:#?}"
    );
    for f in ["apps/bad/package.json", "lib/latin1.ts"] {
        assert!(skipped(&fs, f).is_some_and(|s| s.message.contains("not valid UTF-8")), "{f}: {fs:#?}");
    }
}

#[cfg(unix)]
#[test]
fn odd_file_names_are_reported_safely() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root);
    // Newline, spaces and a non-UTF-8 byte in names that matter.
    write(root, "app/api/new\nline/route.ts", UPLOAD_ROUTE);
    write(root, "app/api/with space/route.ts", UPLOAD_ROUTE);
    let bad = root.join(std::ffi::OsStr::from_bytes(b"app/api/\xff\xfe"));
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("route.ts"), UPLOAD_ROUTE).unwrap();
    std::fs::write(root.join(std::ffi::OsStr::from_bytes(b"Dockerfile.\xff")), "FROM node:20\n").unwrap();
    // A non-UTF-8 name the audit would not read anyway is not reported.
    std::fs::write(root.join(std::ffi::OsStr::from_bytes(b"logo-\xff.png")), "x").unwrap();
    let v = scan_json(root, "koyeb");
    let fs = findings(&v);
    assert_planted(&fs);
    assert!(has(&fs, "ephemeral-disk-write", "app/api/new\nline/route.ts"), "{fs:#?}");
    assert!(has(&fs, "ephemeral-disk-write", "app/api/with space/route.ts"), "{fs:#?}");
    let non_utf8: Vec<&F> = fs
        .iter()
        .filter(|f| f.rule == "file-skipped" && f.message.contains("not valid UTF-8"))
        .collect();
    assert_eq!(non_utf8.len(), 2, "{fs:#?}");
    for format in ["table", "markdown"] {
        let r = scan(root, "koyeb", format);
        assert!(r.stdout.contains("with space/route.ts"), "{}", r.stdout);
        // The newline in a name is shown escaped, never as a line break inside a row.
        assert!(!r.stdout.contains("new\nline"), "{format}: raw newline in a name:\n{}", r.stdout);
    }
}

#[test]
fn names_that_differ_only_by_case() {
    // Decision: file names are matched case-insensitively, so `dockerfile` (which the Docker CLI
    // also accepts), `Dockerfile.prod`, `DOCKERFILE.dev` and `compose.YAML` are all audited.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root);
    write(
        root,
        "a/dockerfile",
        "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"npm\",\"start\"]\n",
    );
    write(root, "b/package.json", r#"{"name":"b","scripts":{"start":"node s.js"}}"#);
    write(
        root,
        "b/Dockerfile.prod",
        "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"npm\",\"start\"]\n",
    );
    write(root, "c/compose.YAML", "services:\n  web:\n    build: .\n  db:\n    image: postgres:16\n");
    write(
        root,
        "d/DOCKER-COMPOSE.YML",
        "services:\n  db:\n    image: mysql:8\n  web:\n    image: node:20\n",
    );
    let fs = findings(&scan_json(root, "vps"));
    assert_planted(&fs);
    assert!(has(&fs, "npm-ci-no-lockfile", "a/dockerfile"), "{fs:#?}");
    assert!(has(&fs, "npm-ci-no-lockfile", "b/Dockerfile.prod"), "{fs:#?}");
    assert!(has(&fs, "compose-db-no-volume", "c/compose.YAML"), "{fs:#?}");
    assert!(has(&fs, "compose-db-no-volume", "d/DOCKER-COMPOSE.YML"), "{fs:#?}");
}

#[test]
fn a_gitignore_that_ignores_everything_does_not_hide_the_deployment() {
    // Decision: `.gitignore` decides which env files and sources count as committed, but never
    // hides a file that defines the deployment (Dockerfile, compose, package.json, platform
    // configs): a tracked file stays tracked whatever .gitignore says, and Docker's build context,
    // `fly deploy` and `railway up` upload the directory without reading .gitignore.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".gitignore", "*\n");
    write(
        root,
        "package.json",
        r#"{"name":"a","scripts":{"build":"next build","start":"next start"},"dependencies":{"next":"15.1.0"}}"#,
    );
    write(
        root,
        "Dockerfile",
        "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"npm\",\"start\"]\n",
    );
    write(
        root,
        "ops/docker-compose.yml",
        "services:\n  web:\n    build: ..\n  db:\n    image: postgres:16\n",
    );
    // A git-ignored env file is local, not committed: its secret is not reported as committed.
    write(root, ".env.production", "STRIPE_SECRET_KEY=sk_live_51Hh8aKx0Qz7TmWvR2yLpN4cEjD9sFuB6gAeI3oU5\n");
    let v = scan_json(root, "vps");
    let fs = findings(&v);
    assert!(has(&fs, "npm-ci-no-lockfile", "Dockerfile"), "{fs:#?}");
    assert!(has(&fs, "compose-db-no-volume", "ops/docker-compose.yml"), "{fs:#?}");
    assert!(!fs.iter().any(|f| f.rule == "committed-env-secret"), "{fs:#?}");
    assert_ne!(v["targets"][0]["verdict"], "ready");
    // Without the .gitignore the .env is committed, and reported.
    std::fs::remove_file(root.join(".gitignore")).unwrap();
    let fs = findings(&scan_json(root, "vps"));
    assert!(has(&fs, "committed-env-secret", ".env.production"), "{fs:#?}");
}

/// Markdown tables: every row of a table has the header's number of unescaped `|`.
fn assert_markdown_tables_well_formed(md: &str) {
    let pipes = |l: &str| {
        let b = l.as_bytes();
        (0..b.len()).filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\')).count()
    };
    let mut header: Option<usize> = None;
    for line in md.lines() {
        if line.starts_with('|') {
            match header {
                None => header = Some(pipes(line)),
                Some(h) => assert_eq!(pipes(line), h, "malformed table row: {line:?}\n{md}"),
            }
        } else {
            header = None;
        }
    }
}

#[test]
fn escape_sequences_and_markdown_characters_in_names_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root);
    let evil_dir = "app/api/\u{1b}[2J\u{1b}]0;pwned\u{7}x|`y`\r";
    write(root, &format!("{evil_dir}/route.ts"), UPLOAD_ROUTE);
    write(
        root,
        "docker-compose.yml",
        "services:\n  \"web\\e[31m|`x`\\n|\":\n    build: .\n  \"db\\e[5m|\":\n    image: postgres:16\n    ports: ['5432:5432']\n",
    );
    write(root, ".env.example", "# purpose \u{1b}[31m | `x`\nAPI_\u{1b}KEY=\nGOOD=1\n");
    write(root, "lib/env.ts", "export const k = process.env.UNDOCUMENTED_THING;\n");
    for target in ["koyeb", "vps", "all"] {
        for format in ["table", "markdown"] {
            let r = scan(root, target, format);
            assert!(!r.stdout.contains('\u{1b}'), "{target}/{format}: raw ESC in output:\n{}", r.stdout);
            assert!(!r.stdout.contains('\u{7}'), "{target}/{format}: raw BEL in output");
            assert!(!r.stdout.contains('\r'), "{target}/{format}: raw CR in output");
            assert!(!r.stderr.contains('\u{1b}'));
            if format == "markdown" {
                assert_markdown_tables_well_formed(&r.stdout);
            }
        }
    }
    let fs = findings(&scan_json(root, "vps"));
    assert_planted(&fs);
    assert!(
        fs.iter().any(|f| f.rule == "ephemeral-disk-write" && f.file.starts_with("app/api/\u{1b}")),
        "{fs:#?}"
    );
    assert!(fs.iter().any(|f| f.rule == "compose-db-no-volume"), "{fs:#?}");
}

#[test]
fn the_gate_still_works_on_a_hostile_tree() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root);
    write(root, "docker-compose.yml", "a: &a [*a]\n");
    let r = audit_in(root, &["scan", ".", "--target", "koyeb"]);
    assert_eq!(r.code, 1, "the planted critical finding must fail the gate:\n{}{}", r.stdout, r.stderr);
}

#[test]
fn a_dockerfile_with_thousands_of_chained_stages_is_bounded() {
    // Each stage inherits its parent's environment: without a bound the chain is quadratic.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    plant(root);
    let mut df = String::from("FROM node:20 AS s0\nENV A=1\n");
    for i in 0..20_000 {
        df.push_str(&format!("FROM s{i} AS s{}\nENV B{i}=$A\nRUN echo hi\n", i + 1));
    }
    write(root, "Dockerfile", &df[..df.len().min(1_000_000)]);
    let start = Instant::now();
    let fs = findings(&scan_json(root, "all"));
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    assert_planted(&fs);
    assert!(
        fs.iter()
            .any(|f| f.rule == "parse-error" && f.file == "Dockerfile" && f.message.contains("more than 256 build stages")),
        "{fs:#?}"
    );
}
