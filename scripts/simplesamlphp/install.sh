#!/usr/bin/env bash
# Installs SimpleSAMLphp (Debian's package, with PHP's CLI and the extensions it needs) and
# prepares a state directory for the conformance IdP "Umbrella": a self-signed RSA 2048 signing
# key and certificate (SHA-256, made here, never committed), a random secret salt (persistent
# NameIDs are hashed with it) and a random admin password (the admin pages are not used).
# Idempotent: what exists is kept; one line of output per step.
#
#   scripts/simplesamlphp/install.sh     # then start.sh, register-sp.sh, stop.sh
#
# Env (optional): SAMLSP_SSP_STATE  state dir (default <repo>/target/simplesamlphp)
#
# The configuration itself is in scripts/simplesamlphp/config/ (SIMPLESAMLPHP_CONFIG_DIR); it
# reads the state dir and the public URL from the environment that start.sh sets.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${SAMLSP_SSP_STATE:-$ROOT/target/simplesamlphp}"
say() { printf 'simplesamlphp: %s\n' "$*"; }

sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
# php-xml (dom) and php-mbstring: SimpleSAMLphp needs them but the package does not pull them in.
pkgs=(simplesamlphp php-cli php-xml php-mbstring openssl)
missing=()
for p in "${pkgs[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  say "debian: ${pkgs[*]} already installed ($(dpkg-query -W -f='${Version}' simplesamlphp))"
else
  log="$(mktemp)"
  # policy-rc.d or not, the package's Apache is never used: the IdP runs on PHP's own server.
  if ! { DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get update -qq &&
         DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
           "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; echo "simplesamlphp: FAILED: apt-get install ${missing[*]}" >&2; exit 1
  fi
  rm -f "$log"
  say "debian: installed ${missing[*]} ($(dpkg-query -W -f='${Version}' simplesamlphp))"
fi

mkdir -p "$STATE"/{data,tmp,sessions}
if [ -s "$STATE/idp.key" ] && [ -s "$STATE/idp.crt" ]; then
  say "key: $STATE/idp.crt already there"
else
  openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 3650 -subj "/CN=Umbrella conformance IdP" \
    -keyout "$STATE/idp.key" -out "$STATE/idp.crt" 2>/dev/null
  chmod 600 "$STATE/idp.key"
  say "key: made $STATE/idp.crt ($(openssl x509 -in "$STATE/idp.crt" -noout -fingerprint -sha256 | cut -d= -f2 | cut -c1-23)...)"
fi
if [ -s "$STATE/secretsalt" ] && [ -s "$STATE/adminpassword" ]; then
  say "secrets: salt and admin password already there"
else
  (umask 077; openssl rand -hex 32 >"$STATE/secretsalt"; openssl rand -hex 24 >"$STATE/adminpassword")
  say "secrets: made a salt and an admin password (files in $STATE, mode 0600)"
fi
