#!/usr/bin/env bash
# Long fuzz run of every parser (release build): scripts/fuzz.sh [CASES_PER_PARSER] [SEED] [PARSER...]
# Default 1,000,000 cases per parser. Exit 1 on a panic (inputs saved under target/), and a
# non-zero signal exit on a stack overflow or abort: rerun that parser with FUZZ_TRACE=target/last-input.
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-1000000}"
seed="${2:-24301}"
shift $(( $# > 2 ? 2 : $# )) || true
cargo build --release --example fuzz
exec ./target/release/examples/fuzz "$cases" "$seed" "$@"
