use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;
use crate::suppress::{Scope, Suppression};

pub static RULE: Rule = Rule {
    id: "suppression-invalid",
    aspect: Aspect::Operations,
    title: "An inline suppression has no reason, names an unknown rule or cannot be read",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Reads every `deploy-audit-ignore:` and `deploy-audit-ignore-file:` comment (in Dockerfiles, YAML,
TOML, env files, shell scripts, Procfile, .dockerignore, Prisma schemas and JS/TS) and reports the
ones that give no reason after `--`, name a rule id that does not exist (with the closest valid
id), or do not follow the syntax. A suppression without a reason suppresses nothing.

## Why it matters
A suppression is a decision someone made about a deployment risk; without a reason the next
reader cannot tell whether it still holds. A misspelt rule id silences nothing, so the finding it
was meant for keeps failing the gate, or worse, the author believes it was reviewed.

## Example
```dockerfile
# deploy-audit-ignore: build-runs-migration
RUN npx prisma migrate deploy && npm run build
```

## Fix
Name the rule exactly and say why the finding is accepted:
`# deploy-audit-ignore: build-runs-migrations -- the build runs inside the private network`.
`audit rules` lists every rule id.

## References
- https://docs.astral.sh/ruff/linter/#error-suppression
"#;

/// Rules that cannot be suppressed inline (they report on the suppressions themselves).
pub const NOT_SUPPRESSIBLE: &[&str] = &["suppression-invalid", "suppression-unused"];

fn what(s: &Suppression) -> &'static str {
    match s.scope {
        Scope::File => "deploy-audit-ignore-file",
        Scope::Line(_) => "deploy-audit-ignore",
    }
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for s in &model.suppressions {
        let marker = what(s);
        if let Some(m) = &s.malformed {
            out.push(
                Observation::at(RULE.id, &s.file, s.line, format!("this `{marker}` comment cannot be read: it {m}"))
                    .key(format!("{marker}:malformed:{}", s.rules.join(","))),
            );
            continue;
        }
        for id in &s.rules {
            let id = id.as_str();
            if NOT_SUPPRESSIBLE.contains(&id) {
                out.push(
                    Observation::at(
                        RULE.id,
                        &s.file,
                        s.line,
                        format!("`{id}` cannot be suppressed inline; set it to \"off\" under [rules] in deploy-audit.toml instead"),
                    )
                    .key(format!("{marker}:{id}:not-suppressible")),
                );
            } else if super::rule(id).is_none() {
                let close = crate::config::closest(id, super::RULES.iter().map(|r| r.id).filter(|r| !NOT_SUPPRESSIBLE.contains(r)));
                let hint = close.map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
                out.push(
                    Observation::at(
                        RULE.id,
                        &s.file,
                        s.line,
                        format!("`{marker}` names unknown rule `{}`{hint}", crate::text::sanitize(id)),
                    )
                    .key(format!("{marker}:{id}:unknown")),
                );
            }
        }
        if s.reason.is_none() {
            out.push(
                Observation::at(
                    RULE.id,
                    &s.file,
                    s.line,
                    format!(
                        "the `{marker}` for `{}` gives no reason after `--`, so it suppresses nothing",
                        crate::text::sanitize(&s.rules.join(", "))
                    ),
                )
                .key(format!("{marker}:{}:no-reason", s.rules.join(","))),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    const ROUTE: &str = "export function GET() { return Response.json({}) }\n";

    #[test]
    fn missing_reason_unknown_rule_and_malformed_comments_fire() {
        let df = "FROM node:20-alpine\n# deploy-audit-ignore: build-runs-migrations\nRUN npx prisma migrate deploy\n# deploy-audit-ignore: build-runs-migration -- the build has the database\nRUN npm run build\n# deploy-audit-ignore build-runs-migrations -- why\nCMD [\"npm\", \"start\"]\n";
        let obs = koyeb("suppression-invalid", &[("package.json", NEXT_PKG), ("Dockerfile", df)]);
        assert_eq!(obs.len(), 3, "{obs:?}");
        assert_eq!(obs[0].line, Some(2));
        assert!(obs[0].message.contains("no reason"), "{}", obs[0].message);
        assert_eq!(obs[1].line, Some(4));
        assert!(obs[1].message.contains("did you mean `build-runs-migrations`"), "{}", obs[1].message);
        assert_eq!(obs[2].line, Some(6));
        assert!(obs[2].message.contains("cannot be read"), "{}", obs[2].message);
        let src = "// deploy-audit-ignore-file: suppression-unused -- noisy\nexport const x = 1;\n";
        let obs = koyeb("suppression-invalid", &[("package.json", NEXT_PKG), ("lib/x.ts", src)]);
        assert_eq!(obs.len(), 1);
        assert!(obs[0].message.contains("cannot be suppressed inline"));
    }

    #[test]
    fn a_well_formed_suppression_or_a_marker_in_a_string_stays_silent() {
        let src = "// deploy-audit-ignore: env-undocumented -- set by the platform\nconst a = process.env.X;\nconst s = '// deploy-audit-ignore: nope';\nexport { a, s };\n";
        assert!(koyeb(
            "suppression-invalid",
            &[("package.json", NEXT_PKG), ("lib/a.ts", src), ("app/api/health/route.ts", ROUTE)]
        )
        .is_empty());
    }
}
