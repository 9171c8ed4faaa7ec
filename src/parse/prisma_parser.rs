//! Prisma schema: datasources, generators and model names, with lines. Hand-written: the schema
//! language is small, and no maintained crate reads it with positions.

#[derive(Debug, Clone, PartialEq)]
pub enum PValue {
    Str(String),
    Env(String),
    Array(Vec<PValue>),
    Bool(bool),
    Ident(String),
    Other(String),
}

#[derive(Debug, Clone)]
pub struct Datasource {
    pub name: String,
    pub line: usize,
    pub provider: Option<(String, usize)>,
    pub url: Option<(PValue, usize)>,
    pub direct_url: Option<(PValue, usize)>,
    pub relation_mode: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Generator {
    pub name: String,
    pub line: usize,
    pub provider: Option<(String, usize)>,
    pub output: Option<(String, usize)>,
    pub binary_targets: Option<(Vec<String>, usize)>,
    pub engine_type: Option<(String, usize)>,
    pub preview_features: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PrismaSchema {
    pub datasources: Vec<Datasource>,
    pub generators: Vec<Generator>,
    pub models: Vec<(String, usize)>,
    pub errors: Vec<(usize, String)>,
}

/// Strip a `//` comment that is not inside a string.
fn strip_comment(line: &str) -> &str {
    let mut in_str = false;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '"' if prev != '\\' => in_str = !in_str,
            '/' if !in_str && prev == '/' => return &line[..i - 1],
            _ => {}
        }
        prev = c;
    }
    line
}

/// Parse one value: "str", env("X"), [a, b], true, ident, other.
fn value(text: &str, line: usize, errors: &mut Vec<(usize, String)>) -> PValue {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        let mut closed = false;
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                }
                '"' => {
                    closed = true;
                    break;
                }
                o => out.push(o),
            }
        }
        if !closed {
            errors.push((line, "unterminated string".into()));
        }
        return PValue::Str(out);
    }
    if let Some(inner) = t.strip_prefix("env(").and_then(|r| r.strip_suffix(')')) {
        return match value(inner, line, errors) {
            PValue::Str(s) => PValue::Env(s),
            other => PValue::Other(format!("env({other:?})")),
        };
    }
    if let Some(inner) = t.strip_prefix('[') {
        let Some(inner) = inner.strip_suffix(']') else {
            errors.push((line, "unterminated array".into()));
            return PValue::Other(t.to_string());
        };
        let mut items = Vec::new();
        let mut cur = String::new();
        let mut in_str = false;
        let mut prev = ' ';
        for c in inner.chars() {
            if c == '"' && prev != '\\' {
                in_str = !in_str;
            }
            if c == ',' && !in_str {
                if !cur.trim().is_empty() {
                    items.push(value(&cur, line, errors));
                }
                cur.clear();
            } else {
                cur.push(c);
            }
            prev = c;
        }
        if !cur.trim().is_empty() {
            items.push(value(&cur, line, errors));
        }
        return PValue::Array(items);
    }
    match t {
        "true" => PValue::Bool(true),
        "false" => PValue::Bool(false),
        _ if !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') => PValue::Ident(t.to_string()),
        _ => PValue::Other(t.to_string()),
    }
}

fn as_string(v: &PValue) -> Option<String> {
    match v {
        PValue::Str(s) | PValue::Ident(s) => Some(s.clone()),
        _ => None,
    }
}

/// Parse a schema. Never panics; errors carry lines.
pub fn parse(src: &str) -> PrismaSchema {
    let mut out = PrismaSchema::default();
    let lines: Vec<&str> = src.split('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let lineno = i + 1;
        let t = strip_comment(lines[i].trim_end_matches('\r')).trim();
        i += 1;
        if t.is_empty() {
            continue;
        }
        let mut words = t.split_whitespace();
        let kw = words.next().unwrap_or("");
        if !matches!(kw, "datasource" | "generator" | "model" | "enum" | "view" | "type") {
            out.errors
                .push((lineno, format!("unexpected `{}` outside a block", t.chars().take(40).collect::<String>())));
            continue;
        }
        let name = words.next().unwrap_or("").trim_end_matches('{').to_string();
        if !t.ends_with('{') {
            out.errors.push((lineno, format!("`{kw} {name}` must open a block with `{{`")));
            continue;
        }
        // Collect the block's lines until the closing brace.
        let mut body: Vec<(usize, String)> = Vec::new();
        let mut depth = 1usize;
        let mut closed = false;
        while i < lines.len() {
            let l = strip_comment(lines[i].trim_end_matches('\r')).trim().to_string();
            let ln = i + 1;
            i += 1;
            let mut in_str = false;
            for c in l.chars() {
                match c {
                    '"' => in_str = !in_str,
                    '{' if !in_str => depth += 1,
                    '}' if !in_str => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            if depth == 0 {
                let before = l.trim_end_matches('}').trim().to_string();
                if !before.is_empty() {
                    body.push((ln, before));
                }
                closed = true;
                break;
            }
            if !l.is_empty() {
                body.push((ln, l));
            }
        }
        if !closed {
            out.errors.push((lineno, format!("block `{kw} {name}` is not closed")));
        }
        match kw {
            "datasource" | "generator" => {
                let mut kv: Vec<(String, PValue, usize)> = Vec::new();
                for (ln, l) in &body {
                    match l.split_once('=') {
                        Some((k, v)) => kv.push((k.trim().to_string(), value(v, *ln, &mut out.errors), *ln)),
                        None => out.errors.push((*ln, format!("expected `key = value` in {kw} `{name}`"))),
                    }
                }
                let get = |k: &str| kv.iter().find(|(n, _, _)| n == k).map(|(_, v, l)| (v.clone(), *l));
                if kw == "datasource" {
                    out.datasources.push(Datasource {
                        name,
                        line: lineno,
                        provider: get("provider").and_then(|(v, l)| as_string(&v).map(|s| (s, l))),
                        url: get("url"),
                        direct_url: get("directUrl"),
                        relation_mode: get("relationMode").and_then(|(v, _)| as_string(&v)),
                    });
                } else {
                    let list = |v: &PValue| match v {
                        PValue::Array(a) => a.iter().filter_map(as_string).collect(),
                        other => as_string(other).into_iter().collect(),
                    };
                    out.generators.push(Generator {
                        name,
                        line: lineno,
                        provider: get("provider").and_then(|(v, l)| as_string(&v).map(|s| (s, l))),
                        output: get("output").and_then(|(v, l)| as_string(&v).map(|s| (s, l))),
                        binary_targets: get("binaryTargets").map(|(v, l)| (list(&v), l)),
                        engine_type: get("engineType").and_then(|(v, l)| as_string(&v).map(|s| (s, l))),
                        preview_features: get("previewFeatures").map(|(v, _)| list(&v)).unwrap_or_default(),
                    });
                }
            }
            "model" | "view" => out.models.push((name, lineno)),
            _ => {}
        }
    }
    out
}

/// prisma.config.ts read as text (never run).
#[derive(Debug, Clone, Default)]
pub struct PrismaConfig {
    pub schema: Option<(String, usize)>,
    pub migrations_path: Option<(String, usize)>,
    pub url_env: Option<(String, usize)>,
    pub imports_dotenv: bool,
}

fn quoted_after<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let i = line.find(key)?;
    let rest = line[i + key.len()..].trim_start().strip_prefix(':')?.trim_start();
    let q = rest.chars().next()?;
    if !matches!(q, '"' | '\'' | '`') {
        return None;
    }
    let body = &rest[1..];
    body.find(q).map(|end| &body[..end])
}

pub fn parse_config_ts(src: &str) -> PrismaConfig {
    let mut c = PrismaConfig {
        imports_dotenv: src.contains("dotenv/config") || src.contains("from \"dotenv\"") || src.contains("from 'dotenv'"),
        ..Default::default()
    };
    for (i, line) in src.lines().enumerate() {
        let ln = i + 1;
        if c.schema.is_none() {
            if let Some(s) = quoted_after(line, "schema") {
                c.schema = Some((s.to_string(), ln));
            }
        }
        if c.migrations_path.is_none() && line.contains("migrations") {
            if let Some(s) = quoted_after(line, "path") {
                c.migrations_path = Some((s.to_string(), ln));
            }
        }
        if c.url_env.is_none() {
            for pat in ["env(\"", "env('", "process.env.", "env<"] {
                if let Some(at) = line.find(pat) {
                    let rest = &line[at + pat.len()..];
                    let name: String = rest
                        .chars()
                        .skip_while(|c| !c.is_ascii_alphanumeric() && *c != '_')
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() && line.contains("url") {
                        c.url_env = Some((name, ln));
                        break;
                    }
                }
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = "// comment\ngenerator client {\n  provider      = \"prisma-client-js\" // js\n  binaryTargets = [\"native\", \"linux-musl-openssl-3.0.x\"]\n  output        = \"../src/generated/prisma\"\n  previewFeatures = [\"driverAdapters\"]\n}\n\ndatasource db {\n  provider  = \"postgresql\"\n  url       = env(\"DATABASE_URL\")\n  directUrl = env(\"DIRECT_URL\")\n}\n\nmodel User {\n  id    Int    @id @default(autoincrement())\n  email String @unique // \"x\" {\n  meta  Json   @default(\"{}\")\n}\n\nenum Role {\n  USER\n}\n";

    #[test]
    fn parses_blocks() {
        let s = parse(SCHEMA);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        let g = &s.generators[0];
        assert_eq!((g.name.as_str(), g.line), ("client", 2));
        assert_eq!(g.provider, Some(("prisma-client-js".to_string(), 3)));
        assert_eq!(g.binary_targets, Some((vec!["native".to_string(), "linux-musl-openssl-3.0.x".to_string()], 4)));
        assert_eq!(g.output, Some(("../src/generated/prisma".to_string(), 5)));
        assert_eq!(g.preview_features, vec!["driverAdapters"]);
        let d = &s.datasources[0];
        assert_eq!(d.provider, Some(("postgresql".to_string(), 10)));
        assert_eq!(d.url, Some((PValue::Env("DATABASE_URL".into()), 11)));
        assert_eq!(d.direct_url, Some((PValue::Env("DIRECT_URL".into()), 12)));
        assert_eq!(s.models, vec![("User".to_string(), 15)]);
    }

    #[test]
    fn errors_have_lines() {
        let s = parse("generator client {\n  provider = \"prisma-client-js\n}\nmodel A {\n  id Int\n");
        assert!(s.errors.iter().any(|(l, m)| *l == 2 && m.contains("unterminated")), "{:?}", s.errors);
        assert!(s.errors.iter().any(|(l, m)| *l == 4 && m.contains("not closed")), "{:?}", s.errors);
        let s = parse("datasource db {\n  provider \"x\"\n}\n");
        assert_eq!(s.errors[0].0, 2);
    }

    #[test]
    fn config_ts() {
        let c = parse_config_ts("import 'dotenv/config';\nimport { defineConfig, env } from 'prisma/config';\nexport default defineConfig({\n  schema: 'prisma/schema.prisma',\n  migrations: { path: 'prisma/migrations' },\n  datasource: { url: env('DATABASE_URL') },\n});\n");
        assert!(c.imports_dotenv);
        assert_eq!(c.schema, Some(("prisma/schema.prisma".into(), 4)));
        assert_eq!(c.migrations_path, Some(("prisma/migrations".into(), 5)));
        assert_eq!(c.url_env, Some(("DATABASE_URL".into(), 6)));
    }

    #[test]
    fn no_panic_on_mangled_input() {
        for i in 0..=SCHEMA.len() {
            if SCHEMA.is_char_boundary(i) {
                let _ = parse(&SCHEMA[..i]);
                let _ = parse_config_ts(&SCHEMA[..i]);
            }
            let mut b = SCHEMA.as_bytes().to_vec();
            if i < b.len() {
                b[i] = b"{}\"[]()=/\n"[i % 10];
                let _ = parse(&String::from_utf8_lossy(&b));
            }
        }
    }
}
