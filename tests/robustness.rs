//! No panic on any input: every parser is fed truncated and byte-flipped versions of every
//! fixture file, and the whole pipeline runs on mangled copies of the fixtures.

use deploy_audit::parse::*;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn parse_all(name: &str, text: &str) {
    let _ = dockerfile::parse(text);
    let _ = compose::parse(text);
    let _ = yaml::parse(text);
    let _ = package_json::parse(text);
    let _ = prisma::parse(text);
    let _ = prisma::parse_config_ts(text);
    let _ = env_file::parse(text);
    let _ = dockerignore::parse(text).excluded("a/b/c");
    let _ = next_config::parse(text, name);
    if source::may_matter(text.as_bytes()) || text.len() < 4096 {
        let _ = source::analyze(text, name);
    }
    let _ = toml::from_str::<toml::Table>(text);
}

fn variants(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let step = (bytes.len() / 64).max(1);
    let mut i = 0;
    while i <= bytes.len() {
        out.push(String::from_utf8_lossy(&bytes[..i]).into_owned());
        let mut flipped = bytes.to_vec();
        if i < flipped.len() {
            flipped[i] ^= 0xA5;
            out.push(String::from_utf8_lossy(&flipped).into_owned());
            let mut swapped = bytes.to_vec();
            let pool = b"{[(<\"'`$\\\n#:-";
            swapped[i] = pool[i % pool.len()];
            out.push(String::from_utf8_lossy(&swapped).into_owned());
        }
        i += step;
    }
    out
}

#[test]
fn every_parser_survives_truncated_and_flipped_fixture_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut all = Vec::new();
    files(&root, &mut all);
    assert!(all.len() > 30, "fixtures missing");
    let mut cases = 0usize;
    for p in &all {
        let bytes = std::fs::read(p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        for v in variants(&bytes) {
            parse_all(&name, &v);
            cases += 1;
        }
    }
    assert!(cases > 1000, "only {cases} cases");
}

#[test]
fn pipeline_survives_mangled_fixture_trees() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut all = Vec::new();
    files(&root, &mut all);
    for (n, cut) in [(0usize, 0.5f64), (1, 0.25), (2, 0.9)] {
        let dir = tempfile::tempdir().unwrap();
        for p in &all {
            let rel = p.strip_prefix(&root).unwrap();
            let dst = dir.path().join(rel);
            std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
            let mut bytes = std::fs::read(p).unwrap();
            let keep = (bytes.len() as f64 * cut) as usize;
            bytes.truncate(keep);
            if n == 2 && !bytes.is_empty() {
                let mid = bytes.len() / 2;
                bytes[mid] ^= 0xFF;
            }
            std::fs::write(&dst, bytes).unwrap();
        }
        for fixture in std::fs::read_dir(dir.path()).unwrap().flatten() {
            let targets = vec!["koyeb".to_string()];
            let (report, model) = deploy_audit::cli::scan_with(&fixture.path(), &targets, &Default::default(), None).expect("scan");
            let sources = deploy_audit::render::sources::collect(&model, &report);
            for &format in <deploy_audit::render::Format as clap::ValueEnum>::value_variants() {
                for color in [false, true] {
                    let opts = deploy_audit::render::Options {
                        color,
                        sources: Some(&sources),
                    };
                    let text = deploy_audit::render::render_with(&report, format, &opts);
                    assert!(!text.is_empty(), "{format:?}");
                }
            }
        }
    }
}
