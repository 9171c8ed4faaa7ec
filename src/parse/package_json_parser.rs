//! package.json: scripts, dependencies, engines, workspaces, with the line of each item, plus
//! helpers that read npm version specs (semver ranges, dist-tags, `.nvmrc` contents) and
//! lockfile names.

use serde_json::Value;
use std::collections::HashMap;

/// Which dependency table a dependency is declared in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DepKind {
    Prod,
    Dev,
    Optional,
    Peer,
}

/// One declared dependency.
#[derive(Debug, Clone)]
pub struct Dep {
    pub name: String,
    /// The version spec as written (empty when it is not a string).
    pub spec: String,
    pub line: usize,
    pub kind: DepKind,
}

/// The parts of a package.json the checks read. Lists are in file order.
#[derive(Debug, Clone, Default)]
pub struct PackageJson {
    pub name: Option<String>,
    pub version: Option<String>,
    pub private: bool,
    /// `"type"`: `module` or `commonjs`.
    pub module_type: Option<String>,
    /// (name, command, line)
    pub scripts: Vec<(String, String, usize)>,
    /// Prod, then dev, optional and peer; each table in file order.
    pub deps: Vec<Dep>,
    pub engines_node: Option<(String, usize)>,
    pub package_manager: Option<(String, usize)>,
    /// `"workspaces": [...]` or `"workspaces": {"packages": [...]}`.
    pub workspaces: Vec<String>,
    /// `"prisma": {"seed": ...}`
    pub prisma_seed: Option<(String, usize)>,
    /// `"prisma": {"schema": ...}`
    pub prisma_schema: Option<String>,
}

/// A malformed package.json: serde_json's message and 1-based position.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Lines of `"key":` occurrences by their object path from the root, found by one scan of text
/// that serde_json already accepted. A duplicate key keeps its last line, as serde_json keeps the
/// last value.
struct KeyLines {
    keys: HashMap<String, usize>,
}

/// One open container during the scan.
struct Frame {
    is_object: bool,
    /// Path of this container from the root (joined with '\0'), None under an array.
    path: Option<String>,
    /// The last key read in this object.
    last_key: Option<String>,
    /// In an object: the next string is a key.
    expect_key: bool,
}

impl KeyLines {
    fn scan(src: &str) -> KeyLines {
        let b = src.as_bytes();
        let mut keys = HashMap::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut line = 1usize;
        let mut i = 0usize;
        while let Some(&c) = b.get(i) {
            match c {
                b'\n' => line += 1,
                b'"' => {
                    let start = i;
                    let mut j = i + 1;
                    while let Some(&d) = b.get(j) {
                        match d {
                            b'\\' => j += 2,
                            b'"' => break,
                            b'\n' => {
                                line += 1;
                                j += 1;
                            }
                            _ => j += 1,
                        }
                    }
                    if let Some(top) = stack.last_mut() {
                        if top.is_object && top.expect_key {
                            let raw = src.get(start..=j.min(b.len().saturating_sub(1))).unwrap_or("");
                            let key = serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.trim_matches('"').to_string());
                            if let Some(p) = &top.path {
                                let full = if p.is_empty() { key.clone() } else { format!("{p}\u{0}{key}") };
                                keys.insert(full, line);
                            }
                            top.last_key = Some(key);
                            top.expect_key = false;
                        }
                    }
                    i = j;
                }
                b'{' | b'[' => {
                    let path = match stack.last() {
                        None => Some(String::new()),
                        Some(top) if top.is_object => match (&top.path, &top.last_key) {
                            (Some(p), Some(k)) if p.is_empty() => Some(k.clone()),
                            (Some(p), Some(k)) => Some(format!("{p}\u{0}{k}")),
                            _ => None,
                        },
                        Some(_) => None,
                    };
                    stack.push(Frame {
                        is_object: c == b'{',
                        path,
                        last_key: None,
                        expect_key: c == b'{',
                    });
                }
                b'}' | b']' => {
                    stack.pop();
                }
                b',' => {
                    if let Some(top) = stack.last_mut() {
                        top.expect_key = top.is_object;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        KeyLines { keys }
    }

    fn line(&self, path: &[&str]) -> usize {
        self.keys.get(&path.join("\u{0}")).copied().unwrap_or(1)
    }
}

/// Parse package.json. A leading UTF-8 BOM is accepted. Malformed JSON, or JSON that is not an
/// object, is an error with serde_json's line and column.
pub fn parse(src: &str) -> Result<PackageJson, ParseError> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let v: Value = serde_json::from_str(src).map_err(|e| ParseError {
        line: e.line().max(1),
        col: e.column().max(1),
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
        private: obj.get("private").is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true")),
        module_type: s("type"),
        ..Default::default()
    };
    if let Some(scripts) = obj.get("scripts").and_then(Value::as_object) {
        for (k, v) in scripts {
            if let Some(cmd) = v.as_str() {
                p.scripts.push((k.clone(), cmd.to_string(), lines.line(&["scripts", k])));
            }
        }
        p.scripts.sort_by_key(|s| s.2);
    }
    for (field, kind) in [
        ("dependencies", DepKind::Prod),
        ("devDependencies", DepKind::Dev),
        ("optionalDependencies", DepKind::Optional),
        ("peerDependencies", DepKind::Peer),
    ] {
        if let Some(deps) = obj.get(field).and_then(Value::as_object) {
            for (k, v) in deps {
                p.deps.push(Dep {
                    name: k.clone(),
                    spec: v.as_str().unwrap_or("").to_string(),
                    line: lines.line(&[field, k]),
                    kind,
                });
            }
        }
    }
    p.deps.sort_by_key(|d| (d.kind, d.line));
    if let Some(node) = obj.get("engines").and_then(|e| e.get("node")).and_then(Value::as_str) {
        p.engines_node = Some((node.to_string(), lines.line(&["engines", "node"])));
    }
    if let Some(pm) = obj.get("packageManager").and_then(Value::as_str) {
        p.package_manager = Some((pm.to_string(), lines.line(&["packageManager"])));
    }
    let list = |a: &Vec<Value>| a.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>();
    match obj.get("workspaces") {
        Some(Value::Array(a)) => p.workspaces = list(a),
        Some(Value::Object(o)) => {
            if let Some(Value::Array(a)) = o.get("packages") {
                p.workspaces = list(a);
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
    /// The first declaration of a dependency (prod, then dev, optional, peer).
    pub fn dep(&self, name: &str) -> Option<&Dep> {
        self.deps.iter().find(|d| d.name == name)
    }

    /// A script by name: (name, command, line).
    pub fn script(&self, name: &str) -> Option<&(String, String, usize)> {
        self.scripts.iter().find(|s| s.0 == name)
    }

    /// The package manager named by `packageManager` ("pnpm@9.1.0+sha…" → "pnpm").
    pub fn package_manager_name(&self) -> Option<&str> {
        let (pm, _) = self.package_manager.as_ref()?;
        let name = pm.split('@').next().unwrap_or("").trim();
        (!name.is_empty()).then_some(name)
    }
}

/// A lower bound: None when the range is unbounded below.
type Lower = Option<(u64, u64, u64)>;

/// What one comparator set (`>=18.17.0 <21`) allows: its lowest version and whether it has an
/// upper bound.
struct Alternative {
    lower: Lower,
    bounded_above: bool,
}

/// A parsed partial version: numbers up to the first wildcard or missing part.
#[derive(Clone, Copy)]
struct Partial {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
}

impl Partial {
    fn floor(self) -> Lower {
        self.major.map(|m| (m, self.minor.unwrap_or(0), self.patch.unwrap_or(0)))
    }
}

/// Parse `1`, `1.2`, `1.2.3`, `1.x`, `1.2.*`, `v1.2.3-rc.1+b`, `*`, `x`, `` into a partial version.
/// None when it is not a version.
fn partial(text: &str) -> Option<Partial> {
    let t = text.trim().trim_start_matches('=').trim_start_matches(['v', 'V']).trim();
    // Drop prerelease and build metadata.
    let core = match t.find(['-', '+']) {
        Some(i) => t.get(..i).unwrap_or(""),
        None => t,
    };
    let mut nums: [Option<u64>; 3] = [None, None, None];
    if !core.is_empty() {
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() > 3 {
            return None;
        }
        let mut wild = false;
        for (i, part) in parts.iter().enumerate() {
            if matches!(*part, "x" | "X" | "*") {
                wild = true;
                continue;
            }
            if wild || part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let n = part.parse::<u64>().ok()?;
            if let Some(slot) = nums.get_mut(i) {
                *slot = Some(n);
            }
        }
    }
    Some(Partial {
        major: nums[0],
        minor: if nums[0].is_some() { nums[1] } else { None },
        patch: if nums[0].is_some() && nums[1].is_some() { nums[2] } else { None },
    })
}

/// One comparator (`>=1.2`, `^3`, `~1.2.3`, `1.x`, `<2`) applied to an alternative.
fn apply(op: &str, v: Partial, alt: &mut Alternative) {
    let raise = |alt: &mut Alternative, l: Lower| {
        if let Some(l) = l {
            alt.lower = Some(alt.lower.map_or(l, |cur| cur.max(l)));
        }
    };
    match op {
        ">=" => raise(alt, v.floor()),
        ">" => {
            let next = match (v.major, v.minor, v.patch) {
                (Some(a), Some(b), Some(c)) => Some((a, b, c.saturating_add(1))),
                (Some(a), Some(b), None) => Some((a, b.saturating_add(1), 0)),
                (Some(a), None, _) => Some((a.saturating_add(1), 0, 0)),
                // `>*` allows nothing; leave it unconstrained.
                (None, _, _) => None,
            };
            raise(alt, next);
        }
        "<" | "<=" => {
            if v.major.is_some() {
                alt.bounded_above = true;
            }
        }
        // "", "=", "^", "~", "~>": an X-range or caret/tilde range is bounded above when it names
        // a major.
        _ => {
            raise(alt, v.floor());
            if v.major.is_some() {
                alt.bounded_above = true;
            }
        }
    }
}

/// What an npm version spec means for the checks.
enum Spec {
    /// A semver range: its alternatives (`||`).
    Range(Vec<Alternative>),
    /// A dist-tag (`latest`, `next`, `canary`, `beta`, …): floats.
    Tag,
    /// Not a registry version: `workspace:*`, `file:`, `link:`, git and tarball URLs, `user/repo`.
    Other,
}

fn classify(spec: &str) -> Spec {
    let mut s = spec.trim();
    // `npm:pkg@^1.2` aliases: the version after the last '@' (none means latest).
    if let Some(alias) = s.strip_prefix("npm:") {
        s = match alias.rfind('@') {
            Some(i) if i > 0 => alias.get(i + 1..).unwrap_or(""),
            _ => "",
        };
    }
    if s.contains(':') || s.contains('/') {
        return Spec::Other;
    }
    if s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !matches!(s.chars().next(), Some('v' | 'V' | 'x' | 'X'))
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Spec::Tag;
    }
    let mut alts = Vec::new();
    for alt_text in s.split("||") {
        let mut alt = Alternative {
            lower: None,
            bounded_above: false,
        };
        let t = alt_text.trim();
        // Hyphen range: `1.2.3 - 2.3.4`.
        if let Some((lo, hi)) = t.split_once(" - ") {
            match (partial(lo), partial(hi)) {
                (Some(lo), Some(hi)) => {
                    apply(">=", lo, &mut alt);
                    apply("<=", hi, &mut alt);
                }
                _ => return Spec::Other,
            }
            alts.push(alt);
            continue;
        }
        // Comparators, with `>= 1.2` spacing joined.
        let mut pending_op: Option<&str> = None;
        for tok in t.split_whitespace() {
            let op_len = tok.bytes().take_while(|c| matches!(c, b'>' | b'<' | b'=' | b'^' | b'~')).count();
            let (op, rest) = tok.split_at(op_len.min(tok.len()));
            if rest.is_empty() && !op.is_empty() {
                pending_op = Some(op);
                continue;
            }
            let op = pending_op.take().filter(|_| op.is_empty()).unwrap_or(op);
            let op = match op {
                "" | "=" | "^" | "~" | "~>" | ">=" | ">" | "<" | "<=" => op,
                _ => return Spec::Other,
            };
            let Some(v) = partial(rest) else { return Spec::Other };
            apply(op, v, &mut alt);
        }
        if pending_op.is_some() {
            return Spec::Other;
        }
        alts.push(alt);
    }
    Spec::Range(alts)
}

/// A version spec that floats across majors: "latest", "*", "", "x", "next", "canary" (any
/// dist-tag), or a range with no upper bound such as ">=N".
pub fn is_unpinned(spec: &str) -> bool {
    match classify(spec) {
        Spec::Tag => true,
        Spec::Other => false,
        Spec::Range(alts) => alts.iter().any(|a| !a.bounded_above),
    }
}

/// The lowest major a spec allows ("^15.1.0"→15, "~14"→14, ">=18.18.0"→18, "20.x"→20,
/// "workspace:*"/"latest"/"*"→None).
pub fn min_major(spec: &str) -> Option<u64> {
    min_version(spec).map(|v| v.0)
}

/// Node's LTS codenames.
fn lts_major(code: &str) -> Option<u64> {
    Some(match code {
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
    })
}

/// The lowest (major, minor, patch) a node/engines-style spec allows, e.g. ">=18.17.0" →
/// (18,17,0), "^20" → (20,0,0), "20.x" → (20,0,0), ">=18.17.0 <19 || >=20" → (18,17,0); also for
/// .nvmrc / .node-version contents like "v20.11.1", "lts/iron" (→ 20), "lts/hydrogen" (→ 18),
/// "lts/jod" (→ 22). None when the spec has no lower bound or is not a version ("*", "latest",
/// "lts/*", "node", "workspace:*").
pub fn min_version(spec: &str) -> Option<(u64, u64, u64)> {
    // .nvmrc: the first line that is not a comment, without a trailing comment.
    let line = spec
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let lower = line.to_ascii_lowercase();
    if let Some(code) = lower.strip_prefix("lts/") {
        return lts_major(code.trim()).map(|m| (m, 0, 0));
    }
    match classify(line) {
        Spec::Range(alts) => {
            let mut best: Option<(u64, u64, u64)> = None;
            for a in alts {
                let l = a.lower?;
                best = Some(best.map_or(l, |b| b.min(l)));
            }
            best
        }
        _ => None,
    }
}

/// Which lockfile names mean which package manager: package-lock.json/npm-shrinkwrap.json → npm,
/// pnpm-lock.yaml → pnpm, yarn.lock → yarn, bun.lockb/bun.lock → bun. A path is reduced to its
/// file name.
pub fn lockfile_manager(file_name: &str) -> Option<&'static str> {
    let name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    match name {
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

    const PKG: &str = "{\n  \"name\": \"a\",\n  \"version\": \"1.0.0\",\n  \"private\": true,\n  \"type\": \"module\",\n  \"scripts\": {\n    \"start\": \"next start\",\n    \"build\": \"prisma generate && next build\"\n  },\n  \"dependencies\": {\n    \"next\": \"latest\",\n    \"@prisma/client\": \"^6.1.0\"\n  },\n  \"devDependencies\": { \"prisma\": \"^6.1.0\", \"typescript\": \"5.6.3\" },\n  \"peerDependencies\": { \"react\": \">=18\" },\n  \"engines\": { \"node\": \">=20\", \"npm\": \">=10\" },\n  \"packageManager\": \"pnpm@9.12.0+sha512.abc\",\n  \"prisma\": { \"seed\": \"tsx prisma/seed.ts\", \"schema\": \"db/schema.prisma\" },\n  \"workspaces\": [\"apps/*\", \"packages/*\"]\n}\n";

    #[test]
    fn parses_items_with_lines() {
        let p = parse(PKG).unwrap();
        assert_eq!(p.name.as_deref(), Some("a"));
        assert_eq!(p.version.as_deref(), Some("1.0.0"));
        assert!(p.private);
        assert_eq!(p.module_type.as_deref(), Some("module"));
        // File order, not alphabetical.
        let scripts: Vec<(&str, usize)> = p.scripts.iter().map(|s| (s.0.as_str(), s.2)).collect();
        assert_eq!(scripts, [("start", 7), ("build", 8)]);
        assert_eq!(p.script("build").unwrap().1, "prisma generate && next build");
        let deps: Vec<(&str, usize, DepKind)> = p.deps.iter().map(|d| (d.name.as_str(), d.line, d.kind)).collect();
        assert_eq!(
            deps,
            [
                ("next", 11, DepKind::Prod),
                ("@prisma/client", 12, DepKind::Prod),
                ("prisma", 14, DepKind::Dev),
                ("typescript", 14, DepKind::Dev),
                ("react", 15, DepKind::Peer),
            ]
        );
        assert_eq!(p.dep("next").unwrap().spec, "latest");
        assert!(p.dep("nope").is_none());
        assert_eq!(p.engines_node, Some((">=20".to_string(), 16)));
        assert_eq!(p.package_manager.as_ref().map(|x| x.1), Some(17));
        assert_eq!(p.package_manager_name(), Some("pnpm"));
        assert_eq!(p.prisma_seed, Some(("tsx prisma/seed.ts".to_string(), 18)));
        assert_eq!(p.prisma_schema.as_deref(), Some("db/schema.prisma"));
        assert_eq!(p.workspaces, vec!["apps/*", "packages/*"]);
    }

    #[test]
    fn nested_and_escaped_keys_get_their_own_line() {
        let src = "{\n \"x\": {\"name\": \"inner\", \"scripts\": {\"start\": \"no\"}},\n \"arr\": [{\"scripts\": 1}],\n \"name\": \"outer\",\n \"scripts\": {\n  \"st\\u0061rt\": \"a\",\n  \"q\\\"uote\": \"b\"\n }\n}";
        let p = parse(src).unwrap();
        assert_eq!(p.name.as_deref(), Some("outer"));
        assert_eq!(p.script("start").unwrap().2, 6);
        assert_eq!(p.script("q\"uote").unwrap().2, 7);
    }

    #[test]
    fn duplicate_keys_take_the_last_like_serde() {
        let p = parse("{\n\"scripts\": {\n\"start\": \"a\",\n\"start\": \"b\"\n}\n}").unwrap();
        assert_eq!(p.script("start"), Some(&("start".to_string(), "b".to_string(), 4)));
    }

    #[test]
    fn workspaces_object_and_odd_values() {
        let p =
            parse("{\"workspaces\": {\"packages\": [\"a\", 1, \"b\"]}, \"dependencies\": {\"x\": 1}, \"private\": \"true\", \"engines\": \"node\"}").unwrap();
        assert_eq!(p.workspaces, vec!["a", "b"]);
        assert_eq!(p.dep("x").unwrap().spec, "");
        assert!(p.private);
        assert!(p.engines_node.is_none());
    }

    #[test]
    fn errors_have_lines() {
        let e = parse("{\n  \"a\": 1,\n}\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.col >= 1);
        let e = parse("{\n  \"a\": 1\n  \"b\": 2\n}").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(parse("[1]").is_err());
        assert!(parse("").is_err());
        assert!(parse("\u{feff}{}").is_ok());
        assert!(parse(&"[".repeat(100_000)).is_err());
        assert!(parse(&format!("{}{}", "{\"a\":".repeat(100_000), "1")).is_err());
    }

    #[test]
    fn unpinned() {
        for s in [
            "latest",
            "*",
            "",
            "x",
            "X",
            "next",
            "canary",
            "beta",
            ">=14",
            ">= 14",
            ">14.1",
            "^15 || >=16",
            "x.x.x",
            "npm:next",
            "npm:next@latest",
            "  latest ",
        ] {
            assert!(is_unpinned(s), "{s}");
        }
        for s in [
            "^15.0.0",
            "~1.2",
            "15",
            "15.x",
            ">=14 <16",
            ">=14.0.0 <=15",
            "1.2.3 - 2",
            "workspace:*",
            "file:../x",
            "github:a/b",
            "a/b",
            "npm:next@^15",
            "=15.0.1",
            "v15.0.1",
            "15.0.0-canary.3",
        ] {
            assert!(!is_unpinned(s), "{s}");
        }
    }

    #[test]
    fn majors_and_versions() {
        assert_eq!(min_major("^15.1.0"), Some(15));
        assert_eq!(min_major("~14"), Some(14));
        assert_eq!(min_major(">=18.18.0"), Some(18));
        assert_eq!(min_major("20.x"), Some(20));
        assert_eq!(min_major("workspace:*"), None);
        assert_eq!(min_major("latest"), None);
        assert_eq!(min_major("*"), None);
        assert_eq!(min_major("npm:next@^14.2"), Some(14));
        assert_eq!(min_major("15.0.0-rc.1"), Some(15));
        assert_eq!(min_version(">=18.17.0"), Some((18, 17, 0)));
        assert_eq!(min_version("^20"), Some((20, 0, 0)));
        assert_eq!(min_version("20.x"), Some((20, 0, 0)));
        assert_eq!(min_version("v20.11.1"), Some((20, 11, 1)));
        assert_eq!(min_version("v20.11.1\n"), Some((20, 11, 1)));
        assert_eq!(min_version("# pinned\n20.11\n"), Some((20, 11, 0)));
        assert_eq!(min_version("lts/iron"), Some((20, 0, 0)));
        assert_eq!(min_version("lts/hydrogen"), Some((18, 0, 0)));
        assert_eq!(min_version("lts/jod"), Some((22, 0, 0)));
        assert_eq!(min_version("LTS/Iron"), Some((20, 0, 0)));
        assert_eq!(min_version("lts/*"), None);
        assert_eq!(min_version("node"), None);
        assert_eq!(min_version(">=18.17.0 <19 || >=20.3.0"), Some((18, 17, 0)));
        assert_eq!(min_version("^20 || ^18.18"), Some((18, 18, 0)));
        assert_eq!(min_version(">18"), Some((19, 0, 0)));
        assert_eq!(min_version(">18.2"), Some((18, 3, 0)));
        assert_eq!(min_version(">18.2.3"), Some((18, 2, 4)));
        assert_eq!(min_version(">= 18"), Some((18, 0, 0)));
        assert_eq!(min_version("18 - 20"), Some((18, 0, 0)));
        assert_eq!(min_version("<20"), None);
        assert_eq!(min_version(">=16 <21 >=18.1"), Some((18, 1, 0)));
        assert_eq!(min_version("=v18.0.0"), Some((18, 0, 0)));
        assert_eq!(min_version("1.2.3.4"), None);
        assert_eq!(min_version("18.x.1"), None);
        assert_eq!(min_version(">=abc"), None);
        assert_eq!(min_version("99999999999999999999999"), None);
    }

    #[test]
    fn lockfiles() {
        assert_eq!(lockfile_manager("package-lock.json"), Some("npm"));
        assert_eq!(lockfile_manager("npm-shrinkwrap.json"), Some("npm"));
        assert_eq!(lockfile_manager("pnpm-lock.yaml"), Some("pnpm"));
        assert_eq!(lockfile_manager("yarn.lock"), Some("yarn"));
        assert_eq!(lockfile_manager("bun.lockb"), Some("bun"));
        assert_eq!(lockfile_manager("apps/web/bun.lock"), Some("bun"));
        assert_eq!(lockfile_manager("Cargo.lock"), None);
    }

    #[test]
    fn no_panic_on_mangled_input() {
        let specs = [
            "^1.2.3 || >= 4 <5",
            "1 - 2",
            "npm:@a/b@~3",
            ">=",
            "~>1",
            "v",
            "lts/",
            "1.x.x-rc+b",
            "|| ||",
            "\u{e9}",
        ];
        for input in [PKG, specs.join("\n").as_str()] {
            for i in 0..=input.len() {
                if input.is_char_boundary(i) {
                    let t = &input[..i];
                    let _ = parse(t);
                    let _ = (is_unpinned(t), min_major(t), min_version(t), lockfile_manager(t));
                }
                let mut b = input.as_bytes().to_vec();
                if i < b.len() {
                    b[i] ^= 0x5a;
                    let t = String::from_utf8_lossy(&b).into_owned();
                    let _ = parse(&t);
                    let _ = (is_unpinned(&t), min_version(&t));
                    let pool = b"{}[]\",:\\\n ";
                    b[i] = pool[i % pool.len()];
                    let t = String::from_utf8_lossy(&b).into_owned();
                    let _ = parse(&t);
                    let _ = (is_unpinned(&t), min_version(&t));
                }
            }
        }
        for s in specs {
            let _ = (is_unpinned(s), min_major(s), min_version(s));
        }
    }
}
