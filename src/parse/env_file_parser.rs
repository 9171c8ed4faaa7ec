//! dotenv files (.env, .env.example, .env.production …): names, lines, purpose comments, and
//! whether a value is empty, a placeholder, a reference or a literal, and whether it looks like a
//! live secret. Values are kept for checks but must never be printed; `redact` gives a printable
//! shape.
//!
//! Syntax (dotenv / docker compose): `KEY=value`, `export KEY=value`, `KEY: value`, spaces around
//! `=`, single-quoted (literal), double-quoted (`\n \r \t \\ \" \$` escapes) and backtick values,
//! all three of which may span lines, ` # comment` after an unquoted value (the `#` must follow
//! whitespace), `#` comment lines, blank lines, CRLF, a leading BOM.

/// What a value is, for checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// `KEY=` or only whitespace.
    Empty,
    /// A stand-in: `changeme`, `your-key-here`, `xxx`, `<...>`, `...`, `TODO`, example.com hosts,
    /// `sk_test_xxx`, one repeated character, `password`, `secret`, URLs with such parts.
    Placeholder,
    /// Refers to another variable: `${X}` anywhere, or the whole value `$X`.
    Reference,
    Literal,
}

/// One assignment.
#[derive(Debug, Clone)]
pub struct EnvEntry {
    pub name: String,
    /// The line of the name (a multi-line value starts here).
    pub line: usize,
    pub kind: ValueKind,
    /// The raw value: never print it (use `redact`).
    pub value: String,
    /// The comment lines directly above the entry and its inline comment: its purpose.
    /// Commented-out assignments are left out and secret-looking tokens are redacted.
    pub comment: Option<String>,
    /// The name suggests a secret (SECRET, PASSWORD, TOKEN, KEY but not PUBLIC_KEY, PRIVATE,
    /// CREDENTIAL, AUTH, SALT, DSN, database URLs, any `_URL` whose value has user:pass@).
    pub secret_name: bool,
    /// The value looks like a real credential: a provider's key format, a URL with a real
    /// password on a non-loopback host, or a long random value under a secret name.
    pub live_secret: bool,
    /// A commented-out assignment (`# KEY=value` with an UPPER_CASE name): documents an optional
    /// variable and sets nothing. Its value is not kept (empty, kind `Placeholder`).
    pub commented: bool,
}

/// A line that could not be read. Messages never contain values.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

fn valid_name(n: &str) -> bool {
    let mut chars = n.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Name segments that say the variable names something other than the secret itself
/// (`PASSWORD_FILE`, `TOKEN_EXPIRES_IN`, `AWS_ACCESS_KEY_ID`, `NEXTAUTH_URL`, `KEY_PREFIX`).
const NOT_SECRET_LAST: &[&str] = &[
    "URL",
    "URI",
    "HOST",
    "HOSTNAME",
    "PORT",
    "ID",
    "NAME",
    "USER",
    "USERNAME",
    "EMAIL",
    "REGION",
    "ENABLED",
    "DISABLED",
    "ENABLE",
    "MODE",
    "TYPE",
    "PROVIDER",
    "ISSUER",
    "AUDIENCE",
    "DOMAIN",
    "ORIGIN",
    "PATH",
    "FILE",
    "DIR",
    "TTL",
    "EXPIRY",
    "EXPIRES",
    "EXPIRATION",
    "IN",
    "AGE",
    "LENGTH",
    "ROUNDS",
    "ALGORITHM",
    "ALG",
    "HEADER",
    "TIMEOUT",
    "LIMIT",
    "VERSION",
    "DEBUG",
    // `REGISTRY_AUTH_HTPASSWD_REALM`: the name of an auth realm.
    "REALM",
    "SCOPE",
    "SCOPES",
    "CALLBACK",
    "REDIRECT",
    "ENDPOINT",
    "BUCKET",
    "PREFIX",
    "FORMAT",
    "STRATEGY",
    "LOCATION",
    "PROVIDERS",
    "POLICY",
    "LIFETIME",
    "SIGNUP",
    "SIGNIN",
    "LOGIN",
    "KIND",
];

/// Prefixes of variables that are sent to the browser by design.
const PUBLIC_PREFIXES: &[&str] = &["NEXT_PUBLIC_", "VITE_", "REACT_APP_", "EXPO_PUBLIC_", "PUBLIC_", "NUXT_PUBLIC_", "GATSBY_"];

/// Does the name alone suggest a secret?
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    // Browser-exposed variables cannot hold a secret (NEXT_PUBLIC_DEMO_PASSWORD,
    // NEXT_PUBLIC_DISABLE_EMAIL_PASSWORD_SIGNUP, NEXT_PUBLIC_FIREBASE_API_KEY).
    if PUBLIC_PREFIXES.iter().any(|p| n.starts_with(p)) {
        return false;
    }
    let segs: Vec<&str> = n.split(['_', '-', '.']).filter(|s| !s.is_empty()).collect();
    let Some(last) = segs.last() else { return false };
    // Database connection URLs carry credentials (REST endpoints such as UPSTASH_REDIS_REST_URL
    // do not).
    let url_like = (matches!(*last, "URL" | "URI" | "DSN") || n.contains("URL_") || n.contains("_URI_"))
        && !segs.iter().any(|s| matches!(*s, "REST" | "HTTP" | "HTTPS" | "API"));
    let db_like = segs.iter().any(|s| {
        matches!(
            *s,
            "DATABASE" | "DB" | "POSTGRES" | "POSTGRESQL" | "PG" | "MYSQL" | "MARIADB" | "MONGO" | "MONGODB" | "REDIS" | "KV" | "AMQP" | "RABBITMQ" | "DIRECT"
        )
    });
    if url_like && db_like {
        return true;
    }
    if NOT_SECRET_LAST.contains(last) {
        return false;
    }
    let strong = segs.iter().any(|s| {
        s.contains("SECRET")
            || s.contains("PASSWORD")
            || s.contains("PASSWD")
            || s.contains("PASSPHRASE")
            || matches!(*s, "PASS" | "PWD")
            || *s == "PRIVATEKEY"
            || s.contains("CREDENTIAL")
    });
    // PRIVATE only as PRIVATE_KEY: NEXT_PRIVATE_ is a server-only prefix, not a secret.
    if strong || n.contains("PRIVATE_KEY") {
        return true;
    }
    if n.contains("PUBLIC_KEY") || n.contains("PUBLISHABLE") || n.contains("ANON_KEY") || n.contains("SITE_KEY") {
        return false;
    }
    segs.iter().any(|s| {
        (s.ends_with("KEY") && !matches!(*s, "PUBLICKEY" | "PUBKEY" | "MONKEY" | "TURKEY" | "HOCKEY"))
            || *s == "KEYS"
            || s.contains("TOKEN")
            || s.ends_with("AUTH")
            || s.contains("SALT")
            || *s == "DSN"
    })
}

/// Values that stand in for a secret when they are the whole value.
const PLACEHOLDER_VALUES: &[&str] = &[
    "password",
    "secret",
    "pass",
    "passwd",
    "pwd",
    "changeme",
    "test",
    "testing",
    "admin",
    "root",
    "postgres",
    "example",
    "sample",
    "foo",
    "bar",
    "foobar",
    "baz",
    "abc",
    "abc123",
    "1234",
    "12345",
    "123456",
    "12345678",
    "qwerty",
    "letmein",
    "token",
    "key",
    "apikey",
    "api_key",
    "api-key",
    "secret_key",
    "secretkey",
    "mysecret",
    "supersecret",
    "super_secret",
    "mysecretpassword",
    "secretpassword",
    "password123",
    "randompassword",
    "johndoe",
    "user",
    "username",
    "host",
    "hostname",
    "port",
    "database",
    "dbname",
    "db_name",
    "none",
    "null",
    "undefined",
    "tbd",
    "todo",
    "n/a",
    // Hex "magic words" written as obvious stand-ins for a hex key.
    "deadbeef",
    "cafebabe",
    "feedface",
    "baadf00d",
    "decafbad",
    "deadc0de",
];

/// Substrings that mark a stand-in anywhere in the value (lowercased).
const PLACEHOLDER_PARTS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "changethis",
    "change_this",
    "change-this",
    "replaceme",
    "replace_me",
    "replace-me",
    "replace_with",
    "placeholder",
    "your_",
    "your-",
    "your.",
    "yourkey",
    "yoursecret",
    "yourtoken",
    "yourpassword",
    "yourapikey",
    "put_your",
    "insert_your",
    "enter_your",
    "example.com",
    "example.org",
    "example.net",
    "...",
    "\u{2026}",
    "{{",
    "<your",
    "randompassword",
    // Dictionary words of four letters or more hardly ever occur in generated values, and human
    // stand-ins (`smtpPassword`, `defaultSecretKey`, `swarm2replace2password`) are made of them.
    "password",
    "passwd",
    "secret",
    "example",
    "replace",
    "change",
    "default",
    "sample",
    "dummy",
    "your",
    "test",
    "demo",
    "fake",
    "todo",
    "here",
    "insert",
    "generate",
    "user:pass",
];

/// Whole words that mark a stand-in (lowercased tokens split on non-alphanumerics).
const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "placeholder",
    "todo",
    "tbd",
    "fixme",
    "dummy",
    "fake",
    "example",
    "sample",
    "your",
    "yours",
    "here",
    "redacted",
    "replace",
    "insert",
    "mysecret",
    "supersecret",
];

/// Is this value a stand-in rather than a real value?
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if PLACEHOLDER_VALUES.contains(&lower.as_str()) {
        return true;
    }
    let mut chars = v.chars();
    let first = chars.next().unwrap_or(' ');
    if v.chars().count() >= 3 && chars.all(|c| c == first) {
        return true;
    }
    if PLACEHOLDER_PARTS.iter().any(|p| lower.contains(p)) || v.contains("xxx") || v.contains("XXX") || v.contains("***") {
        return true;
    }
    // Keyboard and counting sequences, and this machine.
    if ["0123456789", "1234567890", "abcdef", "qwerty", "localhost", "127.0.0.1"]
        .iter()
        .any(|q| lower.contains(q))
    {
        return true;
    }
    // `<token>`, `[your key]` anywhere.
    if angle_placeholder(v) || (v.starts_with('[') && v.ends_with(']') && v.len() > 2) {
        return true;
    }
    lower.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| PLACEHOLDER_WORDS.contains(&w))
}

/// `<...>` with something inside.
fn angle_placeholder(v: &str) -> bool {
    let mut rest = v;
    while let Some(open) = rest.find('<') {
        let after = rest.get(open + 1..).unwrap_or("");
        match after.find('>') {
            Some(close) if close > 0 => return true,
            Some(close) => rest = after.get(close + 1..).unwrap_or(""),
            None => return false,
        }
    }
    false
}

/// Shannon entropy in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = [0usize; 256];
    let mut n = 0usize;
    for b in s.bytes() {
        if let Some(c) = counts.get_mut(b as usize) {
            *c += 1;
        }
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Does this look machine-generated (a key, a token, a random password) rather than words?
fn random_looking(s: &str, min_len: usize) -> bool {
    let len = s.chars().count();
    if len < min_len || s.chars().any(char::is_whitespace) {
        return false;
    }
    // A phrase or list: words joined by - _ . , / : (`my-dev-jwt-secret`, `github,google,oidc`).
    let words: Vec<&str> = s.split(['-', '_', '.', ',', '/', ':', ';', '|']).filter(|w| !w.is_empty()).collect();
    if words.len() >= 2 && words.iter().all(|w| w.chars().all(|c| c.is_ascii_alphabetic()) || w.len() <= 6) {
        return false;
    }
    if camel_phrase(s) {
        return false;
    }
    // Letters with digits, or both cases: symbols alone do not make a value random.
    let classes = [
        s.chars().any(|c| c.is_ascii_lowercase()),
        s.chars().any(|c| c.is_ascii_uppercase()),
        s.chars().any(|c| c.is_ascii_digit()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let hex = s.chars().all(|c| c.is_ascii_hexdigit());
    if classes < 2 && !(hex && len >= 32) {
        return false;
    }
    let threshold = ((len as f64).log2() - 0.8).min(3.4);
    entropy(s) >= threshold
}

/// `mySuperStrongKey`, `DefaultAdminToken`: words in camel case, each of two letters or more.
fn camel_phrase(s: &str) -> bool {
    if !s.chars().all(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    let mut words = 0usize;
    let mut run = 0usize;
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            if run < 2 {
                return false;
            }
            words += 1;
            run = 0;
        }
        run += 1;
    }
    run >= 2 && words >= 1
}

/// Known credential formats: (prefix, minimum tail length, tail charset test).
fn provider_prefix(v: &str) -> Option<&'static str> {
    type Tail = fn(char) -> bool;
    let alnum: Tail = |c| c.is_ascii_alphanumeric();
    let alnum_u: Tail = |c| c.is_ascii_alphanumeric() || c == '_';
    let alnum_d: Tail = |c| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let upper: Tail = |c| c.is_ascii_uppercase() || c.is_ascii_digit();
    let b64: Tail = |c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-');
    let hex: Tail = |c| c.is_ascii_hexdigit();
    let sg: Tail = |c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let formats: &[(&'static str, usize, Tail)] = &[
        ("sk_live_", 20, alnum),
        ("rk_live_", 20, alnum),
        ("ghp_", 30, alnum),
        ("gho_", 30, alnum),
        ("ghu_", 30, alnum),
        ("ghs_", 30, alnum),
        ("ghr_", 30, alnum),
        ("github_pat_", 40, alnum_u),
        ("xoxb-", 20, alnum_d),
        ("xoxp-", 20, alnum_d),
        ("xoxa-", 20, alnum_d),
        ("xoxr-", 20, alnum_d),
        ("xoxs-", 20, alnum_d),
        ("xoxe-", 20, alnum_d),
        ("AKIA", 16, upper),
        ("ASIA", 16, upper),
        ("AIza", 30, alnum_d),
        ("sk-proj-", 20, alnum_d),
        ("sk-svcacct-", 20, alnum_d),
        ("sk-admin-", 20, alnum_d),
        ("sk-ant-", 20, alnum_d),
        ("sk-or-", 20, alnum_d),
        ("sk-", 32, alnum_d),
        ("whsec_", 24, b64),
        ("glpat-", 20, alnum_d),
        ("SG.", 40, sg),
        ("npm_", 30, alnum),
        ("shpat_", 32, hex),
        ("shpss_", 32, hex),
        ("dop_v1_", 60, hex),
        ("hf_", 30, alnum),
        ("gsk_", 40, alnum),
        ("xai-", 40, alnum),
        ("re_", 24, alnum_u),
        ("sq0csp-", 30, alnum_d),
        ("pplx-", 40, alnum),
    ];
    for (prefix, min, tail_ok) in formats {
        let Some(tail) = v.strip_prefix(prefix) else { continue };
        if tail.chars().count() >= *min && tail.chars().all(tail_ok) && !is_placeholder(tail) && entropy(tail) >= 3.0 {
            return Some(prefix);
        }
        // The most specific matching prefix decides (`sk-proj-` before `sk-`).
        return None;
    }
    None
}

/// A PEM private key with a real body: at least 60 base64 characters between its header and
/// footer (an Ed25519 key has 64), random-looking, with no `...` or placeholder words.
fn private_key(v: &str) -> bool {
    let Some(begin) = v.find("-----BEGIN") else { return false };
    let after = v.get(begin..).unwrap_or("");
    if !after.contains("PRIVATE KEY") {
        return false;
    }
    // The body: after the header line's closing dashes, up to the footer.
    let Some(head_end) = after.get(10..).and_then(|r| r.find("-----")).map(|i| i + 15) else {
        return false;
    };
    let body_all = after.get(head_end..).unwrap_or("");
    let body = body_all.split("-----END").next().unwrap_or("");
    let b64: String = body.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')).collect();
    b64.len() >= 60 && !body.contains("...") && !is_placeholder(&b64) && entropy(&b64) >= 4.0
}

/// The provider prefix of a live-looking credential (`sk_live_`, `ghp_`, `AKIA`…), if the value is one.
pub fn provider_key(v: &str) -> Option<&'static str> {
    provider_prefix(v.trim())
}

/// Is this a PEM private key with a real body?
pub fn is_private_key(v: &str) -> bool {
    private_key(v)
}

/// Does a literal value under a secret-like name look like a real credential (provider format,
/// a URL with a real password, or a long random value)?
pub fn live_value(secret_name: bool, value: &str) -> bool {
    looks_live(secret_name, value, classify(value))
}

/// Does the value look like a known provider's live credential?
fn provider_format(v: &str) -> bool {
    provider_prefix(v.trim()).is_some() || private_key(v)
}

const LOOPBACK: &[&str] = &["localhost", "127.0.0.1", "0.0.0.0", "::1", "host.docker.internal"];

/// Defaults that are not real passwords.
const WEAK_PASSWORDS: &[&str] = &[
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "redis",
    "mongo",
    "admin",
    "root",
    "guest",
    "prisma",
    "docker",
    "dev",
    "local",
    "app",
    "changeit",
];

/// The password of a URL with one.
fn password_of(value: &str) -> Option<String> {
    let raw = split_url(value)?;
    let info = raw.userinfo?;
    info.split_once(':').map(|(_, p)| p.to_string()).filter(|p| !p.is_empty())
}

/// A URL is a placeholder when its user, password or host is one.
fn url_placeholder(value: &str) -> bool {
    let Some(u) = url_parts(value) else { return false };
    let pw = password_of(value).unwrap_or_default();
    let host = u.host.to_ascii_lowercase();
    let host_placeholder = host.is_empty() && u.scheme != "file"
        || PLACEHOLDER_VALUES.contains(&host.as_str())
        || host.starts_with("your")
        || host == "example"
        || host.ends_with("example.com")
        || host.ends_with("example.org")
        || host.ends_with("example.net")
        || angle_placeholder(&host)
        || host.contains("xxx");
    (u.has_password && is_placeholder(&pw))
        || host_placeholder
        || u.user
            .as_deref()
            .is_some_and(|x| angle_placeholder(x) || x.eq_ignore_ascii_case("user") || x.eq_ignore_ascii_case("username"))
            && !u.has_password
        || angle_placeholder(value)
        || value.contains("...")
}

/// `${X}` anywhere, or the whole value `$X`.
fn is_reference(v: &str) -> bool {
    let t = v.trim();
    if let Some(i) = t.find("${") {
        let after = t.get(i + 2..).unwrap_or("");
        if after.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && after.contains('}') {
            return true;
        }
    }
    if let Some(name) = t.strip_prefix('$') {
        return valid_name(name);
    }
    false
}

fn classify(value: &str) -> ValueKind {
    if value.trim().is_empty() {
        ValueKind::Empty
    } else if is_reference(value) {
        ValueKind::Reference
    } else if provider_format(value) {
        ValueKind::Literal
    } else if url_parts(value).is_some() {
        if url_placeholder(value) {
            ValueKind::Placeholder
        } else {
            ValueKind::Literal
        }
    } else if is_placeholder(value) {
        ValueKind::Placeholder
    } else {
        ValueKind::Literal
    }
}

/// A URL's password is a real one on a host that is not this machine.
fn live_url(value: &str) -> bool {
    let Some(u) = url_parts(value) else { return false };
    let Some(pw) = password_of(value) else { return false };
    let host = u.host.to_ascii_lowercase();
    let weak = WEAK_PASSWORDS.contains(&pw.to_ascii_lowercase().as_str()) || u.user.as_deref() == Some(pw.as_str());
    !weak && !is_placeholder(&pw) && !url_placeholder(value) && !LOOPBACK.contains(&host.as_str()) && pw.chars().count() >= 6
}

/// Does a file path rather than a secret sit in the value?
fn path_like(v: &str) -> bool {
    v.starts_with("./")
        || v.starts_with("../")
        || v.starts_with('/')
        || v.starts_with("~/")
        || [".json", ".pem", ".key", ".p12", ".crt", ".txt"].iter().any(|e| v.ends_with(e))
}

/// A file path (`/app/data/db.sqlite`, `./certs/key.pem`) rather than a secret: where a value
/// lives, not the value.
pub fn is_file_path(v: &str) -> bool {
    let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
    path_like(v) && !v.contains(char::is_whitespace) && !random_looking(v, 16)
}

fn looks_live(secret_name: bool, value: &str, kind: ValueKind) -> bool {
    if kind != ValueKind::Literal {
        return false;
    }
    if provider_format(value) {
        return true;
    }
    if url_parts(value).is_some() {
        return live_url(value);
    }
    // A bcrypt / argon2 / scrypt hash is what a login compares a password with, not a credential.
    if password_hash(value) {
        return false;
    }
    secret_name && !path_like(value) && random_looking(value, 16)
}

/// `$2b$10$…` (bcrypt), `$argon2id$…`, `$scrypt$…`.
fn password_hash(v: &str) -> bool {
    let v = v.trim_matches(|c| c == '"' || c == '\'');
    ["$2a$", "$2b$", "$2y$", "$argon2", "$scrypt$"].iter().any(|p| v.starts_with(p))
}

/// Replace secret-looking tokens of a comment with their redacted shape.
fn scrub(comment: &str) -> String {
    comment
        .split(' ')
        .map(|tok| {
            let bare = tok.trim_matches(|c: char| matches!(c, '"' | '\'' | '`' | '(' | ')' | ',' | ';'));
            if provider_format(bare) || live_url(bare) || password_of(bare).is_some() || random_looking(bare, 24) {
                redact(bare)
            } else {
                tok.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The name of a commented-out assignment (`# KEY=value`, `# export KEY=value`).
fn commented_assignment(text: &str) -> Option<String> {
    let t = text.trim_start();
    let t = t.strip_prefix("export ").map(str::trim_start).unwrap_or(t);
    let name = t.get(..t.find('=')?)?;
    valid_name(name).then(|| name.to_string())
}

/// The text of a comment line, without `#` and decoration (`# ---- Database ----`).
fn comment_text(line: &str) -> String {
    line.trim_start_matches('#')
        .trim()
        .trim_matches(|c: char| matches!(c, '-' | '=' | '*' | '#' | '~' | '_') || c.is_whitespace())
        .to_string()
}

/// An inline comment after a value: `# text` after whitespace.
fn inline_comment(rest: &str) -> Option<String> {
    let t = rest.trim();
    let c = t.strip_prefix('#')?;
    let c = c.trim();
    (!c.is_empty()).then(|| c.to_string())
}

/// Read a quoted value starting after the opening quote at line `start` (0-based index into
/// `lines`), column `col` bytes into that line. Returns (value, index of the line after the
/// value, inline comment) or None when the quote is never closed.
fn read_quoted(lines: &[&str], start: usize, col: usize, quote: char) -> Option<(String, usize, Option<String>)> {
    let mut out = String::new();
    let mut li = start;
    let mut text = lines.get(start)?.get(col..).unwrap_or("");
    loop {
        let mut chars = text.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == quote {
                let rest = text.get(i + c.len_utf8()..).unwrap_or("");
                return Some((out, li + 1, inline_comment(rest)));
            }
            if c == '\\' && quote == '"' {
                match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 'r')) => out.push('\r'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, e @ ('\\' | '"' | '$'))) => out.push(e),
                    Some((_, o)) => {
                        out.push('\\');
                        out.push(o);
                    }
                    None => out.push('\\'),
                }
                continue;
            }
            out.push(c);
        }
        li += 1;
        text = lines.get(li)?;
        out.push('\n');
    }
}

/// Parse a dotenv file. Never fails: unreadable lines are errors with their line, the rest is
/// read.
pub fn parse(src: &str) -> (Vec<EnvEntry>, Vec<ParseError>) {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let lines: Vec<&str> = src.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut comment: Vec<String> = Vec::new();
    let mut i = 0usize;
    while let Some(&line) = lines.get(i) {
        let lineno = i + 1;
        i += 1;
        let t = line.trim();
        if t.is_empty() {
            comment.clear();
            continue;
        }
        if t.starts_with('#') {
            let body = t.trim_start_matches('#');
            if let Some(name) = commented_assignment(body) {
                if name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
                    // `# KEY=value` documents an optional variable; its value is not kept.
                    let purpose = std::mem::take(&mut comment);
                    entries.push(EnvEntry {
                        secret_name: is_secret_name(&name),
                        name,
                        line: lineno,
                        kind: ValueKind::Placeholder,
                        value: String::new(),
                        comment: (!purpose.is_empty()).then(|| scrub(&purpose.join(" "))),
                        live_secret: false,
                        commented: true,
                    });
                }
                continue;
            }
            let text = comment_text(t);
            if !text.is_empty() {
                comment.push(text);
            }
            continue;
        }
        let lead = line.len() - line.trim_start().len();
        let mut offset = lead;
        if let Some(rest) = t.strip_prefix("export") {
            if rest.starts_with([' ', '\t']) {
                offset += "export".len() + (rest.len() - rest.trim_start().len());
            }
        }
        let body = line.get(offset..).unwrap_or("");
        // `KEY=value`, or dotenv's `KEY: value`.
        let sep = match (body.find('='), body.find(": ")) {
            (Some(eq), Some(colon)) if colon < eq => Some((colon, 2)),
            (Some(eq), _) => Some((eq, 1)),
            (None, Some(colon)) => Some((colon, 2)),
            (None, None) => None,
        };
        let Some((sep_at, sep_len)) = sep else {
            errors.push(ParseError {
                line: lineno,
                message: "expected KEY=value, a comment or a blank line".into(),
            });
            comment.clear();
            continue;
        };
        let name = body.get(..sep_at).unwrap_or("").trim().to_string();
        if !valid_name(&name) {
            errors.push(ParseError {
                line: lineno,
                message: if name.is_empty() {
                    "missing variable name before `=`".into()
                } else {
                    "invalid variable name (letters, digits and `_`, not starting with a digit)".into()
                },
            });
            comment.clear();
            continue;
        }
        let value_start = offset + sep_at + sep_len;
        let raw = line.get(value_start..).unwrap_or("");
        let trimmed = raw.trim_start();
        let qcol = value_start + (raw.len() - trimmed.len());
        let quote = trimmed.chars().next().filter(|c| matches!(c, '"' | '\'' | '`'));
        let (value, inline) = match quote {
            Some(q) => match read_quoted(&lines, lineno - 1, qcol + 1, q) {
                Some((v, next, inline)) => {
                    i = next;
                    (v, inline)
                }
                None => {
                    errors.push(ParseError {
                        line: lineno,
                        message: format!("unterminated {} value", if q == '"' { "double-quoted" } else { "quoted" }),
                    });
                    (trimmed.get(1..).unwrap_or("").trim_end().to_string(), None)
                }
            },
            None => {
                // ` #` starts a comment.
                let mut cut = trimmed.len();
                let mut prev_ws = false;
                for (j, c) in trimmed.char_indices() {
                    if c == '#' && prev_ws {
                        cut = j;
                        break;
                    }
                    prev_ws = c == ' ' || c == '\t';
                }
                let v = trimmed.get(..cut).unwrap_or("").trim_end().to_string();
                (v, inline_comment(trimmed.get(cut..).unwrap_or("")))
            }
        };
        let kind = classify(&value);
        let mut purpose: Vec<String> = std::mem::take(&mut comment);
        if let Some(c) = inline {
            purpose.push(c);
        }
        let comment_text = if purpose.is_empty() { None } else { Some(scrub(&purpose.join(" "))) };
        let secret_name = is_secret_name(&name)
            || (name.to_ascii_uppercase().ends_with("URL") || name.to_ascii_uppercase().ends_with("URI") || name.to_ascii_uppercase().ends_with("DSN"))
                && password_of(&value).is_some();
        let live_secret = looks_live(secret_name, &value, kind);
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

/// A URL value split into parts, for checks.
#[derive(Debug, Clone)]
pub struct UrlParts {
    /// Lowercased.
    pub scheme: String,
    pub user: Option<String>,
    pub has_password: bool,
    pub host: String,
    pub port: Option<u16>,
    /// From the first `/` after the host up to `?` (e.g. `/app`), or empty.
    pub path: String,
    pub params: Vec<(String, String)>,
}

/// The raw pieces of a URL.
struct RawUrl<'a> {
    scheme: &'a str,
    userinfo: Option<&'a str>,
    hostport: &'a str,
    path: &'a str,
    query: &'a str,
}

/// Split `scheme://[userinfo@]host[:port][/path][?query][#fragment]`. The userinfo ends at the
/// last `@` that is followed by a plausible host, so passwords with unencoded `@ / ? #` still
/// land in the userinfo (and are redacted).
fn split_url(value: &str) -> Option<RawUrl<'_>> {
    let v = value.trim();
    if v.chars().any(char::is_whitespace) {
        return None;
    }
    let (scheme, rest) = v.split_once("://")?;
    if scheme.is_empty()
        || scheme.len() > 32
        || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let host_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']' | '%' | ',' | '~');
    let mut userinfo = None;
    let mut after = rest;
    for (at, _) in rest.match_indices('@').collect::<Vec<_>>().into_iter().rev() {
        let before = rest.get(..at).unwrap_or("");
        let tail = rest.get(at + 1..).unwrap_or("");
        let host_end = tail.find(['/', '?', '#']).unwrap_or(tail.len());
        let host = tail.get(..host_end).unwrap_or("");
        let delim = before.find(['/', '?', '#']);
        let colon = before.find(':');
        let userinfo_ok = match (delim, colon) {
            (None, _) => true,
            (Some(d), Some(c)) => c < d,
            (Some(_), None) => false,
        };
        if host.chars().all(host_char) && userinfo_ok {
            userinfo = Some(before);
            after = tail;
            break;
        }
    }
    let host_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let hostport = after.get(..host_end).unwrap_or("");
    let tail = after.get(host_end..).unwrap_or("");
    let tail = tail.split('#').next().unwrap_or("");
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    Some(RawUrl {
        scheme,
        userinfo,
        hostport,
        path,
        query,
    })
}

/// Parse a URL value into parts for checks: scheme, user, whether it has a password, host, port,
/// path (the database) and query parameters. None when the value is not `scheme://…`.
pub fn url_parts(value: &str) -> Option<UrlParts> {
    let raw = split_url(value)?;
    let (user, has_password) = match raw.userinfo {
        Some(u) => match u.split_once(':') {
            Some((n, p)) => (Some(n.to_string()), !p.is_empty()),
            None => (Some(u.to_string()), false),
        },
        None => (None, false),
    };
    let hp = raw.hostport;
    let (host, port) = if let Some(h) = hp.strip_prefix('[') {
        let (h, p) = h.split_once(']').unwrap_or((h, ""));
        (h.to_string(), p.strip_prefix(':').and_then(|p| p.parse().ok()))
    } else if hp.contains(',') {
        // Several hosts (MongoDB, Postgres multi-host): keep them together.
        (hp.to_string(), None)
    } else {
        match hp.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().ok()),
            None => (hp.to_string(), None),
        }
    };
    let params = raw
        .query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (kv.to_string(), String::new()),
        })
        .collect();
    Some(UrlParts {
        scheme: raw.scheme.to_ascii_lowercase(),
        user,
        has_password,
        host,
        port,
        path: raw.path.to_string(),
        params,
    })
}

/// Query parameters whose values are shown as they are.
const SAFE_PARAMS: &[&str] = &[
    "sslmode",
    "ssl",
    "sslaccept",
    "schema",
    "connection_limit",
    "pool_timeout",
    "pgbouncer",
    "connect_timeout",
    "socket_timeout",
    "statement_cache_size",
    "authsource",
    "authmechanism",
    "retrywrites",
    "w",
    "replicaset",
    "tls",
    "directconnection",
    "appname",
    "application_name",
    "charset",
    "timezone",
    "channel_binding",
    "target_session_attrs",
    "family",
    "db",
    "region",
    "encrypt",
    "trustservercertificate",
    "sslrootcert",
    "sslcert",
    "options",
    "max",
    "min",
];

/// Query parameter names that carry secrets.
const SECRET_PARAMS: &[&str] = &[
    "pass",
    "pwd",
    "token",
    "key",
    "secret",
    "sig",
    "auth",
    "credential",
    "code",
    "session",
    "jwt",
    "private",
];

fn shown_or_masked(s: &str, limit: usize) -> String {
    if s.is_empty() {
        return String::new();
    }
    if provider_format(s) || random_looking(s, 12) || is_placeholder(s) && s.len() > limit {
        return "****".into();
    }
    let clipped: String = s.chars().take(limit).collect();
    if clipped.len() < s.len() {
        format!("{clipped}…")
    } else {
        clipped
    }
}

/// A printable shape that reveals no secret: URLs as `scheme://user:****@host:port/db?params`
/// (password always `****`; host, port, database, parameter names and the values of non-secret
/// parameters such as sslmode kept; random-looking user names, path segments and parameter
/// values masked), other values as a length and class, e.g. `<redacted, 40 chars>`.
pub fn redact(value: &str) -> String {
    let v = value.trim();
    if v.is_empty() {
        return "<empty>".into();
    }
    if let Some(raw) = split_url(v) {
        let mut s = format!("{}://", raw.scheme.to_ascii_lowercase());
        if let Some(info) = raw.userinfo {
            let (user, pw) = match info.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (info, None),
            };
            s.push_str(&shown_or_masked(user, 32));
            if pw.is_some() {
                s.push_str(":****");
            }
            s.push('@');
        }
        let host: String = raw.hostport.chars().take(100).collect();
        s.push_str(&host);
        if !raw.path.is_empty() {
            let segs: Vec<String> = raw.path.split('/').take(12).map(|seg| shown_or_masked(seg, 40)).collect();
            s.push_str(&segs.join("/"));
        }
        if !raw.query.is_empty() {
            let qs: Vec<String> = raw
                .query
                .split('&')
                .filter(|kv| !kv.is_empty())
                .take(20)
                .map(|kv| {
                    let (k, val) = kv.split_once('=').unwrap_or((kv, ""));
                    let lk = k.to_ascii_lowercase();
                    let k_shown = shown_or_masked(k, 40);
                    if val.is_empty() {
                        k_shown
                    } else if SAFE_PARAMS.contains(&lk.as_str()) {
                        format!("{k_shown}={}", shown_or_masked(val, 40))
                    } else if SECRET_PARAMS.iter().any(|p| lk.contains(p))
                        || val.len() > 32
                        || !val.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ','))
                    {
                        format!("{k_shown}=****")
                    } else {
                        format!("{k_shown}={}", shown_or_masked(val, 32))
                    }
                })
                .collect();
            s.push('?');
            s.push_str(&qs.join("&"));
        }
        return s;
    }
    let n = v.chars().count();
    if private_key(v) {
        return format!("<redacted private key, {n} chars>");
    }
    if let Some(p) = provider_prefix(v) {
        return format!("<redacted {p}… key, {n} chars>");
    }
    format!("<redacted, {n} chars>")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENV: &str = "\u{feff}# Database connection\nDATABASE_URL=postgresql://app:s3cr3tPassw0rd@db.acme-internal.net:5432/app?sslmode=require\n\nexport JWT_SECRET=\"q8Zr2LmP0xVb7TkN4wYe1HsJ\" # signing key\nEMPTY=\nREF=${OTHER}\nPLACE=changeme\nSTRIPE_SECRET_KEY=sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ9f8e7d6c5b4aZ\nMULTI=\"a\nb \\\"q\\\" \\n\"\nNEXT_PUBLIC_URL=https://example.com\r\nSINGLE='it''s $NOT ${EXPANDED}'\nPORT = 3000 # the port\nHASH=abc#def\nexport   SPACED=1\nYAML: style\n# old value:\n# API_KEY=sk_live_shouldnotshow0123456789abcdef\nAPI_KEY=\n";

    #[test]
    fn parses_entries() {
        let (e, errs) = parse(ENV);
        assert!(errs.is_empty(), "{errs:?}");
        let names: Vec<(&str, usize)> = e.iter().filter(|x| !x.commented).map(|x| (x.name.as_str(), x.line)).collect();
        assert_eq!(
            names,
            [
                ("DATABASE_URL", 2),
                ("JWT_SECRET", 4),
                ("EMPTY", 5),
                ("REF", 6),
                ("PLACE", 7),
                ("STRIPE_SECRET_KEY", 8),
                ("MULTI", 9),
                ("NEXT_PUBLIC_URL", 11),
                ("SINGLE", 12),
                ("PORT", 13),
                ("HASH", 14),
                ("SPACED", 15),
                ("YAML", 16),
                ("API_KEY", 19),
            ]
        );
        let by = |n: &str| e.iter().find(|x| x.name == n && !x.commented).unwrap();
        let db = by("DATABASE_URL");
        assert_eq!(db.comment.as_deref(), Some("Database connection"));
        assert!(db.live_secret && db.secret_name);
        assert_eq!(db.kind, ValueKind::Literal);
        let jwt = by("JWT_SECRET");
        assert_eq!(jwt.value, "q8Zr2LmP0xVb7TkN4wYe1HsJ");
        assert_eq!(jwt.comment.as_deref(), Some("signing key"));
        assert!(jwt.live_secret && jwt.secret_name);
        assert_eq!(by("EMPTY").kind, ValueKind::Empty);
        assert_eq!(by("REF").kind, ValueKind::Reference);
        assert_eq!(by("PLACE").kind, ValueKind::Placeholder);
        assert!(!by("PLACE").live_secret);
        assert!(by("STRIPE_SECRET_KEY").live_secret);
        assert_eq!(by("MULTI").value, "a\nb \"q\" \n");
        let url = by("NEXT_PUBLIC_URL");
        assert_eq!(url.value, "https://example.com");
        assert_eq!(url.kind, ValueKind::Placeholder);
        assert!(!url.secret_name && !url.live_secret);
        // Single quotes are literal; the value ends at the first closing quote.
        assert_eq!(by("SINGLE").value, "it");
        let port = by("PORT");
        assert_eq!((port.value.as_str(), port.comment.as_deref()), ("3000", Some("the port")));
        assert_eq!(by("HASH").value, "abc#def");
        assert_eq!(by("SPACED").value, "1");
        assert_eq!(by("YAML").value, "style");
        // The commented-out assignment documents the variable, without its value.
        let old = e.iter().find(|x| x.commented).unwrap();
        assert_eq!((old.name.as_str(), old.line, old.comment.as_deref()), ("API_KEY", 18, Some("old value:")));
        assert_eq!(
            (old.kind, old.value.as_str(), old.live_secret, old.secret_name),
            (ValueKind::Placeholder, "", false, true)
        );
        let api = by("API_KEY");
        assert_eq!(api.comment, None);
        assert_eq!(api.kind, ValueKind::Empty);
        assert!(api.secret_name && !api.live_secret);
    }

    #[test]
    fn commented_assignments_document_optional_variables() {
        let (e, errs) = parse("# Optional analytics\n# NEXT_PUBLIC_POSTHOG_KEY=phc_xxx\n# just a sentence = with equals\n# lower=case\nA=1\n");
        assert!(errs.is_empty());
        assert_eq!(e.len(), 2);
        assert!(e[0].commented && e[0].name == "NEXT_PUBLIC_POSTHOG_KEY" && e[0].line == 2);
        assert_eq!(e[0].comment.as_deref(), Some("Optional analytics"));
        assert!(!e[1].commented);
        assert_eq!(e[1].comment.as_deref(), Some("just a sentence = with equals"));
    }

    #[test]
    fn secret_names() {
        for n in [
            "JWT_SECRET",
            "DB_PASSWORD",
            "SMTP_PASS",
            "GITHUB_TOKEN",
            "STRIPE_KEY",
            "OPENAI_API_KEY",
            "APIKEY",
            "PRIVATE_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "DATABASE_URL",
            "DIRECT_URL",
            "POSTGRES_PRISMA_URL",
            "POSTGRES_URL_NON_POOLING",
            "REDIS_URL",
            "MONGODB_URI",
            "BASIC_AUTH",
            "NEXTAUTH_SECRET",
            "PASSWORD_SALT",
            "SENTRY_DSN",
            "AWS_SECRET_ACCESS_KEY",
            "NEXT_PRIVATE_SIGNING_PASSPHRASE",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "PORT",
            "NODE_ENV",
            "NEXTAUTH_URL",
            "AUTH_TRUST_HOST",
            "AUTH_GOOGLE_ID",
            "AWS_ACCESS_KEY_ID",
            "STRIPE_PUBLIC_KEY",
            "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY",
            "NEXT_PUBLIC_FIREBASE_API_KEY",
            "SUPABASE_ANON_KEY",
            "KEYCLOAK_REALM",
            "POSTGRES_PASSWORD_FILE",
            "TOKEN_EXPIRES_IN",
            "BCRYPT_SALT_ROUNDS",
            "REDIS_KEY_PREFIX",
            "AUTHOR",
            "NEXT_PUBLIC_API_SECRET",
            "NEXT_PUBLIC_DEMO_PASSWORD",
            "NEXT_PRIVATE_SMTP_FROM_ADDRESS",
            "STORAGE_PRIVATE_BUCKET",
            "UPSTASH_REDIS_REST_URL",
            "SOCIAL_AUTH_PROVIDERS",
            "",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
        // Any *_URL with user:pass@ is a secret by its value.
        let (e, _) = parse("SERVICE_URL=https://bot:Zq8r2LmP0xVb7Tk@api.acme.io/\nHOME_URL=https://acme.io\n");
        assert!(e[0].secret_name && e[0].live_secret);
        assert!(!e[1].secret_name && !e[1].live_secret);
    }

    #[test]
    fn placeholders_are_not_live() {
        let src = "DATABASE_URL=postgresql://USER:PASSWORD@HOST:5432/db\nA_API_KEY=your-api-key\nDB=postgresql://postgres:postgres@localhost:5432/x\nP=\"postgresql://johndoe:randompassword@localhost:5432/mydb?schema=public\"\nS_KEY=sk_test_xxxxxxxxxxxxxxxxxxxxxxxx\nL_KEY=sk_live_...\nT_TOKEN=<your token>\nX_SECRET=xxxxxxxxxxxxxxxxxxxxxx\nY_SECRET=TODO\nZ_SECRET=secret\nW_PASSWORD=password\nV_SECRET=aaaaaaaaaaaaaaaaaaaaaaa\nU_URL=postgres://u:Zq8r2LmP0xVb7TkN@db.example.com/app\nR_SECRET=my-dev-jwt-signing-secret\nQ_SECRET=[your secret]\nLOCAL=postgres://app:Zq8r2LmP0xVb7TkN@localhost:5432/app\n";
        let (e, errs) = parse(src);
        assert!(errs.is_empty(), "{errs:?}");
        for x in &e {
            assert!(!x.live_secret, "{} should not be live", x.name);
        }
        let kinds: Vec<ValueKind> = e.iter().map(|x| x.kind).collect();
        assert!(kinds.iter().take(15).all(|k| *k == ValueKind::Placeholder), "{kinds:?}");
        // A real password on this machine is a literal value, just not a live secret.
        assert_eq!(e[15].kind, ValueKind::Literal);
        // Human stand-ins made of words, lists and camel-case phrases are not live either.
        let (e, _) = parse("A_SECRET=defaultSecretKey\nB_PASSWORD=swarm2replace2password\nC_PASSWORD=smtpPassword\nD_AUTH=github,google,oidc\nE_TOKEN=mySuperStrongToken\nF_KEY=rallly-access-key\n");
        assert!(
            e.iter().all(|x| !x.live_secret),
            "{:?}",
            e.iter().map(|x| (&x.name, x.live_secret)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn live_formats() {
        let live = [
            "STRIPE=sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ",
            "GH=ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
            "PAT=github_pat_11AZQ2E7Y0kq3LmNoPqR_sTuVwXyZ9f8e7d6c5b4aZq8Zr2LmP0xVb7TkN4wYe1HsJ",
            "SLACK=xoxb-2849361057-7395018264-q8Zr2LmP0xVb7TkN4wYe1HsJ",
            "AWS=AKIAIOSFODNN7EXAMPL3",
            "GOOG=AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
            "OPENAI=sk-proj-A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0",
            "OLDAI=sk-A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2",
            "RK=rk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ",
            "WH=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "PK=\"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvuNMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ\n-----END PRIVATE KEY-----\"",
            "SOME_TOKEN=8f4b2c1e9d7a6b5c3e2f1a0b9c8d7e6f5a4b3c2d",
        ];
        for l in live {
            let (e, errs) = parse(l);
            assert!(errs.is_empty(), "{l}: {errs:?}");
            assert!(e[0].live_secret, "{l}");
            let r = redact(&e[0].value);
            assert!(r.starts_with("<redacted"), "{r}");
            assert!(!r.contains(&e[0].value.chars().skip(8).take(8).collect::<String>()), "{r}");
        }
        let not_live = [
            "STRIPE=sk_test_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ",
            "SHORT=ghp_abc",
            "NOT_SECRET_NAME=q8Zr2LmP0xVb7TkN4wYe1HsJ",
            "GOOGLE_APPLICATION_CREDENTIALS=./config/service-account-prod.json",
            "APP_SECRET=short1",
            "ANON=sk-not-a-key",
            "PK=-----BEGIN PRIVATE KEY-----...-----END PRIVATE KEY-----",
        ];
        for l in not_live {
            let (e, _) = parse(l);
            assert!(!e[0].live_secret, "{l}");
        }
    }

    #[test]
    fn redaction_hides_secrets() {
        let r = redact("postgres://app:hunter2secret@db.neon.tech:5432/app?sslmode=require&password=zzz&connection_limit=5&x=Zq8r2LmP0xVb7TkN4wYe");
        assert_eq!(
            r,
            "postgres://app:****@db.neon.tech:5432/app?sslmode=require&password=****&connection_limit=5&x=****"
        );
        let r = redact("sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ");
        assert_eq!(r, "<redacted sk_live_… key, 35 chars>");
        assert_eq!(redact("q8Zr2LmP0xVb7TkN4wYe1HsJ"), "<redacted, 24 chars>");
        assert_eq!(redact(""), "<empty>");
        // Passwords with unencoded / @ ? # still land in the password.
        for (v, pw) in [
            ("postgres://u:pa/ss@host:5432/db", "pa/ss"),
            ("postgres://u:p@ss@host/db", "p@ss"),
            ("mysql://u:p?w#d@host/db", "p?w#d"),
            ("redis://:sup3rs3cret@cache.internal:6379", "sup3rs3cret"),
        ] {
            let r = redact(v);
            assert!(!r.contains(pw), "{v} -> {r}");
            assert!(r.contains(":****@host") || r.contains(":****@cache"), "{v} -> {r}");
        }
        // Tokens in user names, paths and unknown parameters are masked.
        let r = redact("https://ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8@github.com/acme/app.git");
        assert_eq!(r, "https://****@github.com/acme/app.git");
        let r = redact("https://hooks.slack.com/services/T0001/B0002/Zq8r2LmP0xVb7TkN4wYe1HsJ");
        assert_eq!(r, "https://hooks.slack.com/services/T0001/B0002/****");
        let r = redact("mongodb+srv://admin:Zq8r2LmP0xVb7TkN@cluster0.ab1cd.mongodb.net/shop?retryWrites=true&w=majority&appName=Cluster0");
        assert_eq!(
            r,
            "mongodb+srv://admin:****@cluster0.ab1cd.mongodb.net/shop?retryWrites=true&w=majority&appName=Cluster0"
        );
    }

    #[test]
    fn comments_never_carry_secrets() {
        let (e, _) = parse("# prod: postgres://app:Zq8r2LmP0xVb7TkN@db.acme.io/app\n# key sk_live_51HxQ2eJ8kq3LmNoPqRsTuVwXyZ here\nDATABASE_URL=\n");
        let c = e[0].comment.as_deref().unwrap();
        assert!(!c.contains("Zq8r2LmP0xVb7TkN") && !c.contains("51HxQ2eJ8kq3"), "{c}");
        assert!(c.contains("postgres://app:****@db.acme.io/app"), "{c}");
    }

    #[test]
    fn comment_blocks_and_decoration() {
        let (e, _) = parse("# ---- Auth ----\n\n# Used to sign sessions.\n# Generate with openssl rand -base64 32\nAUTH_SECRET=\nOTHER=1\n");
        assert_eq!(e[0].comment.as_deref(), Some("Used to sign sessions. Generate with openssl rand -base64 32"));
        assert_eq!(e[1].comment, None);
    }

    #[test]
    fn errors_have_lines() {
        let (e, errs) = parse("A=1\nnot an assignment\n1BAD=2\nQ=\"open\nB=2\n=x\n");
        let lines: Vec<usize> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 6]);
        assert!(errs.iter().all(|e| !e.message.contains("open")));
        // Recovery: the unterminated quote is read as one line and B is still found.
        assert!(e.iter().any(|x| x.name == "B" && x.line == 5));
        assert!(e.iter().any(|x| x.name == "Q" && x.value == "open"));
    }

    #[test]
    fn multiline_quotes_and_crlf() {
        let (e, errs) = parse("A=\"line1\r\nline2\"\r\nB='x\r\ny' # c\r\nC=`t`\r\n");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(e[0].value, "line1\nline2");
        assert_eq!((e[1].value.as_str(), e[1].line, e[1].comment.as_deref()), ("x\ny", 3, Some("c")));
        assert_eq!((e[2].value.as_str(), e[2].line), ("t", 5));
    }

    #[test]
    fn references() {
        let (e, _) = parse("A=${B}\nC=postgres://${U}:${P}@${H}/db\nD=$E\nF=pa$word1234\nG='${X'\n");
        let k: Vec<ValueKind> = e.iter().map(|x| x.kind).collect();
        assert_eq!(k[..3], [ValueKind::Reference; 3]);
        assert_eq!(k[3], ValueKind::Literal);
        assert_eq!(k[4], ValueKind::Literal);
    }

    #[test]
    fn url_parts_work() {
        let u = url_parts("redis://:pw@[::1]:6379/0").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.has_password, u.user.as_deref()),
            ("::1", Some(6379), true, Some(""))
        );
        let u = url_parts("postgresql://app:pw@ep-x.eu-central-1.aws.neon.tech/app?sslmode=require&pgbouncer=true#frag").unwrap();
        assert_eq!(u.scheme, "postgresql");
        assert_eq!(u.host, "ep-x.eu-central-1.aws.neon.tech");
        assert_eq!(u.port, None);
        assert_eq!(u.path, "/app");
        assert_eq!(
            u.params,
            vec![("sslmode".to_string(), "require".to_string()), ("pgbouncer".to_string(), "true".to_string())]
        );
        let u = url_parts("https://example.com/a?email=x@y.com").unwrap();
        assert_eq!((u.host.as_str(), u.user.as_deref()), ("example.com", None));
        let u = url_parts("mongodb://u:p@h1:27017,h2:27017/db").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("h1:27017,h2:27017", None));
        let u = url_parts("postgres://u:p/q@host:5432/db").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.path.as_str()), ("host", Some(5432), "/db"));
        assert!(url_parts("not a url").is_none());
        assert!(url_parts("file:./dev.db").is_none());
        assert!(url_parts("1http://x").is_none());
    }

    #[test]
    fn no_panic_on_mangled_input() {
        let inputs = [
            ENV,
            "A=\"x\\\nB='\nC=`\n# \u{e9}\u{1F600}\nD=\u{e9}://\u{e9}:\u{e9}@\u{e9}/\u{e9}?\u{e9}=\u{e9}&k\n",
        ];
        for input in inputs {
            for i in 0..=input.len() {
                if input.is_char_boundary(i) {
                    for x in parse(&input[..i]).0 {
                        let _ = redact(&x.value);
                        let _ = url_parts(&x.value);
                    }
                }
                let mut b = input.as_bytes().to_vec();
                if i < b.len() {
                    b[i] ^= 0x41;
                    for x in parse(&String::from_utf8_lossy(&b)).0 {
                        let _ = redact(&x.value);
                    }
                    let pool = b"\"'`#=$\\{}@:/?\n";
                    b[i] = pool[i % pool.len()];
                    for x in parse(&String::from_utf8_lossy(&b)).0 {
                        let _ = redact(&x.value);
                        let _ = url_parts(&x.value);
                    }
                }
            }
        }
        for v in [
            "://",
            "a://@",
            "a://:@",
            "a://[",
            "a://[::1",
            "a://h:99999",
            "a://u@h?&&=&",
            "x://@@@",
            "x://a@b@c/d?e@f",
        ] {
            let _ = (redact(v), url_parts(v), is_placeholder(v));
        }
    }
}
