#!/usr/bin/env bash
# Starts Keycloak in the background on 127.0.0.1 with the realms from testdata/keycloak/*-realm.json,
# waits until it serves every realm's SAML descriptor, and prints the time that took and the test users.
#
#   scripts/keycloak/start.sh        # then scripts/keycloak/stop.sh
#
# Env (all optional):
#   SAMLSP_KC_PORT        HTTP port                          (default 8180)
#   SAMLSP_KC_MGMT_PORT   management port (/health/*)         (default 9180)
#   SAMLSP_KC_VERSION     Keycloak version                    (default: pinned in fetch.sh)
#   SAMLSP_KC_HEAP        JVM heap flags                      (default "-Xms256m -Xmx1g")
#   SAMLSP_KC_JAVA_OPTS   extra JVM flags                     (default "-XX:TieredStopAtLevel=1":
#                         C1 only; starts ~1/3 faster on 2 cores, hashing passwords is a bit slower)
#   SAMLSP_KC_TIMEOUT     seconds to wait for readiness       (default 300)
#   SAMLSP_KC_STATE       state dir: log, pid file, env file, H2 database (default <repo>/target/keycloak)
#   SAMLSP_KC_SNAPSHOT    1 (default): reuse a database snapshot taken right after the first import of
#                         the same realm files (~30 s instead of ~60 s to ready); 0: always a fresh
#                         import, no snapshot
#   SAMLSP_CACHE          cache root (see fetch.sh); snapshots live in $SAMLSP_CACHE/keycloak-db/
#   KC_BOOTSTRAP_ADMIN_USERNAME / KC_BOOTSTRAP_ADMIN_PASSWORD   master-realm admin (default admin / admin)
#
# Writes into the state dir: keycloak.log, keycloak.pid (pid = process-group id of kc.sh and its JVM),
# keycloak.env (shell-sourceable SAMLSP_KC_URL, SAMLSP_KC_REALMS, ... for tests and the demo app),
# h2/ (the H2 database, wiped at every start).
# If a Keycloak started by this script is already running and ready, it says so and exits 0.
#
# Every start begins from the same state: either a fresh import of testdata/keycloak/*-realm.json
# into an empty database, or a copy of the snapshot that such a fresh import produced (keyed by
# Keycloak version, realm files and admin credentials, so editing a realm file invalidates it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${SAMLSP_KC_PORT:-8180}"
MGMT_PORT="${SAMLSP_KC_MGMT_PORT:-9180}"
HEAP="${SAMLSP_KC_HEAP:--Xms256m -Xmx1g}"
JAVA_EXTRA="${SAMLSP_KC_JAVA_OPTS--XX:TieredStopAtLevel=1}"
TIMEOUT="${SAMLSP_KC_TIMEOUT:-300}"
STATE="${SAMLSP_KC_STATE:-$ROOT/target/keycloak}"
SNAPSHOT="${SAMLSP_KC_SNAPSHOT:-1}"
CACHE="${SAMLSP_CACHE:-$HOME/.cache/samlsp}"
HOST=127.0.0.1
BASE="http://$HOST:$PORT"
LOG="$STATE/keycloak.log"
PIDFILE="$STATE/keycloak.pid"
ENVFILE="$STATE/keycloak.env"
REALM_DIR="$ROOT/testdata/keycloak"

export KC_BOOTSTRAP_ADMIN_USERNAME="${KC_BOOTSTRAP_ADMIN_USERNAME:-admin}"
export KC_BOOTSTRAP_ADMIN_PASSWORD="${KC_BOOTSTRAP_ADMIN_PASSWORD:-admin}"

mkdir -p "$STATE"

shopt -s nullglob
realm_files=("$REALM_DIR"/*-realm.json)
shopt -u nullglob
((${#realm_files[@]})) || { echo "start.sh: no $REALM_DIR/*-realm.json" >&2; exit 1; }
realms=()
for f in "${realm_files[@]}"; do
  realms+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["realm"])' "$f")")
done

http_ok() { curl -fsS -o /dev/null --max-time 5 "$1" 2>/dev/null; }
all_ready() {
  http_ok "http://$HOST:$MGMT_PORT/health/ready" || return 1
  local r
  for r in "${realms[@]}"; do http_ok "$BASE/realms/$r/protocol/saml/descriptor" || return 1; done
}
port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  if all_ready; then
    echo "start.sh: Keycloak already running (pid $(cat "$PIDFILE")) at $BASE"
    exit 0
  fi
  echo "start.sh: a Keycloak (pid $(cat "$PIDFILE")) is running but not ready; run scripts/keycloak/stop.sh" >&2
  exit 1
fi
rm -f "$PIDFILE"
for p in "$PORT" "$MGMT_PORT"; do
  if port_busy "$p"; then echo "start.sh: port $HOST:$p is already in use" >&2; exit 1; fi
done

KC_HOME="$("$ROOT/scripts/keycloak/fetch.sh")"
VERSION="$(basename "$KC_HOME")"; VERSION="${VERSION#keycloak-}"

# --import-realm reads $KC_HOME/data/import/*.json (top level only); a realm that already exists in
# the database is skipped. Note: one Keycloak per cache dir at a time (data/import is shared).
mkdir -p "$KC_HOME/data/import"
rm -f "$KC_HOME"/data/import/*.json
cp "${realm_files[@]}" "$KC_HOME/data/import/"

# Database: H2 file in $STATE/h2, wiped at every start (dev-file rather than dev-mem so that it can be
# snapshotted; --db is a build option, so switching it would cost a ~60 s re-augmentation).
DB_DIR="$STATE/h2"
H2_JAR="$(ls "$KC_HOME"/lib/lib/main/com.h2database.h2-*.jar | head -n1)"
rm -rf "$DB_DIR"
mkdir -p "$DB_DIR"
snap_key="$( { echo "format 1 $VERSION $KC_BOOTSTRAP_ADMIN_USERNAME $KC_BOOTSTRAP_ADMIN_PASSWORD";
              cat "${realm_files[@]}"; } | sha256sum | cut -c1-16)"
SNAP="$CACHE/keycloak-db/keycloak-$VERSION-$snap_key.zip"
db_url="jdbc:h2:file:$DB_DIR/keycloakdb;NON_KEYWORDS=VALUE"
take_snapshot=0
if [[ "$SNAPSHOT" == 1 && -f "$SNAP" ]] && unzip -q "$SNAP" -d "$DB_DIR" 2>/dev/null; then
  echo "start.sh: database from snapshot $SNAP"
else
  rm -rf "$DB_DIR"; mkdir -p "$DB_DIR"
  if [[ "$SNAPSHOT" == 1 ]]; then
    take_snapshot=1
    # AUTO_SERVER lets the H2 shell below attach to the running database for an online BACKUP.
    db_url="$db_url;AUTO_SERVER=TRUE"
  fi
  echo "start.sh: fresh database, importing ${realms[*]}"
fi

start_ts=$(date +%s.%N)
: >"$LOG"
# setsid: kc.sh (and the JVM it starts) get their own process group whose id is the pid we record.
JAVA_OPTS_KC_HEAP="$HEAP" JAVA_OPTS_APPEND="$JAVA_EXTRA" setsid "$KC_HOME/bin/kc.sh" start-dev \
  --http-host="$HOST" --http-port="$PORT" \
  --hostname="$BASE" \
  --http-management-port="$MGMT_PORT" --health-enabled=true \
  --db=dev-file --db-url="$db_url" --db-username=sa --db-password=password \
  --cache=local \
  --import-realm \
  </dev/null >>"$LOG" 2>&1 &
pid=$!
echo "$pid" >"$PIDFILE"
echo "start.sh: Keycloak $VERSION starting (pid $pid, log $LOG)"

deadline=$(( $(date +%s) + TIMEOUT ))
until all_ready; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start.sh: Keycloak exited during startup; last log lines:" >&2
    tail -n 40 "$LOG" >&2
    rm -f "$PIDFILE"
    exit 1
  fi
  if (( $(date +%s) >= deadline )); then
    echo "start.sh: not ready after ${TIMEOUT}s; last log lines:" >&2
    tail -n 40 "$LOG" >&2
    "$ROOT/scripts/keycloak/stop.sh" >&2 || true
    exit 1
  fi
  sleep 0.5
done
elapsed=$(python3 -c "import sys,time; print(f'{time.time()-float(sys.argv[1]):.1f}')" "$start_ts")

if ((take_snapshot)); then
  # Online, transactionally consistent copy of the freshly imported database (before any login).
  mkdir -p "$(dirname "$SNAP")"
  tmp_snap="$SNAP.tmp.$$"
  if java -cp "$H2_JAR" org.h2.tools.Shell -url "$db_url" -user sa -password password \
       -sql "BACKUP TO '$tmp_snap'" >>"$LOG" 2>&1 && [[ -s "$tmp_snap" ]]; then
    mv -f "$tmp_snap" "$SNAP"
    echo "start.sh: saved database snapshot $SNAP (next start is faster)"
  else
    rm -f "$tmp_snap"
    echo "start.sh: warning: could not save a database snapshot (see $LOG)" >&2
  fi
fi

{
  echo "# written by scripts/keycloak/start.sh"
  echo "SAMLSP_KC_VERSION=$VERSION"
  echo "SAMLSP_KC_URL=$BASE"
  echo "SAMLSP_KC_MGMT_URL=http://$HOST:$MGMT_PORT"
  echo "SAMLSP_KC_PID=$pid"
  echo "SAMLSP_KC_REALMS=\"${realms[*]}\""
  for r in "${realms[@]}"; do
    u=$(echo "$r" | tr '[:lower:]-' '[:upper:]_')
    echo "SAMLSP_KC_${u}_ENTITY_ID=$BASE/realms/$r"
    echo "SAMLSP_KC_${u}_SSO_URL=$BASE/realms/$r/protocol/saml"
    echo "SAMLSP_KC_${u}_DESCRIPTOR_URL=$BASE/realms/$r/protocol/saml/descriptor"
  done
} >"$ENVFILE"

echo "start.sh: Keycloak $VERSION ready at $BASE in ${elapsed}s"
echo "  admin console: $BASE/admin/  (user $KC_BOOTSTRAP_ADMIN_USERNAME, password $KC_BOOTSTRAP_ADMIN_PASSWORD)"
for r in "${realms[@]}"; do
  echo "  realm $r: IdP entityID $BASE/realms/$r, SSO $BASE/realms/$r/protocol/saml,"
  echo "    metadata $BASE/realms/$r/protocol/saml/descriptor"
done
python3 - "${realm_files[@]}" <<'EOF'
import json, sys
print("  test users (realm  username  password  email  groups  [disabled]):")
for path in sys.argv[1:]:
    realm = json.load(open(path))
    for u in realm.get("users", []):
        pw = next((c["value"] for c in u.get("credentials", []) if c.get("type") == "password"), "")
        groups = ",".join(g.strip("/") for g in u.get("groups", [])) or "-"
        flag = "" if u.get("enabled", True) else "  DISABLED"
        print(f"    {realm['realm']:<8} {u['username']:<8} {pw:<16} {u.get('email',''):<20} {groups}{flag}")
EOF
echo "  env for tests: source $ENVFILE"
