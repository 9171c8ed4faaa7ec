//! End-to-end tuning: the configuration file, inline suppressions and baselines, run with the
//! built `audit` binary on temporary copies of the fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROUTE: &str = "app/api/admin/upload/product-image/route.ts";

fn audit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_audit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run audit")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// A temporary copy of a fixture: (guard, root).
fn fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(name);
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name), &root);
    (dir, root)
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn edit(root: &Path, rel: &str, f: impl FnOnce(String) -> String) {
    let p = root.join(rel);
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(p, f(text)).unwrap();
}

/// Scan `root` with extra args; returns (exit code, JSON report, stderr).
fn scan(root: &Path, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = vec!["scan", root.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    let out = audit(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json, stderr)
}

/// (rule, severity, file, line, message) of target 0's findings.
fn findings(v: &serde_json::Value) -> Vec<(String, String, String, Option<u64>, String)> {
    v["targets"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn of_rule(v: &serde_json::Value, rule: &str) -> Vec<(String, String, String, Option<u64>, String)> {
    findings(v).into_iter().filter(|f| f.0 == rule).collect()
}

#[test]
fn a_config_override_lowering_the_criticals_turns_exit_1_into_0() {
    let (_g, root) = fixture("seed000-koyeb-pos");
    let (code, v, _) = scan(&root, &["--target", "koyeb"]);
    assert_eq!(code, 1);
    assert_eq!(of_rule(&v, "ephemeral-disk-write")[0].1, "critical");
    write(
        &root,
        "deploy-audit.toml",
        "targets = [\"koyeb\"]\n\n[rules]\nin-app-db-backup = \"warning\"\n\n[target.koyeb.rules]\nephemeral-disk-write = \"warning\"\n",
    );
    // --target is now optional: the config names it.
    let (code, v, err) = scan(&root, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["targets"][0]["target"], "koyeb");
    assert_eq!(of_rule(&v, "ephemeral-disk-write")[0].1, "warning");
    assert_eq!(of_rule(&v, "in-app-db-backup")[0].1, "warning");
    assert_eq!(v["targets"][0]["verdict"], "ready-with-changes");
    assert_eq!(v["targets"][0]["counts"]["critical"], 0);
    // The per-target override applies to its target only.
    let (code, v, _) = scan(&root, &["--target", "fly"]);
    assert_eq!(code, 1);
    assert_eq!(of_rule(&v, "ephemeral-disk-write")[0].1, "critical");
    // fail-on from the config, and the flag winning over it.
    edit(&root, "deploy-audit.toml", |t| format!("fail-on = \"warning\"\n{t}"));
    assert_eq!(scan(&root, &[]).0, 1);
    assert_eq!(scan(&root, &["--fail-on", "critical"]).0, 0);
    // The same file given with --config from elsewhere, named in errors by its path.
    let elsewhere = root.parent().unwrap().join("tuning.toml");
    std::fs::rename(root.join("deploy-audit.toml"), &elsewhere).unwrap();
    assert_eq!(scan(&root, &["--target", "koyeb"]).0, 1);
    assert_eq!(scan(&root, &["--config", elsewhere.to_str().unwrap(), "--fail-on", "critical"]).0, 0);
}

#[test]
fn a_declared_volume_silences_writes_under_its_mount_and_only_there() {
    let (_g, root) = fixture("seed000-koyeb-pos");
    // A second upload route writing outside the volume.
    write(
        &root,
        "app/api/notes/route.ts",
        "import { writeFile } from 'fs/promises';\nexport async function POST() {\n  await writeFile('data/notes.json', '[]');\n  return Response.json({});\n}\n",
    );
    let (_, v, _) = scan(&root, &["--target", "koyeb"]);
    assert_eq!(of_rule(&v, "ephemeral-disk-write").len(), 2);
    // The runner's WORKDIR is /app, so `public/pos-images` lands on /app/public/pos-images.
    write(
        &root,
        "deploy-audit.toml",
        "[platform]\ninstances = 1\nvolumes = [{ mount = \"/app/public/pos-images\" }]\n",
    );
    let (_, v, err) = scan(&root, &["--target", "koyeb"]);
    let disk = of_rule(&v, "ephemeral-disk-write");
    assert_eq!(disk.len(), 1, "{disk:?} {err}");
    assert_eq!(disk[0].2, "app/api/notes/route.ts");
    assert!(!of_rule(&v, "ephemeral-disk-write").iter().any(|f| f.2 == ROUTE));
    // The deployment plan shows the declared values as coming from the repository.
    let settings = v["targets"][0]["settings"].as_array().unwrap();
    let get = |name: &str| settings.iter().find(|s| s["name"] == name).cloned().unwrap_or_default();
    assert_eq!(get("Volumes (preview)")["source"], "repository");
    assert!(get("Volumes (preview)")["value"]
        .as_str()
        .unwrap()
        .contains("/app/public/pos-images (declared in deploy-audit.toml:3)"));
    assert_eq!(get("Instances")["source"], "repository");
}

#[test]
fn declared_instances_make_the_multi_instance_finding_certain_or_silence_it() {
    let (_g, root) = fixture("seed000-koyeb-pos");
    write(
        &root,
        "server.ts",
        "import express from 'express';\nimport rateLimit from 'express-rate-limit';\nconst app = express();\napp.use(rateLimit({ windowMs: 60000, limit: 100 }));\napp.listen(process.env.PORT);\n",
    );
    let (_, v, _) = scan(&root, &["--target", "koyeb"]);
    let before = of_rule(&v, "in-memory-state");
    assert_eq!(before.len(), 1);
    let fix = |v: &serde_json::Value| {
        v["targets"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "in-memory-state")
            .map(|f| f["fix"].as_str().unwrap().to_string())
    };
    assert!(fix(&v).unwrap().contains("verify"));
    write(&root, "deploy-audit.toml", "[platform]\ninstances = 3\n");
    let (_, v, _) = scan(&root, &["--target", "koyeb"]);
    let certain = of_rule(&v, "in-memory-state");
    assert!(certain[0].4.contains("3 instances declared in deploy-audit.toml"), "{certain:?}");
    assert!(!fix(&v).unwrap().contains("verify"), "{:?}", fix(&v));
    write(
        &root,
        "deploy-audit.toml",
        "[platform]\ninstances = 3\n[target.koyeb.platform]\ninstances = 1\n",
    );
    let (_, v, _) = scan(&root, &["--target", "koyeb"]);
    assert!(of_rule(&v, "in-memory-state").is_empty());
}

#[test]
fn inline_suppressions_need_a_reason_and_a_known_rule() {
    let (_g, root) = fixture("seed000-koyeb-pos");
    let insert = |root: &Path, comment: &str| {
        let c = comment.to_string();
        edit(root, ROUTE, move |t| t.replacen("  await writeFile(", &format!("  {c}\n  await writeFile("), 1));
    };
    // No reason: the finding stays, and the suppression is a finding itself.
    insert(&root, "// deploy-audit-ignore: ephemeral-disk-write");
    let (code, v, _) = scan(&root, &["--target", "koyeb"]);
    assert_eq!(code, 1);
    assert_eq!(of_rule(&v, "ephemeral-disk-write").len(), 1);
    let invalid = of_rule(&v, "suppression-invalid");
    assert_eq!(invalid.len(), 1, "{invalid:?}");
    assert_eq!((invalid[0].1.as_str(), invalid[0].2.as_str(), invalid[0].3), ("warning", ROUTE, Some(12)));
    assert!(invalid[0].4.contains("no reason"), "{invalid:?}");

    // With a reason: suppressed, counted, and no other finding about it.
    edit(&root, ROUTE, |t| {
        t.replace(
            "// deploy-audit-ignore: ephemeral-disk-write\n",
            "// deploy-audit-ignore: ephemeral-disk-write -- a volume is mounted at public/pos-images\n",
        )
    });
    let (_, v, _) = scan(&root, &["--target", "koyeb"]);
    assert!(of_rule(&v, "ephemeral-disk-write").is_empty());
    assert!(of_rule(&v, "suppression-invalid").is_empty());
    assert!(of_rule(&v, "suppression-unused").is_empty());
    assert_eq!(v["targets"][0]["suppressed"], 1);

    // A misspelt rule id: reported with the closest valid id, and the finding stays.
    edit(&root, ROUTE, |t| {
        t.replace("ignore: ephemeral-disk-write --", "ignore: ephemeral-disk-writes --")
    });
    let (_, v, _) = scan(&root, &["--target", "koyeb"]);
    assert_eq!(of_rule(&v, "ephemeral-disk-write").len(), 1);
    let invalid = of_rule(&v, "suppression-invalid");
    assert!(invalid[0].4.contains("did you mean `ephemeral-disk-write`"), "{invalid:?}");

    // In a Dockerfile, on the instruction below the comment.
    edit(&root, "Dockerfile", |t| {
        t.replace(
            "ENV PORT=3000\n",
            "# deploy-audit-ignore: dockerfile-env-port -- the service's exposed port is set to 3000\nENV PORT=3000\n",
        )
    });
    let (_, v, _) = scan(&root, &["--target", "koyeb"]);
    assert!(of_rule(&v, "dockerfile-env-port").is_empty(), "{:?}", of_rule(&v, "dockerfile-env-port"));
    // A suppression for a rule that reports nothing there, on any target, is unused.
    edit(&root, "Dockerfile", |t| {
        t.replace("EXPOSE 3000\n", "# deploy-audit-ignore: in-memory-state -- nothing here\nEXPOSE 3000\n")
    });
    let (_, v, _) = scan(&root, &["--target", "koyeb"]);
    let unused = of_rule(&v, "suppression-unused");
    assert_eq!(unused.len(), 1, "{unused:?}");
    assert_eq!((unused[0].1.as_str(), unused[0].2.as_str()), ("info", "Dockerfile"));
}

#[test]
fn a_baseline_survives_ten_inserted_lines_and_still_reports_a_new_finding() {
    let (_g, root) = fixture("seed000-koyeb-pos");
    let base = root.parent().unwrap().join("baseline.json");
    let base_s = base.to_str().unwrap();
    let (code, v, err) = scan(&root, &["--target", "all", "--write-baseline", base_s]);
    assert_eq!(code, 1, "the report is still printed and gated: {err}");
    let total: usize = v["targets"].as_array().unwrap().iter().map(|t| t["findings"].as_array().unwrap().len()).sum();
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    assert_eq!(written["version"], 1);
    assert_eq!(written["findings"].as_array().unwrap().len(), total);
    let e = &written["findings"][0];
    for key in ["target", "rule", "fingerprint", "file", "line", "message"] {
        assert!(e.get(key).is_some(), "baseline entry lacks {key}: {e}");
    }

    // Ten lines at the very top of the Dockerfile shift every Dockerfile finding.
    edit(&root, "Dockerfile", |t| {
        format!("{}\n{t}", "# a comment that moves every line down\n".repeat(9))
    });
    let (code, v, err) = scan(&root, &["--target", "koyeb"]);
    assert_eq!(code, 1);
    assert!(
        of_rule(&v, "dockerfile-env-port")[0].3 == Some(32),
        "the lines did shift: {:?}",
        of_rule(&v, "dockerfile-env-port")
    );
    let (code, v, _) = scan(&root, &["--target", "all", "--baseline", base_s]);
    assert_eq!(code, 0, "{err}");
    for t in v["targets"].as_array().unwrap() {
        assert!(t["findings"].as_array().unwrap().is_empty(), "{}: {}", t["target"], t["findings"]);
        assert_eq!(t["verdict"], "ready");
    }
    assert!(v["targets"][0]["baselined"].as_u64().unwrap() > 0);

    // A genuinely new finding is reported, and gates.
    write(
        &root,
        "app/api/avatar/route.ts",
        "import { writeFile } from 'fs/promises';\nexport async function POST() {\n  await writeFile('uploads/avatar.png', '');\n  return Response.json({});\n}\n",
    );
    let (code, v, _) = scan(&root, &["--target", "koyeb", "--baseline", base_s]);
    assert_eq!(code, 1);
    let f = findings(&v);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].0.as_str(), f[0].2.as_str()), ("ephemeral-disk-write", "app/api/avatar/route.ts"));

    // Missing or invalid baseline: the tool cannot do its job.
    let (code, _, err) = scan(&root, &["--target", "koyeb", "--baseline", "/nonexistent/baseline.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("baseline.json"), "{err}");
    std::fs::write(&base, "{\"version\": 1, \"targets\": []}").unwrap();
    let (code, _, err) = scan(&root, &["--target", "koyeb", "--baseline", base_s]);
    assert_eq!(code, 2);
    assert!(err.contains("not a deploy-audit baseline"), "{err}");
}

#[test]
fn an_unknown_config_key_exits_2_naming_file_line_and_the_closest_key() {
    let (_g, root) = fixture("clean-nextjs");
    write(&root, "deploy-audit.toml", "targets = [\"koyeb\"]\nfail_on = \"warning\"\n");
    let (code, _, err) = scan(&root, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("deploy-audit.toml:2:"), "{err}");
    assert!(err.contains("unknown key `fail_on`"), "{err}");
    assert!(err.contains("did you mean `fail-on`?"), "{err}");
    // Unknown rule id and unknown platform setting, in the hidden spelling of the file.
    std::fs::remove_file(root.join("deploy-audit.toml")).unwrap();
    write(&root, ".deploy-audit.toml", "[rules]\nno-health-routes = \"off\"\n");
    let (code, _, err) = scan(&root, &["--target", "koyeb"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(".deploy-audit.toml:2:") && err.contains("did you mean `no-health-route`?"),
        "{err}"
    );
    write(&root, ".deploy-audit.toml", "[platform]\nscale_to_zero = true\n");
    let (code, _, err) = scan(&root, &["--target", "koyeb"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `scale-to-zero`?"), "{err}");
    // Both spellings at once is ambiguous.
    write(&root, "deploy-audit.toml", "targets = [\"koyeb\"]\n");
    assert_eq!(scan(&root, &["--target", "koyeb"]).0, 2);
    // A missing --config file.
    std::fs::remove_file(root.join(".deploy-audit.toml")).unwrap();
    let (code, _, err) = scan(&root, &["--config", "/nonexistent/deploy-audit.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/deploy-audit.toml"), "{err}");
    // No target anywhere.
    std::fs::remove_file(root.join("deploy-audit.toml")).unwrap();
    let (code, _, err) = scan(&root, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("no target"), "{err}");
}

#[test]
fn excluded_paths_are_not_audited() {
    let (_g, root) = fixture("seed000-koyeb-pos");
    write(
        &root,
        "deploy-audit.toml",
        "exclude = [\"app/api/admin/**\"]\n\n[[ignore]]\nrule = \"in-app-db-backup\"\npaths = [\"lib/backup/*.ts\"]\nreason = \"the backup job is disabled in production\"\n",
    );
    let (code, v, err) = scan(&root, &["--target", "koyeb"]);
    assert!(of_rule(&v, "ephemeral-disk-write").is_empty(), "{err}");
    assert!(of_rule(&v, "in-app-db-backup").is_empty());
    assert_eq!(code, 0, "both criticals are gone");
    assert_eq!(v["targets"][0]["suppressed"], 1, "the [[ignore]] entry hid one finding");
}

fn prepend_lines(dir: &Path, n: usize) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            prepend_lines(&p, n);
        } else if let Ok(text) = std::fs::read_to_string(&p) {
            // A script's `#!` line must stay first: the new lines go right after it.
            let (head, rest) = match text.strip_prefix("#!") {
                Some(_) => text.split_at(text.find('\n').map_or(text.len(), |i| i + 1)),
                None => ("", text.as_str()),
            };
            std::fs::write(&p, format!("{head}{}{rest}", "\n".repeat(n))).unwrap();
        }
    }
}

fn fingerprints(v: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| {
            t["findings"].as_array().unwrap().iter().map(move |f| {
                (
                    t["target"].as_str().unwrap().to_string(),
                    f["rule"].as_str().unwrap().to_string(),
                    f["fingerprint"].as_str().unwrap().to_string(),
                )
            })
        })
        .collect();
    out.sort();
    out
}

/// No fingerprint may hold a line number or anything else that moves when lines are inserted:
/// every fixture, with ten blank lines put at the top of every file, has the same fingerprints.
#[test]
fn no_fingerprint_moves_when_every_file_gains_ten_lines() {
    let names: Vec<String> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(names.len() >= 5);
    for name in names {
        let (_g, root) = fixture(&name);
        let (_, before, _) = scan(&root, &["--target", "all", "--fail-on", "never"]);
        prepend_lines(&root, 10);
        let (_, after, _) = scan(&root, &["--target", "all", "--fail-on", "never"]);
        let (b, a) = (fingerprints(&before), fingerprints(&after));
        assert!(!b.is_empty() || name == "clean-nextjs", "{name} has findings");
        assert_eq!(b, a, "{name}: fingerprints moved with the lines");
        // The lines did move.
        let lines = |v: &serde_json::Value| -> Vec<u64> {
            v["targets"][0]["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|f| f["line"].as_u64())
                .collect()
        };
        let (lb, la) = (lines(&before), lines(&after));
        if lb.iter().any(|&l| l > 1) {
            assert!(lb.iter().any(|l| la.contains(&(l + 10))), "{name}: {lb:?} → {la:?}");
        }
    }
}

#[test]
fn a_declared_health_check_path_is_checked_against_the_routes_even_from_a_config_outside_the_root() {
    let (_g, root) = fixture("clean-nextjs");
    let cfg = root.parent().unwrap().join("ci-audit.toml");
    std::fs::write(&cfg, "exclude = [\"docs/**\"]\n\n[platform]\nhealth-check-path = \"/api/healthz\"\n").unwrap();
    let (code, v, err) = scan(&root, &["--target", "koyeb", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "a warning does not fail the default gate: {err}");
    let f = of_rule(&v, "healthcheck-path-no-route");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].2.as_str(), f[0].3), (cfg.to_str().unwrap(), Some(4)));
    let settings = v["targets"][0]["settings"].as_array().unwrap();
    let health = settings.iter().find(|s| s["name"] == "Health checks").unwrap();
    assert_eq!(health["source"], "repository");
    assert!(health["value"].as_str().unwrap().starts_with("HTTP GET /api/healthz"), "{health}");
    // Inside the root, the same file is named root-relative.
    std::fs::rename(&cfg, root.join("ci-audit.toml")).unwrap();
    let (_, v, _) = scan(&root, &["--target", "koyeb", "--config", root.join("ci-audit.toml").to_str().unwrap()]);
    assert_eq!(of_rule(&v, "healthcheck-path-no-route")[0].2, "ci-audit.toml");
}
