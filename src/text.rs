//! Small text helpers shared by every layer.

/// Make text taken from a repository safe to print on a terminal: control characters
/// (escape sequences, carriage returns, NUL) become visible `\u{..}` escapes.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\t' {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    memchr::memchr_iter(b'\n', &text.as_bytes()[..end]).count() + 1
}

/// First 1-based line whose text contains `needle`.
pub fn find_line(text: &str, needle: &str) -> Option<usize> {
    text.find(needle).map(|off| line_of(text, off))
}

/// Parent directory of a relative path ("" for the root).
pub fn parent(rel: &str) -> &str {
    match rel.rfind('/') {
        Some(i) => &rel[..i],
        None => "",
    }
}

/// Join a directory and a relative path with `/`, normalising `.` and `..` (never above the root).
pub fn join(dir: &str, path: &str) -> String {
    let mut parts: Vec<&str> = if path.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// Does `path` live under directory `dir` (or equal it)? `dir` "" is the root.
pub fn under(path: &str, dir: &str) -> bool {
    dir.is_empty() || path == dir || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

/// A fixed set of needles searched in one pass (Aho-Corasick), built on first use:
/// `static MARKERS: Needles = Needles::new(&[".test.", ".spec."]);`. Leftmost-first, so the
/// search gets the SIMD (Teddy) prefilter; for "does any needle occur" the answer is the same.
pub struct Needles {
    words: &'static [&'static str],
    searcher: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>>,
}

impl Needles {
    pub const fn new(words: &'static [&'static str]) -> Self {
        Needles {
            words,
            searcher: std::sync::OnceLock::new(),
        }
    }

    /// Does `haystack` contain any of the needles?
    pub fn any_in(&self, haystack: &str) -> bool {
        let build = || {
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(self.words)
                .ok()
        };
        match self.searcher.get_or_init(build) {
            Some(ac) => ac.is_match(haystack),
            None => self.words.iter().any(|w| haystack.contains(w)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn sanitizes_escapes() {
        assert_eq!(sanitize("a\u{1b}[31mb\r"), "a\\u{1b}[31mb\\u{d}");
        assert_eq!(sanitize("plain"), "plain");
    }
    #[test]
    fn joins_paths() {
        assert_eq!(join("apps/web", "../../x"), "x");
        assert_eq!(join("apps/web", "./src"), "apps/web/src");
        assert_eq!(join("", "a/./b"), "a/b");
        assert_eq!(join("a", "/abs/p"), "abs/p");
        assert!(under("apps/web/x", "apps/web"));
        assert!(!under("apps/webx", "apps/web"));
        assert!(under("x", ""));
        assert_eq!(line_of("a\nb\nc", 2), 2);
    }
}
