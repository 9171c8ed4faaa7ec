//! What a file's text and path say before it is parsed, found in one pass on the walker thread
//! that read it (the text is still in the cache, and the walk runs on every core): whether a
//! source can hold a fact at all (the parse prefilter), whether it names a health route, holds a
//! provider key's prefix or a suppression comment, and whether its path is a test's. The model
//! and the checks then skip, without reading them again, the files that cannot matter to them.
//! Each bit is a superset test: set whenever the full check could succeed.

use crate::discover::FileKind;

/// A source that is not a test holds a token that can produce a fact (see
/// [`crate::parse::source::may_matter`]).
pub const FACTS: u8 = 1;
/// A source mentions a health route word (see `model::HEALTH_WORDS`).
pub const HEALTH: u8 = 2;
/// The text holds a provider key's prefix (see `checks::committed_api_key::PREFIXES`).
pub const KEY: u8 = 4;
/// The text holds the suppression marker (see [`crate::suppress::MARKER`]).
pub const SUPPRESS: u8 = 8;
/// The path is a test's, a mock's or a story's, whatever the file's kind (see
/// [`crate::model::is_test_path`]).
pub const TEST: u8 = 16;

/// A file's hint bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hints(pub u8);

impl Hints {
    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// The needles of the rare bits (health-route words, provider-key prefixes, the suppression
/// marker), each with the bit it sets: one pass over a text finds all three. The search is
/// leftmost-longest, with its prefilter (these needles are rare, so it skips most of a text),
/// and goes on from the byte after each match's start, not its end, so that a needle starting
/// inside another's match is seen too (`/statusk-…`). At one start only the longest needle is
/// reported; every shorter needle that matches there is a prefix of it, so each needle's bits
/// include those of the needles that are its prefixes.
struct Rare {
    searcher: aho_corasick::AhoCorasick,
    bits: Vec<u8>,
}

fn rare() -> Option<&'static Rare> {
    static RARE: std::sync::OnceLock<Option<Rare>> = std::sync::OnceLock::new();
    RARE.get_or_init(|| {
        let lists: [(&[&str], u8); 3] = [
            (crate::model::HEALTH_WORDS, HEALTH),
            (crate::checks::committed_api_key::PREFIXES, KEY),
            (&[crate::suppress::MARKER], SUPPRESS),
        ];
        let (mut needles, mut bits): (Vec<&str>, Vec<u8>) = (Vec::new(), Vec::new());
        for (list, bit) in lists {
            needles.extend_from_slice(list);
            bits.extend(std::iter::repeat_n(bit, list.len()));
        }
        let closed: Vec<u8> = needles
            .iter()
            .map(|n| needles.iter().zip(&bits).filter(|(p, _)| n.starts_with(**p)).fold(0, |acc, (_, b)| acc | b))
            .collect();
        let searcher = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&needles)
            .ok()?;
        Some(Rare { searcher, bits: closed })
    })
    .as_ref()
}

/// Which of the rare bits in `want` the text's needles set.
fn rare_bits(text: &str, want: u8) -> u8 {
    let want = want & (HEALTH | KEY | SUPPRESS);
    if want == 0 {
        return 0;
    }
    let Some(r) = rare() else {
        // The searcher could not be built: every bit is a superset test, so set them all.
        return want;
    };
    let mut got = 0;
    let mut at = 0;
    while let Some(m) = r.searcher.find(aho_corasick::Input::new(text).span(at..text.len())) {
        got |= r.bits[m.pattern().as_usize()] & want;
        if got == want {
            break;
        }
        at = m.start() + 1;
    }
    got
}

/// The bits a file of `kind` at `rel` needs.
fn wanted(kind: FileKind) -> u8 {
    match kind {
        FileKind::Source => FACTS | HEALTH | KEY | SUPPRESS,
        FileKind::Lockfile | FileKind::Migration => 0,
        k if crate::suppress::syntax_for(k).is_some() => KEY | SUPPRESS,
        _ => KEY,
    }
}

/// The hints of a file of `kind` at `rel` (relative, `/`-separated) with `text`.
pub fn of(kind: FileKind, rel: &str, text: Option<&str>) -> Hints {
    let mut got = if crate::model::is_test_path(rel) { TEST } else { 0 };
    let Some(text) = text else { return Hints(got) };
    let want = wanted(kind);
    if want == 0 {
        return Hints(got);
    }
    let bytes = text.as_bytes();
    // The source prefilter stops at its first (usually early) match. A test is never parsed, so
    // its FACTS bit is left unset.
    if want & FACTS != 0 && got & TEST == 0 && crate::parse::source::may_matter(bytes) {
        got |= FACTS;
    }
    Hints(got | rare_bits(text, want))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hints agree with the checks they stand for, on texts built from every needle and
    /// near-misses around them.
    #[test]
    fn hints_are_exactly_the_checks_they_replace() {
        let mut texts: Vec<String> = vec![String::new(), "const x = 1;\n".into(), "GETTER POSTS xDELETE _PUT".into()];
        // Needles of different bits that overlap: the second starts inside the first.
        for t in [
            "/statusk-abc",
            "healthf_x",
            "/pingho_",
            "deploy-audit-ignoreSG.",
            "heartbeatsk-",
            "hhealth",
            "sk_live_sk-",
            "ghp_ghp_",
            "xhealthhf_",
            "/ping/pingsk-",
        ] {
            texts.push(t.into());
        }
        let lists: [&[&str]; 5] = [
            crate::parse::source::MAY_MATTER,
            &crate::parse::source::MAY_MATTER_WORDS,
            crate::model::HEALTH_WORDS,
            crate::checks::committed_api_key::PREFIXES,
            &[crate::suppress::MARKER],
        ];
        for list in lists {
            for w in list {
                for (a, b) in [
                    ("", ""),
                    (" ", " "),
                    ("x", ""),
                    ("", "x"),
                    ("_", "_"),
                    ("\n", "abcdefghijklmnopqrstuvwxyz0123456789"),
                ] {
                    texts.push(format!("{a}{w}{b}"));
                }
                // Cut in half: no needle.
                let cut = w.len() / 2;
                texts.push(format!("{} {}", &w[..cut], &w[cut..]));
            }
        }
        for t in &texts {
            let h = of(FileKind::Source, "src/a.ts", Some(t));
            assert_eq!(h.has(FACTS), crate::parse::source::may_matter(t.as_bytes()), "{t:?}");
            assert_eq!(h.has(HEALTH), crate::model::HEALTH_WORDS.iter().any(|w| t.contains(w)), "{t:?}");
            assert_eq!(h.has(SUPPRESS), t.contains(crate::suppress::MARKER), "{t:?}");
            assert_eq!(h.has(KEY), crate::checks::committed_api_key::PREFIXES.iter().any(|w| t.contains(w)), "{t:?}");
            // Every candidate the key rule's pattern finds starts with a prefix the hint knows.
            if crate::checks::committed_api_key::candidate(t) {
                assert!(h.has(KEY), "{t:?}");
            }
            let d = of(FileKind::Dockerfile, "Dockerfile", Some(t));
            assert!(!d.has(FACTS) && !d.has(HEALTH), "{t:?}");
            assert_eq!(d.has(KEY), h.has(KEY));
        }
        assert!(of(FileKind::Source, "src/a.test.ts", None).has(TEST));
        assert!(of(FileKind::EnvFile, "src/__mocks__/.env.example", Some("A=1\n")).has(TEST));
        assert!(!of(FileKind::Source, "src/a.ts", None).has(TEST));
        assert_eq!(of(FileKind::Lockfile, "package-lock.json", Some("sk-abcdefghijklmnop")), Hints(0));
    }
}
