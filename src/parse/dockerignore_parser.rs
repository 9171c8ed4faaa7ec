//! .dockerignore with Docker's own semantics (moby/patternmatcher `ignorefile.ReadAll` and
//! `PatternMatcher.MatchesOrParentMatches`): root-anchored patterns cleaned like Go's
//! `filepath.Clean`, `*`, `?`, `[...]`, `**`, `\` escapes, `!` exceptions, last match wins, and a
//! pattern that matches a directory excludes everything under it.

use regex::Regex;

/// One pattern line.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The line as written, trimmed (with its `!` when it is an exception).
    pub raw: String,
    /// The pattern Docker matches: cleaned, leading `/` removed, without `!`.
    pub pattern: String,
    /// An exception (`!pattern`): re-includes what it matches.
    pub negate: bool,
    pub line: usize,
}

/// How a pattern matches, as patternmatcher decides it when compiling.
#[derive(Debug, Clone)]
enum Matcher {
    /// No wildcard: the path equals the pattern.
    Exact(String),
    /// `literal**`: the path starts with the literal.
    Prefix(String),
    /// `**literal`: the path ends with the literal (or `**/x` equals `x`).
    Suffix(String),
    Regex(Regex),
    /// An invalid pattern (Docker refuses the build): matches nothing here.
    Never,
}

/// A parsed .dockerignore.
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    pub patterns: Vec<Pattern>,
    /// Invalid patterns (line, message). Docker fails the build on these; here they never match.
    pub errors: Vec<(usize, String)>,
    compiled: Vec<Matcher>,
}

/// Go's `filepath.Clean` for `/`-separated paths.
fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

/// Validate a pattern the way Go's `filepath.Match(pattern, ".")` does (moby calls it only for
/// its syntax error): every `[` class closed and non-empty, no dangling `\`, no misplaced `-`/`]`.
fn check_syntax(p: &str) -> Result<(), String> {
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars.get(i).copied() {
            Some('\\') => {
                if i + 1 >= chars.len() {
                    return Err("syntax error in pattern: trailing backslash".into());
                }
                i += 2;
            }
            Some('[') => {
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                let mut n = 0usize;
                loop {
                    match chars.get(i) {
                        None => return Err("syntax error in pattern: unterminated character class `[`".into()),
                        Some(']') if n > 0 => {
                            i += 1;
                            break;
                        }
                        _ => {}
                    }
                    i = class_char(&chars, i)?;
                    if chars.get(i) == Some(&'-') {
                        i = class_char(&chars, i + 1)?;
                    }
                    n += 1;
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// One (possibly escaped) character of a class at `i`; returns the index after it.
fn class_char(chars: &[char], i: usize) -> Result<usize, String> {
    match chars.get(i) {
        None => Err("syntax error in pattern: unterminated character class `[`".into()),
        Some('-') | Some(']') => Err("syntax error in pattern: misplaced `-` or `]` in character class".into()),
        Some('\\') => match chars.get(i + 1) {
            Some(_) => Ok(i + 2),
            None => Err("syntax error in pattern: trailing backslash".into()),
        },
        Some(_) => Ok(i + 1),
    }
}

/// Translate a (validated) class starting after `[` at `i` into a regex class; returns the index
/// after the closing `]`.
fn class_regex(chars: &[char], mut i: usize, re: &mut String) -> usize {
    let negated = chars.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut ranges: Vec<(char, char)> = Vec::new();
    let esc = |i: usize| -> (char, usize) {
        match chars.get(i) {
            Some('\\') => (chars.get(i + 1).copied().unwrap_or('\\'), i + 2),
            Some(c) => (*c, i + 1),
            None => ('\\', i + 1),
        }
    };
    while i < chars.len() {
        if chars.get(i) == Some(&']') && !ranges.is_empty() {
            i += 1;
            break;
        }
        let (lo, next) = esc(i);
        i = next;
        let mut hi = lo;
        if chars.get(i) == Some(&'-') {
            let (h, next) = esc(i + 1);
            hi = h;
            i = next;
        }
        ranges.push((lo, hi));
    }
    // A reversed range (z-a) is valid for Go and matches nothing; the regex crate rejects it.
    let valid: Vec<(char, char)> = ranges.into_iter().filter(|(lo, hi)| lo <= hi).collect();
    if valid.is_empty() {
        re.push_str(if negated { "[\\s\\S]" } else { "[^\\s\\S]" });
        return i;
    }
    re.push('[');
    if negated {
        re.push('^');
    }
    for (lo, hi) in valid {
        re.push_str(&regex::escape(&lo.to_string()));
        if hi != lo {
            re.push('-');
            re.push_str(&regex::escape(&hi.to_string()));
        }
    }
    re.push(']');
    i
}

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    Exact,
    Prefix,
    Suffix,
    Regex,
}

/// Compile a cleaned pattern as patternmatcher's `Pattern.compile` does.
fn compile(pattern: &str) -> Result<Matcher, String> {
    check_syntax(pattern)?;
    let chars: Vec<char> = pattern.chars().collect();
    let mut re = String::from("^");
    let mut kind = Kind::Exact;
    let mut i = 0usize; // index into chars
    let mut iteration = 0usize;
    while let Some(&c) = chars.get(i) {
        i += 1;
        match c {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i >= chars.len() {
                    if kind == Kind::Exact {
                        kind = Kind::Prefix;
                    } else {
                        re.push_str(".*");
                        kind = Kind::Regex;
                    }
                } else {
                    re.push_str("(.*/)?");
                    kind = Kind::Regex;
                }
                if iteration == 0 {
                    kind = Kind::Suffix;
                }
            }
            '*' => {
                re.push_str("[^/]*");
                kind = Kind::Regex;
            }
            '?' => {
                re.push_str("[^/]");
                kind = Kind::Regex;
            }
            '\\' => {
                if let Some(&n) = chars.get(i) {
                    re.push_str(&regex::escape(&n.to_string()));
                    i += 1;
                    kind = Kind::Regex;
                } else {
                    re.push_str("\\\\");
                }
            }
            '[' => {
                i = class_regex(&chars, i, &mut re);
                kind = Kind::Regex;
            }
            ']' => {
                re.push_str("\\]");
                kind = Kind::Regex;
            }
            other => re.push_str(&regex::escape(&other.to_string())),
        }
        iteration += 1;
    }
    re.push('$');
    Ok(match kind {
        Kind::Exact => Matcher::Exact(pattern.to_string()),
        Kind::Prefix => match pattern.strip_suffix("**") {
            Some(p) => Matcher::Prefix(p.to_string()),
            None => Matcher::Regex(Regex::new(&re).map_err(|e| format!("invalid pattern: {e}"))?),
        },
        Kind::Suffix => match pattern.strip_prefix("**") {
            Some(s) => Matcher::Suffix(s.to_string()),
            None => Matcher::Regex(Regex::new(&re).map_err(|e| format!("invalid pattern: {e}"))?),
        },
        Kind::Regex => Matcher::Regex(Regex::new(&re).map_err(|e| format!("invalid pattern: {e}"))?),
    })
}

impl Matcher {
    fn matches(&self, path: &str) -> bool {
        match self {
            Matcher::Exact(p) => path == p,
            Matcher::Prefix(p) => path.starts_with(p.as_str()),
            Matcher::Suffix(s) => path.ends_with(s.as_str()) || s.strip_prefix('/').is_some_and(|rest| path == rest),
            Matcher::Regex(r) => r.is_match(path),
            Matcher::Never => false,
        }
    }
}

/// Parse a .dockerignore. Never fails: invalid patterns are kept (never matching) with an error.
pub fn parse(src: &str) -> DockerIgnore {
    let mut d = DockerIgnore::default();
    for (i, line) in src.split('\n').enumerate() {
        let lineno = i + 1;
        let mut text = line.strip_suffix('\r').unwrap_or(line);
        if i == 0 {
            text = text.strip_prefix('\u{feff}').unwrap_or(text);
        }
        // Docker tests for `#` before trimming: "  # x" is a pattern, not a comment.
        if text.starts_with('#') {
            continue;
        }
        let t = text.trim();
        if t.is_empty() {
            continue;
        }
        let (negate, body) = match t.strip_prefix('!') {
            Some(b) => (true, b.trim()),
            None => (false, t),
        };
        let mut pattern = String::new();
        if !body.is_empty() {
            pattern = clean(body);
            if pattern.len() > 1 {
                if let Some(rest) = pattern.strip_prefix('/') {
                    pattern = rest.to_string();
                }
            }
        }
        let matcher = if negate && pattern.is_empty() {
            d.errors.push((lineno, "illegal exclusion pattern: \"!\"".into()));
            Matcher::Never
        } else {
            match compile(&pattern) {
                Ok(m) => m,
                Err(e) => {
                    d.errors.push((lineno, e));
                    Matcher::Never
                }
            }
        };
        d.patterns.push(Pattern {
            raw: t.to_string(),
            pattern,
            negate,
            line: lineno,
        });
        d.compiled.push(matcher);
    }
    d
}

impl DockerIgnore {
    /// Is this context-relative path (with '/' separators, no leading './') excluded? Returns the
    /// deciding pattern's line when excluded.
    pub fn excluded(&self, path: &str) -> Option<usize> {
        let mut p = path;
        while let Some(rest) = p.strip_prefix("./") {
            p = rest;
        }
        let file = clean(p.trim_start_matches('/'));
        if file == "." || file.is_empty() {
            return None;
        }
        // Parent directories: "a", "a/b" for "a/b/c".
        let parents: Vec<&str> = file
            .char_indices()
            .filter(|(_, c)| *c == '/')
            .map(|(i, _)| file.get(..i).unwrap_or(""))
            .collect();
        let mut matched: Option<usize> = None;
        for (pat, m) in self.patterns.iter().zip(&self.compiled) {
            // As patternmatcher: an inclusion is skipped once matched, an exception until matched.
            if pat.negate != matched.is_some() {
                continue;
            }
            let hit = m.matches(&file) || parents.iter().any(|d| m.matches(d));
            if hit {
                matched = if pat.negate { None } else { Some(pat.line) };
            }
        }
        matched
    }

    /// Is there any exception (`!pattern`)?
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.negate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_is_go_filepath_clean() {
        for (a, b) in [
            ("a/b", "a/b"),
            ("a//b/", "a/b"),
            ("./a/./b", "a/b"),
            ("a/../b", "b"),
            ("../a", "../a"),
            ("a/../../b", "../b"),
            ("/../a", "/a"),
            ("/", "/"),
            ("", "."),
            (".", "."),
            ("a/..", "."),
        ] {
            assert_eq!(clean(a), b, "{a}");
        }
    }

    #[test]
    fn table() {
        let cases: &[(&str, &str, Option<usize>)] = &[
            ("node_modules", "node_modules", Some(1)),
            ("node_modules", "node_modules/next/dist/index.js", Some(1)),
            ("node_modules", "apps/web/node_modules/x", None),
            ("node_modules", "node_modules_other", None),
            (".env", ".env", Some(1)),
            (".env", "apps/.env", None),
            (".env", ".env.local", None),
            (".env*", ".env", Some(1)),
            (".env*", ".env.production", Some(1)),
            (".env*", "app/.env.production", None),
            ("**/.env", ".env", Some(1)),
            ("**/.env", "a/b/.env", Some(1)),
            ("**/.env", "a/b/x.env", None),
            ("*.md\n!README.md", "CHANGELOG.md", Some(1)),
            ("*.md\n!README.md", "README.md", None),
            ("*.md\n!README.md", "docs/a.md", None),
            ("/dist", "dist", Some(1)),
            ("/dist", "dist/app.js", Some(1)),
            ("/dist", "src/dist/app.js", None),
            ("nextjs_space/node_modules", "nextjs_space/node_modules/.bin/next", Some(1)),
            ("nextjs_space/node_modules", "node_modules/x", None),
            ("**/node_modules", "node_modules/x", Some(1)),
            ("**/node_modules", "a/b/node_modules/x/y.js", Some(1)),
            ("docs/**/*.txt", "docs/a.txt", Some(1)),
            ("docs/**/*.txt", "docs/a/b/c.txt", Some(1)),
            ("docs/**/*.txt", "docs/a/b/c.md", None),
            ("docs/**/*.txt", "other/docs/a.txt", None),
            ("build/", "build/x/y", Some(1)),
            (".git", ".git", Some(1)),
            (".git", ".git/objects/ab/cdef", Some(1)),
            (".git", ".github/workflows/ci.yml", None),
            ("*\n!src", "Dockerfile", Some(1)),
            ("*\n!src", "src", None),
            ("*\n!src", "src/app/page.tsx", None),
            ("*\n!src", "srcx/a", Some(1)),
            ("*\n!src\n!package.json", "package.json", None),
            ("!.git\n.git", ".git/config", Some(2)),
            (".git\n!.git", ".git/config", None),
            ("a\n!a/b\na/b/c", "a/b/c/d", Some(3)),
            ("a\n!a/b\na/b/c", "a/b/x", None),
            ("node_modules\n**/node_modules", "node_modules/x", Some(1)),
            ("?.js", "a.js", Some(1)),
            ("?.js", "ab.js", None),
            ("[a-c].txt", "b.txt", Some(1)),
            ("[a-c].txt", "d.txt", None),
            ("[^a-c].txt", "d.txt", Some(1)),
            ("\\*.txt", "*.txt", Some(1)),
            ("\\*.txt", "a.txt", None),
            ("docs/**", "docs/a/b", Some(1)),
            ("docs/**", "docs", None),
            ("**", "anything/at/all", Some(1)),
            ("**/*.log", "x.log", Some(1)),
            ("**/*.log", "a/b/x.log", Some(1)),
            ("  .env  ", ".env", Some(1)),
            ("# comment\n.env", ".env", Some(2)),
            ("  # not a comment", "# not a comment", Some(1)),
            ("./a/../b", "b/c", Some(1)),
            ("\u{feff}.env", ".env", Some(1)),
            (".env\r\n*.log\r\n", "x.log", Some(2)),
            ("a.b", "axb", None),
            ("a+(b)", "a+(b)", Some(1)),
            ("*.{js,ts}", "x.js", None),
        ];
        for (src, path, want) in cases {
            let d = parse(src);
            assert!(d.errors.is_empty(), "{src:?}: {:?}", d.errors);
            assert_eq!(d.excluded(path), *want, "pattern {src:?} path {path:?}");
        }
    }

    #[test]
    fn paths_are_normalized() {
        let d = parse("node_modules\n");
        assert_eq!(d.excluded("./node_modules/x"), Some(1));
        assert_eq!(d.excluded("/node_modules"), Some(1));
        assert_eq!(d.excluded("."), None);
        assert_eq!(d.excluded(""), None);
    }

    #[test]
    fn patterns_keep_raw_and_cleaned() {
        let d = parse("# x\n\n!/dist/\n/./a//b\n");
        assert_eq!(d.patterns.len(), 2);
        assert_eq!(d.patterns[0].raw, "!/dist/");
        assert_eq!(d.patterns[0].pattern, "dist");
        assert!(d.patterns[0].negate);
        assert_eq!(d.patterns[0].line, 3);
        assert_eq!(d.patterns[1].pattern, "a/b");
        assert!(d.has_exceptions());
    }

    #[test]
    fn bad_patterns_are_errors_that_never_match() {
        let d = parse("[abc\nok\n!\nx\\\n[]a]\n[-a]\n[a-]\n[z-a]\n");
        let lines: Vec<usize> = d.errors.iter().map(|e| e.0).collect();
        assert_eq!(lines, vec![1, 3, 4, 5, 6, 7], "{:?}", d.errors);
        assert_eq!(d.excluded("[abc"), None);
        assert_eq!(d.excluded("ok"), Some(2));
        // A reversed range is valid syntax that matches nothing.
        assert_eq!(d.excluded("m"), None);
        let d = parse("[\\]]x\n");
        assert!(d.errors.is_empty());
        assert_eq!(d.excluded("]x"), Some(1));
    }

    #[test]
    fn no_panic_on_mangled_input() {
        let src = "node_modules\n**/.env\n[a-z]*.md\n!x\\*y\n/./a/../b\n# c\n[^\\]-]?\n**\n!\u{e9}t\u{e9}/**\n";
        let paths = ["a/b/c.md", "x", "", ".", "node_modules/a", "\u{e9}t\u{e9}/x", "a//b/../../.."];
        for i in 0..=src.len() {
            if src.is_char_boundary(i) {
                let d = parse(&src[..i]);
                for p in paths {
                    let _ = d.excluded(p);
                }
            }
            let mut b = src.as_bytes().to_vec();
            if i < b.len() {
                b[i] ^= 0x20;
                let d = parse(&String::from_utf8_lossy(&b));
                for p in paths {
                    let _ = d.excluded(p);
                }
                let pool = b"[]\\*?!/-^\n";
                b[i] = pool[i % pool.len()];
                let d = parse(&String::from_utf8_lossy(&b));
                for p in paths {
                    let _ = d.excluded(p);
                }
            }
        }
    }
}
