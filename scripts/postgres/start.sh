#!/usr/bin/env bash
# Starts a PostgreSQL server of its own (Debian's postgresql package: initdb, pg_ctl) on loopback
# for the demo and the tests, never the package's service or cluster. Its data stays in the
# directory between starts (the demo keeps its visitors; a restart keeps what was committed);
# SAMLSP_PG_FRESH=1 starts over from an empty cluster.
#
#   scripts/postgres/start.sh     # last line: the connection URL; scripts/postgres/stop.sh stops it
#
# What it creates: the role `visitor` (LOGIN, no other privileges) owning the database `visitor`.
# Authentication: password (scram-sha-256) for that role and database only, over TCP on
# 127.0.0.1 only; the password is random, made once per data directory and kept in
# $SAMLSP_PG_DIR/password (mode 0600). The superuser is reachable only through the Unix socket
# in $SAMLSP_PG_DIR/socket (peer authentication, a directory only the server's user can enter).
# The URL on the last line holds the password: callers capture it, they do not log it.
#
# Run as root, the server runs as the `postgres` system user (PostgreSQL refuses to run as root)
# and the data directory is owned by it; otherwise as the calling user.
#
# Env (optional): SAMLSP_PG_PORT (5433), SAMLSP_PG_DIR (target/postgres-<port>: data/, socket/,
#   password, postgres.log), SAMLSP_PG_FSYNC (on; `off` also turns off synchronous commits and
#   full-page writes: quicker, fine for throw-away test data, never for the demo's),
#   SAMLSP_PG_FRESH (1: delete the data first), SAMLSP_PG_TIMEOUT (seconds to readiness, 60).
# Idempotent: a server already running on this directory is left running (its URL printed).
# Installs the postgresql package (apt) when missing. One line of output per step.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
host=127.0.0.1
port="${SAMLSP_PG_PORT:-5433}"
dir="${SAMLSP_PG_DIR:-$repo/target/postgres-$port}"
fsync="${SAMLSP_PG_FSYNC:-on}"
timeout="${SAMLSP_PG_TIMEOUT:-60}"
role=visitor
db=visitor
say() { printf 'postgres: %s\n' "$*"; }
die() { printf 'postgres: FAILED: %s\n' "$*" >&2; exit 1; }

[[ "$port" =~ ^[0-9]+$ ]] || die "SAMLSP_PG_PORT must be a port number"
case "$fsync" in on | off) ;; *) die "SAMLSP_PG_FSYNC must be on or off" ;; esac
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

# 1. The Debian package (its own service and cluster are not used).
if [ "$(dpkg-query -W -f='${Status}' postgresql 2>/dev/null || true)" = "install ok installed" ]; then
  say "debian: postgresql already installed"
else
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get update -qq
  log="$(mktemp)"
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    postgresql >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; die "apt-get install postgresql"; }
  rm -f "$log"
  say "debian: installed postgresql"
fi
# The newest server version installed (Debian installs them side by side).
bin="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then die "no PostgreSQL server under /usr/lib/postgresql"; fi

# 2. Who runs the server: never root.
as=()
owner="$(id -un)"
if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  id "$owner" >/dev/null 2>&1 || die "no system user $owner (the postgresql package creates it)"
  as=(runuser -u "$owner" --)
  # The server must be able to reach its directory through every parent.
  "${as[@]}" test -x "$(dirname "$dir")" ||
    die "user $owner cannot enter $(dirname "$dir") (give its parents o+x, or set SAMLSP_PG_DIR)"
fi
pg() { "${as[@]}" "$bin/$1" "${@:2}"; }
running() { [ -f "$dir/data/postmaster.pid" ] && pg pg_ctl status -D "$dir/data" >/dev/null 2>&1; }
url() { printf 'postgres://%s:%s@%s:%s/%s\n' "$role" "$(cat "$dir/password")" "$host" "$port" "$db"; }

if [ "${SAMLSP_PG_FRESH:-0}" = 1 ]; then
  SAMLSP_PG_DIR="$dir" SAMLSP_PG_PORT="$port" "$repo/scripts/postgres/stop.sh" >/dev/null
  rm -rf "$dir/data" "$dir/password"
  say "fresh: removed the data of $dir"
fi
if running; then
  port="$(sed -n 4p "$dir/data/postmaster.pid")"  # the port it was started with
  say "already running on $host:$port (data: $dir/data)"
  url
  exit 0
fi
if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then die "$host:$port is in use"; fi

# 3. The cluster, once per directory: superuser = the server's user, peer over the socket only.
mkdir -p "$dir/socket"
[ "$(id -u)" -eq 0 ] && chown -R "$owner:" "$dir"
chmod 700 "$dir" "$dir/socket"
if [ ! -f "$dir/data/PG_VERSION" ]; then
  rm -rf "$dir/data"
  log="$(mktemp)"
  pg initdb -D "$dir/data" -E UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=reject \
    >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; die "initdb"; }
  rm -f "$log"
  # Only the app's role, only its database, only from loopback, only with its password.
  cat >"$dir/data/pg_hba.conf" <<HBA
local all $owner peer
host $db $role $host/32 scram-sha-256
HBA
  chown "$owner:" "$dir/data/pg_hba.conf"
  (umask 077 && openssl rand -hex 24 | tr -d '\n' >"$dir/password")
  say "initdb: $("$bin/postgres" --version | awk '{print $3}') cluster in $dir/data"
fi
[ -s "$dir/password" ] || die "$dir/password is missing (SAMLSP_PG_FRESH=1 starts over)"

# 4. The server: loopback TCP and the private socket only; settings given on each start, so a
# restart with other SAMLSP_PG_* values takes them.
opts="-c listen_addresses=$host -p $port -c unix_socket_directories=$dir/socket"
opts+=" -c password_encryption=scram-sha-256 -c log_min_messages=warning"
if [ "$fsync" = off ]; then
  opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
log="$dir/postgres.log"
touch "$log"
[ "$(id -u)" -eq 0 ] && chown "$owner:" "$log"
# pg_ctl detaches the server (it outlives this script; stop.sh stops it with pg_ctl stop) and
# waits for it, failing at once when the server exits (bad setting, port taken); pg_isready then
# confirms that it accepts connections on the TCP address the app uses.
deadline=$((SECONDS + timeout))
pg pg_ctl start -D "$dir/data" -l "$log" -w -t "$timeout" -o "$opts" >/dev/null ||
  { tail -n 20 "$log" >&2; die "the server did not start (log: $log)"; }
until "$bin/pg_isready" -q -h "$host" -p "$port" -t 2; do
  [ $SECONDS -lt "$deadline" ] || { tail -n 20 "$log" >&2; die "not ready after ${timeout}s (log: $log)"; }
  sleep 0.2
done
say "server: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on $host:$port (pid $(head -n 1 "$dir/data/postmaster.pid"), fsync $fsync, log $log)"

# 5. The role and its database (idempotent; the password given through a psql variable, so it
# appears in no command line).
psql_super() { "${as[@]}" "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/socket" -p "$port" -d postgres "$@"; }
psql_super -v pw="$(cat "$dir/password")" >/dev/null <<SQL
SELECT format('CREATE ROLE %I LOGIN', '$role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') \gexec
ALTER ROLE $role WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw';
SELECT format('CREATE DATABASE %I OWNER %I', '$db', '$role') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db') \gexec
REVOKE ALL ON DATABASE $db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE $db TO $role;
SQL
say "database: $db owned by role $role (password auth from $host; password in $dir/password)"
url
