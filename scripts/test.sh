#!/usr/bin/env bash
# The project's test command (README, first lines; .ci/run calls exactly this).
# Installs what the suites need (scripts/test-deps.sh), then checks formatting,
# lints, runs every test in the workspace, and finally the conformance suite
# against a real Keycloak, a pysaml2 IdP and headless Chromium
# (scripts/conformance.sh: it installs and starts them itself).
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
echo "== conformance (Keycloak, pysaml2, Chromium)"
"$repo/scripts/conformance.sh"
