use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "render-envgroup-invalid",
    aspect: Aspect::Environment,
    title: "An environment group uses fields only services may use",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds `envVarGroups` entries in render.yaml with `sync: false`, `fromDatabase` or `fromService`.

## Why it matters
Environment groups hold plain values only; Render rejects a Blueprint whose groups use these
fields, so nothing in the file is applied.

## Example
```yaml
envVarGroups:
  - name: shared
    envVars:
      - key: API_KEY
        sync: false
```

## Fix
Move those variables to the services' own `envVars`, keeping only literal values in the group.

## References
- https://render.com/docs/blueprint-spec#environment-groups
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for r in &model.render {
        for (group, bad) in &r.v.env_groups {
            for (key, what, line) in bad {
                out.push(
                    Observation::at(
                        RULE.id,
                        &r.rel,
                        *line,
                        format!("environment group `{group}` sets `{key}` with `{what}`, which groups do not accept"),
                    )
                    .key(format!("{group}:{key}")),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn sync_false_in_group_fires_and_literal_values_do_not() {
        let y = "envVarGroups:\n  - name: shared\n    envVars:\n      - key: API_KEY\n        sync: false\n";
        assert_eq!(run("render-envgroup-invalid", "render", &[("render.yaml", y)]).len(), 1);
        let ok = "envVarGroups:\n  - name: shared\n    envVars:\n      - key: LOG_LEVEL\n        value: info\n";
        assert!(run("render-envgroup-invalid", "render", &[("render.yaml", ok)]).is_empty());
    }
}
