//! The report's data: severities, aspects, findings and per-target results.
//! Renderers only format what is here; nothing is computed after this point.

use serde::{Deserialize, Serialize};

/// How much a finding matters on one platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// The part of the deployment a finding belongs to (the rows of the executive summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aspect {
    Framework,
    Docker,
    Database,
    Environment,
    Statelessness,
    Networking,
    Security,
    Operations,
}

impl Aspect {
    pub const ALL: [Aspect; 8] = [
        Aspect::Framework,
        Aspect::Docker,
        Aspect::Database,
        Aspect::Environment,
        Aspect::Statelessness,
        Aspect::Networking,
        Aspect::Security,
        Aspect::Operations,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Aspect::Framework => "framework",
            Aspect::Docker => "docker",
            Aspect::Database => "database",
            Aspect::Environment => "environment",
            Aspect::Statelessness => "statelessness",
            Aspect::Networking => "networking",
            Aspect::Security => "security",
            Aspect::Operations => "operations",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Aspect::Framework => "Framework and runtime",
            Aspect::Docker => "Docker",
            Aspect::Database => "Database",
            Aspect::Environment => "Environment",
            Aspect::Statelessness => "Statelessness",
            Aspect::Networking => "Networking",
            Aspect::Security => "Security",
            Aspect::Operations => "Operations",
        }
    }
}

/// A place in another file that explains a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

/// One finding on one target.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub aspect: Aspect,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub fix: String,
    pub docs: String,
    pub related: Vec<Related>,
    pub fingerprint: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Ready,
    ReadyWithChanges,
    NotReady,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::ReadyWithChanges => "ready-with-changes",
            Verdict::NotReady => "not-ready",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AspectStatus {
    Ok,
    Partial,
    Blocked,
}

impl AspectStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AspectStatus::Ok => "ok",
            AspectStatus::Partial => "partial",
            AspectStatus::Blocked => "blocked",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AspectSummary {
    pub aspect: Aspect,
    pub status: AspectStatus,
    pub critical: usize,
    pub warning: usize,
    pub info: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub critical: usize,
    pub warning: usize,
    pub info: usize,
}

/// One deployment setting the repository implies, for the deployment plan.
#[derive(Debug, Clone, Serialize)]
pub struct Setting {
    pub name: String,
    pub value: String,
    /// "repository" when the files prove it, "verify" when it must be checked in the dashboard.
    pub source: String,
}

/// An environment variable as the deployment must provide it.
#[derive(Debug, Clone, Serialize)]
pub struct EnvVarRow {
    pub name: String,
    /// required | optional
    pub need: String,
    pub secret: bool,
    pub purpose: String,
    pub read_in: Option<String>,
    pub documented_in: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    pub target: String,
    pub platform: String,
    /// Where "verify" settings are checked on this platform ("the dashboard", "fly.toml").
    pub verify_in: String,
    pub verdict: Verdict,
    pub counts: Counts,
    pub aspects: Vec<AspectSummary>,
    pub findings: Vec<Finding>,
    pub settings: Vec<Setting>,
    pub env: Vec<EnvVarRow>,
    pub checklist: Vec<String>,
    /// Findings hidden by inline suppressions, `[[ignore]]` entries and excluded paths
    /// (listed only when there are some).
    #[serde(skip_serializing_if = "is_zero")]
    pub suppressed: usize,
    /// Findings hidden because the `--baseline` file records them (listed only when there are some).
    #[serde(skip_serializing_if = "is_zero")]
    pub baselined: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub tool: Tool,
    pub root: String,
    pub apps: Vec<String>,
    pub targets: Vec<TargetReport>,
}
