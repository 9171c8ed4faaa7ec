use super::{app_for_config, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::platform::fly_memory_mb;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "fly-vm-memory",
    aspect: Aspect::Operations,
    title: "A Next.js app on a 256 MB Fly Machine",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
For a Next.js app, reads fly.toml `[[vm]]`: no `[[vm]]` section (Machines fall back to
shared-cpu-1x with 256 MB), a `size` of `shared-cpu-1x`, or `memory` under 512 MB.

## Why it matters
A Next.js server with its caches rarely fits in 256 MB: the Machine is OOM-killed under load or
while rendering large pages. Fly's own Next.js launcher proposes 1 GB.

## Example
```toml
[[vm]]
  memory = "256mb"
```

## Fix
```toml
[[vm]]
  memory = "1gb"
```

## References
- https://fly.io/docs/js/frameworks/nextjs/
- https://fly.io/docs/reference/configuration/#the-vm-section
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for f in model.fly_building() {
        let Some(app) = app_for_config(model, &f.rel) else { continue };
        if !app.is_next() {
            continue;
        }
        // A fly.toml beside another language's project (a Go service's `go.mod`) deploys that
        // service, not the Next.js app the folder falls back to.
        let dir = crate::text::parent(&f.rel);
        let foreign = [
            "go.mod",
            "Cargo.toml",
            "requirements.txt",
            "pyproject.toml",
            "Gemfile",
            "composer.json",
            "mix.exs",
            "deno.json",
        ]
        .iter()
        .any(|m| model.paths.contains(&crate::text::join(dir, m)));
        if !dir.is_empty() && dir != app.dir && foreign && !model.paths.contains(&crate::text::join(dir, "package.json")) {
            continue;
        }
        if !f.v.has_vm {
            out.push(
                Observation::new(
                    RULE.id,
                    Some(&f.rel),
                    Some(1),
                    "fly.toml has no `[[vm]]` section, so Machines can fall back to 256 MB, too little for a Next.js server",
                )
                .key(f.rel.clone()),
            );
            continue;
        }
        let small_mem = f.v.vm_memory.iter().find(|(m, _)| fly_memory_mb(m).is_some_and(|mb| mb < 512));
        let small_size =
            f.v.vm_memory
                .is_empty()
                .then(|| f.v.vm_size.iter().find(|(s, _)| s == "shared-cpu-1x"))
                .flatten();
        if let Some((m, line)) = small_mem.or(small_size) {
            out.push(
                Observation::at(
                    RULE.id,
                    &f.rel,
                    *line,
                    format!("the Machine gets `{}`, under the 512 MB a Next.js server needs", crate::text::sanitize(m)),
                )
                .key(f.rel.clone()),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{run, NEXT_PKG};

    #[test]
    fn small_or_missing_vm_fires() {
        assert_eq!(
            run(
                "fly-vm-memory",
                "fly",
                &[("package.json", NEXT_PKG), ("fly.toml", "app = \"a\"\n[[vm]]\n  memory = \"256mb\"\n")]
            )
            .len(),
            1
        );
        assert_eq!(
            run("fly-vm-memory", "fly", &[("package.json", NEXT_PKG), ("fly.toml", "app = \"a\"\n")]).len(),
            1
        );
    }

    #[test]
    fn one_gigabyte_or_non_next_stays_silent() {
        assert!(run(
            "fly-vm-memory",
            "fly",
            &[("package.json", NEXT_PKG), ("fly.toml", "app = \"a\"\n[[vm]]\n  memory = \"1gb\"\n")]
        )
        .is_empty());
        let pkg = "{\"scripts\":{\"start\":\"node server.js\"}}";
        assert!(run("fly-vm-memory", "fly", &[("package.json", pkg), ("fly.toml", "app = \"a\"\n")]).is_empty());
    }

    #[test]
    fn a_fly_toml_of_another_languages_service_stays_silent() {
        let fly = "app = \"ssh\"\n[[vm]]\n  memory = \"256MB\"\n";
        let files = [
            ("package.json", NEXT_PKG),
            ("services/ssh/fly.toml", fly),
            ("services/ssh/go.mod", "module x\n"),
        ];
        assert!(run("fly-vm-memory", "fly", &files).is_empty());
        let files = [("package.json", NEXT_PKG), ("services/ssh/fly.toml", fly)];
        assert_eq!(run("fly-vm-memory", "fly", &files).len(), 1);
    }
}
