#!/usr/bin/env bash
# Starts a small cluster of the visitor app on loopback: Redis (Debian's redis-server) and
# PostgreSQL (Debian's postgresql, scripts/postgres/start.sh), two app instances sharing them
# (Redis: pending logins, used assertions, sessions; PostgreSQL: the app's data), and nginx
# (Debian) balancing round-robin over them, without sticky sessions. Each answer carries
# `X-Visitor-Instance: a|b`. scripts/cluster/stop.sh stops it all (by the pids recorded here,
# PostgreSQL by its data directory).
#
#   scripts/cluster/start.sh VISITOR_BINARY [ARGS...]   # the app's command (e.g. --config x.toml)
#   scripts/cluster/start.sh --instance NAME VISITOR_BINARY [ARGS...]
#       # (re)starts only instance NAME (a, b, ...) of a running cluster, e.g. after it was killed:
#       # same port, same Redis and database, behind the same nginx
#
# The app's VISITOR_* settings (session key, public URL = the nginx URL, IdP metadata URLs) come
# from the caller's environment; this script adds VISITOR_BIND, VISITOR_INSTANCE,
# VISITOR_REDIS_URL and VISITOR_DATABASE_URL per instance (a VISITOR_DATABASE of the caller's,
# an SQLite file, is not passed on: every instance must use the one PostgreSQL database). Both
# instances write to one log, $STATE/visitor.log.
#
# Env: SAMLSP_CLUSTER_STATE (required: pids, logs, nginx.conf, redis/ data, cluster.env),
#      SAMLSP_CLUSTER_PORT (nginx, default 8080), SAMLSP_CLUSTER_INSTANCE_PORTS (default "8081 8082"),
#      SAMLSP_REDIS_PORT (default 6380), SAMLSP_CLUSTER_TIMEOUT (seconds per start, default 120),
#      SAMLSP_PG_PORT (default 5433), SAMLSP_PG_DIR (default $SAMLSP_CLUSTER_STATE/postgres: its
#      data outlives a stop), SAMLSP_PG_FSYNC, SAMLSP_PG_FRESH (scripts/postgres/start.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${SAMLSP_CLUSTER_STATE:?set SAMLSP_CLUSTER_STATE}"
PORT="${SAMLSP_CLUSTER_PORT:-8080}"
read -r -a INSTANCE_PORTS <<<"${SAMLSP_CLUSTER_INSTANCE_PORTS:-8081 8082}"
REDIS_PORT="${SAMLSP_REDIS_PORT:-6380}"
PG_PORT="${SAMLSP_PG_PORT:-5433}"
PG_DIR="${SAMLSP_PG_DIR:-$STATE/postgres}"
TIMEOUT="${SAMLSP_CLUSTER_TIMEOUT:-120}"
HOST=127.0.0.1
NAMES=(a b c d)
ONLY=""
if [ "${1:-}" = --instance ]; then
  ONLY="${2:-}"
  shift 2 || true
fi
(($# >= 1)) || { echo "cluster: usage: $0 [--instance NAME] VISITOR_BINARY [ARGS...]" >&2; exit 2; }
((${#INSTANCE_PORTS[@]} >= 1 && ${#INSTANCE_PORTS[@]} <= 4)) || { echo "cluster: 1 to 4 instance ports" >&2; exit 2; }

say() { printf 'cluster: %s\n' "$*"; }
die() { printf 'cluster: FAILED: %s\n' "$*" >&2; exit 1; }

# Debian packages, installed when missing (one line each).
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
for pkg in redis-server nginx; do
  if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" = "install ok installed" ]; then
    say "debian: $pkg already installed"
  else
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$pkg" \
      >"/tmp/cluster-apt-$$.log" 2>&1 || { cat "/tmp/cluster-apt-$$.log" >&2; die "apt-get install $pkg"; }
    say "debian: installed $pkg"
  fi
done

# A process started with setsid leads its own group; stop.sh signals the group.
start_bg() { # pidfile logfile command...
  local pidfile=$1 log=$2
  shift 2
  setsid "$@" </dev/null >>"$log" 2>&1 &
  echo $! >"$pidfile"
}
wait_until() { # what pidfile log command...
  local what=$1 pidfile=$2 log=$3 deadline=$(( $(date +%s) + TIMEOUT ))
  shift 3
  until "$@" >/dev/null 2>&1; do
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { tail -n 30 "$log" >&2; die "$what exited (log: $log)"; }
    (( $(date +%s) < deadline )) || { tail -n 30 "$log" >&2; die "$what not ready after ${TIMEOUT}s"; }
    sleep 0.25
  done
}

# The database URL of the cluster's PostgreSQL (started when it is not running; the URL, which
# holds the password, is scripts/postgres/start.sh's last line and is never printed here).
database_url() {
  local out
  out="$(SAMLSP_PG_DIR="$PG_DIR" SAMLSP_PG_PORT="$PG_PORT" SAMLSP_PG_TIMEOUT="$TIMEOUT" \
    "$ROOT/scripts/postgres/start.sh")" || die "PostgreSQL did not start (scripts/postgres/start.sh)"
  sed '$d' <<<"$out" | sed 's/^postgres: /cluster: postgres: /'
  DB_URL="$(tail -n 1 <<<"$out")"
  [[ "$DB_URL" == postgres://* ]] || die "scripts/postgres/start.sh printed no URL"
}

# One instance (its own process group; the first of a fresh database migrates it, so they start
# one after the other).
start_instance() { # index command...
  local i=$1 name port
  shift
  name="${NAMES[$i]}" port="${INSTANCE_PORTS[$i]}"
  if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then die "$HOST:$port is in use"; fi
  VISITOR_BIND="$HOST:$port" VISITOR_INSTANCE="$name" VISITOR_REDIS_URL="redis://$HOST:$REDIS_PORT" \
    VISITOR_DATABASE_URL="$DB_URL" start_bg "$STATE/instance-$name.pid" "$STATE/visitor.log" \
    env -u VISITOR_DATABASE "$@"
  wait_until "instance $name" "$STATE/instance-$name.pid" "$STATE/visitor.log" \
    curl -fsS -o /dev/null --max-time 2 "http://$HOST:$port/healthz"
  say "instance $name on $HOST:$port (pid $(cat "$STATE/instance-$name.pid"))"
}

if [ -n "$ONLY" ]; then
  # One instance again, with what the running cluster recorded at its start.
  [ -f "$STATE/cluster.env" ] || die "no cluster in $STATE (start it first)"
  # shellcheck disable=SC1091
  source "$STATE/cluster.env"
  read -r -a INSTANCE_PORTS <<<"$CLUSTER_INSTANCE_PORTS"
  REDIS_PORT="$CLUSTER_REDIS_PORT" PG_PORT="$CLUSTER_PG_PORT" PG_DIR="$CLUSTER_PG_DIR"
  index=""
  for i in "${!INSTANCE_PORTS[@]}"; do [ "${NAMES[$i]}" = "$ONLY" ] && index=$i; done
  [ -n "$index" ] || die "no instance $ONLY in this cluster (${NAMES[*]:0:${#INSTANCE_PORTS[@]}})"
  pidfile="$STATE/instance-$ONLY.pid"
  if [ -f "$pidfile" ]; then
    # Just killed, it may take a moment to be gone.
    for _ in $(seq 1 50); do kill -0 -- "-$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
    if kill -0 -- "-$(cat "$pidfile")" 2>/dev/null; then
      die "instance $ONLY is running (pid $(cat "$pidfile")); scripts/cluster/stop.sh stops the cluster"
    fi
  fi
  database_url
  start_instance "$index" "$@"
  exit 0
fi

mkdir -p "$STATE/redis" "$STATE/nginx"
for p in "$PORT" "$REDIS_PORT" "${INSTANCE_PORTS[@]}"; do
  if (exec 3<>"/dev/tcp/$HOST/$p") 2>/dev/null; then die "$HOST:$p is in use"; fi
done
# What stop.sh and --instance need (no secret: the database password stays in $PG_DIR).
{
  printf 'CLUSTER_PORT=%q\n' "$PORT"
  printf 'CLUSTER_INSTANCE_PORTS=%q\n' "${INSTANCE_PORTS[*]}"
  printf 'CLUSTER_REDIS_PORT=%q\n' "$REDIS_PORT"
  printf 'CLUSTER_PG_PORT=%q\n' "$PG_PORT"
  printf 'CLUSTER_PG_DIR=%q\n' "$PG_DIR"
} >"$STATE/cluster.env"

# 1. Redis: loopback only, append-only file under $STATE/redis (used assertion IDs survive a
# Redis restart), never evicting (an evicted replay entry would let a response be replayed:
# when full, Redis refuses writes and logins fail closed).
start_bg "$STATE/redis.pid" "$STATE/redis.log" redis-server --bind "$HOST" --port "$REDIS_PORT" \
  --protected-mode yes --dir "$STATE/redis" --appendonly yes --save "" \
  --maxmemory 256mb --maxmemory-policy noeviction
wait_until "redis-server" "$STATE/redis.pid" "$STATE/redis.log" redis-cli -h "$HOST" -p "$REDIS_PORT" ping
say "redis $(redis-server --version | awk '{print $3}') on $HOST:$REDIS_PORT (data: $STATE/redis)"

# 2. PostgreSQL: loopback only, its own data directory, the app's role and database.
database_url

# 3. The instances.
upstreams=""
for i in "${!INSTANCE_PORTS[@]}"; do
  start_instance "$i" "$@"
  # A server nginx could not reach is passed over for 2 s (not the default 10): an instance
  # started again takes its share soon.
  upstreams+="    server $HOST:${INSTANCE_PORTS[$i]} max_fails=1 fail_timeout=2s;"$'\n'
done

# 4. nginx: round-robin, no stickiness; bodies and answers kept in memory (no temp files, so the
# workers need no write access under $STATE).
cat >"$STATE/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $STATE/nginx/nginx.pid;
error_log $STATE/nginx/error.log warn;
events { worker_connections 512; }
http {
  # Which instance answered each request (its X-Visitor-Instance header).
  log_format cluster '\$remote_addr [\$time_local] "\$request" \$status instance=\$upstream_http_x_visitor_instance upstream=\$upstream_addr';
  access_log $STATE/nginx/access.log cluster;
  client_body_buffer_size 1m;
  client_max_body_size 1m;
  client_body_temp_path /tmp;
  proxy_temp_path /tmp;
  fastcgi_temp_path /tmp;
  uwsgi_temp_path /tmp;
  scgi_temp_path /tmp;
  upstream visitor {
$upstreams    keepalive 16;
  }
  server {
    listen $HOST:$PORT;
    location / {
      proxy_pass http://visitor;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_buffering off;
      # An instance that is down: the next one answers (a POST is retried only if it never
      # reached the app).
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
    }
  }
}
CONF
start_bg "$STATE/nginx.pid" "$STATE/nginx/error.log" nginx -c "$STATE/nginx/nginx.conf" -p "$STATE/nginx"
wait_until "nginx" "$STATE/nginx.pid" "$STATE/nginx/error.log" \
  curl -fsS -o /dev/null --max-time 2 "http://$HOST:$PORT/healthz"
say "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') on http://$HOST:$PORT, round-robin over ${#INSTANCE_PORTS[@]} instances"
