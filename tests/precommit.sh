#!/usr/bin/env bash
# Prove the pre-commit hook (.pre-commit-hooks.yaml) works with the real `pre-commit` from PyPI:
# a snapshot of this repository (committed with a fixed date, so an unchanged tree gives the same
# revision) is the hook repository; two throw-away git repositories, copies of
# fixtures/seed000-koyeb-pos (critical blockers) and fixtures/clean-nextjs, add it to their
# .pre-commit-config.yaml with `args: ["--target", "koyeb"]`, install the hook and commit:
# the first commit must be refused, the second must go through. Both use one pre-commit cache
# (PRE_COMMIT_HOME), so the hook is built once (`cargo install`, release profile without LTO,
# into a persistent CARGO_TARGET_DIR so later runs only rebuild this crate).
# Also runs `pre-commit try-repo` on both fixtures, with the target named in a deploy-audit.toml.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
STATE=${DEPLOY_AUDIT_PRECOMMIT_STATE:-$ROOT/target/precommit}
VENV=$STATE/venv
mkdir -p "$STATE"

# The real pre-commit, from PyPI, in a virtualenv.
if ! "$VENV/bin/pre-commit" --version >/dev/null 2>&1; then
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    echo "python3-venv missing; installing it" >&2
    (apt-get install -y python3-venv || { apt-get update && apt-get install -y python3-venv; }) >&2
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'pre-commit>=4,<5'
fi
PRE_COMMIT=$VENV/bin/pre-commit
echo "using $("$PRE_COMMIT" --version)"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export PRE_COMMIT_HOME=$STATE/cache
export CARGO_TARGET_DIR=$STATE/cargo-target
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_TERM_COLOR=never
export GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@example.invalid GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@example.invalid
export GIT_AUTHOR_DATE=2000-01-01T00:00:00Z GIT_COMMITTER_DATE=2000-01-01T00:00:00Z
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE

# Snapshot of the working tree (tracked and new files, not ignored ones) as the hook repository.
SNAP=$WORK/deploy-audit
mkdir -p "$SNAP"
list_files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard
  else
    find . \( -path ./target -o -path ./.git \) -prune -o \( -type f -o -type l \) -printf '%P\0'
  fi
}
list_files | while IFS= read -r -d '' f; do
  if [ -e "$f" ] || [ -L "$f" ]; then
    mkdir -p "$SNAP/$(dirname "$f")"
    cp -P "$f" "$SNAP/$f"
  fi
done
git -C "$SNAP" init -q -b main
git -C "$SNAP" add -A
git -C "$SNAP" commit -q -m snapshot
REV=$(git -C "$SNAP" rev-parse HEAD)
echo "hook repository snapshot: $REV"

# make_repo NAME FIXTURE: a git repository holding a copy of the fixture and a pre-commit config.
make_repo() {
  local dir=$WORK/$1
  mkdir -p "$dir"
  cp -R "fixtures/$2/." "$dir/"
  git -C "$dir" init -q -b main
  cat >"$dir/.pre-commit-config.yaml" <<YAML
repos:
  - repo: $SNAP
    rev: $REV
    hooks:
      - id: deploy-audit
        args: ["--target", "koyeb"]
        verbose: true
YAML
  (cd "$dir" && "$PRE_COMMIT" install >/dev/null && git add -A)
}

start=$(date +%s)
status=0

make_repo blocked seed000-koyeb-pos
set +e
(cd "$WORK/blocked" && git commit -q -m "try to commit critical blockers") >"$WORK/blocked.log" 2>&1
rc=$?
set -e
if [ "$rc" -ne 0 ] && grep -q "deploy-audit.*Failed" "$WORK/blocked.log" && grep -q "ephemeral-disk-write" "$WORK/blocked.log" \
  && ! git -C "$WORK/blocked" rev-parse -q --verify HEAD >/dev/null; then
  echo "ok: seed000-koyeb-pos commit refused by the hook (exit $rc)"
else
  echo "FAIL: seed000-koyeb-pos commit was not refused by the hook (exit $rc)"; status=1
fi
sed -n '1,400p' "$WORK/blocked.log" | grep -E "deploy-audit|exit code|not-ready|CRITICAL" | head -8 | sed 's/^/    /'

make_repo clean clean-nextjs
set +e
(cd "$WORK/clean" && git commit -q -m "commit a clean app") >"$WORK/clean.log" 2>&1
rc=$?
set -e
if [ "$rc" -eq 0 ] && grep -q "deploy-audit.*Passed" "$WORK/clean.log" && git -C "$WORK/clean" rev-parse -q --verify HEAD >/dev/null; then
  echo "ok: clean-nextjs commit passed the hook"
else
  echo "FAIL: clean-nextjs commit did not pass the hook (exit $rc)"; status=1; cat "$WORK/clean.log"
fi
grep -E "deploy-audit|ready" "$WORK/clean.log" | head -4 | sed 's/^/    /'

# try-repo: the same hook repository and revision (same cache, no rebuild), on fresh copies
# whose deploy-audit.toml names the target (try-repo cannot pass hook args): the copy with
# critical blockers must fail, the clean one must pass.
try_repo() {
  local dir=$WORK/try-$1
  mkdir -p "$dir"
  cp -R "fixtures/$2/." "$dir/"
  printf 'targets = ["koyeb"]\n' >"$dir/deploy-audit.toml"
  git -C "$dir" init -q -b main
  git -C "$dir" add -A
  (cd "$dir" && "$PRE_COMMIT" try-repo "$SNAP" deploy-audit --ref "$REV" --all-files --verbose) >"$WORK/try-$1.log" 2>&1
}
set +e
try_repo blocked seed000-koyeb-pos
rc=$?
set -e
if [ "$rc" -ne 0 ] && grep -q "deploy-audit.*Failed" "$WORK/try-blocked.log" && grep -q "exit code: 1" "$WORK/try-blocked.log"; then
  echo "ok: try-repo on seed000-koyeb-pos fails (the gate, exit code 1)"
else
  echo "FAIL: try-repo on seed000-koyeb-pos did not fail on the gate (exit $rc)"; status=1; cat "$WORK/try-blocked.log"
fi
set +e
try_repo clean clean-nextjs
rc=$?
set -e
if [ "$rc" -eq 0 ] && grep -q "deploy-audit.*Passed" "$WORK/try-clean.log"; then
  echo "ok: try-repo on clean-nextjs passes"
else
  echo "FAIL: try-repo on clean-nextjs did not pass (exit $rc)"; status=1; cat "$WORK/try-clean.log"
fi

echo "pre-commit checks took $(( $(date +%s) - start )) s"
if [ "$status" -ne 0 ]; then
  echo "--- blocked.log"; cat "$WORK/blocked.log"
fi
exit "$status"
