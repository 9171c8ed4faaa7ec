use super::{deployable_apps, final_instructions, Check, Ctx, Rule};
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "dockerfile-env-port",
    aspect: Aspect::Networking,
    title: "The image sets ENV PORT to a port the platform does not route to by default",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Notes an `ENV PORT=<n>` (or `EXPOSE <n>`) in the final stage that differs from the port the
platform routes to by default.

## Why it matters
Platforms that inject `PORT` override the image's value at runtime, so `ENV PORT=3000` is not a
bug by itself; but the platform's port setting decides where traffic and health checks go. If it is
left at its default while the team expects 3000, or set to 3000 while the app reads the injected
value, the two disagree.

## Example
```dockerfile
ENV PORT=3000
EXPOSE 3000
```

## Fix
Set the platform's port to the value the app listens on (or leave the default and let the app read
the injected `PORT`).

## References
- https://www.koyeb.com/docs/build-and-deploy/environment-variables
"#;

fn run(ctx: &Ctx) -> Vec<Observation> {
    let mut out = Vec::new();
    let Some(default) = ctx.facts.default_port else { return out };
    for app in deployable_apps(ctx.model) {
        let Some(d) = ctx.model.dockerfile_of(app) else { continue };
        for ins in final_instructions(&d.df) {
            if ins.keyword != "ENV" {
                continue;
            }
            for (k, v) in ins.key_values() {
                if k != "PORT" {
                    continue;
                }
                let Some(port) = v.as_deref().and_then(|v| v.trim_matches('"').parse::<u16>().ok()) else {
                    continue;
                };
                if port != default {
                    let msg = if ctx.facts.injects_port {
                        format!(
                            "the image sets `PORT={port}`, but {} routes to port {default} unless {} is changed, and its injected `PORT` overrides this value",
                            ctx.platform.name, ctx.platform.port_setting
                        )
                    } else {
                        format!(
                            "the image sets `PORT={port}`, while {} routes to port {default} unless configured otherwise",
                            ctx.platform.name
                        )
                    };
                    out.push(
                        Observation::at(RULE.id, &d.rel, ins.line, msg)
                            .var("port", port.to_string())
                            .var("default_port", default.to_string())
                            .key(format!("{}:{port}", d.rel)),
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG, WITH_DOCKER};

    #[test]
    fn env_port_3000_is_noted_on_koyeb() {
        let obs = koyeb("dockerfile-env-port", &[("package.json", NEXT_PKG), ("Dockerfile", WITH_DOCKER)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(25));
    }

    #[test]
    fn default_port_or_no_env_stays_silent() {
        let df = WITH_DOCKER.replace("ENV PORT=3000", "ENV PORT=8000");
        assert!(koyeb("dockerfile-env-port", &[("package.json", NEXT_PKG), ("Dockerfile", &df)]).is_empty());
        let df = WITH_DOCKER.replace("ENV PORT=3000\n", "");
        assert!(koyeb("dockerfile-env-port", &[("package.json", NEXT_PKG), ("Dockerfile", &df)]).is_empty());
    }
}
