//! docs/rules/*.md are generated from the checks' documentation and the packs; this fails when
//! the committed pages are stale. Regenerate with `cargo run -- docs --write docs/rules` or
//! `UPDATE_DOCS=1 cargo test --test docs`.

use std::path::Path;

#[test]
fn rule_pages_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    if std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1") {
        deploy_audit::catalog::write_pages(&dir).unwrap();
    }
    let stale = deploy_audit::catalog::stale_pages(&dir).unwrap();
    assert!(
        stale.is_empty(),
        "docs/rules is stale ({}): regenerate with `cargo run -- docs --write docs/rules` (or `UPDATE_DOCS=1 cargo test --test docs`) and commit",
        stale.join(", ")
    );
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    for r in deploy_audit::checks::RULES {
        assert!(readme.contains(&format!("[`{}`]({}.md)", r.id, r.id)), "catalogue lacks {}", r.id);
        assert!(dir.join(format!("{}.md", r.id)).is_file());
    }
}

#[test]
fn the_docs_command_checks_and_writes() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_audit"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = run(&["docs", "--check", d]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cargo run -- docs --write"));
    assert_eq!(run(&["docs", "--write", d]).status.code(), Some(0));
    assert_eq!(run(&["docs", "--check", d]).status.code(), Some(0));
}
