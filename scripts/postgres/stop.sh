#!/usr/bin/env bash
# Stops the PostgreSQL server scripts/postgres/start.sh started on the same directory
# (SAMLSP_PG_DIR / SAMLSP_PG_PORT as there) with `pg_ctl stop -D` on its data directory: that
# server and no other. Its data stays (start.sh starts it again).
#
#   scripts/postgres/stop.sh             # fast shutdown: sessions ended, transactions rolled back
#   scripts/postgres/stop.sh immediate   # no clean shutdown (recovery on the next start)
#
# Env (optional): SAMLSP_PG_TIMEOUT (seconds to wait for the stop, 60). Exits 0 when not running.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
port="${SAMLSP_PG_PORT:-5433}"
dir="${SAMLSP_PG_DIR:-$repo/target/postgres-$port}"
mode="${1:-fast}"
case "$mode" in smart | fast | immediate) ;; *) echo "postgres: usage: $0 [smart|fast|immediate]" >&2; exit 2 ;; esac
if [ ! -f "$dir/data/postmaster.pid" ]; then
  echo "postgres: not running ($dir)"
  exit 0
fi
bin="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
as=()
# pg_ctl refuses to run as root: as the data directory's owner (the server's user).
[ "$(id -u)" -eq 0 ] && as=(runuser -u "$(stat -c %U "$dir/data")" --)
pid="$(head -n 1 "$dir/data/postmaster.pid")"
if "${as[@]}" "$bin/pg_ctl" status -D "$dir/data" >/dev/null 2>&1; then
  "${as[@]}" "$bin/pg_ctl" stop -D "$dir/data" -m "$mode" -w -t "${SAMLSP_PG_TIMEOUT:-60}" >/dev/null
  echo "postgres: stopped $pid ($mode, data kept in $dir/data)"
else
  echo "postgres: not running ($dir)"
fi
