//! Prisma schema (`schema.prisma`): datasources, generators and model names, with lines; and
//! `prisma.config.ts` read as text. Hand-written tokenizer and parser: the schema language is
//! small, and no maintained crate reads it with positions. Nothing is ever run.

/// A value on the right of `key = value`.
#[derive(Debug, Clone, PartialEq)]
pub enum PValue {
    /// `"text"` (escapes decoded).
    Str(String),
    /// `env("NAME")`
    Env(String),
    /// `[a, b]`
    Array(Vec<PValue>),
    Bool(bool),
    /// A bare word (`postgresql`, `native`).
    Ident(String),
    /// Anything else: numbers, other function calls (`fn(...)`).
    Other(String),
}

/// A `datasource NAME { ... }` block.
#[derive(Debug, Clone)]
pub struct Datasource {
    pub name: String,
    pub line: usize,
    pub provider: Option<(String, usize)>,
    pub url: Option<(PValue, usize)>,
    pub direct_url: Option<(PValue, usize)>,
    pub relation_mode: Option<String>,
    /// `shadowDatabaseUrl`
    pub shadow_database_url: Option<(PValue, usize)>,
    /// `schemas = [...]` (multi-schema).
    pub schemas: Vec<String>,
}

/// A `generator NAME { ... }` block.
#[derive(Debug, Clone)]
pub struct Generator {
    pub name: String,
    pub line: usize,
    pub provider: Option<(String, usize)>,
    pub output: Option<(String, usize)>,
    /// The string entries of `binaryTargets` (a single string counts as one).
    pub binary_targets: Option<(Vec<String>, usize)>,
    pub engine_type: Option<(String, usize)>,
    pub preview_features: Vec<String>,
    /// `runtime` of the `prisma-client` generator (nodejs, bun, deno, workerd, …).
    pub runtime: Option<(String, usize)>,
    /// `moduleFormat` of the `prisma-client` generator (esm, cjs).
    pub module_format: Option<(String, usize)>,
}

/// A parsed schema. Errors carry 1-based lines; everything readable is kept.
#[derive(Debug, Clone, Default)]
pub struct PrismaSchema {
    pub datasources: Vec<Datasource>,
    pub generators: Vec<Generator>,
    /// `model` and `view` names with their lines.
    pub models: Vec<(String, usize)>,
    /// `enum` names with their lines.
    pub enums: Vec<(String, usize)>,
    pub errors: Vec<(usize, String)>,
}

/// Nesting limit for arrays and calls in values.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    Punct(char),
    Newline,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

/// Split a schema into tokens. `//`, `///` and `/* */` comments are dropped; a string that reaches the end
/// of its line is an error and ends there.
fn tokenize(src: &str, errors: &mut Vec<(usize, String)>) -> Vec<Token> {
    let mut out = Vec::new();
    let mut line = 1usize;
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                out.push(Token { tok: Tok::Newline, line });
                line += 1;
            }
            c if c.is_whitespace() || c == '\u{feff}' => {}
            '/' if chars.peek() == Some(&'/') => {
                while chars.peek().is_some_and(|&n| n != '\n') {
                    chars.next();
                }
            }
            // Block comments (`/* … */`, Prisma 6+): dropped, their line breaks kept.
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let start = line;
                let mut closed = false;
                let mut prev = '\0';
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push(Token { tok: Tok::Newline, line });
                        line += 1;
                    }
                    if prev == '*' && n == '/' {
                        closed = true;
                        break;
                    }
                    prev = n;
                }
                if !closed {
                    errors.push((start, "unterminated block comment".into()));
                }
            }
            '"' => {
                let mut s = String::new();
                let mut closed = false;
                while let Some(&n) = chars.peek() {
                    if n == '\n' {
                        break;
                    }
                    chars.next();
                    match n {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match chars.peek().copied() {
                            Some('\n') | None => s.push('\\'),
                            Some(e) => {
                                chars.next();
                                s.push(match e {
                                    'n' => '\n',
                                    't' => '\t',
                                    'r' => '\r',
                                    other => other,
                                });
                            }
                        },
                        other => s.push(other),
                    }
                }
                if !closed {
                    errors.push((line, "unterminated string".into()));
                }
                out.push(Token { tok: Tok::Str(s), line });
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut s = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_alphanumeric() || n == '_' || n == '-' {
                        s.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token { tok: Tok::Ident(s), line });
            }
            c if c.is_ascii_digit() || (c == '-' && chars.peek().is_some_and(char::is_ascii_digit)) => {
                let mut s = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '.' {
                        s.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token { tok: Tok::Num(s), line });
            }
            other => out.push(Token { tok: Tok::Punct(other), line }),
        }
    }
    out
}

struct Parser<'a> {
    toks: &'a [Token],
    i: usize,
    errors: Vec<(usize, String)>,
}

/// A short printable form of a token for messages.
fn show(t: &Tok) -> String {
    match t {
        Tok::Ident(s) | Tok::Num(s) => s.chars().take(40).collect(),
        Tok::Str(_) => "a string".into(),
        Tok::Punct(c) => c.to_string(),
        Tok::Newline => "end of line".into(),
    }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.i)
    }

    fn peek_tok(&self) -> Option<&'a Tok> {
        self.peek().map(|t| &t.tok)
    }

    fn line(&self) -> usize {
        self.peek().or_else(|| self.toks.last()).map_or(1, |t| t.line)
    }

    fn skip_newlines(&mut self) {
        while self.peek_tok() == Some(&Tok::Newline) {
            self.i += 1;
        }
    }

    /// Skip the rest of a line, stopping before a `}` that closes the enclosing block.
    fn skip_line(&mut self) {
        let mut depth = 0usize;
        while let Some(t) = self.peek_tok() {
            match t {
                Tok::Newline if depth == 0 => return,
                Tok::Punct('}') if depth == 0 => return,
                Tok::Punct('{' | '[' | '(') => depth += 1,
                Tok::Punct('}' | ']' | ')') => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.i += 1;
        }
    }

    /// Skip a block body after its `{`; true when its `}` was found.
    fn skip_block(&mut self) -> bool {
        let mut depth = 1usize;
        while let Some(t) = self.peek_tok() {
            self.i += 1;
            match t {
                Tok::Punct('{') => depth += 1,
                Tok::Punct('}') => {
                    depth -= 1;
                    if depth == 0 {
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// One value: string, `env("X")`, other call, array, bool, word, number.
    fn value(&mut self, depth: usize) -> PValue {
        if depth > MAX_DEPTH {
            self.errors.push((self.line(), "value nested too deeply".into()));
            while self.peek_tok().is_some_and(|t| *t != Tok::Newline) {
                self.i += 1;
            }
            return PValue::Other(String::new());
        }
        let Some(t) = self.peek().cloned() else {
            self.errors.push((self.line(), "expected a value".into()));
            return PValue::Other(String::new());
        };
        match t.tok {
            Tok::Str(s) => {
                self.i += 1;
                PValue::Str(s)
            }
            Tok::Num(n) => {
                self.i += 1;
                PValue::Other(n)
            }
            Tok::Punct('[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_newlines();
                    match self.peek_tok() {
                        Some(Tok::Punct(']')) => {
                            self.i += 1;
                            break;
                        }
                        Some(Tok::Punct(',')) => self.i += 1,
                        None | Some(Tok::Punct('}')) => {
                            self.errors.push((t.line, "unterminated array `[`".into()));
                            break;
                        }
                        Some(_) => {
                            let before = self.i;
                            items.push(self.value(depth + 1));
                            if self.i == before {
                                self.i += 1;
                            }
                        }
                    }
                }
                PValue::Array(items)
            }
            Tok::Ident(name) => {
                self.i += 1;
                if self.peek_tok() == Some(&Tok::Punct('(')) {
                    self.i += 1;
                    let mut args = Vec::new();
                    loop {
                        self.skip_newlines();
                        match self.peek_tok() {
                            Some(Tok::Punct(')')) => {
                                self.i += 1;
                                break;
                            }
                            Some(Tok::Punct(',')) => self.i += 1,
                            None | Some(Tok::Punct('}')) => {
                                self.errors.push((t.line, format!("unclosed call `{}(`", show(&Tok::Ident(name.clone())))));
                                break;
                            }
                            Some(Tok::Ident(_)) if self.toks.get(self.i + 1).map(|n| &n.tok) == Some(&Tok::Punct(':')) => {
                                // A named argument: `pgvector(map: "vector")`.
                                self.i += 2;
                            }
                            Some(_) => {
                                let before = self.i;
                                args.push(self.value(depth + 1));
                                if self.i == before {
                                    self.i += 1;
                                }
                            }
                        }
                    }
                    return match (name.as_str(), args.as_slice()) {
                        ("env", [PValue::Str(s)]) => PValue::Env(s.clone()),
                        _ => PValue::Other(format!("{name}(...)")),
                    };
                }
                match name.as_str() {
                    "true" => PValue::Bool(true),
                    "false" => PValue::Bool(false),
                    _ => PValue::Ident(name),
                }
            }
            other => {
                self.errors.push((t.line, format!("expected a value, found `{}`", show(&other))));
                PValue::Other(String::new())
            }
        }
    }

    /// The body of a datasource or generator after `{`: `key = value` lines. Returns the pairs
    /// and whether the block was closed.
    fn key_values(&mut self, kw: &str, name: &str) -> (Vec<(String, PValue, usize)>, bool) {
        let mut kv = Vec::new();
        loop {
            self.skip_newlines();
            let Some(t) = self.peek().cloned() else { return (kv, false) };
            match t.tok {
                Tok::Punct('}') => {
                    self.i += 1;
                    return (kv, true);
                }
                Tok::Ident(key) if self.toks.get(self.i + 1).map(|n| &n.tok) == Some(&Tok::Punct('=')) => {
                    self.i += 2;
                    let v = self.value(0);
                    kv.push((key, v, t.line));
                    match self.peek_tok() {
                        None | Some(Tok::Newline) | Some(Tok::Punct('}')) => {}
                        Some(other) => {
                            let msg = format!("unexpected `{}` after the value of `{}`", show(other), kv.last().map_or("", |k| k.0.as_str()));
                            self.errors.push((self.line(), msg));
                            self.skip_line();
                        }
                    }
                }
                _ => {
                    self.errors.push((t.line, format!("expected `key = value` in {kw} `{name}`")));
                    self.skip_line();
                }
            }
        }
    }
}

fn as_string(v: &PValue) -> Option<String> {
    match v {
        PValue::Str(s) | PValue::Ident(s) => Some(s.clone()),
        _ => None,
    }
}

fn list(v: &PValue) -> Vec<String> {
    match v {
        PValue::Array(a) => a.iter().filter_map(as_string).collect(),
        other => as_string(other).into_iter().collect(),
    }
}

/// Parse a schema. Never panics; errors carry lines: an unclosed block (the line of its
/// opening), an unterminated string, a line that is not `key = value` inside a datasource or
/// generator, anything outside a block.
pub fn parse(src: &str) -> PrismaSchema {
    let mut out = PrismaSchema::default();
    let toks = tokenize(src, &mut out.errors);
    let mut p = Parser {
        toks: &toks,
        i: 0,
        errors: Vec::new(),
    };
    loop {
        p.skip_newlines();
        let Some(t) = p.peek().cloned() else { break };
        let kw = match &t.tok {
            Tok::Ident(k) if matches!(k.as_str(), "datasource" | "generator" | "model" | "enum" | "view" | "type") => k.clone(),
            other => {
                p.errors.push((t.line, format!("unexpected `{}` outside a block", show(other))));
                // Skip the line, and a block it opens, so one typo gives one error.
                p.skip_line();
                if p.peek_tok() == Some(&Tok::Punct('}')) {
                    p.i += 1;
                }
                continue;
            }
        };
        p.i += 1;
        let name = match p.peek_tok() {
            Some(Tok::Ident(n)) => {
                let n = n.clone();
                p.i += 1;
                n
            }
            _ => {
                p.errors.push((t.line, format!("`{kw}` needs a name")));
                String::new()
            }
        };
        // `type Alias = Int` (old type aliases): not a block.
        if kw == "type" && p.peek_tok() == Some(&Tok::Punct('=')) {
            p.skip_line();
            continue;
        }
        let mut j = p.i;
        while p.toks.get(j).map(|t| &t.tok) == Some(&Tok::Newline) {
            j += 1;
        }
        if p.toks.get(j).map(|t| &t.tok) != Some(&Tok::Punct('{')) {
            p.errors.push((t.line, format!("`{kw} {name}` must open a block with `{{`")));
            p.skip_line();
            continue;
        }
        p.i = j + 1;
        match kw.as_str() {
            "datasource" | "generator" => {
                let (kv, closed) = p.key_values(&kw, &name);
                if !closed {
                    p.errors.push((t.line, format!("block `{kw} {name}` is not closed")));
                }
                let get = |k: &str| kv.iter().find(|(n, _, _)| n == k).map(|(_, v, l)| (v.clone(), *l));
                let string = |k: &str| get(k).and_then(|(v, l)| as_string(&v).map(|s| (s, l)));
                if kw == "datasource" {
                    out.datasources.push(Datasource {
                        name,
                        line: t.line,
                        provider: string("provider"),
                        url: get("url"),
                        direct_url: get("directUrl"),
                        relation_mode: string("relationMode").map(|x| x.0),
                        shadow_database_url: get("shadowDatabaseUrl"),
                        schemas: get("schemas").map(|(v, _)| list(&v)).unwrap_or_default(),
                    });
                } else {
                    out.generators.push(Generator {
                        name,
                        line: t.line,
                        provider: string("provider"),
                        output: string("output"),
                        binary_targets: get("binaryTargets").map(|(v, l)| (list(&v), l)),
                        engine_type: string("engineType"),
                        preview_features: get("previewFeatures").map(|(v, _)| list(&v)).unwrap_or_default(),
                        runtime: string("runtime"),
                        module_format: string("moduleFormat"),
                    });
                }
            }
            _ => {
                if !p.skip_block() {
                    p.errors.push((t.line, format!("block `{kw} {name}` is not closed")));
                }
                match kw.as_str() {
                    "model" | "view" => out.models.push((name, t.line)),
                    "enum" => out.enums.push((name, t.line)),
                    _ => {}
                }
            }
        }
    }
    out.errors.append(&mut p.errors);
    out.errors.sort_by_key(|e| e.0);
    out.errors.dedup();
    out
}

/// prisma.config.ts read as text (never run): schema path, migrations path, datasource url env
/// name (`env("X")` or `process.env.X`), whether it imports "dotenv/config".
#[derive(Debug, Clone, Default)]
pub struct PrismaConfig {
    /// `schema: "prisma/schema.prisma"` (also `path.join("prisma", "schema.prisma")`).
    pub schema: Option<(String, usize)>,
    /// `migrations: { path: ... }`
    pub migrations_path: Option<(String, usize)>,
    /// The variable `datasource: { url: ... }` reads: `env("X")`, `env<T>("X")`,
    /// `process.env.X`, `process.env["X"]`.
    pub url_env: Option<(String, usize)>,
    /// Loads .env itself: `import "dotenv/config"`, `require("dotenv/config")`, dotenv's or
    /// dotenvx's `config()`, or `process.loadEnvFile()`.
    pub imports_dotenv: bool,
    /// `migrations: { seed: ... }`
    pub seed: Option<(String, usize)>,
    /// `datasource: { directUrl: ... }` variable.
    pub direct_url_env: Option<(String, usize)>,
    /// `datasource: { shadowDatabaseUrl: ... }` variable.
    pub shadow_url_env: Option<(String, usize)>,
    /// Every variable `datasource: { url: ... }` falls back through, in order
    /// (`process.env.A || process.env.B`, also through a `const`).
    pub url_envs: Vec<String>,
    /// `datasource: { url: "literal" }`: a URL written into the file (also as a fallback).
    pub url_literal: Option<(String, usize)>,
    /// `engine: "classic" | "js"`
    pub engine: Option<(String, usize)>,
}

#[derive(Debug, Clone, PartialEq)]
enum JsTok {
    Ident(String),
    /// A string literal, or a template literal without `${}`.
    Str(String),
    /// A template literal with `${}`.
    Template,
    Punct(char),
}

/// A light JavaScript tokenizer: identifiers, string literals, punctuation; comments dropped.
fn js_tokens(src: &str) -> Vec<(JsTok, usize)> {
    let mut out = Vec::new();
    let mut line = 1usize;
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            '/' if chars.peek() == Some(&'/') => {
                while chars.peek().is_some_and(|&n| n != '\n') {
                    chars.next();
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if n == '\n' {
                        line += 1;
                    }
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
            }
            '"' | '\'' | '`' => {
                let start = line;
                let mut s = String::new();
                let mut interpolated = false;
                while let Some(n) = chars.next() {
                    match n {
                        '\\' => {
                            if let Some(e) = chars.next() {
                                if e == '\n' {
                                    line += 1;
                                }
                                s.push(e);
                            }
                        }
                        '\n' => {
                            line += 1;
                            if c != '`' {
                                break;
                            }
                            s.push(n);
                        }
                        '$' if c == '`' && chars.peek() == Some(&'{') => {
                            interpolated = true;
                            s.push(n);
                        }
                        n if n == c => break,
                        n => s.push(n),
                    }
                }
                out.push((if interpolated { JsTok::Template } else { JsTok::Str(s) }, start));
            }
            c if c.is_alphanumeric() || c == '_' || c == '$' => {
                let mut s = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_alphanumeric() || n == '_' || n == '$' {
                        s.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push((JsTok::Ident(s), line));
            }
            other => out.push((JsTok::Punct(other), line)),
        }
    }
    out
}

/// What a config value is.
#[derive(Debug, Clone)]
enum CfgValue {
    Str(String),
    Env(String),
}

type Toks = [(JsTok, usize)];

fn tok_at(toks: &Toks, k: usize) -> Option<&JsTok> {
    toks.get(k).map(|x| &x.0)
}

fn is_ident(toks: &Toks, k: usize, s: &str) -> bool {
    matches!(tok_at(toks, k), Some(JsTok::Ident(x)) if x == s)
}

fn is_punct(toks: &Toks, k: usize, c: char) -> bool {
    tok_at(toks, k) == Some(&JsTok::Punct(c))
}

/// One operand at `i`: a string, `path.join(...)` / `join(...)` / `path.resolve(...)` of
/// strings, `env("X")`, `env<T>("X")`, `process.env.X`, `process.env["X"]`, or the name of a
/// `const` / `let` / `var` holding one of those. Returns its values and the index after it.
fn cfg_operand(toks: &Toks, i: usize, depth: usize) -> Option<(Vec<CfgValue>, usize)> {
    match tok_at(toks, i)? {
        JsTok::Str(s) => Some((vec![CfgValue::Str(s.clone())], i + 1)),
        JsTok::Ident(x) if x == "env" => {
            let mut k = i + 1;
            // env<Env>("X")
            if is_punct(toks, k, '<') {
                let mut nest = 0usize;
                while let Some(tok) = tok_at(toks, k) {
                    k += 1;
                    match tok {
                        JsTok::Punct('<') => nest += 1,
                        JsTok::Punct('>') => {
                            nest = nest.saturating_sub(1);
                            if nest == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    if k > i + 64 {
                        return None;
                    }
                }
            }
            match (is_punct(toks, k, '('), tok_at(toks, k + 1), is_punct(toks, k + 2, ')')) {
                (true, Some(JsTok::Str(s)), true) => Some((vec![CfgValue::Env(s.clone())], k + 3)),
                _ => None,
            }
        }
        JsTok::Ident(x) if x == "process" && is_punct(toks, i + 1, '.') && is_ident(toks, i + 2, "env") => {
            let (name, mut next) = match (tok_at(toks, i + 3), tok_at(toks, i + 4)) {
                (Some(JsTok::Punct('.')), Some(JsTok::Ident(name))) => (name.clone(), i + 5),
                (Some(JsTok::Punct('[')), Some(JsTok::Str(name))) if is_punct(toks, i + 5, ']') => (name.clone(), i + 6),
                _ => return None,
            };
            // TypeScript's non-null assertion.
            if is_punct(toks, next, '!') && !is_punct(toks, next + 1, '=') {
                next += 1;
            }
            Some((vec![CfgValue::Env(name)], next))
        }
        JsTok::Ident(x)
            if (x == "path" && is_punct(toks, i + 1, '.') && matches!(tok_at(toks, i + 2), Some(JsTok::Ident(f)) if f == "join" || f == "resolve"))
                || ((x == "join" || x == "resolve") && is_punct(toks, i + 1, '(')) =>
        {
            let mut k = if x == "path" { i + 3 } else { i + 1 };
            if !is_punct(toks, k, '(') {
                return None;
            }
            k += 1;
            let mut parts: Vec<String> = Vec::new();
            while let Some(tok) = tok_at(toks, k) {
                match tok {
                    JsTok::Punct(')') => {
                        let joined = parts
                            .iter()
                            .filter(|p| !p.is_empty())
                            .map(|p| p.trim_matches('/'))
                            .collect::<Vec<_>>()
                            .join("/");
                        return Some((vec![CfgValue::Str(joined)], k + 1));
                    }
                    JsTok::Punct(',') => {}
                    JsTok::Str(s) => parts.push(s.clone()),
                    JsTok::Ident(d) if d == "__dirname" => {}
                    // process.cwd() and import.meta.dirname: the project root.
                    JsTok::Ident(d) if d == "process" && is_punct(toks, k + 1, '.') && is_ident(toks, k + 2, "cwd") => k += 4,
                    JsTok::Ident(d) if d == "import" && is_punct(toks, k + 1, '.') && is_ident(toks, k + 2, "meta") => k += 4,
                    _ => return None,
                }
                k += 1;
                if k > i + 64 {
                    return None;
                }
            }
            None
        }
        JsTok::Ident(name) if depth == 0 => {
            // A variable: `const migrationUrl = process.env.A || process.env.B;`
            let decl = (0..toks.len()).find(|&d| {
                matches!(tok_at(toks, d), Some(JsTok::Ident(kw)) if kw == "const" || kw == "let" || kw == "var")
                    && is_ident(toks, d + 1, name)
                    && is_punct(toks, d + 2, '=')
            })?;
            let vals = cfg_chain(toks, decl + 3, depth + 1);
            (!vals.is_empty()).then_some((vals, i + 1))
        }
        _ => None,
    }
}

/// Operands joined by `||` or `??` (fallbacks), in order.
fn cfg_chain(toks: &Toks, mut i: usize, depth: usize) -> Vec<CfgValue> {
    let mut out = Vec::new();
    for _ in 0..16 {
        let Some((vals, next)) = cfg_operand(toks, i, depth) else { break };
        out.extend(vals);
        let or = is_punct(toks, next, '|') && is_punct(toks, next + 1, '|');
        let nullish = is_punct(toks, next, '?') && is_punct(toks, next + 1, '?');
        if !(or || nullish) {
            break;
        }
        i = next + 2;
    }
    out
}

/// Read prisma.config.ts as text (never run).
pub fn parse_config_ts(src: &str) -> PrismaConfig {
    let toks = js_tokens(src);
    let mut c = PrismaConfig::default();
    let t = |k: usize| tok_at(&toks, k);
    let ident = |k: usize, s: &str| is_ident(&toks, k, s);
    let punct = |k: usize, ch: char| is_punct(&toks, k, ch);
    let mut dotenv_module = false;
    let mut config_called = false;
    // Open containers: for `{`, the key it is the value of.
    let mut stack: Vec<(char, Option<String>)> = Vec::new();
    for (k, (tok, line)) in toks.iter().enumerate() {
        let line = *line;
        match tok {
            JsTok::Str(s)
                if (s == "dotenv/config" || s == "@dotenvx/dotenvx/config")
                    && k > 0
                    && (ident(k - 1, "import") || ident(k - 1, "from") || (punct(k - 1, '(') && k > 1 && ident(k - 2, "require"))) =>
            {
                c.imports_dotenv = true;
            }
            JsTok::Str(s) if s == "dotenv" || s == "@dotenvx/dotenvx" => dotenv_module = true,
            JsTok::Ident(x) if x == "config" && punct(k + 1, '(') => config_called = true,
            JsTok::Ident(x) if x == "loadEnvFile" && punct(k + 1, '(') => c.imports_dotenv = true,
            JsTok::Punct(ch @ ('{' | '[' | '(')) => {
                let key = if *ch == '{' && k >= 2 && punct(k - 1, ':') {
                    match t(k - 2) {
                        Some(JsTok::Ident(s)) | Some(JsTok::Str(s)) => Some(s.clone()),
                        _ => None,
                    }
                } else {
                    None
                };
                if stack.len() < 256 {
                    stack.push((*ch, key));
                }
            }
            JsTok::Punct('}' | ']' | ')') => {
                stack.pop();
            }
            JsTok::Ident(key) | JsTok::Str(key) if punct(k + 1, ':') && stack.last().is_some_and(|f| f.0 == '{') => {
                let parent = stack.last().and_then(|f| f.1.as_deref()).unwrap_or("");
                let vals = cfg_chain(&toks, k + 2, 0);
                let first_str = match vals.first() {
                    Some(CfgValue::Str(s)) => Some(s.clone()),
                    _ => None,
                };
                let envs: Vec<String> = vals
                    .iter()
                    .filter_map(|v| match v {
                        CfgValue::Env(e) => Some(e.clone()),
                        CfgValue::Str(_) => None,
                    })
                    .collect();
                let set = |slot: &mut Option<(String, usize)>, v: Option<String>| {
                    if slot.is_none() {
                        *slot = v.map(|v| (v, line));
                    }
                };
                match (parent, key.as_str()) {
                    ("", "schema") => set(&mut c.schema, first_str),
                    ("", "engine") => set(&mut c.engine, first_str),
                    ("migrations", "path") => set(&mut c.migrations_path, first_str),
                    ("migrations", "seed") => set(&mut c.seed, first_str),
                    ("datasource", "url") => {
                        if c.url_env.is_none() && c.url_envs.is_empty() {
                            c.url_envs = envs.clone();
                        }
                        set(&mut c.url_env, envs.first().cloned());
                        let literal = vals.iter().find_map(|v| match v {
                            CfgValue::Str(s) => Some(s.clone()),
                            CfgValue::Env(_) => None,
                        });
                        set(&mut c.url_literal, literal);
                    }
                    ("datasource", "directUrl") => set(&mut c.direct_url_env, envs.first().cloned()),
                    ("datasource", "shadowDatabaseUrl") => set(&mut c.shadow_url_env, envs.first().cloned()),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if dotenv_module && config_called {
        c.imports_dotenv = true;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = "// comment\n/// doc comment\ngenerator client {\n  provider      = \"prisma-client-js\" // js\n  binaryTargets = [\n    \"native\",\n    \"linux-musl-openssl-3.0.x\", // alpine\n  ]\n  output        = \"../src/generated/prisma\"\n  previewFeatures = [\"driverAdapters\", \"multiSchema\"]\n  engineType    = \"library\"\n}\n\ndatasource db {\n  provider  = \"postgresql\"\n  url       = env(\"DATABASE_URL\")\n  directUrl = env( \"DIRECT_URL\" )\n  relationMode = \"prisma\"\n  schemas   = [\"public\", \"auth\"]\n}\n\nmodel User {\n  id    Int    @id @default(autoincrement())\n  email String @unique // \"x\" {\n  meta  Json   @default(\"{\\\"a\\\": \\\"}\\\"}\")\n  @@map(\"users\")\n}\n\nenum Role {\n  USER\n  ADMIN\n}\n\nview Stats {\n  n Int @unique\n}\n\ntype Address {\n  street String\n}\n";

    #[test]
    fn block_comments_are_comments() {
        let src = "datasource db {\n  provider = \"postgresql\" /* inline */\n}\n\n/**\n * Kept in another store.\n */\nmodel Event {\n  /* a field note */\n  id String @id\n}\n";
        let s = parse(src);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        assert_eq!(s.models, vec![("Event".to_string(), 8)]);
        assert_eq!(s.datasources[0].provider, Some(("postgresql".to_string(), 2)));
        let open = parse("/* never closed\nmodel A {\n  id Int @id\n}\n");
        assert_eq!(open.errors[0].0, 1, "{:?}", open.errors);
    }

    #[test]
    fn parses_blocks() {
        let s = parse(SCHEMA);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        let g = &s.generators[0];
        assert_eq!((g.name.as_str(), g.line), ("client", 3));
        assert_eq!(g.provider, Some(("prisma-client-js".to_string(), 4)));
        assert_eq!(g.binary_targets, Some((vec!["native".to_string(), "linux-musl-openssl-3.0.x".to_string()], 5)));
        assert_eq!(g.output, Some(("../src/generated/prisma".to_string(), 9)));
        assert_eq!(g.preview_features, vec!["driverAdapters", "multiSchema"]);
        assert_eq!(g.engine_type, Some(("library".to_string(), 11)));
        let d = &s.datasources[0];
        assert_eq!((d.name.as_str(), d.line), ("db", 14));
        assert_eq!(d.provider, Some(("postgresql".to_string(), 15)));
        assert_eq!(d.url, Some((PValue::Env("DATABASE_URL".into()), 16)));
        assert_eq!(d.direct_url, Some((PValue::Env("DIRECT_URL".into()), 17)));
        assert_eq!(d.relation_mode.as_deref(), Some("prisma"));
        assert_eq!(d.schemas, vec!["public", "auth"]);
        assert_eq!(s.models, vec![("User".to_string(), 22), ("Stats".to_string(), 34)]);
        assert_eq!(s.enums, vec![("Role".to_string(), 29)]);
    }

    #[test]
    fn values() {
        let s = parse("datasource db {\n  provider = \"sqlite\"\n  url = \"file:./dev.db\"\n}\ngenerator c {\n  provider = \"prisma-client\"\n  output = \"../src/generated\"\n  runtime = \"nodejs\"\n  moduleFormat = \"esm\"\n  binaryTargets = \"native\"\n  flag = true\n  n = 3\n  f = other(\"x\")\n  w = word\n}\n");
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        assert_eq!(s.datasources[0].url, Some((PValue::Str("file:./dev.db".into()), 3)));
        let g = &s.generators[0];
        assert_eq!(g.runtime, Some(("nodejs".into(), 8)));
        assert_eq!(g.module_format, Some(("esm".into(), 9)));
        assert_eq!(g.binary_targets, Some((vec!["native".to_string()], 10)));
        // Escapes in strings.
        let s = parse("datasource d {\n  url = \"a\\\"b\\\\c\"\n}\n");
        assert_eq!(s.datasources[0].url, Some((PValue::Str("a\"b\\c".into()), 2)));
    }

    #[test]
    fn one_line_blocks_and_brace_on_next_line() {
        let s = parse("datasource db { provider = \"mysql\" }\nmodel A { id Int @id }\ngenerator g\n{\n  provider = \"x\"\n}\n");
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        assert_eq!(s.datasources[0].provider, Some(("mysql".into(), 1)));
        assert_eq!(s.models, vec![("A".to_string(), 2)]);
        assert_eq!(s.generators[0].provider, Some(("x".into(), 5)));
    }

    #[test]
    fn errors_have_lines() {
        let s = parse("generator client {\n  provider = \"prisma-client-js\n}\nmodel A {\n  id Int\n");
        assert!(s.errors.iter().any(|(l, m)| *l == 2 && m.contains("unterminated")), "{:?}", s.errors);
        assert!(s.errors.iter().any(|(l, m)| *l == 4 && m.contains("not closed")), "{:?}", s.errors);
        assert_eq!(s.generators[0].provider, Some(("prisma-client-js".into(), 2)));
        let s = parse("datasource db {\n  provider \"x\"\n  url = env(\"D\")\n}\n");
        assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
        assert_eq!(s.errors[0].0, 2);
        assert_eq!(s.datasources[0].url, Some((PValue::Env("D".into()), 3)));
        let s = parse("datasorce db {\n  provider = \"x\"\n}\nmodel B {\n}\n");
        assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
        assert_eq!(s.errors[0].0, 1);
        assert_eq!(s.models, vec![("B".to_string(), 4)]);
        let s = parse("generator g {\n  binaryTargets = [\"native\"\n}\n");
        assert!(s.errors.iter().any(|(l, m)| *l == 2 && m.contains("array")), "{:?}", s.errors);
        assert_eq!(s.generators[0].binary_targets.as_ref().map(|b| b.0.clone()), Some(vec!["native".to_string()]));
        let s = parse("model\n");
        assert!(!s.errors.is_empty());
    }

    #[test]
    fn deep_values_are_bounded() {
        let src = format!("generator g {{\n  x = {}\n}}\n", "[".repeat(10_000));
        let s = parse(&src);
        assert!(s.errors.iter().any(|(_, m)| m.contains("deeply")), "{:?}", s.errors);
    }

    #[test]
    fn config_ts() {
        let c = parse_config_ts("import 'dotenv/config';\nimport { defineConfig, env } from 'prisma/config';\n// schema: 'commented/out.prisma',\nexport default defineConfig({\n  schema: 'prisma/schema.prisma',\n  migrations: { path: 'prisma/migrations', seed: `tsx prisma/seed.ts` },\n  datasource: { url: env('DATABASE_URL'), directUrl: env<Env>(\"DIRECT_URL\") },\n});\n");
        assert!(c.imports_dotenv);
        assert_eq!(c.schema, Some(("prisma/schema.prisma".into(), 5)));
        assert_eq!(c.migrations_path, Some(("prisma/migrations".into(), 6)));
        assert_eq!(c.seed, Some(("tsx prisma/seed.ts".into(), 6)));
        assert_eq!(c.url_env, Some(("DATABASE_URL".into(), 7)));
        assert_eq!(c.direct_url_env, Some(("DIRECT_URL".into(), 7)));
    }

    #[test]
    fn config_ts_variants() {
        let c = parse_config_ts("import path from 'node:path';\nimport type { PrismaConfig } from 'prisma';\nexport default {\n  earlyAccess: true,\n  schema: path.join(__dirname, 'prisma', 'schema.prisma'),\n  datasource: {\n    url: process.env[\"DATABASE_URL\"] || \"file:./dev.db\",\n  },\n} satisfies PrismaConfig;\n");
        assert!(!c.imports_dotenv);
        assert_eq!(c.schema, Some(("prisma/schema.prisma".into(), 5)));
        assert_eq!(c.url_env, Some(("DATABASE_URL".into(), 7)));
        let c = parse_config_ts("import * as dotenv from 'dotenv';\ndotenv.config({ path: '.env.local' });\nexport default defineConfig({ datasource: { url: process.env.DATABASE_URL! } });\n");
        assert!(c.imports_dotenv);
        assert_eq!(c.url_env, Some(("DATABASE_URL".into(), 3)));
        assert_eq!(c.migrations_path, None, "`path` outside `migrations` is not the migrations path");
        let c = parse_config_ts("// import 'dotenv/config'\nexport default defineConfig({ datasource: { url: `${process.env.X}` } })\n");
        assert!(!c.imports_dotenv);
        assert_eq!(c.url_env, None);
        let c = parse_config_ts("require('dotenv/config')\nmodule.exports = { datasource: { url: 'postgres://localhost/db' } }\n");
        assert!(c.imports_dotenv);
        assert_eq!(c.url_literal, Some(("postgres://localhost/db".into(), 2)));
    }

    #[test]
    fn config_ts_fallback_chains_and_consts() {
        let c = parse_config_ts("import path from \"node:path\";\ntry {\n  process.loadEnvFile(path.join(__dirname, \".env\"));\n} catch {}\nconst migrationUrl =\n  process.env.DIRECT_URL ||\n  process.env.DATABASE_URL;\nexport default defineConfig({\n  schema: path.join(__dirname, \"prisma\"),\n  migrations: { path: path.join(__dirname, \"prisma/migrations\") },\n  datasource: {\n    url: migrationUrl,\n  },\n});\n");
        assert!(c.imports_dotenv);
        assert_eq!(c.schema, Some(("prisma".into(), 9)));
        assert_eq!(c.migrations_path, Some(("prisma/migrations".into(), 10)));
        assert_eq!(c.url_env, Some(("DIRECT_URL".into(), 12)));
        assert_eq!(c.url_envs, vec!["DIRECT_URL", "DATABASE_URL"]);
        let c = parse_config_ts("export default { datasource: { url: process.env.A ?? process.env['B'] ?? 'file:./dev.db' } }");
        assert_eq!(c.url_envs, vec!["A", "B"]);
        assert_eq!(c.url_literal, Some(("file:./dev.db".into(), 1)));
    }

    #[test]
    fn named_arguments_in_calls() {
        let s = parse("datasource db {\n  provider   = \"postgresql\"\n  extensions = [pgvector(map: \"vector\", schema: \"ext\"), postgis]\n}\n");
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        assert_eq!(s.datasources[0].provider, Some(("postgresql".into(), 2)));
    }

    #[test]
    fn no_panic_on_mangled_input() {
        let cfg =
            "import 'dotenv/config';\nexport default defineConfig({ schema: path.join(process.cwd(), 'p'), datasource: { url: env<A<B>>('X') } /* c */ });\n";
        for input in [SCHEMA, cfg] {
            for i in 0..=input.len() {
                if input.is_char_boundary(i) {
                    let _ = parse(&input[..i]);
                    let _ = parse_config_ts(&input[..i]);
                }
                let mut b = input.as_bytes().to_vec();
                if i < b.len() {
                    b[i] ^= 0x21;
                    let t = String::from_utf8_lossy(&b).into_owned();
                    let _ = parse(&t);
                    let _ = parse_config_ts(&t);
                    let pool = b"{}\"[]()=/\n<>,:'`\\";
                    b[i] = pool[i % pool.len()];
                    let t = String::from_utf8_lossy(&b).into_owned();
                    let _ = parse(&t);
                    let _ = parse_config_ts(&t);
                }
            }
        }
    }
}
