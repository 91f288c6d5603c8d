#!/usr/bin/env bash
# Installs the Debian 12 packages that samael 0.0.22 (feature `xmlsec`, its default) needs to build:
# libxml2 + libxmlsec1 (+ its OpenSSL engine) to link against, OpenSSL, pkg-config/xmlsec1-config for
# the build script, libclang/clang for bindgen, and valgrind for ./icount.sh (instruction counts).
# Idempotent: runs `apt-get update` and `apt-get install` only when a package is missing. Needs root
# (or sudo).
set -euo pipefail

PKGS=(libxml2-dev libxmlsec1-dev libxmlsec1-openssl libssl-dev pkg-config libclang-dev clang valgrind)

missing=()
for p in "${PKGS[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "perf/setup.sh: all packages present (${PKGS[*]})"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

echo "perf/setup.sh: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
