//! Parse every file in a directory as a Dockerfile and report the ones with errors.
//! Used to check the parser against a corpus of real Dockerfiles:
//! `cargo run --example parse_dockerfiles -- DIR`

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: parse_dockerfiles DIR");
        std::process::exit(2);
    };
    let mut entries: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect(),
        Err(e) => {
            eprintln!("cannot read {dir}: {e}");
            std::process::exit(2);
        }
    };
    entries.sort();
    let (mut ok, mut bad, mut instructions, mut heredocs) = (0usize, 0usize, 0usize, 0usize);
    for p in entries {
        let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if name.ends_with(".tsv") || name.ends_with(".md") {
            continue;
        }
        let Ok(bytes) = std::fs::read(&p) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        let df = deploy_audit::parse::dockerfile::parse(&text);
        instructions += df.instructions.len();
        heredocs += df.instructions.iter().map(|i| i.heredocs.len()).sum::<usize>();
        if df.errors.is_empty() && !df.stages.is_empty() {
            ok += 1;
        } else {
            bad += 1;
            for e in &df.errors {
                println!("{name}:{}: {}", e.line, e.message);
            }
            if df.stages.is_empty() {
                println!("{name}: no FROM");
            }
        }
    }
    println!("{ok} parsed, {bad} with errors; {instructions} instructions, {heredocs} heredocs");
}
