use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "railway-config-unknown-key",
    aspect: Aspect::Operations,
    title: "railway.json has a key Railway does not know",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Checks the keys of railway.json / railway.toml against the Config as Code schema (`build`,
`deploy`, `environments` and their documented fields) and reports the others, e.g.
`healthCheckPath` instead of `healthcheckPath`.

## Why it matters
An unknown key is not an error: the setting is silently ignored, and the deploy runs without the
health check or start command the file seems to set.

## Example
```json
{ "deploy": { "healthCheckPath": "/api/health" } }
```

## Fix
Use the documented spelling (`healthcheckPath`), or set it in the service's settings.

## References
- https://docs.railway.com/config-as-code/reference
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for r in &model.railway {
        for (key, line) in &r.v.unknown_keys {
            out.push(
                Observation::at(
                    RULE.id,
                    &r.rel,
                    *line,
                    format!("`{}` is not a Railway config key, so this setting is ignored", crate::text::sanitize(key)),
                )
                .var("name", key.clone())
                .key(key.clone()),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn misspelt_key_fires_and_documented_keys_do_not() {
        let bad = "{\n  \"deploy\": {\n    \"healthCheckPath\": \"/api/health\"\n  }\n}\n";
        let obs = run("railway-config-unknown-key", "railway", &[("railway.json", bad)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(3));
        let good = "{\"$schema\": \"https://railway.com/railway.schema.json\", \"build\": {\"builder\": \"DOCKERFILE\"}, \"deploy\": {\"healthcheckPath\": \"/api/health\", \"startCommand\": \"node server.js\"}}";
        assert!(run("railway-config-unknown-key", "railway", &[("railway.json", good)]).is_empty());
    }
}
