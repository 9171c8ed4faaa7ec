use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "fly-volume-strategy",
    aspect: Aspect::Operations,
    title: "Canary or blue-green deploys with a volume",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Fires when fly.toml has `[[mounts]]` and `[deploy] strategy` is `canary` or `bluegreen`.

## Why it matters
Fly.io does not allow the canary and blue-green strategies for apps with volumes: a volume belongs
to one Machine, and these strategies need a second Machine with the same mount. The deploy fails.

## Example
```toml
[[mounts]]
  source = "data"
  destination = "/data"
[deploy]
  strategy = "bluegreen"
```

## Fix
Use `strategy = "rolling"` (the default) or `"immediate"`, or move the data off the volume.

## References
- https://fly.io/docs/reference/configuration/#picking-a-deployment-strategy
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for f in &model.fly {
        let Some((strategy, line)) = &f.v.strategy else { continue };
        if f.v.mounts.is_empty() || !matches!(strategy.as_str(), "canary" | "bluegreen") {
            continue;
        }
        out.push(
            Observation::at(
                RULE.id,
                &f.rel,
                *line,
                format!("`strategy = \"{strategy}\"` is not allowed for an app with `[[mounts]]`, so the deploy fails"),
            )
            .related(&f.rel, f.v.mounts.first().map(|m| m.2), "the volume")
            .key(f.rel.clone()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn bluegreen_with_mounts_fires_and_rolling_does_not() {
        let fly = "app = \"a\"\n[[mounts]]\n  source = \"d\"\n  destination = \"/data\"\n[deploy]\n  strategy = \"bluegreen\"\n";
        assert_eq!(run("fly-volume-strategy", "fly", &[("fly.toml", fly)]).len(), 1);
        assert!(run("fly-volume-strategy", "fly", &[("fly.toml", &fly.replace("bluegreen", "rolling"))]).is_empty());
        assert!(run(
            "fly-volume-strategy",
            "fly",
            &[("fly.toml", "app = \"a\"\n[deploy]\n  strategy = \"canary\"\n")]
        )
        .is_empty());
    }
}
