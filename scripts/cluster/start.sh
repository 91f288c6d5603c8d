#!/usr/bin/env bash
# Starts a small cluster of the visitor app on loopback: Redis (Debian's redis-server), two app
# instances sharing it (pending logins, used assertions, sessions) and one SQLite file, and
# nginx (Debian) balancing round-robin over them, without sticky sessions. Each answer carries
# `X-Visitor-Instance: a|b`. scripts/cluster/stop.sh stops it all (by the pids recorded here).
#
#   scripts/cluster/start.sh VISITOR_BINARY [ARGS...]   # the app's command (e.g. --config x.toml)
#
# The app's VISITOR_* settings (database, session key, public URL = the nginx URL, IdP metadata
# URLs) come from the caller's environment; this script adds VISITOR_BIND, VISITOR_INSTANCE and
# VISITOR_REDIS_URL per instance. Both instances write to one log, $STATE/visitor.log.
#
# Env: SAMLSP_CLUSTER_STATE (required: pids, logs, nginx.conf, redis/ data),
#      SAMLSP_CLUSTER_PORT (nginx, default 8080), SAMLSP_CLUSTER_INSTANCE_PORTS (default "8081 8082"),
#      SAMLSP_REDIS_PORT (default 6380), SAMLSP_CLUSTER_TIMEOUT (seconds per start, default 120).
set -euo pipefail

STATE="${SAMLSP_CLUSTER_STATE:?set SAMLSP_CLUSTER_STATE}"
PORT="${SAMLSP_CLUSTER_PORT:-8080}"
read -r -a INSTANCE_PORTS <<<"${SAMLSP_CLUSTER_INSTANCE_PORTS:-8081 8082}"
REDIS_PORT="${SAMLSP_REDIS_PORT:-6380}"
TIMEOUT="${SAMLSP_CLUSTER_TIMEOUT:-120}"
HOST=127.0.0.1
NAMES=(a b c d)
(($# >= 1)) || { echo "cluster: usage: $0 VISITOR_BINARY [ARGS...]" >&2; exit 2; }
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

mkdir -p "$STATE/redis" "$STATE/nginx"
for p in "$PORT" "$REDIS_PORT" "${INSTANCE_PORTS[@]}"; do
  if (exec 3<>"/dev/tcp/$HOST/$p") 2>/dev/null; then die "$HOST:$p is in use"; fi
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

# 1. Redis: loopback only, append-only file under $STATE/redis (used assertion IDs survive a
# Redis restart), never evicting (an evicted replay entry would let a response be replayed:
# when full, Redis refuses writes and logins fail closed).
start_bg "$STATE/redis.pid" "$STATE/redis.log" redis-server --bind "$HOST" --port "$REDIS_PORT" \
  --protected-mode yes --dir "$STATE/redis" --appendonly yes --save "" \
  --maxmemory 256mb --maxmemory-policy noeviction
wait_until "redis-server" "$STATE/redis.pid" "$STATE/redis.log" redis-cli -h "$HOST" -p "$REDIS_PORT" ping
say "redis $(redis-server --version | awk '{print $3}') on $HOST:$REDIS_PORT (data: $STATE/redis)"

# 2. The instances, one after the other: the first migrates the shared SQLite file (two
# processes migrating one fresh file at once would collide).
upstreams=""
for i in "${!INSTANCE_PORTS[@]}"; do
  name="${NAMES[$i]}" port="${INSTANCE_PORTS[$i]}"
  VISITOR_BIND="$HOST:$port" VISITOR_INSTANCE="$name" VISITOR_REDIS_URL="redis://$HOST:$REDIS_PORT" \
    start_bg "$STATE/instance-$name.pid" "$STATE/visitor.log" "$@"
  wait_until "instance $name" "$STATE/instance-$name.pid" "$STATE/visitor.log" \
    curl -fsS -o /dev/null --max-time 2 "http://$HOST:$port/healthz"
  say "instance $name on $HOST:$port (pid $(cat "$STATE/instance-$name.pid"))"
  upstreams+="    server $HOST:$port;"$'\n'
done

# 3. nginx: round-robin, no stickiness; bodies and answers kept in memory (no temp files, so the
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
