//! Platform config files: fly.toml, railway.json / railway.toml, render.yaml, nixpacks.toml and
//! Procfile. TOML and JSON are read into the same line-aware tree as YAML (`super::yaml::Node`),
//! so every setting keeps the line it was written on.

use super::yaml::{self, Node, Value};

/// A parse failure with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub line: usize,
    pub message: String,
}

const MAX_DEPTH: usize = 128;

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

fn toml_node(src: &str, v: &toml::de::DeValue<'_>, span: std::ops::Range<usize>, depth: usize) -> Node {
    let line = line_of(src, span.start);
    let mk = |value: Value, raw: Option<String>| Node { value, line, col: 1, raw };
    if depth > MAX_DEPTH {
        return mk(Value::Null, None);
    }
    use toml::de::DeValue;
    match v {
        DeValue::String(s) => mk(Value::Str(s.to_string()), None),
        DeValue::Integer(i) => {
            let raw = i.as_str().replace('_', "");
            match i64::from_str_radix(raw.trim_start_matches("0x").trim_start_matches("0o").trim_start_matches("0b"), i.radix()) {
                Ok(n) => mk(Value::Int(n), Some(i.as_str().to_string())),
                Err(_) => mk(Value::Str(i.as_str().to_string()), None),
            }
        }
        DeValue::Float(f) => mk(Value::Float(f.as_str().parse().unwrap_or(0.0)), Some(f.as_str().to_string())),
        DeValue::Boolean(b) => mk(Value::Bool(*b), Some(b.to_string())),
        DeValue::Datetime(d) => mk(Value::Str(d.to_string()), None),
        DeValue::Array(a) => mk(Value::Seq(a.iter().map(|x| toml_node(src, x.get_ref(), x.span(), depth + 1)).collect()), None),
        DeValue::Table(t) => {
            let mut entries: Vec<(Node, Node)> = t
                .iter()
                .map(|(k, x)| {
                    let key = Node {
                        value: Value::Str(k.get_ref().to_string()),
                        line: line_of(src, k.span().start),
                        col: 1,
                        raw: None,
                    };
                    (key, toml_node(src, x.get_ref(), x.span(), depth + 1))
                })
                .collect();
            // The TOML map is sorted by key; keep the file's order instead.
            entries.sort_by_key(|(k, _)| k.line);
            mk(Value::Map(entries), None)
        }
    }
}

/// Parse TOML into a line-aware tree.
pub fn parse_toml(src: &str) -> Result<Node, ConfigError> {
    // Bound nesting before handing the text to the TOML parser.
    let mut depth = 0usize;
    let mut max = 0usize;
    for b in src.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if max > MAX_DEPTH {
        return Err(ConfigError {
            line: 1,
            message: format!("nesting deeper than {MAX_DEPTH} levels"),
        });
    }
    match toml::de::DeTable::parse(src) {
        Ok(t) => Ok(toml_node(src, &toml::de::DeValue::Table(t.get_ref().clone()), t.span(), 0)),
        Err(e) => Err(ConfigError {
            line: e.span().map(|s| line_of(src, s.start)).unwrap_or(1),
            message: e.message().to_string(),
        }),
    }
}

/// Parse JSON into a line-aware tree (validated by serde_json, positioned by the YAML reader).
pub fn parse_json(src: &str) -> Result<Node, ConfigError> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    if let Err(e) = serde_json::from_str::<serde_json::Value>(src) {
        return Err(ConfigError {
            line: e.line().max(1),
            message: e.to_string(),
        });
    }
    match yaml::parse(src) {
        Ok(mut docs) if !docs.is_empty() => Ok(docs.swap_remove(0)),
        Ok(_) => Err(ConfigError {
            line: 1,
            message: "empty document".into(),
        }),
        Err(e) => Err(ConfigError {
            line: e.line,
            message: e.message,
        }),
    }
}

/// Parse YAML (one document) into a tree.
pub fn parse_yaml(src: &str) -> Result<Node, ConfigError> {
    match yaml::parse(src) {
        Ok(mut docs) if !docs.is_empty() => Ok(docs.swap_remove(0)),
        Ok(_) => Ok(Node {
            value: Value::Null,
            line: 1,
            col: 1,
            raw: None,
        }),
        Err(e) => Err(ConfigError {
            line: e.line,
            message: e.message,
        }),
    }
}

/// A value with its line.
pub type At<T> = Option<(T, usize)>;

fn s(n: &Node, key: &str) -> At<String> {
    n.get(key).and_then(|v| v.scalar_string().map(|s| (s, v.line)))
}
fn int(n: &Node, key: &str) -> At<i64> {
    n.get(key)
        .and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())).map(|i| (i, v.line)))
}
fn boolean(n: &Node, key: &str) -> At<bool> {
    n.get(key).and_then(|v| v.as_bool().map(|b| (b, v.line)))
}
fn strings(n: Option<&Node>) -> Vec<(String, usize)> {
    match n {
        Some(v) => match v.as_seq() {
            Some(items) => items.iter().filter_map(|i| i.scalar_string().map(|s| (s, i.line))).collect(),
            None => v.scalar_string().map(|s| vec![(s, v.line)]).unwrap_or_default(),
        },
        None => Vec::new(),
    }
}
/// Items of a key that may be a table or an array of tables (`[mounts]` vs `[[mounts]]`).
fn tables<'a>(n: &'a Node, key: &str) -> Vec<&'a Node> {
    match n.get(key) {
        Some(v) if v.as_seq().is_some() => v.as_seq().unwrap_or(&[]).iter().filter(|x| x.as_map().is_some()).collect(),
        Some(v) if v.as_map().is_some() => vec![v],
        _ => Vec::new(),
    }
}
fn key_line(n: &Node, key: &str) -> usize {
    n.key_node(key).map(|k| k.line).unwrap_or(n.line)
}

// ------------------------------------------------------------------------------------------
// fly.toml

#[derive(Debug, Clone, Default)]
pub struct FlyCheck {
    pub path: Option<String>,
    pub grace_period: Option<String>,
    pub port: Option<i64>,
    pub protocol: Option<String>,
    pub has_proto_header: bool,
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub struct FlyService {
    pub internal_port: At<i64>,
    pub auto_stop: At<String>,
    pub min_machines_running: At<i64>,
    pub checks: Vec<FlyCheck>,
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub struct FlyConfig {
    pub app: At<String>,
    pub primary_region: At<String>,
    pub kill_signal: At<String>,
    pub dockerfile: At<String>,
    pub build_target: At<String>,
    pub build_image: At<String>,
    pub build_args: Vec<(String, usize)>,
    pub env: Vec<(String, String, usize)>,
    pub http_service: Option<FlyService>,
    pub services: Vec<FlyService>,
    pub mounts: Vec<(String /*source*/, String /*destination*/, usize)>,
    pub release_command: At<String>,
    pub strategy: At<String>,
    pub vm_memory: Vec<(String, usize)>,
    pub vm_size: Vec<(String, usize)>,
    pub has_vm: bool,
    pub processes: Vec<(String, String, usize)>,
    pub top_checks: Vec<FlyCheck>,
}

fn fly_checks(list: Vec<&Node>) -> Vec<FlyCheck> {
    list.into_iter()
        .map(|c| FlyCheck {
            path: s(c, "path").map(|x| x.0),
            grace_period: s(c, "grace_period").map(|x| x.0),
            port: int(c, "port").map(|x| x.0),
            protocol: s(c, "protocol").or_else(|| s(c, "type")).map(|x| x.0),
            has_proto_header: c.get("headers").and_then(|h| h.get("X-Forwarded-Proto")).is_some(),
            line: c.line,
        })
        .collect()
}

fn fly_service(n: &Node, line: usize) -> FlyService {
    let mut checks = fly_checks(tables(n, "checks"));
    checks.extend(fly_checks(tables(n, "http_checks")));
    checks.extend(fly_checks(tables(n, "tcp_checks")));
    FlyService {
        internal_port: int(n, "internal_port"),
        auto_stop: s(n, "auto_stop_machines"),
        min_machines_running: int(n, "min_machines_running"),
        checks,
        line,
    }
}

pub fn fly(root: &Node) -> FlyConfig {
    let mut c = FlyConfig {
        app: s(root, "app"),
        primary_region: s(root, "primary_region"),
        kill_signal: s(root, "kill_signal"),
        ..Default::default()
    };
    if let Some(b) = root.get("build") {
        c.dockerfile = s(b, "dockerfile");
        c.build_target = s(b, "build-target").or_else(|| s(b, "build_target"));
        c.build_image = s(b, "image");
        if let Some(args) = b.get("args").and_then(Node::as_map) {
            c.build_args = args.iter().filter_map(|(k, _)| k.as_str().map(|s| (s.to_string(), k.line))).collect();
        }
    }
    if let Some(env) = root.get("env").and_then(Node::as_map) {
        c.env = env
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.scalar_string().unwrap_or_default(), k.line)))
            .collect();
    }
    if let Some(h) = root.get("http_service") {
        c.http_service = Some(fly_service(h, key_line(root, "http_service")));
    }
    for svc in tables(root, "services") {
        c.services.push(fly_service(svc, svc.line));
    }
    for m in tables(root, "mounts") {
        c.mounts.push((
            s(m, "source").map(|x| x.0).unwrap_or_default(),
            s(m, "destination").map(|x| x.0).unwrap_or_default(),
            m.line,
        ));
    }
    if let Some(d) = root.get("deploy") {
        c.release_command = s(d, "release_command");
        c.strategy = s(d, "strategy");
    }
    for vm in tables(root, "vm") {
        c.has_vm = true;
        if let Some(m) = s(vm, "memory") {
            c.vm_memory.push(m);
        }
        if let Some(m) = s(vm, "size") {
            c.vm_size.push(m);
        }
    }
    if let Some(p) = root.get("processes").and_then(Node::as_map) {
        c.processes = p
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.scalar_string()?, k.line)))
            .collect();
    }
    c.top_checks = match root.get("checks").and_then(Node::as_map) {
        Some(m) => fly_checks(m.iter().map(|(_, v)| v).collect()),
        None => Vec::new(),
    };
    c
}

/// Memory in MB from fly's forms ("512mb", "1gb", 1024, "shared-cpu-1x" sizes are not memory).
pub fn fly_memory_mb(v: &str) -> Option<u64> {
    let t = v.trim().to_ascii_lowercase();
    if let Some(n) = t.strip_suffix("gb") {
        return n.trim().parse::<f64>().ok().map(|g| (g * 1024.0) as u64);
    }
    if let Some(n) = t.strip_suffix("mb") {
        return n.trim().parse().ok();
    }
    t.parse().ok()
}

// ------------------------------------------------------------------------------------------
// railway.json / railway.toml

#[derive(Debug, Clone, Default)]
pub struct RailwayConfig {
    pub builder: At<String>,
    pub dockerfile_path: At<String>,
    pub build_command: At<String>,
    pub start_command: At<String>,
    pub pre_deploy: Vec<(String, usize)>,
    pub healthcheck_path: At<String>,
    pub healthcheck_timeout: At<i64>,
    pub replicas: At<i64>,
    pub cron_schedule: At<String>,
    pub sleep_application: At<bool>,
    pub restart_policy: At<String>,
    /// Keys outside the documented schema: (path, line).
    pub unknown_keys: Vec<(String, usize)>,
}

const RAILWAY_BUILD: &[&str] = &[
    "builder",
    "watchPatterns",
    "buildCommand",
    "dockerfilePath",
    "railpackVersion",
    "nixpacksPlan",
    "nixpacksConfigPath",
    "nixpacksVersion",
    "buildEnvironment",
];
const RAILWAY_DEPLOY: &[&str] = &[
    "startCommand",
    "preDeployCommand",
    "multiRegionConfig",
    "numReplicas",
    "healthcheckPath",
    "healthcheckTimeout",
    "restartPolicyType",
    "restartPolicyMaxRetries",
    "cronSchedule",
    "overlapSeconds",
    "drainingSeconds",
    "sleepApplication",
    "region",
    "runtime",
    "limitOverride",
    "requiredMountPath",
    "useLegacyStacker",
];

pub fn railway(root: &Node) -> RailwayConfig {
    let mut c = RailwayConfig::default();
    if let Some(map) = root.as_map() {
        for (k, _) in map {
            let key = k.as_str().unwrap_or("");
            if !matches!(key, "$schema" | "build" | "deploy" | "environments") {
                c.unknown_keys.push((key.to_string(), k.line));
            }
        }
    }
    if let Some(b) = root.get("build") {
        c.builder = s(b, "builder");
        c.dockerfile_path = s(b, "dockerfilePath");
        c.build_command = s(b, "buildCommand");
        for (k, _) in b.as_map().unwrap_or(&[]) {
            let key = k.as_str().unwrap_or("");
            if !RAILWAY_BUILD.contains(&key) {
                c.unknown_keys.push((format!("build.{key}"), k.line));
            }
        }
    }
    if let Some(d) = root.get("deploy") {
        c.start_command = s(d, "startCommand");
        c.pre_deploy = strings(d.get("preDeployCommand"));
        c.healthcheck_path = s(d, "healthcheckPath");
        c.healthcheck_timeout = int(d, "healthcheckTimeout");
        c.cron_schedule = s(d, "cronSchedule");
        c.sleep_application = boolean(d, "sleepApplication");
        c.restart_policy = s(d, "restartPolicyType");
        c.replicas = int(d, "numReplicas");
        if let Some(regions) = d.get("multiRegionConfig").and_then(Node::as_map) {
            let total: i64 = regions.iter().filter_map(|(_, v)| int(v, "numReplicas").map(|x| x.0)).sum();
            if total > 0 {
                c.replicas = Some((total, key_line(d, "multiRegionConfig")));
            }
        }
        for (k, _) in d.as_map().unwrap_or(&[]) {
            let key = k.as_str().unwrap_or("");
            if !RAILWAY_DEPLOY.contains(&key) {
                c.unknown_keys.push((format!("deploy.{key}"), k.line));
            }
        }
    }
    c
}

// ------------------------------------------------------------------------------------------
// render.yaml

#[derive(Debug, Clone, Default)]
pub struct RenderEnvVar {
    pub key: String,
    /// A literal `value:` is written.
    pub has_value: bool,
    /// The literal `value:`, when it is a scalar.
    pub value: Option<String>,
    /// `generateValue: true`: Render generates a random value; nothing is committed.
    pub generated: bool,
    pub sync_false: bool,
    pub from: bool,
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub struct RenderService {
    pub name: String,
    pub kind: String,
    pub runtime: At<String>,
    pub plan: At<String>,
    pub root_dir: At<String>,
    pub dockerfile_path: At<String>,
    pub docker_context: At<String>,
    pub build_command: At<String>,
    pub start_command: At<String>,
    pub docker_command: At<String>,
    pub health_check_path: At<String>,
    pub pre_deploy_command: At<String>,
    pub disk: Option<(String /*mountPath*/, usize)>,
    pub num_instances: At<i64>,
    pub scaling_max: At<i64>,
    pub env_vars: Vec<RenderEnvVar>,
    /// Deprecated keys used: (key, line).
    pub deprecated: Vec<(String, usize)>,
    pub line: usize,
}

/// An env var group entry that a group may not hold: (key, what, line).
pub type InvalidEnvVar = (String, String, usize);

#[derive(Debug, Clone, Default)]
pub struct RenderConfig {
    pub services: Vec<RenderService>,
    pub databases: Vec<(String, usize)>,
    /// Env var groups: (name, invalid entries).
    pub env_groups: Vec<(String, Vec<InvalidEnvVar>)>,
}

fn render_env(list: Option<&Node>) -> Vec<RenderEnvVar> {
    list.and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .map(|e| RenderEnvVar {
            key: s(e, "key").map(|x| x.0).unwrap_or_default(),
            has_value: e.get("value").is_some(),
            value: s(e, "value").map(|x| x.0),
            generated: e.get("generateValue").is_some(),
            sync_false: e.get("sync").and_then(Node::as_bool) == Some(false),
            from: e.get("fromDatabase").is_some() || e.get("fromService").is_some() || e.get("fromGroup").is_some(),
            line: e.line,
        })
        .collect()
}

pub fn render(root: &Node) -> RenderConfig {
    let mut c = RenderConfig::default();
    for svc in root.get("services").and_then(Node::as_seq).unwrap_or(&[]) {
        let mut r = RenderService {
            name: s(svc, "name").map(|x| x.0).unwrap_or_default(),
            kind: s(svc, "type").map(|x| x.0).unwrap_or_default(),
            runtime: s(svc, "runtime").or_else(|| s(svc, "env")),
            plan: s(svc, "plan"),
            root_dir: s(svc, "rootDir"),
            dockerfile_path: s(svc, "dockerfilePath"),
            docker_context: s(svc, "dockerContext"),
            build_command: s(svc, "buildCommand"),
            start_command: s(svc, "startCommand"),
            docker_command: s(svc, "dockerCommand"),
            health_check_path: s(svc, "healthCheckPath"),
            pre_deploy_command: s(svc, "preDeployCommand"),
            disk: svc.get("disk").map(|d| (s(d, "mountPath").map(|x| x.0).unwrap_or_default(), d.line)),
            num_instances: int(svc, "numInstances"),
            scaling_max: svc.get("scaling").and_then(|sc| int(sc, "maxInstances")),
            env_vars: render_env(svc.get("envVars")),
            line: svc.line,
            ..Default::default()
        };
        for key in ["env", "autoDeploy", "previewsEnabled"] {
            if svc.get(key).is_some() {
                r.deprecated.push((key.to_string(), key_line(svc, key)));
            }
        }
        if r.kind == "redis" {
            r.deprecated.push(("type: redis".to_string(), key_line(svc, "type")));
        }
        c.services.push(r);
    }
    for db in root.get("databases").and_then(Node::as_seq).unwrap_or(&[]) {
        c.databases.push((s(db, "name").map(|x| x.0).unwrap_or_default(), db.line));
    }
    for g in root.get("envVarGroups").and_then(Node::as_seq).unwrap_or(&[]) {
        let name = s(g, "name").map(|x| x.0).unwrap_or_default();
        let mut bad = Vec::new();
        for e in render_env(g.get("envVars")) {
            if e.sync_false {
                bad.push((e.key.clone(), "sync: false".to_string(), e.line));
            }
            if e.from {
                bad.push((e.key.clone(), "fromDatabase/fromService".to_string(), e.line));
            }
        }
        c.env_groups.push((name, bad));
    }
    c
}

// ------------------------------------------------------------------------------------------
// nixpacks.toml and Procfile

#[derive(Debug, Clone, Default)]
pub struct NixpacksConfig {
    pub node_version: At<String>,
    pub start_cmd: At<String>,
    pub build_cmds: Vec<(String, usize)>,
    pub apt_pkgs: Vec<(String, usize)>,
}

pub fn nixpacks(root: &Node) -> NixpacksConfig {
    let mut c = NixpacksConfig::default();
    if let Some(v) = root.get("variables") {
        c.node_version = s(v, "NIXPACKS_NODE_VERSION");
    }
    if let Some(st) = root.get("start") {
        c.start_cmd = s(st, "cmd");
    }
    if let Some(phases) = root.get("phases").and_then(Node::as_map) {
        for (_, phase) in phases {
            c.build_cmds.extend(strings(phase.get("cmds")));
            c.apt_pkgs.extend(strings(phase.get("aptPkgs")));
        }
    }
    c
}

/// Procfile entries: (process type, command, line).
pub fn procfile(src: &str) -> Vec<(String, String, usize)> {
    src.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let t = l.trim();
            if t.is_empty() || t.starts_with('#') {
                return None;
            }
            let (k, v) = t.split_once(':')?;
            let k = k.trim();
            if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return None;
            }
            Some((k.to_string(), v.trim().to_string(), i + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLY: &str = "app = \"web\"\nprimary_region = \"fra\"\n\n[build]\n  dockerfile = \"apps/web/Dockerfile\"\n\n[env]\n  NODE_ENV = \"production\"\n  FLY_X = \"1\"\n\n[http_service]\n  internal_port = 3000\n  auto_stop_machines = \"stop\"\n  min_machines_running = 0\n\n  [[http_service.checks]]\n    path = \"/api/health\"\n    grace_period = \"10s\"\n\n[[mounts]]\n  source = \"data\"\n  destination = \"/data\"\n\n[deploy]\n  release_command = \"npx prisma migrate deploy\"\n  strategy = \"bluegreen\"\n\n[[vm]]\n  memory = \"256mb\"\n";

    #[test]
    fn fly_toml_with_lines() {
        let n = parse_toml(FLY).unwrap();
        let c = fly(&n);
        assert_eq!(c.app, Some(("web".into(), 1)));
        assert_eq!(c.dockerfile, Some(("apps/web/Dockerfile".into(), 5)));
        assert_eq!(
            c.env.iter().map(|e| (e.0.as_str(), e.2)).collect::<Vec<_>>(),
            vec![("NODE_ENV", 8), ("FLY_X", 9)]
        );
        let h = c.http_service.unwrap();
        assert_eq!(h.internal_port, Some((3000, 12)));
        assert_eq!(h.auto_stop, Some(("stop".into(), 13)));
        assert_eq!(h.checks.len(), 1);
        assert_eq!(h.checks[0].path.as_deref(), Some("/api/health"));
        assert_eq!(c.mounts, vec![("data".into(), "/data".into(), 20)]);
        assert_eq!(c.release_command, Some(("npx prisma migrate deploy".into(), 25)));
        assert_eq!(c.strategy.map(|x| x.0).as_deref(), Some("bluegreen"));
        assert_eq!(c.vm_memory, vec![("256mb".into(), 29)]);
        assert_eq!(fly_memory_mb("1gb"), Some(1024));
        assert_eq!(fly_memory_mb("512mb"), Some(512));
    }

    #[test]
    fn toml_errors_have_lines() {
        let e = parse_toml("app = \"x\"\n[http_service\nport = 1\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(parse_toml(&"[".repeat(10_000)).is_err());
        assert!(parse_toml(&format!("a = {}1{}", "[".repeat(5000), "]".repeat(5000))).is_err());
    }

    #[test]
    fn railway_json_and_toml() {
        let json = "{\n  \"$schema\": \"https://railway.com/railway.schema.json\",\n  \"build\": { \"builder\": \"DOCKERFILE\", \"dockerfilePath\": \"Dockerfile\" },\n  \"deploy\": {\n    \"startCommand\": \"node server.js\",\n    \"healthCheckPath\": \"/health\",\n    \"preDeployCommand\": [\"npx prisma migrate deploy\"],\n    \"multiRegionConfig\": { \"us-west2\": { \"numReplicas\": 2 }, \"europe-west4\": { \"numReplicas\": 1 } }\n  }\n}\n";
        let c = railway(&parse_json(json).unwrap());
        assert_eq!(c.start_command, Some(("node server.js".into(), 5)));
        assert_eq!(c.unknown_keys, vec![("deploy.healthCheckPath".to_string(), 6)]);
        assert_eq!(c.pre_deploy, vec![("npx prisma migrate deploy".to_string(), 7)]);
        assert_eq!(c.replicas.map(|r| r.0), Some(3));
        let t = railway(&parse_toml("[deploy]\nstartCommand = \"npm start\"\nhealthcheckPath = \"/api/health\"\nnumReplicas = 2\n").unwrap());
        assert_eq!(t.healthcheck_path, Some(("/api/health".into(), 3)));
        assert_eq!(t.replicas, Some((2, 4)));
        assert!(parse_json("{\n\"a\": 1,\n}").unwrap_err().line == 3);
    }

    #[test]
    fn render_yaml() {
        let y = "services:\n  - type: web\n    name: app\n    runtime: docker\n    plan: free\n    dockerfilePath: ./apps/web/Dockerfile\n    healthCheckPath: /api/health\n    preDeployCommand: npx prisma migrate deploy\n    autoDeploy: true\n    disk:\n      name: data\n      mountPath: /data\n    envVars:\n      - key: DATABASE_URL\n        fromDatabase:\n          name: db\n          property: connectionString\n      - key: SECRET\n        sync: false\nenvVarGroups:\n  - name: shared\n    envVars:\n      - key: TOKEN\n        sync: false\ndatabases:\n  - name: db\n";
        let c = render(&parse_yaml(y).unwrap());
        let s = &c.services[0];
        assert_eq!(s.plan, Some(("free".into(), 5)));
        assert_eq!(s.disk, Some(("/data".into(), 11)));
        assert_eq!(s.deprecated, vec![("autoDeploy".to_string(), 9)]);
        assert_eq!(s.env_vars.len(), 2);
        assert!(s.env_vars[1].sync_false);
        assert_eq!(c.env_groups[0].1.len(), 1);
        assert_eq!(c.databases.len(), 1);
    }

    #[test]
    fn nixpacks_and_procfile() {
        let c = nixpacks(
            &parse_toml("[variables]\nNIXPACKS_NODE_VERSION = \"20\"\n[phases.setup]\naptPkgs = [\"postgresql-client\"]\n[start]\ncmd = \"npm start\"\n")
                .unwrap(),
        );
        assert_eq!(c.node_version, Some(("20".into(), 2)));
        assert_eq!(c.apt_pkgs, vec![("postgresql-client".into(), 4)]);
        assert_eq!(c.start_cmd.map(|x| x.1), Some(6));
        let p = procfile("# comment\nweb: node server.js\nrelease: npx prisma migrate deploy\nbad line\n");
        assert_eq!(
            p,
            vec![
                ("web".into(), "node server.js".into(), 2),
                ("release".into(), "npx prisma migrate deploy".into(), 3)
            ]
        );
    }

    #[test]
    fn no_panic_on_mangled_input() {
        for src in [FLY, "{\"build\": {\"builder\": \"X\"}, \"deploy\": {\"numReplicas\": 2}}"] {
            for i in 0..=src.len() {
                if src.is_char_boundary(i) {
                    if let Ok(n) = parse_toml(&src[..i]) {
                        let _ = (fly(&n), railway(&n), render(&n), nixpacks(&n));
                    }
                    if let Ok(n) = parse_json(&src[..i]) {
                        let _ = railway(&n);
                    }
                }
                let mut b = src.as_bytes().to_vec();
                if i < b.len() {
                    b[i] ^= 0x24;
                    let t = String::from_utf8_lossy(&b);
                    let _ = parse_toml(&t).map(|n| fly(&n));
                    let _ = procfile(&t);
                }
            }
        }
    }
}
