//! Bounded fuzz run of every parser (a few hundred cases each), part of `cargo test`.
//! The long run is `scripts/fuzz.sh` (examples/fuzz.rs, same driver, same case generator).

#[path = "common/fuzz.rs"]
mod fuzz;

fn cases() -> u64 {
    std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

#[test]
fn every_parser_survives_its_fuzz_cases() {
    let fixtures = fuzz::fixture_files();
    let mut report = Vec::new();
    for t in fuzz::TARGETS {
        let corpus = fuzz::corpus(t, &fixtures);
        assert!(!corpus.is_empty(), "{} has no seed", t.name);
        let o = fuzz::run(t, &fixtures, 0x5eed, cases(), None);
        for (i, msg, input) in &o.crashes {
            report.push(format!("{} case {i}: {msg}\ninput: {:?}", t.name, String::from_utf8_lossy(input)));
        }
    }
    assert!(report.is_empty(), "parser panics:\n{}", report.join("\n\n"));
}

#[test]
fn generator_is_deterministic_and_varied() {
    let fixtures = fuzz::fixture_files();
    let t = &fuzz::TARGETS[0];
    let corpus = fuzz::corpus(t, &fixtures);
    let a: Vec<Vec<u8>> = (0..50).map(|i| fuzz::case(t, &corpus, 1, i)).collect();
    let b: Vec<Vec<u8>> = (0..50).map(|i| fuzz::case(t, &corpus, 1, i)).collect();
    assert_eq!(a, b);
    let distinct: std::collections::BTreeSet<&Vec<u8>> = a.iter().collect();
    assert!(distinct.len() > 40, "only {} distinct cases", distinct.len());
    // Every target's seeds and fixtures are found.
    for t in fuzz::TARGETS {
        assert!(!fuzz::corpus(t, &fixtures).is_empty(), "{}", t.name);
    }
}

#[test]
fn source_cases_reach_the_analyzer() {
    // The source target runs the analyzer only when the prefilter passes or the input is small:
    // most generated cases must get there, or the run would test nothing.
    let fixtures = fuzz::fixture_files();
    let t = fuzz::TARGETS.iter().find(|t| t.name == "source").unwrap();
    let corpus = fuzz::corpus(t, &fixtures);
    let reached = (0..500)
        .filter(|&i| {
            let input = fuzz::case(t, &corpus, 7, i);
            let s = String::from_utf8_lossy(&input);
            deploy_audit::parse::source::may_matter(s.as_bytes()) || s.len() < 2048
        })
        .count();
    assert!(reached > 400, "only {reached} of 500 cases reach the analyzer");
}
