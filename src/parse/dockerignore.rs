//! .dockerignore with Docker's own matching (moby/patternmatcher): root-anchored patterns,
//! `*`, `?`, `[...]`, `**`, `!` exceptions, last match wins, and a pattern that matches a
//! directory excludes everything under it.

use regex::Regex;

#[derive(Debug, Clone)]
pub struct Pattern {
    pub raw: String,
    pub negate: bool,
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    pub patterns: Vec<Pattern>,
    pub errors: Vec<(usize, String)>,
    compiled: Vec<Option<Regex>>,
}

/// Go's filepath.Clean for a relative, `/`-separated pattern.
fn clean(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Translate a pattern to an anchored regex, as patternmatcher does.
fn compile(pattern: &str) -> Result<Regex, String> {
    let mut re = String::from("^");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' => {
                if chars.get(i + 1) == Some(&'*') {
                    i += 1;
                    // `**/` matches zero or more directories; a trailing `**` matches anything.
                    if chars.get(i + 1) == Some(&'/') {
                        i += 1;
                        re.push_str("(.*/)?");
                    } else {
                        re.push_str(".*");
                    }
                } else {
                    re.push_str("[^/]*");
                }
            }
            '?' => re.push_str("[^/]"),
            '[' => {
                let mut j = i + 1;
                let mut class = String::from("[");
                if chars.get(j) == Some(&'^') || chars.get(j) == Some(&'!') {
                    class.push('^');
                    j += 1;
                }
                let mut closed = false;
                while j < chars.len() {
                    let d = chars[j];
                    if d == ']' && class.len() > 1 {
                        closed = true;
                        break;
                    }
                    if d == '\\' {
                        if let Some(n) = chars.get(j + 1) {
                            class.push_str(&regex::escape(&n.to_string()));
                            j += 2;
                            continue;
                        }
                    }
                    if d == '[' || d == '&' || d == '~' {
                        class.push('\\');
                    }
                    class.push(d);
                    j += 1;
                }
                if !closed {
                    return Err("unterminated character class".into());
                }
                class.push(']');
                re.push_str(&class);
                i = j;
            }
            '\\' => {
                if let Some(n) = chars.get(i + 1) {
                    re.push_str(&regex::escape(&n.to_string()));
                    i += 1;
                } else {
                    return Err("trailing backslash".into());
                }
            }
            other => re.push_str(&regex::escape(&other.to_string())),
        }
        i += 1;
    }
    re.push('$');
    Regex::new(&re).map_err(|e| e.to_string())
}

pub fn parse(src: &str) -> DockerIgnore {
    let mut d = DockerIgnore::default();
    for (i, raw) in src.split('\n').enumerate() {
        let line = i + 1;
        let t = raw.trim_end_matches('\r').trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let (negate, body) = match t.strip_prefix('!') {
            Some(b) => (true, b.trim()),
            None => (false, t),
        };
        let body = body.trim_start_matches('/');
        let cleaned = clean(body);
        let compiled = match compile(&cleaned) {
            Ok(r) => Some(r),
            Err(e) => {
                d.errors.push((line, e));
                None
            }
        };
        d.patterns.push(Pattern { raw: cleaned, negate, line });
        d.compiled.push(compiled);
    }
    d
}

impl DockerIgnore {
    /// Is this context-relative path excluded? Returns the deciding pattern's line.
    pub fn excluded(&self, path: &str) -> Option<usize> {
        let path = path.trim_start_matches("./").trim_start_matches('/');
        // The path and each of its parent directories.
        let mut candidates: Vec<&str> = Vec::new();
        for (i, c) in path.char_indices() {
            if c == '/' {
                candidates.push(&path[..i]);
            }
        }
        candidates.push(path);
        let mut decision: Option<(bool, usize)> = None;
        for (p, re) in self.patterns.iter().zip(&self.compiled) {
            let Some(re) = re else { continue };
            if candidates.iter().any(|c| re.is_match(c)) {
                decision = Some((!p.negate, p.line));
            }
        }
        match decision {
            Some((true, line)) => Some(line),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_semantics() {
        let d = parse("# deps\nnode_modules\n.env\n*.md\n!README.md\n/dist\nnextjs_space/node_modules\ndocs/**/*.txt\n**/.env.local\n");
        assert_eq!(d.excluded("node_modules"), Some(2));
        assert_eq!(d.excluded("node_modules/x/index.js"), Some(2));
        assert_eq!(d.excluded("apps/web/node_modules/x"), None, "not anchored anywhere but the root");
        assert_eq!(d.excluded(".env"), Some(3));
        assert_eq!(d.excluded("apps/.env"), None);
        assert_eq!(d.excluded("CHANGELOG.md"), Some(4));
        assert_eq!(d.excluded("README.md"), None);
        assert_eq!(d.excluded("docs/a.md"), None, "* does not cross /");
        assert_eq!(d.excluded("dist/app.js"), Some(6));
        assert_eq!(d.excluded("nextjs_space/node_modules/.bin/x"), Some(7));
        assert_eq!(d.excluded("docs/a/b/c.txt"), Some(8));
        assert_eq!(d.excluded("docs/c.txt"), Some(8));
        assert_eq!(d.excluded("a/b/.env.local"), Some(9));
        assert_eq!(d.excluded(".env.local"), Some(9));
        assert_eq!(d.excluded("src/index.ts"), None);
    }

    #[test]
    fn everything_but_src() {
        let d = parse("*\n!src\n!package.json\n");
        assert_eq!(d.excluded("Dockerfile"), Some(1));
        assert_eq!(d.excluded("src"), None);
        assert_eq!(d.excluded("src/a/b.ts"), None);
        assert_eq!(d.excluded("package.json"), None);
    }

    #[test]
    fn last_match_wins_and_env_star() {
        let d = parse(".env*\n!.env.example\n");
        assert_eq!(d.excluded(".env"), Some(1));
        assert_eq!(d.excluded(".env.production"), Some(1));
        assert_eq!(d.excluded(".env.example"), None);
        let d = parse("!.git\n.git\n");
        assert_eq!(d.excluded(".git/config"), Some(2));
    }

    #[test]
    fn bad_patterns_are_errors_that_never_match() {
        let d = parse("[abc\nok\n");
        assert_eq!(d.errors.len(), 1);
        assert_eq!(d.errors[0].0, 1);
        assert_eq!(d.excluded("[abc"), None);
        assert_eq!(d.excluded("ok"), Some(2));
    }

    #[test]
    fn no_panic_on_mangled_input() {
        let src = "node_modules\n**/.env\n[a-z]*.md\n!x\\*y\n/./a/../b\n";
        for i in 0..=src.len() {
            let d = parse(&src[..i]);
            let _ = d.excluded("a/b/c.md");
            let mut b = src.as_bytes().to_vec();
            if i < b.len() {
                b[i] ^= 0x20;
                let _ = parse(&String::from_utf8_lossy(&b)).excluded("x");
            }
        }
    }
}
