use super::{Check, Rule};
use crate::discover::FileKind;
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;
use regex::Regex;
use std::sync::OnceLock;

pub static RULE: Rule = Rule {
    id: "default-admin-credentials",
    aspect: Aspect::Security,
    title: "A seed script creates an account with a well-known password",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Reads seed scripts (`prisma/seed.*`, `scripts/seed*`, `db/seed*`, or any source file whose name
contains `seed`) for a well-known password (`admin`, `admin123`, `password`, `changeme`,
`123456`, …) passed to a hash function or set as a `password` field. The password itself is
never printed.

## Why it matters
Seeds that run against production (often on every start) ship an administrator account whose
password is in the repository and in every guide; it is the first thing scanners try.

## Example
```ts
const password = await bcrypt.hash('admin123', 10);
await prisma.user.create({ data: { email: 'admin@example.com', password, role: 'ADMIN' } });
```

## Fix
Read the initial admin password from an environment variable (and refuse to seed without it), or
create the first admin through a one-time invite / sign-up flow.

## References
- https://owasp.org/Top10/A07_2021-Identification_and_Authentication_Failures/
- https://www.prisma.io/docs/orm/prisma-migrate/workflows/seeding
"#;

fn pattern() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?i)(?:hash(?:Sync)?\s*\(|password\s*[:=]\s*)\s*['"`](admin|admin123|administrator|password|password123|changeme|change-me|123456|12345678|secret|letmein|test123|root|demo|demo123)['"`]"#).ok()
    })
    .as_ref()
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for f in model.files.iter().filter(|f| f.kind == FileKind::Source) {
        let name = f.rel.rsplit('/').next().unwrap_or(&f.rel);
        if !name.as_bytes().windows(4).any(|w| w.eq_ignore_ascii_case(b"seed")) || f.hints.has(crate::hints::TEST) {
            continue;
        }
        let Some(text) = f.text.as_deref() else { continue };
        if let Some(m) = pattern().and_then(|re| re.find(text)) {
            out.push(
                Observation::at(
                    RULE.id,
                    &f.rel,
                    crate::text::line_of(text, m.start()),
                    "the seed creates an account with a well-known default password",
                )
                .key(f.rel.clone()),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::koyeb;

    #[test]
    fn weak_literal_password_in_seed_fires_without_printing_it() {
        let seed = "import bcrypt from 'bcryptjs';\nasync function main() {\n  const password = await bcrypt.hash('admin123', 10);\n}\n";
        let obs = koyeb("default-admin-credentials", &[("package.json", "{}"), ("scripts/seed.ts", seed)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(3));
        assert!(!obs[0].message.contains("admin123"));
    }

    #[test]
    fn password_from_env_or_non_seed_files_stay_silent() {
        let seed = "const password = await bcrypt.hash(process.env.ADMIN_PASSWORD!, 10);\n";
        assert!(koyeb("default-admin-credentials", &[("package.json", "{}"), ("prisma/seed.ts", seed)]).is_empty());
        let form = "export const placeholder = { password: 'password' };\n";
        assert!(koyeb("default-admin-credentials", &[("package.json", "{}"), ("components/login.tsx", form)]).is_empty());
    }
}
