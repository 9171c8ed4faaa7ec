//! The command line: `audit scan`, `audit explain`, `audit rules`. Exit codes: 0 the gate
//! passed, 1 the gate failed, 2 the tool could not do its job.

use crate::render::Format;
use crate::report::{Report, Severity, TargetReport, Tool};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
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

/// When to use ANSI colours (table and pretty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When standard output is a terminal and `NO_COLOR` is not set
    Auto,
    Always,
    Never,
}

/// Colours on? `auto`: only on a terminal, never into a file, and not when `NO_COLOR` is set to
/// anything but the empty string (<https://no-color.org>).
pub fn use_color(choice: ColorChoice, to_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

const SCAN_EXAMPLES: &str = "Examples:
  audit scan . --target koyeb
  audit scan ./repo --target koyeb --format markdown --output AUDIT.md
  audit scan ./repo --target all --format json
  audit scan ./repo --target koyeb --fail-on warning   # CI gate on warnings too
  audit scan . --target koyeb --write-baseline .deploy-audit-baseline.json   # adopt on an old repository
  audit scan . --target koyeb --baseline .deploy-audit-baseline.json         # then report only new findings

Configuration: deploy-audit.toml (or .deploy-audit.toml) at the scanned root, or --config FILE.
Inline: `# deploy-audit-ignore: <rule-id> -- <reason>` above a line.
  audit scan . --target koyeb --format sarif --output deploy-audit.sarif
  audit scan . --target koyeb --format github          # annotations + job summary in GitHub Actions

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
        /// [default: `targets` from the configuration file]
        #[arg(short, long, value_delimiter = ',')]
        target: Vec<String>,
        /// Output format
        #[arg(short, long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Write the report to this file instead of standard output
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Exit 1 when a finding at or above this severity exists
        /// [default: `fail-on` from the configuration file, else critical]
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
        /// Configuration file [default: deploy-audit.toml or .deploy-audit.toml at the scanned root]
        #[arg(long)]
        config: Option<PathBuf>,
        /// Report only the findings this baseline file does not record
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// Record today's findings in this file (the report is still printed)
        #[arg(long)]
        write_baseline: Option<PathBuf>,
        /// Largest file read, in bytes (config and source)
        #[arg(long, default_value_t = 1 << 20)]
        max_file_size: u64,
        /// Colours for table and pretty: auto (a terminal without NO_COLOR), always, never
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
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
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff): audit(1), or a subcommand's page, e.g. `audit man scan` for audit-scan(1)
    Man {
        /// A subcommand (scan, explain, rules, completions)
        subcommand: Option<String>,
    },
    /// Generate the rule documentation pages (docs/rules/*.md)
    #[command(hide = true)]
    Docs {
        /// Write the pages into this directory
        #[arg(long, value_name = "DIR", conflicts_with = "check")]
        write: Option<PathBuf>,
        /// Exit 1 when the pages in this directory are stale
        #[arg(long, value_name = "DIR")]
        check: Option<PathBuf>,
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
    scan_with(path, targets, limits, None).map(|(r, _)| r)
}

/// Scan with a configuration: excluded paths are not read, and each target is evaluated with
/// the configuration's tuning for it. The model is returned too (the pretty format shows the
/// files' text from it).
pub fn scan_with(
    path: &std::path::Path,
    targets: &[String],
    limits: &crate::discover::Limits,
    config: Option<&crate::config::Config>,
) -> Result<(Report, crate::model::Model), String> {
    scan_then(path, targets, limits, config, &|_| ()).map(|(r, m, _)| (r, m))
}

/// [`scan_with`], with `after` applied to each target's report by the worker that evaluated it
/// (see [`crate::engine::evaluate_all_with`]); its results come back in target order.
pub fn scan_then<T: Send + Sync>(
    path: &std::path::Path,
    targets: &[String],
    limits: &crate::discover::Limits,
    config: Option<&crate::config::Config>,
    after: &(dyn Fn(&TargetReport) -> T + Sync),
) -> Result<(Report, crate::model::Model, Vec<T>), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_dir() {
        return Err(format!("{} is not a directory", path.display()));
    }
    // An unknown target fails before the walk, not after it.
    for t in targets {
        crate::packs::source(t)?;
    }
    // The helpers the parse and the checks run on start during the walk, so that neither stage
    // waits for a thread to start.
    crate::pool::warm(crate::pool::workers());
    let t = crate::timing::phase("discover (walk + read)");
    let mut d = crate::discover::discover(path, limits).map_err(|e| format!("cannot walk {}: {e}", path.display()))?;
    t.end();
    if let Some(c) = config {
        // Excluded files are not parsed; their paths stay known (a COPY of them still resolves).
        d.files.retain(|f| !c.excluded(&f.rel));
        d.observations.retain(|o| o.file.as_deref().is_none_or(|f| !c.excluded(f)));
    }
    // The packs are parsed on the core the model's last, serial stage leaves free.
    let (model, packs) = crate::model::Model::build_beside(d, || targets.iter().map(|t| crate::packs::load(t)).collect::<Result<Vec<_>, _>>());
    let packs = packs?;
    let t = crate::timing::phase("checks (all targets)");
    let tunings: Vec<crate::config::Tuning> = targets.iter().map(|t| config.map(|c| c.tuning(t)).unwrap_or_default()).collect();
    let (reports, extras): (Vec<TargetReport>, Vec<T>) = crate::engine::evaluate_all_with(&model, &packs, &tunings, after).into_iter().unzip();
    t.end();
    crate::timing::report_tally(15);
    let apps = model.apps.iter().map(|a| a.display_dir().to_string()).collect();
    let report = Report {
        version: 1,
        tool: Tool {
            name: "deploy-audit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        root: path.display().to_string(),
        apps,
        targets: reports,
    };
    Ok((report, model, extras))
}

/// Largest configuration or baseline file read.
const MAX_TUNING_FILE: u64 = 4 << 20;

fn read_small(p: &std::path::Path) -> Result<String, String> {
    let meta = std::fs::metadata(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", p.display()));
    }
    if meta.len() > MAX_TUNING_FILE {
        return Err(format!("{} is larger than {MAX_TUNING_FILE} bytes", p.display()));
    }
    std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
}

/// The configuration: `--config FILE`, else deploy-audit.toml / .deploy-audit.toml at the root
/// (a symbolic link is followed only when it stays inside the root). `Ok(None)` when none.
pub fn load_config(root: &std::path::Path, explicit: Option<&std::path::Path>) -> Result<Option<crate::config::Config>, String> {
    if let Some(p) = explicit {
        let text = read_small(p)?;
        // Findings that point into the file (a declared health check path) name it relative to
        // the root when it lives there, like every other file; errors name it as given.
        let shown = match (p.canonicalize(), root.canonicalize()) {
            (Ok(f), Ok(r)) => f.strip_prefix(&r).ok().and_then(|rel| rel.to_str()).map(|s| s.replace('\\', "/")),
            _ => None,
        };
        let mut cfg = crate::config::parse(&text, &p.display().to_string()).map_err(|e| e.to_string())?;
        if let Some(rel) = shown.filter(|s| !s.is_empty()) {
            cfg.file = rel;
        }
        return Ok(Some(cfg));
    }
    let found: Vec<&str> = crate::config::FILE_NAMES
        .iter()
        .copied()
        .filter(|n| std::fs::symlink_metadata(root.join(n)).is_ok())
        .collect();
    let name = match found.as_slice() {
        [] => return Ok(None),
        [one] => *one,
        _ => return Err(format!("both {} exist in {}; keep one", found.join(" and "), root.display())),
    };
    let p = root.join(name);
    let inside = match (p.canonicalize(), root.canonicalize()) {
        (Ok(f), Ok(r)) => f.starts_with(&r),
        _ => false,
    };
    if !inside {
        return Err(format!("{name} points outside the scanned directory or cannot be resolved; it was not read"));
    }
    let text = read_small(&p)?;
    crate::config::parse(&text, name).map(Some).map_err(|e| e.to_string())
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
fn write_atomic<P: AsRef<[u8]>>(path: &std::path::Path, pieces: &[P]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|mut f| pieces.iter().try_for_each(|p| std::io::Write::write_all(&mut f, p.as_ref())));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
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
            config,
            baseline,
            write_baseline,
            color,
        } => {
            let cfg = match load_config(&path, config.as_deref()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {}", crate::text::sanitize(&e));
                    return 2;
                }
            };
            let wanted = if target.is_empty() {
                cfg.as_ref().map(|c| c.targets.clone()).unwrap_or_default()
            } else {
                target
            };
            let targets = match resolve_targets(&wanted) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: {e}");
                    return 2;
                }
            };
            let fail_on = fail_on.or(cfg.as_ref().and_then(|c| c.fail_on)).unwrap_or(FailOn::Critical);
            let base = match baseline
                .as_deref()
                .map(|p| read_small(p).and_then(|t| crate::baseline::parse(&t).map_err(|e| format!("{}: {e}", p.display()))))
            {
                Some(Err(e)) => {
                    eprintln!("error: {}", crate::text::sanitize(&e));
                    return 2;
                }
                Some(Ok(b)) => Some(b),
                None => None,
            };
            let limits = crate::discover::Limits {
                max_config_bytes: max_file_size,
                max_source_bytes: max_file_size,
            };
            let total = crate::timing::phase("scan (total, before render)");
            // JSON is written per target by the check workers, each as soon as its target is
            // evaluated; not with a baseline, which changes the findings after the scan.
            let early_json = format == Format::Json && base.is_none();
            let early = |t: &TargetReport| early_json.then(|| crate::render::json::part(t));
            let (mut report, model, parts) = match scan_then(&path, &targets, &limits, cfg.as_ref(), &early) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: {}", crate::text::sanitize(&e));
                    return 2;
                }
            };
            total.end();
            if let Some(p) = &write_baseline {
                let text = crate::baseline::to_json(&crate::baseline::of_report(&report));
                if let Err(e) = write_atomic(p, std::slice::from_ref(&text)) {
                    eprintln!("error: cannot write {}: {e}", p.display());
                    return 2;
                }
            }
            if let Some(b) = &base {
                crate::baseline::apply(&mut report, b);
            }
            use std::io::IsTerminal;
            let to_terminal = output.is_none() && std::io::stdout().is_terminal();
            let sources = (format == Format::Pretty).then(|| crate::render::sources::collect(&model, &report));
            let opts = crate::render::Options {
                color: use_color(color, to_terminal, std::env::var_os("NO_COLOR").as_deref()),
                sources: sources.as_ref(),
            };
            let t = crate::timing::phase("render");
            let pieces = if format == Format::Json {
                crate::render::json::pieces(&report, parts.into_iter().collect())
            } else {
                vec![crate::render::render_with(&report, format, &opts).into_bytes()]
            };
            t.end();
            if format == Format::Github {
                if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()) {
                    if let Err(e) = append(std::path::Path::new(&summary), &crate::render::markdown::render(&report)) {
                        eprintln!("warning: cannot append the job summary to {}: {e}", std::path::Path::new(&summary).display());
                    }
                }
            }
            match &output {
                Some(p) => {
                    if let Err(e) = write_atomic(p, &pieces) {
                        eprintln!("error: cannot write {}: {e}", p.display());
                        return 2;
                    }
                }
                None => {
                    let mut out = std::io::stdout().lock();
                    if pieces.iter().try_for_each(|p| out.write_all(p)).and_then(|_| out.flush()).is_err() {
                        return 2;
                    }
                }
            }
            let code = i32::from(gate_failed(&report, fail_on));
            // The process ends here: the model, the report and its text need no freeing (the
            // system takes the memory back at once; freeing them one by one takes milliseconds).
            drop(sources);
            std::mem::forget(model);
            std::mem::forget(report);
            std::mem::forget(pieces);
            code
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
        Command::Completions { shell } => {
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut Cli::command(), "audit", &mut out);
            0
        }
        Command::Man { subcommand } => man(subcommand.as_deref()),
        Command::Docs { write, check } => docs(write.as_deref(), check.as_deref()),
    }
}

/// The man page of `audit` or of one of its visible subcommands (`audit-scan(1)` …).
fn man(subcommand: Option<&str>) -> i32 {
    let mut cmd = Cli::command();
    cmd.build();
    let page = match subcommand {
        None => cmd,
        Some(name) => match cmd.get_subcommands().find(|c| c.get_name() == name && !c.is_hide_set()) {
            // After `build`, a subcommand's display name is `audit-<name>`, the page title.
            Some(sub) => sub.clone().version(env!("CARGO_PKG_VERSION")),
            None => {
                let names: Vec<&str> = cmd.get_subcommands().filter(|c| !c.is_hide_set()).map(|c| c.get_name()).collect();
                eprintln!("error: no subcommand `{}`; one of: {}", crate::text::sanitize(name), names.join(", "));
                return 2;
            }
        },
    };
    let mut out = std::io::stdout().lock();
    match clap_mangen::Man::new(page).render(&mut out) {
        Ok(()) => 0,
        Err(_) => 2,
    }
}

/// Append to a file (the GitHub job summary), creating it when missing.
fn append(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    f.write_all(text.as_bytes())
}

/// `audit docs --write DIR` regenerates docs/rules; `--check DIR` exits 1 when they are stale.
fn docs(write: Option<&std::path::Path>, check: Option<&std::path::Path>) -> i32 {
    if let Some(dir) = write {
        return match crate::catalog::write_pages(dir) {
            Ok(n) => {
                eprintln!("wrote {n} pages to {}", dir.display());
                0
            }
            Err(e) => {
                eprintln!("error: {e}");
                2
            }
        };
    }
    let dir = check.unwrap_or(std::path::Path::new("docs/rules"));
    match crate::catalog::stale_pages(dir) {
        Ok(stale) if stale.is_empty() => 0,
        Ok(stale) => {
            eprintln!(
                "{} is stale ({}); regenerate with `cargo run -- docs --write {}`",
                dir.display(),
                stale.join(", "),
                dir.display()
            );
            1
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_the_choice_the_terminal_and_no_color() {
        use std::ffi::OsStr;
        assert!(use_color(ColorChoice::Auto, true, None));
        assert!(use_color(ColorChoice::Auto, true, Some(OsStr::new(""))));
        assert!(!use_color(ColorChoice::Auto, true, Some(OsStr::new("1"))));
        assert!(!use_color(ColorChoice::Auto, false, None));
        assert!(use_color(ColorChoice::Always, false, Some(OsStr::new("1"))));
        assert!(!use_color(ColorChoice::Never, true, None));
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
