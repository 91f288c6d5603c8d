#!/usr/bin/env bash
# Stops what scripts/demo-up.sh started: the visitor app (its process group, from the pid file),
# the SMTP sink, or with --cluster nginx, the instances, Redis and PostgreSQL (scripts/cluster/stop.sh;
# the database's data stays for the next run), then
# Keycloak (scripts/keycloak/stop.sh). Exits 0 when nothing was running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${SAMLSP_DEMO_STATE:-$ROOT/target/demo}"
PIDFILE="$STATE/visitor.pid"
status=0

if [[ -f "$PIDFILE" ]]; then
  pid="$(cat "$PIDFILE")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 -- "-$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 -- "-$pid" 2>/dev/null; then
      echo "demo-down.sh: the app did not stop in 10 s; sending SIGKILL to process group $pid" >&2
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    echo "demo-down.sh: visitor app stopped (pgid $pid)"
  else
    echo "demo-down.sh: visitor app not running"
  fi
  rm -f "$PIDFILE"
else
  echo "demo-down.sh: no visitor pid file; app not running"
fi

SINK_PIDFILE="$STATE/smtp-sink.pid"
if [[ -f "$SINK_PIDFILE" ]]; then
  pid="$(cat "$SINK_PIDFILE")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 -- "-$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    echo "demo-down.sh: SMTP sink stopped (pgid $pid; the mail it kept stays in $STATE/mail)"
  fi
  rm -f "$SINK_PIDFILE"
fi
if [[ -d "$STATE/cluster" ]]; then
  SAMLSP_CLUSTER_STATE="$STATE/cluster" "$ROOT/scripts/cluster/stop.sh" | sed 's/^/demo-down.sh: /' || status=$?
fi

"$ROOT/scripts/keycloak/stop.sh" || status=$?
exit "$status"
