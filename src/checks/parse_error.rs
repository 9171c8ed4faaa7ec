use super::{model_observations, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "parse-error",
    aspect: Aspect::Operations,
    title: "A deployment file could not be parsed",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Reports a file the tool could not parse (invalid JSON, YAML or TOML, an unterminated Dockerfile
heredoc, a Prisma block without its closing brace), with the line where parsing failed. The other
files are still audited.

## Why it matters
The build tool or platform reading the same file fails the same way; and every check that depends
on the file could not run, so the report is incomplete for it.

## Example
A package.json with a trailing comma.

## Fix
Correct the syntax at the reported line.

## References
- https://docs.docker.com/reference/dockerfile/
- https://docs.npmjs.com/cli/v10/configuring-npm/package-json
"#;

fn run(model: &Model) -> Vec<Observation> {
    model_observations(model, RULE.id)
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::koyeb;

    #[test]
    fn broken_json_is_reported_with_its_line() {
        let obs = koyeb("parse-error", &[("package.json", "{\n  \"name\": \"a\",\n}\n")]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(3));
    }

    #[test]
    fn valid_files_give_nothing() {
        assert!(koyeb("parse-error", &[("package.json", "{\"name\": \"a\"}")]).is_empty());
    }
}
