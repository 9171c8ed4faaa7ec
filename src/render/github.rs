//! GitHub Actions workflow commands: one `::error` / `::warning` / `::notice` annotation per
//! finding (critical / warning / info), on its file and line, titled with the rule and target.
//! Escaping follows @actions/core (`toolkit/packages/core/src/command.ts`): in the message `%`,
//! `\r`, `\n` become `%25`, `%0D`, `%0A`; in properties `:` and `,` also become `%3A`, `%2C`.
//! Other control characters from the repository are made visible with `text::sanitize`.
//! The Markdown report for `$GITHUB_STEP_SUMMARY` is appended by the CLI, not here.

use super::{anchor, root_prefix};
use crate::report::{Report, Severity};
use crate::text::sanitize;

/// Escape a workflow command's message.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escape a workflow command's property value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn command(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

pub fn render(report: &Report) -> String {
    let prefix = root_prefix(&report.root);
    let mut o = String::new();
    for t in &report.targets {
        for f in &t.findings {
            let mut props = Vec::new();
            if let Some(file) = &f.file {
                props.push(format!("file={}", escape_property(&sanitize(&super::repo_path(&prefix, file)))));
                if let Some(l) = f.line {
                    props.push(format!("line={l}"));
                }
            } else {
                // A repository-level finding: annotate the related file when there is one.
                let at = anchor(&prefix, f);
                if at.path != "." && at.path != prefix {
                    props.push(format!("file={}", escape_property(&sanitize(&at.path))));
                    if let Some(l) = at.line {
                        props.push(format!("line={l}"));
                    }
                }
            }
            props.push(format!("title={}", escape_property(&format!("{} ({})", f.rule, t.platform))));
            let mut msg = format!("{}\nFix: {}\nDocs: {}", sanitize(&f.message), sanitize(&f.fix), f.docs);
            for r in &f.related {
                msg.push_str(&format!(
                    "\nRelated: {} {}",
                    super::location(Some(&super::repo_path(&prefix, &r.file)), r.line),
                    sanitize(&r.message)
                ));
            }
            o.push_str(&format!("::{} {}::{}\n", command(f.severity), props.join(","), escape_data(&msg)));
        }
        o.push_str(&format!(
            "{} ({}): {} ({} critical, {} warning, {} info)\n",
            t.platform,
            t.target,
            t.verdict.as_str(),
            t.counts.critical,
            t.counts.warning,
            t.counts.info
        ));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_toolkit_does() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(command(Severity::Info), "notice");
    }
}
