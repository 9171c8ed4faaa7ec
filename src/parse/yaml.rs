//! A small YAML document tree with 1-based line/column positions, built on yaml-rust2's event
//! parser (not its `YamlLoader`, which expands aliases without limit).
//!
//! Supported: every document of a stream, anchors and aliases (an alias yields a deep copy of
//! the anchored node; copies count against [`Limits::max_nodes`], so an alias bomb fails fast),
//! merge keys (`<<: *a`, `<<: [*a, *b]`, `<<: {inline}`; explicit keys win, earlier merge
//! sources win over later ones), YAML 1.2 core-schema typing of plain scalars (`yes`/`no`/`on`/
//! `off` stay strings), quoted and block scalars are always strings. Tags are ignored.
//! Duplicate keys are kept in the tree; [`Node::get`] returns the last one.

use std::collections::{HashMap, HashSet};
use std::fmt;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

/// The value of a YAML node.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null`, `Null`, `NULL` or an empty plain scalar.
    Null,
    /// `true`/`True`/`TRUE`/`false`/`False`/`FALSE` (plain only).
    Bool(bool),
    /// A plain decimal, `0o` octal or `0x` hex integer that fits in an `i64`.
    Int(i64),
    /// A plain float, `.inf`, `-.inf` or `.nan`.
    Float(f64),
    /// Any other scalar, and every quoted or block scalar.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order (duplicates kept).
    Map(Vec<(Node, Node)>),
}

/// A YAML node with its 1-based source position (of the anchored original for alias copies).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The node's value.
    pub value: Value,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// Source text of a non-string plain scalar (`Null`, `Bool`, `Int`, `Float`), e.g. `0x1F`,
    /// `1.10`, `~`; `None` for strings and collections.
    pub raw: Option<String>,
}

/// A YAML syntax error or a limit violation, with a 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// Human-readable description.
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.col, self.message)
    }
}

impl std::error::Error for YamlError {}

/// Resource limits applied while building the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum nesting of collections (including nesting added by alias copies). Default 128.
    pub max_depth: usize,
    /// Maximum number of nodes created, counting every node copied by alias expansion.
    /// Default 200 000.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 128,
            max_nodes: 200_000,
        }
    }
}

/// Parses every document of `src` with the default [`Limits`].
pub fn parse(src: &str) -> Result<Vec<Node>, YamlError> {
    parse_with(src, &Limits::default())
}

/// Parses every document of `src` with the given limits. An empty stream gives an empty vector;
/// an empty document gives a `Null` node. A leading byte-order mark is ignored.
pub fn parse_with(src: &str, limits: &Limits) -> Result<Vec<Node>, YamlError> {
    // A leading byte-order mark would otherwise become part of the first key.
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let first = parse_once(src, limits);
    // yaml-rust2 rejects the closing bracket of a multi-line flow collection written at its
    // key's indentation (`test: [` … `]` under `test`), which Docker Compose (go-yaml) and
    // PyYAML accept. Whitespace before a flow closer carries no meaning: indent such a line
    // further and parse again (a bounded number of times).
    let original = match first {
        Ok(docs) => return Ok(docs),
        Err(e) => e,
    };
    let mut err = original.clone();
    let mut text = src.to_string();
    for _ in 0..32 {
        if err.message != "invalid indentation" {
            break;
        }
        let Some(line) = text.lines().nth(err.line.saturating_sub(1)) else { break };
        let trimmed = line.trim_start();
        if !(trimmed.starts_with(']') || trimmed.starts_with('}')) {
            break;
        }
        let mut lines: Vec<&str> = text.split('\n').collect();
        let fixed = format!("  {}", lines[err.line - 1]);
        lines[err.line - 1] = &fixed;
        let next = lines.join("\n");
        match parse_once(&next, limits) {
            Ok(docs) => return Ok(docs),
            Err(e) => {
                err = e;
                text = next;
            }
        }
    }
    Err(original)
}

fn parse_once(src: &str, limits: &Limits) -> Result<Vec<Node>, YamlError> {
    let mut parser = Parser::new_from_str(src);
    let mut b = Builder {
        limits,
        count: 0,
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        docs: Vec::new(),
    };
    // Every event but the end events creates a counted node, so this bound is never reached by
    // a well-behaved parser; it only guarantees termination.
    let max_events = limits.max_nodes.saturating_mul(4).saturating_add(src.len()).saturating_add(64);
    let mut events = 0usize;
    loop {
        events += 1;
        if events > max_events {
            return Err(err_at(1, 1, "too many YAML events"));
        }
        let (ev, mark) = parser.next_token().map_err(scan_error)?;
        if matches!(ev, Event::StreamEnd) {
            break;
        }
        b.event(ev, mark)?;
    }
    Ok(b.docs)
}

impl Node {
    /// The value of `key` in a mapping (last occurrence; keys compared as scalar text).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node of `key` in a mapping, for its line.
    pub fn key_node(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(k, _)| k)
    }

    /// The `(key, value)` entry of `key` in a mapping (last occurrence).
    pub fn entry(&self, key: &str) -> Option<&(Node, Node)> {
        self.as_map()?.iter().rev().find(|(k, _)| k.scalar_text() == Some(key))
    }

    /// The string of a `Str` node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entries of a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items of a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// A bool (only `Bool` nodes).
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// An integer (only `Int` nodes).
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// Whether the node is `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Whether the node is a scalar (including `Null`).
    pub fn is_scalar(&self) -> bool {
        !matches!(self.value, Value::Seq(_) | Value::Map(_))
    }

    /// Any non-null scalar as text, as written for typed plain scalars (`0x1F` stays `0x1F`).
    /// `None` for `Null` and collections.
    pub fn scalar_string(&self) -> Option<String> {
        self.scalar_text().map(str::to_string).or(match &self.value {
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            _ => None,
        })
    }

    /// Borrowed form of [`Node::scalar_string`] when the text is stored (always, for parsed
    /// nodes).
    fn scalar_text(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            Value::Bool(_) | Value::Int(_) | Value::Float(_) => self.raw.as_deref(),
            _ => None,
        }
    }

    /// A short name of the node's kind, for messages: `null`, `bool`, `int`, `float`,
    /// `string`, `sequence`, `mapping`.
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "mapping",
        }
    }
}

fn err_at(line: usize, col: usize, msg: &str) -> YamlError {
    YamlError {
        line: line.max(1),
        col: col.max(1),
        message: msg.to_string(),
    }
}

fn scan_error(e: ScanError) -> YamlError {
    let m = e.marker();
    YamlError {
        line: m.line().max(1),
        col: m.col() + 1,
        message: e.info().to_string(),
    }
}

/// An open collection while building.
struct Frame {
    is_map: bool,
    line: usize,
    col: usize,
    anchor: usize,
    items: Vec<Node>,
    entries: Vec<(Node, Node)>,
    pending_key: Option<Node>,
    pending_is_merge: bool,
    merges: Vec<usize>,
    /// Nodes in this subtree (including the collection itself).
    size: usize,
    /// Max collection height of the children.
    child_height: usize,
}

struct Builder<'a> {
    limits: &'a Limits,
    count: usize,
    stack: Vec<Frame>,
    /// anchor id -> (copy of node, subtree size, collection height)
    anchors: HashMap<usize, (Node, usize, usize)>,
    root: Option<Node>,
    docs: Vec<Node>,
}

impl Builder<'_> {
    fn add_count(&mut self, n: usize, line: usize, col: usize) -> Result<(), YamlError> {
        self.count = self.count.saturating_add(n);
        if self.count > self.limits.max_nodes {
            return Err(err_at(
                line,
                col,
                &format!("YAML document too large: more than {} nodes (alias expansion counted)", self.limits.max_nodes),
            ));
        }
        Ok(())
    }

    fn event(&mut self, ev: Event, mark: Marker) -> Result<(), YamlError> {
        let line = mark.line().max(1);
        let col = mark.col() + 1;
        match ev {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => Ok(()),
            Event::DocumentStart => {
                self.add_count(1, line, col)?;
                self.anchors.clear();
                self.stack.clear();
                self.root = None;
                Ok(())
            }
            Event::DocumentEnd => {
                let root = self.root.take().unwrap_or(Node {
                    value: Value::Null,
                    line,
                    col,
                    raw: Some(String::new()),
                });
                self.stack.clear();
                self.docs.push(root);
                Ok(())
            }
            Event::Alias(id) => {
                let (node, size, height) = match self.anchors.get(&id) {
                    Some((n, s, h)) => (n, *s, *h),
                    None => return Err(err_at(line, col, "alias to an unknown anchor")),
                };
                if self.stack.len().saturating_add(height) > self.limits.max_depth {
                    return Err(err_at(
                        line,
                        col,
                        &format!("YAML nesting deeper than {} levels (alias expansion counted)", self.limits.max_depth),
                    ));
                }
                self.count = self.count.saturating_add(size);
                if self.count > self.limits.max_nodes {
                    return Err(err_at(
                        line,
                        col,
                        &format!("YAML document too large: more than {} nodes (alias expansion counted)", self.limits.max_nodes),
                    ));
                }
                let copy = node.clone();
                self.finish(copy, 0, size, height, false)
            }
            Event::Scalar(text, style, anchor, _tag) => {
                self.add_count(1, line, col)?;
                let is_merge_key = matches!(style, TScalarStyle::Plain) && text == "<<";
                let (value, raw) = if matches!(style, TScalarStyle::Plain) {
                    let v = resolve_plain(&text);
                    match v {
                        Value::Str(_) => (v, None),
                        _ => (v, Some(text)),
                    }
                } else {
                    (Value::Str(text), None)
                };
                let node = Node { value, line, col, raw };
                self.finish(node, anchor, 1, 0, is_merge_key)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                self.add_count(1, line, col)?;
                if self.stack.len() >= self.limits.max_depth {
                    return Err(err_at(line, col, &format!("YAML nesting deeper than {} levels", self.limits.max_depth)));
                }
                self.stack.push(Frame {
                    is_map,
                    line,
                    col,
                    anchor,
                    items: Vec::new(),
                    entries: Vec::new(),
                    pending_key: None,
                    pending_is_merge: false,
                    merges: Vec::new(),
                    size: 1,
                    child_height: 0,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = match self.stack.pop() {
                    Some(f) => f,
                    None => return Err(err_at(line, col, "unbalanced collection end")),
                };
                let height = frame.child_height.saturating_add(1);
                let value = if frame.is_map {
                    let mut entries = frame.entries;
                    if let Some(k) = frame.pending_key {
                        // Should not happen with a well-formed event stream.
                        let (kl, kc) = (k.line, k.col);
                        entries.push((
                            k,
                            Node {
                                value: Value::Null,
                                line: kl,
                                col: kc,
                                raw: Some(String::new()),
                            },
                        ));
                    }
                    if !frame.merges.is_empty() {
                        entries = apply_merges(entries, &frame.merges)?;
                    }
                    Value::Map(entries)
                } else {
                    Value::Seq(frame.items)
                };
                let node = Node {
                    value,
                    line: frame.line,
                    col: frame.col,
                    raw: None,
                };
                self.finish(node, frame.anchor, frame.size, height, false)
            }
        }
    }

    /// Attaches a completed node to its parent (or as the document root) and records its
    /// anchor.
    fn finish(&mut self, node: Node, anchor: usize, size: usize, height: usize, is_merge_key: bool) -> Result<(), YamlError> {
        if anchor != 0 {
            // The stored copy counts too: it is real memory.
            self.add_count(size, node.line, node.col)?;
            self.anchors.insert(anchor, (node.clone(), size, height));
        }
        let Some(top) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        top.size = top.size.saturating_add(size);
        top.child_height = top.child_height.max(height);
        if !top.is_map {
            top.items.push(node);
        } else if let Some(key) = top.pending_key.take() {
            if top.pending_is_merge {
                top.merges.push(top.entries.len());
            }
            top.pending_is_merge = false;
            top.entries.push((key, node));
        } else {
            top.pending_key = Some(node);
            top.pending_is_merge = is_merge_key;
        }
        Ok(())
    }
}

/// Identity of a scalar key for merge-key override checks; `None` for collection keys.
fn key_identity(n: &Node) -> Option<String> {
    Some(match &n.value {
        Value::Null => "n".to_string(),
        Value::Bool(b) => format!("b{b}"),
        Value::Int(i) => format!("i{i}"),
        Value::Float(f) => format!("f{}", f.to_bits()),
        Value::Str(s) => format!("s{s}"),
        Value::Seq(_) | Value::Map(_) => return None,
    })
}

/// Replaces the merge entries (`<<`) at `merges` by the entries of their mapping(s), skipping
/// keys given explicitly or by an earlier merge source.
fn apply_merges(entries: Vec<(Node, Node)>, merges: &[usize]) -> Result<Vec<(Node, Node)>, YamlError> {
    let merge_set: HashSet<usize> = merges.iter().copied().collect();
    let mut seen: HashSet<String> = entries
        .iter()
        .enumerate()
        .filter(|(i, _)| !merge_set.contains(i))
        .filter_map(|(_, (k, _))| key_identity(k))
        .collect();
    let mut out = Vec::with_capacity(entries.len());
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if !merge_set.contains(&i) {
            out.push((k, v));
            continue;
        }
        let sources: Vec<Node> = match v.value {
            Value::Map(_) => vec![v],
            Value::Seq(items) => items,
            _ => return Err(err_at(v.line, v.col, "merge key `<<` needs a mapping or a sequence of mappings")),
        };
        for src in sources {
            let Value::Map(src_entries) = src.value else {
                return Err(err_at(src.line, src.col, "merge key `<<` needs a mapping or a sequence of mappings"));
            };
            for (sk, sv) in src_entries {
                match key_identity(&sk) {
                    Some(id) => {
                        if seen.insert(id) {
                            out.push((sk, sv));
                        }
                    }
                    None => out.push((sk, sv)),
                }
            }
        }
    }
    Ok(out)
}

/// YAML 1.2 core-schema resolution of a plain scalar (`yes`/`no`/`on`/`off` stay strings).
fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(oct) = s.strip_prefix("0o") {
        if !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            if let Ok(i) = i64::from_str_radix(oct, 8) {
                return Value::Int(i);
            }
        }
        return Value::Str(s.to_string());
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(i) = i64::from_str_radix(hex, 16) {
                return Value::Int(i);
            }
        }
        return Value::Str(s.to_string());
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = s.parse::<i64>() {
            return Value::Int(i);
        }
        return Value::Str(s.to_string());
    }
    if is_core_float(unsigned) {
        if let Ok(f) = s.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(s.to_string())
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (sign already stripped).
fn is_core_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.first() == Some(&b'.') {
        i = 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn one(src: &str) -> Node {
        let mut docs = parse(src).unwrap();
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs.remove(0)
    }

    #[test]
    fn a_flow_closer_at_its_keys_indentation_is_read_as_compose_reads_it() {
        let src = "services:\n  db:\n    healthcheck:\n      test: [\n        \"CMD\",\n        \"ping\",\n      ]\n      interval: 2s\n";
        let docs = parse(src).unwrap();
        let hc = docs[0].get("services").and_then(|s| s.get("db")).and_then(|d| d.get("healthcheck")).unwrap();
        assert_eq!(hc.get("test").and_then(|t| t.as_seq()).map(|v| v.len()), Some(2));
        assert_eq!(hc.get("interval").map(|i| i.line), Some(8));
        // A real indentation error is still one.
        assert!(parse("a:\n    b: 1\n  c: 2\n").is_err());
    }

    #[test]
    fn scalars_typed_per_core_schema() {
        let d = one(concat!(
            "a: 1\nb: -2\nc: 0x1F\nd: 0o17\ne: 1.5\nf: .inf\ng: true\nh: False\n",
            "i: ~\nj:\nk: yes\nl: off\nm: '1'\nn: \"true\"\no: 1.10\np: 8080:80\n",
            "q: 99999999999999999999\nr: 1e3\ns: .5\nt: 3.8\nu: 0x\nv: |\n  hi\n  there\n",
        ));
        assert_eq!(d.get("a").unwrap().value, Value::Int(1));
        assert_eq!(d.get("b").unwrap().value, Value::Int(-2));
        assert_eq!(d.get("c").unwrap().value, Value::Int(31));
        assert_eq!(d.get("c").unwrap().scalar_string().unwrap(), "0x1F");
        assert_eq!(d.get("d").unwrap().value, Value::Int(15));
        assert_eq!(d.get("e").unwrap().value, Value::Float(1.5));
        assert_eq!(d.get("f").unwrap().value, Value::Float(f64::INFINITY));
        assert_eq!(d.get("g").unwrap().value, Value::Bool(true));
        assert_eq!(d.get("h").unwrap().value, Value::Bool(false));
        assert!(d.get("i").unwrap().is_null());
        assert!(d.get("j").unwrap().is_null());
        assert_eq!(d.get("j").unwrap().scalar_string(), None);
        assert_eq!(d.get("k").unwrap().as_str(), Some("yes"));
        assert_eq!(d.get("l").unwrap().as_str(), Some("off"));
        assert_eq!(d.get("m").unwrap().as_str(), Some("1"));
        assert_eq!(d.get("n").unwrap().as_str(), Some("true"));
        assert_eq!(d.get("o").unwrap().scalar_string().unwrap(), "1.10");
        assert_eq!(d.get("p").unwrap().as_str(), Some("8080:80"));
        assert_eq!(d.get("q").unwrap().as_str(), Some("99999999999999999999"));
        assert_eq!(d.get("r").unwrap().value, Value::Float(1000.0));
        assert_eq!(d.get("s").unwrap().value, Value::Float(0.5));
        assert_eq!(d.get("t").unwrap().scalar_string().unwrap(), "3.8");
        assert_eq!(d.get("u").unwrap().as_str(), Some("0x"));
        assert_eq!(d.get("v").unwrap().as_str(), Some("hi\nthere\n"));
        assert_eq!(d.get("missing"), None);
    }

    #[test]
    fn lines_and_columns() {
        let d = one("# c\ntop:\n  inner:\n    - x\n    - y: 2\nz: [1, 2]\n");
        assert_eq!(d.key_node("top").unwrap().line, 2);
        assert_eq!(d.key_node("top").unwrap().col, 1);
        let inner = d.get("top").unwrap().get("inner").unwrap();
        let seq = inner.as_seq().unwrap();
        assert_eq!(seq.len(), 2);
        assert_eq!(seq[0].line, 4);
        assert_eq!(seq[0].col, 7);
        assert_eq!(seq[1].key_node("y").unwrap().line, 5);
        let z = d.get("z").unwrap();
        assert_eq!(z.line, 6);
        assert_eq!(z.as_seq().unwrap()[1].value, Value::Int(2));
        assert_eq!(z.as_seq().unwrap()[1].col, 8);
    }

    #[test]
    fn multiple_documents_and_empty() {
        let docs = parse("a: 1\n---\nb: 2\n---\n").unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[1].get("b").unwrap().value, Value::Int(2));
        assert!(docs[2].is_null());
        assert!(parse("").unwrap().is_empty());
        assert!(parse("# only a comment\n").unwrap().is_empty());
        let d = one("\u{feff}a: 1\r\nb: 2\r\n");
        assert_eq!(d.get("a").unwrap().value, Value::Int(1));
        assert_eq!(d.key_node("b").unwrap().line, 2);
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let src = "\
x-common: &common
  restart: always
  environment:
    A: '1'
x-more: &more
  restart: never
  logging: json
svc:
  <<: *common
  image: foo
multi:
  <<: [*more, *common]
  image: bar
override:
  restart: no
  <<: *common
inline:
  <<: {k: v}
list: &l [1, 2]
copy: *l
quoted:
  '<<': *common
";
        let d = one(src);
        let svc = d.get("svc").unwrap();
        assert_eq!(svc.get("restart").unwrap().as_str(), Some("always"));
        assert_eq!(svc.get("image").unwrap().as_str(), Some("foo"));
        assert_eq!(svc.get("environment").unwrap().get("A").unwrap().as_str(), Some("1"));
        // The copied node keeps the anchored original's line.
        assert_eq!(svc.key_node("restart").unwrap().line, 2);
        assert!(svc.get("<<").is_none());
        let multi = d.get("multi").unwrap();
        assert_eq!(multi.get("restart").unwrap().as_str(), Some("never"));
        assert_eq!(multi.get("logging").unwrap().as_str(), Some("json"));
        assert_eq!(multi.get("image").unwrap().as_str(), Some("bar"));
        assert_eq!(multi.as_map().unwrap().len(), 4);
        let ov = d.get("override").unwrap();
        assert_eq!(ov.get("restart").unwrap().as_str(), Some("no"));
        assert_eq!(ov.as_map().unwrap().len(), 2);
        assert_eq!(d.get("inline").unwrap().get("k").unwrap().as_str(), Some("v"));
        assert_eq!(d.get("copy").unwrap().as_seq().unwrap().len(), 2);
        // A quoted "<<" is an ordinary key.
        assert!(d.get("quoted").unwrap().get("<<").is_some());
    }

    #[test]
    fn bad_merge_and_unknown_alias() {
        let e = parse("a:\n  <<: 3\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse("a: *nope\n").unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn syntax_error_has_position() {
        let e = parse("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(e.line >= 2, "{e:?}");
        assert!(e.col >= 1);
        let e = parse("a: 'x\n").unwrap_err();
        assert!(e.line >= 1);
        assert!(!e.to_string().is_empty());
    }

    #[test]
    fn alias_bomb_fails_fast() {
        let mut src = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        let mut prev = 'a';
        for c in "bcdefghijklmnop".chars() {
            let refs = vec![format!("*{prev}"); 9].join(",");
            src.push_str(&format!("{c}: &{c} [{refs}]\n"));
            prev = c;
        }
        let t = Instant::now();
        let e = parse(&src).unwrap_err();
        assert!(e.message.contains("too large"), "{e:?}");
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn depth_limit() {
        let deep = "[".repeat(10_000);
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nesting") || e.line >= 1);
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse(&ok).is_ok());
        let limits = Limits { max_depth: 3, max_nodes: 100 };
        assert!(parse_with("a: {b: {c: 1}}", &limits).is_ok());
        assert!(parse_with("a: {b: {c: {d: 1}}}", &limits).is_err());
        // Depth grown through aliases is caught too.
        assert!(parse_with("a: &x {b: {c: 1}}\nz: [*x]\n", &limits).is_err());
        let e = parse_with(&"- x\n".repeat(200), &limits).unwrap_err();
        assert!(e.message.contains("too large"));
    }

    fn mutate_no_panic(inputs: &[&str], f: &dyn Fn(&str)) {
        for input in inputs {
            f(input);
            for (i, _) in input.char_indices() {
                f(&input[..i]);
                f(&input[i..]);
            }
            let bytes = input.as_bytes();
            for i in 0..bytes.len() {
                for flip in [0x01u8, 0x20, 0x80] {
                    let mut b = bytes.to_vec();
                    b[i] ^= flip;
                    f(&String::from_utf8_lossy(&b));
                }
                for rep in [b'[', b'{', b':', b'-', b'*', b'&', b'\'', b'"', b'\n', b'|'] {
                    let mut b = bytes.to_vec();
                    b[i] = rep;
                    f(&String::from_utf8_lossy(&b));
                }
            }
        }
    }

    #[test]
    fn no_panic_on_mutations() {
        let inputs = [
            "a: &a {x: 1, y: [1, 2, {z: 'q'}]}\nb:\n  <<: *a\n  c: |\n    text\n  d: >-\n    folded\n---\n- *a\n- !!str 3\n",
            "x-c: &c\n  restart: always\ns:\n  <<: [*c]\n  ports:\n    - \"80:80\"\n    - 443\n",
            "? complex\n: value\n[a, b]: c\n\"q\\u00e9\": 'it''s'\n",
        ];
        mutate_no_panic(&inputs, &|s| {
            let _ = parse(s);
        });
    }
}
