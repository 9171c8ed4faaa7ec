//! package.json: scripts, dependencies, engines, workspaces, with the line of each item.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepKind {
    Prod,
    Dev,
    Optional,
    Peer,
}

#[derive(Debug, Clone)]
pub struct Dep {
    pub name: String,
    pub spec: String,
    pub line: usize,
    pub kind: DepKind,
}

#[derive(Debug, Clone, Default)]
pub struct PackageJson {
    pub name: Option<String>,
    pub version: Option<String>,
    pub private: bool,
    pub module_type: Option<String>,
    pub scripts: Vec<(String, String, usize)>,
    pub deps: Vec<Dep>,
    pub engines_node: Option<(String, usize)>,
    pub package_manager: Option<(String, usize)>,
    pub workspaces: Vec<String>,
    pub prisma_seed: Option<(String, usize)>,
    pub prisma_schema: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ParseError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Lines of `"key":` occurrences at each nesting path, found by one scan of the text.
struct KeyLines {
    /// (path joined with '\u{0}', line)
    keys: Vec<(String, usize)>,
}

impl KeyLines {
    fn scan(src: &str) -> KeyLines {
        let b = src.as_bytes();
        let mut keys = Vec::new();
        let mut stack: Vec<Option<String>> = Vec::new(); // key that opened each container (None for arrays/root)
        let mut pending: Option<String> = None;
        let mut line = 1usize;
        let mut i = 0usize;
        while i < b.len() {
            let c = b[i];
            match c {
                b'\n' => line += 1,
                b'"' => {
                    let start_line = line;
                    let mut j = i + 1;
                    let mut s = Vec::new();
                    while j < b.len() && b[j] != b'"' {
                        if b[j] == b'\\' && j + 1 < b.len() {
                            s.push(b[j + 1]);
                            j += 2;
                            continue;
                        }
                        if b[j] == b'\n' {
                            line += 1;
                        }
                        s.push(b[j]);
                        j += 1;
                    }
                    let text = String::from_utf8_lossy(&s).into_owned();
                    // Is it a key? Next non-space char is ':'.
                    let mut k = j + 1;
                    while k < b.len() && (b[k] == b' ' || b[k] == b'\t' || b[k] == b'\r' || b[k] == b'\n') {
                        k += 1;
                    }
                    if k < b.len() && b[k] == b':' && matches!(stack.last(), Some(Some(_))) {
                        let mut path: Vec<&str> = stack.iter().skip(1).filter_map(|p| p.as_deref()).collect();
                        path.push(&text);
                        keys.push((path.join("\u{0}"), start_line));
                        pending = Some(text);
                    }
                    i = j;
                }
                b'{' => {
                    stack.push(Some(pending.take().unwrap_or_default()));
                }
                b'[' => {
                    pending = None;
                    stack.push(None);
                }
                b'}' | b']' => {
                    stack.pop();
                    pending = None;
                }
                b',' => pending = None,
                _ => {}
            }
            i += 1;
        }
        KeyLines { keys }
    }

    fn line(&self, path: &[&str]) -> usize {
        let want = path.join("\u{0}");
        self.keys.iter().find(|(k, _)| *k == want).map(|(_, l)| *l).unwrap_or(1)
    }
}

/// Parse package.json. A leading BOM is accepted.
pub fn parse(src: &str) -> Result<PackageJson, ParseError> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let v: Value = serde_json::from_str(src).map_err(|e| ParseError {
        line: e.line().max(1),
        col: e.column(),
        message: e.to_string(),
    })?;
    let Some(obj) = v.as_object() else {
        return Err(ParseError {
            line: 1,
            col: 1,
            message: "package.json is not a JSON object".into(),
        });
    };
    let lines = KeyLines::scan(src);
    let s = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
    let mut p = PackageJson {
        name: s("name"),
        version: s("version"),
        private: obj.get("private").and_then(Value::as_bool).unwrap_or(false),
        module_type: s("type"),
        ..Default::default()
    };
    if let Some(scripts) = obj.get("scripts").and_then(Value::as_object) {
        for (k, v) in scripts {
            if let Some(cmd) = v.as_str() {
                p.scripts.push((k.clone(), cmd.to_string(), lines.line(&["scripts", k])));
            }
        }
    }
    for (field, kind) in [
        ("dependencies", DepKind::Prod),
        ("devDependencies", DepKind::Dev),
        ("optionalDependencies", DepKind::Optional),
        ("peerDependencies", DepKind::Peer),
    ] {
        if let Some(deps) = obj.get(field).and_then(Value::as_object) {
            for (k, v) in deps {
                let spec = v.as_str().unwrap_or("").to_string();
                p.deps.push(Dep {
                    name: k.clone(),
                    spec,
                    line: lines.line(&[field, k]),
                    kind,
                });
            }
        }
    }
    if let Some(node) = obj.get("engines").and_then(|e| e.get("node")).and_then(Value::as_str) {
        p.engines_node = Some((node.to_string(), lines.line(&["engines", "node"])));
    }
    if let Some(pm) = obj.get("packageManager").and_then(Value::as_str) {
        p.package_manager = Some((pm.to_string(), lines.line(&["packageManager"])));
    }
    match obj.get("workspaces") {
        Some(Value::Array(a)) => p.workspaces = a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(Value::Object(o)) => {
            if let Some(Value::Array(a)) = o.get("packages") {
                p.workspaces = a.iter().filter_map(Value::as_str).map(str::to_string).collect();
            }
        }
        _ => {}
    }
    if let Some(prisma) = obj.get("prisma").and_then(Value::as_object) {
        if let Some(seed) = prisma.get("seed").and_then(Value::as_str) {
            p.prisma_seed = Some((seed.to_string(), lines.line(&["prisma", "seed"])));
        }
        p.prisma_schema = prisma.get("schema").and_then(Value::as_str).map(str::to_string);
    }
    Ok(p)
}

impl PackageJson {
    /// The first declaration of a dependency (prod before dev).
    pub fn dep(&self, name: &str) -> Option<&Dep> {
        self.deps.iter().find(|d| d.name == name)
    }
    pub fn script(&self, name: &str) -> Option<&(String, String, usize)> {
        self.scripts.iter().find(|s| s.0 == name)
    }
}

/// A version spec that floats across majors.
pub fn is_unpinned(spec: &str) -> bool {
    let s = spec.trim();
    if matches!(s, "" | "*" | "x" | "X" | "latest" | "next" | "canary" | "beta" | "rc") {
        return true;
    }
    if let Some(rest) = s.strip_prefix(">=").or_else(|| s.strip_prefix('>')) {
        // An open lower bound with no upper bound.
        return !rest.contains('<') && !s.contains("||");
    }
    false
}

fn numbers(s: &str) -> Vec<u64> {
    s.split(['.', '-', '+'])
        .take(3)
        .map_while(|p| {
            if p.is_empty() || p == "x" || p == "X" || p == "*" {
                None
            } else {
                p.parse::<u64>().ok()
            }
        })
        .collect()
}

/// The lowest (major, minor, patch) a spec allows.
pub fn min_version(spec: &str) -> Option<(u64, u64, u64)> {
    let s = spec.trim().trim_start_matches('v');
    let lower = s.to_ascii_lowercase();
    if let Some(code) = lower.strip_prefix("lts/") {
        let major = match code {
            "argon" => 4,
            "boron" => 6,
            "carbon" => 8,
            "dubnium" => 10,
            "erbium" => 12,
            "fermium" => 14,
            "gallium" => 16,
            "hydrogen" => 18,
            "iron" => 20,
            "jod" => 22,
            "krypton" => 24,
            _ => return None,
        };
        return Some((major, 0, 0));
    }
    // First alternative of an `||` range; strip operators.
    let first = s.split("||").next().unwrap_or(s).trim();
    let first = first.split_whitespace().next().unwrap_or(first);
    let cleaned = first.trim_start_matches(['^', '~', '>', '=', 'v', ' ']);
    let n = numbers(cleaned);
    match n.as_slice() {
        [] => None,
        [a] => Some((*a, 0, 0)),
        [a, b] => Some((*a, *b, 0)),
        [a, b, c, ..] => Some((*a, *b, *c)),
    }
}

/// The lowest major a spec allows.
pub fn min_major(spec: &str) -> Option<u64> {
    if is_unpinned(spec) && !spec.trim().starts_with('>') {
        return None;
    }
    if spec.contains(':') {
        return None;
    }
    min_version(spec).map(|v| v.0)
}

/// Which lockfile names mean which package manager.
pub fn lockfile_manager(file_name: &str) -> Option<&'static str> {
    match file_name {
        "package-lock.json" | "npm-shrinkwrap.json" => Some("npm"),
        "pnpm-lock.yaml" => Some("pnpm"),
        "yarn.lock" => Some("yarn"),
        "bun.lockb" | "bun.lock" => Some("bun"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKG: &str = "{\n  \"name\": \"a\",\n  \"scripts\": {\n    \"build\": \"next build\",\n    \"start\": \"next start\"\n  },\n  \"dependencies\": {\n    \"next\": \"latest\"\n  },\n  \"devDependencies\": { \"prisma\": \"^6.1.0\" },\n  \"engines\": { \"node\": \">=20\" },\n  \"prisma\": { \"seed\": \"node prisma/seed.js\" },\n  \"workspaces\": [\"apps/*\"]\n}\n";

    #[test]
    fn parses_items_with_lines() {
        let p = parse(PKG).unwrap();
        assert_eq!(p.name.as_deref(), Some("a"));
        assert_eq!(p.script("start").unwrap().2, 5);
        let next = p.dep("next").unwrap();
        assert_eq!((next.spec.as_str(), next.line, next.kind), ("latest", 8, DepKind::Prod));
        assert_eq!(p.dep("prisma").unwrap().line, 10);
        assert_eq!(p.dep("prisma").unwrap().kind, DepKind::Dev);
        assert_eq!(p.engines_node, Some((">=20".to_string(), 11)));
        assert_eq!(p.prisma_seed.as_ref().unwrap().1, 12);
        assert_eq!(p.workspaces, vec!["apps/*"]);
    }

    #[test]
    fn nested_keys_with_same_name_get_their_own_line() {
        let src = "{\n \"x\": {\"name\": \"inner\"},\n \"name\": \"outer\",\n \"scripts\": {\"start\": \"a\"}\n}";
        let p = parse(src).unwrap();
        assert_eq!(p.name.as_deref(), Some("outer"));
        assert_eq!(p.script("start").unwrap().2, 4);
    }

    #[test]
    fn errors_have_lines() {
        let e = parse("{\n  \"a\": 1,\n}\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(parse("[1]").is_err());
        assert!(parse("\u{feff}{}").is_ok());
        let deep = "[".repeat(100_000);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn versions() {
        assert!(is_unpinned("latest") && is_unpinned("*") && is_unpinned("") && is_unpinned(">=14"));
        assert!(!is_unpinned("^15.0.0") && !is_unpinned("~1.2") && !is_unpinned(">=14 <16"));
        assert_eq!(min_major("^15.1.0"), Some(15));
        assert_eq!(min_major("~14"), Some(14));
        assert_eq!(min_major("workspace:*"), None);
        assert_eq!(min_major("latest"), None);
        assert_eq!(min_version(">=18.17.0"), Some((18, 17, 0)));
        assert_eq!(min_version("20.x"), Some((20, 0, 0)));
        assert_eq!(min_version("v20.11.1"), Some((20, 11, 1)));
        assert_eq!(min_version("lts/iron"), Some((20, 0, 0)));
        assert_eq!(lockfile_manager("pnpm-lock.yaml"), Some("pnpm"));
    }

    #[test]
    fn no_panic_on_mangled_input() {
        for i in 0..=PKG.len() {
            if PKG.is_char_boundary(i) {
                let _ = parse(&PKG[..i]);
            }
            let mut b = PKG.as_bytes().to_vec();
            if i < b.len() {
                b[i] ^= 0x5a;
                let _ = parse(&String::from_utf8_lossy(&b));
            }
        }
    }
}
