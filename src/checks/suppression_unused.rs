use super::{Check, Ctx, Rule};
use crate::observe::Observation;
use crate::report::Aspect;
use crate::suppress::Scope;

pub static RULE: Rule = Rule {
    id: "suppression-unused",
    aspect: Aspect::Operations,
    title: "An inline suppression matches no finding on any platform",
    doc: DOC,
    check: Check::Target(run),
};

const DOC: &str = r#"## What it does
Reports a `deploy-audit-ignore:` comment (or `deploy-audit-ignore-file:`) whose rule reports
nothing on the line it covers (or in the file) on any of the platforms, so it suppresses
nothing. A suppression for a rule that fires only on another platform is not unused: every
platform's facts are tried before one is reported.

## Why it matters
Stale suppressions pile up after the code they excused is fixed or moved, and a suppression that
drifted one line away from its finding no longer hides it; either way the comment misleads the
next reader.

## Example
```ts
// deploy-audit-ignore: ephemeral-disk-write -- uploads go to the volume
export const revalidate = 60;
```

## Fix
Delete the comment, or move it to the line just above the finding it is meant for.

## References
- https://docs.astral.sh/ruff/rules/unused-noqa/
"#;

fn run(ctx: &Ctx) -> Vec<Observation> {
    let sups: Vec<_> = ctx.model.suppressions.iter().filter(|s| s.malformed.is_none() && s.reason.is_some()).collect();
    if sups.is_empty() {
        return Vec::new();
    }
    // What every rule observes under every platform's facts (with the declared settings).
    let mut seen: Vec<(&'static str, Option<String>, Option<usize>)> = Vec::new();
    for t in crate::packs::target_ids() {
        let Ok(pack) = crate::packs::load(t) else { continue };
        let mut facts = pack.facts.clone();
        ctx.declared.apply(&mut facts);
        let other = Ctx {
            model: ctx.model,
            facts: &facts,
            platform: &pack.platform,
            declared: ctx.declared,
        };
        // Only the rules some suppression names.
        let named = super::RULES
            .iter()
            .filter(|r| !super::suppression_invalid::NOT_SUPPRESSIBLE.contains(&r.id))
            .filter(|r| sups.iter().any(|s| s.rules.iter().any(|id| id == r.id)));
        for r in named {
            for o in r.observe(&other) {
                seen.push((r.id, o.file, o.line));
            }
        }
    }
    let mut out = Vec::new();
    for s in &sups {
        for id in &s.rules {
            if super::rule(id).is_none() || super::suppression_invalid::NOT_SUPPRESSIBLE.contains(&id.as_str()) {
                continue; // suppression-invalid reports these
            }
            if seen.iter().any(|(r, f, l)| r == id && s.covers(id, f.as_deref(), *l)) {
                continue;
            }
            let (marker, place) = match s.scope {
                Scope::File => ("deploy-audit-ignore-file", "in this file".to_string()),
                Scope::Line(Some(l)) => ("deploy-audit-ignore", format!("on line {l}")),
                Scope::Line(None) => ("deploy-audit-ignore", "(no code line follows the comment)".to_string()),
            };
            out.push(
                Observation::at(
                    RULE.id,
                    &s.file,
                    s.line,
                    format!("`{marker}: {id}` suppresses nothing: `{id}` reports nothing {place} on any platform"),
                )
                .key(format!("{marker}:{id}")),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, run, NEXT_PKG};

    const UPLOAD: &str = "import { writeFileSync } from 'fs';\nexport function POST() {\n  // deploy-audit-ignore: ephemeral-disk-write -- a volume is attached in the dashboard\n  writeFileSync('uploads/a.bin', '');\n  return new Response('');\n}\n";

    #[test]
    fn a_suppression_over_its_finding_is_used_and_one_line_off_is_not() {
        assert!(koyeb("suppression-unused", &[("package.json", NEXT_PKG), ("app/api/u/route.ts", UPLOAD)]).is_empty());
        let drifted = UPLOAD.replace(
            "  writeFileSync('uploads/a.bin', '');\n",
            "  const x = 1;\n  writeFileSync('uploads/a.bin', '');\n",
        );
        let obs = koyeb("suppression-unused", &[("package.json", NEXT_PKG), ("app/api/u/route.ts", &drifted)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert_eq!(obs[0].line, Some(3));
        assert!(obs[0].message.contains("on line 4"), "{}", obs[0].message);
    }

    #[test]
    fn a_rule_that_fires_only_on_another_platform_is_not_unused() {
        // in-memory-state is silent on a VPS (one container) but fires on Railway.
        let pkg = "{\"scripts\":{\"start\":\"node server.js\"}}";
        let src = "import express from 'express';\nimport rateLimit from 'express-rate-limit';\nconst app = express();\n// deploy-audit-ignore: in-memory-state -- one replica only\napp.use(rateLimit({ windowMs: 60000, limit: 100 }));\napp.listen(process.env.PORT);\n";
        assert!(run("in-memory-state", "vps", &[("package.json", pkg), ("server.ts", src)]).is_empty());
        assert!(run("suppression-unused", "vps", &[("package.json", pkg), ("server.ts", src)]).is_empty());
        // Move the comment away: it now covers nothing anywhere.
        let away = src.replace("// deploy-audit-ignore: in-memory-state -- one replica only\n", "")
            + "// deploy-audit-ignore: in-memory-state -- one replica only\nexport {};\n";
        assert_eq!(run("suppression-unused", "vps", &[("package.json", pkg), ("server.ts", &away)]).len(), 1);
    }

    #[test]
    fn whole_file_suppressions_and_invalid_ones_are_judged_apart() {
        let file = format!("// deploy-audit-ignore-file: ephemeral-disk-write -- volume\n{UPLOAD}");
        assert!(koyeb("suppression-unused", &[("package.json", NEXT_PKG), ("app/api/u/route.ts", &file)]).is_empty());
        let quiet = "// deploy-audit-ignore-file: ephemeral-disk-write -- volume\nexport const a = 1;\n// deploy-audit-ignore: nope -- x\n// deploy-audit-ignore: in-memory-state\nexport const b = 2;\n";
        let obs = koyeb("suppression-unused", &[("package.json", NEXT_PKG), ("lib/a.ts", quiet)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert!(obs[0].message.contains("in this file"));
    }
}
