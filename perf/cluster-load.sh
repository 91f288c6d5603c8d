#!/usr/bin/env bash
# ACS logins per second through nginx with one, then two instances of the demo sharing Redis and
# PostgreSQL (scripts/cluster/start.sh), bounded in time: each login a distinct IdP-initiated
# response signed beforehand by the test IdP key (tests/src/bin/acs-load-bodies.rs), replay
# protection on (in Redis), JIT user mapping in PostgreSQL (fsync on, as in production: each new
# user is a durable commit), the session written to Redis; the 303 is the success.
# Prints requests/s, p50/p90/p99, answers other than 303, each instance's RSS before and after,
# the load average. Figures: docs/PERFORMANCE.md, "Logins through a cluster".
#
#   perf/cluster-load.sh
#
# Connections: 4 per instance by default. With 2 CPUs an instance verifies at most 4 responses at
# a time and answers 503 (Retry-After) above that, by design, rather than queue; more connections
# measure that shedding, not logins.
# Env: SAMLSP_LOAD_SECONDS (per run, default 10), SAMLSP_LOAD_CONNECTIONS (per instance, default 4),
# SAMLSP_LOAD_INSTANCES (the runs, default "1 2"), SAMLSP_LOAD_ROUNDS (wrk runs against the same
# cluster, each with freshly signed responses, RSS after each: default 1),
# SAMLSP_LOAD_RESPONSES (signed per run, default 20000: must exceed what a run can send),
# SAMLSP_LOAD_PORT (nginx, default 8090), SAMLSP_LOAD_INSTANCE_PORTS (default "8091 8092"),
# SAMLSP_LOAD_REDIS_PORT (default 6390), SAMLSP_LOAD_PG_PORT (default 5490; a fresh database per
# run), SAMLSP_LOAD_PG_FSYNC (default on; off shows what the commits' flushes to disk cost).
# Installs wrk (Debian) when missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/target/cluster-load"
SECONDS_PER_RUN="${SAMLSP_LOAD_SECONDS:-10}"
CONNS="${SAMLSP_LOAD_CONNECTIONS:-4}"
COUNT="${SAMLSP_LOAD_RESPONSES:-20000}"
PORT="${SAMLSP_LOAD_PORT:-8090}"
read -r -a IPORTS <<<"${SAMLSP_LOAD_INSTANCE_PORTS:-8091 8092}"
REDIS_PORT="${SAMLSP_LOAD_REDIS_PORT:-6390}"
PG_PORT="${SAMLSP_LOAD_PG_PORT:-5490}"
ROUNDS="${SAMLSP_LOAD_ROUNDS:-1}"
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

for n in ${SAMLSP_LOAD_INSTANCES:-1 2}; do
  conns=$((CONNS * n))
  run="$STATE/run-$n"
  rm -rf "$run"
  mkdir -p "$run"
  "$ROOT/target/release/acs-load-bodies" "http://127.0.0.1:$PORT" "$COUNT" "$run" | sed 's/^/cluster-load: /'
  SAMLSP_CLUSTER_STATE="$run/cluster" SAMLSP_CLUSTER_PORT="$PORT" \
    SAMLSP_CLUSTER_INSTANCE_PORTS="${IPORTS[*]:0:$n}" SAMLSP_REDIS_PORT="$REDIS_PORT" \
    SAMLSP_PG_PORT="$PG_PORT" SAMLSP_PG_FSYNC="${SAMLSP_LOAD_PG_FSYNC:-on}" \
    VISITOR_SESSION_KEY="$(openssl rand -base64 64 | tr -d '\n')" \
    "$ROOT/scripts/cluster/start.sh" "$BIN" --config "$run/visitor.toml" | sed 's/^/cluster-load: /'
  trap 'SAMLSP_CLUSTER_STATE="$run/cluster" "$ROOT/scripts/cluster/stop.sh" >/dev/null' EXIT
  say "[$n] RSS kB at start: $(rss_kb "$run"/cluster/instance-*.pid)"
  for round in $(seq 1 "$ROUNDS"); do
    if ((round > 1)); then  # fresh responses (their 15 minutes start now), same cluster
      "$ROOT/target/release/acs-load-bodies" "http://127.0.0.1:$PORT" "$COUNT" "$run" >/dev/null
    fi
    say "[$n] round $round: wrk -t$THREADS -c$conns -d${SECONDS_PER_RUN}s, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    BODIES="$run/bodies.txt" WRK_THREADS=$THREADS wrk -t"$THREADS" -c"$conns" -d"${SECONDS_PER_RUN}s" \
      --latency -s "$ROOT/perf/acs-load.lua" "http://127.0.0.1:$PORT" | tee "$run/wrk-$round.txt" \
      | grep -E 'Requests/sec|Non-2xx|Socket errors|acs-load:' | sed "s/^/cluster-load: [$n] /"
    say "[$n] round $round: RSS kB after: $(rss_kb "$run"/cluster/instance-*.pid); logins so far: $(grep -c ' 303 ' "$run/cluster/nginx/access.log")"
  done
  say "[$n] answers by kind in the app log: $(grep -o 'kind="[a-z_]*"' "$run/cluster/visitor.log" | sort | uniq -c | tr -s ' ' | paste -sd, || true)"
  # (The password through the environment, not on a command line.)
  users="$(PGPASSWORD="$(cat "$run/cluster/postgres/password")" psql -X -At -F ' ' -h 127.0.0.1 \
    -p "$PG_PORT" -U visitor -d visitor -c "select (select count(*) from users), xact_commit,
      xact_rollback from pg_stat_database where datname = 'visitor'" 2>/dev/null || echo '? ? ?')"
  read -r users commits rollbacks <<<"$users"
  say "[$n] users in the database: $users; PostgreSQL transactions: $commits committed, $rollbacks rolled back; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  SAMLSP_CLUSTER_STATE="$run/cluster" "$ROOT/scripts/cluster/stop.sh" | sed 's/^/cluster-load: /'
  trap - EXIT
done
