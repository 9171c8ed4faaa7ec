use super::{database_image, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "compose-db-port-public",
    aspect: Aspect::Security,
    title: "A database port is published on every interface",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
In the deployment compose file, finds a database or cache service (Postgres, MySQL/MariaDB,
MongoDB, Redis/Valkey) whose `ports:` publish a port without binding it to `127.0.0.1`.

## Why it matters
Docker publishes ports by writing its own iptables rules, which bypass `ufw` and most host
firewalls: the database answers on the server's public address, to the whole internet. The app
reaches it over the compose network and does not need the port at all.

## Example
```yaml
db:
  image: postgres:16
  ports:
    - "5432:5432"
```

## Fix
Remove `ports:` from the database (the app uses the service name), or bind it to loopback for an
SSH tunnel: `"127.0.0.1:5432:5432"`.

## References
- https://docs.docker.com/engine/network/packet-filtering-firewalls/
- https://docs.docker.com/reference/compose-file/services/#ports
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for c in model.deploy_composes() {
        for s in &c.v.services {
            let Some((image, _)) = &s.image else { continue };
            let Some((kind, _)) = database_image(image) else { continue };
            for p in &s.ports {
                // `${BIND_HOST:-127.0.0.1}` binds to its default unless the operator overrides it.
                let ip = p.host_ip.as_deref().map(|ip| crate::parse::compose::interpolate(ip, &|_| None));
                let local = ip
                    .as_deref()
                    .is_some_and(|ip| matches!(ip.trim_matches(|c| c == '[' || c == ']'), "127.0.0.1" | "::1" | "localhost"));
                if local {
                    continue;
                }
                out.push(
                    Observation::at(
                        RULE.id,
                        &c.rel,
                        p.line,
                        format!(
                            "service `{}` ({kind}) publishes port {} on every interface of the host",
                            s.name,
                            crate::text::sanitize(&p.container_port)
                        ),
                    )
                    .var("service", s.name.clone())
                    .var("port", p.container_port.clone())
                    .key(format!("{}:{}:{}", c.rel, s.name, p.container_port)),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn published_database_port_fires() {
        let compose = "services:\n  app:\n    build: .\n  db:\n    image: postgres:16\n    ports:\n      - \"5432:5432\"\n";
        let obs = run("compose-db-port-public", "vps", &[("docker-compose.yml", compose)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(7));
    }

    #[test]
    fn loopback_default_in_a_variable_stays_silent() {
        let compose = "services:\n  app:\n    build: .\n  db:\n    image: postgres:16\n    ports:\n      - \"${POSTGRES_BIND_HOST:-127.0.0.1}:${POSTGRES_PORT:-5432}:5432\"\n";
        assert!(run("compose-db-port-public", "vps", &[("docker-compose.yml", compose)]).is_empty());
    }

    #[test]
    fn a_file_of_databases_and_infrastructure_only_stays_silent() {
        // Local services for running the app on the host: no app in the file.
        let infra = "services:\n  db:\n    image: postgres:16\n    ports:\n      - \"5432:5432\"\n  ch:\n    image: clickhouse/clickhouse-server:24\n  broker:\n    image: redpandadata/redpanda:v24\n  ui:\n    image: redpandadata/console:v2\n  otel:\n    image: otel/opentelemetry-collector-contrib\n";
        assert!(run("compose-db-port-public", "vps", &[("docker-compose.yml", infra)]).is_empty());
        // With the app's own image it is the deployment.
        let stack = format!("{infra}  web:\n    image: ghcr.io/example/web:1\n");
        assert_eq!(run("compose-db-port-public", "vps", &[("docker-compose.yml", &stack)]).len(), 1);
    }

    #[test]
    fn loopback_binding_and_app_ports_stay_silent() {
        let compose = "services:\n  db:\n    image: postgres:16\n    ports:\n      - \"127.0.0.1:5432:5432\"\n  web:\n    image: node:20\n    ports:\n      - \"3000:3000\"\n";
        assert!(run("compose-db-port-public", "vps", &[("docker-compose.yml", compose)]).is_empty());
    }
}
