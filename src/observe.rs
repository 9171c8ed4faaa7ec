//! What a check (or the walk, or a parser) saw: a rule id, a place and a sentence.
//! The pack for a target turns an observation into a finding with a severity and advice.

pub use crate::report::Related;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// Stable kebab-case rule id; must exist in every pack.
    pub rule: &'static str,
    /// Path relative to the scanned root, `/`-separated; `None` for the repository as a whole.
    pub file: Option<String>,
    /// 1-based line, or `None` for a whole file.
    pub line: Option<usize>,
    /// One sentence saying what is wrong (never a secret's value).
    pub message: String,
    pub related: Vec<Related>,
    /// Values the pack's advice template may use as `{name}`.
    pub vars: Vec<(&'static str, String)>,
    /// Stable content for the fingerprint (survives line shifts), e.g. a variable name.
    pub key: String,
}

impl Observation {
    pub fn new(rule: &'static str, file: Option<&str>, line: Option<usize>, message: impl Into<String>) -> Self {
        Observation {
            rule,
            file: file.map(str::to_string),
            line,
            message: message.into(),
            related: Vec::new(),
            vars: Vec::new(),
            key: String::new(),
        }
    }
    pub fn at(rule: &'static str, file: &str, line: usize, message: impl Into<String>) -> Self {
        Self::new(rule, Some(file), Some(line), message)
    }
    pub fn related(mut self, file: &str, line: Option<usize>, message: impl Into<String>) -> Self {
        self.related.push(Related {
            file: file.to_string(),
            line,
            message: message.into(),
        });
        self
    }
    pub fn var(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.vars.push((name, value.into()));
        self
    }
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }
}
