#!/usr/bin/env bash
# The project's test command (README, first lines; .ci/run calls exactly this).
# Installs what the suites need (scripts/test-deps.sh), then checks formatting,
# lints, the minimum supported Rust versions and the dependency policy (cargo-deny),
# runs every test in the workspace (the demo's directory-sync test starts its own OpenLDAP
# through scripts/ldap/start.sh, on SAMLSP_LDAP_PORT / SAMLSP_LDAPS_PORT, 3389 / 6636 by
# default), and finally the conformance suite
# against a real Keycloak, a pysaml2 IdP and headless Chromium
# (scripts/conformance.sh: it installs and starts them itself), and once more the Keycloak
# SP- and IdP-initiated sign-in and the SP-initiated and back-channel logout cases against the
# demo as a cluster (two instances sharing Redis and PostgreSQL behind nginx round-robin), with
# the cluster's fault cases (PostgreSQL restarted, an instance killed in the middle of a sign-in).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

"$repo/scripts/test-deps.sh"
export SAMLSP_PYTHON="$repo/.venv/bin/python3"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The minimum supported Rust versions, each with its own toolchain (scripts/test-deps.sh
# installs them) and the locked dependencies: the libraries at the workspace's rust-version,
# the demo at its own. cargo itself refuses a package whose rust-version is above the
# toolchain's, so this also proves no dependency asks for more. samlsp-actix is built here
# only as the demo's dependency: its locked actix-http 3.20 needs 1.89, above the
# workspace's 1.86 (README, "Supported Rust versions").
msrv="$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)"
demo_msrv="$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' examples/visitor/Cargo.toml)"
# Where a toolchain cannot be installed (a network that reaches only package registries),
# that build is skipped and said so; clippy's incompatible_msrv lint, run above against each
# package's rust-version, still refuses std APIs newer than the MSRV.
msrv_check() { # toolchain, packages...
  local tc=$1
  shift
  if rustup run "$tc" rustc --version >/dev/null 2>&1; then
    cargo "+$tc" check --locked --quiet --all-targets --target-dir target/msrv "$@"
    echo "MSRV: rust $tc builds $*"
  else
    echo "MSRV: SKIPPED the rust $tc build of $* (toolchain not installable here); only clippy's incompatible_msrv lint checked it"
  fi
}
echo "== MSRV: rust $msrv (samlsp, samlsp-cli, samlsp-redis, samlsp-tests), rust $demo_msrv (the demo)"
msrv_check "$msrv" -p samlsp -p samlsp-cli -p samlsp-redis -p samlsp-tests
msrv_check "$demo_msrv" -p samlsp-visitor
# Licences, duplicate versions and sources (deny.toml). Advisories are left out: they need
# the RustSec database fetched over the network at each run.
echo "== cargo deny (licences, bans, sources)"
cargo deny --locked check bans licenses sources
echo "== cargo test"
cargo test --workspace --locked
# The store-level tests above already run on both databases; the whole demo suite (every route,
# the tenant isolation suite among them) once more with PostgreSQL as its store.
echo "== the demo's tests with PostgreSQL as the store"
VISITOR_TEST_DATABASE=postgres cargo test -p samlsp-visitor --locked --test demo
echo "== conformance (Keycloak, pysaml2, Chromium)"
"$repo/scripts/conformance.sh"
echo "== conformance through a cluster (two instances, Redis, PostgreSQL, nginx round-robin)"
SAMLSP_CONF_CLUSTER=1 "$repo/scripts/conformance.sh" -k \
  "test_acme_sp_initiated_redirect_encrypted_email_jit or test_globex_sp_initiated_post_persistent_jit or test_globex_idp_initiated or test_keycloak_sp_initiated_logout or test_keycloak_back_channel_logout or test_cluster_"
