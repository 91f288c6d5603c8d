#!/usr/bin/env bash
# Stops the IdP started by scripts/simplesamlphp/start.sh: SIGTERM to the process group in its
# pid file (PHP's server and its workers), SIGKILL after 10 s. Exits 0 if nothing was running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${SAMLSP_SSP_STATE:-$ROOT/target/simplesamlphp}"
PIDFILE="$STATE/simplesamlphp.pid"
say() { printf 'simplesamlphp: %s\n' "$*"; }

[ -f "$PIDFILE" ] || { say "not running (no $PIDFILE)"; exit 0; }
pid="$(cat "$PIDFILE")"
[[ "$pid" =~ ^[0-9]+$ ]] || { rm -f "$PIDFILE"; echo "simplesamlphp: bad pid file" >&2; exit 1; }
alive() { kill -0 -- "-$pid" 2>/dev/null; }
if alive; then
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do alive || break; sleep 0.2; done
  alive && kill -KILL -- "-$pid" 2>/dev/null || true
fi
rm -f "$PIDFILE" "$STATE/simplesamlphp.env"
say "stopped (pgid $pid)"
