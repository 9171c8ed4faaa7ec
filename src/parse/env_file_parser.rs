//! dotenv files: names, lines, comments, and whether a value is a placeholder or a live secret.
//! Values are kept for checks but must never be printed; `redact` gives a printable shape.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Empty,
    Placeholder,
    Reference,
    Literal,
}

#[derive(Debug, Clone)]
pub struct EnvEntry {
    pub name: String,
    pub line: usize,
    pub kind: ValueKind,
    /// The raw value: never print it.
    pub value: String,
    pub comment: Option<String>,
    pub secret_name: bool,
    pub live_secret: bool,
    /// A commented-out assignment (`# KEY=value`): documents an optional variable, sets nothing.
    pub commented: bool,
}

#[derive(Debug, Clone)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

fn valid_name(n: &str) -> bool {
    let mut chars = n.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

/// Does the name suggest a secret?
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    if n.starts_with("NEXT_PUBLIC_") || n.contains("PUBLIC_KEY") || n.contains("PUBLISHABLE") {
        return false;
    }
    [
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "TOKEN",
        "PRIVATE",
        "CREDENTIAL",
        "APIKEY",
        "API_KEY",
        "ACCESS_KEY",
        "_KEY",
        "AUTH",
        "SALT",
        "DSN",
    ]
    .iter()
    .any(|k| n.contains(k))
        || n.ends_with("DATABASE_URL")
        || n.ends_with("_DB_URL")
        || n.ends_with("REDIS_URL")
        || n.ends_with("MONGODB_URI")
}

const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "your",
    "example",
    "placeholder",
    "replace",
    "todo",
    "xxx",
    "dummy",
    "sample",
    "secret",
    "password",
    "test",
    "fake",
    "foo",
    "bar",
    "insert",
    "enter",
    "generate",
    "here",
    "user:pass",
    "<",
    "...",
];

pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty() {
        return true;
    }
    let first = v.chars().next().unwrap_or(' ');
    if v.chars().all(|c| c == first) {
        return true;
    }
    let sequences = ["0123456789", "1234567890", "abcdef", "qwerty"];
    PLACEHOLDER_WORDS.iter().any(|w| v.contains(w)) || v.contains("localhost") || v.contains("127.0.0.1") || sequences.iter().any(|q| v.contains(q))
}

fn entropy(s: &str) -> f64 {
    let mut counts = [0usize; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Known credential formats of providers.
fn provider_format(v: &str) -> bool {
    let prefixes = [
        "sk_live_",
        "rk_live_",
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "github_pat_",
        "xoxb-",
        "xoxp-",
        "xoxa-",
        "AKIA",
        "ASIA",
        "AIza",
        "glpat-",
        "SG.",
        "sk-ant-",
        "sk-proj-",
        "whsec_",
        "npm_",
        "shpat_",
        "dop_v1_",
    ];
    let pem = v.contains("-----BEGIN") && v.contains("PRIVATE KEY") && v.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/').count() > 400;
    (prefixes.iter().any(|p| v.starts_with(p)) && v.len() >= 20 && !is_placeholder(v)) || pem
}

fn looks_live(name: &str, value: &str, kind: ValueKind) -> bool {
    if kind != ValueKind::Literal {
        return false;
    }
    if provider_format(value) {
        return true;
    }
    if let Some(u) = url_parts(value) {
        if u.has_password {
            let pw = password_of(value).unwrap_or_default();
            return !is_placeholder(&pw) && pw.len() >= 8 && !is_placeholder(&u.host);
        }
        return false;
    }
    is_secret_name(name) && value.len() >= 16 && !is_placeholder(value) && entropy(value) >= 3.5
}

fn unquote(raw: &str, line: usize, errors: &mut Vec<ParseError>) -> (String, Option<String>) {
    let t = raw.trim_start();
    if let Some(rest) = t.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    let tail: String = chars.collect();
                    let comment = tail.trim().strip_prefix('#').map(|c| c.trim().to_string());
                    return (out, comment);
                }
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some(o) => out.push(o),
                    None => {}
                },
                o => out.push(o),
            }
        }
        errors.push(ParseError {
            line,
            message: "unterminated double-quoted value".into(),
        });
        (out, None)
    } else if let Some(rest) = t.strip_prefix('\'') {
        match rest.find('\'') {
            Some(end) => {
                let comment = rest[end + 1..].trim().strip_prefix('#').map(|c| c.trim().to_string());
                (rest[..end].to_string(), comment)
            }
            None => {
                errors.push(ParseError {
                    line,
                    message: "unterminated single-quoted value".into(),
                });
                (rest.to_string(), None)
            }
        }
    } else {
        match t.find(" #").or_else(|| t.find("\t#")) {
            Some(i) => (t[..i].trim().to_string(), Some(t[i..].trim().trim_start_matches('#').trim().to_string())),
            None => (t.trim().to_string(), None),
        }
    }
}

/// Parse a dotenv file.
pub fn parse(src: &str) -> (Vec<EnvEntry>, Vec<ParseError>) {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut comment: Vec<String> = Vec::new();
    let lines: Vec<&str> = src.split('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let lineno = i + 1;
        let line = lines[i].trim_end_matches('\r');
        i += 1;
        let t = line.trim();
        if t.is_empty() {
            comment.clear();
            continue;
        }
        if let Some(c) = t.strip_prefix('#') {
            // `# KEY=value` documents an optional variable.
            let body = c.trim().strip_prefix("export ").unwrap_or(c.trim());
            if let Some((k, _)) = body.split_once('=') {
                let k = k.trim();
                if valid_name(k) && k.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') && !k.contains(' ') {
                    entries.push(EnvEntry {
                        name: k.to_string(),
                        line: lineno,
                        kind: ValueKind::Placeholder,
                        value: String::new(),
                        comment: None,
                        secret_name: is_secret_name(k),
                        live_secret: false,
                        commented: true,
                    });
                    continue;
                }
            }
            comment.push(c.trim().to_string());
            continue;
        }
        let t = t.strip_prefix("export ").map(str::trim_start).unwrap_or(t);
        let Some(eq) = t.find('=') else {
            errors.push(ParseError {
                line: lineno,
                message: "expected KEY=value".into(),
            });
            comment.clear();
            continue;
        };
        let name = t[..eq].trim().to_string();
        if !valid_name(&name) {
            errors.push(ParseError {
                line: lineno,
                message: "invalid variable name".into(),
            });
            comment.clear();
            continue;
        }
        let mut raw = t[eq + 1..].to_string();
        // A double-quoted value may span lines.
        if raw.trim_start().starts_with('"') {
            let body = raw.trim_start()[1..].to_string();
            let mut closed = body.replace("\\\"", "").contains('"');
            while !closed && i < lines.len() && i - lineno < 200 {
                raw.push('\n');
                raw.push_str(lines[i].trim_end_matches('\r'));
                i += 1;
                closed = raw.trim_start()[1..].replace("\\\"", "").contains('"');
            }
        }
        let (value, inline) = unquote(&raw, lineno, &mut errors);
        let kind = if value.is_empty() {
            ValueKind::Empty
        } else if value.starts_with('$') {
            ValueKind::Reference
        } else if is_placeholder(&value) && url_parts(&value).is_none_or(|u| !u.has_password || is_placeholder(&password_of(&value).unwrap_or_default())) {
            ValueKind::Placeholder
        } else {
            ValueKind::Literal
        };
        let mut purpose: Vec<String> = std::mem::take(&mut comment);
        if let Some(c) = inline {
            purpose.push(c);
        }
        let comment_text = if purpose.is_empty() { None } else { Some(purpose.join(" ")) };
        let secret_name = is_secret_name(&name);
        let live_secret = looks_live(&name, &value, kind);
        entries.push(EnvEntry {
            name,
            line: lineno,
            kind,
            value,
            comment: comment_text,
            secret_name,
            live_secret,
            commented: false,
        });
    }
    (entries, errors)
}

/// URL parts, for checks.
#[derive(Debug, Clone)]
pub struct UrlParts {
    pub scheme: String,
    pub user: Option<String>,
    pub has_password: bool,
    pub host: String,
    pub port: Option<u16>,
    pub path: String,
    pub params: Vec<(String, String)>,
}

fn password_of(value: &str) -> Option<String> {
    let rest = value.split_once("://")?.1;
    let auth = rest.split(['/', '?']).next()?;
    let (userinfo, _) = auth.rsplit_once('@')?;
    userinfo.split_once(':').map(|(_, p)| p.to_string())
}

pub fn url_parts(value: &str) -> Option<UrlParts> {
    let (scheme, rest) = value.trim().split_once("://")?;
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.') {
        return None;
    }
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, q),
        None => (rest, ""),
    };
    let (auth, path) = match before_query.find('/') {
        Some(i) => (&before_query[..i], &before_query[i..]),
        None => (before_query, ""),
    };
    let (userinfo, hostport) = match auth.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, auth),
    };
    let (user, has_password) = match userinfo {
        Some(u) => match u.split_once(':') {
            Some((n, p)) => (Some(n.to_string()), !p.is_empty()),
            None => (Some(u.to_string()), false),
        },
        None => (None, false),
    };
    let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
        let (h, p) = h.split_once(']').unwrap_or((h, ""));
        (h.to_string(), p.strip_prefix(':').and_then(|p| p.parse().ok()))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().ok()),
            None => (hostport.to_string(), None),
        }
    };
    let params = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (kv.to_string(), String::new()),
        })
        .collect();
    Some(UrlParts {
        scheme: scheme.to_ascii_lowercase(),
        user,
        has_password,
        host,
        port,
        path: path.to_string(),
        params,
    })
}

const SECRET_PARAMS: &[&str] = &["password", "pass", "pwd", "token", "key", "secret", "apikey", "api_key", "access_token", "sig"];

/// A printable shape that reveals no secret.
pub fn redact(value: &str) -> String {
    if let Some(u) = url_parts(value) {
        let mut s = format!("{}://", u.scheme);
        if let Some(user) = &u.user {
            let shown: String = user.chars().take(32).collect();
            s.push_str(&shown);
            if u.has_password {
                s.push_str(":****");
            }
            s.push('@');
        }
        s.push_str(&u.host.chars().take(80).collect::<String>());
        if let Some(p) = u.port {
            s.push_str(&format!(":{p}"));
        }
        s.push_str(&u.path.chars().take(40).collect::<String>());
        if !u.params.is_empty() {
            let qs: Vec<String> = u
                .params
                .iter()
                .map(|(k, v)| {
                    if SECRET_PARAMS.iter().any(|sp| k.to_ascii_lowercase().contains(sp)) {
                        format!("{k}=****")
                    } else {
                        format!("{k}={}", v.chars().take(20).collect::<String>())
                    }
                })
                .collect();
            s.push('?');
            s.push_str(&qs.join("&"));
        }
        return s;
    }
    let prefix: String = [
        "sk_live_",
        "rk_live_",
        "ghp_",
        "github_pat_",
        "xoxb-",
        "xoxp-",
        "AKIA",
        "AIza",
        "sk-",
        "whsec_",
        "glpat-",
    ]
    .iter()
    .find(|p| value.starts_with(**p))
    .map(|p| p.to_string())
    .unwrap_or_default();
    format!("{prefix}<redacted, {} chars>", value.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENV: &str = "# Database connection\nDATABASE_URL=postgresql://app:s3cr3tPassw0rd@db.acme-internal.net:5432/app?sslmode=require\n\nexport JWT_SECRET=\"q8Zr2LmP0xVb7TkN4wYe1HsJ\" # signing key\nEMPTY=\nREF=${OTHER}\nPLACE=changeme\nSTRIPE=sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ\nMULTI=\"a\nb\"\nNEXT_PUBLIC_URL=https://example.com\n";

    #[test]
    fn parses_entries() {
        let (e, errs) = parse(ENV);
        assert!(errs.is_empty(), "{errs:?}");
        let names: Vec<&str> = e.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(
            names,
            ["DATABASE_URL", "JWT_SECRET", "EMPTY", "REF", "PLACE", "STRIPE", "MULTI", "NEXT_PUBLIC_URL"]
        );
        assert_eq!(e[0].line, 2);
        assert_eq!(e[0].comment.as_deref(), Some("Database connection"));
        assert!(e[0].live_secret && e[0].secret_name);
        assert_eq!(e[1].line, 4);
        assert_eq!(e[1].comment.as_deref(), Some("signing key"));
        assert!(e[1].live_secret);
        assert_eq!(e[2].kind, ValueKind::Empty);
        assert_eq!(e[3].kind, ValueKind::Reference);
        assert_eq!(e[4].kind, ValueKind::Placeholder);
        assert!(!e[4].live_secret);
        assert!(e[5].live_secret);
        assert_eq!(e[6].value, "a\nb");
        assert_eq!(e[7].line, 11);
        assert!(!e[7].secret_name);
    }

    #[test]
    fn commented_assignments_document_optional_variables() {
        let (e, errs) = parse("# Optional analytics\n# NEXT_PUBLIC_POSTHOG_KEY=phc_xxx\n# just a sentence = with equals\nA=1\n");
        assert!(errs.is_empty());
        assert_eq!(e.len(), 2);
        assert!(e[0].commented && e[0].name == "NEXT_PUBLIC_POSTHOG_KEY" && e[0].line == 2);
        assert!(!e[1].commented);
    }

    #[test]
    fn placeholders_are_not_live() {
        let (e, _) = parse("DATABASE_URL=postgresql://USER:PASSWORD@HOST:5432/db\nAPI_KEY=your-api-key\nDB=postgresql://postgres:postgres@localhost:5432/x\n");
        assert!(e.iter().all(|x| !x.live_secret), "{e:?}");
    }

    #[test]
    fn redaction_hides_secrets() {
        let r = redact("postgres://app:hunter2secret@db.neon.tech:5432/app?sslmode=require&password=zzz");
        assert_eq!(r, "postgres://app:****@db.neon.tech:5432/app?sslmode=require&password=****");
        let r = redact("sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ");
        assert!(!r.contains("51Hx") && r.starts_with("sk_live_<redacted"));
    }

    #[test]
    fn errors_have_lines() {
        let (_, errs) = parse("A=1\nnot an assignment\n1BAD=2\nQ=\"open\n");
        let lines: Vec<usize> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4]);
    }

    #[test]
    fn url_parts_work() {
        let u = url_parts("redis://:pw@[::1]:6379/0").unwrap();
        assert_eq!(u.host, "::1");
        assert_eq!(u.port, Some(6379));
        assert!(u.has_password);
        assert!(url_parts("not a url").is_none());
    }

    #[test]
    fn no_panic_on_mangled_input() {
        for i in 0..=ENV.len() {
            if ENV.is_char_boundary(i) {
                let _ = parse(&ENV[..i]);
            }
            let mut b = ENV.as_bytes().to_vec();
            if i < b.len() {
                b[i] ^= 0x41;
                let s = String::from_utf8_lossy(&b).into_owned();
                let (e, _) = parse(&s);
                for x in e {
                    let _ = redact(&x.value);
                }
            }
        }
    }
}
