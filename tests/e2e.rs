//! End-to-end: run the built `audit` binary on the bundled fixtures, check exit codes, and
//! snapshot the reports.

use std::path::Path;
use std::process::{Command, Output};

fn audit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_audit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run audit")
}

fn json(fixture: &str, target: &str) -> serde_json::Value {
    let out = audit(&[
        "scan",
        &format!("fixtures/{fixture}"),
        "--target",
        target,
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("valid json")
}

fn findings(v: &serde_json::Value, target: usize) -> Vec<(String, String, String, Option<u64>)> {
    v["targets"][target]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64(),
            )
        })
        .collect()
}

fn has(fs: &[(String, String, String, Option<u64>)], rule: &str, sev: &str, file: &str, line: Option<u64>) -> bool {
    fs.iter().any(|f| f.0 == rule && f.1 == sev && f.2 == file && (line.is_none() || f.3 == line))
}

#[test]
fn seed000_fixture_is_not_ready_on_koyeb_with_every_blocker() {
    let v = json("seed000-koyeb-pos", "koyeb");
    assert_eq!(v["version"], 1);
    assert_eq!(v["targets"][0]["target"], "koyeb");
    assert_eq!(v["targets"][0]["verdict"], "not-ready");
    let f = findings(&v, 0);
    // Stateful disk: uploads and backups.
    assert!(
        has(&f, "ephemeral-disk-write", "critical", "app/api/admin/upload/product-image/route.ts", Some(12)),
        "{f:#?}"
    );
    // pg_dump in the web container, with the postgresql-client install as related.
    assert!(has(&f, "in-app-db-backup", "critical", "lib/backup/database-backup.ts", Some(10)), "{f:#?}");
    // Framework: next latest, engines missing, standalone not enabled.
    assert!(has(&f, "unpinned-framework", "warning", "package.json", Some(18)), "{f:#?}");
    assert!(has(&f, "engines-node-missing", "info", "package.json", None), "{f:#?}");
    assert!(has(&f, "standalone-recommended", "info", "Dockerfile", Some(25)), "{f:#?}");
    // Port and images.
    assert!(has(&f, "dockerfile-env-port", "info", "Dockerfile", Some(22)), "{f:#?}");
    assert!(has(&f, "images-localhost-only", "warning", "next.config.js", Some(5)), "{f:#?}");
    // Database: migrations nobody runs; SSL advice.
    assert!(has(&f, "migrations-not-run", "warning", "prisma/schema.prisma", None), "{f:#?}");
    assert!(has(&f, "db-ssl-unspecified", "info", "prisma/schema.prisma", Some(8)), "{f:#?}");
    // SSE route, undocumented variable.
    assert!(has(&f, "long-lived-responses", "info", "app/api/realtime/stream/route.ts", Some(10)), "{f:#?}");
    assert!(has(&f, "env-undocumented", "warning", "lib/print.ts", Some(2)), "{f:#?}");
    // What the seed found correct must stay silent.
    for quiet in [
        "prisma-binary-target",
        "no-health-route",
        "bind-localhost",
        "committed-env-secret",
        "parse-error",
    ] {
        assert!(!f.iter().any(|x| x.0 == quiet), "{quiet} fired: {f:#?}");
    }
    let related = &v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule"] == "in-app-db-backup")
        .unwrap()["related"];
    assert_eq!(related[0]["file"], "Dockerfile");
    assert_eq!(related[0]["line"], 20);
}

#[test]
fn seed004_fixture_finds_the_failed_deploys() {
    let v = json("seed004-coolify-vps", "koyeb");
    let f = findings(&v, 0);
    assert_eq!(v["targets"][0]["verdict"], "not-ready");
    assert!(
        has(&f, "db-push-accept-data-loss", "critical", "nextjs_space/docker-entrypoint.sh", Some(4)),
        "{f:#?}"
    );
    assert!(
        has(&f, "prisma-output-absolute", "critical", "nextjs_space/prisma/schema.prisma", Some(4)),
        "{f:#?}"
    );
    assert!(has(&f, "seed-on-start", "warning", "nextjs_space/docker-entrypoint.sh", Some(6)), "{f:#?}");
    assert!(
        has(&f, "default-admin-credentials", "warning", "nextjs_space/scripts/seed.ts", Some(7)),
        "{f:#?}"
    );
    assert!(
        has(&f, "ephemeral-disk-write", "critical", "nextjs_space/app/api/files/upload/route.ts", Some(8)),
        "{f:#?}"
    );
    // The heredoc writes next.config.js with standalone: no standalone-not-enabled.
    assert!(!f.iter().any(|x| x.0 == "standalone-not-enabled" || x.0 == "parse-error"), "{f:#?}");
}

/// Seed 004 on the platforms it deployed to: Coolify and a VPS.
#[test]
fn seed004_fixture_on_coolify_and_vps() {
    let v = json("seed004-coolify-vps", "coolify,vps");
    for t in 0..2 {
        let f = findings(&v, t);
        assert_eq!(v["targets"][t]["verdict"], "not-ready");
        // `bash: executable file not found` (exit 127): a #!/bin/bash entrypoint on Alpine without bash.
        assert!(has(&f, "entrypoint-shell-missing", "critical", "Dockerfile", Some(66)), "{f:#?}");
        // "502 but container is running": HOSTNAME unset, the localhost HEALTHCHECK is refused.
        assert!(has(&f, "healthcheck-localhost-hostname", "critical", "Dockerfile", Some(64)), "{f:#?}");
        assert!(has(&f, "standalone-hostname", "warning", "Dockerfile", Some(52)), "{f:#?}");
        assert!(
            has(&f, "db-push-accept-data-loss", "critical", "nextjs_space/docker-entrypoint.sh", Some(4)),
            "{f:#?}"
        );
        assert!(
            has(&f, "prisma-output-absolute", "critical", "nextjs_space/prisma/schema.prisma", Some(4)),
            "{f:#?}"
        );
        assert!(has(&f, "compose-db-no-volume", "critical", "docker-compose.yml", Some(18)), "{f:#?}");
        assert!(has(&f, "compose-db-port-public", "warning", "docker-compose.yml", Some(21)), "{f:#?}");
        assert!(has(&f, "compose-secret-default", "warning", "docker-compose.yml", Some(10)), "{f:#?}");
        assert!(
            has(&f, "default-admin-credentials", "warning", "nextjs_space/scripts/seed.ts", Some(7)),
            "{f:#?}"
        );
    }
    // The uploads volume covers /srv/app/uploads on the VPS; Coolify volumes live in its dashboard.
    assert!(has(
        &findings(&v, 0),
        "ephemeral-disk-write",
        "warning",
        "nextjs_space/app/api/files/upload/route.ts",
        Some(8)
    ));
    assert!(!findings(&v, 1).iter().any(|x| x.0 == "ephemeral-disk-write"));
    let text = serde_json::to_string(&v).unwrap();
    assert!(!text.contains("admin123"), "a password was printed");
}

#[test]
fn seed002_fixture_finds_the_compose_gaps_on_a_vps() {
    let v = json("seed002-vps-crm", "vps");
    let f = findings(&v, 0);
    assert_eq!(v["targets"][0]["verdict"], "not-ready");
    assert!(has(&f, "compose-db-no-volume", "critical", "docker-compose.prod.yml", Some(3)), "{f:#?}");
    assert!(has(&f, "compose-db-port-public", "warning", "docker-compose.prod.yml", Some(9)), "{f:#?}");
    assert!(has(&f, "compose-depends-unhealthy", "warning", "docker-compose.prod.yml", Some(21)), "{f:#?}");
    assert!(has(&f, "compose-no-restart", "warning", "docker-compose.prod.yml", Some(2)), "{f:#?}");
    assert!(has(&f, "compose-no-restart", "warning", "docker-compose.prod.yml", Some(11)), "{f:#?}");
    // The development compose file is not the deployment: its published port is not reported.
    assert!(!f.iter().any(|x| x.2 == "docker-compose.yml"), "{f:#?}");
    // A sound standalone Dockerfile: nothing about it.
    assert!(!f.iter().any(|x| x.0.starts_with("standalone") || x.0 == "prisma-cli-missing"), "{f:#?}");
    // Koyeb does not run compose files.
    let k = findings(&json("seed002-vps-crm", "koyeb"), 0);
    assert!(!k.iter().any(|x| x.0.starts_with("compose-")), "{k:#?}");
}

#[test]
fn seed001_fixture_monorepo_backend_on_coolify() {
    let v = json("seed001-coolify-monorepo", "coolify");
    let f = findings(&v, 0);
    assert!(has(&f, "healthcheck-tool-missing", "critical", "apps/backend/Dockerfile", Some(18)), "{f:#?}");
    assert!(has(&f, "migrate-at-start", "info", "apps/backend/docker-entrypoint.sh", Some(4)), "{f:#?}");
    assert!(has(&f, "in-memory-state", "warning", "apps/backend/src/server.ts", Some(7)), "{f:#?}");
    // COPY paths are written from the repository root: the inferred context is the root, nothing is missing.
    assert!(!f.iter().any(|x| x.0 == "copy-source-missing"), "{f:#?}");
    let settings = v["targets"][0]["settings"].as_array().unwrap();
    let get = |n: &str| settings.iter().find(|s| s["name"] == n).map(|s| s["value"].as_str().unwrap().to_string());
    // The plan speaks Coolify's own setting names.
    assert_eq!(get("Dockerfile Location").as_deref(), Some("apps/backend/Dockerfile"));
    assert_eq!(get("Base Directory (build context)").as_deref(), Some("repository root"));
    assert!(get("Health Check Path").unwrap().contains("/health"));
    assert!(has(&f, "dockerfile-not-detected", "info", "apps/backend/Dockerfile", Some(1)), "{f:#?}");
}

#[test]
fn seed003_fixture_finds_what_breaks_on_fly_railway_and_render() {
    let v = json("seed003-paas-drizzle", "fly,railway,render");
    let fly = findings(&v, 0);
    assert!(has(&fly, "fly-internal-port", "critical", "fly.toml", Some(10)), "{fly:#?}");
    assert!(has(&fly, "healthcheck-path-no-route", "warning", "fly.toml", Some(16)), "{fly:#?}");
    assert!(has(&fly, "fly-vm-memory", "warning", "fly.toml", Some(24)), "{fly:#?}");
    assert!(has(&fly, "build-runs-migrations", "critical", "Dockerfile", Some(10)), "{fly:#?}");
    let railway = findings(&v, 1);
    assert!(has(&railway, "railway-config-deprecated", "warning", "railway.json", None), "{railway:#?}");
    assert!(has(&railway, "railway-config-unknown-key", "warning", "railway.json", Some(9)), "{railway:#?}");
    assert!(has(&railway, "build-runs-migrations", "critical", "Dockerfile", Some(10)), "{railway:#?}");
    assert!(
        !railway.iter().any(|x| x.0 == "healthcheck-path-no-route"),
        "railway.json's path is ignored (misspelt key): {railway:#?}"
    );
    let render = findings(&v, 2);
    assert!(has(&render, "render-free-plan", "warning", "render.yaml", Some(7)), "{render:#?}");
    assert!(has(&render, "secrets-in-committed-config", "warning", "render.yaml", Some(13)), "{render:#?}");
    assert!(!render.iter().any(|x| x.0 == "healthcheck-path-no-route"), "{render:#?}");
    let text = serde_json::to_string(&v).unwrap();
    assert!(!text.contains("sk_live_9fJq2XvB7mLp4RtY8wZc1NdK6sHgUe3A"), "a secret's value was printed");
    // The Render plan names the pre-deploy command the repository declares.
    let settings = v["targets"][2]["settings"].as_array().unwrap();
    let release = settings.iter().find(|s| s["name"] == "preDeployCommand").unwrap();
    assert_eq!(release["source"], "repository");
    assert!(release["value"].as_str().unwrap().contains("render.yaml:7"), "{release}");
}

#[test]
fn clean_fixture_is_ready_and_exits_zero() {
    let out = audit(&["scan", "fixtures/clean-nextjs", "--target", "koyeb", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["targets"][0]["verdict"], "ready", "{:#?}", v["targets"][0]["findings"]);
    assert_eq!(v["targets"][0]["counts"]["warning"], 0);
    assert_eq!(v["targets"][0]["counts"]["critical"], 0);
}

#[test]
fn target_all_gives_six_entries_and_the_clean_fixture_is_ready_everywhere() {
    let v = json("clean-nextjs", "all");
    let targets: Vec<&str> = v["targets"].as_array().unwrap().iter().map(|t| t["target"].as_str().unwrap()).collect();
    assert_eq!(targets, ["koyeb", "coolify", "fly", "railway", "render", "vps"]);
    for t in v["targets"].as_array().unwrap() {
        assert_eq!(t["verdict"], "ready", "{}: {:#?}", t["target"], t["findings"]);
    }
    let table = audit(&["scan", "fixtures/seed004-coolify-vps", "--target", "all", "--fail-on", "never"]);
    let text = String::from_utf8_lossy(&table.stdout).to_string();
    assert!(
        text.contains("verdict") && text.contains("railway") && text.contains("db-push-accept-data-loss"),
        "{text}"
    );
    let md = audit(&[
        "scan",
        "fixtures/seed004-coolify-vps",
        "--target",
        "koyeb,vps",
        "--format",
        "markdown",
        "--fail-on",
        "never",
    ]);
    assert!(String::from_utf8_lossy(&md.stdout).contains("## Platform comparison"));
}

#[test]
fn fail_on_warning_gates_a_warning_only_fixture() {
    assert_eq!(audit(&["scan", "fixtures/warning-only", "--target", "koyeb"]).status.code(), Some(0));
    let out = audit(&["scan", "fixtures/warning-only", "--target", "koyeb", "--fail-on", "warning"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(audit(&["scan", "fixtures/seed000-koyeb-pos", "--target", "koyeb"]).status.code(), Some(1));
    assert_eq!(
        audit(&["scan", "fixtures/seed000-koyeb-pos", "--target", "koyeb", "--fail-on", "never"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn bad_invocations_exit_two() {
    let out = audit(&["scan", "fixtures/does-not-exist", "--target", "koyeb"]);
    assert_eq!(out.status.code(), Some(2));
    let out = audit(&["scan", "fixtures/clean-nextjs", "--target", "heroku"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("known targets") && err.contains("koyeb"), "{err}");
    assert_eq!(audit(&["scan", "fixtures/clean-nextjs"]).status.code(), Some(2));
    assert_eq!(
        audit(&["scan", "fixtures/clean-nextjs", "--target", "koyeb", "--format", "xml"]).status.code(),
        Some(2)
    );
    assert_eq!(audit(&["explain", "no-such-rule"]).status.code(), Some(2));
}

#[test]
fn targets_accept_lists_repeats_and_all() {
    let v = json("clean-nextjs", "koyeb,koyeb");
    assert_eq!(v["targets"].as_array().unwrap().len(), 1);
    let out = audit(&["scan", "fixtures/clean-nextjs", "-t", "all", "-t", "koyeb", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn broken_files_give_parse_errors_and_the_rest_is_audited() {
    let v = json("broken-files", "koyeb");
    let f = findings(&v, 0);
    assert!(has(&f, "parse-error", "warning", "package.json", Some(5)), "{f:#?}");
    assert!(has(&f, "parse-error", "warning", "fly.toml", Some(2)), "{f:#?}");
    assert!(f.iter().any(|x| x.0 == "parse-error" && x.2 == "docker-compose.yml"), "{f:#?}");
    assert!(has(&f, "parse-error", "warning", "Dockerfile", Some(4)), "{f:#?}");
    assert!(has(&f, "ephemeral-disk-write", "critical", "app/api/upload/route.ts", Some(4)), "{f:#?}");
}

#[test]
fn output_file_is_written_and_help_and_version_work() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("AUDIT.md");
    let out = audit(&[
        "scan",
        "fixtures/seed000-koyeb-pos",
        "--target",
        "koyeb",
        "--format",
        "markdown",
        "--output",
        path.to_str().unwrap(),
        "--fail-on",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let md = std::fs::read_to_string(&path).unwrap();
    assert!(md.contains("## Koyeb: Not ready"));
    assert!(md.contains("### Critical blockers"));
    assert!(md.contains("### Koyeb settings"));
    assert!(md.contains("### Post-deploy checklist"));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&audit(&["--version"]).stdout).contains(env!("CARGO_PKG_VERSION")));
    let help = String::from_utf8_lossy(&audit(&["scan", "--help"]).stdout).to_string();
    assert!(help.contains("Examples:") && help.contains("--fail-on"), "{help}");
    let rules = String::from_utf8_lossy(&audit(&["rules"]).stdout).to_string();
    assert!(rules.contains("ephemeral-disk-write") && rules.contains("critical"));
    let explain = String::from_utf8_lossy(&audit(&["explain", "ephemeral-disk-write"]).stdout).to_string();
    assert!(explain.contains("## What it does") && explain.contains("Koyeb"));
}

fn snapshot_name(fixture: &str, ext: &str) -> String {
    format!("{}-{ext}", fixture.replace('/', "_"))
}

#[test]
fn reports_are_snapshotted() {
    // Each seed's report for the platforms its seed deploys to; the clean app on every target.
    for (fixture, targets) in [
        ("seed000-koyeb-pos", "koyeb"),
        ("seed001-coolify-monorepo", "coolify"),
        ("seed002-vps-crm", "vps"),
        ("seed003-paas-drizzle", "fly,railway,render"),
        ("seed004-coolify-vps", "coolify,vps"),
        ("clean-nextjs", "all"),
        ("broken-files", "koyeb"),
    ] {
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(fixture).is_dir());
        for (format, ext) in [("markdown", "markdown"), ("json", "json"), ("table", "table")] {
            let out = audit(&[
                "scan",
                &format!("fixtures/{fixture}"),
                "--target",
                targets,
                "--format",
                format,
                "--fail-on",
                "never",
            ]);
            assert_eq!(out.status.code(), Some(0), "{fixture} {format}");
            insta::assert_snapshot!(snapshot_name(fixture, ext), String::from_utf8_lossy(&out.stdout));
        }
    }
}

#[test]
fn source_patterns_fixture_finds_each_pattern_and_no_near_miss() {
    let v = json("source-patterns", "koyeb");
    let fs = findings(&v, 0);
    for (rule, sev, file, line) in [
        ("committed-env-secret", "critical", ".env.production", 1),
        ("hardcoded-internal-host", "warning", "Dockerfile", 19),
        ("next-public-secret", "critical", "components/banner.tsx", 4),
        ("sqlite-ephemeral", "critical", "lib/db.ts", 3),
        ("secret-fallback", "warning", "src/env.ts", 7),
        ("secret-build-arg", "warning", "Dockerfile", 10),
        ("secret-in-dockerfile-env", "warning", "Dockerfile", 18),
        ("secret-min-length", "warning", "Dockerfile", 18),
        ("env-file-in-image", "warning", "Dockerfile", 20),
        ("auth-check-fail-open", "warning", "app/api/cron/route.ts", 2),
        ("local-log-file", "warning", "app/api/upload/route.ts", 5),
        ("child-process-binary-missing", "warning", "app/api/upload/route.ts", 11),
        ("next-public-build-arg-missing", "warning", "components/banner.tsx", 4),
        ("internal-host-fallback", "warning", "lib/redis.ts", 3),
        ("in-process-scheduler", "warning", "lib/jobs.ts", 4),
        ("env-unused", "info", ".env.example", 9),
    ] {
        assert!(has(&fs, rule, sev, file, Some(line)), "missing {rule} {file}:{line}: {fs:#?}");
    }
    // Near misses: a development-only fallback, a file a tool script runs, a one-minute interval,
    // a client component's interval, an in-memory SQLite database, the anon key.
    let near = |f: &(String, String, String, Option<u64>)| {
        (f.0 == "secret-fallback" && f.2 != "src/env.ts")
            || f.2 == "lib/reset.ts"
            || (f.0 == "in-process-scheduler" && (f.2 != "lib/jobs.ts" || f.3 != Some(4)))
            || (f.0 == "sqlite-ephemeral" && f.3 != Some(3))
            || (f.0 == "next-public-secret" && f.3 != Some(4))
            || f.0 == "ephemeral-disk-write"
    };
    assert!(!fs.iter().any(near), "{fs:#?}");
    let messages: String = v["targets"][0]["findings"].to_string();
    assert!(!messages.contains("51HxQ2eJ8kq3"), "a secret value was printed");
    assert!(!messages.contains("Qm9vdHN0cmFw"), "a secret value was printed");
    let env = v["targets"][0]["env"].as_array().unwrap();
    let session = env.iter().find(|e| e["name"] == "SESSION_SECRET").unwrap();
    assert!(session["purpose"].as_str().unwrap().contains("at least 48 characters"), "{session}");
    assert_eq!(session["read_in"], "src/env.ts:6 (env schema)");
}

#[test]
fn timings_go_to_stderr_only_when_asked_and_change_nothing_else() {
    let run = |timings: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_audit"));
        cmd.args(["scan", "fixtures/clean-nextjs", "--target", "all", "--format", "json"])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        cmd.env_remove("DEPLOY_AUDIT_TIMINGS");
        if let Some(v) = timings {
            cmd.env("DEPLOY_AUDIT_TIMINGS", v);
        }
        cmd.output().expect("audit runs")
    };
    let (plain, timed, off) = (run(None), run(Some("1")), run(Some("0")));
    assert_eq!(plain.stdout, timed.stdout);
    assert!(plain.stderr.is_empty() && off.stderr.is_empty(), "{}", String::from_utf8_lossy(&off.stderr));
    let err = String::from_utf8_lossy(&timed.stderr);
    for phase in ["discover (walk + read)", "parse", "model: assemble", "checks (all targets)", "render"] {
        assert!(err.lines().any(|l| l.starts_with("[timing] ") && l.contains(phase)), "{phase} missing in {err}");
    }
}
