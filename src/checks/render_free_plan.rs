use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "render-free-plan",
    aspect: Aspect::Operations,
    title: "render.yaml uses a paid feature on the free plan",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
For a render.yaml service with `plan: free`, reports a `disk` or a `preDeployCommand`.

## Why it matters
Persistent disks and pre-deploy commands are available on paid instance types only: on the free
plan the Blueprint cannot create the disk, and migrations written as a pre-deploy command do not
run.

## Example
```yaml
- type: web
  plan: free
  preDeployCommand: npx prisma migrate deploy
```

## Fix
Choose a paid plan (`starter` or above), or move migrations into the start command and data to a
managed database or object storage.

## References
- https://render.com/docs/disks
- https://render.com/docs/deploys#pre-deploy-command
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for r in &model.render {
        for s in &r.v.services {
            if s.plan.as_ref().map(|(p, _)| p.as_str()) != Some("free") {
                continue;
            }
            if let Some((_, line)) = &s.disk {
                out.push(
                    Observation::at(
                        RULE.id,
                        &r.rel,
                        *line,
                        format!("service `{}` is on the free plan, which has no persistent disks", s.name),
                    )
                    .key(format!("{}:disk", s.name)),
                );
            }
            if let Some((_, line)) = &s.pre_deploy_command {
                out.push(
                    Observation::at(
                        RULE.id,
                        &r.rel,
                        *line,
                        format!("service `{}` is on the free plan, where the pre-deploy command does not run", s.name),
                    )
                    .key(format!("{}:predeploy", s.name)),
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
    fn free_plan_disk_fires_and_paid_plan_does_not() {
        let y = "services:\n  - type: web\n    name: a\n    plan: free\n    disk:\n      name: d\n      mountPath: /data\n";
        assert_eq!(run("render-free-plan", "render", &[("render.yaml", y)]).len(), 1);
        assert!(run("render-free-plan", "render", &[("render.yaml", &y.replace("free", "starter"))]).is_empty());
    }
}
