//! Apply a pack to the model: findings with severities and advice, the verdict per target and per
//! aspect, and the deployment plan (settings, env vars, checklist) the repository implies.

use crate::checks::{self, Ctx, RULES};
use crate::model::Model;
use crate::packs::{fill, Pack};
use crate::report::*;
use std::collections::BTreeMap;

/// FNV-1a over the parts: a fingerprint that survives line shifts and unrelated edits.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0u8)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}

pub fn evaluate(model: &Model, pack: &Pack) -> TargetReport {
    let ctx = Ctx {
        model,
        facts: &pack.facts,
        platform: &pack.platform,
    };
    let mut findings = Vec::new();
    for rule in RULES {
        let Some(advice) = pack.advice(rule.id) else { continue };
        let Some(severity) = advice.severity.severity() else { continue };
        for o in (rule.run)(&ctx) {
            let key = if o.key.is_empty() { o.message.clone() } else { o.key.clone() };
            findings.push(Finding {
                rule: rule.id.to_string(),
                severity,
                aspect: rule.aspect,
                fingerprint: fingerprint(&[rule.id, o.file.as_deref().unwrap_or(""), &key]),
                message: o.message,
                file: o.file,
                line: o.line,
                fix: fill(&advice.fix, &o.vars),
                docs: advice.docs.clone(),
                related: o.related,
            });
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.file.cmp(&b.file))
            .then(a.line.cmp(&b.line))
            .then(a.rule.cmp(&b.rule))
    });
    findings.dedup_by(|a, b| a.rule == b.rule && a.file == b.file && a.line == b.line && a.message == b.message);
    let mut counts = Counts::default();
    for f in &findings {
        match f.severity {
            Severity::Critical => counts.critical += 1,
            Severity::Warning => counts.warning += 1,
            Severity::Info => counts.info += 1,
        }
    }
    let verdict = if counts.critical > 0 {
        Verdict::NotReady
    } else if counts.warning > 0 {
        Verdict::ReadyWithChanges
    } else {
        Verdict::Ready
    };
    let aspects = Aspect::ALL
        .iter()
        .map(|&a| {
            let of = |s: Severity| findings.iter().filter(|f| f.aspect == a && f.severity == s).count();
            let (c, w, i) = (of(Severity::Critical), of(Severity::Warning), of(Severity::Info));
            let status = if c > 0 {
                AspectStatus::Blocked
            } else if w > 0 {
                AspectStatus::Partial
            } else {
                AspectStatus::Ok
            };
            AspectSummary {
                aspect: a,
                status,
                critical: c,
                warning: w,
                info: i,
            }
        })
        .collect();
    let settings = plan(&ctx);
    let env = env_rows(&ctx);
    let checklist = checklist(&ctx, &findings);
    TargetReport {
        target: pack.platform.id.clone(),
        platform: pack.platform.name.clone(),
        verdict,
        counts,
        aspects,
        findings,
        settings,
        env,
        checklist,
    }
}

fn setting(name: &str, value: impl Into<String>, from_repo: bool) -> Setting {
    Setting {
        name: name.to_string(),
        value: value.into(),
        source: if from_repo { "repository".into() } else { "verify".into() },
    }
}

/// The exact platform settings the repository implies.
fn plan(ctx: &Ctx) -> Vec<Setting> {
    let m = ctx.model;
    let mut out = Vec::new();
    if m.apps.is_empty() {
        return out;
    }
    let app = &m.apps[m.primary_app()];
    if !app.dir.is_empty() {
        out.push(setting("App directory", app.dir.clone(), true));
    }
    match m.dockerfile_of(app) {
        Some(d) => {
            out.push(setting("Builder", "Dockerfile", true));
            out.push(setting("Dockerfile location", d.rel.clone(), true));
            out.push(setting(
                "Build context (work directory)",
                if d.context.is_empty() {
                    "repository root".to_string()
                } else {
                    d.context.clone()
                },
                true,
            ));
            if let Some(s) = d.df.final_stage() {
                if let Some(n) = &s.name {
                    out.push(setting("Target stage", n.clone(), true));
                }
            }
        }
        None => {
            out.push(setting("Builder", "Buildpack (no Dockerfile in the repository)", true));
            if let Some((_, cmd, _)) = app.package.as_ref().and_then(|p| p.v.script("build")) {
                out.push(setting("Build command", format!("npm run build ({cmd})"), true));
            }
        }
    }
    let cmds = m.start_commands(app);
    if let Some(c) = cmds.iter().find(|c| c.via == "CMD" || c.via == "npm start").or(cmds.first()) {
        out.push(setting(
            "Run command",
            format!("{} ({} in {}:{})", crate::text::sanitize(&c.text), c.via, c.file, c.line),
            true,
        ));
    }
    // Port: what the app listens on, as far as the files show.
    let literal = app
        .sources
        .iter()
        .filter(|s| s.runtime)
        .flat_map(|s| s.facts.listens.iter())
        .find_map(|l| match l.port {
            crate::parse::source::PortExpr::Literal(p) => Some(p),
            _ => None,
        });
    let port = match (literal, ctx.facts.default_port) {
        (Some(p), _) => setting(
            "Port",
            format!("{p} (the app listens on a fixed port: set {} to {p})", ctx.platform.port_setting),
            false,
        ),
        (None, Some(d)) if ctx.facts.injects_port => setting("Port", format!("{d} ({} default; the app reads the injected PORT)", ctx.platform.name), false),
        (None, _) if ctx.facts.injects_port => setting("Port", format!("the port {} injects in PORT (the app reads it)", ctx.platform.name), false),
        (None, _) => match checks::listen_port(ctx.model, app, None) {
            Some((p, how, file, line)) => setting("Port", format!("{p} ({how}, {file}:{line}); set {} to {p}", ctx.platform.port_setting), true),
            None => setting("Port", "the port the app listens on (PORT is not injected)", false),
        },
    };
    out.push(port);
    let health = app.routes.iter().find(|r| checks::no_health_route_paths().contains(&r.path.as_str()));
    match health {
        Some(r) => out.push(setting("Health check", format!("HTTP GET {} ({})", r.path, r.file), true)),
        None => out.push(setting(
            "Health check",
            format!("{} (platform default; the app has no health route)", ctx.facts.health_default.to_uppercase()),
            false,
        )),
    }
    if let Some(g) = ctx.facts.health_grace_seconds {
        out.push(setting(
            "Health check grace period",
            format!("{g} s by default; raise it if the start command migrates or seeds"),
            false,
        ));
    }
    // Release / pre-deploy command: what the platform's config file declares, else the setting to use.
    let m = ctx.model;
    let declared = match ctx.facts.config_file.as_str() {
        "fly.toml" => m
            .fly
            .iter()
            .find_map(|f| f.v.release_command.as_ref().map(|(c, l)| (c.clone(), f.rel.clone(), *l))),
        "render.yaml" => m.render.iter().find_map(|r| {
            r.v.services
                .iter()
                .find_map(|s| s.pre_deploy_command.as_ref().map(|(c, l)| (c.clone(), r.rel.clone(), *l)))
        }),
        "railway" => m
            .railway
            .iter()
            .find_map(|r| r.v.pre_deploy.first().map(|(c, l)| (c.clone(), r.rel.clone(), *l))),
        _ => None,
    };
    match declared {
        Some((cmd, file, line)) => out.push(setting(
            "Release / pre-deploy command",
            format!("{} ({file}:{line})", crate::text::sanitize(&cmd)),
            true,
        )),
        None if app.prisma.is_some() && !ctx.facts.release_command.is_empty() => out.push(setting(
            "Release / pre-deploy command",
            format!("{}: `npx prisma migrate deploy`", ctx.facts.release_command),
            false,
        )),
        None => {}
    }
    // Volumes the repository declares for the platform that reads them.
    let volumes: Vec<String> = match ctx.facts.volumes.as_str() {
        "fly.toml" => m
            .fly
            .iter()
            .flat_map(|f| f.v.mounts.iter().map(move |(src, dst, l)| format!("{src} → {dst} ({}:{l})", f.rel)))
            .collect(),
        "render.yaml" => m
            .render
            .iter()
            .flat_map(|r| {
                r.v.services
                    .iter()
                    .filter_map(move |s| s.disk.as_ref().map(|(p, l)| format!("disk at {p} ({}:{l})", r.rel)))
            })
            .collect(),
        "compose" => m
            .deploy_composes()
            .into_iter()
            .flat_map(|c| {
                c.v.services.iter().flat_map(move |s| {
                    s.volumes
                        .iter()
                        .filter(|v| v.source.is_some())
                        .map(move |v| format!("{}: {} ({}:{})", s.name, v.target, c.rel, v.line))
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    if !volumes.is_empty() {
        out.push(setting("Volumes", volumes.join("; "), true));
    } else if ctx.facts.ephemeral_disk {
        out.push(setting(
            "Volumes",
            format!("none declared; {} keeps no local files across redeploys", ctx.platform.name),
            false,
        ));
    }
    if app.uses_prisma() && app.prisma.is_some() {
        out.push(setting("Migrations", ctx.facts.migrations_advice.clone(), false));
    }
    out
}

/// Required / optional / secret environment variables, with purpose and where they are read.
fn env_rows(ctx: &Ctx) -> Vec<EnvVarRow> {
    let reads = checks::env_reads(ctx);
    let mut rows: BTreeMap<String, EnvVarRow> = BTreeMap::new();
    let schema_read = |file: &str, name: &str, line: usize| {
        ctx.model
            .apps
            .iter()
            .flat_map(|a| a.sources.iter())
            .filter(|s| s.rel == file)
            .any(|s| s.facts.env_reads.iter().any(|r| r.schema && r.name == name && r.line == line))
    };
    for (name, (file, line, has_default)) in &reads {
        if checks::env_builtin(name) {
            continue;
        }
        let how = if schema_read(file, name, *line) { " (env schema)" } else { "" };
        rows.insert(
            name.clone(),
            EnvVarRow {
                name: name.clone(),
                need: if *has_default { "optional".into() } else { "required".into() },
                secret: crate::parse::env_file::is_secret_name(name),
                purpose: String::new(),
                read_in: Some(format!("{file}:{line}{how}")),
                documented_in: None,
            },
        );
    }
    // NEXT_PUBLIC_ variables read only in client components still have to be set for the build.
    for app in checks::deployable_apps(ctx.model) {
        for s in app
            .sources
            .iter()
            .filter(|s| !s.runtime && s.facts.directives.iter().any(|d| d == "use client"))
        {
            for r in s
                .facts
                .env_reads
                .iter()
                .filter(|r| r.name.starts_with("NEXT_PUBLIC_") && !checks::env_builtin(&r.name))
            {
                let row = rows.entry(r.name.clone()).or_insert_with(|| EnvVarRow {
                    name: r.name.clone(),
                    need: if r.has_default { "optional".into() } else { "required".into() },
                    secret: false,
                    purpose: String::new(),
                    read_in: None,
                    documented_in: None,
                });
                if row.read_in.is_none() {
                    row.read_in = Some(format!("{}:{} (client, inlined at build)", s.rel, r.line));
                }
            }
        }
    }
    for row in rows.values_mut() {
        row.secret |= checks::next_public_secret_name(&row.name);
    }
    for e in ctx.model.env_files.iter().filter(|e| e.template) {
        for x in &e.entries {
            if checks::env_builtin(&x.name) {
                continue;
            }
            let row = rows.entry(x.name.clone()).or_insert_with(|| EnvVarRow {
                name: x.name.clone(),
                need: "optional".into(),
                secret: x.secret_name,
                purpose: String::new(),
                read_in: None,
                documented_in: None,
            });
            row.secret |= x.secret_name;
            if row.documented_in.is_none() {
                row.documented_in = Some(format!("{}:{}", e.rel, x.line));
            }
            if row.purpose.is_empty() {
                if let Some(c) = &x.comment {
                    row.purpose = crate::text::sanitize(c.trim());
                }
            }
        }
    }
    for (name, (min, file, line)) in checks::env_minimums(ctx) {
        if let Some(row) = rows.get_mut(&name) {
            let note = format!("at least {min} characters ({file}:{line})");
            if row.purpose.contains(&min.to_string()) {
                // The template's comment already says it.
            } else if row.purpose.is_empty() {
                row.purpose = note;
            } else {
                row.purpose = format!("{}; {note}", row.purpose.trim_end_matches('.'));
            }
        }
    }
    rows.into_values().collect()
}

fn checklist(ctx: &Ctx, findings: &[Finding]) -> Vec<String> {
    let m = ctx.model;
    let mut out = Vec::new();
    if m.apps.is_empty() {
        return out;
    }
    let app = &m.apps[m.primary_app()];
    match app.routes.iter().find(|r| checks::no_health_route_paths().contains(&r.path.as_str())) {
        Some(r) => out.push(format!(
            "`GET {}` on the live URL returns 200 and the {} health check is green.",
            r.path, ctx.platform.name
        )),
        None => out.push(format!("The {} health check is green and the home page loads over HTTPS.", ctx.platform.name)),
    }
    if app.prisma.is_some() {
        out.push("Migrations are applied on the production database (`prisma migrate status` shows none pending).".to_string());
    }
    let has = |rule: &str| findings.iter().any(|f| f.rule == rule);
    if has("ephemeral-disk-write") {
        out.push("An upload survives a restart of the service (files land in object storage or a volume).".to_string());
    }
    if has("in-app-db-backup") {
        out.push("Backups exist outside the instance (provider backups or object storage), and a restore has been tried.".to_string());
    }
    if has("long-lived-responses") {
        out.push("Realtime streams (SSE) stay connected for several minutes and reconnect after a redeploy.".to_string());
    }
    if app.is_next() {
        out.push("Static assets (`/_next/static/...`) and images load without 404s.".to_string());
    }
    out.push(format!(
        "Every required environment variable is set in {}; secrets are stored as secrets.",
        ctx.platform.env_setting
    ));
    out
}
