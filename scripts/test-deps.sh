#!/usr/bin/env bash
# Installs what the test suites call besides cargo: the xmlsec1 and xmllint
# commands, OpenLDAP's slapd, Redis and PostgreSQL (Debian packages), a Python
# venv at <repo>/.venv with pinned lxml and python-xmlsec (the c14n oracle and
# the dsig fixtures use them), cargo-deny (from crates.io) and the minimum supported Rust toolchain
# (the workspace's rust-version, through rustup) for scripts/test.sh.
#
# Idempotent: every step checks first and does nothing when already done, so a
# second run takes well under a second. Safe on a fresh Debian 12 as root (or
# with sudo available). One line of output per step.
#
# Environment:
#   PYTHON   interpreter that creates the venv (default: python3 on PATH)
#
# lxml and xmlsec are installed from their manylinux wheels: the two wheels of
# the pinned versions bundle the same libxml2 (2.14.6), which python-xmlsec
# requires (it refuses to import when lxml's libxml2 differs from its own). If
# no wheel fits this interpreter/platform, both are built from source against
# the system libxml2/libxmlsec1 instead, for the same reason.
set -euo pipefail

LXML_VERSION=6.1.3
XMLSEC_VERSION=1.3.17
CARGO_DENY_VERSION=0.20.2

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv"
python="${PYTHON:-python3}"

export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

step() { printf 'test-deps: %s\n' "$*"; }

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi

apt_updated=0
installed() { # dpkg package name
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}
apt_install() { # packages... (installs the missing ones; updates the lists once)
  local missing=() p
  for p in "$@"; do
    installed "$p" || missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    step "debian: $* already installed"
    return
  fi
  if [ "$apt_updated" -eq 0 ]; then
    "${sudo_cmd[@]}" apt-get update -qq
    apt_updated=1
  fi
  local log
  log="$(mktemp)"
  if ! "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  step "debian: installed ${missing[*]}"
}

# 1. The command-line tools; OpenLDAP's server and clients for the directory-sync test
#    (scripts/ldap/start.sh configures and runs its own slapd: Debian's packaged database
#    and service are not wanted).
if ! installed slapd; then
  echo "slapd slapd/no_configuration boolean true" | "${sudo_cmd[@]}" debconf-set-selections
fi
# redis-server, postgresql: the shared-store tests and the cluster start their own, on loopback
#    (scripts/postgres/start.sh runs its own cluster; the packages' services are not used).
apt_install xmlsec1 libxml2-utils slapd ldap-utils redis-server postgresql

# 2. An interpreter able to make venvs (Debian splits ensurepip into python3-venv).
if ! command -v "$python" >/dev/null 2>&1; then
  apt_install python3 python3-venv
  python=python3
elif ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  apt_install python3-venv
else
  step "python: $("$python" -c 'import sys; print(sys.executable, sys.version.split()[0])') can make venvs"
fi

# 3. The venv (re-created if its interpreter no longer runs, e.g. after the
#    base Python it was made from went away).
if [ -x "$venv/bin/python3" ] && "$venv/bin/python3" -c '' >/dev/null 2>&1; then
  step "venv: $venv exists"
else
  rm -rf "$venv"
  "$python" -m venv "$venv"
  step "venv: created $venv"
fi

# 4. lxml and python-xmlsec, pinned.
check_py="
import sys, lxml, lxml.etree as e, xmlsec
ok = lxml.__version__ == '$LXML_VERSION' and xmlsec.__version__ == '$XMLSEC_VERSION'
sys.exit(0 if ok else 1)
"
if "$venv/bin/python3" -c "$check_py" >/dev/null 2>&1; then
  step "pip: lxml==$LXML_VERSION xmlsec==$XMLSEC_VERSION already importable"
else
  if "$venv/bin/python3" -m pip install -q --only-binary lxml,xmlsec \
      "lxml==$LXML_VERSION" "xmlsec==$XMLSEC_VERSION" >/dev/null 2>&1; then
    step "pip: installed lxml==$LXML_VERSION xmlsec==$XMLSEC_VERSION (wheels)"
  else
    step "pip: no wheels for this interpreter; building from source against the system libxml2"
    apt_install build-essential pkg-config python3-dev libxml2-dev libxslt1-dev libxmlsec1-dev libxmlsec1-openssl
    "$venv/bin/python3" -m pip install -q --no-binary lxml,xmlsec \
      "lxml==$LXML_VERSION" "xmlsec==$XMLSEC_VERSION"
    step "pip: built lxml==$LXML_VERSION xmlsec==$XMLSEC_VERSION"
  fi
  "$venv/bin/python3" -c "$check_py"
fi

# 5. cargo-deny, pinned, built from crates.io (its lockfile, --locked).
if [ "$(cargo deny --version 2>/dev/null)" = "cargo-deny $CARGO_DENY_VERSION" ]; then
  step "cargo-deny $CARGO_DENY_VERSION already installed"
else
  log="$(mktemp)"
  if ! cargo install --locked --quiet "cargo-deny@$CARGO_DENY_VERSION" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  step "cargo-deny: installed $CARGO_DENY_VERSION"
fi

# 6. The toolchains of the minimum supported Rust versions (every rust-version of the
#    workspace's manifests: the libraries', the demo's), minimal profile: rustc, cargo and
#    std are all scripts/test.sh's MSRV check needs. rustup fetches them from the Rust
#    project's release server; where that is unreachable this step fails, saying so.
for msrv in $(sed -n 's/^rust-version = "\(.*\)"$/\1/p' "$repo/Cargo.toml" "$repo"/crates/*/Cargo.toml \
    "$repo/examples/visitor/Cargo.toml" "$repo/tests/Cargo.toml" | sort -u); do
  if rustup run "$msrv" rustc --version >/dev/null 2>&1; then
    step "rust $msrv toolchain already installed"
  elif timeout 300 rustup toolchain install "$msrv" --profile minimal --no-self-update >/dev/null 2>&1; then
    step "rust: installed the $msrv toolchain"
  else
    # Not fatal: CI may reach only package registries, not the Rust release server.
    # scripts/test.sh then says that the full MSRV build is skipped and why.
    step "rust: the $msrv toolchain cannot be installed here (release server unreachable?)"
  fi
done

# 7. Summary: what the tests will run.
"$venv/bin/python3" -c '
import lxml.etree as e, xmlsec
v = lambda t: ".".join(map(str, t))
print("test-deps: ok: lxml %s (libxml2 %s), python-xmlsec %s (xmlsec %s);"
      % (v(e.LXML_VERSION[:3]), v(e.LIBXML_VERSION), xmlsec.__version__,
         v(xmlsec.get_libxmlsec_version())), end=" ")'
printf '%s; xmllint (libxml2 %s)\n' "$(xmlsec1 --version | head -n1)" \
  "$(xmllint --version 2>&1 | head -n1 | sed -E 's/.*version ([0-9])([0-9]{2})([0-9]{2}).*/\1.\2.\3/; s/\.0([0-9])/.\1/g')"
