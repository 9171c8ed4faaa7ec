//! `next.config.{js,mjs,cjs,ts,mts}` read statically with oxc: the exported config object is
//! located (through variables, plugin wrappers, `satisfies`, and the `(phase) => config`
//! function form) and its values converted to [`ConfigValue`]s. The file is never run.

use std::collections::HashMap;

use oxc_ast::ast::*;
use oxc_span::{GetSpan, Span};

use super::source::{snippet, with_program, LineIndex};

/// A statically read config value.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    /// A string (or template without substitutions).
    Str(String),
    /// `true` / `false` (also `!literal`).
    Bool(bool),
    /// A number.
    Num(f64),
    /// `null`.
    Null,
    /// `undefined` / `void 0`.
    Undefined,
    /// An array; resolvable spreads are flattened in.
    Array(Vec<ConfigValue>),
    /// Keys in source order, each with the 1-based line of its key.
    Object(Vec<(String, ConfigValue, usize)>),
    /// `test ? consequent : alternate`; `test` is the source text.
    Conditional {
        test: String,
        consequent: Box<ConfigValue>,
        alternate: Box<ConfigValue>,
    },
    /// `process.env.NAME`, with the fallback of `||` / `??` if any.
    EnvRead { name: String, default: Option<Box<ConfigValue>> },
    /// Anything else: the source text, truncated to 80 characters.
    Unknown(String),
}

impl ConfigValue {
    /// For `output`: Some(true) definitely "standalone", Some(false) definitely not, None when it
    /// depends on a condition, the environment or unknown code.
    pub fn is_standalone(&self) -> Option<bool> {
        match self {
            ConfigValue::Str(s) => Some(s == "standalone"),
            ConfigValue::Conditional { consequent, alternate, .. } => match (consequent.is_standalone(), alternate.is_standalone()) {
                (Some(a), Some(b)) if a == b => Some(a),
                _ => None,
            },
            ConfigValue::EnvRead { .. } | ConfigValue::Unknown(_) => None,
            _ => Some(false),
        }
    }

    /// The string, if this is a string literal.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ConfigValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` when this is an object.
    pub fn get(&self, key: &str) -> Option<(&ConfigValue, usize)> {
        match self {
            ConfigValue::Object(items) => lookup(items, key),
            _ => None,
        }
    }
}

/// One `images.remotePatterns` entry (object form or `new URL('https://host/**')`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePattern {
    /// "https", "http" (without the colon).
    pub protocol: Option<String>,
    /// Host name (may contain wildcards such as `**.example.com`).
    pub hostname: Option<String>,
    /// Port as written (`""` when the object gives an empty string).
    pub port: Option<String>,
    /// 1-based line of the entry.
    pub line: usize,
}

/// What the next.config file sets. Lines are 1-based lines of the keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NextConfig {
    /// Whether an exported config object was found.
    pub object_found: bool,
    /// `output` and its line.
    pub output: Option<(ConfigValue, usize)>,
    /// `images.domains` string entries.
    pub images_domains: Option<(Vec<String>, usize)>,
    /// `images.remotePatterns` entries.
    pub remote_patterns: Vec<RemotePattern>,
    /// `images.unoptimized` when it is a literal boolean.
    pub images_unoptimized: Option<(bool, usize)>,
    /// `basePath`.
    pub base_path: Option<(ConfigValue, usize)>,
    /// Keys of `experimental`.
    pub experimental: Vec<(String, usize)>,
    /// `serverExternalPackages` plus the older `experimental.serverComponentsExternalPackages`.
    pub server_external_packages: Vec<String>,
    /// Line of a `webpack` customisation.
    pub webpack: Option<usize>,
    /// Keys of `env`.
    pub env_keys: Vec<(String, usize)>,
    /// All top-level keys (spreads of resolvable objects merged, later keys override).
    pub entries: Vec<(String, ConfigValue, usize)>,
    /// Syntax errors and analysis limits: (line, message).
    pub errors: Vec<(usize, String)>,
}

/// Read `src` (file name picks JS/TS) without running it.
pub fn parse(src: &str, file_name: &str) -> NextConfig {
    let lines = LineIndex::new(src);
    with_program(src, file_name, &lines, |program, errors| {
        let mut ctx = Ctx {
            src: program.source_text,
            lines: &lines,
            vars: HashMap::new(),
            funcs: HashMap::new(),
            roots: Vec::new(),
            budget: BUDGET,
            path: Vec::new(),
            remote_patterns: Vec::new(),
            too_deep: false,
        };
        let mut cfg = ctx.run(program);
        let mut all = errors;
        if ctx.too_deep {
            all.push((1, "the config nests or chains too deeply; some values were not read".to_string()));
        }
        cfg.errors = all;
        cfg
    })
}

const BUDGET: usize = 100_000;
const MAX_RESOLVE_DEPTH: usize = 24;
const MAX_VALUE_DEPTH: usize = 128;

fn lookup<'v>(items: &'v [(String, ConfigValue, usize)], key: &str) -> Option<(&'v ConfigValue, usize)> {
    items.iter().rev().find(|(k, _, _)| k == key).map(|(_, v, l)| (v, *l))
}

/// Ordered key/value list with O(1) override.
#[derive(Default)]
struct Entries {
    items: Vec<(String, ConfigValue, usize)>,
    index: HashMap<String, usize>,
}

impl Entries {
    fn set(&mut self, key: String, value: ConfigValue, line: usize) {
        match self.index.get(&key).copied() {
            Some(i) => {
                if let Some(slot) = self.items.get_mut(i) {
                    *slot = (key, value, line);
                }
            }
            None => {
                self.index.insert(key.clone(), self.items.len());
                self.items.push((key, value, line));
            }
        }
    }
}

type Make<'m> = &'m dyn Fn(Option<ConfigValue>) -> ConfigValue;

/// Set `path` (non-empty) inside `items` to `make(previous value)`, creating objects on the way
/// and descending into both branches of conditional values (a few levels at most).
fn set_path(items: &mut Vec<(String, ConfigValue, usize)>, path: &[String], make: Make<'_>, line: usize, depth: usize) {
    if depth > 8 {
        return;
    }
    let Some((first, rest)) = path.split_first() else { return };
    let pos = items.iter().rposition(|(k, _, _)| k == first);
    if rest.is_empty() {
        match pos.and_then(|i| items.get_mut(i)) {
            Some(slot) => {
                let prev = std::mem::replace(&mut slot.1, ConfigValue::Undefined);
                *slot = (first.clone(), make(Some(prev)), line);
            }
            None => items.push((first.clone(), make(None), line)),
        }
        return;
    }
    let slot = match pos {
        Some(i) => i,
        None => {
            items.push((first.clone(), ConfigValue::Object(Vec::new()), line));
            items.len() - 1
        }
    };
    if let Some((_, v, _)) = items.get_mut(slot) {
        set_in_value(v, rest, make, line, depth + 1);
    }
}

fn set_in_value(v: &mut ConfigValue, path: &[String], make: Make<'_>, line: usize, depth: usize) {
    if depth > 8 {
        return;
    }
    match v {
        ConfigValue::Object(inner) => set_path(inner, path, make, line, depth + 1),
        ConfigValue::Conditional { consequent, alternate, .. } => {
            set_in_value(consequent, path, make, line, depth + 3);
            set_in_value(alternate, path, make, line, depth + 3);
        }
        other => {
            *other = ConfigValue::Object(Vec::new());
            if let ConfigValue::Object(inner) = other {
                set_path(inner, path, make, line, depth + 1);
            }
        }
    }
}

fn strings(v: &ConfigValue) -> Vec<String> {
    match v {
        ConfigValue::Array(items) => items.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

fn keys(v: &ConfigValue) -> Vec<(String, usize)> {
    match v {
        ConfigValue::Object(items) => items.iter().map(|(k, _, l)| (k.clone(), *l)).collect(),
        _ => Vec::new(),
    }
}

/// `https://host:port/path` → (protocol, hostname, port).
fn parse_url(s: &str) -> (Option<String>, Option<String>, Option<String>) {
    let (proto, rest) = match s.split_once("://") {
        Some((p, r)) => (Some(p.trim_end_matches(':').to_string()).filter(|p| !p.is_empty()), r),
        None => (None, s),
    };
    let hostport = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = hostport.rsplit_once('@').map_or(hostport, |(_, h)| h);
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => (v6, None),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let host = Some(host.to_string()).filter(|h| !h.is_empty());
    let port = port.filter(|p| !p.is_empty()).map(str::to_string);
    (proto, host, port)
}

enum Export<'a, 'b> {
    Expr(&'b Expression<'a>),
    Func(&'b Function<'a>),
    Name(&'a str),
}

struct Ctx<'a, 'b> {
    src: &'a str,
    lines: &'b LineIndex,
    vars: HashMap<&'a str, &'b Expression<'a>>,
    funcs: HashMap<&'a str, &'b Function<'a>>,
    /// Identifiers the export resolved through (targets of later `x.key = value`).
    roots: Vec<&'a str>,
    budget: usize,
    /// Keys from the root to the object being converted.
    path: Vec<String>,
    remote_patterns: Vec<RemotePattern>,
    too_deep: bool,
}

fn is_module_exports(t: &AssignmentTarget<'_>) -> bool {
    match t {
        AssignmentTarget::StaticMemberExpression(m) => {
            (m.object.is_specific_id("module") && m.property.name == "exports") || (m.object.is_specific_id("exports") && m.property.name == "default")
        }
        _ => false,
    }
}

/// `process.env.X` / `process.env['X']` / `import.meta.env.X` → "X".
fn env_name<'a>(e: &Expression<'a>) -> Option<&'a str> {
    let is_env = |o: &Expression<'a>| match o.get_inner_expression() {
        Expression::StaticMemberExpression(m) if m.property.name == "env" => {
            m.object.is_specific_id("process") || matches!(m.object.get_inner_expression(), Expression::ImportMeta(_))
        }
        _ => false,
    };
    match e.get_inner_expression() {
        Expression::StaticMemberExpression(m) if is_env(&m.object) => Some(m.property.name.as_str()),
        Expression::ComputedMemberExpression(m) if is_env(&m.object) => match m.expression.get_inner_expression() {
            Expression::StringLiteral(s) => Some(s.value.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// `a.b.c` as an assignment target → ("a", ["b", "c"]).
fn member_path<'a>(t: &AssignmentTarget<'a>) -> Option<(&'a str, Vec<String>)> {
    let (mut obj, first): (&Expression<'a>, String) = match t {
        AssignmentTarget::StaticMemberExpression(m) => (&m.object, m.property.name.to_string()),
        AssignmentTarget::ComputedMemberExpression(m) => (&m.object, m.static_property_name()?.to_string()),
        _ => return None,
    };
    let mut rev = vec![first];
    for _ in 0..16 {
        match obj.get_inner_expression() {
            Expression::Identifier(id) => {
                rev.reverse();
                return Some((id.name.as_str(), rev));
            }
            Expression::StaticMemberExpression(m) => {
                rev.push(m.property.name.to_string());
                obj = &m.object;
            }
            Expression::ComputedMemberExpression(m) => {
                rev.push(m.static_property_name()?.to_string());
                obj = &m.object;
            }
            _ => return None,
        }
    }
    None
}

impl<'a, 'b> Ctx<'a, 'b> {
    fn line(&self, span: Span) -> usize {
        self.lines.line(span.start as usize)
    }

    fn text(&self, span: Span) -> String {
        snippet(self.src, span)
    }

    fn spend(&mut self) -> bool {
        if self.budget == 0 {
            self.too_deep = true;
            return false;
        }
        self.budget -= 1;
        true
    }

    fn collect_decls(&mut self, stmts: &'b [Statement<'a>]) {
        for st in stmts {
            match st {
                Statement::VariableDeclaration(d) => self.add_vars(d),
                Statement::ExportDeclaration(e) => match &e.declaration {
                    Declaration::VariableDeclaration(d) => self.add_vars(d),
                    Declaration::FunctionDeclaration(f) => self.add_func(f),
                    _ => {}
                },
                Statement::FunctionDeclaration(f) => self.add_func(f),
                _ => {}
            }
        }
    }

    fn add_vars(&mut self, d: &'b VariableDeclaration<'a>) {
        for decl in &d.declarations {
            if let (BindingPattern::BindingIdentifier(id), Some(init)) = (&decl.id, &decl.init) {
                self.vars.insert(id.name.as_str(), init);
            }
        }
    }

    fn add_func(&mut self, f: &'b Function<'a>) {
        if let Some(id) = &f.id {
            self.funcs.insert(id.name.as_str(), f);
        }
    }

    fn find_export(&self, program: &'b Program<'a>) -> Option<Export<'a, 'b>> {
        let mut found = None;
        for st in &program.body {
            match st {
                Statement::ExpressionStatement(s) => {
                    if let Expression::AssignmentExpression(a) = s.expression.get_inner_expression() {
                        if is_module_exports(&a.left) {
                            let mut right = &a.right;
                            // module.exports = exports.default = config
                            for _ in 0..8 {
                                match right.get_inner_expression() {
                                    Expression::AssignmentExpression(inner) => right = &inner.right,
                                    _ => break,
                                }
                            }
                            found = Some(Export::Expr(right));
                        }
                    }
                }
                Statement::ExportDefaultDeclaration(d) => match &d.declaration {
                    ExportDefaultDeclarationKind::FunctionDeclaration(f) => found = Some(Export::Func(f)),
                    ExportDefaultDeclarationKind::ClassDeclaration(_) | ExportDefaultDeclarationKind::TSInterfaceDeclaration(_) => {}
                    other => {
                        if let Some(e) = other.as_expression() {
                            found = Some(Export::Expr(e));
                        }
                    }
                },
                Statement::TSExportAssignment(a) => found = Some(Export::Expr(&a.expression)),
                Statement::ExportNamedDeclaration(n) => {
                    for s in &n.specifiers {
                        if s.exported.name() == "default" {
                            if let ModuleExportName::IdentifierReference(r) = &s.local {
                                found = Some(Export::Name(r.name.as_str()));
                            } else if let ModuleExportName::IdentifierName(r) = &s.local {
                                found = Some(Export::Name(r.name.as_str()));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        found
    }

    fn run(&mut self, program: &'b Program<'a>) -> NextConfig {
        self.collect_decls(&program.body);
        let mut objs = Vec::new();
        match self.find_export(program) {
            Some(Export::Expr(e)) => {
                self.find_objects(e, 0, &mut objs);
            }
            Some(Export::Func(f)) => {
                self.find_in_function(f, 0, &mut objs);
            }
            Some(Export::Name(n)) => {
                if let Some(init) = self.vars.get(n).copied() {
                    self.roots.push(n);
                    self.find_objects(init, 0, &mut objs);
                }
            }
            None => {}
        }
        if objs.is_empty() {
            // No recognisable export: fall back to a conventionally named object.
            for name in ["nextConfig", "config"] {
                if let Some(init) = self.vars.get(name).copied() {
                    self.roots.push(name);
                    if self.find_objects(init, 0, &mut objs) {
                        break;
                    }
                }
            }
        }
        let object_found = !objs.is_empty();
        let mut entries = Entries::default();
        for o in objs {
            self.convert_object(o, 0, &mut entries);
        }
        let mut items = entries.items;
        if object_found {
            for st in &program.body {
                self.apply_assignments(st, None, &mut items, 0);
            }
        }
        self.derive(object_found, items)
    }

    fn derive(&mut self, object_found: bool, entries: Vec<(String, ConfigValue, usize)>) -> NextConfig {
        let mut cfg = NextConfig {
            object_found,
            ..NextConfig::default()
        };
        cfg.output = lookup(&entries, "output").map(|(v, l)| (v.clone(), l));
        cfg.base_path = lookup(&entries, "basePath").map(|(v, l)| (v.clone(), l));
        cfg.webpack = lookup(&entries, "webpack").map(|(_, l)| l);
        if let Some((images, _)) = lookup(&entries, "images") {
            if let Some((d, l)) = images.get("domains") {
                cfg.images_domains = Some((strings(d), l));
            }
            if let Some((ConfigValue::Bool(b), l)) = images.get("unoptimized") {
                cfg.images_unoptimized = Some((*b, l));
            }
        }
        if let Some((exp, _)) = lookup(&entries, "experimental") {
            cfg.experimental = keys(exp);
            if let Some((p, _)) = exp.get("serverComponentsExternalPackages") {
                cfg.server_external_packages.extend(strings(p));
            }
        }
        if let Some((p, _)) = lookup(&entries, "serverExternalPackages") {
            cfg.server_external_packages.extend(strings(p));
        }
        if let Some((env, _)) = lookup(&entries, "env") {
            cfg.env_keys = keys(env);
        }
        cfg.remote_patterns = std::mem::take(&mut self.remote_patterns);
        cfg.entries = entries;
        cfg
    }

    // ----- locating the object -----

    /// Push the object literal(s) `e` evaluates to (through variables, wrappers, functions).
    fn find_objects(&mut self, e: &'b Expression<'a>, depth: usize, out: &mut Vec<&'b ObjectExpression<'a>>) -> bool {
        if depth > MAX_RESOLVE_DEPTH || !self.spend() {
            self.too_deep = true;
            return false;
        }
        match e.get_inner_expression() {
            Expression::ObjectExpression(o) => {
                out.push(o);
                true
            }
            Expression::Identifier(id) => {
                let n = id.name.as_str();
                if let Some(init) = self.vars.get(n).copied() {
                    let mark = self.roots.len();
                    self.roots.push(n);
                    let found = self.find_objects(init, depth + 1, out);
                    if !found {
                        self.roots.truncate(mark);
                    }
                    found
                } else if let Some(f) = self.funcs.get(n).copied() {
                    self.find_in_function(f, depth + 1, out)
                } else {
                    false
                }
            }
            Expression::CallExpression(c) => {
                if c.callee.is_specific_member_access("Object", "assign") {
                    let mut any = false;
                    for a in &c.arguments {
                        if let Some(x) = a.as_expression() {
                            any |= self.find_objects(x, depth + 1, out);
                        }
                    }
                    return any;
                }
                // Plugin wrappers: the first argument that is a config wins.
                for a in &c.arguments {
                    if let Some(x) = a.as_expression() {
                        if self.find_objects(x, depth + 1, out) {
                            return true;
                        }
                    }
                }
                // A local config factory: `module.exports = makeConfig()`.
                match c.callee.get_inner_expression() {
                    Expression::Identifier(id) => {
                        let n = id.name.as_str();
                        if let Some(f) = self.funcs.get(n).copied() {
                            self.find_in_function(f, depth + 1, out)
                        } else if let Some(init) = self.vars.get(n).copied() {
                            match init.get_inner_expression() {
                                Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_) => self.find_objects(init, depth + 1, out),
                                _ => false,
                            }
                        } else {
                            false
                        }
                    }
                    _ => false,
                }
            }
            Expression::AwaitExpression(a) => self.find_objects(&a.argument, depth + 1, out),
            Expression::ArrowFunctionExpression(f) => {
                if let Some(x) = f.get_expression() {
                    self.find_objects(x, depth + 1, out)
                } else if let Some(b) = f.get_function_body() {
                    self.find_in_body(&b.statements, depth + 1, out)
                } else {
                    false
                }
            }
            Expression::FunctionExpression(f) => self.find_in_function(f, depth + 1, out),
            Expression::ConditionalExpression(c) => self.find_objects(&c.consequent, depth + 1, out) || self.find_objects(&c.alternate, depth + 1, out),
            Expression::SequenceExpression(s) => match s.expressions.last() {
                Some(x) => self.find_objects(x, depth + 1, out),
                None => false,
            },
            Expression::AssignmentExpression(a) => self.find_objects(&a.right, depth + 1, out),
            _ => false,
        }
    }

    fn find_in_function(&mut self, f: &'b Function<'a>, depth: usize, out: &mut Vec<&'b ObjectExpression<'a>>) -> bool {
        match &f.body {
            Some(b) => self.find_in_body(&b.statements, depth + 1, out),
            None => false,
        }
    }

    /// The config a function body returns: the last top-level `return` that resolves, else the
    /// first nested one.
    fn find_in_body(&mut self, stmts: &'b [Statement<'a>], depth: usize, out: &mut Vec<&'b ObjectExpression<'a>>) -> bool {
        if depth > MAX_RESOLVE_DEPTH {
            self.too_deep = true;
            return false;
        }
        self.collect_decls(stmts);
        for st in stmts.iter().rev() {
            if let Statement::ReturnStatement(r) = st {
                if let Some(a) = &r.argument {
                    if self.find_objects(a, depth + 1, out) {
                        return true;
                    }
                }
            }
        }
        let mut nested = Vec::new();
        nested_returns(stmts, 0, &mut nested);
        for a in nested {
            if self.find_objects(a, depth + 1, out) {
                return true;
            }
        }
        false
    }

    /// Resolve identifiers to an object literal (for spreads and remote patterns).
    fn plain<'x>(&self, e: &'x Expression<'a>, depth: usize) -> Option<&'x Expression<'a>>
    where
        'b: 'x,
    {
        let e = e.get_inner_expression();
        match e {
            Expression::Identifier(id) if depth < 8 => match self.vars.get(id.name.as_str()) {
                Some(init) => self.plain(init, depth + 1),
                None => Some(e),
            },
            _ => Some(e),
        }
    }

    // ----- converting values -----

    fn convert_object(&mut self, o: &'b ObjectExpression<'a>, depth: usize, out: &mut Entries) {
        if depth > MAX_VALUE_DEPTH {
            self.too_deep = true;
            return;
        }
        for prop in &o.properties {
            match prop {
                ObjectPropertyKind::ObjectProperty(p) => {
                    let Some(key) = p.key.static_name() else { continue };
                    let key = key.into_owned();
                    let line = self.line(p.span);
                    let value = if p.method || p.kind != PropertyKind::Init {
                        ConfigValue::Unknown(self.text(p.span))
                    } else {
                        if key == "remotePatterns" && self.path.len() == 1 && self.path.first().is_some_and(|k| k == "images") {
                            self.collect_remote(&p.value);
                        }
                        self.path.push(key.clone());
                        let v = self.value_of(&p.value, depth + 1);
                        self.path.pop();
                        v
                    };
                    out.set(key, value, line);
                }
                ObjectPropertyKind::SpreadProperty(s) => {
                    if let Some(Expression::ObjectExpression(inner)) = self.plain(&s.argument, 0) {
                        if self.spend() {
                            self.convert_object(inner, depth + 1, out);
                        }
                    }
                }
            }
        }
    }

    fn value_of(&mut self, e: &'b Expression<'a>, depth: usize) -> ConfigValue {
        if depth > MAX_VALUE_DEPTH || !self.spend() {
            self.too_deep = true;
            return ConfigValue::Unknown(self.text(e.span()));
        }
        let e = e.get_inner_expression();
        if let Some(name) = env_name(e) {
            return ConfigValue::EnvRead {
                name: name.to_string(),
                default: None,
            };
        }
        match e {
            Expression::StringLiteral(s) => ConfigValue::Str(s.value.to_string()),
            Expression::TemplateLiteral(t) if t.expressions.is_empty() => {
                ConfigValue::Str(t.quasis.first().map(|q| q.value.cooked.unwrap_or(q.value.raw).to_string()).unwrap_or_default())
            }
            Expression::BooleanLiteral(b) => ConfigValue::Bool(b.value),
            Expression::NullLiteral(_) => ConfigValue::Null,
            Expression::NumericLiteral(n) => ConfigValue::Num(n.value),
            Expression::Identifier(id) if id.name == "undefined" => ConfigValue::Undefined,
            Expression::Identifier(id) => match self.vars.get(id.name.as_str()).copied() {
                Some(init) => self.value_of(init, depth + 1),
                None => ConfigValue::Unknown(id.name.to_string()),
            },
            Expression::UnaryExpression(u) => match u.operator {
                UnaryOperator::Void => ConfigValue::Undefined,
                UnaryOperator::UnaryNegation => match u.argument.get_inner_expression() {
                    Expression::NumericLiteral(n) => ConfigValue::Num(-n.value),
                    _ => ConfigValue::Unknown(self.text(e.span())),
                },
                UnaryOperator::LogicalNot => match self.value_of(&u.argument, depth + 1) {
                    ConfigValue::Bool(b) => ConfigValue::Bool(!b),
                    ConfigValue::Num(n) => ConfigValue::Bool(n == 0.0 || n.is_nan()),
                    ConfigValue::Str(s) => ConfigValue::Bool(s.is_empty()),
                    ConfigValue::Null | ConfigValue::Undefined => ConfigValue::Bool(true),
                    ConfigValue::Array(_) | ConfigValue::Object(_) => ConfigValue::Bool(false),
                    _ => ConfigValue::Unknown(self.text(e.span())),
                },
                _ => ConfigValue::Unknown(self.text(e.span())),
            },
            Expression::ArrayExpression(a) => {
                let mut items = Vec::new();
                for el in &a.elements {
                    match el {
                        ArrayExpressionElement::SpreadElement(s) => match self.value_of(&s.argument, depth + 1) {
                            ConfigValue::Array(inner) => items.extend(inner),
                            _ => items.push(ConfigValue::Unknown(self.text(s.span))),
                        },
                        ArrayExpressionElement::Elision(_) => items.push(ConfigValue::Undefined),
                        other => match other.as_expression() {
                            Some(x) => items.push(self.value_of(x, depth + 1)),
                            None => items.push(ConfigValue::Unknown(self.text(other.span()))),
                        },
                    }
                }
                ConfigValue::Array(items)
            }
            Expression::ObjectExpression(o) => {
                let mut entries = Entries::default();
                self.convert_object(o, depth + 1, &mut entries);
                ConfigValue::Object(entries.items)
            }
            Expression::ConditionalExpression(c) => ConfigValue::Conditional {
                test: self.text(c.test.span()),
                consequent: Box::new(self.value_of(&c.consequent, depth + 1)),
                alternate: Box::new(self.value_of(&c.alternate, depth + 1)),
            },
            Expression::LogicalExpression(l) if matches!(l.operator, LogicalOperator::Or | LogicalOperator::Coalesce) => {
                match self.value_of(&l.left, depth + 1) {
                    ConfigValue::EnvRead { name, default: None } => ConfigValue::EnvRead {
                        name,
                        default: Some(Box::new(self.value_of(&l.right, depth + 1))),
                    },
                    _ => ConfigValue::Unknown(self.text(e.span())),
                }
            }
            _ => ConfigValue::Unknown(self.text(e.span())),
        }
    }

    /// A string (or integer, as text) after resolving identifiers; no side effects.
    fn literal_str(&self, e: &Expression<'a>) -> Option<String> {
        match self.plain(e, 0)? {
            Expression::StringLiteral(s) => Some(s.value.to_string()),
            Expression::TemplateLiteral(t) if t.expressions.is_empty() => t.quasis.first().map(|q| q.value.cooked.unwrap_or(q.value.raw).to_string()),
            Expression::NumericLiteral(n) if n.value.fract() == 0.0 && n.value.abs() < 1e15 => Some(format!("{}", n.value as i64)),
            _ => None,
        }
    }

    fn collect_remote(&mut self, e: &'b Expression<'a>) {
        let Some(Expression::ArrayExpression(arr)) = self.plain(e, 0) else { return };
        for el in &arr.elements {
            let Some(x) = el.as_expression().and_then(|x| self.plain(x, 0)) else {
                continue;
            };
            let line = self.line(x.span());
            match x {
                Expression::ObjectExpression(o) => {
                    let get = |key: &str| {
                        o.properties.iter().find_map(|p| match p {
                            ObjectPropertyKind::ObjectProperty(p) if p.key.static_name().is_some_and(|k| k == key) => self.literal_str(&p.value),
                            _ => None,
                        })
                    };
                    let pattern = RemotePattern {
                        protocol: get("protocol"),
                        hostname: get("hostname"),
                        port: get("port"),
                        line,
                    };
                    self.remote_patterns.push(pattern);
                }
                Expression::NewExpression(n) if n.callee.is_specific_id("URL") => {
                    let Some(url) = n.arguments.first().and_then(Argument::as_expression).and_then(|a| self.literal_str(a)) else {
                        continue;
                    };
                    let (protocol, hostname, port) = parse_url(&url);
                    self.remote_patterns.push(RemotePattern {
                        protocol,
                        hostname,
                        port,
                        line,
                    });
                }
                _ => {}
            }
        }
    }

    /// `config.key = value` (and `config.a.b = value`) after the declaration, optionally inside
    /// `if (cond) { ... }` (recorded as a Conditional).
    fn apply_assignments(&mut self, st: &'b Statement<'a>, cond: Option<String>, items: &mut Vec<(String, ConfigValue, usize)>, depth: usize) {
        if depth > 4 {
            return;
        }
        match st {
            Statement::ExpressionStatement(s) => {
                let Expression::AssignmentExpression(a) = s.expression.get_inner_expression() else {
                    return;
                };
                if a.operator != AssignmentOperator::Assign {
                    return;
                }
                let Some((root, path)) = member_path(&a.left) else { return };
                if !self.roots.contains(&root) || path.is_empty() {
                    return;
                }
                let line = self.line(a.span);
                if path.len() == 2 && path.first().is_some_and(|k| k == "images") && path.get(1).is_some_and(|k| k == "remotePatterns") {
                    self.collect_remote(&a.right);
                }
                self.path.clone_from(&path);
                let v = self.value_of(&a.right, 1);
                self.path.clear();
                let make = |prev: Option<ConfigValue>| match &cond {
                    Some(test) => ConfigValue::Conditional {
                        test: test.clone(),
                        consequent: Box::new(v.clone()),
                        alternate: Box::new(prev.unwrap_or(ConfigValue::Undefined)),
                    },
                    None => v.clone(),
                };
                set_path(items, &path, &make, line, 0);
            }
            Statement::IfStatement(i) => {
                let test = self.text(i.test.span());
                let combined = |t: &str| match &cond {
                    Some(c) => format!("{c} && {t}"),
                    None => t.to_string(),
                };
                let yes = combined(&test);
                let no = combined(&format!("!({test})"));
                self.apply_assignments(&i.consequent, Some(yes), items, depth + 1);
                if let Some(alt) = &i.alternate {
                    self.apply_assignments(alt, Some(no), items, depth + 1);
                }
            }
            Statement::BlockStatement(b) => {
                for s in &b.body {
                    self.apply_assignments(s, cond.clone(), items, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// `return` arguments nested in blocks, ifs, try and switch, in source order.
fn nested_returns<'x, 'a>(stmts: &'x [Statement<'a>], depth: usize, out: &mut Vec<&'x Expression<'a>>) {
    if depth > 8 {
        return;
    }
    for st in stmts {
        match st {
            Statement::ReturnStatement(r) if depth > 0 => {
                if let Some(a) = &r.argument {
                    out.push(a);
                }
            }
            Statement::BlockStatement(b) => nested_returns(&b.body, depth + 1, out),
            Statement::IfStatement(i) => {
                nested_returns(std::slice::from_ref(&i.consequent), depth + 1, out);
                if let Some(a) = &i.alternate {
                    nested_returns(std::slice::from_ref(a), depth + 1, out);
                }
            }
            Statement::TryStatement(t) => {
                nested_returns(&t.block.body, depth + 1, out);
                if let Some(h) = &t.handler {
                    nested_returns(&h.body.body, depth + 1, out);
                }
            }
            Statement::SwitchStatement(s) => {
                for c in &s.cases {
                    nested_returns(&c.consequent, depth + 1, out);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> ConfigValue {
        ConfigValue::Str(v.to_string())
    }

    fn output(src: &str, name: &str) -> Option<(ConfigValue, usize)> {
        let c = parse(src, name);
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert!(c.object_found, "no object in {src}");
        c.output
    }

    const FULL: &str = "/** @type {import('next').NextConfig} */\n\
module.exports = {\n\
  output: 'standalone',\n\
  images: {\n\
    domains: ['a.com', 'b.com'],\n\
    remotePatterns: [\n\
      { protocol: 'https', hostname: 'cdn.x.com', port: '' },\n\
      new URL('https://img.y.com:8443/**'),\n\
    ],\n\
    unoptimized: true,\n\
  },\n\
  basePath: '/app',\n\
  experimental: {\n\
    serverActions: { bodySizeLimit: '2mb' },\n\
    serverComponentsExternalPackages: ['sharp'],\n\
  },\n\
  serverExternalPackages: ['pg', ...extra],\n\
  env: { API_URL: process.env.API_URL, MODE: 'x' },\n\
  webpack(config) { return config },\n\
  poweredByHeader: false,\n\
  compress: !true,\n\
  port: 3000,\n\
};\n";

    #[test]
    fn full_commonjs_object() {
        let c = parse(FULL, "next.config.js");
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert!(c.object_found);
        assert_eq!(c.output, Some((s("standalone"), 3)));
        assert_eq!(c.images_domains, Some((vec!["a.com".to_string(), "b.com".to_string()], 5)));
        assert_eq!(
            c.remote_patterns,
            vec![
                RemotePattern {
                    protocol: Some("https".into()),
                    hostname: Some("cdn.x.com".into()),
                    port: Some(String::new()),
                    line: 7
                },
                RemotePattern {
                    protocol: Some("https".into()),
                    hostname: Some("img.y.com".into()),
                    port: Some("8443".into()),
                    line: 8
                },
            ]
        );
        assert_eq!(c.images_unoptimized, Some((true, 10)));
        assert_eq!(c.base_path, Some((s("/app"), 12)));
        assert_eq!(
            c.experimental,
            vec![("serverActions".to_string(), 14), ("serverComponentsExternalPackages".to_string(), 15)]
        );
        assert_eq!(c.server_external_packages, vec!["sharp".to_string(), "pg".to_string()]);
        assert_eq!(c.env_keys, vec![("API_URL".to_string(), 18), ("MODE".to_string(), 18)]);
        assert_eq!(c.webpack, Some(19));
        let keys: Vec<(&str, usize)> = c.entries.iter().map(|(k, _, l)| (k.as_str(), *l)).collect();
        assert_eq!(
            keys,
            vec![
                ("output", 3),
                ("images", 4),
                ("basePath", 12),
                ("experimental", 13),
                ("serverExternalPackages", 17),
                ("env", 18),
                ("webpack", 19),
                ("poweredByHeader", 20),
                ("compress", 21),
                ("port", 22)
            ]
        );
        let get = |k: &str| c.entries.iter().find(|(x, _, _)| x == k).map(|(_, v, _)| v.clone());
        assert_eq!(get("poweredByHeader"), Some(ConfigValue::Bool(false)));
        assert_eq!(get("compress"), Some(ConfigValue::Bool(false)));
        assert_eq!(get("port"), Some(ConfigValue::Num(3000.0)));
        let env = get("env").unwrap_or(ConfigValue::Null);
        assert_eq!(
            env.get("API_URL"),
            Some((
                &ConfigValue::EnvRead {
                    name: "API_URL".into(),
                    default: None
                },
                18
            ))
        );
        let exp = get("serverExternalPackages").unwrap_or(ConfigValue::Null);
        assert_eq!(exp, ConfigValue::Array(vec![s("pg"), ConfigValue::Unknown("...extra".into())]));
    }

    #[test]
    fn variable_and_esm_exports() {
        assert_eq!(
            output(
                "const nextConfig = {\n  output: 'standalone',\n};\nmodule.exports = nextConfig;\n",
                "next.config.js"
            ),
            Some((s("standalone"), 2))
        );
        assert_eq!(
            output("const nextConfig = { output: 'export' };\nexport default nextConfig;\n", "next.config.mjs"),
            Some((s("export"), 1))
        );
        assert_eq!(
            output("export default {\n  output: 'standalone' };\n", "next.config.mjs"),
            Some((s("standalone"), 2))
        );
        assert_eq!(
            output("const c = { output: 'standalone' };\nexport { c as default };\n", "next.config.mjs"),
            Some((s("standalone"), 1))
        );
    }

    #[test]
    fn typescript_forms() {
        let ts = "import type { NextConfig } from 'next';\n\nconst nextConfig: NextConfig = {\n  output: 'standalone',\n};\n\nexport default nextConfig;\n";
        assert_eq!(output(ts, "next.config.ts"), Some((s("standalone"), 4)));
        let sat = "import type { NextConfig } from 'next';\nexport default {\n  output: 'standalone' as const,\n} satisfies NextConfig;\n";
        assert_eq!(output(sat, "next.config.mts"), Some((s("standalone"), 3)));
    }

    #[test]
    fn plugin_wrappers() {
        let a = "const withPWA = require('next-pwa')({ dest: 'public' });\nconst withBundleAnalyzer = require('@next/bundle-analyzer')({ enabled: process.env.ANALYZE === 'true' });\nconst nextConfig = { output: 'standalone' };\nmodule.exports = withBundleAnalyzer(withPWA(nextConfig));\n";
        assert_eq!(output(a, "next.config.js"), Some((s("standalone"), 3)));
        let b = "import { withSentryConfig } from '@sentry/nextjs';\nconst nextConfig = { output: 'standalone' };\nexport default withSentryConfig(nextConfig, { silent: true, org: 'x' });\n";
        assert_eq!(output(b, "next.config.mjs"), Some((s("standalone"), 2)));
        let c = "module.exports = require('next-pwa')({ dest: 'public' })({\n  output: 'standalone',\n});\n";
        assert_eq!(output(c, "next.config.js"), Some((s("standalone"), 2)));
        let d = "const withPlugins = require('next-compose-plugins');\nmodule.exports = withPlugins([[withImages, {}]], { output: 'standalone' });\n";
        assert_eq!(output(d, "next.config.js"), Some((s("standalone"), 2)));
        let e = "const base = { reactStrictMode: true };\nmodule.exports = Object.assign({}, base, { output: 'standalone' });\n";
        let cfg = parse(e, "next.config.js");
        assert_eq!(cfg.output, Some((s("standalone"), 2)));
        assert_eq!(cfg.entries.len(), 2);
    }

    #[test]
    fn function_forms() {
        let a = "const { PHASE_DEVELOPMENT_SERVER } = require('next/constants');\nmodule.exports = (phase, { defaultConfig }) => {\n  const c = { ...defaultConfig, output: 'standalone' };\n  return c;\n};\n";
        assert_eq!(output(a, "next.config.js"), Some((s("standalone"), 3)));
        let b = "module.exports = async (phase) => {\n  const plugins = await load();\n  return { output: 'standalone' };\n};\n";
        assert_eq!(output(b, "next.config.js"), Some((s("standalone"), 3)));
        let c = "export default async function config(phase) {\n  if (phase === 'phase-development-server') {\n    return { output: 'export' };\n  }\n  return { output: 'standalone' };\n}\n";
        assert_eq!(output(c, "next.config.mjs"), Some((s("standalone"), 5)));
        let d = "module.exports = function (phase) {\n  if (phase === PHASE_PRODUCTION_BUILD) {\n    return { output: 'standalone' };\n  }\n};\n";
        assert_eq!(output(d, "next.config.js"), Some((s("standalone"), 3)));
        let e = "function makeConfig() { return { output: 'standalone' } }\nmodule.exports = makeConfig();\n";
        assert_eq!(output(e, "next.config.js"), Some((s("standalone"), 1)));
    }

    #[test]
    fn conditional_and_env_outputs() {
        let (v, line) = output(
            "module.exports = {\n  output: process.env.X ? 'standalone' : undefined,\n};\n",
            "next.config.js",
        )
        .unwrap_or((ConfigValue::Null, 0));
        assert_eq!(line, 2);
        assert_eq!(
            v,
            ConfigValue::Conditional {
                test: "process.env.X".into(),
                consequent: Box::new(s("standalone")),
                alternate: Box::new(ConfigValue::Undefined)
            }
        );
        assert_eq!(v.is_standalone(), None);
        let (v, _) = output("module.exports = { output: process.env.NEXT_OUTPUT ?? 'standalone' };\n", "next.config.js").unwrap_or((ConfigValue::Null, 0));
        assert_eq!(
            v,
            ConfigValue::EnvRead {
                name: "NEXT_OUTPUT".into(),
                default: Some(Box::new(s("standalone")))
            }
        );
        assert_eq!(v.is_standalone(), None);
        let (v, _) = output(
            "const isDocker = !!process.env.DOCKER;\nmodule.exports = { output: isDocker ? 'standalone' : 'standalone' };\n",
            "next.config.js",
        )
        .unwrap_or((ConfigValue::Null, 0));
        assert_eq!(v.is_standalone(), Some(true));
        let (v, _) = output(
            "module.exports = { output: process.env['BUILD_STANDALONE'] === 'true' ? 'standalone' : void 0 };\n",
            "next.config.js",
        )
        .unwrap_or((ConfigValue::Null, 0));
        assert!(matches!(&v, ConfigValue::Conditional { test, .. } if test == "process.env['BUILD_STANDALONE'] === 'true'"));
        let (v, _) = output("module.exports = { basePath: '', output: getOutput() };\n", "next.config.js").unwrap_or((ConfigValue::Null, 0));
        assert_eq!(v, ConfigValue::Unknown("getOutput()".into()));
    }

    #[test]
    fn is_standalone_and_as_str() {
        assert_eq!(s("standalone").is_standalone(), Some(true));
        assert_eq!(s("export").is_standalone(), Some(false));
        assert_eq!(ConfigValue::Undefined.is_standalone(), Some(false));
        assert_eq!(ConfigValue::Unknown("x".into()).is_standalone(), None);
        let both_not = ConfigValue::Conditional {
            test: "t".into(),
            consequent: Box::new(s("export")),
            alternate: Box::new(ConfigValue::Undefined),
        };
        assert_eq!(both_not.is_standalone(), Some(false));
        assert_eq!(s("a").as_str(), Some("a"));
        assert_eq!(ConfigValue::Num(1.0).as_str(), None);
    }

    #[test]
    fn spreads_and_identifier_values() {
        let src = "const base = { reactStrictMode: true, output: 'export' };\nconst basePath = process.env.BASE_PATH || '';\nconst images = { unoptimized: true, remotePatterns: [new URL('http://localhost:3000/**')] };\nmodule.exports = {\n  ...base,\n  ...someUnknown,\n  output: 'standalone',\n  basePath,\n  images,\n};\n";
        let c = parse(src, "next.config.js");
        assert_eq!(c.output, Some((s("standalone"), 7)));
        assert_eq!(
            c.base_path,
            Some((
                ConfigValue::EnvRead {
                    name: "BASE_PATH".into(),
                    default: Some(Box::new(s("")))
                },
                8
            ))
        );
        assert_eq!(c.images_unoptimized, Some((true, 3)));
        assert_eq!(
            c.remote_patterns,
            vec![RemotePattern {
                protocol: Some("http".into()),
                hostname: Some("localhost".into()),
                port: Some("3000".into()),
                line: 3
            }]
        );
        let keys: Vec<&str> = c.entries.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(keys, vec!["reactStrictMode", "output", "basePath", "images"]);
    }

    #[test]
    fn assignments_after_the_declaration() {
        let src = "const nextConfig = { reactStrictMode: true };\nnextConfig.output = 'standalone';\nif (process.env.CI) {\n  nextConfig.images = { unoptimized: true };\n} else {\n  nextConfig.images.unoptimized = false;\n}\nmodule.exports = nextConfig;\n";
        let c = parse(src, "next.config.js");
        assert_eq!(c.output, Some((s("standalone"), 2)));
        let images = c.entries.iter().find(|(k, _, _)| k == "images").map(|(_, v, l)| (v.clone(), *l));
        let else_branch = |prev: ConfigValue| ConfigValue::Conditional {
            test: "!(process.env.CI)".into(),
            consequent: Box::new(ConfigValue::Bool(false)),
            alternate: Box::new(prev),
        };
        let expected = ConfigValue::Conditional {
            test: "process.env.CI".into(),
            consequent: Box::new(ConfigValue::Object(vec![("unoptimized".into(), else_branch(ConfigValue::Bool(true)), 6)])),
            alternate: Box::new(ConfigValue::Object(vec![("unoptimized".into(), else_branch(ConfigValue::Undefined), 6)])),
        };
        assert_eq!(images, Some((expected, 4)));
        assert_eq!(c.images_unoptimized, None);
    }

    #[test]
    fn nothing_found_and_syntax_errors() {
        let c = parse("// empty\n", "next.config.js");
        assert!(!c.object_found);
        assert!(c.errors.is_empty());
        assert_eq!(c.output, None);
        let c = parse("module.exports = require('./config/next');\n", "next.config.js");
        assert!(!c.object_found);
        let c = parse("module.exports = {\n  output: 'standalone',\n  images: {\n};\n", "next.config.js");
        assert!(!c.errors.is_empty());
        assert!(c.errors.iter().all(|(l, _)| *l >= 1));
        let c = parse(
            "const nextConfig = {\n  output: 'standalone',\n};\nmodule.exports = nextConfig\nfoo(;\n",
            "next.config.js",
        );
        assert!(c.errors.iter().any(|(l, _)| *l == 5), "{:?}", c.errors);
    }

    #[test]
    fn fallback_to_conventional_name_and_unknown_truncation() {
        let c = parse(
            "const nextConfig = { output: 'standalone' };\nmodule.exports = someFactory;\n",
            "next.config.js",
        );
        assert_eq!(c.output, Some((s("standalone"), 1)));
        let long = format!("module.exports = {{ output: fn({}) }};\n", "aaaa, ".repeat(40));
        let c = parse(&long, "next.config.js");
        let Some((ConfigValue::Unknown(t), _)) = c.output else { panic!() };
        assert_eq!(t.chars().count(), 80);
        assert!(t.ends_with('…'));
    }

    #[test]
    fn self_reference_and_cycles_terminate() {
        let c = parse("const a = b;\nconst b = a;\nmodule.exports = { output: a, x: [a, b] };\n", "next.config.js");
        assert!(c.object_found);
        let c = parse("const nextConfig = nextConfig;\nmodule.exports = nextConfig;\n", "next.config.js");
        assert!(!c.object_found);
        let mut chain = String::from("const v0 = 'standalone';\n");
        for i in 1..60 {
            chain.push_str(&format!("const v{i} = [v{p}, v{p}, v{p}];\n", p = i - 1));
        }
        chain.push_str("module.exports = { output: v0, big: v59 };\n");
        let c = parse(&chain, "next.config.js");
        assert_eq!(c.output, Some((s("standalone"), 61)));
        assert!(c.errors.iter().any(|(_, m)| m.contains("too deeply")), "{:?}", c.errors);
    }

    #[test]
    fn urls() {
        assert_eq!(parse_url("https://a.b/**"), (Some("https".into()), Some("a.b".into()), None));
        assert_eq!(parse_url("http://u:p@[::1]:80/x"), (Some("http".into()), Some("::1".into()), Some("80".into())));
        assert_eq!(parse_url("weird"), (None, Some("weird".into()), None));
        assert_eq!(parse_url(""), (None, None, None));
    }

    fn mutations(inputs: &[&str], mut check: impl FnMut(&str)) {
        for src in inputs {
            for (i, _) in src.char_indices() {
                check(&src[..i]);
            }
            let bytes = src.as_bytes();
            let subs = [b'(', b'`', b'"', b'{', b'/', b'\n', b'}', b'<'];
            for (i, &b) in bytes.iter().enumerate() {
                if !b.is_ascii() {
                    continue;
                }
                let mut m = bytes.to_vec();
                m[i] = subs[i % subs.len()];
                if let Ok(s) = std::str::from_utf8(&m) {
                    check(s);
                }
            }
        }
    }

    #[test]
    fn never_panics_on_truncated_or_mutated_input() {
        let inputs = [
            FULL,
            "import type { NextConfig } from 'next';\nconst c: NextConfig = { output: process.env.X ?? 'standalone', images: { remotePatterns: [new URL(`https://é.x/**`)] } };\nc.images.unoptimized = true;\nexport default withX(c) satisfies NextConfig;\n",
            "module.exports = async (phase) => { if (phase) { return { output: p ? 'standalone' : void 0 } } const x = {}; return x };\n",
        ];
        mutations(&inputs, |src| {
            let _ = parse(src, "next.config.ts");
        });
        mutations(&inputs[2..], |src| {
            let _ = parse(src, "next.config.mjs");
        });
    }
}
