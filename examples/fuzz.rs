//! Long fuzz run of every parser: `scripts/fuzz.sh [cases] [seed] [parser…]`, or
//! `cargo run --release --example fuzz -- CASES SEED [PARSER…]`. Prints cases, seconds,
//! the slowest case and crashes per parser; exits 1 when any parser panicked.
//! `FUZZ_TRACE=path` writes each input to `path` before it runs (to catch a stack overflow).

#[path = "../tests/common/fuzz.rs"]
mod fuzz;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cases: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let seed: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0x5eed);
    let only: Vec<&str> = args.iter().skip(2).map(String::as_str).collect();
    let trace = std::env::var_os("FUZZ_TRACE").map(std::path::PathBuf::from);
    let fixtures = fuzz::fixture_files();
    if let Some(i) = std::env::var("FUZZ_CASE").ok().and_then(|v| v.parse::<u64>().ok()) {
        // Reproduce one case of each named parser: write it to target/fuzz-case-<parser>-<i>.
        for t in fuzz::TARGETS.iter().filter(|t| only.is_empty() || only.contains(&t.name)) {
            let input = fuzz::case(t, &fuzz::corpus(t, &fixtures), seed, i);
            let path = format!("target/fuzz-case-{}-{i}", t.name);
            let _ = std::fs::write(&path, &input);
            let start = std::time::Instant::now();
            (t.run)(&String::from_utf8_lossy(&input));
            println!("{path}: {} bytes, {:.2} ms", input.len(), start.elapsed().as_secs_f64() * 1000.0);
        }
        return;
    }
    let mut failed = false;
    println!(
        "{:<14} {:>10} {:>9} {:>12} {:>8} {:>8}",
        "parser", "cases", "seconds", "slowest ms", "(case)", "crashes"
    );
    for t in fuzz::TARGETS.iter().filter(|t| only.is_empty() || only.contains(&t.name)) {
        let o = fuzz::run(t, &fixtures, seed, cases, trace.as_deref());
        println!(
            "{:<14} {:>10} {:>9.1} {:>12.2} {:>8} {:>8}",
            t.name,
            o.cases,
            o.seconds,
            o.slowest_ms,
            o.slowest_case,
            o.crashes.len()
        );
        if std::env::var_os("FUZZ_SAVE_SLOWEST").is_some() {
            let corpus = fuzz::corpus(t, &fixtures);
            let _ = std::fs::write(format!("target/fuzz-slowest-{}", t.name), fuzz::case(t, &corpus, seed, o.slowest_case));
        }
        for (i, msg, input) in &o.crashes {
            failed = true;
            let path = format!("target/fuzz-crash-{}-{seed}-{i}", t.name);
            let _ = std::fs::write(&path, input);
            println!("  crash at case {i}: {msg} (input saved to {path})");
        }
    }
    std::process::exit(i32::from(failed));
}
