use super::{Ctx, Rule};
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "railway-config-deprecated",
    aspect: Aspect::Operations,
    title: "railway.json / railway.toml (Config as Code) stops being read on 2026-12-01",
    doc: DOC,
    run,
};

const DOC: &str = r#"## What it does
Reports a `railway.json` or `railway.toml`.

## Why it matters
Railway deprecated Config as Code: new services cannot opt in, and existing files stop being read on
2026-12-01. After that date the start command, health check path, pre-deploy command and replicas
written there silently fall back to the dashboard's values.

## Example
`railway.json` with `deploy.startCommand` and `deploy.healthcheckPath`.

## Fix
Move the settings to the service's dashboard settings, or to Railway's Infrastructure as Code
(`.railway/railway.ts`, applied with `railway config plan` / `apply`), then delete the file.

## References
- https://docs.railway.com/config-as-code/reference
- https://docs.railway.com/infrastructure-as-code
"#;

fn run(ctx: &Ctx) -> Vec<Observation> {
    ctx.model
        .railway
        .iter()
        .map(|r| {
            Observation::new(
                RULE.id,
                Some(&r.rel),
                Some(1),
                "Railway stops reading Config as Code files on 2026-12-01; the settings in this file will then be ignored",
            )
            .key(r.rel.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn railway_json_is_reported_and_its_absence_is_not() {
        assert_eq!(
            run(
                "railway-config-deprecated",
                "railway",
                &[("railway.json", "{\"deploy\": {\"startCommand\": \"npm start\"}}")]
            )
            .len(),
            1
        );
        assert!(run("railway-config-deprecated", "railway", &[("package.json", "{}")]).is_empty());
    }
}
