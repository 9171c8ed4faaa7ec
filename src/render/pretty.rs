//! `--format pretty`: each finding as a miette diagnostic with a code frame on its line, the
//! related locations in the same file as secondary labels and those in other files as related
//! diagnostics, the fix as help and the docs link. The file text comes from `Sources` (built by
//! the CLI, secrets redacted, control characters escaped); a file it lacks is named without a
//! frame.

use super::sources::Sources;
use super::Options;
use crate::report::{Finding, Report, Severity};
use crate::text::sanitize;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode, SourceSpan};
use std::fmt;

#[derive(Debug)]
struct Frame {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    url: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Frame>,
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Frame {}

impl Diagnostic for Frame {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code.as_ref().map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.url.as_ref().map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
        }
    }
}

/// The span of a 1-based line's text without its indentation.
pub fn line_span(text: &str, line: usize) -> Option<SourceSpan> {
    let mut start = 0usize;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 == line {
            let indent = l.len() - l.trim_start().len();
            return Some(SourceSpan::new((start + indent).into(), l.trim().len()));
        }
        start += l.len() + 1;
    }
    None
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Critical => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn frame(f: &Finding, sources: Option<&Sources>) -> Frame {
    let text = f.file.as_deref().and_then(|file| sources.and_then(|s| s.get(file)));
    let mut message = sanitize(&f.message);
    let mut labels = Vec::new();
    let mut source = None;
    match (f.file.as_deref(), text) {
        (Some(file), Some(text)) => {
            if let Some(span) = f.line.and_then(|l| line_span(text, l)) {
                let title = crate::checks::rule(&f.rule).map(|r| r.title).unwrap_or("here");
                labels.push(LabeledSpan::new_primary_with_span(Some(title.to_string()), span));
            } else {
                message.push_str(&format!("\n  at {}", super::location(Some(file), f.line)));
            }
            source = Some(NamedSource::new(sanitize(file), text.to_string()));
        }
        (file, _) => message.push_str(&format!("\n  at {}", super::location(file, f.line))),
    }
    let mut related = Vec::new();
    for r in &f.related {
        let same_file = f.file.as_deref() == Some(r.file.as_str()) && source.is_some();
        let rtext = sources.and_then(|s| s.get(&r.file));
        if same_file {
            if let Some(span) = text.zip(r.line).and_then(|(t, l)| line_span(t, l)) {
                labels.push(LabeledSpan::new_with_span(Some(sanitize(&r.message)), span));
                continue;
            }
        }
        let span = rtext.zip(r.line).and_then(|(t, l)| line_span(t, l));
        let mut rmsg = format!("related: {}", sanitize(&r.message));
        if span.is_none() {
            rmsg.push_str(&format!(" ({})", super::location(Some(&r.file), r.line)));
        }
        related.push(Frame {
            message: rmsg,
            code: None,
            severity: miette::Severity::Advice,
            help: None,
            url: None,
            source: span.and(rtext).map(|t| NamedSource::new(sanitize(&r.file), t.to_string())),
            labels: span
                .map(|s| vec![LabeledSpan::new_primary_with_span(Some(sanitize(&r.message)), s)])
                .unwrap_or_default(),
            related: Vec::new(),
        });
    }
    Frame {
        message,
        code: Some(f.rule.clone()),
        severity: severity(f.severity),
        help: Some(sanitize(&f.fix)),
        url: Some(f.docs.clone()),
        source,
        labels,
        related,
    }
}

pub fn render(report: &Report, opts: &Options) -> String {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_links(false).with_width(120);
    let mut o = String::new();
    for t in &report.targets {
        o.push_str(&format!(
            "{} ({}): {}  ({} critical, {} warning, {} info)\n\n",
            t.platform,
            t.target,
            t.verdict.as_str(),
            t.counts.critical,
            t.counts.warning,
            t.counts.info
        ));
        if t.findings.is_empty() {
            o.push_str("  no findings\n\n");
        }
        for f in &t.findings {
            let fr = frame(f, opts.sources);
            if handler.render_report(&mut o, &fr).is_err() {
                o.push_str(&format!("{}: {}\n", f.rule, fr.message));
            }
            o.push('\n');
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_the_line_without_indentation() {
        let t = "a\n  bcd\n\nlast";
        let s = line_span(t, 2).unwrap();
        assert_eq!((s.offset(), s.len()), (4, 3));
        assert_eq!(line_span(t, 3).unwrap().len(), 0);
        assert_eq!(line_span(t, 4).unwrap().offset(), 9);
        assert!(line_span(t, 5).is_none());
    }
}
