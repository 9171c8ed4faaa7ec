use super::{deployable_apps, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::env_file::is_secret_name;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "auth-check-fail-open",
    aspect: Aspect::Security,
    title: "An auth check lets every request through when its secret is unset",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds server code of the shape `if (process.env.X && token !== process.env.X) return 401` (or
`throw`), where `X` is a secret-like variable (`ADMIN_TOKEN`, `API_KEY`, `CRON_SECRET`…), also
through a constant holding `process.env.X`, or compared with a template such as
`` `Bearer ${process.env.X}` ``. The check only rejects when the variable is set. Health routes,
optionally protected by design, are not reported.

## Why it matters
When the variable is missing on the platform, the condition is false for every request and the
protected route (admin API, cron trigger, webhook) is open to anyone.

## Example
```ts
if (process.env.CRON_SECRET && req.headers.get('authorization') !== `Bearer ${process.env.CRON_SECRET}`) {
  return new Response('Unauthorized', { status: 401 });
}
```

## Fix
Reject when the secret is missing: `if (!process.env.X || token !== process.env.X) return 401`,
or validate it at start, then set it in the platform's secrets.

## References
- https://owasp.org/Top10/A07_2021-Identification_and_Authentication_Failures/
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        // A health route protected only when a key is set is open by design.
        let health: Vec<&str> = app
            .routes
            .iter()
            .filter(|r| super::no_health_route_paths().contains(&r.path.as_str()))
            .map(|r| r.file.as_str())
            .collect();
        for s in app.sources.iter().filter(|s| s.runtime && !health.contains(&s.rel.as_str())) {
            for (name, line) in s.facts.fail_open_auth.iter().filter(|(n, _)| is_secret_name(n)) {
                out.push(
                    Observation::at(
                        RULE.id,
                        &s.rel,
                        *line,
                        format!("this check only rejects requests when `{name}` is set: with the variable missing on the platform, every request passes"),
                    )
                    .var("name", name.clone())
                    .key(format!("{}:{name}", s.rel)),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn check_guarded_by_the_secret_fires_and_strict_checks_stay_silent() {
        let src = "export function GET(req: Request) {\n  if (process.env.CRON_SECRET && req.headers.get('authorization') !== process.env.CRON_SECRET) {\n    return new Response('no', { status: 401 });\n  }\n  return new Response('ok');\n}\n";
        let obs = koyeb("auth-check-fail-open", &[("package.json", NEXT_PKG), ("app/api/cron/route.ts", src)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(2));
        let strict = "export function GET(req: Request) {\n  if (!process.env.CRON_SECRET || req.headers.get('authorization') !== process.env.CRON_SECRET) {\n    return new Response('no', { status: 401 });\n  }\n  if (process.env.FEATURE_FLAG && req.url !== process.env.FEATURE_FLAG) return null;\n  return new Response('ok');\n}\n";
        assert!(koyeb("auth-check-fail-open", &[("package.json", NEXT_PKG), ("app/api/cron/route.ts", strict)]).is_empty());
    }
}
