use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "prisma-output-absolute",
    aspect: Aspect::Database,
    title: "Prisma generator output is an absolute, machine-specific path",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Fires when a Prisma generator's `output` is an absolute path (`/home/ubuntu/app/node_modules/...`,
`C:\...`).

## Why it matters
Tools and IDE integrations sometimes write the path of the machine they ran on. In the image build
the client is generated into a directory that does not belong to the app, and the app's import of
`@prisma/client` (or the generated path) fails at build or at start.

## Example
```prisma
generator client {
  provider = "prisma-client-js"
  output   = "/home/ubuntu/app/node_modules/.prisma/client"
}
```

## Fix
Remove the `output` line (default location) or make it relative to the schema
(`output = "../src/generated/prisma"`).

## References
- https://www.prisma.io/docs/orm/prisma-client/setup-and-configuration/generating-prisma-client#using-a-custom-output-path
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in &model.apps {
        let Some(schema) = &app.prisma else { continue };
        for g in &schema.v.generators {
            let Some((path, line)) = &g.output else { continue };
            let windows = path.len() > 2 && path.as_bytes()[1] == b':' && path.as_bytes()[0].is_ascii_alphabetic();
            if path.starts_with('/') || windows {
                out.push(
                    Observation::at(
                        RULE.id,
                        &schema.rel,
                        *line,
                        format!(
                            "generator `{}` writes the client to an absolute path that only exists on the machine that wrote it",
                            g.name
                        ),
                    )
                    .key(g.name.clone()),
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
    fn absolute_output_fires() {
        let schema = "generator client {\n  provider = \"prisma-client-js\"\n  output = \"/home/ubuntu/app/node_modules/.prisma/client\"\n}\n";
        let obs = koyeb("prisma-output-absolute", &[("package.json", NEXT_PKG), ("prisma/schema.prisma", schema)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(3));
    }

    #[test]
    fn relative_output_stays_silent() {
        let schema = "generator client {\n  provider = \"prisma-client-js\"\n  output = \"../src/generated/prisma\"\n}\n";
        assert!(koyeb("prisma-output-absolute", &[("package.json", NEXT_PKG), ("prisma/schema.prisma", schema)]).is_empty());
    }
}
