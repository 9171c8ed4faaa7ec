//! The command line: `audit scan`, `audit explain`, `audit rules`. Exit codes: 0 the gate
//! passed, 1 the gate failed, 2 the tool could not do its job.

use crate::render::Format;
use crate::report::{Report, Severity, Tool};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "audit", version, about = "Static deployment-readiness audit for Next.js / Node.js repositories", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Critical,
    Warning,
    Info,
    Never,
}

const SCAN_EXAMPLES: &str = "Examples:
  audit scan . --target koyeb
  audit scan ./repo --target koyeb --format markdown --output AUDIT.md
  audit scan ./repo --target all --format json
  audit scan ./repo --target koyeb --fail-on warning   # CI gate on warnings too

Exit codes: 0 the gate passed, 1 a finding at or above --fail-on, 2 the tool could not run.";

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Audit a repository for one or more target platforms
    #[command(after_help = SCAN_EXAMPLES)]
    Scan {
        /// Repository root to scan
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Target platform(s): a name, several --target flags, a comma list, or `all`
        #[arg(short, long, value_delimiter = ',', required = true)]
        target: Vec<String>,
        /// Output format
        #[arg(short, long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Write the report to this file instead of standard output
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Exit 1 when a finding at or above this severity exists
        #[arg(long, value_enum, default_value_t = FailOn::Critical)]
        fail_on: FailOn,
        /// Largest file read, in bytes (config and source)
        #[arg(long, default_value_t = 1 << 20)]
        max_file_size: u64,
    },
    /// Print a rule's documentation and its severity and advice on each platform
    Explain {
        /// Rule id, e.g. ephemeral-disk-write
        rule: String,
    },
    /// List every rule with its severity on each platform
    Rules {
        /// Only this target's column
        #[arg(short, long)]
        target: Option<String>,
    },
}

/// Resolve `--target` values: names, comma lists (already split), `all`.
pub fn resolve_targets(values: &[String]) -> Result<Vec<String>, String> {
    let known = crate::packs::target_ids();
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let v = v.trim().to_ascii_lowercase();
        if v.is_empty() {
            continue;
        }
        if v == "all" {
            for k in &known {
                if !out.iter().any(|o| o == k) {
                    out.push(k.to_string());
                }
            }
        } else if known.contains(&v.as_str()) {
            if !out.contains(&v) {
                out.push(v);
            }
        } else {
            return Err(format!(
                "unknown target `{}`; known targets: {}, all",
                crate::text::sanitize(&v),
                known.join(", ")
            ));
        }
    }
    if out.is_empty() {
        return Err(format!("no target given; known targets: {}, all", known.join(", ")));
    }
    Ok(out)
}

/// Scan a repository for the given targets.
pub fn scan(path: &std::path::Path, targets: &[String], limits: &crate::discover::Limits) -> Result<Report, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_dir() {
        return Err(format!("{} is not a directory", path.display()));
    }
    let d = crate::discover::discover(path, limits).map_err(|e| format!("cannot walk {}: {e}", path.display()))?;
    let model = crate::model::Model::build(d);
    let packs = targets.iter().map(|t| crate::packs::load(t)).collect::<Result<Vec<_>, _>>()?;
    // The targets are independent: evaluate them in parallel (in target order).
    let reports: Vec<crate::report::TargetReport> = if packs.len() > 1 {
        let model = &model;
        std::thread::scope(|s| {
            let handles: Vec<_> = packs.iter().map(|p| s.spawn(move || crate::engine::evaluate(model, p))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
        })
    } else {
        packs.iter().map(|p| crate::engine::evaluate(&model, p)).collect()
    };
    let apps = model.apps.iter().map(|a| a.display_dir().to_string()).collect();
    Ok(Report {
        version: 1,
        tool: Tool {
            name: "deploy-audit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        root: path.display().to_string(),
        apps,
        targets: reports,
    })
}

/// Did the gate fail?
pub fn gate_failed(report: &Report, fail_on: FailOn) -> bool {
    let min = match fail_on {
        FailOn::Critical => Severity::Critical,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
        FailOn::Never => return false,
    };
    report.targets.iter().any(|t| t.findings.iter().any(|f| f.severity >= min))
}

/// Write atomically: a temporary file beside the target, then rename.
fn write_atomic(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn explain(id: &str) -> Result<String, String> {
    let Some(rule) = crate::checks::rule(id) else {
        let ids: Vec<&str> = crate::checks::RULES.iter().map(|r| r.id).collect();
        let close = ids.iter().copied().min_by_key(|c| strsim(c, id)).unwrap_or("");
        return Err(format!(
            "unknown rule `{}`; did you mean `{close}`? (`audit rules` lists them)",
            crate::text::sanitize(id)
        ));
    };
    let mut o = format!(
        "# {}: {}\n\naspect: {}\n\n{}\n## Per platform\n\n",
        rule.id,
        rule.title,
        rule.aspect.as_str(),
        rule.doc
    );
    for t in crate::packs::target_ids() {
        let pack = crate::packs::load(t)?;
        if let Some(a) = pack.advice(rule.id) {
            o.push_str(&format!("- **{}**: {}. {} ({})\n", pack.platform.name, a.severity.as_str(), a.fix, a.docs));
        }
    }
    Ok(o)
}

fn rules_table(target: Option<&str>) -> Result<String, String> {
    let targets = match target {
        Some(t) => resolve_targets(&[t.to_string()])?,
        None => crate::packs::target_ids().into_iter().map(String::from).collect(),
    };
    let packs = targets.iter().map(|t| crate::packs::load(t)).collect::<Result<Vec<_>, _>>()?;
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    let mut header = vec!["rule".to_string(), "aspect".to_string()];
    header.extend(packs.iter().map(|p| p.platform.id.clone()));
    header.push("title".into());
    table.set_header(header);
    for r in crate::checks::RULES {
        let mut row = vec![r.id.to_string(), r.aspect.as_str().to_string()];
        row.extend(packs.iter().map(|p| p.advice(r.id).map(|a| a.severity.as_str()).unwrap_or("-").to_string()));
        row.push(r.title.to_string());
        table.add_row(row);
    }
    Ok(format!("{table}\n"))
}

/// Edit distance, for "did you mean".
pub fn strsim(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Run the CLI; returns the process exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Scan {
            path,
            target,
            format,
            output,
            fail_on,
            max_file_size,
        } => {
            let targets = match resolve_targets(&target) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: {e}");
                    return 2;
                }
            };
            let limits = crate::discover::Limits {
                max_config_bytes: max_file_size,
                max_source_bytes: max_file_size,
            };
            let report = match scan(&path, &targets, &limits) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: {}", crate::text::sanitize(&e));
                    return 2;
                }
            };
            let text = crate::render::render(&report, format);
            match &output {
                Some(p) => {
                    if let Err(e) = write_atomic(p, &text) {
                        eprintln!("error: cannot write {}: {e}", p.display());
                        return 2;
                    }
                }
                None => {
                    let mut out = std::io::stdout().lock();
                    if out.write_all(text.as_bytes()).and_then(|_| out.flush()).is_err() {
                        return 2;
                    }
                }
            }
            i32::from(gate_failed(&report, fail_on))
        }
        Command::Explain { rule } => match explain(&rule) {
            Ok(t) => {
                print!("{t}");
                0
            }
            Err(e) => {
                eprintln!("error: {e}");
                2
            }
        },
        Command::Rules { target } => match rules_table(target.as_deref()) {
            Ok(t) => {
                print!("{t}");
                0
            }
            Err(e) => {
                eprintln!("error: {e}");
                2
            }
        },
    }
}
