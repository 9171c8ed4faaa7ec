//! Converts the rule packs (`rules/*.toml`, the files people edit) to JSON in `OUT_DIR`, which the
//! binary embeds (`src/packs.rs` lists the targets and their order): a scan then reads each pack
//! with serde_json (about 0.3 ms for all six) instead of parsing 150 KB of TOML at every start
//! (about 2 ms, a quarter of a small repository's scan). A pack that is not valid TOML fails the
//! build, naming the file and the line.

use std::path::Path;

fn main() {
    println!("cargo::rerun-if-changed=rules");
    let out = std::env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo");
    let dir = std::fs::read_dir("rules").unwrap_or_else(|e| panic!("cannot list rules/: {e}"));
    for entry in dir {
        let path = entry.expect("an entry of rules/").path();
        let (Some(id), Some("toml")) = (path.file_stem().and_then(|s| s.to_str()), path.extension().and_then(|e| e.to_str())) else {
            continue;
        };
        println!("cargo::rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let value: serde_json::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{} is not valid TOML: {e}", path.display()));
        let json = serde_json::to_string(&value).expect("a TOML document converts to JSON");
        std::fs::write(Path::new(&out).join(format!("{id}.json")), json).expect("write the pack's JSON to OUT_DIR");
    }
}
