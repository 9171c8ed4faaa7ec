use super::{Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "railway-config-deprecated",
    aspect: Aspect::Operations,
    title: "railway.json / railway.toml (Config as Code) stops being read on 2026-12-01",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Reports a `railway.json` or `railway.toml`.

## Why it matters
Railway deprecated Config as Code: new services cannot opt in, and existing files stop being read on
2026-12-01. After that date the start command, health check path, pre-deploy command and replicas
written there silently fall back to the dashboard's values.

## Example
`railway.json` with `deploy.startCommand` and `deploy.healthcheckPath`.

## Fix
Move the settings to the service's dashboard settings, or to Railway's Infrastructure as Code
(`.railway/railway.ts`, applied with `railway config plan` / `apply`), then delete the file.

## References
- https://docs.railway.com/config-as-code/reference
- https://docs.railway.com/infrastructure-as-code
"#;

/// Railway Infrastructure as Code files (evaluated by the Railway CLI; read here as paths only).
const IAC_FILES: &[&str] = &[".railway/railway.ts", ".railway/railway.py", ".railway/railway.go"];

fn run(model: &Model) -> Vec<Observation> {
    let iac = IAC_FILES.iter().copied().find(|p| model.paths.contains(*p));
    model
        .railway
        .iter()
        .map(|r| {
            let v = &r.v;
            let mut held: Vec<&str> = Vec::new();
            for (name, set) in [
                ("the start command", v.start_command.is_some()),
                ("the pre-deploy command", !v.pre_deploy.is_empty()),
                ("the healthcheck path", v.healthcheck_path.is_some()),
                ("the Dockerfile path", v.dockerfile_path.is_some()),
                ("the build command", v.build_command.is_some()),
                ("the replica count", v.replicas.is_some()),
                ("the cron schedule", v.cron_schedule.is_some()),
            ] {
                if set {
                    held.push(name);
                }
            }
            let what = if held.is_empty() { "the settings".to_string() } else { held.join(", ") };
            let msg = match iac {
                Some(f) => {
                    format!("Railway stopped reading Config as Code files on 2026-12-01 and this repository also has `{f}`: {what} here no longer apply")
                }
                None => format!("Railway stops reading Config as Code files on 2026-12-01; {what} in this file will then be ignored"),
            };
            let mut o = Observation::new(RULE.id, Some(&r.rel), Some(1), msg).key(r.rel.clone());
            if let Some(f) = iac {
                o = o.related(f, None, "the Infrastructure as Code file Railway's CLI applies");
            }
            o
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn railway_json_is_reported_and_its_absence_is_not() {
        assert_eq!(
            run(
                "railway-config-deprecated",
                "railway",
                &[("railway.json", "{\"deploy\": {\"startCommand\": \"npm start\"}}")]
            )
            .len(),
            1
        );
        assert!(run("railway-config-deprecated", "railway", &[("package.json", "{}")]).is_empty());
    }

    #[test]
    fn names_the_settings_and_the_iac_file() {
        let rw = "{\"deploy\": {\"startCommand\": \"node server.js\", \"preDeployCommand\": [\"npx prisma migrate deploy\"]}}";
        let obs = run("railway-config-deprecated", "railway", &[("railway.json", rw)]);
        assert!(obs[0].message.contains("the start command, the pre-deploy command"), "{}", obs[0].message);
        let obs = run(
            "railway-config-deprecated",
            "railway",
            &[("railway.json", rw), (".railway/railway.ts", "export default {};\n")],
        );
        assert!(obs[0].message.contains(".railway/railway.ts"), "{}", obs[0].message);
        assert_eq!(obs[0].related[0].file, ".railway/railway.ts");
    }

    #[test]
    fn config_files_among_assets_or_templates_are_not_configuration() {
        let rw = "{\"deploy\": {\"startCommand\": \"node server.js\"}}";
        assert!(run("railway-config-deprecated", "railway", &[("apps/web/public/assets/posts/railway.json", rw)]).is_empty());
        assert!(run(
            "railway-config-deprecated",
            "railway",
            &[("templates/starter/railway.toml", "[deploy]\nstartCommand = \"x\"\n")]
        )
        .is_empty());
        assert_eq!(run("railway-config-deprecated", "railway", &[("apps/web/railway.json", rw)]).len(), 1);
    }

    #[test]
    fn a_file_without_known_settings_says_so_once() {
        let obs = run(
            "railway-config-deprecated",
            "railway",
            &[("railway.toml", "[phases.setup]\nnixPkgs = ['nodejs']\n")],
        );
        assert_eq!(obs.len(), 1);
        assert!(!obs[0].message.contains("in this file in this file"), "{}", obs[0].message);
    }
}
