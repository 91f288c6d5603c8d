#!/usr/bin/env bash
# Starts the conformance IdP "Umbrella" (SimpleSAMLphp on PHP's built-in web server) on
# 127.0.0.1 and waits until it serves its IdP metadata. Run install.sh first; register the SPs
# with register-sp.sh (any time: the IdP reads its SP list at every request).
#
#   scripts/simplesamlphp/start.sh      # then scripts/simplesamlphp/stop.sh
#
# Env (optional): SAMLSP_SSP_PORT (8580), SAMLSP_SSP_STATE (<repo>/target/simplesamlphp),
# SAMLSP_SSP_TIMEOUT seconds to wait (30).
# Writes into the state dir: simplesamlphp.pid (process-group id), server.log (PHP's server),
# simplesamlphp.log (SimpleSAMLphp's own log), simplesamlphp.env (SAMLSP_SSP_URL, ..._METADATA_URL).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${SAMLSP_SSP_PORT:-8580}"
STATE="${SAMLSP_SSP_STATE:-$ROOT/target/simplesamlphp}"
TIMEOUT="${SAMLSP_SSP_TIMEOUT:-30}"
HOST=127.0.0.1
BASE="http://$HOST:$PORT"
META="$BASE/saml2/idp/metadata.php"
PIDFILE="$STATE/simplesamlphp.pid"
LOG="$STATE/server.log"
WWW=/usr/share/simplesamlphp/www
say() { printf 'simplesamlphp: %s\n' "$*"; }
fail() { printf 'simplesamlphp: FAILED: %s\n' "$*" >&2; exit 1; }

[ -s "$STATE/idp.key" ] && [ -d "$WWW" ] || fail "not installed: run scripts/simplesamlphp/install.sh"
ready() { curl -fsS -o /dev/null --max-time 3 "$META" 2>/dev/null; }

if [ -f "$PIDFILE" ] && kill -0 -- "-$(cat "$PIDFILE")" 2>/dev/null; then
  ready && { say "already running (pgid $(cat "$PIDFILE")) at $BASE"; exit 0; }
  fail "a server (pgid $(cat "$PIDFILE")) runs but does not answer: run scripts/simplesamlphp/stop.sh"
fi
rm -f "$PIDFILE"
(exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null && fail "port $HOST:$PORT is already in use"

: >"$LOG"
# Four workers: a browser loads a page's assets (and, for logout, several frames) at once.
env SIMPLESAMLPHP_CONFIG_DIR="$ROOT/scripts/simplesamlphp/config" SAMLSP_SSP_STATE="$STATE" \
  SAMLSP_SSP_BASEURL="$BASE" PHP_CLI_SERVER_WORKERS=4 \
  setsid php -d display_errors=stderr -d log_errors=1 -d output_buffering=0 \
    -d auto_prepend_file="$ROOT/scripts/simplesamlphp/content-length.php" \
    -S "$HOST:$PORT" -t "$WWW" </dev/null >>"$LOG" 2>&1 &
pid=$!
echo "$pid" >"$PIDFILE"
t0=$(date +%s.%N)
deadline=$(( $(date +%s) + TIMEOUT ))
until ready; do
  if ! kill -0 "$pid" 2>/dev/null; then tail -n 30 "$LOG" >&2; rm -f "$PIDFILE"; fail "the server exited"; fi
  if (( $(date +%s) >= deadline )); then
    tail -n 30 "$LOG" >&2; "$ROOT/scripts/simplesamlphp/stop.sh" >&2 || true
    fail "no metadata at $META after ${TIMEOUT}s"
  fi
  sleep 0.2
done
{
  echo "# written by scripts/simplesamlphp/start.sh"
  echo "SAMLSP_SSP_VERSION=$(dpkg-query -W -f='${Version}' simplesamlphp)"
  echo "SAMLSP_SSP_URL=$BASE"
  echo "SAMLSP_SSP_METADATA_URL=$META"
  echo "SAMLSP_SSP_PID=$pid"
} >"$STATE/simplesamlphp.env"
say "SimpleSAMLphp $(dpkg-query -W -f='${Version}' simplesamlphp) ready at $BASE in $(python3 -c "import sys,time; print(f'{time.time()-float(sys.argv[1]):.1f}')" "$t0")s (pgid $pid; metadata $META)"
