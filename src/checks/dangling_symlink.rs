use super::{model_observations, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "dangling-symlink",
    aspect: Aspect::Docker,
    title: "A deployment file is a symbolic link to nothing",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Reports a Dockerfile, lockfile, env file, compose file or other deployment file that is a symbolic
link whose target does not exist.

## Why it matters
Git stores the link, not the file: on the build machine the link points nowhere, and the build
fails (`failed to read dockerfile`, `npm ci` without a lockfile).

## Example
`yarn.lock -> /home/dev/shared/yarn.lock` committed from a development machine.

## Fix
Replace the link with the real file, or remove it and its uses.

## References
- https://docs.docker.com/build/concepts/context/
"#;

fn run(model: &Model) -> Vec<Observation> {
    model_observations(model, RULE.id)
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    #[test]
    fn dangling_lockfile_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), "{}").unwrap();
        std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join("yarn.lock")).unwrap();
        let d = crate::discover::discover(dir.path(), &Default::default()).unwrap();
        let m = crate::model::Model::build(d);
        assert_eq!(m.observations.iter().filter(|o| o.rule == "dangling-symlink").count(), 1);
    }

    #[test]
    fn regular_files_give_nothing() {
        assert!(crate::checks::testing::koyeb("dangling-symlink", &[("package.json", "{}")]).is_empty());
    }
}
