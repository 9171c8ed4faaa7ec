use super::{base_image, deployable_apps, flavor, Check, Flavor, Rule};
use crate::model::DockerfileDoc;
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::dockerfile::{Args, Instruction};
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "entrypoint-shell-missing",
    aspect: Aspect::Docker,
    title: "The container starts with a shell the runtime image does not have",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Follows the final stage's ENTRYPOINT / CMD: on an Alpine image it reports `bash` (called
directly, or through a script whose first line is `#!/bin/bash` / `#!/usr/bin/env bash`) when no
`apk add … bash` installs it; on a distroless image it reports anything that needs `/bin/sh`
(shell-form CMD / ENTRYPOINT / RUN, `sh -c`, a shell script).

## Why it matters
Alpine ships BusyBox `sh`, not `bash`, and distroless images have no shell at all. The container
exits at once with `exec /docker-entrypoint.sh: no such file or directory` or `bash: executable
file not found` (exit code 127), and the platform keeps restarting it.

## Example
```dockerfile
FROM node:20-alpine
COPY docker-entrypoint.sh /docker-entrypoint.sh   # starts with #!/bin/bash
ENTRYPOINT ["/docker-entrypoint.sh"]
```

## Fix
Write the script for POSIX `sh` (`#!/bin/sh`) or install bash in the final stage
(`RUN apk add --no-cache bash`); on distroless use the exec form with the image's own program
(`CMD ["server.js"]`) or a `-debug` / slim base.

## References
- https://docs.docker.com/reference/dockerfile/#entrypoint
- https://github.com/GoogleContainerTools/distroless#entrypoints
"#;

/// The shell a script's first line asks for.
fn shebang_shell(body: &str) -> Option<&'static str> {
    let first = body.lines().next()?.trim();
    let rest = first.strip_prefix("#!")?.trim();
    let mut words = rest.split_whitespace();
    let prog = words.next()?;
    let prog = if prog.ends_with("/env") { words.find(|w| !w.starts_with('-'))? } else { prog };
    match prog.rsplit('/').next()? {
        "bash" => Some("bash"),
        "sh" | "ash" | "dash" => Some("sh"),
        "zsh" => Some("zsh"),
        _ => None,
    }
}

/// The program an ENTRYPOINT / CMD runs and whether it goes through `/bin/sh -c`.
fn program(ins: &Instruction) -> (Option<String>, bool) {
    match &ins.args {
        Args::Exec(v) => (v.first().cloned(), false),
        Args::Shell(s) => (s.split_whitespace().next().map(str::to_string), true),
    }
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for app in deployable_apps(model) {
        let Some(d) = model.dockerfile_of(app) else { continue };
        if !seen.insert(d.rel.clone()) {
            continue;
        }
        check(model, d, &mut out);
    }
    out
}

fn check(model: &Model, d: &DockerfileDoc, out: &mut Vec<Observation>) {
    let Some(last) = d.df.final_stage() else { return };
    let image = base_image(&d.df, last.index);
    let fl = flavor(&image);
    let distroless = fl == Flavor::Distroless && !image.contains("debug");
    if fl != Flavor::Alpine && !distroless {
        return;
    }
    let own: Vec<&Instruction> = last.instructions.iter().filter_map(|&i| d.df.instructions.get(i)).collect();
    let all = super::final_instructions(&d.df);
    let installs = |pkg: &str| super::final_stage_installs(&d.df, pkg);
    if distroless {
        if let Some(i) = own
            .iter()
            .find(|i| i.keyword == "RUN" && matches!(i.args, Args::Shell(_)) && i.flag("network").is_none())
        {
            out.push(
                Observation::at(
                    RULE.id,
                    &d.rel,
                    i.line,
                    format!(
                        "`RUN` in shell form needs `/bin/sh`, which the distroless image `{}` does not have, so the build fails here",
                        crate::text::sanitize(&image)
                    ),
                )
                .var("shell", "sh")
                .var("image", image.clone())
                .key(format!("{}:run", d.rel)),
            );
        }
    }
    // The last ENTRYPOINT and CMD of the final stage (inherited ones included).
    let entry = all.iter().rev().find(|i| i.keyword == "ENTRYPOINT");
    let cmd = all.iter().rev().find(|i| i.keyword == "CMD");
    for ins in [entry, cmd].into_iter().flatten() {
        let (prog, via_sh) = program(ins);
        let Some(prog) = prog else { continue };
        let base = prog.rsplit('/').next().unwrap_or(&prog).to_string();
        let mut needs: Option<(&'static str, Option<(String, usize)>)> = None;
        if distroless && (via_sh || matches!(base.as_str(), "sh" | "bash" | "ash")) {
            needs = Some(("sh", None));
        } else if base == "bash" {
            needs = Some(("bash", None));
        } else if base.ends_with(".sh") || (!via_sh && model.scripts.keys().any(|k| k.rsplit('/').next() == Some(base.as_str()))) {
            // A script run directly: the kernel starts the interpreter its first line names.
            let found = model
                .scripts
                .iter()
                .filter(|(rel, _)| rel.rsplit('/').next() == Some(base.as_str()))
                .min_by_key(|(rel, _)| (!crate::text::under(rel, &d.context), rel.len()));
            if let Some((rel, body)) = found {
                match shebang_shell(body) {
                    Some("bash") => needs = Some(("bash", Some((rel.clone(), 1)))),
                    Some("zsh") => needs = Some(("zsh", Some((rel.clone(), 1)))),
                    Some(_) if distroless => needs = Some(("sh", Some((rel.clone(), 1)))),
                    _ => {}
                }
            }
        }
        let Some((shell, script)) = needs else { continue };
        if shell != "sh" && installs(shell) {
            continue;
        }
        let what = match &script {
            Some((rel, _)) => format!("`{}` starts `{}` (its first line asks for `{shell}`)", ins.keyword, crate::text::sanitize(rel)),
            None => format!("`{}` runs `{}`", ins.keyword, crate::text::sanitize(&prog)),
        };
        let lacks = if distroless {
            format!("the distroless image `{}` has no shell", crate::text::sanitize(&image))
        } else {
            format!("`{}` has no `{shell}` and no `apk add {shell}` installs it", crate::text::sanitize(&image))
        };
        let mut o = Observation::at(
            RULE.id,
            &d.rel,
            ins.line,
            format!("{what}, but {lacks}, so the container exits at start (exit code 127)"),
        )
        .var("shell", shell)
        .var("image", image.clone())
        .key(format!("{}:{}:{shell}", d.rel, ins.keyword));
        if let Some((rel, line)) = script {
            o = o.related(&rel, Some(line), format!("the script's interpreter line names `{shell}`"));
        }
        out.push(o);
        break;
    }
}

#[cfg(test)]
mod tests {
    use super::shebang_shell;
    use crate::checks::testing::{koyeb, NEXT_PKG};

    const BASH: &str = "#!/bin/bash\nset -e\nexec node server.js\n";

    #[test]
    fn bash_script_on_alpine_fires() {
        let df = "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nCOPY docker-entrypoint.sh /docker-entrypoint.sh\nENTRYPOINT [\"/docker-entrypoint.sh\"]\n";
        let obs = koyeb(
            "entrypoint-shell-missing",
            &[("package.json", NEXT_PKG), ("Dockerfile", df), ("docker-entrypoint.sh", BASH)],
        );
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(5));
        assert_eq!(obs[0].related[0].file, "docker-entrypoint.sh");
        let df2 = "FROM node:20-alpine\nCOPY . .\nCMD [\"bash\", \"-c\", \"node server.js\"]\n";
        assert_eq!(koyeb("entrypoint-shell-missing", &[("package.json", NEXT_PKG), ("Dockerfile", df2)]).len(), 1);
    }

    #[test]
    fn distroless_shell_form_fires() {
        let df = "FROM node:20 AS b\nCOPY . .\nFROM gcr.io/distroless/nodejs20-debian12\nCOPY --from=b /app /app\nCMD node /app/server.js\n";
        let obs = koyeb("entrypoint-shell-missing", &[("package.json", NEXT_PKG), ("Dockerfile", df)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(5));
    }

    #[test]
    fn installed_bash_sh_scripts_debian_and_sh_invocation_stay_silent() {
        let with_bash = "FROM node:20-alpine\nRUN apk add --no-cache bash openssl\nCOPY docker-entrypoint.sh /docker-entrypoint.sh\nENTRYPOINT [\"/docker-entrypoint.sh\"]\n";
        assert!(koyeb(
            "entrypoint-shell-missing",
            &[("package.json", NEXT_PKG), ("Dockerfile", with_bash), ("docker-entrypoint.sh", BASH)]
        )
        .is_empty());
        let sh = "#!/bin/sh\nexec node server.js\n";
        let df = "FROM node:20-alpine\nCOPY docker-entrypoint.sh /docker-entrypoint.sh\nENTRYPOINT [\"/docker-entrypoint.sh\"]\n";
        assert!(koyeb(
            "entrypoint-shell-missing",
            &[("package.json", NEXT_PKG), ("Dockerfile", df), ("docker-entrypoint.sh", sh)]
        )
        .is_empty());
        let debian = df.replace("node:20-alpine", "node:20-slim");
        assert!(koyeb(
            "entrypoint-shell-missing",
            &[("package.json", NEXT_PKG), ("Dockerfile", &debian), ("docker-entrypoint.sh", BASH)]
        )
        .is_empty());
        let via_sh = "FROM node:20-alpine\nCOPY docker-entrypoint.sh ./\nENTRYPOINT [\"sh\", \"./docker-entrypoint.sh\"]\n";
        assert!(koyeb(
            "entrypoint-shell-missing",
            &[("package.json", NEXT_PKG), ("Dockerfile", via_sh), ("docker-entrypoint.sh", BASH)]
        )
        .is_empty());
        let distroless_exec = "FROM node:20 AS b\nCOPY . .\nFROM gcr.io/distroless/nodejs20-debian12\nCOPY --from=b /app /app\nCMD [\"/app/server.js\"]\n";
        assert!(koyeb("entrypoint-shell-missing", &[("package.json", NEXT_PKG), ("Dockerfile", distroless_exec)]).is_empty());
    }

    #[test]
    fn shebangs() {
        assert_eq!(shebang_shell("#!/usr/bin/env bash\n"), Some("bash"));
        assert_eq!(shebang_shell("#!/bin/sh -e\n"), Some("sh"));
        assert_eq!(shebang_shell("echo hi\n"), None);
        assert_eq!(shebang_shell(""), None);
    }

    #[test]
    fn a_pinned_bash_counts_and_a_removed_virtual_group_does_not() {
        let build_only = "FROM python:3.12-alpine\nWORKDIR /code\nRUN apk add --no-cache --virtual .deps \"bash~=5.2\" gcc && pip install -r r.txt && apk del .deps\nCOPY ./bin ./bin/\nCMD [\"./bin/start.sh\"]\n";
        let files = [("package.json", NEXT_PKG), ("Dockerfile", build_only), ("bin/start.sh", BASH)];
        assert_eq!(koyeb("entrypoint-shell-missing", &files).len(), 1);
        let kept = build_only.replace("COPY ./bin", "RUN apk --no-cache add \"bash~=5.2\"\nCOPY ./bin");
        let files = [("package.json", NEXT_PKG), ("Dockerfile", kept.as_str()), ("bin/start.sh", BASH)];
        assert!(koyeb("entrypoint-shell-missing", &files).is_empty());
    }
}
