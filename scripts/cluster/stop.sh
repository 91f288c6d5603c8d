#!/usr/bin/env bash
# Stops what scripts/cluster/start.sh started in $SAMLSP_CLUSTER_STATE: nginx, the instances,
# Redis (each by the process group recorded in its pid file), then PostgreSQL (pg_ctl stop on the
# data directory recorded in cluster.env; its data stays). Exits 0 when nothing ran.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${SAMLSP_CLUSTER_STATE:?set SAMLSP_CLUSTER_STATE}"
stopped=()
for pidfile in "$STATE/nginx.pid" "$STATE"/instance-*.pid "$STATE/redis.pid"; do
  [ -f "$pidfile" ] || continue
  pid="$(cat "$pidfile")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 -- "-$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    stopped+=("$(basename "$pidfile" .pid)")
  fi
  rm -f "$pidfile"
done
if [ -f "$STATE/cluster.env" ]; then
  # shellcheck disable=SC1091
  source "$STATE/cluster.env"
  out="$(SAMLSP_PG_DIR="$CLUSTER_PG_DIR" "$ROOT/scripts/postgres/stop.sh")"
  [[ "$out" == "postgres: stopped"* ]] && stopped+=(postgres)
fi
echo "cluster: stopped ${stopped[*]:-nothing (not running)}"
