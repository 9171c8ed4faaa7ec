//! A Dockerfile parser that keeps line numbers and understands what BuildKit accepts: parser
//! directives, either escape character, continuation lines with comments inside, heredocs
//! (`RUN <<EOF`, several per line, `<<-`, quoted delimiters, `cat > f << 'EOF'`), exec and shell
//! forms, flags, ARG/ENV substitution, stages and ONBUILD. Hand-written because the existing
//! crates reject heredocs.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Dockerfile {
    pub escape: char,
    pub directives: Vec<(String, String, usize)>,
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
    pub global_args: Vec<(String, Option<String>, usize)>,
    pub errors: Vec<ParseError>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Instruction {
    /// Upper-case keyword.
    pub keyword: String,
    pub line: usize,
    pub end_line: usize,
    pub flags: Vec<Flag>,
    pub args: Args,
    pub heredocs: Vec<Heredoc>,
    pub onbuild: Option<Box<Instruction>>,
    /// Index into `Dockerfile::stages`; `None` before the first FROM.
    pub stage: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    Exec(Vec<String>),
    Shell(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub delimiter: String,
    pub body: String,
    pub line: usize,
    pub strip_tabs: bool,
    pub quoted: bool,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub index: usize,
    pub name: Option<String>,
    pub base: String,
    pub base_resolved: String,
    pub platform: Option<String>,
    pub line: usize,
    pub from_stage: Option<usize>,
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

/// Substitute `$X`, `${X}`, `${X:-d}`, `${X-d}`, `${X:+a}`, `${X+a}` (one level, no recursion).
pub fn substitute(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && chars.get(i + 1) == Some(&'$') {
            out.push('$');
            i += 2;
            continue;
        }
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'{') {
            let Some(close) = chars[i + 2..].iter().position(|&c| c == '}') else {
                out.extend(&chars[i..]);
                break;
            };
            let inner: String = chars[i + 2..i + 2 + close].iter().collect();
            i += close + 3;
            let (name, op, word) = split_modifier(&inner);
            let val = lookup(name);
            let rendered = match op {
                ":-" => val.filter(|v| !v.is_empty()).unwrap_or_else(|| word.to_string()),
                "-" => val.unwrap_or_else(|| word.to_string()),
                ":+" => {
                    if val.is_some_and(|v| !v.is_empty()) {
                        word.to_string()
                    } else {
                        String::new()
                    }
                }
                "+" => {
                    if val.is_some() {
                        word.to_string()
                    } else {
                        String::new()
                    }
                }
                _ => val.unwrap_or_default(),
            };
            out.push_str(&rendered);
        } else {
            let name: String = chars[i + 1..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '_').collect();
            if name.is_empty() {
                out.push('$');
                i += 1;
            } else {
                i += 1 + name.chars().count();
                out.push_str(&lookup(&name).unwrap_or_default());
            }
        }
    }
    out
}

fn split_modifier(inner: &str) -> (&str, &str, &str) {
    for op in [":-", ":+", ":?", "-", "+", "?"] {
        if let Some(pos) = inner.find(op) {
            let name = &inner[..pos];
            if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return (name, op, &inner[pos + op.len()..]);
            }
        }
    }
    (inner, "", "")
}

/// Split on whitespace, keeping quoted runs together and removing the quotes.
fn shell_words(s: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut has = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                has = true;
            }
            None if c == escape => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    has = true;
                }
            }
            None if c.is_whitespace() => {
                if has || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            None => {
                cur.push(c);
                has = true;
            }
        }
    }
    if has || !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Heredoc markers in a logical line: (delimiter, strip_tabs, quoted), in order.
fn heredoc_markers(line: &str) -> Vec<(String, bool, bool)> {
    let b: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == '"' || c == '\'' {
            quote = Some(c);
            i += 1;
            continue;
        }
        if c == '<' && b.get(i + 1) == Some(&'<') && b.get(i + 2) != Some(&'<') && (i == 0 || b[i - 1] != '<') {
            let mut j = i + 2;
            let strip = b.get(j) == Some(&'-');
            if strip {
                j += 1;
            }
            while j < b.len() && (b[j] == ' ' || b[j] == '\t') {
                j += 1;
            }
            let q = match b.get(j) {
                Some('\'') | Some('"') => {
                    let q = b[j];
                    j += 1;
                    Some(q)
                }
                _ => None,
            };
            let start = j;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == '_' || b[j] == '-' || b[j] == '.') {
                j += 1;
            }
            let word: String = b[start..j].iter().collect();
            let closes = match q {
                Some(q) => b.get(j) == Some(&q),
                None => true,
            };
            let valid = !word.is_empty() && word.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && closes;
            if valid {
                out.push((word, strip, q.is_some()));
                i = if q.is_some() { j + 1 } else { j };
                continue;
            }
        }
        i += 1;
    }
    out
}

struct Logical {
    text: String,
    line: usize,
    end_line: usize,
}

fn parse_flags(rest: &str) -> (Vec<Flag>, &str) {
    let mut flags = Vec::new();
    let mut r = rest.trim_start();
    while let Some(after) = r.strip_prefix("--") {
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        let tok = &after[..end];
        if tok.is_empty() {
            break;
        }
        match tok.split_once('=') {
            Some((n, v)) => flags.push(Flag {
                name: n.to_ascii_lowercase(),
                value: Some(v.trim_matches('"').to_string()),
            }),
            None => flags.push(Flag {
                name: tok.to_ascii_lowercase(),
                value: None,
            }),
        }
        r = after[end..].trim_start();
    }
    (flags, r)
}

fn make_args(keyword: &str, rest: &str) -> Args {
    let t = rest.trim();
    if matches!(keyword, "RUN" | "CMD" | "ENTRYPOINT" | "COPY" | "ADD" | "SHELL" | "VOLUME" | "HEALTHCHECK") && t.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Vec<String>>(t) {
            return Args::Exec(v);
        }
    }
    Args::Shell(t.to_string())
}

fn build_instruction(text: &str, line: usize, end_line: usize, depth: usize, errors: &mut Vec<ParseError>) -> Option<Instruction> {
    let t = text.trim();
    let (kw, rest) = match t.find(char::is_whitespace) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, ""),
    };
    let keyword = kw.to_ascii_uppercase();
    if !KEYWORDS.contains(&keyword.as_str()) {
        errors.push(ParseError {
            line,
            message: format!("unknown instruction `{}`", kw.chars().take(40).collect::<String>()),
        });
        return None;
    }
    let (flags, rest) = parse_flags(rest);
    let mut onbuild = None;
    let args = if keyword == "ONBUILD" {
        if depth == 0 {
            onbuild = build_instruction(rest, line, end_line, depth + 1, errors).map(Box::new);
        }
        Args::Shell(rest.trim().to_string())
    } else if keyword == "HEALTHCHECK" {
        let r = rest.trim();
        let upper = r.to_ascii_uppercase();
        if upper.starts_with("CMD") {
            make_args("RUN", r[3..].trim())
        } else {
            Args::Shell(r.to_string())
        }
    } else {
        make_args(&keyword, rest)
    };
    Some(Instruction {
        keyword,
        line,
        end_line,
        flags,
        args,
        heredocs: Vec::new(),
        onbuild,
        stage: None,
    })
}

/// Parse a Dockerfile. Never panics; errors carry lines and the rest is still parsed.
pub fn parse(src: &str) -> Dockerfile {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut lines: Vec<&str> = src.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    if src.ends_with('\n') {
        lines.pop();
    }
    let mut df = Dockerfile {
        escape: '\\',
        ..Default::default()
    };
    // Parser directives: `# key=value` lines at the very top.
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim();
        let Some(body) = t.strip_prefix('#') else { break };
        let Some((k, v)) = body.split_once('=') else { break };
        let k = k.trim().to_ascii_lowercase();
        if k.is_empty() || k.contains(char::is_whitespace) {
            break;
        }
        if k == "escape" {
            match v.trim() {
                "`" => df.escape = '`',
                "\\" => df.escape = '\\',
                other => df.errors.push(ParseError {
                    line: i + 1,
                    message: format!("invalid escape directive `{other}`"),
                }),
            }
        }
        df.directives.push((k, v.trim().to_string(), i + 1));
        i += 1;
    }
    let esc = df.escape;
    let mut stage: Option<usize> = None;
    while i < lines.len() {
        let raw = lines[i];
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            i += 1;
            continue;
        }
        // Assemble one logical line.
        let start = i;
        let mut text = String::new();
        let mut cur = raw.trim_start().to_string();
        loop {
            let trimmed = cur.trim_end();
            if trimmed.ends_with(esc) {
                text.push_str(&trimmed[..trimmed.len() - esc.len_utf8()]);
                text.push(' ');
                i += 1;
                // Skip comment and empty lines inside the continuation.
                while i < lines.len() && (lines[i].trim().is_empty() || lines[i].trim_start().starts_with('#')) {
                    i += 1;
                }
                if i >= lines.len() {
                    break;
                }
                cur = lines[i].to_string();
            } else {
                text.push_str(trimmed);
                i += 1;
                break;
            }
        }
        let logical = Logical {
            text,
            line: start + 1,
            end_line: i.max(start + 1),
        };
        let Some(mut ins) = build_instruction(&logical.text, logical.line, logical.end_line, 0, &mut df.errors) else {
            continue;
        };
        // Heredoc bodies follow the logical line.
        let heredoc_kw = matches!(ins.keyword.as_str(), "RUN" | "COPY" | "ADD");
        if heredoc_kw {
            for (delim, strip, quoted) in heredoc_markers(&logical.text) {
                let hline = i;
                let mut body = String::new();
                let mut closed = false;
                while i < lines.len() {
                    let l = lines[i];
                    i += 1;
                    let cmp = if strip { l.trim_start_matches('\t') } else { l };
                    if cmp == delim {
                        closed = true;
                        break;
                    }
                    body.push_str(if strip { l.trim_start_matches('\t') } else { l });
                    body.push('\n');
                }
                if !closed {
                    df.errors.push(ParseError {
                        line: logical.line,
                        message: format!("heredoc `<<{delim}` is not terminated; it runs to the end of the file"),
                    });
                }
                ins.heredocs.push(Heredoc {
                    delimiter: delim,
                    body,
                    line: hline.max(1),
                    strip_tabs: strip,
                    quoted,
                });
            }
            ins.end_line = i.max(ins.line);
        }
        // Stages and scope.
        if ins.keyword == "FROM" {
            let words = match &ins.args {
                Args::Shell(s) => shell_words(s, esc),
                Args::Exec(v) => v.clone(),
            };
            if words.is_empty() {
                df.errors.push(ParseError {
                    line: ins.line,
                    message: "FROM needs an image".into(),
                });
            }
            let base = words.first().cloned().unwrap_or_default();
            let name = if words.len() >= 3 && words[1].eq_ignore_ascii_case("as") {
                Some(words[2].clone())
            } else {
                None
            };
            let globals: BTreeMap<String, String> = df.global_args.iter().filter_map(|(k, v, _)| v.clone().map(|v| (k.clone(), v))).collect();
            let base_resolved = substitute(&base, &|n| globals.get(n).cloned());
            let from_stage = df
                .stages
                .iter()
                .position(|s| s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&base_resolved)))
                .or_else(|| base_resolved.parse::<usize>().ok().filter(|&n| n < df.stages.len()));
            let platform = ins.flags.iter().find(|f| f.name == "platform").and_then(|f| f.value.clone());
            let idx = df.stages.len();
            df.stages.push(Stage {
                index: idx,
                name,
                base,
                base_resolved,
                platform,
                line: ins.line,
                from_stage,
                instructions: Vec::new(),
            });
            stage = Some(idx);
        } else if stage.is_none() {
            if ins.keyword == "ARG" {
                for (k, v) in ins.key_values() {
                    df.global_args.push((k, v, ins.line));
                }
            } else {
                df.errors.push(ParseError {
                    line: ins.line,
                    message: format!("{} before the first FROM", ins.keyword),
                });
            }
        }
        ins.stage = stage;
        let n = df.instructions.len();
        if let Some(s) = stage {
            if let Some(st) = df.stages.get_mut(s) {
                st.instructions.push(n);
            }
        }
        df.instructions.push(ins);
    }
    df
}

impl Dockerfile {
    pub fn stage_by_name(&self, name_or_index: &str) -> Option<&Stage> {
        self.stages
            .iter()
            .find(|s| s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name_or_index)))
            .or_else(|| name_or_index.parse::<usize>().ok().and_then(|i| self.stages.get(i)))
    }

    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// ENV and ARG values in effect at the end of a stage, following `FROM <stage>` parents.
    pub fn stage_env(&self, stage: usize) -> BTreeMap<String, String> {
        let mut chain = vec![stage];
        let mut cur = stage;
        while let Some(p) = self.stages.get(cur).and_then(|s| s.from_stage) {
            if chain.contains(&p) || chain.len() > 64 {
                break;
            }
            chain.push(p);
            cur = p;
        }
        let globals: BTreeMap<String, String> = self.global_args.iter().filter_map(|(k, v, _)| v.clone().map(|v| (k.clone(), v))).collect();
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        for s in chain.into_iter().rev() {
            let Some(st) = self.stages.get(s) else { continue };
            for &ii in &st.instructions {
                let Some(ins) = self.instructions.get(ii) else { continue };
                if ins.keyword != "ENV" && ins.keyword != "ARG" {
                    continue;
                }
                for (k, v) in ins.key_values() {
                    let val = match v {
                        Some(v) => substitute(&v, &|n| env.get(n).cloned()),
                        None if ins.keyword == "ARG" => match globals.get(&k) {
                            Some(g) => g.clone(),
                            None => continue,
                        },
                        None => continue,
                    };
                    env.insert(k, val);
                }
            }
        }
        env
    }
}

impl Instruction {
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.iter().find(|f| f.name == name).map(|f| f.value.as_deref().unwrap_or(""))
    }

    fn words(&self) -> Vec<String> {
        match &self.args {
            Args::Exec(v) => v.clone(),
            Args::Shell(s) => shell_words(s, '\\'),
        }
    }

    /// For COPY/ADD: (sources, destination). Heredoc sources are reported as `<<NAME`.
    pub fn copy_parts(&self) -> Option<(Vec<String>, String)> {
        if self.keyword != "COPY" && self.keyword != "ADD" {
            return None;
        }
        let mut words = self.words();
        let dest = words.pop()?;
        let sources = words
            .into_iter()
            .map(|w| {
                if let Some(h) = w.strip_prefix("<<") {
                    format!("<<{}", h.trim_start_matches('-').trim_matches(|c| c == '\'' || c == '"'))
                } else {
                    w
                }
            })
            .collect::<Vec<_>>();
        if sources.is_empty() {
            return None;
        }
        Some((sources, dest))
    }

    /// The command text, heredoc bodies appended.
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

    /// ENV (both forms) and ARG pairs.
    pub fn key_values(&self) -> Vec<(String, Option<String>)> {
        let text = match &self.args {
            Args::Shell(s) => s.clone(),
            Args::Exec(v) => v.join(" "),
        };
        let words = shell_words(&text, '\\');
        match self.keyword.as_str() {
            "ARG" => words
                .into_iter()
                .map(|w| match w.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (w, None),
                })
                .collect(),
            "ENV" | "LABEL" => {
                if words.first().is_some_and(|w| w.contains('=')) {
                    words
                        .into_iter()
                        .filter_map(|w| w.split_once('=').map(|(k, v)| (k.to_string(), Some(v.to_string()))))
                        .collect()
                } else {
                    let mut it = words.into_iter();
                    match it.next() {
                        Some(k) => {
                            let rest: Vec<String> = it.collect();
                            vec![(k, Some(rest.join(" ")))]
                        }
                        None => Vec::new(),
                    }
                }
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DF: &str = "# syntax=docker/dockerfile:1\n# escape=\\\nARG NODE=20\nFROM node:${NODE}-alpine AS base\nRUN apk add --no-cache \\\n    # a comment inside\n\n    openssl\nFROM base AS builder\nWORKDIR /app\nCOPY --from=base --chown=1000:1000 [\"a b\", \"/dst/\"]\nRUN cat > next.config.js << 'NEXTCONFIG'\nmodule.exports = { output: 'standalone' };\nNEXTCONFIG\nRUN yarn build\nRUN <<A bash && <<-\"B\" sh\necho a\nA\n\techo b\n\tB\nENV A=1 B=\"two words\"\nENV LEGACY value with spaces\nHEALTHCHECK --interval=30s CMD wget -q http://localhost:3000 || exit 1\nonbuild RUN echo hi\nCMD [\"node\", \"server.js\"]\n";

    #[test]
    fn parses_the_whole_shape() {
        let d = parse(DF);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(d.directives.len(), 2);
        assert_eq!(d.global_args, vec![("NODE".to_string(), Some("20".to_string()), 3)]);
        assert_eq!(d.stages.len(), 2);
        assert_eq!(d.stages[0].base_resolved, "node:20-alpine");
        assert_eq!(d.stages[1].from_stage, Some(0));
        let run = &d.instructions[2];
        assert_eq!((run.keyword.as_str(), run.line, run.end_line), ("RUN", 5, 8));
        assert_eq!(run.command_text(), "apk add --no-cache      openssl");
        let copy = &d.instructions[5];
        assert_eq!(copy.flag("from"), Some("base"));
        assert_eq!(copy.flag("chown"), Some("1000:1000"));
        assert_eq!(copy.copy_parts(), Some((vec!["a b".to_string()], "/dst/".to_string())));
        let cat = &d.instructions[6];
        assert_eq!(cat.line, 12);
        assert_eq!(cat.heredocs.len(), 1);
        assert_eq!(cat.heredocs[0].body, "module.exports = { output: 'standalone' };\n");
        assert!(cat.heredocs[0].quoted);
        assert_eq!(d.instructions[7].command_text(), "yarn build");
        assert_eq!(d.instructions[7].line, 15);
        let two = &d.instructions[8];
        assert_eq!(two.heredocs.len(), 2);
        assert_eq!(two.heredocs[1].body, "echo b\n");
        assert!(two.heredocs[1].strip_tabs);
        let env = &d.instructions[9];
        assert_eq!(
            env.key_values(),
            vec![("A".to_string(), Some("1".to_string())), ("B".to_string(), Some("two words".to_string()))]
        );
        assert_eq!(
            d.instructions[10].key_values(),
            vec![("LEGACY".to_string(), Some("value with spaces".to_string()))]
        );
        let hc = &d.instructions[11];
        assert_eq!(hc.flag("interval"), Some("30s"));
        assert!(hc.command_text().starts_with("wget"));
        assert_eq!(d.instructions[12].onbuild.as_ref().map(|o| o.keyword.as_str()), Some("RUN"));
        assert_eq!(d.instructions[13].args, Args::Exec(vec!["node".into(), "server.js".into()]));
        assert_eq!(d.final_stage().map(|s| s.name.as_deref()), Some(Some("builder")));
        let env = d.stage_env(1);
        assert_eq!(env.get("B").map(String::as_str), Some("two words"));
    }

    #[test]
    fn backtick_escape_and_invalid_json_fallback() {
        let d = parse("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\nCMD [\"unclosed\n");
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(d.escape, '`');
        assert_eq!(d.instructions[1].command_text(), "dir    c:\\");
        assert!(matches!(d.instructions[2].args, Args::Shell(_)));
    }

    #[test]
    fn substitution_forms() {
        let look = |n: &str| match n {
            "A" => Some("a".to_string()),
            "E" => Some(String::new()),
            _ => None,
        };
        assert_eq!(substitute("$A-${A}-${B:-d}-${E:-e}-${E-x}-${A:+p}-${B:+q}-${A+r}", &look), "a-a-d-e--p--r");
        assert_eq!(substitute("\\$A ${unclosed", &look), "$A ${unclosed");
    }

    #[test]
    fn errors_have_lines() {
        let d = parse("RUN echo before\nFROM node\nBOGUS x\nRUN <<EOF\nnpm ci\n");
        let lines: Vec<usize> = d.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 3, 4], "{:?}", d.errors);
        assert!(d.errors[2].message.contains("not terminated"));
        assert_eq!(d.instructions.last().map(|i| i.heredocs[0].body.as_str()), Some("npm ci\n"));
    }

    #[test]
    fn heredoc_on_a_continuation_line_after_flags() {
        let d = parse(
            "FROM node:20\nRUN --mount=type=cache,target=/root/.npm \\\n    <<EOF\nnpm ci\nnpm run build\nEOF\nCOPY --link \".\" \"/app/\"\nRUN echo next\n",
        );
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let run = &d.instructions[1];
        assert_eq!(run.flag("mount"), Some("type=cache,target=/root/.npm"));
        assert_eq!(run.heredocs.len(), 1);
        assert_eq!(run.heredocs[0].body, "npm ci\nnpm run build\n");
        assert_eq!(run.end_line, 6);
        assert_eq!(d.instructions[2].copy_parts(), Some((vec![".".to_string()], "/app/".to_string())));
        assert_eq!(d.instructions[3].line, 8);
    }

    #[test]
    fn shift_operators_and_quoted_markers_are_not_heredocs() {
        let d = parse("FROM x\nRUN echo $((1<<2)) \"a<<b\"\nRUN echo ok\n");
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(d.instructions.len(), 3);
        assert!(d.instructions[1].heredocs.is_empty());
    }

    #[test]
    fn no_panic_on_mangled_input() {
        for i in 0..=DF.len() {
            if DF.is_char_boundary(i) {
                let d = parse(&DF[..i]);
                for ins in &d.instructions {
                    let _ = (ins.copy_parts(), ins.command_text(), ins.key_values());
                }
                for s in 0..d.stages.len() {
                    let _ = d.stage_env(s);
                }
            }
            let mut b = DF.as_bytes().to_vec();
            if i < b.len() {
                b[i] = b"\\`<'\"[]{}$\n#"[i % 12];
                let _ = parse(&String::from_utf8_lossy(&b));
            }
        }
    }
}
