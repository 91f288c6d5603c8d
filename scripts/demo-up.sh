#!/usr/bin/env bash
# Brings up the demo: Keycloak (realms acme and globex from testdata/keycloak/) on 127.0.0.1:8180,
# a local SMTP sink that keeps the app's outgoing mail (tests/conformance/mail/smtp_sink.py, in
# the repo's .venv) and the visitor app (examples/visitor) on http://127.0.0.1:8080, waits until
# they are ready, and prints the URL and the test users. scripts/demo-down.sh stops everything.
#
#   scripts/demo-up.sh [--fresh] [--cluster]
#     --fresh:   start the app with an empty database
#     --cluster: two app instances sharing Redis (pending logins, used assertions, sessions)
#                and PostgreSQL (the app's data), behind nginx round-robin on 127.0.0.1:8080, no
#                sticky sessions; each answer names its instance (X-Visitor-Instance). Redis,
#                PostgreSQL and nginx are Debian packages (installed when missing), loopback
#                only, data under target/demo/cluster/ (scripts/cluster/start.sh); the database
#                is kept between runs (--fresh empties it).
#
# Needs: cargo, java (17+), mvn, unzip, curl, python3, openssl, setsid
# (Debian: apt-get install -y openjdk-17-jre-headless maven unzip curl python3 openssl).
# The first run downloads Keycloak (~174 MB, Maven Central) and builds the app; later runs reuse both.
#
# Env (optional): SAMLSP_DEMO_STATE (default <repo>/target/demo: log, pid, database, session key),
# SAMLSP_DEMO_TIMEOUT (seconds to wait for the app, default 120), SAMLSP_DEMO_SMTP_PORT (the
# sink's port, default 2525), VISITOR_* (see
# examples/visitor/README.md), and the SAMLSP_KC_* variables of scripts/keycloak/start.sh
# (the app's configuration expects Keycloak on port 8180). With --cluster: SAMLSP_DEMO_INSTANCE_PORTS
# (default "8081 8082"), SAMLSP_REDIS_PORT (default 6380), SAMLSP_PG_PORT (default 5433).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${SAMLSP_DEMO_STATE:-$ROOT/target/demo}"
TIMEOUT="${SAMLSP_DEMO_TIMEOUT:-120}"
CONFIG="${VISITOR_CONFIG:-$ROOT/examples/visitor/visitor.toml}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/debug/visitor"
APP_URL="http://127.0.0.1:8080"
PIDFILE="$STATE/visitor.pid"
LOG="$STATE/visitor.log"
SMTP_PORT="${SAMLSP_DEMO_SMTP_PORT:-2525}"
MAILDIR="$STATE/mail"
SINK_PIDFILE="$STATE/smtp-sink.pid"
FRESH=0
CLUSTER=0

for arg in "$@"; do
  case "$arg" in
    --fresh) FRESH=1 ;;
    --cluster) CLUSTER=1 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "demo-up.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

t0=$(date +%s.%N)
elapsed() { python3 -c "import sys,time; print(f'{time.time()-float(sys.argv[1]):.0f}')" "$t0"; }

for tool in cargo java mvn unzip curl python3 openssl setsid; do
  command -v "$tool" >/dev/null || {
    echo "demo-up.sh: '$tool' not found (apt-get install -y openjdk-17-jre-headless maven unzip curl python3 openssl; cargo from rustup)" >&2
    exit 1
  }
done
mkdir -p "$STATE"

if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "demo-up.sh: the visitor app is already running (pid $(cat "$PIDFILE")); run scripts/demo-down.sh first" >&2
  exit 1
fi
if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
  echo "demo-up.sh: 127.0.0.1:8080 is in use by another program" >&2
  exit 1
fi

# Build the app while Keycloak downloads and starts (both take a while on a fresh machine).
echo "demo-up.sh: building the visitor app (log: $STATE/build.log)"
(cd "$ROOT" && cargo build --locked -p samlsp-visitor --bin visitor) >"$STATE/build.log" 2>&1 &
build_pid=$!

echo "demo-up.sh: starting Keycloak (scripts/keycloak/start.sh, log: $STATE/keycloak-start.log)"
if ! "$ROOT/scripts/keycloak/start.sh" >"$STATE/keycloak-start.log" 2>&1; then
  echo "demo-up.sh: Keycloak did not start:" >&2
  tail -n 30 "$STATE/keycloak-start.log" >&2
  kill "$build_pid" 2>/dev/null || true
  exit 1
fi
grep -E "ready at|already running" "$STATE/keycloak-start.log" | sed 's/^/  /' || true

if ! wait "$build_pid"; then
  echo "demo-up.sh: the build failed:" >&2
  tail -n 30 "$STATE/build.log" >&2
  "$ROOT/scripts/keycloak/stop.sh" >&2 || true
  exit 1
fi

# A session key kept between runs, so a restart does not sign everyone out.
KEYFILE="$STATE/session.key"
if [[ ! -s "$KEYFILE" ]]; then
  (umask 077; openssl rand -base64 64 | tr -d '\n' >"$KEYFILE")
fi
DB="$STATE/visitor.sqlite3"
if ((FRESH)); then
  rm -f "$DB" "$DB-wal" "$DB-shm"
fi

# The SMTP sink: the app's mail is kept in $MAILDIR (one .eml per message, mail.log lists them).
"$ROOT/scripts/test-deps.sh" >"$STATE/test-deps.log" 2>&1 \
  || { tail -n 20 "$STATE/test-deps.log" >&2; echo "demo-up.sh: scripts/test-deps.sh failed" >&2; exit 1; }
"$ROOT/.venv/bin/pip" install -q --disable-pip-version-check \
  $(grep -E '^(aiosmtpd|atpublic|attrs)==' "$ROOT/tests/conformance/requirements.txt") \
  >"$STATE/pip.log" 2>&1 || { cat "$STATE/pip.log" >&2; echo "demo-up.sh: pip install aiosmtpd failed" >&2; exit 1; }
if ! { [[ -f "$SINK_PIDFILE" ]] && kill -0 "$(cat "$SINK_PIDFILE")" 2>/dev/null; }; then
  setsid "$ROOT/.venv/bin/python3" "$ROOT/tests/conformance/mail/smtp_sink.py" --port "$SMTP_PORT" \
    --dir "$MAILDIR" </dev/null >"$STATE/smtp-sink.log" 2>&1 &
  echo $! >"$SINK_PIDFILE"
fi

if ((CLUSTER)); then
  CLUSTER_STATE="$STATE/cluster"
  rm -rf "$CLUSTER_STATE/redis"  # a fresh Redis with each demo (nothing pending survives anyway)
  echo "demo-up.sh: starting the cluster (scripts/cluster/start.sh, log: $CLUSTER_STATE/visitor.log)"
  # The demo's data: fsync on (SAMLSP_PG_FSYNC unset), kept between runs unless --fresh.
  if ! VISITOR_SESSION_KEY="$(cat "$KEYFILE")" \
      VISITOR_SMTP_PORT="${VISITOR_SMTP_PORT:-$SMTP_PORT}" SAMLSP_CLUSTER_STATE="$CLUSTER_STATE" SAMLSP_CLUSTER_PORT=8080 \
      SAMLSP_CLUSTER_INSTANCE_PORTS="${SAMLSP_DEMO_INSTANCE_PORTS:-8081 8082}" \
      SAMLSP_PG_PORT="${SAMLSP_PG_PORT:-5433}" SAMLSP_PG_FRESH="$FRESH" SAMLSP_PG_FSYNC=on \
      SAMLSP_CLUSTER_TIMEOUT="$TIMEOUT" "$ROOT/scripts/cluster/start.sh" "$BIN" --config "$CONFIG" \
      | sed 's/^/  /'; then
    echo "demo-up.sh: the cluster did not start; scripts/demo-down.sh cleans up" >&2
    exit 1
  fi
  LOG="$CLUSTER_STATE/visitor.log"
else
  : >"$LOG"
  # setsid: the app gets its own process group, whose id is the pid we record (demo-down.sh).
  VISITOR_SESSION_KEY="$(cat "$KEYFILE")" VISITOR_DATABASE="${VISITOR_DATABASE:-$DB}" \
    VISITOR_SMTP_PORT="${VISITOR_SMTP_PORT:-$SMTP_PORT}" \
    setsid "$BIN" --config "$CONFIG" </dev/null >>"$LOG" 2>&1 &
  echo $! >"$PIDFILE"

  deadline=$(( $(date +%s) + TIMEOUT ))
  until curl -fsS -o /dev/null --max-time 3 "$APP_URL/healthz" 2>/dev/null; do
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      echo "demo-up.sh: the visitor app exited; last log lines:" >&2
      tail -n 30 "$LOG" >&2
      rm -f "$PIDFILE"
      exit 1
    fi
    if (( $(date +%s) >= deadline )); then
      echo "demo-up.sh: the app is not ready after ${TIMEOUT}s (GET $APP_URL/healthz); last log lines:" >&2
      tail -n 30 "$LOG" >&2
      exit 1
    fi
    sleep 0.5
  done
fi

KC_URL="$(grep -E '^SAMLSP_KC_URL=' "$ROOT/target/keycloak/keycloak.env" 2>/dev/null | cut -d= -f2 || true)"
KC_URL="${KC_URL:-http://127.0.0.1:8180}"
cat <<EOF

The demo is ready after $(elapsed) s.

  Open  $APP_URL/   (use 127.0.0.1, not localhost: the IdPs know the app by that address)

  Two organizations, each a tenant of its own (its people see only its hosts, locations, visitors):
    acme    Acme Corp            email domain acme.test    Keycloak realm acme     Acme HQ, Springfield
    globex  Globex Corporation   email domain globex.test  Keycloak realm globex   Globex Campus, Cypress Creek

  SP-initiated: press "Sign in with Acme Corp" or "Sign in with Globex Corporation".
  IdP-initiated (Globex only; Acme is not configured for it):
        $KC_URL/realms/globex/protocol/saml/clients/samlsp-demo
  SP metadata: $APP_URL/saml/metadata      Keycloak admin: $KC_URL/admin/ (admin / admin)

EOF
python3 - "$ROOT"/testdata/keycloak/*-realm.json <<'PY'
import json, sys
print("  Test users (organization  username  password  email  groups):")
for path in sys.argv[1:]:
    realm = json.load(open(path))
    for u in realm.get("users", []):
        pw = next((c["value"] for c in u.get("credentials", []) if c.get("type") == "password"), "")
        groups = ",".join(g.strip("/") for g in u.get("groups", [])) or "-"
        note = "   (disabled in Keycloak: its login refuses)" if not u.get("enabled", True) else ""
        print(f"    {realm['realm']:<7} {u['username']:<6} {pw:<15} {u.get('email',''):<18} {groups}{note}")
PY
cat <<EOF

  Members of visitor-admins become admins at their organization's default location (Admin
  pages: settings, locations, users, reception); others are hosts.

  Reception: sign in as an admin, open $APP_URL/admin/reception, make a kiosk link and open it
  in another browser (or a private window): that is the reception device. A visitor checks in
  there; the host's email goes to the local SMTP sink on 127.0.0.1:$SMTP_PORT, which keeps it:
    $MAILDIR/mail.log (one line per message), $MAILDIR/*.eml (the messages)
  Logs: $LOG, target/keycloak/keycloak.log.   Stop everything: scripts/demo-down.sh
EOF
if ((CLUSTER)); then
  cat <<EOF

  Cluster: nginx on $APP_URL alternates between instances a and b (no sticky sessions);
  which one answered: curl -sI $APP_URL/healthz | grep -i x-visitor-instance
  Shared through Redis 127.0.0.1:${SAMLSP_REDIS_PORT:-6380}: pending logins, used assertions, sessions.
  Shared through PostgreSQL 127.0.0.1:${SAMLSP_PG_PORT:-5433} (database and role visitor, password in
  $CLUSTER_STATE/postgres/password): everything else; kept between runs (--fresh empties it).
  Redis or PostgreSQL down: sign-in and the pages that need them answer "temporarily
  unavailable" (503) until it is back, no restart needed.
EOF
fi
