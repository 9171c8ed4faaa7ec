use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "render-deprecated-keys",
    aspect: Aspect::Operations,
    title: "render.yaml uses deprecated Blueprint fields",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Reports deprecated render.yaml fields: `env:` (now `runtime:`), `autoDeploy` (now
`autoDeployTrigger`), `previewsEnabled` and the `redis` service type (now `keyvalue`).

## Why it matters
Deprecated fields keep working for now but are slated for removal; new options are only documented
under the new names.

## Example
```yaml
- type: web
  env: node
```

## Fix
Rename to the current field (`runtime: node`, `autoDeployTrigger: commit`, `type: keyvalue`).

## References
- https://render.com/docs/blueprint-spec
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for r in &model.render {
        for s in &r.v.services {
            for (key, line) in &s.deprecated {
                out.push(
                    Observation::at(
                        RULE.id,
                        &r.rel,
                        *line,
                        format!("service `{}` uses the deprecated Blueprint field `{key}`", s.name),
                    )
                    .key(format!("{}:{key}", s.name)),
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
    fn env_field_fires_and_runtime_does_not() {
        assert_eq!(
            run(
                "render-deprecated-keys",
                "render",
                &[("render.yaml", "services:\n  - type: web\n    name: a\n    env: node\n")]
            )
            .len(),
            1
        );
        assert!(run(
            "render-deprecated-keys",
            "render",
            &[("render.yaml", "services:\n  - type: web\n    name: a\n    runtime: node\n")]
        )
        .is_empty());
    }
}
