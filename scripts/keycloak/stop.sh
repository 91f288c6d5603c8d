#!/usr/bin/env bash
# Stops the Keycloak started by scripts/keycloak/start.sh: SIGTERM to its process group (kc.sh + JVM),
# waits up to SAMLSP_KC_STOP_TIMEOUT seconds (default 30), then SIGKILLs whatever is left in that group.
# Only the process group recorded in the pid file is touched. Exits 0 if nothing was running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${SAMLSP_KC_STATE:-$ROOT/target/keycloak}"
PIDFILE="$STATE/keycloak.pid"
TIMEOUT="${SAMLSP_KC_STOP_TIMEOUT:-30}"

if [[ ! -f "$PIDFILE" ]]; then
  echo "stop.sh: no pid file ($PIDFILE); nothing to stop"
  exit 0
fi
pid="$(cat "$PIDFILE")"
[[ "$pid" =~ ^[0-9]+$ ]] || { echo "stop.sh: bad pid file $PIDFILE" >&2; rm -f "$PIDFILE"; exit 1; }

# start.sh runs kc.sh under setsid, so pid is also the process-group id.
group_alive() { kill -0 -- "-$pid" 2>/dev/null; }

if ! group_alive; then
  echo "stop.sh: Keycloak (pgid $pid) is not running"
  rm -f "$PIDFILE" "$STATE/keycloak.env"
  exit 0
fi

kill -TERM -- "-$pid" 2>/dev/null || true
for ((i = 0; i < TIMEOUT * 5; i++)); do
  group_alive || break
  sleep 0.2
done
if group_alive; then
  echo "stop.sh: still running after ${TIMEOUT}s, sending SIGKILL to process group $pid" >&2
  kill -KILL -- "-$pid" 2>/dev/null || true
  sleep 0.5
fi
if group_alive; then
  echo "stop.sh: process group $pid survived SIGKILL" >&2
  exit 1
fi
rm -f "$PIDFILE" "$STATE/keycloak.env"
echo "stop.sh: Keycloak stopped (pgid $pid)"
