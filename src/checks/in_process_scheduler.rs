use super::{deployable_apps, Check, Ctx, Rule};
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "in-process-scheduler",
    aspect: Aspect::Statelessness,
    title: "Scheduled jobs run inside the web server process",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Finds jobs the web server schedules when its modules load (top level of a server module, or
Next.js `instrumentation` `register()`): node-cron / `cron` / croner / node-schedule / agenda /
Bree schedules, and `setInterval` with a period of 10 minutes or more. Reported where the
platform can scale the service to zero or run several instances. Code in client components,
files a package.json script runs, and worker entrypoints (`worker.ts`, `*-worker.ts`,
`workers/`) that the web service's start command does not run are not reported; nor are jobs
started inside a function, or BullMQ repeatable jobs (kept in Redis).

## Why it matters
A service that sleeps runs no job until a request wakes it; a service with several instances runs
every job once per instance (duplicate emails, double billing, concurrent cleanups). Restarts and
redeploys also reset the schedule.

## Example
```ts
cron.schedule('0 3 * * *', () => purgeExpiredSessions());   // in server.ts
```

## Fix
Run the job from the platform's scheduler (a cron job or scheduled service calling an endpoint or a
script), or from a single dedicated worker; keep the web service stateless.

## References
- https://github.com/node-cron/node-cron
- https://12factor.net/processes
"#;

/// Minimum `setInterval` period taken as a scheduled job rather than housekeeping.
const JOB_PERIOD_MS: u64 = 10 * 60 * 1000;

/// A worker entrypoint by its path: `worker.ts`, `email-worker.ts`, `workers/x.ts`.
fn worker_path(rel: &str) -> bool {
    let (dirs, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let stem = name.split('.').next().unwrap_or("");
    let dir_hit = !dirs.is_empty() && dirs.split('/').any(|s| matches!(s, "worker" | "workers"));
    dir_hit || matches!(stem, "worker" | "workers") || stem.ends_with("-worker") || stem.ends_with("Worker")
}

fn run(ctx: &Ctx) -> Vec<Observation> {
    let mut out = Vec::new();
    if !ctx.facts.scale_to_zero && !ctx.facts.multi_instance {
        return out;
    }
    let why = match (ctx.facts.scale_to_zero, ctx.facts.multi_instance) {
        (true, true) => format!(
            "{} can put the service to sleep (no job runs) or run several instances (each runs it)",
            ctx.platform.name
        ),
        (true, false) => format!("{} can put the service to sleep, and then no job runs", ctx.platform.name),
        _ => format!("{} can run several instances, and each one runs it", ctx.platform.name),
    };
    for app in deployable_apps(ctx.model) {
        for src in app.sources.iter().filter(|s| s.runtime && !s.facts.top_jobs.is_empty()) {
            if worker_path(app.local(&src.rel)) {
                let stem = src.rel.rsplit('/').next().unwrap_or(&src.rel).split('.').next().unwrap_or("");
                if !ctx.model.start_commands(app).iter().any(|c| c.text.contains(stem)) {
                    continue;
                }
            }
            for j in &src.facts.top_jobs {
                let what = if j.kind == "setInterval" {
                    match j.period_ms {
                        Some(p) if p >= JOB_PERIOD_MS => format!("`setInterval` every {} minutes", p / 60_000),
                        _ => continue,
                    }
                } else {
                    format!("`{}`", j.kind)
                };
                out.push(
                    Observation::at(RULE.id, &src.rel, j.line, format!("{what} schedules a job when the server starts; {why}"))
                        .var("kind", j.kind.clone())
                        .key(format!("{}:{}", src.rel, j.kind)),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, run, NEXT_PKG};

    #[test]
    fn worker_paths_by_folder_or_name() {
        for p in [
            "workers/mail.ts",
            "src/worker/index.ts",
            "src/worker.ts",
            "jobs/email-worker.js",
            "src/QueueWorker.ts",
            "worker",
        ] {
            assert!(super::worker_path(p), "{p}");
        }
        for p in ["src/networker.ts", "src/workerz/a.ts", "src/workers-ui.ts", "app/api/route.ts", ""] {
            assert!(!super::worker_path(p), "{p}");
        }
    }

    #[test]
    fn module_level_cron_and_long_interval_fire() {
        let src = "import cron from 'node-cron';\ncron.schedule('0 3 * * *', () => purge());\nsetInterval(sync, 60 * 60 * 1000);\nexport function GET() { return new Response('ok'); }\n";
        let obs = koyeb("in-process-scheduler", &[("package.json", NEXT_PKG), ("lib/housekeeping.ts", src)]);
        assert_eq!(obs.len(), 2, "{obs:?}");
        assert_eq!(obs[1].line, Some(3));
        assert!(run("in-process-scheduler", "vps", &[("package.json", NEXT_PKG), ("lib/housekeeping.ts", src)]).is_empty());
    }

    #[test]
    fn workers_short_intervals_functions_and_client_code_stay_silent() {
        let worker = "import cron from 'node-cron';\ncron.schedule('0 3 * * *', () => purge());\n";
        let short = "setInterval(() => cache.prune(), 60_000);\nexport function start() { const c = require('node-cron'); c.schedule('* * * * *', job); }\n";
        let client = "'use client';\nsetInterval(refresh, 30 * 60 * 1000);\n";
        let obs = koyeb(
            "in-process-scheduler",
            &[
                ("package.json", NEXT_PKG),
                ("src/worker.ts", worker),
                ("lib/cache.ts", short),
                ("components/c.tsx", client),
            ],
        );
        assert!(obs.is_empty(), "{obs:?}");
    }
}
