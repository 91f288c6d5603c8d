#!/usr/bin/env bash
# ACS logins per second through nginx with one, then two instances of the demo sharing Redis
# (scripts/cluster/start.sh), bounded in time: each login a distinct IdP-initiated response signed
# beforehand by the test IdP key (tests/src/bin/acs-load-bodies.rs), replay protection on (in
# Redis), JIT user mapping in SQLite, the session written to Redis; the 303 is the success.
# Prints requests/s, p50/p90/p99, answers other than 303, each instance's RSS before and after,
# the load average. Figures: docs/PERFORMANCE.md, "Logins through a cluster".
#
#   perf/cluster-load.sh
#
# Env: SAMLSP_LOAD_SECONDS (per run, default 10), SAMLSP_LOAD_CONNECTIONS (default 16),
# SAMLSP_LOAD_RESPONSES (signed per run, default 20000: must exceed what a run can send),
# SAMLSP_LOAD_PORT (nginx, default 8090), SAMLSP_LOAD_INSTANCE_PORTS (default "8091 8092"),
# SAMLSP_LOAD_REDIS_PORT (default 6390). Installs wrk (Debian) when missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/target/cluster-load"
SECONDS_PER_RUN="${SAMLSP_LOAD_SECONDS:-10}"
CONNS="${SAMLSP_LOAD_CONNECTIONS:-16}"
COUNT="${SAMLSP_LOAD_RESPONSES:-20000}"
PORT="${SAMLSP_LOAD_PORT:-8090}"
read -r -a IPORTS <<<"${SAMLSP_LOAD_INSTANCE_PORTS:-8091 8092}"
REDIS_PORT="${SAMLSP_LOAD_REDIS_PORT:-6390}"
THREADS=2
say() { printf 'cluster-load: %s\n' "$*"; }

if ! command -v wrk >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
  say "debian: installed wrk"
fi
(cd "$ROOT" && cargo build --release --locked -q -p samlsp-visitor --bin visitor \
  && cargo build --release --locked -q -p samlsp-tests --bin acs-load-bodies)
BIN="$ROOT/target/release/visitor"

rss_kb() { # pidfiles... -> "a=12345 b=..." (kB)
  local f out=""
  for f in "$@"; do
    out+="$(basename "$f" .pid | sed 's/instance-//')=$(awk '/^VmRSS/ {print $2}' "/proc/$(cat "$f")/status") "
  done
  echo "$out"
}

for n in 1 2; do
  run="$STATE/run-$n"
  rm -rf "$run"
  mkdir -p "$run"
  "$ROOT/target/release/acs-load-bodies" "http://127.0.0.1:$PORT" "$COUNT" "$run" | sed 's/^/cluster-load: /'
  SAMLSP_CLUSTER_STATE="$run/cluster" SAMLSP_CLUSTER_PORT="$PORT" \
    SAMLSP_CLUSTER_INSTANCE_PORTS="${IPORTS[*]:0:$n}" SAMLSP_REDIS_PORT="$REDIS_PORT" \
    VISITOR_SESSION_KEY="$(openssl rand -base64 64 | tr -d '\n')" \
    "$ROOT/scripts/cluster/start.sh" "$BIN" --config "$run/visitor.toml" | sed 's/^/cluster-load: /'
  trap 'SAMLSP_CLUSTER_STATE="$run/cluster" "$ROOT/scripts/cluster/stop.sh" >/dev/null' EXIT
  before="$(rss_kb "$run"/cluster/instance-*.pid)"
  say "$n instance(s): wrk -t$THREADS -c$CONNS -d${SECONDS_PER_RUN}s, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  BODIES="$run/bodies.txt" WRK_THREADS=$THREADS wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_PER_RUN}s" \
    --latency -s "$ROOT/perf/acs-load.lua" "http://127.0.0.1:$PORT" | tee "$run/wrk.txt" \
    | grep -E 'Requests/sec|Non-2xx|Socket errors|acs-load:' | sed "s/^/cluster-load: [$n] /"
  say "[$n] RSS kB before: $before after: $(rss_kb "$run"/cluster/instance-*.pid)"
  say "[$n] users in the database: $(sqlite3 "$run/visitor.sqlite3" 'select count(*) from users' 2>/dev/null || echo '?'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  SAMLSP_CLUSTER_STATE="$run/cluster" "$ROOT/scripts/cluster/stop.sh" | sed 's/^/cluster-load: /'
  trap - EXIT
done
