//! The three uses the README documents: every `audit …` command line in README.md runs (exit 0
//! or 1, never 2) on the fixtures it names; the pre-commit snippet names the hook of
//! .pre-commit-hooks.yaml and its args work; the GitHub Actions snippet passes inputs action.yml
//! has, and action.yml's steps run with the built binary; the GitLab snippet writes the Code
//! Quality report its `artifacts` names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use yaml_rust2::{Yaml, YamlLoader};

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(manifest().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml(text: &str) -> Yaml {
    YamlLoader::load_from_str(text).expect("valid YAML").into_iter().next().expect("one document")
}

/// Fenced code blocks of a Markdown file: (info string, body).
fn code_blocks(md: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(String, String)> = None;
    for line in md.lines() {
        if let Some(rest) = line.strip_prefix("```") {
            match cur.take() {
                Some(b) => out.push(b),
                None => cur = Some((rest.trim().to_string(), String::new())),
            }
        } else if let Some((_, body)) = cur.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// Split a shell command line into words: quotes, a trailing `# comment`, and output
/// redirections (`> file`, `>> file`, dropped: the test captures standard output).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut has = false;
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                has = true;
            }
            None if c == '#' && !has && cur.is_empty() => break,
            None if c == '>' && !has && cur.is_empty() => break,
            None if c.is_whitespace() => {
                if has {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            None => {
                cur.push(c);
                has = true;
            }
        }
        i += 1;
    }
    if has {
        out.push(cur);
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else if ft.is_file() {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// A scratch directory holding a copy of `fixtures/`, so commands that write files stay in it.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&manifest().join("fixtures"), &dir.path().join("fixtures"));
    dir
}

fn audit_in(dir: &Path, args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_audit"))
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("run audit")
}

/// The `audit` command lines of a text: lines (after `$ ` or a YAML `- `) that start with
/// `audit ` or `cargo run --release -- `.
fn audit_lines(body: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in body.lines() {
        let l = line.trim_start();
        let l = l.strip_prefix("$ ").or_else(|| l.strip_prefix("- ")).unwrap_or(l);
        let w = words(l);
        let args: Vec<String> = if w.first().map(String::as_str) == Some("audit") {
            w[1..].to_vec()
        } else if w.len() > 4 && w[..4] == ["cargo", "run", "--release", "--"] {
            w[4..].to_vec()
        } else {
            continue;
        };
        out.push(args);
    }
    out
}

#[test]
fn every_audit_command_in_the_readme_runs() {
    let readme = read("README.md");
    let dir = scratch();
    let mut ran = 0;
    for (_, body) in code_blocks(&readme) {
        for args in audit_lines(&body) {
            for a in &args {
                if let Some(f) = a.strip_prefix("fixtures/") {
                    assert!(manifest().join("fixtures").join(f).is_dir(), "README names a missing fixture: {a}");
                }
            }
            // `./repo` and `.` stand for the user's repository: a copy of a fixture.
            let args: Vec<String> = args
                .into_iter()
                .map(|a| if a == "./repo" { "fixtures/seed000-koyeb-pos".into() } else { a })
                .collect();
            let out = audit_in(dir.path(), &args);
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "README command `audit {}` exited {:?}: {}",
                args.join(" "),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
        }
    }
    assert!(ran >= 15, "only {ran} README commands found");
    // The by-hand SARIF example wrote its file.
    assert!(dir.path().join("deploy-audit.sarif").is_file());
}

#[test]
fn readme_pre_commit_snippet_matches_the_hook() {
    let readme = read("README.md");
    let hooks = yaml(&read(".pre-commit-hooks.yaml"));
    let hook = &hooks[0];
    assert_eq!(hook["id"].as_str(), Some("deploy-audit"));
    assert_eq!(hook["language"].as_str(), Some("rust"));
    assert_eq!(hook["entry"].as_str(), Some("audit scan ."));
    assert_eq!(hook["pass_filenames"].as_bool(), Some(false));
    let snippet = code_blocks(&readme)
        .into_iter()
        .find(|(lang, b)| lang == "yaml" && b.contains("repos:"))
        .expect("a .pre-commit-config.yaml snippet")
        .1;
    let cfg = yaml(&snippet);
    let h = &cfg["repos"][0]["hooks"][0];
    assert_eq!(
        h["id"].as_str(),
        hook["id"].as_str(),
        "the README's hook id is the one .pre-commit-hooks.yaml defines"
    );
    let args: Vec<String> = h["args"].as_vec().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect();
    // What pre-commit runs: entry + args, in the repository root.
    let entry: Vec<String> = words(hook["entry"].as_str().unwrap());
    assert_eq!(entry[0], "audit");
    let mut cmd: Vec<String> = entry[1..].to_vec();
    cmd.extend(args);
    for (fixture, code) in [("seed000-koyeb-pos", 1), ("clean-nextjs", 0)] {
        let out = audit_in(&manifest().join("fixtures").join(fixture), &cmd);
        assert_eq!(out.status.code(), Some(code), "{fixture}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn the_hook_files_pattern_matches_what_the_tool_reads() {
    let hooks = yaml(&read(".pre-commit-hooks.yaml"));
    let re = regex::Regex::new(hooks[0]["files"].as_str().unwrap()).unwrap();
    let mut seen = 0;
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    for fixture in std::fs::read_dir(manifest().join("fixtures")).unwrap().flatten() {
        let mut files = Vec::new();
        walk(&fixture.path(), &fixture.path(), &mut files);
        for f in files {
            if let Some(kind) = deploy_audit::discover::classify(&f) {
                assert!(re.is_match(&f), "the hook would not run when {f} ({kind:?}) changes");
                seen += 1;
            }
        }
    }
    assert!(seen > 50);
    for f in [
        "Dockerfile.prod",
        "apps/web/compose.prod.yaml",
        ".env.production",
        "app/page.tsx",
        "fly.toml",
        "Procfile",
    ] {
        assert!(re.is_match(f), "{f}");
    }
    for f in ["README.md", "public/logo.png", "docs/guide.mdx", "Cargo.toml", "styles/main.css"] {
        assert!(!re.is_match(f), "{f} should not trigger the hook");
    }
}

/// Substitute `${{ inputs.NAME }}` with the inputs' values.
fn expand(text: &str, inputs: &BTreeMap<String, String>) -> String {
    let mut out = text.to_string();
    for (k, v) in inputs {
        out = out.replace(&format!("${{{{ inputs.{k} }}}}"), v);
    }
    assert!(!out.contains("${{"), "unknown expression in {text}");
    out
}

/// The step conditions action.yml uses: `inputs.X == 'v'` and `inputs.X != 'v'`.
fn condition(cond: &str, inputs: &BTreeMap<String, String>) -> bool {
    let (lhs, op, rhs) = if let Some((l, r)) = cond.split_once("==") {
        (l, true, r)
    } else if let Some((l, r)) = cond.split_once("!=") {
        (l, false, r)
    } else {
        panic!("unsupported condition {cond}");
    };
    let name = lhs.trim().strip_prefix("inputs.").unwrap_or_else(|| panic!("unsupported condition {cond}"));
    let value = inputs.get(name).unwrap_or_else(|| panic!("condition on unknown input {name}"));
    (value == rhs.trim().trim_matches('\'')) == op
}

struct ActionRun {
    codes: Vec<(String, i32)>,
    summary: String,
    uploads: Vec<String>,
}

/// Run action.yml's steps for these inputs the way the runner would, with the built binary on
/// PATH instead of the install step, in `workspace`.
fn run_action(workspace: &Path, given: &[(&str, &str)]) -> ActionRun {
    let action = yaml(&read("action.yml"));
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let mut inputs = BTreeMap::new();
    for (k, v) in action["inputs"].as_hash().unwrap() {
        let k = k.as_str().unwrap().to_string();
        if let Some(d) = v["default"].as_str() {
            inputs.insert(k, d.to_string());
        }
    }
    for (k, v) in given {
        assert!(action["inputs"][*k].as_hash().is_some(), "action.yml has no input `{k}`");
        inputs.insert(k.to_string(), v.to_string());
    }
    for (k, v) in action["inputs"].as_hash().unwrap() {
        if v["required"].as_bool() == Some(true) {
            assert!(inputs.contains_key(k.as_str().unwrap()), "required input {k:?} missing");
        }
    }
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_audit")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let summary = workspace.join("summary.md");
    let mut run = ActionRun {
        codes: Vec::new(),
        summary: String::new(),
        uploads: Vec::new(),
    };
    for step in action["runs"]["steps"].as_vec().unwrap() {
        let name = step["name"].as_str().unwrap_or("").to_string();
        if let Some(cond) = step["if"].as_str() {
            if !condition(cond, &inputs) {
                continue;
            }
        }
        if let Some(uses) = step["uses"].as_str() {
            assert!(uses.starts_with("github/codeql-action/upload-sarif@"), "{uses}");
            run.uploads.push(expand(step["with"]["sarif_file"].as_str().unwrap(), &inputs));
            continue;
        }
        let script = step["run"].as_str().unwrap();
        if script.contains("cargo install") {
            assert!(script.contains("--locked") && script.contains("--path \"$GITHUB_ACTION_PATH\""), "{script}");
            continue;
        }
        assert_eq!(step["shell"].as_str(), Some("bash"), "{name}");
        let mut cmd = Command::new("bash");
        cmd.arg("-euo").arg("pipefail").arg("-c").arg(script).current_dir(workspace);
        cmd.env("PATH", &path).env("GITHUB_STEP_SUMMARY", &summary).env_remove("NO_COLOR");
        if let Some(env) = step["env"].as_hash() {
            for (k, v) in env {
                cmd.env(k.as_str().unwrap(), expand(v.as_str().unwrap(), &inputs));
            }
        }
        let out = cmd.output().unwrap();
        let code = out.status.code().unwrap_or(-1);
        assert!(matches!(code, 0 | 1), "step `{name}` exited {code}: {}", String::from_utf8_lossy(&out.stderr));
        run.codes.push((name, code));
    }
    run.summary = std::fs::read_to_string(&summary).unwrap_or_default();
    run
}

#[test]
fn action_yml_inputs_and_steps_work() {
    let dir = scratch();
    let ws = dir.path();
    // Defaults: annotations, the summary written by the tool, the gate fails on the blockers.
    let r = run_action(ws, &[("path", "fixtures/seed000-koyeb-pos"), ("target", "koyeb")]);
    assert_eq!(r.codes.last().map(|c| c.1), Some(1), "{:?}", r.codes);
    assert!(r.summary.contains("# Deployment readiness audit"), "{}", r.summary);
    assert!(r.uploads.is_empty());
    // SARIF written and uploaded; fail-on never passes; a non-github format still gets a summary.
    let r = run_action(
        ws,
        &[
            ("path", "fixtures/seed000-koyeb-pos"),
            ("target", "koyeb,fly"),
            ("fail-on", "never"),
            ("format", "table"),
            ("sarif", "true"),
        ],
    );
    assert_eq!(r.codes.last().map(|c| c.1), Some(0), "{:?}", r.codes);
    assert_eq!(r.uploads, vec!["deploy-audit.sarif".to_string()]);
    let sarif: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(ws.join("deploy-audit.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 2);
    assert!(r.summary.contains("## Koyeb: Not ready"), "{}", r.summary);
    // Every format the CLI has is a valid `format` input.
    for f in <deploy_audit::render::Format as clap::ValueEnum>::value_variants() {
        let name = clap::ValueEnum::to_possible_value(f).unwrap().get_name().to_string();
        let r = run_action(ws, &[("path", "fixtures/clean-nextjs"), ("target", "all"), ("format", &name)]);
        assert_eq!(r.codes.last().map(|c| c.1), Some(0), "{name}: {:?}", r.codes);
    }
}

#[test]
fn readme_github_actions_snippet_uses_the_action_inputs() {
    let readme = read("README.md");
    let snippet = code_blocks(&readme)
        .into_iter()
        .find(|(lang, b)| lang == "yaml" && b.contains("jobs:"))
        .expect("a GitHub Actions snippet")
        .1;
    let wf = yaml(&snippet);
    let jobs = wf["jobs"].as_hash().unwrap();
    let steps = jobs.values().next().unwrap()["steps"].as_vec().unwrap();
    let step = steps
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.contains("/deploy-audit@")))
        .expect("a step using the action");
    let with: Vec<(String, String)> = step["with"]
        .as_hash()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Yaml::Boolean(b) => b.to_string(),
                other => other.as_str().map(String::from).unwrap_or_else(|| format!("{other:?}")),
            };
            (k.as_str().unwrap().to_string(), v)
        })
        .collect();
    assert_eq!(
        wf["permissions"]["security-events"].as_str(),
        Some("write"),
        "SARIF upload needs security-events: write"
    );
    let dir = scratch();
    // The snippet scans the checkout: here a copy of the blocked fixture.
    let ws = dir.path().join("fixtures/seed000-koyeb-pos");
    let given: Vec<(&str, &str)> = with.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = run_action(&ws, &given);
    assert_eq!(r.codes.last().map(|c| c.1), Some(1), "{:?}", r.codes);
    assert_eq!(r.uploads.len(), 1);
    assert!(ws.join("deploy-audit.sarif").is_file());
}

#[test]
fn readme_gitlab_snippet_writes_the_code_quality_report() {
    let readme = read("README.md");
    let snippet = code_blocks(&readme)
        .into_iter()
        .find(|(lang, b)| lang == "yaml" && b.contains("codequality"))
        .expect("a GitLab CI snippet")
        .1;
    let ci = yaml(&snippet);
    let job = ci.as_hash().unwrap().values().next().unwrap();
    let report = job["artifacts"]["reports"]["codequality"].as_str().unwrap();
    let dir = scratch();
    let ws = dir.path().join("fixtures/seed000-koyeb-pos");
    let mut codes = Vec::new();
    for line in job["script"].as_vec().unwrap() {
        let w = words(line.as_str().unwrap());
        if w.first().map(String::as_str) != Some("audit") {
            assert_eq!(w[..2], ["cargo", "install"], "{w:?}");
            continue;
        }
        codes.push(audit_in(&ws, &w[1..]).status.code());
    }
    assert_eq!(codes, vec![Some(0), Some(1)], "report, then the gate");
    let issues: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(ws.join(report)).unwrap()).unwrap();
    assert!(issues.as_array().is_some_and(|a| a.iter().any(|i| i["severity"] == "critical")));
}

#[test]
fn words_split_like_a_shell() {
    assert_eq!(words(r#"audit scan . --target koyeb   # comment"#), ["audit", "scan", ".", "--target", "koyeb"]);
    assert_eq!(words(r#"audit man > audit.1"#), ["audit", "man"]);
    assert_eq!(words(r#"a "b c" 'd#e'"#), ["a", "b c", "d#e"]);
}
