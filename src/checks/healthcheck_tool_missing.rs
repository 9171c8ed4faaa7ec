use super::{base_image, final_instructions, flavor, has_word, Check, Flavor, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "healthcheck-tool-missing",
    aspect: Aspect::Operations,
    title: "The health check runs curl or wget, which the image does not have",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Reads the final stage's `HEALTHCHECK` (and the compose `healthcheck.test` of the service built from
the Dockerfile) and the runtime base image: `curl` is not in Alpine, slim or distroless images,
`wget` is not in slim or distroless images (Alpine has BusyBox `wget`). Stays silent when the
Dockerfile installs the tool (`apk add curl`, `apt-get install … curl`), and for the official
`nginx:*-alpine` images, which ship `curl` (the `-alpine-slim` ones do not).

## Why it matters
The check command fails with "not found" on every run, so the container is never healthy: Coolify
and Traefik stop routing to it, `depends_on: service_healthy` waits forever, and rolling updates
never finish.

## Example
```dockerfile
FROM node:20-alpine
HEALTHCHECK CMD curl -f http://localhost:3000/api/health || exit 1
```

## Fix
Use the tool the image has (`wget -qO- http://localhost:3000/api/health` on Alpine), install it
(`RUN apk add --no-cache curl`), or check with Node itself
(`node -e "fetch('http://localhost:3000/api/health').then(r=>process.exit(r.ok?0:1))"`).

## References
- https://docs.docker.com/reference/dockerfile/#healthcheck
- https://coolify.io/docs/applications/configuration/health-checks
- https://github.com/nginx/docker-nginx/blob/master/mainline/alpine/Dockerfile
"#;

/// The official `nginx:*-alpine` images install `curl` ("to make registering on DNS SD
/// easier", docker-nginx `alpine/Dockerfile`); `*-alpine-slim` does not.
fn nginx_alpine_has_curl(base: &str) -> bool {
    let name = base.split(['@']).next().unwrap_or(base);
    let (repo, tag) = name.rsplit_once(':').filter(|(_, t)| !t.contains('/')).unwrap_or((name, "latest"));
    let repo = repo.strip_prefix("docker.io/").unwrap_or(repo);
    let repo = repo.strip_prefix("library/").unwrap_or(repo);
    repo == "nginx" && tag.contains("alpine") && !tag.contains("slim")
}

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for (_, d) in model.dockerfiles.iter().enumerate().filter(|(i, _)| model.is_used_dockerfile(*i)) {
        let Some(last) = d.df.final_stage() else { continue };
        let base = base_image(&d.df, last.index);
        let f = flavor(&base);
        let slim = base.contains("slim");
        let installs = |tool: &str| super::final_stage_installs(&d.df, tool);
        let missing = |tool: &str| match tool {
            "curl" => (f == Flavor::Alpine || slim || f == Flavor::Distroless) && !installs("curl") && !nginx_alpine_has_curl(&base),
            "wget" => (slim || f == Flavor::Distroless) && !installs("wget"),
            _ => false,
        };
        let mut checks: Vec<(String, String, usize)> = Vec::new();
        for ins in final_instructions(&d.df).into_iter().filter(|i| i.keyword == "HEALTHCHECK") {
            checks.push((ins.command_text(), d.rel.clone(), ins.line));
        }
        for (c, s, _) in model.services_building(&d.rel) {
            if let Some(h) = &s.healthcheck {
                checks.push((h.test.join(" "), c.rel.clone(), h.line));
            }
        }
        for (text, file, line) in checks {
            for tool in ["curl", "wget"] {
                if has_word(&text, tool) && missing(tool) {
                    out.push(
                        Observation::at(
                            RULE.id,
                            &file,
                            line,
                            format!("the health check runs `{tool}`, which `{base}` does not include, so the container never becomes healthy"),
                        )
                        .related(&d.rel, Some(last.line), "runtime image")
                        .var("tool", tool)
                        .key(format!("{file}:{tool}")),
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn curl_on_alpine_fires() {
        let df = "FROM node:20-alpine\nCOPY . .\nHEALTHCHECK CMD curl -f http://localhost:3000/ || exit 1\nCMD [\"node\", \"server.js\"]\n";
        let obs = run("healthcheck-tool-missing", "coolify", &[("Dockerfile", df)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(3));
    }

    #[test]
    fn wget_on_alpine_or_installed_curl_stays_silent() {
        let df = "FROM node:20-alpine\nHEALTHCHECK CMD wget -q --spider http://localhost:3000/ || exit 1\n";
        assert!(run("healthcheck-tool-missing", "coolify", &[("Dockerfile", df)]).is_empty());
        let df = "FROM node:20-alpine\nRUN apk add --no-cache curl\nHEALTHCHECK CMD curl -f http://localhost:3000/\n";
        assert!(run("healthcheck-tool-missing", "coolify", &[("Dockerfile", df)]).is_empty());
        let df = "FROM node:20\nHEALTHCHECK CMD curl -f http://localhost:3000/\n";
        assert!(run("healthcheck-tool-missing", "coolify", &[("Dockerfile", df)]).is_empty());
    }

    #[test]
    fn official_nginx_alpine_ships_curl_but_alpine_slim_does_not() {
        let df = "FROM node:20-alpine AS build\nRUN npm run build\nFROM nginx:1.27-alpine\nCOPY --from=build /app/dist /usr/share/nginx/html\nHEALTHCHECK CMD curl -fsS http://localhost/ || exit 1\n";
        assert!(run("healthcheck-tool-missing", "coolify", &[("Dockerfile", df)]).is_empty());
        let slim = df.replace("nginx:1.27-alpine", "nginx:1.27-alpine-slim");
        assert_eq!(run("healthcheck-tool-missing", "coolify", &[("Dockerfile", &slim)]).len(), 1);
        let other = df.replace("nginx:1.27-alpine", "someone/nginx:alpine");
        assert_eq!(run("healthcheck-tool-missing", "coolify", &[("Dockerfile", &other)]).len(), 1);
    }
}
