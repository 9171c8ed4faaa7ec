//! Apply a pack to the model: findings with severities and advice, the verdict per target and per
//! aspect, and the deployment plan (settings, env vars, checklist) the repository implies.

use crate::checks::{self, Ctx, RULES};
use crate::model::Model;
use crate::observe::Observation;
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

/// Evaluate every pack (with its tuning) against the model, on every core: first the
/// repository-scoped rules that some pack enables, each computed once and shared through the
/// model's memo, side by side; then the targets, each starting at a different rule. The reports
/// come back in pack order and do not depend on the scheduling.
pub fn evaluate_all(model: &Model, packs: &[Pack], tunings: &[crate::config::Tuning]) -> Vec<TargetReport> {
    evaluate_all_with(model, packs, tunings, &|_| ()).into_iter().map(|(r, ())| r).collect()
}

/// [`evaluate_all`], with `after` applied to each target's report by the worker that evaluated
/// it, as soon as it is done (the command writes a target's JSON there, while the other targets
/// are still being checked).
pub fn evaluate_all_with<T: Send + Sync>(
    model: &Model,
    packs: &[Pack],
    tunings: &[crate::config::Tuning],
    after: &(dyn Fn(&TargetReport) -> T + Sync),
) -> Vec<(TargetReport, T)> {
    // Before the targets: the repository-scoped rules, the analyses target rules share (both
    // only when a target runs the rule) and the env table every report holds, in one queue.
    enum First<'r> {
        Repo(&'r checks::Rule),
        Shared(&'r checks::Shared),
        EnvTable,
    }
    let facts: Vec<crate::packs::Facts> = packs.iter().zip(tunings).map(|(p, t)| target_facts(p, t)).collect();
    let runs = |id: &'static str| packs.iter().zip(tunings).zip(&facts).filter(move |((p, t), _)| enabled(p, t, id).is_some());
    let first: Vec<First> = RULES
        .iter()
        .filter(|r| r.is_repo() && runs(r.id).next().is_some())
        .map(|r| First::Repo(r))
        .chain(
            checks::SHARED
                .iter()
                .filter(|s| runs(s.rule.id).any(|((_, t), f)| (s.wanted)(f, t)))
                .map(First::Shared),
        )
        .chain((!packs.is_empty()).then_some(First::EnvTable))
        .collect();
    let jobs = first.len() + packs.len();
    let threads = crate::pool::cores().clamp(1, 8).min(jobs.max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let reports: Vec<std::sync::OnceLock<(TargetReport, T)>> = packs.iter().map(|_| std::sync::OnceLock::new()).collect();
    let work = || loop {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if i >= jobs {
            return;
        }
        if let Some(job) = first.get(i) {
            match job {
                First::Repo(rule) => rule.prepare(model),
                First::Shared(s) => (s.compute)(model),
                First::EnvTable => drop(env_table(model)),
            }
            continue;
        }
        let k = i - first.len();
        let report = evaluate_from(model, &packs[k], &tunings[k], k * RULES.len() / packs.len());
        let extra = after(&report);
        let _ = reports[k].set((report, extra));
    };
    // This thread is one of the workers.
    crate::pool::together(threads - 1, &work);
    reports
        .into_iter()
        .zip(packs.iter().zip(tunings))
        // (Every slot is filled: a worker that panicked has taken the scope down with it.)
        .map(|(slot, (p, t))| {
            slot.into_inner().unwrap_or_else(|| {
                let report = evaluate_with(model, p, t);
                let extra = after(&report);
                (report, extra)
            })
        })
        .collect()
}

/// The advice and severity a pack (with its tuning) gives rule `id`; `None` when it is off.
fn enabled<'p>(pack: &'p Pack, tuning: &crate::config::Tuning, id: &str) -> Option<(&'p crate::packs::RuleAdvice, Severity)> {
    let advice = pack.advice(id)?;
    let severity = tuning.severities.get(id).copied().unwrap_or(advice.severity).severity()?;
    Some((advice, severity))
}

pub fn evaluate(model: &Model, pack: &Pack) -> TargetReport {
    evaluate_with(model, pack, &crate::config::Tuning::default())
}

/// Drop the "verify …" clauses of a fix when the finding is certain (declared in the config).
fn without_verify(fix: &str) -> String {
    let mut out = String::new();
    for (i, sentence) in fix.split(". ").enumerate() {
        let kept: Vec<&str> = sentence
            .split("; ")
            .filter(|c| !c.trim_start().to_ascii_lowercase().starts_with("verify"))
            .collect();
        if kept.is_empty() {
            continue;
        }
        if i > 0 && !out.is_empty() {
            out.push_str(". ");
        }
        out.push_str(&kept.join("; "));
    }
    let out = out.trim_end().to_string();
    if fix.ends_with('.') && !out.ends_with('.') {
        format!("{out}.")
    } else {
        out
    }
}

/// Counts, verdict and aspect statuses of a list of findings.
pub fn summarize(findings: &[Finding]) -> (Counts, Verdict, Vec<AspectSummary>) {
    let mut counts = Counts::default();
    for f in findings {
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
    (counts, verdict, aspects)
}

/// Evaluate with the configuration's tuning: severity overrides, `[[ignore]]` entries, excluded
/// paths, declared platform settings, and the inline suppressions found in the files.
pub fn evaluate_with(model: &Model, pack: &Pack, tuning: &crate::config::Tuning) -> TargetReport {
    evaluate_from(model, pack, tuning, 0)
}

/// A target's facts: its pack's, with what the configuration declares applied.
fn target_facts(pack: &Pack, tuning: &crate::config::Tuning) -> crate::packs::Facts {
    let mut facts = pack.facts.clone();
    tuning.declared.apply(&mut facts);
    facts
}

/// The env table rows (the same under every target: computed once per model).
fn env_table(model: &Model) -> std::sync::Arc<Vec<EnvVarRow>> {
    model.memo.get("env-rows", || env_rows(model))
}

/// [`evaluate_with`], running the rules from rule `start` on (and round to the start): targets
/// evaluated in parallel start at different rules, so the repository-scoped observations they
/// share (computed once, see `Model::memo`) are computed side by side rather than one thread
/// computing while the others wait. The findings do not depend on `start`.
pub fn evaluate_from(model: &Model, pack: &Pack, tuning: &crate::config::Tuning, start: usize) -> TargetReport {
    let facts = target_facts(pack, tuning);
    let ctx = Ctx {
        model,
        facts: &facts,
        platform: &pack.platform,
        declared: &tuning.declared,
    };
    let mut per_rule: Vec<Vec<Finding>> = RULES.iter().map(|_| Vec::new()).collect();
    let n = RULES.len();
    for i in (0..n).map(|k| (k + start) % n) {
        let rule = &RULES[i];
        let Some((advice, severity)) = enabled(pack, tuning, rule.id) else { continue };
        let findings = &mut per_rule[i];
        // A finding's fingerprint and fix come from its observation; its message, file and
        // related locations are moved out of a target's own observations, and copied from the
        // list a repository-scoped rule shares between the targets.
        let print = |o: &Observation| {
            let key = if o.key.is_empty() { &o.message } else { &o.key };
            fingerprint(&[rule.id, o.file.as_deref().unwrap_or(""), key])
        };
        let finding = |o: &Observation, fingerprint: String, message: String, file: Option<String>, related: Vec<Related>| {
            let fix = fill(&advice.fix, &o.vars);
            let certain = o.vars.iter().any(|(n, _)| *n == "declared");
            Finding {
                rule: rule.id.to_string(),
                severity,
                aspect: rule.aspect,
                fingerprint,
                message,
                file,
                line: o.line,
                fix: if certain { without_verify(&fix) } else { fix },
                docs: advice.docs.clone(),
                related,
            }
        };
        match rule.observed_repo(model) {
            Some(shared) => findings.extend(
                shared
                    .iter()
                    .map(|o| finding(o, print(o), o.message.clone(), o.file.clone(), o.related.clone())),
            ),
            None => {
                for mut o in rule.observe(&ctx) {
                    let fp = print(&o);
                    let (message, file, related) = (std::mem::take(&mut o.message), o.file.take(), std::mem::take(&mut o.related));
                    findings.push(finding(&o, fp, message, file, related));
                }
            }
        }
    }
    // Sorted (stably) by severity, file, line and rule: the order of their positions is sorted,
    // then the findings are moved once into it (a finding is large; sorting them in place moves
    // each one at every merge).
    let mut all: Vec<Option<Finding>> = Vec::with_capacity(per_rule.iter().map(Vec::len).sum());
    all.extend(per_rule.into_iter().flatten().map(Some));
    let mut order: Vec<usize> = (0..all.len()).collect();
    let key = |i: usize| all[i].as_ref().map(|f| (std::cmp::Reverse(f.severity), &f.file, f.line, &f.rule));
    order.sort_by(|&a, &b| key(a).cmp(&key(b)));
    let mut findings: Vec<Finding> = order.iter().filter_map(|&i| all[i].take()).collect();
    findings.dedup_by(|a, b| a.rule == b.rule && a.file == b.file && a.line == b.line && a.message == b.message);
    // Excluded paths, [[ignore]] entries and inline suppressions (which never hide the findings
    // about suppressions themselves).
    let suppressions = &model.suppressions;
    let before = findings.len();
    findings.retain(|f| {
        let file = f.file.as_deref();
        let excluded = file.is_some_and(|p| tuning.excluded(p));
        let ignored = tuning.ignores.iter().any(|i| i.matches(&f.rule, file));
        let inline = !checks::NOT_SUPPRESSIBLE.contains(&f.rule.as_str()) && suppressions.iter().any(|s| s.covers(&f.rule, file, f.line));
        !(excluded || ignored || inline)
    });
    let suppressed = before - findings.len();
    let (counts, verdict, aspects) = summarize(&findings);
    let mut settings = plan(&ctx);
    for s in &mut settings {
        if let Some(own) = pack.platform.settings.get(&s.name) {
            s.name = own.clone();
        }
    }
    let env = env_table(model).as_ref().clone();
    let checklist = checklist(&ctx, &findings);
    TargetReport {
        target: pack.platform.id.clone(),
        platform: pack.platform.name.clone(),
        verify_in: pack.platform.verify_in.clone(),
        verdict,
        counts,
        aspects,
        findings,
        settings,
        env,
        checklist,
        suppressed,
        baselined: 0,
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
    let declared = ctx.declared;
    match (&declared.health_check_path, health) {
        (Some((p, l)), _) => out.push(setting(
            "Health check",
            format!("HTTP GET {} (declared in {}:{l})", crate::text::sanitize(p), declared.file),
            true,
        )),
        (None, Some(r)) => out.push(setting("Health check", format!("HTTP GET {} ({})", r.path, r.file), true)),
        (None, None) => out.push(setting(
            "Health check",
            format!("{} (platform default; the app has no health route)", ctx.facts.health_default.to_uppercase()),
            false,
        )),
    }
    // What deploy-audit.toml declares about the dashboard settings.
    if let Some((n, l)) = declared.instances {
        out.push(setting("Instances", format!("{n} (declared in {}:{l})", declared.file), true));
    }
    if let Some((n, l)) = declared.regions {
        out.push(setting("Regions", format!("{n} (declared in {}:{l})", declared.file), true));
    }
    if let Some((b, l)) = declared.scale_to_zero {
        let v = if b { "on" } else { "off" };
        out.push(setting("Scale to zero", format!("{v} (declared in {}:{l})", declared.file), true));
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
    let volumes: Vec<String> = volumes
        .into_iter()
        .chain(
            ctx.declared
                .volumes
                .iter()
                .map(|(m, l)| format!("{} (declared in {}:{l})", crate::text::sanitize(m), ctx.declared.file)),
        )
        .collect();
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

/// Required / optional / secret environment variables, with purpose and where they are read (the
/// same under every target).
fn env_rows(model: &Model) -> Vec<EnvVarRow> {
    let reads = checks::env_reads(model);
    let mut rows: BTreeMap<String, EnvVarRow> = BTreeMap::new();
    let schema_read = |file: &str, name: &str, line: usize| {
        model
            .apps
            .iter()
            .flat_map(|a| a.sources.iter())
            .filter(|s| s.rel == file)
            .any(|s| s.facts.env_reads.iter().any(|r| r.schema && r.name == name && r.line == line))
    };
    for (name, (file, line, has_default)) in reads.iter() {
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
    for app in checks::deployable_apps(model) {
        for s in app.sources.iter().filter(|s| !s.runtime && s.facts.use_client()) {
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
    for e in model.env_files.iter().filter(|e| e.template) {
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
    for (name, (min, file, line)) in checks::env_minimums(model) {
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

#[cfg(test)]
mod tests {
    use super::without_verify;

    /// Suppressions in each format hide exactly the finding on the line they cover, on every target.
    #[test]
    fn inline_suppressions_in_every_format_hide_their_findings_only() {
        let files: &[(&str, &str)] = &[
            (
                "package.json",
                "{\"name\":\"w\",\"scripts\":{\"build\":\"next build\",\"start\":\"next start\"},\"dependencies\":{\"next\":\"15.1.0\",\"react\":\"19.0.0\",\"@prisma/client\":\"5.0.0\"},\"devDependencies\":{\"prisma\":\"5.0.0\"}}",
            ),
            (
                "prisma/schema.prisma",
                "datasource db {\n  provider = \"postgresql\"\n  // deploy-audit-ignore: db-ssl-unspecified -- the database is on the private network\n  url = env(\"DATABASE_URL\")\n}\n",
            ),
            (
                "docker-compose.yml",
                "services:\n  # deploy-audit-ignore: compose-no-restart -- systemd restarts the stack\n  web:\n    build: .\n    ports:\n      - \"3000:3000\"\n  db:\n    image: postgres:16\n    ports:\n      - \"5432:5432\" # deploy-audit-ignore: compose-db-port-public -- the firewall closes it\n",
            ),
            (
                "fly.toml",
                "app = \"w\"\n[http_service]\n  # deploy-audit-ignore: fly-internal-port -- a proxy in the image listens on 8080\n  internal_port = 8080\n",
            ),
            (
                "Dockerfile",
                "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\n# deploy-audit-ignore: npm-ci-no-lockfile -- CI writes the lockfile before the build\nRUN npm ci\nRUN npm run build\nCMD [\"npm\",\"start\"]\n",
            ),
            ("app/page.tsx", "export default function P(){return null}\n"),
        ];
        let scan = |marker: &str| {
            let dir = tempfile::tempdir().unwrap();
            for (rel, text) in files {
                let p = dir.path().join(rel);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, text.replace("deploy-audit-ignore", marker)).unwrap();
            }
            let targets: Vec<String> = crate::packs::target_ids().into_iter().map(String::from).collect();
            crate::cli::scan(dir.path(), &targets, &Default::default()).unwrap()
        };
        let expected = [
            ("db-ssl-unspecified", 4),
            ("compose-no-restart", 3),
            ("compose-db-port-public", 10),
            ("fly-internal-port", 4),
            ("npm-ci-no-lockfile", 5),
        ];
        // With plain comments, every one of these fires on some target.
        let plain = scan("a-plain-comment");
        for (rule, line) in expected {
            assert!(
                plain.targets.iter().any(|t| t.findings.iter().any(|f| f.rule == rule && f.line == Some(line))),
                "{rule} at {line} should fire without the suppression"
            );
        }
        let r = scan("deploy-audit-ignore");
        let mut hidden = 0;
        for t in &r.targets {
            let has = |rule: &str, line: usize| t.findings.iter().any(|f| f.rule == rule && f.line == Some(line));
            for (rule, line) in expected {
                assert!(!has(rule, line), "{}: {rule} at {line} should be suppressed", t.target);
            }
            assert!(!t.findings.iter().any(|f| f.rule.starts_with("suppression-")), "{}: {:?}", t.target, t.findings);
            hidden += t.suppressed;
        }
        assert!(hidden >= 5, "{hidden}");
        // Near miss: the compose suppression covers `web` only; `db` still has no restart policy.
        let coolify = r.targets.iter().find(|t| t.target == "coolify").unwrap();
        assert!(
            coolify.findings.iter().any(|f| f.rule == "compose-no-restart" && f.line == Some(7)),
            "{:?}",
            coolify.findings
        );
    }

    #[test]
    fn certain_findings_lose_only_their_verify_clauses() {
        assert_eq!(
            without_verify("Keep one instance, or move the state to Redis; verify the instance count in the control panel."),
            "Keep one instance, or move the state to Redis."
        );
        assert_eq!(without_verify("Verify the plan. Then use a volume."), "Then use a volume.");
        assert_eq!(without_verify("Use a volume. It is verified daily."), "Use a volume. It is verified daily.");
    }
}
