use super::ephemeral_disk_write::{container_path, declared_volume, is_log_write, local_target};
use super::{deployable_apps, Check, Ctx, Rule};
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "local-log-file",
    aspect: Aspect::Operations,
    title: "The server writes its logs to a file in the container",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Finds server code that writes logs to a local file: a winston `transports.File` or
`winston-daily-rotate-file` transport, `pino.destination('app.log')`, or an `fs` write to a path
ending in `.log` or under a `logs/` folder. Files under `/tmp` and paths covered by a volume the
platform reads from the repository are ignored.

## Why it matters
Platforms show and ship what a process prints to stdout and stderr. A log file is invisible in the
platform's log view, disappears with the container on an ephemeral disk, and can fill the disk of a
long-running container.

## Example
```ts
new winston.transports.File({ filename: 'logs/error.log' })
```

## Fix
Log to stdout/stderr (`new winston.transports.Console()`, pino's default destination) and let the
platform collect and retain logs; if a file is required, rotate it and mount a volume for it.

## References
- https://12factor.net/logs
- https://github.com/winstonjs/winston#transports
"#;

fn run(ctx: &Ctx) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(ctx.model) {
        for src in app.sources.iter().filter(|s| s.runtime) {
            let mut seen = Vec::new();
            for w in src
                .facts
                .fs_writes
                .iter()
                .filter(|w| is_log_write(w) && !w.func.starts_with("mkdir") && !w.func.starts_with("ensureDir"))
            {
                let Some((target, _)) = local_target(&w.path) else { continue };
                if target.is_empty() || target == "." || seen.contains(&target) {
                    continue;
                }
                if container_path(ctx, app, &target).is_some_and(|p| declared_volume(ctx, app, &p).is_some()) {
                    continue;
                }
                seen.push(target.clone());
                let place = if ctx.facts.ephemeral_disk {
                    format!("which {} discards on every restart and redeploy", ctx.platform.name)
                } else {
                    "where it grows until the container is recreated".to_string()
                };
                out.push(
                    Observation::at(
                        RULE.id,
                        &src.rel,
                        w.line,
                        format!(
                            "`{}` writes logs to `{target}` on the container's disk, {place}; the platform's log view only shows stdout and stderr",
                            w.func
                        ),
                    )
                    .var("path", target.clone())
                    .key(target),
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
    fn file_transports_and_log_paths_fire() {
        let src = "import winston from 'winston';\nimport fs from 'fs';\nexport const logger = winston.createLogger({ transports: [new winston.transports.File({ filename: 'logs/error.log' })] });\nconst out = fs.createWriteStream('app.log', { flags: 'a' });\n";
        let obs = koyeb("local-log-file", &[("package.json", NEXT_PKG), ("lib/logger.ts", src)]);
        assert_eq!(obs.len(), 2, "{obs:?}");
        assert_eq!(obs[0].line, Some(3));
        // Not reported as an ephemeral upload write as well.
        assert!(koyeb("ephemeral-disk-write", &[("package.json", NEXT_PKG), ("lib/logger.ts", src)]).is_empty());
    }

    #[test]
    fn console_tmp_and_script_logs_stay_silent() {
        let src = "import winston from 'winston';\nimport pino from 'pino';\nexport const logger = winston.createLogger({ transports: [new winston.transports.Console(), new winston.transports.File({ filename: '/tmp/app.log' })] });\nexport const p = pino(pino.destination(1));\n";
        let script = "import fs from 'fs';\nfs.appendFileSync('logs/migrate.log', 'x');\n";
        let obs = koyeb(
            "local-log-file",
            &[("package.json", NEXT_PKG), ("lib/logger.ts", src), ("scripts/migrate.ts", script)],
        );
        assert!(obs.is_empty(), "{obs:?}");
    }
}
