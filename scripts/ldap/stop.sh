#!/usr/bin/env bash
# Stops the directory scripts/ldap/start.sh started (same SAMLSP_LDAP_PORT / SAMLSP_LDAP_DIR),
# by the process ID in its pid file; waits (deadline 10 s) until it is gone.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
port="${SAMLSP_LDAP_PORT:-3389}"
dir="${SAMLSP_LDAP_DIR:-$repo/target/ldap-$port}"
pidfile="$dir/slapd.pid"
if [ ! -f "$pidfile" ]; then
  echo "ldap: not running ($dir)"
  exit 0
fi
pid="$(cat "$pidfile")"
# Only the slapd this directory's configuration started.
if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$dir/slapd.conf"; then
  kill "$pid"
  deadline=$((SECONDS + 10))
  while kill -0 "$pid" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && { kill -9 "$pid"; break; }
    sleep 0.1
  done
  echo "ldap: stopped slapd $pid"
else
  echo "ldap: not running ($dir)"
fi
rm -f "$pidfile"
