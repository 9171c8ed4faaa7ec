use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "coolify-magic-var-id",
    aspect: Aspect::Environment,
    title: "A Coolify magic variable's identifier contains an underscore",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
In the deployment compose file, finds Coolify's generated-value variables
(`SERVICE_PASSWORD_<ID>`, `SERVICE_USER_<ID>`, `SERVICE_BASE64_<ID>`, `SERVICE_REALBASE64_<ID>`,
`SERVICE_HEX_<ID>`, with their `_32` / `_64` / `_128` length forms) whose `<ID>` contains an
underscore.

## Why it matters
Coolify reads the type and length from the underscore-separated words of the name: in
`SERVICE_PASSWORD_DB_PASSWORD` the identifier is taken as `DB` and the rest is misread, so the
service gets a value of the wrong kind or the variable is not generated and stays empty.

## Example
```yaml
POSTGRES_PASSWORD: ${SERVICE_PASSWORD_DB_PASSWORD}
```

## Fix
Use a single-word identifier: `${SERVICE_PASSWORD_POSTGRES}` (or `${SERVICE_PASSWORD_64_POSTGRES}`
for a longer one), and refer to the same name wherever the value is needed.

## References
- https://coolify.io/docs/knowledge-base/docker/compose
"#;

const TYPES: &[&str] = &["PASSWORD", "USER", "BASE64", "REALBASE64", "HEX"];

/// For a `SERVICE_…` name: the identifier after the type and optional length, if it is malformed.
pub fn bad_identifier(name: &str) -> Option<String> {
    let rest = name.strip_prefix("SERVICE_")?;
    let (ty, after) = rest.split_once('_')?;
    if !TYPES.contains(&ty) {
        return None;
    }
    let id = match after.split_once('_') {
        Some(("32" | "64" | "128", id)) => id,
        _ => after,
    };
    (id.contains('_') && !id.is_empty()).then(|| id.to_string())
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for c in model.deploy_composes() {
        let Some(text) = model.file_text(&c.rel) else { continue };
        let mut seen = std::collections::BTreeSet::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            let mut rest = line;
            while let Some(pos) = rest.find("SERVICE_") {
                let before = rest[..pos].chars().last();
                let tail = &rest[pos..];
                let end = tail
                    .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                    .unwrap_or(tail.len());
                let name = &tail[..end];
                rest = &tail[end.max(1)..];
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                if let Some(id) = bad_identifier(name) {
                    if seen.insert(name.to_string()) {
                        out.push(
                            Observation::at(
                                RULE.id,
                                &c.rel,
                                i + 1,
                                format!("`{name}` has the identifier `{id}`, but Coolify splits magic variable names on underscores and misreads it"),
                            )
                            .var("name", name.to_string())
                            .var("id", id.replace('_', ""))
                            .key(format!("{}:{name}", c.rel)),
                        );
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::bad_identifier;
    use crate::checks::testing::run;

    #[test]
    fn identifiers() {
        assert_eq!(bad_identifier("SERVICE_PASSWORD_DB_PASSWORD").as_deref(), Some("DB_PASSWORD"));
        assert_eq!(bad_identifier("SERVICE_PASSWORD_64_POSTGRES"), None);
        assert_eq!(bad_identifier("SERVICE_USER_POSTGRES"), None);
        assert_eq!(bad_identifier("SERVICE_FQDN_APP_3000"), None);
        assert_eq!(bad_identifier("SERVICE_URL_MY_APP"), None);
    }

    #[test]
    fn underscore_identifier_fires_and_single_words_do_not() {
        let y = "services:\n  app:\n    build: .\n    environment:\n      - SERVICE_FQDN_APP_3000\n      - DATABASE_URL=postgres://$SERVICE_USER_POSTGRES:${SERVICE_PASSWORD_DB_PASSWORD}@db/app\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${SERVICE_PASSWORD_64_POSTGRES}\n      # SERVICE_PASSWORD_OLD_ONE in a comment\n";
        let obs = run("coolify-magic-var-id", "coolify", &[("docker-compose.yml", y)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(6));
    }
}
