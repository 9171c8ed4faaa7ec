//! Checks: one file per rule. A check is a pure function over the model that returns
//! observations; it knows a platform only through the pack's facts, never its name.
//! Each rule carries its documentation (printed by `audit explain`) and its own pass/fail cases.

use crate::model::{App, DockerfileDoc, Model};
use crate::observe::Observation;
use crate::packs::{Facts, PlatformInfo};
use crate::parse::dockerfile::{Dockerfile, Instruction};
use crate::parse::package_json::DepKind;
use crate::report::Aspect;

mod auth_check_fail_open;
mod bind_localhost;
mod build_context_generated;
mod build_runs_migrations;
mod child_process_binary_missing;
pub(crate) mod committed_api_key;
mod committed_env_secret;
mod compose_db_no_backup;
mod compose_db_no_volume;
mod compose_db_port_public;
mod compose_depends_unhealthy;
mod compose_no_healthcheck;
mod compose_no_restart;
mod compose_port_mismatch;
mod compose_secret_default;
mod compose_version_key;
mod coolify_magic_var_id;
mod coolify_oneshot_no_exclude;
mod copy_source_missing;
mod dangling_symlink;
mod db_push_accept_data_loss;
mod db_push_in_prod;
mod db_ssl_missing;
mod db_ssl_unspecified;
mod default_admin_credentials;
mod dockerfile_env_port;
mod dockerfile_not_detected;
mod dockerfile_path_missing;
mod engines_node_missing;
mod entrypoint_shell_missing;

mod env_file_in_image;
mod env_undocumented;
mod env_unused;
mod ephemeral_disk_write;
mod file_skipped;
mod fly_build_secret;
mod fly_env_prefix;
mod fly_internal_port;
mod fly_no_http_service;
mod fly_vm_memory;
mod fly_volume_strategy;
mod healthcheck_localhost_hostname;

mod hardcoded_internal_host;
mod healthcheck_path_no_route;
mod healthcheck_tool_missing;
mod images_domains_deprecated;
mod images_localhost_only;
mod in_app_db_backup;
mod in_memory_state;
mod in_process_scheduler;
mod internal_host_fallback;
mod local_log_file;
mod long_lived_responses;
mod migrate_at_start;
mod migrate_dev_in_prod;
mod migrations_not_run;
mod next_public_build_arg_missing;
mod next_public_secret;
mod no_health_route;
mod node_too_old;
mod node_version_unpinned;
mod npm_ci_no_lockfile;
mod parse_error;
mod port_not_read;
mod prisma_binary_target;
mod prisma_cli_missing;
mod prisma_output_absolute;
mod prisma_output_not_copied;
mod railway_config_deprecated;
mod railway_config_unknown_key;
mod release_touches_volume;
mod render_deprecated_keys;
mod render_envgroup_invalid;
mod render_free_plan;
mod secret_build_arg;
mod secret_fallback;
mod secret_in_dockerfile_env;
mod secret_min_length;
mod secrets_in_committed_config;
mod seed_on_start;
mod sqlite_ephemeral;
mod standalone_hostname;
mod standalone_missing_public;
mod standalone_missing_static;
mod standalone_next_start;
mod standalone_not_enabled;
mod standalone_recommended;
mod suppression_invalid;
mod suppression_unused;
mod unpinned_framework;
mod volume_with_replicas;

#[cfg(test)]
mod case_table;
#[cfg(test)]
pub mod cases;
#[cfg(test)]
pub mod testing;

/// What a check sees: the repository, the target platform's facts, and the platform settings
/// the user declared in deploy-audit.toml (what the repository cannot show).
pub struct Ctx<'a> {
    pub model: &'a Model,
    pub facts: &'a Facts,
    pub platform: &'a PlatformInfo,
    pub declared: &'a crate::config::Declared,
}

/// A rule: id, aspect, one-line title, documentation and the check itself.
pub struct Rule {
    pub id: &'static str,
    pub aspect: Aspect,
    pub title: &'static str,
    /// Markdown with the sections What it does / Why it matters / Example / Fix / References.
    pub doc: &'static str,
    pub check: Check,
}

/// What a rule's check reads.
pub enum Check {
    /// Only the repository: the observations are the same under every platform, so they are
    /// computed once per model and shared by every target (the pack still sets the severity).
    Repo(fn(&Model) -> Vec<Observation>),
    /// The repository and the target's facts, platform or declared settings.
    Target(fn(&Ctx) -> Vec<Observation>),
}

impl Rule {
    /// What this rule observes in `ctx`; a repository-scoped rule runs once per model.
    pub fn observe(&self, ctx: &Ctx) -> Vec<Observation> {
        match self.check {
            Check::Target(f) => crate::timing::tally(self.id, || f(ctx)),
            Check::Repo(_) => self.observe_repo(ctx.model).unwrap_or_default(),
        }
    }

    /// Compute (once per model) what a repository-scoped rule observes, without copying it out;
    /// nothing for a rule that needs a target.
    pub fn prepare(&self, model: &Model) {
        if let Check::Repo(f) = self.check {
            model.memo.get(self.id, || crate::timing::tally(self.id, || f(model)));
        }
    }

    pub fn is_repo(&self) -> bool {
        matches!(self.check, Check::Repo(_))
    }

    /// What a repository-scoped rule observes in `model` (computed once per model); `None` for
    /// a rule that needs a target.
    pub fn observe_repo(&self, model: &Model) -> Option<Vec<Observation>> {
        self.observed_repo(model).map(|v| v.as_ref().clone())
    }

    /// [`Rule::observe_repo`], shared rather than copied (every target reads the same list).
    pub fn observed_repo(&self, model: &Model) -> Option<std::sync::Arc<Vec<Observation>>> {
        match self.check {
            Check::Target(_) => None,
            Check::Repo(f) => Some(model.memo.get(self.id, || crate::timing::tally(self.id, || f(model)))),
        }
    }
}

/// A target-independent analysis that a target rule shares between the targets through the
/// model's memo.
pub struct Shared {
    pub rule: &'static Rule,
    /// Whether a target with these facts (the configuration's declarations applied) and this
    /// tuning reads it.
    pub wanted: fn(&Facts, &crate::config::Tuning) -> bool,
    /// Compute it (into the memo).
    pub compute: fn(&Model),
}

/// The analyses target rules share: the engine computes them with the repository-scoped rules,
/// on every core, before any target is evaluated, so that the first targets (which start
/// together) do not wait for one another's computation of the same analysis.
pub static SHARED: &[Shared] = &[
    Shared {
        rule: &ephemeral_disk_write::RULE,
        wanted: |_, _| true,
        compute: ephemeral_disk_write::prepare,
    },
    Shared {
        rule: &no_health_route::RULE,
        // A declared health check path stands for the route: the rule reads nothing.
        wanted: |_, t| t.declared.health_check_path.is_none(),
        compute: no_health_route::prepare,
    },
    Shared {
        rule: &in_memory_state::RULE,
        wanted: |f, _| f.multi_instance,
        compute: in_memory_state::prepare,
    },
    Shared {
        rule: &build_runs_migrations::RULE,
        wanted: |_, _| true,
        compute: build_runs_migrations::prepare,
    },
];

/// Every rule, in catalogue order.
pub static RULES: &[&Rule] = &[
    &ephemeral_disk_write::RULE,
    &sqlite_ephemeral::RULE,
    &local_log_file::RULE,
    &in_app_db_backup::RULE,
    &child_process_binary_missing::RULE,
    &in_process_scheduler::RULE,
    &unpinned_framework::RULE,
    &node_version_unpinned::RULE,
    &node_too_old::RULE,
    &engines_node_missing::RULE,
    &standalone_not_enabled::RULE,
    &standalone_recommended::RULE,
    &standalone_next_start::RULE,
    &standalone_missing_static::RULE,
    &standalone_missing_public::RULE,
    &port_not_read::RULE,
    &dockerfile_env_port::RULE,
    &bind_localhost::RULE,
    &hardcoded_internal_host::RULE,
    &internal_host_fallback::RULE,
    &standalone_hostname::RULE,
    &images_localhost_only::RULE,
    &images_domains_deprecated::RULE,
    &migrate_at_start::RULE,
    &db_push_accept_data_loss::RULE,
    &db_push_in_prod::RULE,
    &migrate_dev_in_prod::RULE,
    &seed_on_start::RULE,
    &default_admin_credentials::RULE,
    &migrations_not_run::RULE,
    &prisma_binary_target::RULE,
    &prisma_output_absolute::RULE,
    &prisma_output_not_copied::RULE,
    &prisma_cli_missing::RULE,
    &npm_ci_no_lockfile::RULE,
    &copy_source_missing::RULE,
    &build_context_generated::RULE,
    &dockerfile_path_missing::RULE,
    &dockerfile_not_detected::RULE,
    &healthcheck_tool_missing::RULE,
    &healthcheck_localhost_hostname::RULE,
    &entrypoint_shell_missing::RULE,
    &build_runs_migrations::RULE,
    &db_ssl_missing::RULE,
    &db_ssl_unspecified::RULE,
    &env_undocumented::RULE,
    &env_unused::RULE,
    &next_public_build_arg_missing::RULE,
    &next_public_secret::RULE,
    &secret_fallback::RULE,
    &auth_check_fail_open::RULE,
    &secret_min_length::RULE,
    &committed_env_secret::RULE,
    &committed_api_key::RULE,
    &env_file_in_image::RULE,
    &secret_build_arg::RULE,
    &secret_in_dockerfile_env::RULE,
    &no_health_route::RULE,
    &long_lived_responses::RULE,
    &in_memory_state::RULE,
    &compose_db_no_volume::RULE,
    &compose_db_port_public::RULE,
    &compose_depends_unhealthy::RULE,
    &compose_no_restart::RULE,
    &compose_secret_default::RULE,
    &compose_db_no_backup::RULE,
    &compose_no_healthcheck::RULE,
    &compose_port_mismatch::RULE,
    &compose_version_key::RULE,
    &coolify_magic_var_id::RULE,
    &coolify_oneshot_no_exclude::RULE,
    &fly_internal_port::RULE,
    &fly_no_http_service::RULE,
    &fly_env_prefix::RULE,
    &fly_volume_strategy::RULE,
    &release_touches_volume::RULE,
    &volume_with_replicas::RULE,
    &fly_vm_memory::RULE,
    &fly_build_secret::RULE,
    &railway_config_deprecated::RULE,
    &railway_config_unknown_key::RULE,
    &healthcheck_path_no_route::RULE,
    &render_free_plan::RULE,
    &render_deprecated_keys::RULE,
    &render_envgroup_invalid::RULE,
    &secrets_in_committed_config::RULE,
    &parse_error::RULE,
    &file_skipped::RULE,
    &dangling_symlink::RULE,
    &suppression_invalid::RULE,
    &suppression_unused::RULE,
];

pub use suppression_invalid::NOT_SUPPRESSIBLE;

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

/// A finding on one compose service, at `line` of the compose file: the `service` variable for
/// the fix, and a key of file and service so the fingerprint survives moved lines.
pub fn service_observation(rule: &'static str, compose: &str, service: &str, line: usize, message: String) -> Observation {
    Observation::at(rule, compose, line, message)
        .var("service", service.to_string())
        .key(format!("{compose}:{service}"))
}

/// Observations the model made while reading, for the rules that report them.
pub fn model_observations(model: &Model, rule: &str) -> Vec<Observation> {
    model.observations.iter().filter(|o| o.rule == rule).cloned().collect()
}

/// Is this package something a platform runs as a web service? Libraries, CLIs, mobile and
/// desktop apps are not; a workspace root whose start only delegates to a package is not either.
pub fn is_deployable(app: &App) -> bool {
    if !app.dockerfiles.is_empty() {
        return true;
    }
    let Some(p) = &app.package else { return false };
    if ["expo", "react-native", "electron", "@tauri-apps/api"].iter().any(|d| p.v.dep(d).is_some()) {
        return false;
    }
    let dir = app.dir.as_str();
    let last = dir.rsplit('/').next().unwrap_or(dir);
    // A library built for Next.js apps (`next` as a peer or dev dependency, no next.config, no
    // script running `next`) is not a Next.js app.
    let next_app = app.is_next()
        && (app.next_config.is_some()
            || p.v.scripts.iter().any(|(_, c, _)| has_word(c, "next"))
            || p.v.deps.iter().any(|d| d.name == "next" && d.kind == DepKind::Prod) && !is_config_package(p));
    if ["cli", "mobile", "desktop", "docs", "ui", "utils", "config", "types", "email", "emails"].contains(&last)
        || is_config_package(p)
        || (dir.split('/').any(|seg| seg == "packages") && !next_app)
    {
        return false;
    }
    if dir.is_empty() && !p.v.workspaces.is_empty() {
        // A workspace root: deployable only if it is itself the Next.js app.
        return app.is_next() && app.next_config.is_some();
    }
    next_app || p.v.script("start").is_some()
}

/// A shared lint / TypeScript configuration package (`eslint-config-*`, `@acme/tsconfig`).
fn is_config_package(p: &crate::model::Doc<crate::parse::package_json::PackageJson>) -> bool {
    let dir_name = parent_name(&p.rel);
    let name = p.v.name.as_deref().unwrap_or(dir_name);
    let base = name.rsplit('/').next().unwrap_or(name);
    [base, dir_name]
        .iter()
        .any(|n| n.starts_with("eslint-config") || n.starts_with("prettier-config") || *n == "tsconfig" || n.starts_with("tsconfig-"))
}

fn parent_name(rel: &str) -> &str {
    let dir = crate::text::parent(rel);
    dir.rsplit('/').next().unwrap_or(dir)
}

/// Does the repository root declare the Node.js version (root `engines.node`, `.nvmrc`,
/// `.node-version`)? Workspace packages inherit it.
pub fn root_declares_node(model: &Model) -> bool {
    model
        .apps
        .iter()
        .any(|a| a.dir.is_empty() && (a.node_version_file.is_some() || a.package.as_ref().is_some_and(|p| p.v.engines_node.is_some())))
        || model.paths.contains(".nvmrc")
        || model.paths.contains(".node-version")
}

/// Is the package an example, a playground or a test fixture rather than the repository's service?
pub fn is_example_app(app: &App) -> bool {
    app.dir.split('/').any(|seg| {
        let seg = seg.to_ascii_lowercase();
        matches!(
            seg.as_str(),
            "examples" | "example" | "playground" | "playgrounds" | "templates" | "template" | "fixtures" | "__fixtures__" | "test" | "tests" | "e2e"
        ) || seg.ends_with("-examples")
            || seg.ends_with("-example")
    })
}

/// The apps worth auditing.
pub fn deployable_apps(model: &Model) -> impl Iterator<Item = &App> {
    model.apps.iter().filter(|a| is_deployable(a))
}

/// Stage indices from the final stage back through `FROM <stage>` parents (final first).
pub fn stage_chain(df: &Dockerfile, stage: usize) -> Vec<usize> {
    let mut chain = vec![stage];
    let mut cur = stage;
    while let Some(p) = df.stages.get(cur).and_then(|s| s.from_stage) {
        if chain.contains(&p) || chain.len() > 64 {
            break;
        }
        chain.push(p);
        cur = p;
    }
    chain
}

/// Instructions of the final stage including those inherited from parent stages (parents first).
pub fn final_instructions(df: &Dockerfile) -> Vec<&Instruction> {
    let Some(last) = df.final_stage() else { return Vec::new() };
    let mut out = Vec::new();
    for s in stage_chain(df, last.index).into_iter().rev() {
        if let Some(stage) = df.stages.get(s) {
            out.extend(stage.instructions.iter().filter_map(|&i| df.instructions.get(i)));
        }
    }
    out
}

/// Does a RUN of the final stage (or the stages it inherits) install `pkg` with the image's
/// package manager (`apk add`, `apt-get install`)?
pub fn final_stage_installs(df: &Dockerfile, pkg: &str) -> bool {
    final_instructions(df)
        .into_iter()
        .filter(|i| i.keyword == "RUN")
        .any(|i| installed_packages(&i.command_text()).iter().any(|p| p == pkg))
}

/// The packages a RUN line installs with `apk add` / `apt-get install` / `apt install`, without
/// version constraints (`bash~=5.2`, `curl=7.88.1-10`); packages of an `apk add --virtual NAME`
/// group that the same line removes again (`apk del NAME`) are not installed.
pub fn installed_packages(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut removed_groups: Vec<String> = Vec::new();
    let segments: Vec<&str> = cmd.split(['&', ';', '|', '\n']).collect();
    for seg in &segments {
        let words: Vec<&str> = seg
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '"' || c == '\'' || c == '\\'))
            .filter(|w| !w.is_empty())
            .collect();
        if let Some(p) = words.iter().position(|w| *w == "del") {
            if p > 0 && words[..p].contains(&"apk") {
                removed_groups.extend(words[p + 1..].iter().filter(|w| !w.starts_with('-')).map(|w| w.to_string()));
            }
        }
    }
    for seg in segments {
        let words: Vec<&str> = seg
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '"' || c == '\'' || c == '\\'))
            .filter(|w| !w.is_empty())
            .collect();
        let verb = words.iter().position(|w| *w == "add" || *w == "install");
        let Some(v) = verb else { continue };
        let manager = words[..v].iter().any(|w| matches!(*w, "apk" | "apt-get" | "apt"));
        if !manager {
            continue;
        }
        let mut pkgs = Vec::new();
        let mut group: Option<&str> = None;
        let mut i = v + 1;
        while i < words.len() {
            let w = words[i];
            if w == "--virtual" || w == "-t" {
                group = words.get(i + 1).copied();
                i += 2;
                continue;
            }
            if let Some(g) = w.strip_prefix("--virtual=") {
                group = Some(g);
            } else if !w.starts_with('-') {
                let name = w.split(['=', '~', '>', '<']).next().unwrap_or(w);
                if !name.is_empty() {
                    pkgs.push(name.to_string());
                }
            }
            i += 1;
        }
        if group.is_some_and(|g| removed_groups.iter().any(|r| r == g)) {
            continue;
        }
        out.extend(pkgs);
    }
    out
}

/// The external image a stage is built on (following `FROM <stage>`), lower-cased.
pub fn base_image(df: &Dockerfile, stage: usize) -> String {
    let chain = stage_chain(df, stage);
    let last = chain.last().copied().unwrap_or(stage);
    df.stages.get(last).map(|s| s.base_resolved.to_ascii_lowercase()).unwrap_or_default()
}

/// The libc/OS family of an image reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Alpine,
    /// Debian with OpenSSL 3 (bookworm, trixie, and the default node tags).
    Debian3,
    /// Debian with OpenSSL 1.1 (bullseye, buster).
    Debian11,
    Distroless,
    Unknown,
}

pub fn flavor(image: &str) -> Flavor {
    let img = image.to_ascii_lowercase();
    let tag = img.rsplit_once(':').map(|(_, t)| t).unwrap_or("");
    let repo = img.split(':').next().unwrap_or("");
    if img.contains("alpine") {
        Flavor::Alpine
    } else if img.contains("distroless") {
        Flavor::Distroless
    } else if img.contains("bullseye") || img.contains("buster") || img.contains("stretch") {
        Flavor::Debian11
    } else if repo.ends_with("node") || repo.ends_with("/node") || img.contains("bookworm") || img.contains("trixie") || img.contains("debian") {
        let _ = tag;
        Flavor::Debian3
    } else {
        Flavor::Unknown
    }
}

/// Whole-word search for a command sequence like `prisma migrate deploy` in a command line.
pub fn has_seq(text: &str, seq: &[&str]) -> bool {
    // Every matching word equals its part or ends with `/part`, so contains it: a cheap filter.
    if seq.iter().any(|b| !text.contains(b)) {
        return false;
    }
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '[' | ']' | ';' | '&' | '|' | '(' | ')' | '`'))
        .filter(|w| !w.is_empty())
        .collect();
    if seq.is_empty() || words.len() < seq.len() {
        return false;
    }
    words.windows(seq.len()).any(|w| {
        w.iter()
            .zip(seq)
            .all(|(a, b)| a == b || a.strip_suffix(b).is_some_and(|head| head.ends_with('/')))
    })
}

/// Does the command text contain a word?
pub fn has_word(text: &str, word: &str) -> bool {
    has_seq(text, &[word])
}

/// The COPY/ADD instructions of the final stage with their sources and destination.
pub fn final_copies(df: &Dockerfile) -> Vec<(&Instruction, &[String], &str)> {
    final_instructions(df)
        .into_iter()
        .filter(|i| i.keyword == "COPY" || i.keyword == "ADD")
        .filter_map(|i| i.copy_parts_ref().map(|(s, d)| (i, s, d)))
        .collect()
}

/// Does the final stage copy something whose source path contains `needle`?
pub fn final_copies_path(df: &Dockerfile, needle: &str) -> bool {
    final_copies(df)
        .iter()
        .any(|(_, srcs, _)| srcs.iter().any(|s| s.trim_end_matches('/').contains(needle)))
}

/// Does the final stage copy the standalone server?
pub fn copies_standalone(d: &DockerfileDoc) -> Option<usize> {
    final_copies(&d.df)
        .iter()
        .find(|(_, srcs, _)| srcs.iter().any(|s| s.contains(".next/standalone")))
        .map(|(i, _, _)| i.line)
}

/// Does the Dockerfile write next.config itself (e.g. with a heredoc or sed)?
pub fn dockerfile_writes_next_config(df: &Dockerfile) -> bool {
    df.instructions
        .iter()
        .any(|i| i.keyword == "RUN" && i.command_text().contains("next.config") && (i.command_text().contains('>') || i.command_text().contains("sed ")))
}

/// Is the Next.js output definitely, possibly, or not standalone?
pub fn standalone_state(app: &App) -> Option<bool> {
    let Some(cfg) = app.next_config.as_ref() else { return Some(false) };
    match &cfg.v.output {
        None => Some(false),
        Some((v, _)) => v.is_standalone(),
    }
}

/// Every command that runs when the app is built or started: the start chain, every Dockerfile
/// RUN, and the package.json lifecycle scripts npm runs on its own (build, postinstall, start…).
pub fn deploy_commands(model: &Model, app: &App) -> Vec<crate::model::Command> {
    let mut out = model.start_commands(app).to_vec();
    if let Some(d) = model.dockerfile_of(app) {
        for ins in d.df.instructions.iter().filter(|i| i.keyword == "RUN") {
            out.push(crate::model::Command {
                text: ins.command_text(),
                file: d.rel.clone(),
                line: ins.line,
                via: "RUN".into(),
            });
        }
    }
    if let Some(p) = &app.package {
        for (name, cmd, line) in &p.v.scripts {
            let lifecycle = matches!(
                name.as_str(),
                "build" | "prebuild" | "postbuild" | "postinstall" | "preinstall" | "install" | "start" | "prestart" | "poststart" | "vercel-build"
            );
            if lifecycle && !out.iter().any(|c| c.file == p.rel && c.line == *line) {
                out.push(crate::model::Command {
                    text: cmd.clone(),
                    file: p.rel.clone(),
                    line: *line,
                    via: format!("npm script `{name}`"),
                });
            }
        }
    }
    out
}

/// The database a compose service runs, from its image: (kind, data directory).
pub fn database_image(image: &str) -> Option<(&'static str, &'static str)> {
    let repo = image
        .rsplit('/')
        .next()
        .unwrap_or(image)
        .split([':', '@'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match repo.as_str() {
        "postgres" | "postgis" | "timescaledb" | "timescaledb-ha" | "pgvector" => Some(("postgres", "/var/lib/postgresql/data")),
        "mysql" | "mariadb" | "percona" => Some(("mysql", "/var/lib/mysql")),
        "mongo" | "mongodb" => Some(("mongodb", "/data/db")),
        "redis" | "valkey" | "redis-stack" | "keydb" => Some(("redis", "/data")),
        _ => None,
    }
}

/// The port the app listens on when the platform does not inject `PORT` (or injects `env_port`):
/// a literal listen port, `next start -p N`, else `PORT` from the platform's env or the image's
/// ENV, else the server's default (3000 for Next.js). Returns (port, how it was found, file, line).
pub fn listen_port(model: &Model, app: &App, platform_env_port: Option<(u16, &str, usize)>) -> Option<(u16, String, String, usize)> {
    use crate::parse::source::PortExpr;
    let mut env_default: Option<(u16, String, usize)> = None;
    for s in app.sources.iter().filter(|s| s.runtime) {
        for l in &s.facts.listens {
            match &l.port {
                // Port 0 asks the OS for any free port (tests, tools): not a deployment port.
                PortExpr::Literal(0) => {}
                PortExpr::Literal(p) => return Some((*p, "the server listens on a fixed port".into(), s.rel.clone(), l.line)),
                PortExpr::Env { name, default: Some(d) } if name == "PORT" => env_default = Some((*d, s.rel.clone(), l.line)),
                _ => {}
            }
        }
    }
    let cmds = model.start_commands(app);
    for c in cmds {
        if let Some(p) = next_start_port(&c.text) {
            return Some((p, "`next start` sets a fixed port".into(), c.file.clone(), c.line));
        }
    }
    if let Some((p, file, line)) = platform_env_port {
        return Some((p, "the platform's env sets PORT".into(), file.to_string(), line));
    }
    if let Some(d) = model.dockerfile_of(app) {
        for ins in final_instructions(&d.df).into_iter().rev().filter(|i| i.keyword == "ENV") {
            if let Some(p) = ins
                .key_values()
                .iter()
                .find(|(k, _)| k == "PORT")
                .and_then(|(_, v)| v.as_deref())
                .and_then(|v| v.trim_matches('"').parse::<u16>().ok())
            {
                return Some((p, "the image sets ENV PORT".into(), d.rel.clone(), ins.line));
            }
        }
    }
    if let Some((p, file, line)) = env_default {
        return Some((p, "the server's default when PORT is unset".into(), file, line));
    }
    let next_server = cmds.iter().any(|c| has_seq(&c.text, &["next", "start"]) || c.text.contains("server.js"));
    if app.is_next() && next_server && app.sources.iter().all(|s| s.facts.listens.is_empty()) {
        let c = cmds.iter().find(|c| has_seq(&c.text, &["next", "start"]) || c.text.contains("server.js"))?;
        return Some((3000, "Next.js listens on 3000 when PORT is unset".into(), c.file.clone(), c.line));
    }
    None
}

/// The literal port of `next start -p N` / `--port N` / `--port=N` in a command line.
pub fn next_start_port(text: &str) -> Option<u16> {
    if !has_seq(text, &["next", "start"]) {
        return None;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    words.iter().enumerate().find_map(|(i, w)| {
        let val = if *w == "-p" || *w == "--port" {
            words.get(i + 1).copied()
        } else {
            w.strip_prefix("--port=")
        };
        val.and_then(|v| v.trim_matches(|c| c == '"' || c == '\'').parse::<u16>().ok())
    })
}

/// The app a platform config file belongs to: the one it sits in, else the primary app.
pub fn app_for_config<'a>(model: &'a Model, rel: &str) -> Option<&'a App> {
    let dir = crate::text::parent(rel);
    match model.deepest_app(rel) {
        Some(i) if !model.apps[i].dir.is_empty() || dir.is_empty() => model.apps.get(i),
        _ => model.apps.get(model.primary_app()),
    }
}

/// Health paths recognised as a health endpoint.
pub fn no_health_route_paths() -> &'static [&'static str] {
    no_health_route::HEALTH_PATHS
}

/// Environment variables the deployed code reads (for the env table).
pub fn env_reads(model: &Model) -> std::sync::Arc<std::collections::BTreeMap<String, (String, usize, bool)>> {
    model.memo.get("env-reads", || env_undocumented::reads(model))
}

/// Does a `NEXT_PUBLIC_` name say it holds a server secret (for the env table)?
pub fn next_public_secret_name(name: &str) -> bool {
    next_public_secret::public_secret(name)
}

/// Minimum lengths the deployed code enforces (for the env table).
pub fn env_minimums(model: &Model) -> std::collections::BTreeMap<String, (usize, String, usize)> {
    secret_min_length::minimums(model)
}

/// Variables the runtime or platform sets by itself.
pub fn env_builtin(name: &str) -> bool {
    env_undocumented::builtin(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_kebab_and_documented() {
        let mut seen = std::collections::BTreeSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "duplicate rule id {}", r.id);
            assert!(
                r.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab-case",
                r.id
            );
            for section in ["## What it does", "## Why it matters", "## Example", "## Fix", "## References"] {
                assert!(r.doc.contains(section), "{} doc lacks {section}", r.id);
            }
        }
    }

    /// Each shared analysis is what its rule reads: computing it fills only memo entries the rule
    /// itself asks for (so the rule finds it ready), and at least one.
    #[test]
    fn shared_analyses_are_what_their_rules_read() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed001-coolify-monorepo");
        let model = || crate::model::Model::build(crate::discover::discover(&root, &Default::default()).expect("discover"));
        let tuning = crate::config::Tuning::default();
        for s in SHARED {
            let r = s.rule;
            assert!(RULES.iter().any(|x| std::ptr::eq(*x, r)), "{} is not in RULES", r.id);
            assert!(!r.is_repo(), "{} is repository-scoped: the engine prepares it already", r.id);
            let pack = crate::packs::target_ids()
                .into_iter()
                .map(|t| crate::packs::load(t).expect("pack"))
                .find(|p| (s.wanted)(&p.facts, &tuning))
                .unwrap_or_else(|| panic!("no target reads {}", r.id));
            let warmed = model();
            (s.compute)(&warmed);
            let ran = model();
            let ctx = Ctx {
                model: &ran,
                facts: &pack.facts,
                platform: &pack.platform,
                declared: &crate::config::NOTHING_DECLARED,
            };
            r.observe(&ctx);
            let (filled, read) = (warmed.memo.keys(), ran.memo.keys());
            assert!(!filled.is_empty() && filled.is_subset(&read), "{}: computes {filled:?}, reads {read:?}", r.id);
        }
    }

    #[test]
    fn flavors() {
        assert_eq!(flavor("node:20-alpine"), Flavor::Alpine);
        assert_eq!(flavor("node:20-bookworm-slim"), Flavor::Debian3);
        assert_eq!(flavor("node:18-bullseye"), Flavor::Debian11);
        assert_eq!(flavor("node:22"), Flavor::Debian3);
        assert_eq!(flavor("gcr.io/distroless/nodejs20-debian12"), Flavor::Distroless);
        assert_eq!(flavor("ubuntu:22.04"), Flavor::Unknown);
    }

    #[test]
    fn word_sequences() {
        assert!(has_seq("npx prisma migrate deploy && node server.js", &["prisma", "migrate", "deploy"]));
        assert!(has_seq("./node_modules/.bin/prisma migrate deploy", &["prisma", "migrate", "deploy"]));
        assert!(!has_seq("echo prisma-migrate-deploy", &["prisma", "migrate", "deploy"]));
        assert!(!has_seq("prisma migrate", &["prisma", "migrate", "deploy"]));
    }
}
