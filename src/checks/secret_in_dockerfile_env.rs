use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::parse::env_file::{is_file_path, is_placeholder, is_secret_name, url_parts};
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "secret-in-dockerfile-env",
    aspect: Aspect::Security,
    title: "A secret's value is written in a Dockerfile ENV",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
In the final stage of each Dockerfile a deployment builds (with the stages it is built on), finds
`ENV` instructions that give a secret-like variable
(`JWT_SECRET`, `*_PASSWORD`, `*_TOKEN`, `*_KEY`, a database URL with a password…) a literal value.
References (`ENV X=$X`, reported by `secret-build-arg`), placeholders (`changeme`, `<...>`) and
database URLs without a real password on a local host are ignored, except for signing and session
secrets (`ENV JWT_SECRET=secret` is the secret the app signs with unless the platform overrides it). The value is never printed.

## Why it matters
The value is committed to the repository and stored in the image config, readable with
`docker inspect` by anyone who can pull the image. It is the same in every environment, and when
the platform's variable is missing the image's value is used silently.

## Example
```dockerfile
ENV NEXTAUTH_SECRET=9f1c2e…
```

## Fix
Delete the `ENV` line and set the secret in the platform's secrets; for values needed only while
building, use a BuildKit secret mount (`RUN --mount=type=secret`).

## References
- https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/
- https://docs.docker.com/build/building/secrets/
"#;

fn run(model: &Model) -> Vec<Observation> {
    let m = model;
    let mut out = Vec::new();
    for (di, d) in m.dockerfiles.iter().enumerate() {
        if !m.is_used_dockerfile(di) {
            continue;
        }
        // The final stage (and the stages it is built on): what the running image carries. Dummy
        // values a builder stage sets for `next build` never reach it.
        for ins in crate::checks::final_instructions(&d.df).into_iter().filter(|i| i.keyword == "ENV") {
            for (name, value) in ins.key_values() {
                let Some(v) = value else { continue };
                let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
                // A placeholder is still the value a signing secret takes when the platform does not
                // override it (`ENV JWT_SECRET=secret`).
                let signing = crate::checks::secret_fallback::signing_secret(name);
                // A path (`ENV DB_URL=/app/data/db.sqlite`) says where the database or key file is.
                if !is_secret_name(name) || v.is_empty() || v.contains('$') || is_file_path(v) || (!signing && (is_placeholder(v) || v.chars().count() < 8)) {
                    continue;
                }
                if let Some(u) = url_parts(v) {
                    if !u.has_password || crate::checks::hardcoded_internal_host::loopback(&u.host) {
                        continue;
                    }
                }
                out.push(
                    Observation::at(
                        RULE.id,
                        &d.rel,
                        ins.line,
                        format!(
                            "`ENV {name}` writes a secret's value ({} characters) into the Dockerfile and the image config",
                            v.chars().count()
                        ),
                    )
                    .var("name", name.clone())
                    .key(format!("{}:{name}", d.rel)),
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
    fn literal_secret_env_fires_without_the_value() {
        let df = "FROM node:20-alpine\nENV NEXTAUTH_SECRET=9f1c2eA7b3d4E5f6a7B8c9D0e1F2a3B4\nCMD [\"npm\", \"start\"]\n";
        let obs = koyeb("secret-in-dockerfile-env", &[("package.json", NEXT_PKG), ("Dockerfile", df)]);
        assert_eq!(obs.len(), 1, "{obs:?}");
        assert!(!obs[0].message.contains("9f1c2e"));
        // A weak placeholder under a signing secret is the secret the app uses.
        let weak = "FROM node:20-alpine\nENV JWT_SECRET=\"SECRET_JWT\"\nCMD [\"npm\", \"start\"]\n";
        assert_eq!(koyeb("secret-in-dockerfile-env", &[("package.json", NEXT_PKG), ("Dockerfile", weak)]).len(), 1);
    }

    #[test]
    fn references_placeholders_local_urls_and_plain_values_stay_silent() {
        let df = "FROM node:20-alpine\nARG JWT_SECRET\nENV JWT_SECRET=$JWT_SECRET\nENV API_KEY=changeme\nENV DATABASE_URL=postgresql://postgres:postgres@localhost:5432/app\nENV NODE_ENV=production\nCMD [\"npm\", \"start\"]\n";
        let obs = koyeb("secret-in-dockerfile-env", &[("package.json", NEXT_PKG), ("Dockerfile", df)]);
        assert!(obs.is_empty(), "{obs:?}");
    }

    #[test]
    fn a_file_path_under_a_url_name_is_no_secret() {
        let df = "FROM node:20-alpine\nENV DB_URL='/srv/data/db/app.sqlite'\nCMD [\"npm\", \"start\"]\n";
        assert!(koyeb("secret-in-dockerfile-env", &[("package.json", NEXT_PKG), ("Dockerfile", df)]).is_empty());
        let url = "FROM node:20-alpine\nENV DB_URL=postgresql://app:Zq8rL2mP0xVb7TkN@db.acme.io:5432/app\nCMD [\"npm\", \"start\"]\n";
        assert_eq!(koyeb("secret-in-dockerfile-env", &[("package.json", NEXT_PKG), ("Dockerfile", url)]).len(), 1);
    }
}
