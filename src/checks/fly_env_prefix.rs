use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "fly-env-prefix",
    aspect: Aspect::Environment,
    title: "fly.toml [env] sets a FLY_ variable",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds keys in fly.toml `[env]` that start with `FLY_`.

## Why it matters
The `FLY_` prefix is reserved for variables the Fly.io runtime sets (`FLY_APP_NAME`, `FLY_REGION`,
…); names with it cannot be set in `[env]`.

## Example
```toml
[env]
  FLY_REGION = "fra"
```

## Fix
Rename the variable (and its reads), or use the value Fly sets.

## References
- https://fly.io/docs/reference/configuration/#the-env-variables-section
- https://fly.io/docs/machines/runtime-environment/
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for f in &model.fly {
        for (k, _, line) in &f.v.env {
            if k.starts_with("FLY_") {
                out.push(
                    Observation::at(
                        RULE.id,
                        &f.rel,
                        *line,
                        format!(
                            "`[env]` sets `{}`, but the `FLY_` prefix is reserved for the Fly runtime",
                            crate::text::sanitize(k)
                        ),
                    )
                    .var("name", k.clone())
                    .key(k.clone()),
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
    fn fly_prefixed_env_fires_and_others_do_not() {
        let fly = "app = \"a\"\n[env]\n  NODE_ENV = \"production\"\n  FLY_REGION = \"fra\"\n";
        let obs = run("fly-env-prefix", "fly", &[("fly.toml", fly)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(4));
        assert!(run("fly-env-prefix", "fly", &[("fly.toml", "app = \"a\"\n[env]\n  MY_FLY = \"x\"\n")]).is_empty());
    }
}
