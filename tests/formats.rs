//! The CI and terminal formats: SARIF against the official 2.1.0 schema, GitHub workflow
//! commands and the job summary, GitLab Code Quality, pretty code frames, colours, completions
//! and the man page.

use std::path::Path;
use std::process::{Command, Output};

fn audit_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_audit"));
    c.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env_remove("GITHUB_STEP_SUMMARY").env_remove("NO_COLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run audit")
}

fn audit(args: &[&str]) -> Output {
    audit_env(args, &[])
}

fn fixtures() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    out.sort();
    assert!(out.len() >= 7, "{out:?}");
    out
}

fn stdout_json(out: &Output) -> serde_json::Value {
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-04/schema#");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    v.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

#[test]
fn every_fixture_s_sarif_is_valid_against_the_official_schema() {
    let validator = sarif_validator();
    let mut results = 0;
    for fixture in fixtures() {
        let out = audit(&["scan", &format!("fixtures/{fixture}"), "--target", "all", "--format", "sarif"]);
        let doc = stdout_json(&out);
        let errs = errors(&validator, &doc);
        assert!(errs.is_empty(), "{fixture}: {errs:#?}");
        assert_eq!(doc["version"], "2.1.0");
        let runs = doc["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 6, "{fixture}: one run per target");
        let ids: std::collections::BTreeSet<&str> = runs.iter().map(|r| r["automationDetails"]["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 6, "{fixture}: each target its own category: {ids:?}");
        for run in runs {
            let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
            for r in run["results"].as_array().unwrap() {
                results += 1;
                // The rule index points at the rule, which carries help and a help URI.
                let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
                assert_eq!(rule["id"], r["ruleId"]);
                assert!(rule["helpUri"].as_str().unwrap().starts_with("https://"));
                assert!(!rule["help"]["markdown"].as_str().unwrap().is_empty());
                // GitHub needs a physical location on every result.
                let loc = &r["locations"][0]["physicalLocation"];
                let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
                assert!(uri.starts_with(&format!("fixtures/{fixture}")), "{uri}");
                assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
                assert!(r["partialFingerprints"]["deployAuditFingerprint/v1"].is_string());
                assert!(r["properties"]["fix"].is_string() && r["properties"]["target"].is_string());
                if let Some(line) = loc["region"]["startLine"].as_u64() {
                    assert!(line >= 1);
                }
            }
        }
    }
    assert!(results > 100, "the fixtures give {results} results");
}

#[test]
fn the_schema_rejects_an_invalid_document() {
    let validator = sarif_validator();
    let out = audit(&["scan", "fixtures/seed000-koyeb-pos", "--target", "koyeb", "--format", "sarif"]);
    let doc = stdout_json(&out);
    assert!(errors(&validator, &doc).is_empty());
    // A level SARIF does not know, a missing message, a line 0 and an unknown top-level key.
    let mut bad = doc.clone();
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!errors(&validator, &bad).is_empty());
    let mut bad = doc.clone();
    bad["runs"][0]["results"][0].as_object_mut().unwrap().remove("message");
    assert!(!errors(&validator, &bad).is_empty());
    let mut bad = doc.clone();
    bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0.into();
    assert!(!errors(&validator, &bad).is_empty());
    let mut bad = doc.clone();
    bad["extra"] = true.into();
    assert!(!errors(&validator, &bad).is_empty());
    let mut bad = doc;
    bad["runs"][0]["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"] = "critical".into();
    assert!(!errors(&validator, &bad).is_empty());
}

#[test]
fn sarif_carries_related_locations_and_anchors_repository_level_findings() {
    let doc = stdout_json(&audit(&["scan", "fixtures/seed000-koyeb-pos", "--target", "koyeb", "--format", "sarif"]));
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let backup = results.iter().find(|r| r["ruleId"] == "in-app-db-backup").unwrap();
    assert_eq!(backup["level"], "error");
    let rel = &backup["relatedLocations"][0]["physicalLocation"];
    assert_eq!(rel["artifactLocation"]["uri"], "fixtures/seed000-koyeb-pos/Dockerfile");
    assert_eq!(rel["region"]["startLine"], 20);
    let engines = results.iter().find(|r| r["ruleId"] == "engines-node-missing").unwrap();
    assert_eq!(engines["level"], "note");
    // A whole-repository finding still has a location, marked as such.
    let doc = stdout_json(&audit(&["scan", "fixtures/seed001-coolify-monorepo", "--target", "all", "--format", "sarif"]));
    let repo_level: Vec<&serde_json::Value> = doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["results"].as_array().unwrap())
        .filter(|r| r["properties"]["repositoryLevel"] == true)
        .collect();
    for r in &repo_level {
        assert!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
    }
}

#[test]
fn github_format_gives_one_annotation_per_finding_and_appends_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let s = summary.to_str().unwrap();
    let out = audit_env(
        &["scan", "fixtures/seed000-koyeb-pos", "--target", "koyeb,vps", "--format", "github"],
        &[("GITHUB_STEP_SUMMARY", s)],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let json = stdout_json(&audit(&["scan", "fixtures/seed000-koyeb-pos", "--target", "koyeb,vps", "--format", "json"]));
    let n: usize = json["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["findings"].as_array().unwrap().len())
        .sum();
    let annotations: Vec<&str> = text.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), n);
    assert!(
        annotations.iter().any(|l| l
            .starts_with("::error file=fixtures/seed000-koyeb-pos/app/api/admin/upload/product-image/route.ts,line=12,title=ephemeral-disk-write (Koyeb)::")),
        "{text}"
    );
    assert!(annotations.iter().any(|l| l.starts_with("::warning ")) && annotations.iter().any(|l| l.starts_with("::notice ")));
    // Messages are one line each: newlines are escaped.
    assert!(annotations.iter().all(|l| l.contains("%0AFix: ")));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("earlier step\n# Deployment readiness audit"), "{md}");
    assert!(md.contains("## Koyeb: Not ready") && md.contains("## VPS"), "{md}");
    // Without the variable nothing is written anywhere else.
    let out = audit(&["scan", "fixtures/clean-nextjs", "--target", "koyeb", "--format", "github"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn github_annotations_escape_properties_and_repository_text() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // A file name with `,` and `:` and code with an escape sequence and a fake workflow command.
    std::fs::create_dir_all(root.join("app/api/a,b:c")).unwrap();
    std::fs::write(
        root.join("package.json"),
        r#"{"name":"x","scripts":{"build":"next build","start":"next start"},"dependencies":{"next":"14.2.3"}}"#,
    )
    .unwrap();
    std::fs::write(
        root.join("app/api/a,b:c/route.ts"),
        "import { writeFile } from 'fs/promises';\nexport async function POST() {\n  await writeFile('uploads/\\u001b[31mx\\n::set-output name=x::y', 'x');\n  return new Response('ok');\n}\n",
    )
    .unwrap();
    let out = audit(&["scan", root.to_str().unwrap(), "--target", "koyeb", "--format", "github", "--fail-on", "never"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "{text}");
    let ann = text.lines().find(|l| l.contains("ephemeral-disk-write")).unwrap_or_else(|| panic!("{text}"));
    assert!(ann.contains("file=app/api/a%2Cb%3Ac/route.ts,line=3,"), "{ann}");
    assert!(text.lines().all(|l| !l.starts_with("::set-output")), "{text}");
}

#[test]
fn gitlab_code_quality_report() {
    for fixture in fixtures() {
        let doc = stdout_json(&audit(&["scan", &format!("fixtures/{fixture}"), "--target", "all", "--format", "gitlab"]));
        let json = stdout_json(&audit(&["scan", &format!("fixtures/{fixture}"), "--target", "all", "--format", "json"]));
        let n: usize = json["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["findings"].as_array().unwrap().len())
            .sum();
        let issues = doc.as_array().unwrap();
        assert_eq!(issues.len(), n, "{fixture}");
        let mut fps = std::collections::BTreeSet::new();
        for i in issues {
            assert!(i["description"].is_string() && i["check_name"].is_string());
            assert!(["info", "minor", "major", "critical", "blocker"].contains(&i["severity"].as_str().unwrap()));
            assert!(i["location"]["path"].as_str().unwrap().starts_with(&format!("fixtures/{fixture}")));
            assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
            assert!(
                fps.insert(i["fingerprint"].as_str().unwrap().to_string()),
                "{fixture}: duplicate fingerprint {i}"
            );
        }
    }
}

#[test]
fn pretty_shows_code_frames_related_locations_fix_and_docs() {
    let out = audit(&["scan", "fixtures/seed000-koyeb-pos", "--target", "koyeb", "--format", "pretty"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "no colour when not a terminal");
    assert!(text.contains("[app/api/admin/upload/product-image/route.ts:12:3]"), "{text}");
    assert!(text.contains("12 │   await writeFile(path.join(UPLOAD_DIR, name), bytes);"), "{text}");
    assert!(
        text.contains("[Dockerfile:20:1]") && text.contains("RUN apk add --no-cache postgresql-client"),
        "{text}"
    );
    assert!(text.contains("help: Koyeb instances keep no local files"), "{text}");
    assert!(text.contains("(https://www.koyeb.com/docs/reference/storage)"), "{text}");
    let colored = audit(&[
        "scan",
        "fixtures/seed000-koyeb-pos",
        "--target",
        "koyeb",
        "--format",
        "pretty",
        "--color",
        "always",
    ]);
    assert!(String::from_utf8(colored.stdout).unwrap().contains('\u{1b}'));
    // A security finding that holds no secret keeps its line; default credentials do not.
    let vps = audit(&["scan", "fixtures/seed002-vps-crm", "--target", "vps", "--format", "pretty"]);
    let vps = String::from_utf8(vps.stdout).unwrap();
    assert!(vps.contains(r#" 9 │       - "5432:5432""#), "{vps}");
    let seed = audit(&["scan", "fixtures/seed004-coolify-vps", "--target", "vps", "--format", "pretty"]);
    let seed = String::from_utf8(seed.stdout).unwrap();
    assert!(
        seed.contains(" 7 │ <line hidden: it may hold a secret>") && !seed.contains("admin123"),
        "{seed}"
    );
    let table = audit(&["scan", "fixtures/seed000-koyeb-pos", "--target", "koyeb", "--color", "always"]);
    assert!(String::from_utf8(table.stdout).unwrap().contains("\u{1b}[1;31mnot-ready\u{1b}[0m"));
    let never = audit(&[
        "scan",
        "fixtures/seed000-koyeb-pos",
        "--target",
        "koyeb",
        "--format",
        "pretty",
        "--color",
        "never",
    ]);
    assert!(!String::from_utf8(never.stdout).unwrap().contains('\u{1b}'));
}

#[test]
fn pretty_never_shows_secrets_or_terminal_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let live = "sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ";
    let pw = "Xk9#mQ2vL7pR4tZ8";
    std::fs::write(
        root.join("package.json"),
        r#"{"name":"x","scripts":{"build":"next build","start":"next start"},"dependencies":{"next":"14.2.3"}}"#,
    )
    .unwrap();
    std::fs::write(
        root.join(".env"),
        format!("STRIPE_SECRET_KEY={live}\nDATABASE_URL=postgresql://app:{pw}@db.prod.example.net:5432/app\n"),
    )
    .unwrap();
    std::fs::write(
        root.join("docker-compose.yml"),
        format!("services:\n  web:\n    build: .\n    environment:\n      SESSION_SECRET: {pw}\n      DATABASE_URL: postgresql://app:{pw}@db.prod.example.net:5432/app\n"),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("lib")).unwrap();
    std::fs::write(
        root.join("lib/x.ts"),
        "export const v = process.env.UNDOCUMENTED_\u{1b}[2J;\nexport const w = process.env.OTHER_VAR;\n",
    )
    .unwrap();
    let out = audit(&["scan", root.to_str().unwrap(), "--target", "all", "--format", "pretty", "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("committed-env-secret") || text.contains("secrets-in-committed-config"), "{text}");
    assert!(!text.contains(live) && !text.contains(pw), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
}

#[test]
fn completions_and_man_page_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = audit(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        for sub in ["scan", "explain", "rules", "completions"] {
            assert!(text.contains(sub), "{shell} completion lacks {sub}");
        }
        if ["bash", "zsh", "fish"].contains(&shell) {
            assert!(text.contains("sarif") && text.contains("pretty"), "{shell} lacks the formats");
        }
    }
    assert_eq!(audit(&["completions", "tcsh"]).status.code(), Some(2));
    let man = audit(&["man"]);
    assert_eq!(man.status.code(), Some(0));
    let text = String::from_utf8(man.stdout).unwrap();
    assert!(text.starts_with(".ie") || text.contains(".TH audit"), "{text}");
    for sub in ["scan", "explain", "rules", "completions", "man"] {
        assert!(text.contains(sub), "man page lacks {sub}");
    }
    assert!(!text.contains("audit\\-docs"), "the hidden docs command stays out of the man page");
    let scan = audit(&["man", "scan"]);
    assert_eq!(scan.status.code(), Some(0));
    let text = String::from_utf8(scan.stdout).unwrap();
    assert!(text.contains(".TH audit-scan 1"), "{text}");
    assert!(
        text.contains("\\-\\-fail\\-on") && text.contains("sarif") && text.contains("\\-\\-color"),
        "{text}"
    );
    assert_eq!(audit(&["man", "docs"]).status.code(), Some(2), "hidden");
    assert_eq!(audit(&["man", "nope"]).status.code(), Some(2));
}
