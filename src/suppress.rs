//! Inline suppressions: a comment in any file the tool reads that says
//!
//! ```text
//! # deploy-audit-ignore: <rule-id>[, <rule-id>…] -- <reason>
//! # deploy-audit-ignore-file: <rule-id>[, <rule-id>…] -- <reason>
//! ```
//!
//! The first form suppresses the rules on the next line that holds code (or on its own line when
//! it trails code); the second for the whole file. The reason is required. The comment syntax is
//! the file's own: `#` for Dockerfile, YAML, TOML, env files, shell scripts, Procfile and
//! .dockerignore; `//` and `/* */` for JS/TS and Prisma. Each format is scanned by a small
//! comment lexer that knows its strings, so a marker inside a string literal or a quoted value is
//! not a comment. The parsers are not involved.

use crate::discover::{FileKind, RepoFile};

/// The text every marker starts with.
pub const MARKER: &str = "deploy-audit-ignore";

/// What a suppression covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// This 1-based line (None when no code line follows the comment).
    Line(Option<usize>),
    File,
}

/// One suppression comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub file: String,
    /// Line of the comment.
    pub line: usize,
    pub scope: Scope,
    pub rules: Vec<String>,
    /// The text after `--`, trimmed; None when absent or empty.
    pub reason: Option<String>,
    /// Why the comment could not be read as a suppression, when it could not.
    pub malformed: Option<String>,
}

impl Suppression {
    /// Does this suppression (read correctly, with a reason) cover a finding of `rule` at `line`?
    pub fn covers(&self, rule: &str, file: Option<&str>, line: Option<usize>) -> bool {
        self.malformed.is_none()
            && self.reason.is_some()
            && file == Some(self.file.as_str())
            && self.rules.iter().any(|r| r == rule)
            && match self.scope {
                Scope::File => true,
                Scope::Line(l) => l.is_some() && l == line,
            }
    }
}

/// Comment syntax of a file kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// `#` only at the start of a line (.dockerignore, Procfile).
    HashLineStart,
    /// `#` at a line start or after whitespace, outside `'`/`"` quotes that close on the same
    /// line (shell scripts, Dockerfile).
    Shell,
    /// Env files: like Shell, but a quoted value may span lines.
    Env,
    /// YAML: like Shell, quotes only at the start of a scalar, block scalars are content.
    Yaml,
    /// TOML: `#` anywhere outside basic, literal and multi-line strings.
    Toml,
    /// JS/TS: `//` and `/* */` outside strings, template literals and regular expressions.
    Js,
    /// Prisma: `//` outside `"` strings.
    Prisma,
}

pub fn syntax_for(kind: FileKind) -> Option<Syntax> {
    Some(match kind {
        FileKind::DockerIgnore | FileKind::Procfile => Syntax::HashLineStart,
        FileKind::Dockerfile | FileKind::ShellScript => Syntax::Shell,
        FileKind::EnvFile => Syntax::Env,
        FileKind::Compose | FileKind::RenderYaml | FileKind::Workflow | FileKind::Workspace => Syntax::Yaml,
        FileKind::FlyToml | FileKind::RailwayToml | FileKind::NixpacksToml => Syntax::Toml,
        FileKind::NextConfig | FileKind::PrismaConfig | FileKind::Source => Syntax::Js,
        FileKind::PrismaSchema => Syntax::Prisma,
        _ => return None,
    })
}

/// A comment: its text (without the markers), first and last 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Comment {
    text: String,
    start: usize,
    end: usize,
}

/// Comments of a text, and which lines hold code (anything outside comments but whitespace).
fn lex(syntax: Syntax, text: &str) -> (Vec<Comment>, Vec<bool>) {
    match syntax {
        Syntax::Js => lex_c(text, true),
        Syntax::Prisma => lex_c(text, false),
        _ => lex_hash(syntax, text),
    }
}

struct Lines {
    code: Vec<bool>,
    line: usize,
}

impl Lines {
    fn new(text: &str) -> Self {
        Lines {
            code: vec![false; text.matches('\n').count() + 2],
            line: 1,
        }
    }
    fn mark(&mut self, c: char) {
        if !c.is_whitespace() {
            if let Some(x) = self.code.get_mut(self.line) {
                *x = true;
            }
        }
    }
}

fn lex_hash(syntax: Syntax, text: &str) -> (Vec<Comment>, Vec<bool>) {
    let mut lines = Lines::new(text);
    let mut comments = Vec::new();
    // Open quote carried across lines (shell, env and YAML quoted values may span lines).
    let mut quote: Option<&str> = None;
    // YAML block scalar: the indent its content must exceed.
    let mut block: Option<usize> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let n = i + 1;
        lines.line = n;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let indent = line.len() - line.trim_start().len();
        if let Some(b) = block {
            if line.trim().is_empty() || indent > b {
                line.chars().for_each(|c| lines.mark(c));
                continue;
            }
            block = None;
        }
        if syntax == Syntax::HashLineStart {
            match line.trim_start().strip_prefix('#') {
                Some(c) => comments.push(Comment {
                    text: c.to_string(),
                    start: n,
                    end: n,
                }),
                None => line.chars().for_each(|c| lines.mark(c)),
            }
            continue;
        }
        let bytes = line.as_bytes();
        let mut j = 0;
        let mut prev: Option<u8> = None;
        let mut comment_at = None;
        while j < bytes.len() {
            let b = bytes[j];
            if let Some(q) = quote {
                lines.mark(b as char);
                if bytes[j..].starts_with(q.as_bytes()) {
                    // YAML single quotes escape themselves as ''.
                    if syntax == Syntax::Yaml && q == "'" && bytes.get(j + 1) == Some(&b'\'') {
                        j += 2;
                        continue;
                    }
                    j += q.len();
                    quote = None;
                    prev = Some(b);
                    continue;
                }
                if b == b'\\' && q != "'" && q != "'''" {
                    j += 2;
                    continue;
                }
                j += 1;
                continue;
            }
            match b {
                b'#' => {
                    let after_space = prev.is_none_or(|p| p == b' ' || p == b'\t');
                    if syntax == Syntax::Toml || after_space {
                        comment_at = Some(j);
                        break;
                    }
                }
                b'"' | b'\'' | b'`' => {
                    let opens = match syntax {
                        Syntax::Yaml => b != b'`' && prev.is_none_or(|p| matches!(p, b' ' | b'\t' | b'[' | b'{' | b',' | b':' | b'-')),
                        Syntax::Toml => b != b'`',
                        _ => true,
                    };
                    if opens {
                        let triple = syntax == Syntax::Toml && (bytes[j..].starts_with(b"\"\"\"") || bytes[j..].starts_with(b"'''"));
                        quote = Some(match (b, triple) {
                            (b'"', true) => "\"\"\"",
                            (b'\'', true) => "'''",
                            (b'"', _) => "\"",
                            (b'\'', _) => "'",
                            _ => "`",
                        });
                        lines.mark(b as char);
                        j += quote.map(str::len).unwrap_or(1);
                        prev = Some(b);
                        continue;
                    }
                }
                b'\\' if matches!(syntax, Syntax::Shell | Syntax::Env) => {
                    lines.mark('\\');
                    j += 2;
                    prev = Some(b'x');
                    continue;
                }
                _ => {}
            }
            lines.mark(b as char);
            prev = Some(b);
            j += 1;
        }
        // Basic and literal TOML strings, and YAML plain lines, end at the line end.
        if syntax == Syntax::Toml && matches!(quote, Some("\"") | Some("'")) {
            quote = None;
        }
        // A shell or Dockerfile quote closes on its line unless the line continues.
        if syntax == Syntax::Shell && !line.trim_end().ends_with('\\') {
            quote = None;
        }
        if let Some(at) = comment_at {
            comments.push(Comment {
                text: line[at + 1..].to_string(),
                start: n,
                end: n,
            });
        }
        if syntax == Syntax::Yaml && quote.is_none() {
            let code = &line[..comment_at.unwrap_or(line.len())];
            let t = code.trim_end();
            let ind = t.trim_end_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
            if (ind.ends_with(": |") || ind.ends_with(": >") || ind.ends_with("- |") || ind.ends_with("- >") || ind == "|" || ind == ">") && !t.is_empty() {
                block = Some(indent);
            }
        }
    }
    (comments, lines.code)
}

/// C-family comments (`//`, `/* */`); with `js`, also `'` strings, template literals with
/// `${}` nesting and regular-expression literals.
fn lex_c(text: &str, js: bool) -> (Vec<Comment>, Vec<bool>) {
    #[derive(Clone, Copy, PartialEq)]
    enum St {
        Code,
        Str(char),
        Template,
        Regex { class: bool },
    }
    let mut lines = Lines::new(text);
    let mut comments = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut st = St::Code;
    // Brace depth of each open `${` (template expressions).
    let mut tmpl: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    // Last significant code character and word, to tell a regex from a division.
    let mut last: Option<char> = None;
    let mut word = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            lines.line += 1;
            if matches!(st, St::Str(_) | St::Regex { .. }) {
                // Unterminated: a string or a regex never spans lines (line continuations aside).
                if !(matches!(st, St::Str(_)) && i > 0 && chars[i - 1] == '\\') {
                    st = St::Code;
                }
            }
            i += 1;
            continue;
        }
        match st {
            St::Code => {
                if c == '/' && next == Some('/') {
                    let start = lines.line;
                    let mut j = i + 2;
                    while j < chars.len() && chars[j] != '\n' {
                        j += 1;
                    }
                    comments.push(Comment {
                        text: chars[i + 2..j].iter().collect(),
                        start,
                        end: start,
                    });
                    i = j;
                    continue;
                }
                if c == '/' && next == Some('*') {
                    let start = lines.line;
                    let mut j = i + 2;
                    while j < chars.len() && !(chars[j] == '*' && chars.get(j + 1) == Some(&'/')) {
                        if chars[j] == '\n' {
                            lines.line += 1;
                        }
                        j += 1;
                    }
                    comments.push(Comment {
                        text: chars[i + 2..j.min(chars.len())].iter().collect(),
                        start,
                        end: lines.line,
                    });
                    i = (j + 2).min(chars.len());
                    continue;
                }
                lines.mark(c);
                if c.is_whitespace() {
                    i += 1;
                    continue;
                }
                let regex_ok = last.is_none_or(|l| "(,=:[!&|?{};+-*%<>~^".contains(l))
                    || matches!(
                        word.as_str(),
                        "return" | "typeof" | "case" | "do" | "else" | "in" | "of" | "new" | "delete" | "void" | "throw" | "yield" | "await"
                    );
                match c {
                    '"' => st = St::Str('"'),
                    '\'' if js => st = St::Str('\''),
                    '`' if js => st = St::Template,
                    '/' if js && regex_ok => st = St::Regex { class: false },
                    '{' => depth += 1,
                    '}' => {
                        if tmpl.last() == Some(&depth) {
                            tmpl.pop();
                            st = St::Template;
                        }
                        depth = depth.saturating_sub(1);
                    }
                    _ => {}
                }
                if c.is_alphanumeric() || c == '_' || c == '$' {
                    if !last.is_some_and(|l| l.is_alphanumeric() || l == '_' || l == '$') {
                        word.clear();
                    }
                    word.push(c);
                } else {
                    word.clear();
                }
                last = Some(c);
            }
            St::Str(q) => {
                lines.mark(c);
                if c == '\\' {
                    if next == Some('\n') {
                        lines.line += 1;
                    }
                    i += 2;
                    continue;
                }
                if c == q {
                    st = St::Code;
                    last = Some('a');
                }
            }
            St::Template => {
                lines.mark(c);
                if c == '\\' {
                    if next == Some('\n') {
                        lines.line += 1;
                    }
                    i += 2;
                    continue;
                }
                if c == '`' {
                    st = St::Code;
                    last = Some('a');
                } else if c == '$' && next == Some('{') {
                    depth += 1;
                    tmpl.push(depth);
                    st = St::Code;
                    last = Some('{');
                    i += 2;
                    continue;
                }
            }
            St::Regex { class } => {
                lines.mark(c);
                if c == '\\' {
                    i += 2;
                    continue;
                }
                if c == '[' {
                    st = St::Regex { class: true };
                } else if c == ']' {
                    st = St::Regex { class: false };
                } else if c == '/' && !class {
                    st = St::Code;
                    last = Some('a');
                }
            }
        }
        i += 1;
    }
    (comments, lines.code)
}

/// A marker as read: scope, rule ids, reason, why it is malformed.
type Marker = (Scope, Vec<String>, Option<String>, Option<String>);

/// Read a comment's text as a suppression (None when it holds no marker).
fn read_marker(text: &str) -> Option<Marker> {
    let at = text.find(MARKER)?;
    let rest = &text[at + MARKER.len()..];
    let (scope, body) = if let Some(b) = rest.strip_prefix("-file:") {
        (Scope::File, b)
    } else if let Some(b) = rest.strip_prefix(':') {
        (Scope::Line(None), b)
    } else {
        return Some((
            Scope::Line(None),
            Vec::new(),
            None,
            Some("expected `deploy-audit-ignore: <rule-id> -- <reason>` or `deploy-audit-ignore-file: <rule-id> -- <reason>`".into()),
        ));
    };
    let (ids, reason) = match body.find("--") {
        Some(i) => (&body[..i], Some(body[i + 2..].trim().trim_end_matches("*/").trim().to_string())),
        None => (body, None),
    };
    let rules: Vec<String> = ids
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|s| s.trim().trim_end_matches("*/"))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let malformed = rules.is_empty().then(|| "names no rule id before `--`".to_string());
    Some((scope, rules, reason.filter(|r| !r.is_empty()), malformed))
}

/// The suppressions in one file's text.
pub fn scan(rel: &str, syntax: Syntax, text: &str) -> Vec<Suppression> {
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let (comments, code) = lex(syntax, text);
    let mut out = Vec::new();
    for c in comments {
        let Some((scope, rules, reason, malformed)) = read_marker(&c.text) else {
            continue;
        };
        let scope = match scope {
            Scope::File => Scope::File,
            Scope::Line(_) => {
                let on = |l: usize| code.get(l).copied().unwrap_or(false);
                if on(c.start) {
                    Scope::Line(Some(c.start))
                } else if on(c.end) {
                    Scope::Line(Some(c.end))
                } else {
                    Scope::Line((c.end + 1..code.len()).find(|&l| on(l)))
                }
            }
        };
        out.push(Suppression {
            file: rel.to_string(),
            line: c.start,
            scope,
            rules,
            reason,
            malformed,
        });
    }
    out
}

/// Every suppression in the files the walk read (the model keeps them as `suppressions`).
pub fn collect(files: &[RepoFile]) -> Vec<Suppression> {
    let mut out = Vec::new();
    for f in files.iter().filter(|f| f.hints.has(crate::hints::SUPPRESS)) {
        let (Some(text), Some(syntax)) = (f.text.as_deref(), syntax_for(f.kind)) else {
            continue;
        };
        out.extend(scan(&f.rel, syntax, text));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(syntax: Syntax, text: &str) -> Vec<(Scope, Vec<String>, Option<String>)> {
        scan("f", syntax, text).into_iter().map(|s| (s.scope, s.rules, s.reason)).collect()
    }

    fn rules(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn next_code_line_trailing_and_whole_file_in_every_hash_format() {
        for syntax in [Syntax::Shell, Syntax::Yaml, Syntax::Toml, Syntax::HashLineStart] {
            let text = "a = 1\n# deploy-audit-ignore: in-memory-state, port-not-read -- one instance only\n\n# another comment\nb = 2\n";
            assert_eq!(
                one(syntax, text),
                vec![(
                    Scope::Line(Some(5)),
                    rules(&["in-memory-state", "port-not-read"]),
                    Some("one instance only".into())
                )],
                "{syntax:?}"
            );
            let file = "# deploy-audit-ignore-file: env-undocumented -- documented elsewhere\nA=1\n";
            assert_eq!(
                one(syntax, file),
                vec![(Scope::File, rules(&["env-undocumented"]), Some("documented elsewhere".into()))]
            );
        }
        let trailing = "FROM node:20\nRUN npx prisma migrate deploy # deploy-audit-ignore: build-runs-migrations -- the build has the database\n";
        assert_eq!(one(Syntax::Shell, trailing)[0].0, Scope::Line(Some(2)));
        // .dockerignore and Procfile only know line-start comments.
        assert!(one(Syntax::HashLineStart, "web: node a.js # deploy-audit-ignore: x -- y\n").is_empty());
    }

    #[test]
    fn reason_is_optional_to_read_but_recorded_missing() {
        let s = scan(
            "f",
            Syntax::Shell,
            "# deploy-audit-ignore: in-memory-state\nA=1\n# deploy-audit-ignore: in-memory-state --   \nB=2\n",
        );
        assert_eq!(s.len(), 2);
        assert!(s.iter().all(|s| s.reason.is_none() && s.malformed.is_none()));
        assert!(!s[0].covers("in-memory-state", Some("f"), Some(2)));
        let s = scan(
            "f",
            Syntax::Shell,
            "# deploy-audit-ignore in-memory-state -- why\nA=1\n# deploy-audit-ignore: -- why\n",
        );
        assert!(s[0].malformed.as_deref().is_some_and(|m| m.contains("expected")));
        assert!(s[1].malformed.as_deref().is_some_and(|m| m.contains("no rule")));
        let ok = scan("f", Syntax::Shell, "# deploy-audit-ignore: in-memory-state -- why\nA=1\n");
        assert!(ok[0].covers("in-memory-state", Some("f"), Some(2)));
        assert!(!ok[0].covers("in-memory-state", Some("f"), Some(1)));
        assert!(!ok[0].covers("in-memory-state", Some("g"), Some(2)));
        assert!(!ok[0].covers("port-not-read", Some("f"), Some(2)));
    }

    #[test]
    fn hash_inside_quotes_or_words_is_not_a_comment() {
        // YAML: a `#` inside a quoted value, or glued to a word, is content.
        let yaml = "services:\n  app:\n    command: \"echo # deploy-audit-ignore: x -- y\"\n    image: 'a#deploy-audit-ignore: x -- y'\n    label: a#deploy-audit-ignore: x -- y\n";
        assert!(one(Syntax::Yaml, yaml).is_empty(), "{:?}", one(Syntax::Yaml, yaml));
        // An apostrophe inside a plain scalar does not open a quote.
        let yaml = "a: don't\nb: 1 # deploy-audit-ignore: x -- y\n";
        assert_eq!(one(Syntax::Yaml, yaml)[0].0, Scope::Line(Some(2)));
        // A block scalar's lines are content, not comments.
        let block = "run: |\n  # deploy-audit-ignore: x -- y\n  echo\nnext: 1\n";
        assert!(one(Syntax::Yaml, block).is_empty());
        // TOML strings, single-line and multi-line.
        let toml = "a = \"# deploy-audit-ignore: x -- y\"\nb = '''\n# deploy-audit-ignore: x -- y\n'''\nc = 1 # deploy-audit-ignore: x -- y\n";
        assert_eq!(one(Syntax::Toml, toml), vec![(Scope::Line(Some(5)), rules(&["x"]), Some("y".into()))]);
        // Env values: quoted (even across lines) is the value; ` #` after an unquoted value is a comment.
        let env = "A=\"x # deploy-audit-ignore: x -- y\"\nB='multi\n# deploy-audit-ignore: x -- y\n'\nC=1 # deploy-audit-ignore: z -- w\n";
        assert_eq!(one(Syntax::Env, env), vec![(Scope::Line(Some(5)), rules(&["z"]), Some("w".into()))]);
    }

    #[test]
    fn js_comments_but_not_strings_templates_or_regexes() {
        let js = r#"const a = "// deploy-audit-ignore: x -- y";
const b = '/* deploy-audit-ignore: x -- y */';
const c = `${"`"} // deploy-audit-ignore: x -- y ${1}`;
const d = /\/\/ deploy-audit-ignore: x -- y/;
const e = 4 / 2; // deploy-audit-ignore: in-memory-state -- single instance
/* deploy-audit-ignore: ephemeral-disk-write -- a volume is attached
   in the dashboard */

writeFileSync('x', '');
"#;
        let got = one(Syntax::Js, js);
        assert_eq!(
            got,
            vec![
                (Scope::Line(Some(5)), rules(&["in-memory-state"]), Some("single instance".into())),
                (
                    Scope::Line(Some(9)),
                    rules(&["ephemeral-disk-write"]),
                    Some("a volume is attached\n   in the dashboard".into())
                ),
            ]
        );
        // A block comment before code on the same line covers that line.
        let inline = "/* deploy-audit-ignore: port-not-read -- fixed port */ app.listen(3000);\n";
        assert_eq!(one(Syntax::Js, inline)[0].0, Scope::Line(Some(1)));
        // Prisma `//` comments, not inside strings.
        let prisma = "datasource db {\n  // deploy-audit-ignore: db-ssl-unspecified -- internal network\n  url = env(\"DATABASE_URL\")\n  x = \"// deploy-audit-ignore: a -- b\"\n}\n";
        assert_eq!(
            one(Syntax::Prisma, prisma),
            vec![(Scope::Line(Some(3)), rules(&["db-ssl-unspecified"]), Some("internal network".into()))]
        );
    }

    #[test]
    fn multibyte_text_and_garbage_never_panic() {
        let samples = [
            "é'\"`#日本語 # deploy-audit-ignore: x -- ü\n\\\u{1F600}'''\"\"\"é",
            "a: 'é\n# deploy-audit-ignore: x -- y\nb: |\n  ü\n",
            "a = \"\"\"é\n'''ü\"\"\" # deploy-audit-ignore: x -- ü",
            "const s = `é${'ü'}`; /é/; // deploy-audit-ignore: x -- 日本\n/* é",
            "\\",
            "'",
            "\"",
            "`",
            "/",
            "/*",
            "${",
            "}}}",
            "#",
            "# deploy-audit-ignore",
            "# deploy-audit-ignore-file:",
        ];
        for s in samples {
            for syntax in [
                Syntax::HashLineStart,
                Syntax::Shell,
                Syntax::Env,
                Syntax::Yaml,
                Syntax::Toml,
                Syntax::Js,
                Syntax::Prisma,
            ] {
                let _ = scan("f", syntax, s);
                let _ = scan("f", syntax, &format!("{s}\n# deploy-audit-ignore: x -- y\n// deploy-audit-ignore: x -- y\n"));
            }
        }
        let js = "const é = 'ü'; // deploy-audit-ignore: x -- 日本\nf();\n";
        assert_eq!(one(Syntax::Js, js), vec![(Scope::Line(Some(1)), rules(&["x"]), Some("日本".into()))]);
        let yaml = "a: \"é\" # deploy-audit-ignore: x -- ü\n";
        assert_eq!(one(Syntax::Yaml, yaml), vec![(Scope::Line(Some(1)), rules(&["x"]), Some("ü".into()))]);
    }

    #[test]
    fn a_marker_with_no_code_after_covers_nothing() {
        assert_eq!(one(Syntax::Shell, "A=1\n# deploy-audit-ignore: x -- y\n\n")[0].0, Scope::Line(None));
    }

    #[test]
    fn an_unbalanced_quote_in_a_dockerfile_line_does_not_hide_the_next_comment() {
        let df = "RUN echo don't\n# deploy-audit-ignore: x -- y\nRUN b\n";
        assert_eq!(one(Syntax::Shell, df)[0].0, Scope::Line(Some(3)));
        let js = "const s = \"a\\\nb\";\n// deploy-audit-ignore: x -- y\nf();\n";
        assert_eq!(one(Syntax::Js, js)[0].0, Scope::Line(Some(4)));
    }
}
