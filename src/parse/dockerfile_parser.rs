//! A Dockerfile parser that keeps line numbers and reads what BuildKit reads: parser directives
//! (`# syntax=`, `# escape=`, `# check=`), either escape character, continuation lines with
//! comment and empty lines inside, heredocs (`RUN <<EOF`, several per line, `<<-`, quoted
//! delimiters, `cat > f <<'EOF'` and the spaced `cat > f << 'EOF'`), exec and shell forms (invalid
//! JSON falls back to the shell form), flags, ARG/ENV substitution with BuildKit's word rules,
//! ARG scope, stages and ONBUILD. Hand-written because the existing crates reject heredocs.
//!
//! Continuation lines are joined the way BuildKit joins them: the escape character (and the
//! blanks after it) is removed and the next line is appended as is, keeping its indentation, so
//! `a \` + `    b` reads `a     b` and `a\` + `b` reads `ab`.
//!
//! Nothing here panics on any input; errors carry 1-based lines and parsing goes on after them.

use std::cell::RefCell;
use std::collections::BTreeMap;

/// A parsed Dockerfile.
#[derive(Debug, Clone)]
pub struct Dockerfile {
    /// The escape character: `\` unless `# escape=` says otherwise.
    pub escape: char,
    /// Parser directives at the top: (lower-case name, value, line).
    pub directives: Vec<(String, String, usize)>,
    /// Every instruction in file order (unknown keywords are reported and left out).
    pub instructions: Vec<Instruction>,
    /// The build stages, one per FROM.
    pub stages: Vec<Stage>,
    /// ARGs declared before the first FROM: (name, default with earlier global ARGs substituted, line).
    pub global_args: Vec<(String, Option<String>, usize)>,
    /// What makes a build fail, with lines.
    pub errors: Vec<ParseError>,
    /// What BuildKit accepts with a warning, or only in recent versions (empty continuation lines,
    /// `<< EOF` with a space, which BuildKit before v0.22 does not read as a heredoc).
    pub warnings: Vec<ParseError>,
}

impl Default for Dockerfile {
    fn default() -> Self {
        Dockerfile {
            escape: '\\',
            directives: Vec::new(),
            instructions: Vec::new(),
            stages: Vec::new(),
            global_args: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// An error or warning with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// One instruction (a logical line plus its heredoc bodies).
#[derive(Debug, Clone)]
pub struct Instruction {
    /// Upper-case keyword.
    pub keyword: String,
    /// First line of the instruction.
    pub line: usize,
    /// Last line, including continuation lines and heredoc bodies and terminators.
    pub end_line: usize,
    /// Flags before the arguments (`--from=builder`, `--mount=…`, `--link`).
    pub flags: Vec<Flag>,
    /// The arguments after the keyword and flags. For HEALTHCHECK, those after `CMD`.
    pub args: Args,
    /// Heredoc bodies in marker order.
    pub heredocs: Vec<Heredoc>,
    /// For ONBUILD: the instruction it registers.
    pub onbuild: Option<Box<Instruction>>,
    /// Index into `Dockerfile::stages`; `None` before the first FROM.
    pub stage: Option<usize>,
    /// The whole logical line (keyword, flags, arguments), continuation lines joined.
    pub text: String,
    /// For HEALTHCHECK: `CMD` or `NONE` (upper-case), or the unknown word as written.
    pub subcommand: Option<String>,
    /// The escape character in effect, used to read quoted words.
    pub escape: char,
    /// `copy_parts` (computed when the Dockerfile is parsed; checks ask for it once per target
    /// and rule).
    copy_cache: std::sync::OnceLock<Option<(Vec<String>, String)>>,
    /// `key_values` (computed when the Dockerfile is parsed; a dozen rules read each ENV and
    /// ARG, per target).
    kv_cache: std::sync::OnceLock<Vec<(String, Option<String>)>>,
}

/// A `--name=value` or `--name` flag, quotes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
}

/// Instruction arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// JSON array form.
    Exec(Vec<String>),
    /// Anything else: the logical line after keyword and flags, trimmed.
    Shell(String),
}

/// A heredoc body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter word, quotes removed.
    pub delimiter: String,
    /// The lines between the marker line and the terminator, each ending with `\n` (leading tabs
    /// removed for `<<-`).
    pub body: String,
    /// Line of the first body line.
    pub line: usize,
    /// `<<-`: leading tabs are stripped.
    pub strip_tabs: bool,
    /// The delimiter was quoted (`<<'EOF'`, `<<"EOF"`): no variable expansion in the body.
    pub quoted: bool,
    /// Line of the terminator (the last line of the file when unterminated).
    pub end_line: usize,
    /// The terminator was found.
    pub terminated: bool,
    /// Written `<< EOF` with blanks after `<<`: BuildKit reads it as a heredoc only since v0.22.
    pub spaced: bool,
}

/// A build stage.
#[derive(Debug, Clone)]
pub struct Stage {
    pub index: usize,
    /// The `AS` name as written.
    pub name: Option<String>,
    /// The base image or stage as written.
    pub base: String,
    /// `base` with global ARG defaults substituted and quotes removed; names without a default
    /// stay as written (`node:${NODE_VERSION}` when `ARG NODE_VERSION` has none).
    pub base_resolved: String,
    /// The `--platform` flag as written.
    pub platform: Option<String>,
    /// Line of the FROM.
    pub line: usize,
    /// The earlier stage `base_resolved` names.
    pub from_stage: Option<usize>,
    /// Indices into `Dockerfile::instructions`, the FROM included.
    pub instructions: Vec<usize>,
}

const KEYWORDS: &[&str] = &[
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];

const VALID_DIRECTIVES: &[&str] = &["syntax", "escape", "check"];

/// ARGs BuildKit defines in the global scope on its own.
const BUILTIN_ARGS: &[&str] = &[
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "TARGETSTAGE",
    "BUILDKIT_SYNTAX",
];

/// Deepest `${…${…}}` nesting read before giving up with an error.
const MAX_DEPTH: usize = 64;
/// Longest value the `#`, `%` and `/` pattern operators work on (they are quadratic).
const MAX_PATTERN_INPUT: usize = 4096;

fn err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError { line, message: message.into() }
}

/// BuildKit's blank characters between keyword and arguments.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{b}' | '\u{c}' | '\r')
}

fn split_first_blank(s: &str) -> (&str, &str) {
    match s.find(is_blank) {
        Some(i) => (&s[..i], s[i..].trim_start_matches(is_blank)),
        None => (s, ""),
    }
}

fn short(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().nth(60).is_some() {
        out.push('…');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Words and substitution (BuildKit's shell lexer)
// ---------------------------------------------------------------------------------------------

/// A variable lookup: the value of a name, `None` when unset.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// BuildKit's word lexer: quotes, the escape character and `$` substitutions.
struct Lexer<'a> {
    chars: Vec<char>,
    pos: usize,
    esc: char,
    /// Keep quotes and escape characters in the output (only substitute).
    raw: bool,
    /// `None`: keep every `$…` reference as written.
    lookup: Option<Lookup<'a>>,
    /// Keep `$X` / `${X}` as written when `lookup` knows no `X` (BuildKit's `SkipUnsetEnv`).
    keep_unset: bool,
    depth: usize,
}

impl<'a> Lexer<'a> {
    fn new(s: &str, esc: char, raw: bool, lookup: Option<Lookup<'a>>) -> Self {
        Lexer {
            chars: s.chars().collect(),
            pos: 0,
            esc,
            raw,
            lookup,
            keep_unset: false,
            depth: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn slice(&self, from: usize) -> String {
        self.chars.get(from..self.pos).map(|s| s.iter().collect()).unwrap_or_default()
    }

    /// Read up to one of `stops` (consumed and returned) or the end of input.
    fn word(&mut self, stops: &[char]) -> Result<(String, Option<char>), String> {
        // (Sized for the rest of the input: a word is built a character at a time.)
        let mut out = String::with_capacity(self.chars.len().saturating_sub(self.pos));
        while let Some(c) = self.peek() {
            if stops.contains(&c) {
                self.pos += 1;
                return Ok((out, Some(c)));
            }
            if c == '\'' {
                out.push_str(&self.single()?);
            } else if c == '"' {
                out.push_str(&self.double()?);
            } else if c == '$' {
                out.push_str(&self.dollar()?);
            } else if c == self.esc {
                self.pos += 1;
                match self.bump() {
                    Some(n) => {
                        if self.raw {
                            out.push(c);
                        }
                        out.push(n);
                    }
                    None if self.raw => out.push(c),
                    None => {}
                }
            } else {
                out.push(c);
                self.pos += 1;
            }
        }
        Ok((out, None))
    }

    fn single(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        if self.raw {
            out.push('\'');
        }
        loop {
            match self.bump() {
                None => return Err("unexpected end of statement while looking for matching single-quote".into()),
                Some('\'') => break,
                Some(c) => out.push(c),
            }
        }
        if self.raw {
            out.push('\'');
        }
        Ok(out)
    }

    fn double(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        if self.raw {
            out.push('"');
        }
        loop {
            match self.peek() {
                None => return Err("unexpected end of statement while looking for matching double-quote".into()),
                Some('"') => {
                    self.pos += 1;
                    break;
                }
                Some('$') => out.push_str(&self.dollar()?),
                Some(c) if c == self.esc => {
                    self.pos += 1;
                    match self.peek() {
                        None => {}
                        Some(n) if n == '"' || n == '$' || n == self.esc => {
                            self.pos += 1;
                            if self.raw {
                                out.push(c);
                            }
                            out.push(n);
                        }
                        Some(_) => out.push(c),
                    }
                }
                Some(c) => {
                    self.pos += 1;
                    out.push(c);
                }
            }
        }
        if self.raw {
            out.push('"');
        }
        Ok(out)
    }

    /// A variable name after `$` or `${`.
    fn name(&mut self) -> String {
        let mut s = String::new();
        match self.peek() {
            Some(c) if c.is_ascii_digit() => {
                while let Some(c) = self.peek().filter(char::is_ascii_digit) {
                    s.push(c);
                    self.pos += 1;
                }
                return s;
            }
            Some(c) if "@*#?-$!".contains(c) => {
                self.pos += 1;
                s.push(c);
                return s;
            }
            _ => {}
        }
        while let Some(c) = self.peek().filter(|c| c.is_alphanumeric() || *c == '_') {
            s.push(c);
            self.pos += 1;
        }
        s
    }

    fn dollar(&mut self) -> Result<String, String> {
        let start = self.pos;
        self.pos += 1;
        self.depth += 1;
        let r = if self.depth > MAX_DEPTH {
            Err("substitutions are nested too deeply".to_string())
        } else {
            self.dollar_inner(start)
        };
        self.depth -= 1;
        r
    }

    fn dollar_inner(&mut self, start: usize) -> Result<String, String> {
        const MISSING: &str = "syntax error: missing '}'";
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(match self.lookup.and_then(|f| f(&name)) {
                Some(v) => v,
                None if self.lookup.is_some() && !self.keep_unset => String::new(),
                None => self.slice(start),
            });
        }
        self.pos += 1;
        let name = self.name();
        let Some(op) = self.bump() else { return Err(MISSING.into()) };
        // Read the whole form first, then evaluate it.
        enum Form {
            Plain,
            Default { colon: bool, m: char, word: String },
            Trim { suffix: bool, longest: bool, pat: String },
            Replace { all: bool, pat: String, with: String },
        }
        let form = match op {
            '}' => Form::Plain,
            ':' => {
                let Some(m) = self.bump() else { return Err(MISSING.into()) };
                if !matches!(m, '-' | '+' | '?') {
                    return Err(format!("unsupported modifier ({m}) in substitution"));
                }
                let (word, stop) = self.word(&['}'])?;
                if stop.is_none() {
                    return Err(MISSING.into());
                }
                Form::Default { colon: true, m, word }
            }
            '-' | '+' | '?' => {
                let (word, stop) = self.word(&['}'])?;
                if stop.is_none() {
                    return Err(MISSING.into());
                }
                Form::Default { colon: false, m: op, word }
            }
            '#' | '%' => {
                let longest = self.peek() == Some(op);
                if longest {
                    self.pos += 1;
                }
                let (pat, stop) = self.word(&['}'])?;
                if stop.is_none() {
                    return Err(MISSING.into());
                }
                Form::Trim {
                    suffix: op == '%',
                    longest,
                    pat,
                }
            }
            '/' => {
                let all = self.peek() == Some('/');
                if all {
                    self.pos += 1;
                }
                let (pat, stop) = self.word(&['/', '}'])?;
                let with = match stop {
                    Some('/') => {
                        let (w, stop) = self.word(&['}'])?;
                        if stop.is_none() {
                            return Err(MISSING.into());
                        }
                        w
                    }
                    Some(_) => String::new(),
                    None => return Err(MISSING.into()),
                };
                Form::Replace { all, pat, with }
            }
            other => return Err(format!("unsupported modifier ({other}) in substitution")),
        };
        if name.is_empty() {
            return Err("bad substitution: empty variable name".into());
        }
        let Some(f) = self.lookup else { return Ok(self.slice(start)) };
        let value = f(&name);
        Ok(match form {
            Form::Plain if value.is_none() && self.keep_unset => self.slice(start),
            Form::Plain => value.unwrap_or_default(),
            Form::Default { colon, m, word } => {
                let present = if colon {
                    value.as_deref().is_some_and(|v| !v.is_empty())
                } else {
                    value.is_some()
                };
                match m {
                    '-' => {
                        if present {
                            value.unwrap_or_default()
                        } else {
                            word
                        }
                    }
                    '+' => {
                        if present {
                            word
                        } else {
                            String::new()
                        }
                    }
                    _ => {
                        if present {
                            value.unwrap_or_default()
                        } else if !word.is_empty() {
                            return Err(format!("{name}: {word}"));
                        } else if value.is_none() {
                            return Err(format!("{name}: is not allowed to be unset"));
                        } else {
                            return Err(format!("{name}: is not allowed to be empty"));
                        }
                    }
                }
            }
            Form::Trim { suffix, longest, pat } => trim_pattern(&value.unwrap_or_default(), &pat, suffix, longest),
            Form::Replace { all, pat, with } => replace_pattern(&value.unwrap_or_default(), &pat, &with, all),
        })
    }
}

/// Shell glob match with `*` and `?`.
fn glob(p: &[char], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    while p.get(pi) == Some(&'*') {
        pi += 1;
    }
    pi == p.len()
}

fn trim_pattern(v: &str, pat: &str, suffix: bool, longest: bool) -> String {
    let t: Vec<char> = v.chars().collect();
    let p: Vec<char> = pat.chars().collect();
    if t.len() > MAX_PATTERN_INPUT {
        return v.to_string();
    }
    let n = t.len();
    let cuts: Vec<usize> = if suffix == longest { (0..=n).collect() } else { (0..=n).rev().collect() };
    for k in cuts {
        let (part, keep) = if suffix { (t.get(k..), t.get(..k)) } else { (t.get(..k), t.get(k..)) };
        if let (Some(part), Some(keep)) = (part, keep) {
            if glob(&p, part) {
                return keep.iter().collect();
            }
        }
    }
    v.to_string()
}

fn replace_pattern(v: &str, pat: &str, with: &str, all: bool) -> String {
    let t: Vec<char> = v.chars().collect();
    let p: Vec<char> = pat.chars().collect();
    if p.is_empty() || t.len() > MAX_PATTERN_INPUT {
        return v.to_string();
    }
    let mut out = String::new();
    let mut i = 0;
    let mut replaced = false;
    while i < t.len() {
        let found = if replaced && !all {
            None
        } else {
            (i + 1..=t.len()).rev().find(|&j| t.get(i..j).is_some_and(|s| glob(&p, s)))
        };
        match found {
            Some(j) => {
                out.push_str(with);
                i = j;
                replaced = true;
            }
            None => {
                if let Some(c) = t.get(i) {
                    out.push(*c);
                }
                i += 1;
            }
        }
    }
    out
}

/// Substitute `$X`, `${X}`, `${X:-d}`, `${X-d}`, `${X:+a}`, `${X+a}` (also `:?`, `#`, `%`, `/`)
/// the way BuildKit does: nested references are expanded, nothing inside single quotes or after
/// a backslash is, and quotes and backslashes are kept as written. Unset names expand to nothing.
/// On a syntax error (`${X` unclosed, `${X:?}` unset) the input comes back unchanged.
pub fn substitute(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    lex_word(s, '\\', true, Some(lookup), false).unwrap_or_else(|_| s.to_string())
}

/// One whole word through the lexer. A word without a quote, the escape character or `$` comes
/// out as it is (most words: they are then copied, not lexed a character at a time).
fn lex_word(s: &str, escape: char, raw: bool, lookup: Option<Lookup<'_>>, keep_unset: bool) -> Result<String, String> {
    if !s.contains(['\'', '"', '$', escape]) {
        return Ok(s.to_string());
    }
    let mut lx = Lexer::new(s, escape, raw, lookup);
    lx.keep_unset = keep_unset;
    lx.word(&[]).map(|(w, _)| w)
}

/// Read one word as BuildKit reads ENV, ARG, LABEL and FROM values: quotes removed, escapes
/// applied, and `$` references substituted through `lookup` (or kept as written when `None`).
pub fn process_word(s: &str, escape: char, lookup: Option<Lookup<'_>>) -> Result<String, String> {
    lex_word(s, escape, false, lookup, false)
}

/// `process_word`, but `$X` / `${X}` stay as written when `lookup` knows no `X`.
fn expand_known(s: &str, escape: char, lookup: Lookup<'_>) -> Result<String, String> {
    lex_word(s, escape, false, Some(lookup), true)
}

/// The names a word refers to with `$X` / `${X…}`.
fn referenced_names(s: &str, escape: char) -> Vec<String> {
    let names = RefCell::new(Vec::new());
    let record = |n: &str| {
        names.borrow_mut().push(n.to_string());
        None
    };
    let _ = process_word(s, escape, Some(&record));
    names.into_inner()
}

/// BuildKit's `parseWords`: split on blanks outside quotes, keeping quotes and escapes.
fn parse_words(rest: &str, esc: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut blank_ok = false;
    let mut it = rest.chars().peekable();
    while let Some(c) = it.next() {
        match quote {
            None => {
                if c.is_whitespace() {
                    if blank_ok || !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                    blank_ok = false;
                    continue;
                }
                if c == '\'' || c == '"' {
                    quote = Some(c);
                    blank_ok = true;
                }
                if c == esc {
                    match it.next() {
                        None => continue,
                        Some(n) => {
                            word.push(c);
                            word.push(n);
                            continue;
                        }
                    }
                }
                word.push(c);
            }
            Some(q) => {
                if c == q {
                    quote = None;
                    word.push(c);
                    continue;
                }
                if c == esc && q != '\'' {
                    match it.next() {
                        None => {
                            quote = None;
                            continue;
                        }
                        Some(n) => {
                            word.push(c);
                            word.push(n);
                            continue;
                        }
                    }
                }
                word.push(c);
            }
        }
    }
    if blank_ok || !word.is_empty() {
        words.push(word);
    }
    words
}

/// Words as BuildKit's heredoc scan sees them: split on blanks outside quotes, backslash escapes
/// and `${…}` kept whole, nothing removed.
fn raw_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut braces = 0usize;
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match quote {
            Some(q) => {
                cur.push(c);
                if c == q {
                    quote = None;
                } else if c == '\\' && q == '"' {
                    if let Some(n) = it.next() {
                        cur.push(n);
                    }
                }
            }
            None => {
                if c.is_whitespace() && braces == 0 {
                    if !cur.is_empty() {
                        words.push(std::mem::take(&mut cur));
                    }
                    continue;
                }
                cur.push(c);
                match c {
                    '\'' | '"' => quote = Some(c),
                    '\\' => {
                        if let Some(n) = it.next() {
                            cur.push(n);
                        }
                    }
                    '$' if it.peek() == Some(&'{') => {
                        if let Some(n) = it.next() {
                            cur.push(n);
                        }
                        braces += 1;
                    }
                    '}' if braces > 0 => braces -= 1,
                    _ => {}
                }
            }
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

fn count_quotes(s: &str) -> usize {
    s.chars().filter(|c| *c == '\'' || *c == '"').count()
}

/// A heredoc marker found in a logical line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Marker {
    name: String,
    strip: bool,
    quoted: bool,
    spaced: bool,
}

/// `<<EOF`, `<<-EOF`, `<<'EOF'`, `3<<EOF` as one word (BuildKit's `^(\d*)<<(-?)([^<]*)$`).
fn marker_of_word(word: &str) -> Option<Marker> {
    let w = word.trim_start_matches(|c: char| c.is_ascii_digit());
    let r = w.strip_prefix("<<")?;
    let (strip, r) = match r.strip_prefix('-') {
        Some(x) => (true, x),
        None => (false, r),
    };
    if r.is_empty() || r.contains('<') {
        return None;
    }
    let name = process_word(r, '\\', None).ok()?;
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        return None;
    }
    Some(Marker {
        quoted: count_quotes(r) != count_quotes(&name),
        name,
        strip,
        spaced: false,
    })
}

/// Is `word` a bare `<<` / `<<-` whose delimiter is the next word?
fn is_bare_marker(word: &str) -> bool {
    let w = word.trim_start_matches(|c: char| c.is_ascii_digit());
    w == "<<" || w == "<<-"
}

/// A spaced delimiter (`<< EOF`, `<< 'EOF'`) must look like a name, so `$((1 << 2))` is no heredoc.
fn spaced_marker(op: &str, next: &str) -> Option<Marker> {
    let strip = op.ends_with('-');
    let m = marker_of_word(&format!("<<{}{next}", if strip { "-" } else { "" }))?;
    let mut chars = m.name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    ok.then_some(Marker { spaced: true, ..m })
}

fn heredoc_markers(line: &str) -> Vec<Marker> {
    if !line.contains("<<") {
        return Vec::new();
    }
    let words = raw_words(line);
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(w) = words.get(i) {
        if let Some(m) = marker_of_word(w) {
            out.push(m);
        } else if is_bare_marker(w) {
            if let Some(m) = words.get(i + 1).and_then(|n| spaced_marker(w, n)) {
                out.push(m);
                i += 1;
            }
        }
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Lines and instructions
// ---------------------------------------------------------------------------------------------

/// `# name=value` (BuildKit's `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`).
fn directive_of(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix('#')?.trim_start();
    let key_len = rest
        .char_indices()
        .take_while(|&(i, c)| if i == 0 { c.is_ascii_alphabetic() } else { c.is_ascii_alphanumeric() })
        .count();
    if key_len == 0 {
        return None;
    }
    let key = rest.get(..key_len)?;
    let value = rest.get(key_len..)?.trim_start().strip_prefix('=')?.trim();
    if value.is_empty() {
        return None;
    }
    Some((key.to_ascii_lowercase(), value.to_string()))
}

/// Strip a trailing escape character (and the blanks after it): (line, continues).
/// An escaped escape character (`\\`) at the end does not continue the line.
fn trim_continuation(line: &str, esc: char) -> (&str, bool) {
    let t = line.trim_end_matches([' ', '\t']);
    if let Some(before) = t.strip_suffix(esc) {
        if before.is_empty() || !before.ends_with(esc) {
            return (before, true);
        }
    }
    (line, false)
}

/// BuildKit's flag scan: leading `--words`, quotes and escapes removed, a bare `--` ends them.
fn extract_flags(line: &str, esc: char) -> (Vec<Flag>, &str) {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let at = |k: usize| chars.get(k).map(|x| x.1);
    let offset = |k: usize| chars.get(k).map(|x| x.0).unwrap_or(line.len());
    let mut flags = Vec::new();
    let mut k = 0;
    loop {
        while at(k).is_some_and(char::is_whitespace) {
            k += 1;
        }
        if k >= chars.len() {
            return (flags, "");
        }
        if at(k) != Some('-') || at(k + 1) != Some('-') {
            return (flags, line.get(offset(k)..).unwrap_or(""));
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = at(k) {
            if quote.is_none() && c.is_whitespace() {
                break;
            }
            k += 1;
            if Some(c) == quote {
                quote = None;
            } else if quote.is_none() && (c == '\'' || c == '"') {
                quote = Some(c);
            } else if c == esc {
                match at(k) {
                    Some(n) => {
                        word.push(n);
                        k += 1;
                    }
                    None => quote = None,
                }
            } else {
                word.push(c);
            }
        }
        if word == "--" {
            return (flags, line.get(offset(k)..).unwrap_or(""));
        }
        let body = word.strip_prefix("--").unwrap_or(&word);
        flags.push(match body.split_once('=') {
            Some((n, v)) => Flag {
                name: n.to_string(),
                value: Some(v.to_string()),
            },
            None => Flag {
                name: body.to_string(),
                value: None,
            },
        });
    }
}

const NOT_STRINGS: &str = "when using JSON array syntax, arrays must be comprised of strings only";

/// Exec form when `rest` is a JSON array of strings, else shell form (as BuildKit falls back).
fn maybe_json(rest: &str) -> (Args, Option<&'static str>) {
    if rest.starts_with('[') {
        if let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(rest) {
            let strings: Option<Vec<String>> = items
                .into_iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => Some(s),
                    _ => None,
                })
                .collect();
            return match strings {
                Some(v) => (Args::Exec(v), None),
                None => (Args::Shell(rest.to_string()), Some(NOT_STRINGS)),
            };
        }
    }
    (Args::Shell(rest.to_string()), None)
}

fn build_instruction(text: &str, line: usize, end_line: usize, esc: char, depth: usize, errors: &mut Vec<ParseError>) -> Option<Instruction> {
    let t = text.trim();
    let (kw, rest) = split_first_blank(t);
    let keyword = kw.to_ascii_uppercase();
    if !KEYWORDS.contains(&keyword.as_str()) {
        errors.push(err(line, format!("unknown instruction `{}`", short(kw))));
        return None;
    }
    if depth > 0 && matches!(keyword.as_str(), "ONBUILD" | "FROM" | "MAINTAINER") {
        errors.push(err(line, format!("`ONBUILD {keyword}` isn't allowed")));
        return None;
    }
    let (flags, rest) = extract_flags(rest, esc);
    let rest = rest.trim();
    let mut ins = Instruction {
        keyword,
        line,
        end_line,
        flags,
        args: Args::Shell(rest.to_string()),
        heredocs: Vec::new(),
        onbuild: None,
        stage: None,
        text: t.to_string(),
        subcommand: None,
        escape: esc,
        copy_cache: std::sync::OnceLock::new(),
        kv_cache: std::sync::OnceLock::new(),
    };
    let kw = ins.keyword.clone();
    let mut json_error = None;
    match kw.as_str() {
        "RUN" | "CMD" | "ENTRYPOINT" | "SHELL" | "COPY" | "ADD" | "VOLUME" => {
            let (args, e) = maybe_json(rest);
            ins.args = args;
            json_error = e;
        }
        "HEALTHCHECK" => {
            let (typ, after) = split_first_blank(rest);
            let upper = typ.to_ascii_uppercase();
            match upper.as_str() {
                "" => errors.push(err(line, "HEALTHCHECK requires `CMD <command>` or `NONE`")),
                "CMD" => {
                    let (args, e) = maybe_json(after.trim());
                    ins.args = args;
                    json_error = e;
                    if ins.args == Args::Shell(String::new()) {
                        errors.push(err(line, "missing command after HEALTHCHECK CMD"));
                    }
                }
                "NONE" => {
                    ins.args = Args::Shell(String::new());
                    if !after.trim().is_empty() {
                        errors.push(err(line, "HEALTHCHECK NONE takes no arguments"));
                    }
                }
                _ => errors.push(err(line, format!("unknown type `{}` in HEALTHCHECK (try CMD)", short(typ)))),
            }
            if !upper.is_empty() {
                ins.subcommand = Some(if upper == "CMD" || upper == "NONE" { upper } else { typ.to_string() });
            }
        }
        "ONBUILD" => {
            if rest.is_empty() {
                errors.push(err(line, "ONBUILD requires an instruction"));
            } else {
                ins.onbuild = build_instruction(rest, line, end_line, esc, depth + 1, errors).map(Box::new);
            }
        }
        _ => {}
    }
    if let Some(e) = json_error {
        errors.push(err(line, e));
    }
    check_arguments(&ins, errors);
    Some(ins)
}

/// Argument checks BuildKit makes before building (a failing one fails the build).
fn check_arguments(ins: &Instruction, errors: &mut Vec<ParseError>) {
    let kw = ins.keyword.as_str();
    let empty = matches!(&ins.args, Args::Shell(s) if s.is_empty());
    match kw {
        "COPY" | "ADD" if ins.copy_words().len() < 2 => {
            errors.push(err(ins.line, format!("{kw} requires at least two arguments (sources and a destination)")));
        }
        "SHELL" if !matches!(ins.args, Args::Exec(_)) => {
            errors.push(err(ins.line, "SHELL requires the arguments to be in JSON form"));
        }
        "ENV" | "LABEL" | "ARG" => match ins.raw_pairs() {
            Err(e) => errors.push(err(ins.line, e)),
            Ok(pairs) => {
                for (k, v) in pairs {
                    if k.is_empty() {
                        errors.push(err(ins.line, format!("{kw} has an empty name")));
                    }
                    if let Some(v) = v {
                        if let Err(e) = process_word(&v, ins.escape, None) {
                            errors.push(err(ins.line, format!("{kw} {k}: {e}")));
                        }
                    }
                }
            }
        },
        "WORKDIR" | "USER" | "EXPOSE" | "STOPSIGNAL" | "MAINTAINER" | "VOLUME" if empty => {
            errors.push(err(ins.line, format!("{kw} requires at least one argument")));
        }
        _ => {}
    }
}

fn can_contain_heredoc(ins: &Instruction) -> bool {
    let target = match (ins.keyword.as_str(), ins.onbuild.as_deref()) {
        ("ONBUILD", Some(inner)) => inner,
        _ => ins,
    };
    matches!(target.keyword.as_str(), "RUN" | "COPY" | "ADD") && matches!(target.args, Args::Shell(_))
}

struct Parser {
    df: Dockerfile,
    stage: Option<usize>,
}

impl Parser {
    /// Global ARG defaults (the last declaration of a name wins).
    fn globals(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        for (k, v, _) in &self.df.global_args {
            match v {
                Some(v) => m.insert(k.clone(), v.clone()),
                None => m.remove(k),
            };
        }
        m
    }

    fn from(&mut self, ins: &Instruction) {
        let line = ins.line;
        let esc = ins.escape;
        let rest = match &ins.args {
            Args::Shell(s) => s.clone(),
            Args::Exec(v) => v.join(" "),
        };
        let words: Vec<&str> = rest.split(is_blank).filter(|w| !w.is_empty()).collect();
        let mut name = None;
        match words.as_slice() {
            [] => self.df.errors.push(err(line, "FROM needs an image")),
            [_] => {}
            [_, a, n] if a.eq_ignore_ascii_case("as") => name = Some(n.to_string()),
            _ => {
                self.df
                    .errors
                    .push(err(line, "FROM requires either one or three arguments: `FROM <image> [AS <name>]`"));
                if let ([_, a, n, ..], true) = (words.as_slice(), words.len() > 3) {
                    if a.eq_ignore_ascii_case("as") {
                        name = Some(n.to_string());
                    }
                }
            }
        }
        if let Some(n) = &name {
            let lower = n.to_ascii_lowercase();
            let mut chars = lower.chars();
            let valid =
                chars.next().is_some_and(|c| c.is_ascii_lowercase()) && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
            if !valid {
                self.df.errors.push(err(
                    line,
                    format!(
                        "invalid stage name `{}`: it must start with a letter and hold only letters, digits, `-`, `_` and `.`",
                        short(n)
                    ),
                ));
            }
            if self.df.stages.iter().any(|s| s.name.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(n))) {
                self.df.errors.push(err(line, format!("duplicate stage name `{}`", short(n))));
            }
        }
        let base = words.first().map(|s| s.to_string()).unwrap_or_default();
        let globals = self.globals();
        let lookup = |n: &str| globals.get(n).cloned();
        let (docker_value, base_resolved) = match process_word(&base, esc, Some(&lookup)) {
            Ok(v) => (v, expand_known(&base, esc, &lookup).unwrap_or_else(|_| base.clone())),
            Err(e) => {
                self.df.errors.push(err(line, format!("FROM `{}` cannot be resolved: {e}", short(&base))));
                (base.clone(), substitute(&base, &lookup))
            }
        };
        if !base.is_empty() && docker_value.trim().is_empty() {
            // Blank after substitution: fine when a build argument may fill it, an error when
            // the names it uses are not global ARGs at all.
            let declared = |n: &String| self.df.global_args.iter().any(|(k, _, _)| k == n) || BUILTIN_ARGS.contains(&n.as_str());
            if !referenced_names(&base, esc).iter().any(declared) {
                self.df
                    .errors
                    .push(err(line, format!("FROM `{}` resolves to an empty image name", short(&base))));
            }
        }
        let from_stage = self
            .df
            .stages
            .iter()
            .position(|s| s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&base_resolved)));
        let index = self.df.stages.len();
        self.df.stages.push(Stage {
            index,
            name,
            base,
            base_resolved,
            platform: ins.flag("platform").map(str::to_string),
            line,
            from_stage,
            instructions: Vec::new(),
        });
        self.stage = Some(index);
    }

    fn global_arg(&mut self, ins: &Instruction) {
        for (k, v) in ins.raw_pairs().unwrap_or_default() {
            let globals = self.globals();
            let lookup = |n: &str| globals.get(n).cloned();
            let value = v.map(|v| process_word(&v, ins.escape, Some(&lookup)).unwrap_or(v));
            self.df.global_args.push((k, value, ins.line));
        }
    }

    fn push(&mut self, mut ins: Instruction) {
        if ins.keyword == "FROM" {
            self.from(&ins);
        } else if self.stage.is_none() {
            if ins.keyword == "ARG" {
                self.global_arg(&ins);
            } else {
                self.df.errors.push(err(ins.line, format!("{} before the first FROM", ins.keyword)));
            }
        }
        ins.stage = self.stage;
        if let Some(inner) = ins.onbuild.as_deref_mut() {
            inner.stage = self.stage;
        }
        let n = self.df.instructions.len();
        if let Some(st) = self.stage.and_then(|s| self.df.stages.get_mut(s)) {
            st.instructions.push(n);
        }
        self.df.instructions.push(ins);
    }
}

/// Most build stages read (real Dockerfiles have a handful; each stage's environment is computed
/// through its chain of parent stages).
pub const MAX_STAGES: usize = 256;

/// Parse a Dockerfile. Never panics; errors carry lines and the rest is still parsed.
pub fn parse(src: &str) -> Dockerfile {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut lines: Vec<&str> = src.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    if src.is_empty() || src.ends_with('\n') {
        lines.pop();
    }
    let mut p = Parser {
        df: Dockerfile::default(),
        stage: None,
    };
    let mut esc = '\\';
    let mut directives_done = false;
    let mut i = 0usize;
    while let Some(&raw) = lines.get(i) {
        let t = raw.trim_start();
        if !directives_done {
            match directive_of(t) {
                Some((k, v)) if VALID_DIRECTIVES.contains(&k.as_str()) => {
                    if p.df.directives.iter().any(|(d, _, _)| *d == k) {
                        p.df.errors.push(err(i + 1, format!("only one `{k}` parser directive can be used")));
                    } else {
                        if k == "escape" {
                            match v.as_str() {
                                "`" => esc = '`',
                                "\\" => esc = '\\',
                                other => p.df.errors.push(err(i + 1, format!("invalid escape token `{}`: use ` or \\", short(other)))),
                            }
                        }
                        p.df.directives.push((k, v, i + 1));
                    }
                    i += 1;
                    continue;
                }
                _ => directives_done = true,
            }
        }
        if t.is_empty() || t.starts_with('#') {
            i += 1;
            continue;
        }
        // One logical line: continuation lines appended, comment and empty lines among them skipped.
        let start = i + 1;
        let (seg, mut cont) = trim_continuation(t, esc);
        let mut text = seg.to_string();
        i += 1;
        let mut empty_line = None;
        while cont {
            let Some(&l) = lines.get(i) else { break };
            i += 1;
            let lt = l.trim_start();
            if lt.starts_with('#') {
                continue;
            }
            if lt.is_empty() {
                empty_line.get_or_insert(i);
                continue;
            }
            let (seg, c) = trim_continuation(l, esc);
            text.push_str(seg);
            cont = c;
        }
        if let Some(l) = empty_line {
            p.df.warnings
                .push(err(l, "empty continuation line (BuildKit warns; future versions may reject it)"));
        }
        if text.trim().is_empty() {
            continue;
        }
        let Some(mut ins) = build_instruction(&text, start, i.max(start), esc, 0, &mut p.df.errors) else {
            continue;
        };
        if can_contain_heredoc(&ins) {
            for m in heredoc_markers(&text) {
                let first = i + 1;
                let mut body = String::new();
                let mut terminated = false;
                while let Some(&l) = lines.get(i) {
                    i += 1;
                    let l = if m.strip { l.trim_start_matches('\t') } else { l };
                    if l == m.name {
                        terminated = true;
                        break;
                    }
                    body.push_str(l);
                    body.push('\n');
                }
                if !terminated {
                    p.df.errors
                        .push(err(start, format!("heredoc `<<{}` is not terminated; it runs to the end of the file", m.name)));
                }
                if m.spaced {
                    p.df.warnings.push(err(
                        start,
                        format!(
                            "`<< {}` has a space after `<<`: BuildKit reads it as a heredoc only since v0.22; older builders read its body as instructions",
                            m.name
                        ),
                    ));
                }
                let last = lines.len().max(start);
                ins.heredocs.push(Heredoc {
                    delimiter: m.name,
                    body,
                    line: first.min(last),
                    strip_tabs: m.strip,
                    quoted: m.quoted,
                    end_line: i.max(first).min(last),
                    terminated,
                    spaced: m.spaced,
                });
            }
            ins.end_line = i.max(start);
            if let Some(inner) = ins.onbuild.as_deref_mut() {
                inner.heredocs = ins.heredocs.clone();
                inner.end_line = ins.end_line;
            }
        }
        if ins.keyword == "FROM" && p.df.stages.len() >= MAX_STAGES {
            // Stage lookups and inherited environments grow with the chain of stages: bound it.
            p.df.errors.push(err(
                ins.line,
                format!("more than {MAX_STAGES} build stages; the rest of the Dockerfile was not read"),
            ));
            break;
        }
        p.push(ins);
    }
    let mut df = p.df;
    df.escape = esc;
    if df.instructions.is_empty() {
        if df.errors.is_empty() {
            df.errors.push(err(lines.len().max(1), "the Dockerfile has no instructions"));
        }
    } else if df.stages.is_empty() {
        df.errors.push(err(
            df.instructions.first().map_or(1, |i| i.line),
            "the Dockerfile has no FROM, so there is nothing to build",
        ));
    }
    df.errors.sort_by_key(|e| e.line);
    df.warnings.sort_by_key(|e| e.line);
    // The pairs and COPY parts the checks read are computed here, on the thread that parses this
    // file (within its time budget), not on first use by the checks: the targets' checks run side
    // by side and read the same instructions in the same order, and one waiting on the other's
    // first computation at every instruction cost a check up to 3 ms.
    for ins in &df.instructions {
        match ins.keyword.as_str() {
            "ENV" | "ARG" | "LABEL" => drop(ins.key_values()),
            "COPY" | "ADD" => drop(ins.copy_parts_ref()),
            _ => {}
        }
    }
    df
}

impl Dockerfile {
    /// A stage by `AS` name (case-insensitive) or by index (`COPY --from=0`).
    pub fn stage_by_name(&self, name_or_index: &str) -> Option<&Stage> {
        self.stages
            .iter()
            .find(|s| s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name_or_index)))
            .or_else(|| name_or_index.parse::<usize>().ok().and_then(|i| self.stages.get(i)))
    }

    /// The stage `docker build` builds without `--target`: the last one.
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// The `# syntax=` directive, if any.
    pub fn syntax(&self) -> Option<&str> {
        self.directives.iter().find(|(k, _, _)| k == "syntax").map(|(_, v, _)| v.as_str())
    }

    /// ENV and ARG values in effect at the end of a stage (inherits ENV from a `FROM <stage>`
    /// parent chain), substituted. ENV wins over an ARG of the same name. A reference to a name
    /// the Dockerfile gives no value (the base image's `PATH`, an ARG without default, a global
    /// ARG not re-declared in the stage) is kept as written: `PATH=/pnpm:$PATH`.
    pub fn stage_env(&self, stage: usize) -> BTreeMap<String, String> {
        let (env, mut args) = self.scope(stage, usize::MAX);
        args.extend(env);
        args
    }

    /// ENV and ARG values in effect just before instruction `index` runs, substituted as in
    /// `stage_env`.
    pub fn env_before(&self, index: usize) -> BTreeMap<String, String> {
        let Some(stage) = self.instructions.get(index).and_then(|i| i.stage) else {
            return BTreeMap::new();
        };
        let (env, mut args) = self.scope(stage, index);
        args.extend(env);
        args
    }

    /// The stage a `COPY --from=…` / `RUN --mount=from=…` names, if it names a stage rather
    /// than an image (an earlier stage, by name or index, `$` references substituted).
    pub fn from_stage_of(&self, ins: &Instruction) -> Option<&Stage> {
        let raw = ins.flag("from")?;
        let v = if raw.contains('$') {
            let env = ins.stage.map(|s| self.stage_env(s)).unwrap_or_default();
            substitute(raw, &|n| env.get(n).cloned())
        } else {
            raw.to_string()
        };
        self.stage_by_name(&v).filter(|s| ins.stage.is_none_or(|cur| s.index < cur))
    }

    /// (ENV, ARG) maps of a stage up to (not including) instruction `upto`.
    fn scope(&self, stage: usize, upto: usize) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
        let mut env = BTreeMap::new();
        let mut args: BTreeMap<String, String> = BTreeMap::new();
        let Some(st) = self.stages.get(stage) else { return (env, args) };
        if let Some(parent) = st.from_stage.filter(|&p| p < stage) {
            env = self.scope(parent, usize::MAX).0;
        }
        for &ii in &st.instructions {
            if ii >= upto {
                break;
            }
            let Some(ins) = self.instructions.get(ii) else { continue };
            if ins.keyword != "ENV" && ins.keyword != "ARG" {
                continue;
            }
            let pairs = ins.raw_pairs().unwrap_or_default();
            if ins.keyword == "ENV" {
                // Every value of one ENV sees the environment from before it.
                let values: Vec<(String, String)> = {
                    let lookup = |n: &str| env.get(n).or_else(|| args.get(n)).cloned();
                    pairs
                        .into_iter()
                        .map(|(k, v)| {
                            let v = v.unwrap_or_default();
                            let x = expand_known(&v, ins.escape, &lookup).unwrap_or(v);
                            (k, x)
                        })
                        .collect()
                };
                env.extend(values);
            } else {
                for (k, v) in pairs {
                    let value = match v {
                        Some(v) => {
                            let lookup = |n: &str| env.get(n).or_else(|| args.get(n)).cloned();
                            Some(expand_known(&v, ins.escape, &lookup).unwrap_or(v))
                        }
                        None => self.global_args.iter().rev().find(|(g, _, _)| *g == k).and_then(|(_, v, _)| v.clone()),
                    };
                    if let Some(v) = value {
                        args.insert(k, v);
                    }
                }
            }
        }
        (env, args)
    }
}

impl Instruction {
    /// The value of the first flag named `name` (`""` for a flag without a value).
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.iter().find(|f| f.name == name).map(|f| f.value.as_deref().unwrap_or(""))
    }

    /// The values of every flag named `name` (several `--mount`s).
    pub fn flag_values(&self, name: &str) -> Vec<&str> {
        self.flags.iter().filter(|f| f.name == name).map(|f| f.value.as_deref().unwrap_or("")).collect()
    }

    /// COPY/ADD words with heredoc markers folded to `<<NAME`.
    fn copy_words(&self) -> Vec<String> {
        match &self.args {
            Args::Exec(v) => v.clone(),
            Args::Shell(s) => {
                let words: Vec<&str> = s.split(is_blank).filter(|w| !w.is_empty()).collect();
                let mut out = Vec::new();
                let mut i = 0;
                while let Some(w) = words.get(i) {
                    if let Some(m) = marker_of_word(w) {
                        out.push(format!("<<{}", m.name));
                    } else if let Some(m) = words.get(i + 1).filter(|_| is_bare_marker(w)).and_then(|n| spaced_marker(w, n)) {
                        out.push(format!("<<{}", m.name));
                        i += 1;
                    } else {
                        out.push(process_word(w, self.escape, None).unwrap_or_else(|_| w.to_string()));
                    }
                    i += 1;
                }
                out
            }
        }
    }

    /// For COPY/ADD: (sources, destination), flags excluded, exec or shell form, quotes removed,
    /// `$` references kept as written, heredoc sources reported as `<<NAME`.
    pub fn copy_parts(&self) -> Option<(Vec<String>, String)> {
        self.copy_parts_ref().map(|(srcs, dest)| (srcs.to_vec(), dest.to_string()))
    }

    /// [`Instruction::copy_parts`], borrowed.
    pub fn copy_parts_ref(&self) -> Option<(&[String], &str)> {
        if self.keyword != "COPY" && self.keyword != "ADD" {
            return None;
        }
        self.copy_cache
            .get_or_init(|| {
                let mut words = self.copy_words();
                let dest = words.pop()?;
                if words.is_empty() {
                    return None;
                }
                Some((words, dest))
            })
            .as_ref()
            .map(|(srcs, dest)| (srcs.as_slice(), dest.as_str()))
    }

    /// The command text: exec form joined with spaces, shell form as is, heredoc bodies appended
    /// after a newline.
    pub fn command_text(&self) -> String {
        let mut s = match &self.args {
            Args::Exec(v) => v.join(" "),
            Args::Shell(s) => s.clone(),
        };
        for h in &self.heredocs {
            s.push('\n');
            s.push_str(&h.body);
        }
        s
    }

    /// The (name, raw value) pairs of ENV / LABEL / ARG, as BuildKit splits them; an error when
    /// BuildKit rejects the form.
    fn raw_pairs(&self) -> Result<Vec<(String, Option<String>)>, String> {
        let kw = self.keyword.as_str();
        if !matches!(kw, "ENV" | "LABEL" | "ARG") {
            return Ok(Vec::new());
        }
        let rest = match &self.args {
            Args::Shell(s) => s.as_str(),
            Args::Exec(_) => return Ok(Vec::new()),
        };
        let words = parse_words(rest, self.escape);
        if words.is_empty() {
            return Err(format!("{kw} requires at least one argument"));
        }
        if kw == "ARG" {
            return Ok(words
                .into_iter()
                .map(|w| match w.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (w, None),
                })
                .collect());
        }
        if words.first().is_some_and(|w| !w.contains('=')) {
            // Legacy `ENV name value with spaces`.
            let (k, v) = split_first_blank(rest);
            if v.is_empty() {
                return Err(format!("{kw} must have two arguments (`{kw} name=value`)"));
            }
            return Ok(vec![(k.to_string(), Some(v.to_string()))]);
        }
        words
            .into_iter()
            .map(|w| match w.split_once('=') {
                Some((k, v)) => Ok((k.to_string(), Some(v.to_string()))),
                None => Err(format!("syntax error: no `=` in `{}`; {kw} takes name=value pairs", short(&w))),
            })
            .collect()
    }

    /// For ENV (both forms), LABEL and ARG: the (name, value) pairs, quotes removed and escapes
    /// applied, `$` references kept as written (see `Dockerfile::stage_env` for substituted values).
    pub fn key_values(&self) -> &[(String, Option<String>)] {
        self.kv_cache.get_or_init(|| self.compute_key_values())
    }

    fn compute_key_values(&self) -> Vec<(String, Option<String>)> {
        let pairs = match self.raw_pairs() {
            Ok(p) => p,
            Err(_) => match &self.args {
                Args::Shell(s) => parse_words(s, self.escape)
                    .into_iter()
                    .filter_map(|w| w.split_once('=').map(|(k, v)| (k.to_string(), Some(v.to_string()))))
                    .collect(),
                Args::Exec(_) => Vec::new(),
            },
        };
        pairs
            .into_iter()
            .map(|(k, v)| {
                let v = v.map(|v| process_word(&v, self.escape, None).unwrap_or(v));
                (k, v)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> String {
        v.to_string()
    }

    fn ok(src: &str) -> Dockerfile {
        let d = parse(src);
        assert!(d.errors.is_empty(), "unexpected errors {:?} in\n{src}", d.errors);
        d
    }

    fn error_lines(src: &str) -> Vec<usize> {
        parse(src).errors.iter().map(|e| e.line).collect()
    }

    const DF: &str = "# syntax=docker/dockerfile:1\n# escape=\\\nARG NODE=20\nFROM node:${NODE}-alpine AS base\nRUN apk add --no-cache \\\n    # a comment inside\n\n    openssl\nFROM base AS builder\nWORKDIR /app\nCOPY --from=base --chown=1000:1000 [\"a b\", \"/dst/\"]\nRUN cat > next.config.js << 'NEXTCONFIG'\nmodule.exports = { output: 'standalone' };\nNEXTCONFIG\nRUN yarn build\nRUN <<A bash && <<-\"B\" sh\necho a\nA\n\techo b\n\tB\nENV A=1 B=\"two words\"\nENV LEGACY value with spaces\nHEALTHCHECK --interval=30s CMD wget -q http://localhost:3000 || exit 1\nonbuild RUN echo hi\nCMD [\"node\", \"server.js\"]\n";

    #[test]
    fn parses_the_whole_shape() {
        let d = ok(DF);
        assert_eq!(d.directives, vec![(s("syntax"), s("docker/dockerfile:1"), 1), (s("escape"), s("\\"), 2)]);
        assert_eq!(d.syntax(), Some("docker/dockerfile:1"));
        assert_eq!(d.global_args, vec![(s("NODE"), Some(s("20")), 3)]);
        assert_eq!(d.stages.len(), 2);
        assert_eq!(d.stages[0].base, "node:${NODE}-alpine");
        assert_eq!(d.stages[0].base_resolved, "node:20-alpine");
        assert_eq!(d.stages[1].from_stage, Some(0));
        let run = &d.instructions[2];
        assert_eq!((run.keyword.as_str(), run.line, run.end_line), ("RUN", 5, 8));
        assert_eq!(run.command_text(), "apk add --no-cache     openssl");
        assert_eq!(d.warnings.iter().map(|w| w.line).collect::<Vec<_>>(), vec![7, 12]);
        let copy = &d.instructions[5];
        assert_eq!(copy.flag("from"), Some("base"));
        assert_eq!(copy.flag("chown"), Some("1000:1000"));
        assert_eq!(copy.copy_parts(), Some((vec![s("a b")], s("/dst/"))));
        let cat = &d.instructions[6];
        assert_eq!((cat.line, cat.end_line), (12, 14));
        assert_eq!(cat.heredocs.len(), 1);
        assert_eq!(cat.heredocs[0].body, "module.exports = { output: 'standalone' };\n");
        assert!(cat.heredocs[0].quoted && cat.heredocs[0].spaced && cat.heredocs[0].terminated);
        assert_eq!(cat.heredocs[0].line, 13);
        assert_eq!(d.instructions[7].command_text(), "yarn build");
        assert_eq!(d.instructions[7].line, 15);
        let two = &d.instructions[8];
        assert_eq!(two.heredocs.len(), 2);
        assert_eq!((two.heredocs[0].delimiter.as_str(), two.heredocs[0].body.as_str()), ("A", "echo a\n"));
        assert_eq!((two.heredocs[1].delimiter.as_str(), two.heredocs[1].body.as_str()), ("B", "echo b\n"));
        assert!(two.heredocs[1].strip_tabs && two.heredocs[1].quoted && !two.heredocs[0].quoted);
        assert_eq!((two.line, two.end_line), (16, 20));
        let env = &d.instructions[9];
        assert_eq!(env.key_values(), vec![(s("A"), Some(s("1"))), (s("B"), Some(s("two words")))]);
        assert_eq!(d.instructions[10].key_values(), vec![(s("LEGACY"), Some(s("value with spaces")))]);
        let hc = &d.instructions[11];
        assert_eq!(hc.flag("interval"), Some("30s"));
        assert_eq!(hc.subcommand.as_deref(), Some("CMD"));
        assert_eq!(hc.command_text(), "wget -q http://localhost:3000 || exit 1");
        assert_eq!(
            d.instructions[12].onbuild.as_ref().map(|o| (o.keyword.as_str(), o.stage)),
            Some(("RUN", Some(1)))
        );
        assert_eq!(Dockerfile::default().escape, '\\');
        assert_eq!(d.instructions[13].args, Args::Exec(vec![s("node"), s("server.js")]));
        assert_eq!(d.final_stage().map(|s| s.name.as_deref()), Some(Some("builder")));
        let env = d.stage_env(1);
        assert_eq!(env.get("B").map(String::as_str), Some("two words"));
        assert_eq!(env.get("NODE"), None, "global ARGs are not visible inside stages");
    }

    #[test]
    fn seed_004_spaced_heredoc_with_quoted_delimiter() {
        let d = ok("FROM node:20\nRUN cat > next.config.js << 'NEXTCONFIG'\nmodule.exports = { output: 'standalone' };\nNEXTCONFIG\nRUN yarn build\n");
        let runs: Vec<&Instruction> = d.instructions.iter().filter(|i| i.keyword == "RUN").collect();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].heredocs.len(), 1);
        assert_eq!(runs[0].heredocs[0].body, "module.exports = { output: 'standalone' };\n");
        assert_eq!(runs[0].heredocs[0].delimiter, "NEXTCONFIG");
        assert_eq!(
            runs[0].command_text(),
            "cat > next.config.js << 'NEXTCONFIG'\nmodule.exports = { output: 'standalone' };\n"
        );
        assert_eq!((runs[1].line, runs[1].command_text().as_str()), (5, "yarn build"));
    }

    #[test]
    fn heredoc_table() {
        // (source, expected [(delimiter, body, strip, quoted, spaced)], next instruction keyword, its line)
        type Row = (&'static str, Vec<(&'static str, &'static str, bool, bool, bool)>, &'static str, usize);
        let rows: Vec<Row> = vec![
            (
                "FROM x\nRUN <<EOF\nset -e\nnpm ci\nEOF\nCMD x\n",
                vec![("EOF", "set -e\nnpm ci\n", false, false, false)],
                "CMD",
                6,
            ),
            (
                "FROM x\nRUN cat > /f <<'EOF'\n$HOME\nEOF\nCMD x\n",
                vec![("EOF", "$HOME\n", false, true, false)],
                "CMD",
                5,
            ),
            (
                "FROM x\nRUN cat > /f <<\"EOF\"\na\nEOF\nCMD x\n",
                vec![("EOF", "a\n", false, true, false)],
                "CMD",
                5,
            ),
            (
                "FROM x\nRUN cat > f << EOF\na\nEOF\nCMD x\n",
                vec![("EOF", "a\n", false, false, true)],
                "CMD",
                5,
            ),
            (
                "FROM x\nRUN cat > f <<- EOF\n\ta\n\tEOF\nCMD x\n",
                vec![("EOF", "a\n", true, false, true)],
                "CMD",
                5,
            ),
            (
                "FROM x\nRUN <<-EOT\n\t\tindented\n\t  mixed\n\tEOT\nCMD x\n",
                vec![("EOT", "indented\n  mixed\n", true, false, false)],
                "CMD",
                6,
            ),
            (
                "FROM x\nCOPY <<A <<B /dst/\none\nA\ntwo\nB\nCMD x\n",
                vec![("A", "one\n", false, false, false), ("B", "two\n", false, false, false)],
                "CMD",
                7,
            ),
            (
                "FROM x\nRUN 3<<EOF cat /dev/fd/3\nhi\nEOF\nCMD x\n",
                vec![("EOF", "hi\n", false, false, false)],
                "CMD",
                5,
            ),
            ("FROM x\nRUN <<EOF\nEOF\nCMD x\n", vec![("EOF", "", false, false, false)], "CMD", 4),
            (
                "FROM x\nRUN --mount=type=cache,target=/c <<EOF\nls\nEOF\nCMD x\n",
                vec![("EOF", "ls\n", false, false, false)],
                "CMD",
                5,
            ),
            (
                "FROM x\nRUN python3 <<EOF \\\n  && echo done\nprint(1)\nEOF\nCMD x\n",
                vec![("EOF", "print(1)\n", false, false, false)],
                "CMD",
                6,
            ),
            (
                "FROM x\nRUN cat <<EOF\n  EOF\nEOF\nCMD x\n",
                vec![("EOF", "  EOF\n", false, false, false)],
                "CMD",
                5,
            ),
            (
                "FROM x\nRUN cat <<EOF\n# not a comment\n\nRUN not an instruction \\\nEOF\nCMD x\n",
                vec![("EOF", "# not a comment\n\nRUN not an instruction \\\n", false, false, false)],
                "CMD",
                7,
            ),
            (
                "FROM x\nONBUILD RUN <<EOF\necho\nEOF\nCMD x\n",
                vec![("EOF", "echo\n", false, false, false)],
                "CMD",
                5,
            ),
            // Not heredocs: quoted, arithmetic, exec form, other instructions, here-strings.
            ("FROM x\nRUN echo \"<<EOF\" '<<EOF'\nCMD x\n", vec![], "CMD", 3),
            ("FROM x\nRUN echo $((1<<2)) $((1 << 2))\nCMD x\n", vec![], "CMD", 3),
            ("FROM x\nRUN [\"sh\", \"-c\", \"cat <<EOF\"]\nCMD x\n", vec![], "CMD", 3),
            ("FROM x\nLABEL a=\"<<EOF\"\nCMD x\n", vec![], "CMD", 3),
            ("FROM x\nRUN cat <<<\"word\"\nCMD x\n", vec![], "CMD", 3),
        ];
        for (src, want, next_kw, next_line) in rows {
            let d = ok(src);
            let ins = &d.instructions[1];
            let got: Vec<(&str, &str, bool, bool, bool)> = ins
                .heredocs
                .iter()
                .map(|h| (h.delimiter.as_str(), h.body.as_str(), h.strip_tabs, h.quoted, h.spaced))
                .collect();
            assert_eq!(got, want, "{src}");
            let last = d.instructions.last().unwrap();
            assert_eq!((last.keyword.as_str(), last.line), (next_kw, next_line), "{src}");
            if let Some(inner) = &ins.onbuild {
                assert_eq!(inner.heredocs, ins.heredocs);
            }
        }
    }

    #[test]
    fn heredoc_lines_and_command_text() {
        let d = ok("FROM x\nRUN <<EOF\nnpm ci\nnpm run build\nEOF\n");
        let h = &d.instructions[1].heredocs[0];
        assert_eq!((h.line, h.end_line), (3, 5));
        assert_eq!(d.instructions[1].end_line, 5);
        assert_eq!(d.instructions[1].command_text(), "<<EOF\nnpm ci\nnpm run build\n");
        let d = ok("FROM x\nCOPY --chmod=755 <<-\"EOT\" /usr/local/bin/start.sh\n\t#!/bin/sh\n\texec node server.js\n\tEOT\n");
        assert_eq!(d.instructions[1].copy_parts(), Some((vec![s("<<EOT")], s("/usr/local/bin/start.sh"))));
        assert_eq!(d.instructions[1].flag("chmod"), Some("755"));
        let d = ok("FROM x\nCOPY << EOF /etc/conf\nk=v\nEOF\n");
        assert_eq!(d.instructions[1].copy_parts(), Some((vec![s("<<EOF")], s("/etc/conf"))));
    }

    #[test]
    fn continuation_table() {
        let rows: &[(&str, &str, usize, usize)] = &[
            ("FROM x\nRUN a \\\n    b\n", "a     b", 2, 3),
            ("FROM x\nRUN a\\\nb\n", "ab", 2, 3),
            ("FROM x\nRUN a \\  \t\n  b\n", "a   b", 2, 3),
            ("FROM x\nRUN a \\\n# comment\n  # indented comment \\\n\n  b \\\n  c\n", "a   b   c", 2, 7),
            ("FROM x\nRUN echo a\\\\\nCMD y\n", "echo a\\\\", 2, 2),
            ("FROM x\nRUN \\\n  npm ci\n", "npm ci", 2, 3),
            ("FROM x\nRUN a \\\r\n  b\r\n", "a   b", 2, 3),
            ("FROM x\nRUN a \\\n", "a", 2, 2),
            ("FROM x\nRUN echo # not a comment\n", "echo # not a comment", 2, 2),
        ];
        for &(src, text, line, end) in rows {
            let d = ok(src);
            let ins = &d.instructions[1];
            assert_eq!((ins.command_text().as_str(), ins.line, ins.end_line), (text, line, end), "{src:?}");
        }
    }

    /// A plain word is copied rather than lexed: the copy is exactly what the lexer gives, for
    /// every kind of word (quotes, escapes, `$`, backticks, non-ASCII, blanks).
    #[test]
    fn plain_words_are_what_the_lexer_gives() {
        let alphabet: Vec<char> = "ab Z_09'\"$\\`{}:-=/.é\t".chars().collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let lookup = |n: &str| (n == "a").then(|| "A".to_string());
        let lexed = |w: &str, esc: char, raw: bool, keep: bool| {
            let mut lx = Lexer::new(w, esc, raw, Some(&lookup));
            lx.keep_unset = keep;
            lx.word(&[]).map(|(w, _)| w)
        };
        let mut plain_seen = 0;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 9) as usize;
            let w: String = (0..len).map(|k| alphabet[((seed >> (k * 5 + 8)) % alphabet.len() as u64) as usize]).collect();
            for esc in ['\\', '`'] {
                plain_seen += usize::from(!w.contains(['\'', '"', '$', esc]));
                assert_eq!(process_word(&w, esc, Some(&lookup)), lexed(&w, esc, false, false), "{w:?}");
                assert_eq!(expand_known(&w, esc, &lookup), lexed(&w, esc, false, true), "{w:?}");
                let names = RefCell::new(Vec::new());
                let record = |n: &str| {
                    names.borrow_mut().push(n.to_string());
                    None
                };
                let _ = Lexer::new(&w, esc, false, Some(&record)).word(&[]);
                assert_eq!(referenced_names(&w, esc), names.into_inner(), "{w:?}");
            }
            assert_eq!(substitute(&w, &lookup), lexed(&w, '\\', true, false).unwrap_or_else(|_| w.clone()), "{w:?}");
        }
        assert!(plain_seen > 1000, "{plain_seen}");
    }

    #[test]
    fn backtick_escape_and_invalid_json_fallback() {
        let d = ok("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\nCMD [\"unclosed\nENV P=C:\\path `\n  Q=2\n");
        assert_eq!(d.escape, '`');
        assert_eq!(d.instructions[1].command_text(), "dir   c:\\");
        assert_eq!(d.instructions[1].end_line, 4);
        assert!(matches!(d.instructions[2].args, Args::Shell(_)));
        assert_eq!(d.instructions[3].key_values(), vec![(s("P"), Some(s("C:\\path"))), (s("Q"), Some(s("2")))]);
        // With the backtick escape a trailing backslash is an ordinary character.
        let d = ok("# escape=`\nFROM x\nRUN echo \\\nCMD y\n");
        assert_eq!(d.instructions.len(), 3);
    }

    #[test]
    fn directive_table() {
        let d = ok("#syntax = docker/dockerfile:1.7\n# ESCAPE=`\n# check=skip=all\n# other=1\n# escape=\\\nFROM x\n");
        assert_eq!(d.directives.len(), 3);
        assert_eq!(d.escape, '`');
        // A directive after an empty line, a comment or an instruction is a comment.
        let d = ok("\n# escape=`\nFROM x\nRUN a \\\n b\n");
        assert!(d.directives.is_empty());
        assert_eq!(d.instructions[1].command_text(), "a  b");
        let d = ok("# hello\n# syntax=x\nFROM x\n");
        assert!(d.directives.is_empty());
        let d = ok("\u{feff}# syntax=x\nFROM x\n");
        assert_eq!(d.directives.len(), 1);
        assert_eq!(error_lines("# escape=x\nFROM x\n"), vec![1]);
        assert_eq!(error_lines("# syntax=a\n# syntax=b\nFROM x\n"), vec![2]);
    }

    #[test]
    fn exec_and_shell_forms() {
        let rows: &[(&str, Args)] = &[
            ("CMD [\"node\", \"server.js\"]", Args::Exec(vec![s("node"), s("server.js")])),
            ("CMD   [ \"a\" ]  ", Args::Exec(vec![s("a")])),
            ("ENTRYPOINT []", Args::Exec(vec![])),
            ("CMD ['single', 'quotes']", Args::Shell(s("['single', 'quotes']"))),
            ("CMD [\"a\",]", Args::Shell(s("[\"a\",]"))),
            ("CMD [\"a\"] && b", Args::Shell(s("[\"a\"] && b"))),
            ("CMD node server.js", Args::Shell(s("node server.js"))),
            (
                "RUN [\"sh\", \"-c\", \"echo \\\"hi\\\"\"]",
                Args::Exec(vec![s("sh"), s("-c"), s("echo \"hi\"")]),
            ),
            ("VOLUME [\"/data\"]", Args::Exec(vec![s("/data")])),
            ("COPY [\"a\", \"b\"]", Args::Exec(vec![s("a"), s("b")])),
            (
                "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]",
                Args::Exec(vec![s("/bin/bash"), s("-o"), s("pipefail"), s("-c")]),
            ),
            ("WORKDIR [\"/app\"]", Args::Shell(s("[\"/app\"]"))),
        ];
        for (line, want) in rows {
            let d = ok(&format!("FROM x\n{line}\n"));
            assert_eq!(&d.instructions[1].args, want, "{line}");
        }
        assert_eq!(error_lines("FROM x\nCMD [1, \"a\"]\n"), vec![2]);
        assert_eq!(error_lines("FROM x\nSHELL /bin/bash -c\n"), vec![2]);
    }

    #[test]
    fn flag_table() {
        let d = ok(concat!(
            "FROM --platform=$BUILDPLATFORM node:20 AS b\n",
            "COPY --from=b --chown=node:node --chmod=644 --link a /b\n",
            "RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=npmrc --network=none --security=insecure npm ci\n",
            "HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --start-interval=1s --retries=3 CMD [\"curl\", \"-f\", \"http://localhost\"]\n",
            "ADD --checksum=sha256:abc --keep-git-dir=true https://x/y.tgz /z\n",
            "RUN --mount=\"type=bind,source=a b,target=/c\" -- --not-a-flag\n",
            "COPY --exclude=*.md -- --weird /dst\n",
        ));
        let i = &d.instructions;
        assert_eq!(d.stages[0].platform.as_deref(), Some("$BUILDPLATFORM"));
        assert_eq!(i[1].flag("link"), Some(""));
        assert_eq!(i[1].flags.len(), 4);
        assert_eq!(i[1].copy_parts(), Some((vec![s("a")], s("/b"))));
        assert_eq!(i[2].flag_values("mount"), vec!["type=cache,target=/root/.npm", "type=secret,id=npmrc"]);
        assert_eq!((i[2].flag("network"), i[2].flag("security")), (Some("none"), Some("insecure")));
        assert_eq!(i[2].command_text(), "npm ci");
        assert_eq!(i[3].flag("start-period"), Some("30s"));
        assert_eq!(i[3].args, Args::Exec(vec![s("curl"), s("-f"), s("http://localhost")]));
        assert_eq!(i[4].flag("checksum"), Some("sha256:abc"));
        assert_eq!(i[5].flag("mount"), Some("type=bind,source=a b,target=/c"));
        assert_eq!(i[5].command_text(), "--not-a-flag");
        assert_eq!(i[6].copy_parts(), Some((vec![s("--weird")], s("/dst"))));
        assert!(i[0].flag("missing").is_none());
    }

    #[test]
    fn healthcheck_forms() {
        let d = ok("FROM x\nHEALTHCHECK NONE\nhealthcheck cmd curl -f localhost\n");
        assert_eq!(d.instructions[1].subcommand.as_deref(), Some("NONE"));
        assert_eq!(d.instructions[1].command_text(), "");
        assert_eq!(d.instructions[2].subcommand.as_deref(), Some("CMD"));
        assert_eq!(d.instructions[2].command_text(), "curl -f localhost");
        assert_eq!(
            error_lines("FROM x\nHEALTHCHECK\nHEALTHCHECK NONE x\nHEALTHCHECK CMD\nHEALTHCHECK PING x\n"),
            vec![2, 3, 4, 5]
        );
    }

    #[test]
    fn env_arg_label_pairs() {
        type Row = (&'static str, Vec<(&'static str, Option<&'static str>)>);
        let rows: &[Row] = &[
            (
                "ENV A=1 B=\"two words\" C='single $X' D=a\\ b",
                vec![("A", Some("1")), ("B", Some("two words")), ("C", Some("single $X")), ("D", Some("a b"))],
            ),
            (
                "ENV PATH=\"/app/node_modules/.bin:$PATH\"",
                vec![("PATH", Some("/app/node_modules/.bin:$PATH"))],
            ),
            ("ENV LEGACY some value", vec![("LEGACY", Some("some value"))]),
            ("ENV LEGACY \"quoted value\"", vec![("LEGACY", Some("quoted value"))]),
            ("ENV E=", vec![("E", Some(""))]),
            ("ARG A", vec![("A", None)]),
            ("ARG A=1 B", vec![("A", Some("1")), ("B", None)]),
            ("ARG V=\"${X:-d}\"", vec![("V", Some("${X:-d}"))]),
            (
                "LABEL org.opencontainers.image.title=\"My App\" version=1",
                vec![("org.opencontainers.image.title", Some("My App")), ("version", Some("1"))],
            ),
            ("RUN A=1", vec![]),
        ];
        for (line, want) in rows {
            let d = ok(&format!("FROM x\n{line}\n"));
            let got = d.instructions[1].key_values();
            let want: Vec<(String, Option<String>)> = want.iter().map(|(k, v)| (s(k), v.map(s))).collect();
            assert_eq!(got, want, "{line}");
        }
        assert_eq!(
            error_lines("FROM x\nENV ONLY\nENV A=1 B\nENV\nARG\nENV A=\"unterminated\n"),
            vec![2, 3, 4, 5, 6]
        );
    }

    #[test]
    fn stages_are_bounded() {
        let mut src = String::from("FROM node:20 AS s0\n");
        for i in 0..1000 {
            src.push_str(&format!("FROM s{i} AS s{}\nENV A{i}=1\n", i + 1));
        }
        let d = parse(&src);
        assert_eq!(d.stages.len(), MAX_STAGES);
        assert!(d
            .errors
            .iter()
            .any(|e| e.message.contains("more than 256 build stages") && e.line == 2 * MAX_STAGES));
        let _ = d.env_before(d.instructions.len() - 1);
    }

    #[test]
    fn arg_scope_and_stage_env() {
        let d = ok(concat!(
            "ARG NODE_VERSION=20\n",
            "ARG BASE=node:${NODE_VERSION}-alpine\n",
            "ARG APP_DIR=/app\n",
            "ARG NO_DEFAULT\n",
            "FROM ${BASE} AS deps\n",
            "ENV DIR=$APP_DIR\n",
            "ARG APP_DIR\n",
            "ENV DIR2=$APP_DIR NODE_ENV=production\n",
            "FROM deps AS build\n",
            "ARG PORT=3000\n",
            "ENV URL=http://localhost:${PORT}/ X=${NODE_ENV:+yes} Y=${UNSET:-fallback} Z=${NODE_ENV-no}\n",
            "ENV A=1 B=$A\n",
            "ENV P=\"/pnpm:$PATH:${NOPE}:${NOPE:-/x}\"\n",
            "FROM node:${NODE_VERSION}-slim\n",
            "ENV NODE_ENV=dev\n",
            "FROM node:${NO_DEFAULT}\n",
        ));
        assert_eq!(d.global_args[1], (s("BASE"), Some(s("node:20-alpine")), 2));
        assert_eq!(d.global_args[3], (s("NO_DEFAULT"), None, 4));
        assert_eq!(d.stages[0].base_resolved, "node:20-alpine");
        assert_eq!(d.stages[2].base_resolved, "node:20-slim");
        assert_eq!(d.stages[2].from_stage, None);
        let e0 = d.stage_env(0);
        assert_eq!(
            e0.get("DIR").map(String::as_str),
            Some("$APP_DIR"),
            "global ARG not visible before re-declaration"
        );
        assert_eq!(e0.get("DIR2").map(String::as_str), Some("/app"));
        assert_eq!(e0.get("APP_DIR").map(String::as_str), Some("/app"));
        let e1 = d.stage_env(1);
        assert_eq!(
            e1.get("NODE_ENV").map(String::as_str),
            Some("production"),
            "ENV inherited from the parent stage"
        );
        assert_eq!(e1.get("APP_DIR"), None, "ARGs are not inherited");
        assert_eq!(e1.get("URL").map(String::as_str), Some("http://localhost:3000/"));
        assert_eq!(e1.get("X").map(String::as_str), Some("yes"));
        assert_eq!(e1.get("Y").map(String::as_str), Some("fallback"));
        assert_eq!(e1.get("Z").map(String::as_str), Some("production"));
        assert_eq!(e1.get("B").map(String::as_str), Some("$A"), "one ENV sees the environment from before it");
        assert_eq!(d.stages[3].base_resolved, "node:${NO_DEFAULT}");
        assert_eq!(e1.get("P").map(String::as_str), Some("/pnpm:$PATH:${NOPE}:/x"));
        assert_eq!(d.stage_env(2).get("NODE_ENV").map(String::as_str), Some("dev"));
        let url = d.instructions.iter().position(|i| i.text.contains("URL=")).unwrap();
        assert_eq!(d.env_before(url).get("PORT").map(String::as_str), Some("3000"));
        assert_eq!(d.env_before(url).get("URL"), None);
    }

    #[test]
    fn stages_and_names() {
        let d = ok("FROM node:20 as Deps\nFROM deps AS build\nFROM scratch\nCOPY --from=build /a /b\nCOPY --from=0 /c /d\nCOPY --from=nginx:latest /e /f\n");
        assert_eq!(d.stages[0].name.as_deref(), Some("Deps"));
        assert_eq!(d.stages[1].from_stage, Some(0));
        assert_eq!(d.stage_by_name("DEPS").map(|s| s.index), Some(0));
        assert_eq!(d.stage_by_name("1").map(|s| s.index), Some(1));
        assert!(d.stage_by_name("nope").is_none());
        assert_eq!(d.final_stage().map(|s| s.index), Some(2));
        assert_eq!(d.stages[2].instructions, vec![2, 3, 4, 5]);
        let from = |i: usize| d.from_stage_of(&d.instructions[i]).map(|s| s.index);
        assert_eq!((from(3), from(4), from(5)), (Some(1), Some(0), None));
        assert!(d.instructions.iter().all(|i| i.stage.is_some()));
    }

    #[test]
    fn lowercase_keywords_and_onbuild() {
        let d = ok("from node:20 as base\nrun npm ci\nonbuild copy . /app\nOnBuild Run <<EOF\necho\nEOF\ncmd [\"a\"]\n");
        let kws: Vec<&str> = d.instructions.iter().map(|i| i.keyword.as_str()).collect();
        assert_eq!(kws, vec!["FROM", "RUN", "ONBUILD", "ONBUILD", "CMD"]);
        let inner = d.instructions[2].onbuild.as_deref().unwrap();
        assert_eq!(inner.copy_parts(), Some((vec![s(".")], s("/app"))));
        assert_eq!(d.instructions[3].heredocs.len(), 1);
        assert_eq!(d.instructions[4].line, 7);
        assert_eq!(
            error_lines("FROM x\nONBUILD ONBUILD RUN x\nONBUILD FROM y\nONBUILD\nONBUILD BOGUS\n"),
            vec![2, 3, 4, 5]
        );
    }

    #[test]
    fn substitution_forms() {
        let look = |n: &str| match n {
            "A" => Some(s("a")),
            "E" => Some(String::new()),
            "P" => Some(s("dir/sub/file.tar.gz")),
            _ => None,
        };
        assert_eq!(
            substitute("$A-${A}-${B:-d}-${E:-e}-${E-x}-${A:+p}-${B:+q}-${A+r}-${B+s}-${E+t}", &look),
            "a-a-d-e--p--r--t"
        );
        assert_eq!(substitute("${B:-${A}x}|${B:-${B:-deep}}", &look), "ax|deep");
        assert_eq!(substitute("'$A' \"$A\" \\$A $ $1 $(cmd)", &look), "'$A' \"a\" \\$A $  $(cmd)");
        assert_eq!(substitute("${unclosed", &look), "${unclosed");
        assert_eq!(
            substitute("${P#*/}|${P##*/}|${P%.*}|${P%%.*}|${P/sub/X}|${P//[.]/_}|${P//./_}", &look),
            "sub/file.tar.gz|file.tar.gz|dir/sub/file.tar|dir/sub/file|dir/X/file.tar.gz|dir/sub/file.tar.gz|dir/sub/file_tar_gz"
        );
        assert_eq!(process_word("\"$A b\"'$A'\\$A", '\\', Some(&look)), Ok(s("a b$A$A")));
        assert_eq!(process_word("${A", '\\', Some(&look)), Err(s("syntax error: missing '}'")));
        assert!(process_word("${B:?needs B}", '\\', Some(&look)).unwrap_err().contains("needs B"));
        assert!(process_word("${B?}", '\\', Some(&look)).is_err());
        assert_eq!(process_word("${E?}", '\\', Some(&look)), Ok(String::new()));
        assert_eq!(process_word("${A:?}", '\\', Some(&look)), Ok(s("a")));
        assert!(process_word("${A:x}", '\\', Some(&look)).is_err());
        assert_eq!(process_word("keep ${A:-x} $A", '\\', None), Ok(s("keep ${A:-x} $A")));
        let deep = format!("{}x{}", "${A:-".repeat(200), "}".repeat(200));
        assert!(process_word(&deep, '\\', Some(&look)).is_err());
    }

    #[test]
    fn errors_have_lines_and_parsing_goes_on() {
        let d = parse("RUN echo before\nFROM node\nBOGUS x\nRUN <<EOF\nnpm ci\n");
        let lines: Vec<usize> = d.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 3, 4], "{:?}", d.errors);
        assert_eq!(d.errors[2].message, "heredoc `<<EOF` is not terminated; it runs to the end of the file");
        let last = d.instructions.last().unwrap();
        assert_eq!(last.heredocs[0].body, "npm ci\n");
        assert!(!last.heredocs[0].terminated);
        assert_eq!(last.end_line, 5);
        assert_eq!(d.instructions.len(), 3);
        assert_eq!(d.instructions[0].stage, None);

        let rows: &[(&str, Vec<usize>)] = &[
            ("FROM\nRUN x\n", vec![1]),
            ("FROM a b\n", vec![1]),
            ("FROM a AS b c\n", vec![1]),
            ("FROM a AS 1bad\n", vec![1]),
            ("FROM a AS x\nFROM b AS X\n", vec![2]),
            ("FROM ${X:?nobase}\n", vec![1]),
            ("FROM node:${V\n", vec![1]),
            ("FROM $UNDECLARED\n", vec![1]),
            ("ARG BASE\nFROM $BASE\n", vec![]),
            ("FROM --platform=$TARGETPLATFORM $TARGETOS\n", vec![]),
            ("FROM x\nCOPY onlyone\nADD\n", vec![2, 3]),
            ("FROM x\nWORKDIR\nUSER\nEXPOSE\n", vec![2, 3, 4]),
            ("ENV A=1\nFROM x\n", vec![1]),
            ("", vec![1]),
            ("# just a comment\n\n", vec![2]),
            ("ARG A=1\n", vec![1]),
            ("FROM x\nRUN a\nfoo bar\nRUN b\n", vec![3]),
            ("FROM x\nCOPY <<EOF /a\nx\n", vec![2]),
            ("FROM x\nRUN <<A <<B\na\nA\nb\n", vec![2]),
        ];
        for (src, want) in rows {
            assert_eq!(&error_lines(src), want, "{src:?}: {:?}", parse(src).errors);
        }
        // Parsing goes on after an unknown line.
        let d = parse("FROM x\nRUN a\nfoo bar\nRUN b\n");
        assert_eq!(d.instructions.len(), 3);
    }

    #[test]
    fn copy_parts_forms() {
        type Row = (&'static str, Option<(Vec<&'static str>, &'static str)>);
        let rows: &[Row] = &[
            ("COPY package.json yarn.lock* ./", Some((vec!["package.json", "yarn.lock*"], "./"))),
            ("COPY --from=builder /app/.next/standalone ./", Some((vec!["/app/.next/standalone"], "./"))),
            ("ADD [\"src dir\", \"/dst\"]", Some((vec!["src dir"], "/dst"))),
            ("COPY \"quoted\" ${APP_DIR}/", Some((vec!["quoted"], "${APP_DIR}/"))),
            ("COPY <<EOF /app/a.txt\nhi\nEOF", Some((vec!["<<EOF"], "/app/a.txt"))),
            ("RUN x y", None),
        ];
        for (line, want) in rows {
            let d = ok(&format!("FROM x\n{line}\n"));
            let want = want.as_ref().map(|(a, b)| (a.iter().map(|x| s(x)).collect::<Vec<_>>(), s(b)));
            assert_eq!(d.instructions[1].copy_parts(), want, "{line}");
        }
    }

    #[test]
    fn no_panic_on_mangled_input() {
        let mut inputs: Vec<String> = vec![DF.to_string()];
        inputs.push(
            "# escape=`\nARG A=${B:-${C#x}}\nFROM ${A} as a\nRUN x `\n  y\nCOPY <<-'E' <<F /d\n\tz\n\tE\nF\nHEALTHCHECK CMD [\"a\"]\nONBUILD RUN <<Q\nQ\n"
                .into(),
        );
        inputs
            .push("FROM x\nENV A=\"b\\\"c\" D='e' F=${G/h/i} J=${K//*/l}\nRUN cat << 'EOF' > f\n$((1 << 2))\nEOF\nCOPY --chown=\"a b\" [\"x\", 1] y\n".into());
        let flips = b"\\`<'\"[]{}$\n#-=\t ";
        for src in &inputs {
            for i in 0..=src.len() {
                if src.is_char_boundary(i) {
                    let d = parse(&src[..i]);
                    for (n, ins) in d.instructions.iter().enumerate() {
                        let _ = (ins.copy_parts(), ins.command_text(), ins.key_values(), d.env_before(n), d.from_stage_of(ins));
                    }
                    for st in 0..d.stages.len() {
                        let _ = d.stage_env(st);
                    }
                }
                let mut b = src.as_bytes().to_vec();
                if let Some(x) = b.get_mut(i) {
                    *x = flips[i % flips.len()];
                    let d = parse(&String::from_utf8_lossy(&b));
                    for st in 0..d.stages.len() {
                        let _ = d.stage_env(st);
                    }
                }
            }
        }
        // Pathological shapes.
        let _ = parse(&"\\\n".repeat(5000));
        let _ = parse(&format!("FROM x\nRUN {}\n", "<<A ".repeat(2000)));
        let _ = parse(&format!("FROM x\nENV A={}\n", "${B:-".repeat(5000)));
        let _ = substitute(&format!("${{P//{}/x}}", "*".repeat(300)), &|_| Some("a".repeat(3000)));
    }
}
