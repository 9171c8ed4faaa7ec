use super::{base_image, deployable_apps, final_instructions, flavor, Check, Flavor, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "child-process-binary-missing",
    aspect: Aspect::Docker,
    title: "Server code runs a program the runtime image does not contain",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
For server code that starts a program with `child_process` / execa / zx (`ffmpeg`, `pg_dump`,
`psql`, `mysqldump`, `mongodump`, `convert` / `magick`, `git`, `curl`, `python3`, `gs`,
`pdftotext`, `chromium`, `libreoffice`, `tesseract`, `sqlite3`…), checks the final stage of the
Dockerfile that builds the app: an official `node` image (`-alpine`, `-slim` or full) or distroless,
and the packages its `apk add` / `apt-get install` lines (in the final stage or the stages it is
built on) install, or a `COPY` of the binary. Reported only when the program is known to be absent
from that image; npm packages that bundle the binary (`ffmpeg-static`, `@ffmpeg-installer/ffmpeg`,
puppeteer's Chromium) count as present. A call the code guards is left alone: it looks the program
up first (`which('python')`, `commandExists('ffmpeg')`), or it reads git metadata inside a `try`
whose `catch` falls back.

## Why it matters
The build succeeds and the app starts; the feature fails with `spawn ffmpeg ENOENT` the first time a
user reaches it in production.

## Example
```ts
execFile('ffmpeg', ['-i', input, output]);   // FROM node:20-alpine, no apk add ffmpeg
```

## Fix
Install the package in the final stage (`RUN apk add --no-cache ffmpeg`, `RUN apt-get update &&
apt-get install -y --no-install-recommends ffmpeg`), use an npm package that ships the binary, or
move the work to a separate job or service built for it.

## References
- https://docs.docker.com/build/building/best-practices/#apt-get
- https://nodejs.org/api/child_process.html
"#;

/// Program → packages that provide it (Alpine and Debian names).
const PROGRAMS: &[(&str, &[&str])] = &[
    ("ffmpeg", &["ffmpeg"]),
    ("ffprobe", &["ffmpeg"]),
    (
        "pg_dump",
        &[
            "postgresql-client",
            "postgresql16-client",
            "postgresql15-client",
            "postgresql17-client",
            "postgresql-client-16",
            "postgresql-client-15",
            "postgresql-client-17",
        ],
    ),
    (
        "pg_restore",
        &[
            "postgresql-client",
            "postgresql16-client",
            "postgresql15-client",
            "postgresql17-client",
            "postgresql-client-16",
            "postgresql-client-15",
            "postgresql-client-17",
        ],
    ),
    (
        "psql",
        &[
            "postgresql-client",
            "postgresql16-client",
            "postgresql15-client",
            "postgresql17-client",
            "postgresql-client-16",
            "postgresql-client-15",
            "postgresql-client-17",
        ],
    ),
    ("mysqldump", &["mysql-client", "mariadb-client", "default-mysql-client"]),
    ("mysql", &["mysql-client", "mariadb-client", "default-mysql-client"]),
    ("mongodump", &["mongodb-tools", "mongodb-database-tools"]),
    ("convert", &["imagemagick"]),
    ("magick", &["imagemagick"]),
    ("identify", &["imagemagick"]),
    ("gm", &["graphicsmagick"]),
    ("git", &["git"]),
    ("curl", &["curl"]),
    ("python3", &["python3"]),
    ("python", &["python3", "python", "python-is-python3"]),
    ("gs", &["ghostscript"]),
    ("pdftotext", &["poppler-utils"]),
    ("pdftoppm", &["poppler-utils"]),
    ("chromium", &["chromium", "chromium-browser"]),
    ("chromium-browser", &["chromium", "chromium-browser"]),
    ("libreoffice", &["libreoffice"]),
    ("soffice", &["libreoffice"]),
    ("tesseract", &["tesseract-ocr"]),
    ("sqlite3", &["sqlite"]),
    ("zip", &["zip"]),
    ("rsync", &["rsync"]),
    ("ssh", &["openssh-client", "openssh"]),
];

/// npm packages that ship a program.
const BUNDLED: &[(&str, &str)] = &[
    ("ffmpeg", "ffmpeg-static"),
    ("ffmpeg", "@ffmpeg-installer/ffmpeg"),
    ("ffprobe", "ffprobe-static"),
    ("ffprobe", "@ffprobe-installer/ffprobe"),
    ("chromium", "puppeteer"),
    ("chromium", "@sparticuz/chromium"),
];

/// Does the official image variant ship the program? None: unknown image.
fn in_base(image: &str, prog: &str) -> Option<bool> {
    let repo = image.split([':', '@']).next().unwrap_or("");
    let repo = repo.strip_prefix("docker.io/").unwrap_or(repo).strip_prefix("library/").unwrap_or(repo);
    let tag = image.split_once(':').map(|(_, t)| t).unwrap_or("");
    match flavor(image) {
        Flavor::Distroless => Some(false),
        _ if repo != "node" => None,
        Flavor::Alpine => Some(false), // BusyBox only: wget, tar, unzip, nc
        _ if tag.contains("slim") => Some(false),
        // The full images are buildpack-deps: git, curl, wget, python3, ImageMagick, ssh.
        _ => Some(matches!(prog, "git" | "curl" | "python3" | "python" | "convert" | "identify" | "ssh")),
    }
}

/// Does the file look the program up before using it (`which('python')`, `commandExists('ffmpeg')`,
/// `command -v ffmpeg`)?
fn checks_for(text: &str, prog: &str) -> bool {
    ["which", "commandExists", "commandExistsSync", "hasbin", "lookpath", "isInstalled"]
        .iter()
        .any(|f| {
            [format!("{f}('{prog}'"), format!("{f}(\"{prog}\""), format!("{f}(`{prog}`")]
                .iter()
                .any(|n| text.contains(n.as_str()))
        })
        || text.contains(&format!("command -v {prog}"))
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        let Some(d) = model.dockerfile_of(app) else { continue };
        let Some(last) = d.df.final_stage() else { continue };
        let image = base_image(&d.df, last.index);
        let ins = final_instructions(&d.df);
        let runs: Vec<String> = ins.iter().filter(|i| i.keyword == "RUN").map(|i| i.command_text()).collect();
        let copies: Vec<String> = ins
            .iter()
            .filter(|i| i.keyword == "COPY" || i.keyword == "ADD")
            .map(|i| i.text.clone())
            .collect();
        let mut seen = Vec::new();
        for src in app.sources.iter().filter(|s| s.runtime && !s.facts.child_processes.is_empty()) {
            let text = model.file_text(&src.rel).unwrap_or("");
            for c in &src.facts.child_processes {
                let Some(prog) = c.program.as_deref() else { continue };
                let prog = prog.rsplit('/').next().unwrap_or(prog);
                // The code checks that the program exists first, or reads git metadata with a
                // fallback for an image without git: the missing program is handled.
                if checks_for(text, prog) || (prog == "git" && c.caught) {
                    continue;
                }
                let Some((_, pkgs)) = PROGRAMS.iter().find(|(p, _)| *p == prog) else {
                    continue;
                };
                if in_base(&image, prog) != Some(false) {
                    continue;
                }
                // Alpine's `py3-*` packages depend on python3.
                let python = prog.starts_with("python") && runs.iter().any(|r| super::installed_packages(r).iter().any(|p| p.starts_with("py3-")));
                let installed = python || runs.iter().any(|r| pkgs.iter().any(|p| super::has_word(r, p)) || r.contains(prog));
                let copied = copies.iter().any(|t| t.contains(prog));
                let bundled = BUNDLED.iter().any(|(p, dep)| *p == prog && app.dep(dep).is_some());
                if installed || copied || bundled || seen.contains(&prog) {
                    continue;
                }
                seen.push(prog);
                out.push(
                    Observation::at(
                        RULE.id,
                        &src.rel,
                        c.line,
                        format!("server code runs `{prog}`, which the runtime image (`{image}`) does not contain and the Dockerfile does not install, so this call fails with ENOENT"),
                    )
                    .related(&d.rel, Some(last.line), format!("the final stage starts from `{image}`"))
                    .var("program", prog)
                    .var("package", pkgs[0])
                    .key(prog),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    const SRC: &str = "import { execFile } from 'child_process';\nexport async function POST() {\n  execFile('ffmpeg', ['-i', 'a', 'b']);\n  execFile('git', ['rev-parse', 'HEAD']);\n  return new Response('');\n}\n";

    #[test]
    fn missing_programs_on_alpine_fire() {
        let df = "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nCMD [\"npm\", \"start\"]\n";
        let obs = koyeb(
            "child-process-binary-missing",
            &[("package.json", NEXT_PKG), ("app/api/v/route.ts", SRC), ("Dockerfile", df)],
        );
        assert_eq!(obs.len(), 2, "{obs:?}");
        assert_eq!(obs[0].line, Some(3));
        assert_eq!(obs[0].related[0].line, Some(1));
    }

    #[test]
    fn installed_bundled_full_images_and_buildpacks_stay_silent() {
        let df = "FROM node:20-alpine AS base\nFROM base\nRUN apk add --no-cache ffmpeg git\nCMD [\"npm\", \"start\"]\n";
        assert!(koyeb(
            "child-process-binary-missing",
            &[("package.json", NEXT_PKG), ("app/api/v/route.ts", SRC), ("Dockerfile", df)]
        )
        .is_empty());
        let full = "FROM node:20\nRUN apt-get update && apt-get install -y ffmpeg\nCMD [\"npm\", \"start\"]\n";
        assert!(koyeb(
            "child-process-binary-missing",
            &[("package.json", NEXT_PKG), ("app/api/v/route.ts", SRC), ("Dockerfile", full)]
        )
        .is_empty());
        let pkg = NEXT_PKG.replace("\"next\": \"15.1.0\"", "\"next\": \"15.1.0\", \"ffmpeg-static\": \"5.2.0\"");
        let slim = "FROM node:20-slim\nRUN apt-get update && apt-get install -y git\nCMD [\"npm\", \"start\"]\n";
        assert!(koyeb(
            "child-process-binary-missing",
            &[("package.json", &pkg), ("app/api/v/route.ts", SRC), ("Dockerfile", slim)]
        )
        .is_empty());
        assert!(koyeb("child-process-binary-missing", &[("package.json", NEXT_PKG), ("app/api/v/route.ts", SRC)]).is_empty());
        let custom = "FROM jrottenberg/ffmpeg:6-ubuntu\nCMD [\"node\", \"server.js\"]\n";
        assert!(koyeb(
            "child-process-binary-missing",
            &[("package.json", NEXT_PKG), ("app/api/v/route.ts", SRC), ("Dockerfile", custom)]
        )
        .is_empty());
    }

    #[test]
    fn looked_up_programs_and_git_with_a_fallback_stay_silent() {
        let df = "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nCMD [\"npm\", \"start\"]\n";
        let guarded = "import { spawn } from 'child_process';\nimport shell from 'shelljs';\nconst hasPy = shell.which('python');\nexport function POST() {\n  if (!hasPy) return new Response('off');\n  spawn('python', ['x.py']);\n  return new Response('');\n}\n";
        let git = "export function info() {\n  try {\n    return require('child_process').execSync('git rev-parse HEAD').toString();\n  } catch (e) {\n    return 'unknown';\n  }\n}\n";
        let files = [
            ("package.json", NEXT_PKG),
            ("app/api/a/route.ts", guarded),
            ("lib/info.ts", git),
            ("Dockerfile", df),
        ];
        assert!(koyeb("child-process-binary-missing", &files).is_empty());
        // A catch that rethrows handles nothing.
        let rethrow = git.replace("return 'unknown';", "throw e;");
        let files = [("package.json", NEXT_PKG), ("lib/info.ts", rethrow.as_str()), ("Dockerfile", df)];
        assert_eq!(koyeb("child-process-binary-missing", &files).len(), 1);
    }
}
