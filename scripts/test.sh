#!/usr/bin/env bash
# The project's test command (README, first lines; .ci/run calls exactly this).
# Installs what the suites need (scripts/test-deps.sh), then checks formatting,
# lints, and runs every test in the workspace.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

"$repo/scripts/test-deps.sh"
export SAMLSP_PYTHON="$repo/.venv/bin/python3"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
