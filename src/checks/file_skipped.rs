use super::{model_observations, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "file-skipped",
    aspect: Aspect::Operations,
    title: "A file was not read",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Lists files the tool did not read and why: over the size limit, binary, not valid UTF-8, not a
regular file (a pipe or device), or a symbolic link pointing outside the scanned directory.

## Why it matters
Findings that depend on those files are missing from the report.

## Example
A 3 MB generated `package.json`, or `Dockerfile -> /etc/passwd`.

## Fix
Nothing to fix when intended; raise the size limit if a real deployment file is larger.

## References
- https://docs.docker.com/build/concepts/context/
"#;

fn run(model: &Model) -> Vec<Observation> {
    model_observations(model, RULE.id)
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::koyeb;

    #[test]
    fn invalid_utf8_is_listed() {
        let obs = koyeb("file-skipped", &[("package.json", "{}"), ("lib/a.ts", "\u{0}\u{1}")]);
        assert_eq!(obs.len(), 1);
    }

    #[test]
    fn readable_files_give_nothing() {
        assert!(koyeb("file-skipped", &[("package.json", "{}")]).is_empty());
    }
}
