use super::{Check, Ctx, Rule};
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "volume-with-replicas",
    aspect: Aspect::Statelessness,
    title: "Several instances are configured for a service that needs a single-instance volume",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Reads the instance count from the file the platform uses and reports it when it is above one
while the service depends on a volume: a render.yaml service with a `disk` and `numInstances` /
`scaling.maxInstances` above 1; a railway.json/toml `numReplicas` above 1 for an app that keeps
data on local disk (a SQLite database or files written at runtime), which must live on a volume.

## Why it matters
Render attaches a disk to exactly one instance and a service with a disk cannot scale; Railway
does not allow replicas on a service with a volume. Either the deploy is refused, or each
instance gets its own disk and users see different data depending on which one answers.

## Example
```yaml
services:
  - type: web
    name: app
    numInstances: 2
    disk:
      name: uploads
      mountPath: /var/data
```

## Fix
Keep the service at one instance, or move the data off the instance (managed Postgres instead of
SQLite, object storage for files) and then scale.

## References
- https://render.com/docs/disks
- https://docs.railway.com/volumes/reference
"#;

fn run(ctx: &Ctx) -> Vec<Observation> {
    let m = ctx.model;
    let mut out = Vec::new();
    match ctx.facts.config_file.as_str() {
        "render.yaml" => {
            for r in &m.render {
                for s in &r.v.services {
                    let Some((mount, _)) = &s.disk else { continue };
                    let n = [s.num_instances, s.scaling_max].into_iter().flatten().find(|(n, _)| *n > 1);
                    if let Some((n, line)) = n {
                        out.push(
                            Observation::at(
                                RULE.id,
                                &r.rel,
                                line,
                                format!(
                                    "service `{}` asks for {n} instances, but its disk at `{}` attaches to a single instance",
                                    crate::text::sanitize(&s.name),
                                    crate::text::sanitize(mount)
                                ),
                            )
                            .var("count", n.to_string())
                            .key(format!("{}:{}", r.rel, s.name)),
                        );
                    }
                }
            }
        }
        "railway" => {
            for r in &m.railway {
                let Some((n, line)) = r.v.replicas.filter(|(n, _)| *n > 1) else { continue };
                let Some(app) = super::app_for_config(m, &r.rel) else { continue };
                let sqlite = app.prisma.as_ref().and_then(|p| {
                    p.v.datasources
                        .iter()
                        .find_map(|d| d.provider.as_ref().filter(|(v, _)| v == "sqlite").map(|(_, l)| (p.rel.clone(), *l)))
                });
                let writes = if sqlite.is_none() {
                    super::ephemeral_disk_write::RULE
                        .observe(ctx)
                        .into_iter()
                        .next()
                        .and_then(|o| Some((o.file?, o.line?)))
                } else {
                    None
                };
                let Some((file, at)) = sqlite.clone().or(writes) else { continue };
                let what = if sqlite.is_some() { "a SQLite database" } else { "files on local disk" };
                out.push(
                    Observation::at(
                        RULE.id,
                        &r.rel,
                        line,
                        format!("`numReplicas` is {n}, but the app keeps {what}, which needs a volume, and Railway does not allow replicas with a volume"),
                    )
                    .related(&file, Some(at), format!("{what} here"))
                    .var("count", n.to_string())
                    .key(format!("{}:replicas", r.rel)),
                );
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{run, NEXT_PKG};

    #[test]
    fn render_disk_with_instances_and_railway_replicas_with_sqlite_fire() {
        let y = "services:\n  - type: web\n    name: app\n    plan: starter\n    numInstances: 2\n    disk:\n      name: d\n      mountPath: /var/data\n";
        let obs = run("volume-with-replicas", "render", &[("render.yaml", y)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(5));
        let schema = "datasource db {\n  provider = \"sqlite\"\n  url = \"file:./dev.db\"\n}\n";
        let rw = "{\"deploy\": {\"numReplicas\": 3}}";
        let obs = run(
            "volume-with-replicas",
            "railway",
            &[("package.json", NEXT_PKG), ("prisma/schema.prisma", schema), ("railway.json", rw)],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
    }

    #[test]
    fn one_instance_or_stateless_replicas_stay_silent() {
        let y = "services:\n  - type: web\n    name: app\n    plan: starter\n    numInstances: 1\n    disk:\n      name: d\n      mountPath: /var/data\n";
        assert!(run("volume-with-replicas", "render", &[("render.yaml", y)]).is_empty());
        let y2 = "services:\n  - type: web\n    name: app\n    plan: starter\n    numInstances: 3\n";
        assert!(run("volume-with-replicas", "render", &[("render.yaml", y2)]).is_empty());
        let schema = "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n";
        let rw = "{\"deploy\": {\"numReplicas\": 3}}";
        assert!(run(
            "volume-with-replicas",
            "railway",
            &[("package.json", NEXT_PKG), ("prisma/schema.prisma", schema), ("railway.json", rw)]
        )
        .is_empty());
    }
}
