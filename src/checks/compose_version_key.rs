use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "compose-version-key",
    aspect: Aspect::Operations,
    title: "The compose file has the obsolete top-level `version:`",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds a top-level `version:` in the deployment compose file.

## Why it matters
Compose v2 ignores it and warns on every command (`the attribute version is obsolete`); it
does not select a file format any more, so a value such as `"2.4"` no longer enables the
features it used to, and readers take it for a constraint that does not exist.

## Example
```yaml
version: "3.8"
services:
  app:
    build: .
```

## Fix
Delete the line; the Compose Specification has no version.

## References
- https://docs.docker.com/reference/compose-file/version-and-name/
"#;

fn run(model: &Model) -> Vec<Observation> {
    model
        .deploy_composes()
        .into_iter()
        .filter_map(|c| {
            let line = c.v.version_line?;
            Some(
                Observation::at(
                    RULE.id,
                    &c.rel,
                    line,
                    "the top-level `version:` is obsolete: Compose ignores it and warns on every command",
                )
                .key(c.rel.clone()),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn version_key_fires_and_its_absence_does_not() {
        let obs = run(
            "compose-version-key",
            "vps",
            &[("docker-compose.yml", "version: '3.8'\nservices:\n  app:\n    build: .\n")],
        );
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(1));
        assert!(run("compose-version-key", "vps", &[("docker-compose.yml", "services:\n  app:\n    build: .\n")]).is_empty());
    }
}
