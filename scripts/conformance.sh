#!/usr/bin/env bash
# Conformance against real IdPs: Keycloak (Java XML-signature stack), a pysaml2 IdP (xmlsec1)
# and SimpleSAMLphp (PHP, xmlseclibs), through the demo app, over HTTP and in a real headless
# Chromium.
#
#   scripts/conformance.sh                 # everything; exit 0 only if every case passed
#   scripts/conformance.sh -k globex       # extra arguments go to pytest
#
# 1. installs what it needs, idempotently: Debian chromium, xmlsec1, unzip, curl, openssl (apt);
#    the pinned Python packages (tests/conformance/requirements.txt) into the repo's .venv
#    (created by scripts/test-deps.sh); playwright-core (tests/conformance/package-lock.json)
#    into tests/conformance/node_modules; SimpleSAMLphp and PHP (scripts/simplesamlphp/install.sh);
# 2. builds the demo (`visitor`) and the `samlsp` CLI;
# 3. fetches Keycloak (Maven Central, cached) and starts it (scripts/keycloak/start.sh) on its own
#    ports and state directory, then creates the conformance realms (admin REST);
# 4. starts SimpleSAMLphp (scripts/simplesamlphp/start.sh), the demo with
#    testdata/conformance/visitor.toml, then the pysaml2 IdP, and registers the demo's Umbrella
#    SPs at SimpleSAMLphp from their metadata (scripts/simplesamlphp/register-sp.sh);
# 5. runs pytest on tests/conformance (every case named in the output; JUnit XML, screenshots,
#    the case matrix and the logs in target/conformance/);
# 6. stops everything it started (trap on EXIT), and prints how long each part took.
# If an IdP, the demo or the browser cannot start, it fails: nothing is ever skipped.
#
# Env (optional): SAMLSP_CONF_KC_PORT (8380), SAMLSP_CONF_KC_MGMT_PORT (9380), SAMLSP_CONF_DEMO_LOG (info),
# SAMLSP_CONF_DEMO_PORT (8280), SAMLSP_CONF_PYSAML2_PORT (8480), SAMLSP_CONF_SSP_PORT (8580),
# SAMLSP_CONF_SMTP_PORT (2525: the SMTP sink the demo's mail goes to; the suite starts and stops
# it), SAMLSP_CACHE (Keycloak cache).
# SAMLSP_CONF_CLUSTER=1: the demo is two instances sharing Redis and PostgreSQL behind nginx
# round-robin (scripts/cluster/start.sh; nginx on SAMLSP_CONF_DEMO_PORT, the instances on
# SAMLSP_CONF_INSTANCE_PORTS, default "8281 8282", Redis on SAMLSP_CONF_REDIS_PORT, default 6380,
# PostgreSQL on SAMLSP_CONF_PG_PORT, default 5480, fresh at each run, fsync off).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

KC_PORT="${SAMLSP_CONF_KC_PORT:-8380}"
KC_MGMT_PORT="${SAMLSP_CONF_KC_MGMT_PORT:-9380}"
DEMO_PORT="${SAMLSP_CONF_DEMO_PORT:-8280}"
CLUSTER="${SAMLSP_CONF_CLUSTER:-0}"
P2_PORT="${SAMLSP_CONF_PYSAML2_PORT:-8480}"
SMTP_PORT="${SAMLSP_CONF_SMTP_PORT:-2525}"
SSP_PORT="${SAMLSP_CONF_SSP_PORT:-8580}"
HOST=127.0.0.1
ART="$repo/target/conformance"
CONF="$repo/tests/conformance"
VENV="$repo/.venv"
PY="$VENV/bin/python3"
KC_STATE="$ART/keycloak"
SSP_STATE="$ART/simplesamlphp"

say() { printf 'conformance: %s\n' "$*"; }
die() { printf 'conformance: FAILED: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { python3 -c "import sys,time; print(f'{time.time()-float(sys.argv[1]):.1f}')" "$1"; }

t_all=$(now)
mkdir -p "$ART"
# A cluster an interrupted run left behind (its own state directory) is stopped before it goes.
if [ -f "$ART/cluster/cluster.env" ]; then
  SAMLSP_CLUSTER_STATE="$ART/cluster" "$repo/scripts/cluster/stop.sh" | sed 's/^/conformance: /'
fi
rm -rf "$ART/screenshots" "$ART/browser" "$ART"/*.log "$ART/visitor.sqlite3"* "$ART/env.json" "$ART/mail" "$ART/cluster"

# ---------------------------------------------------------------------------------------------
# 1. Installs
t_install=$(now)
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
apt_updated=0
apt_install() {
  local missing=() p
  for p in "$@"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ]; then say "debian: $* already installed"; return; fi
  if [ "$apt_updated" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get update -qq
    apt_updated=1
  fi
  local log; log="$(mktemp)"
  if ! DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
       "${missing[@]}" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; die "apt-get install ${missing[*]}"
  fi
  rm -f "$log"
  say "debian: installed ${missing[*]}"
}
# chromium: the browser; fonts so pages render text in screenshots; xmlsec1: pysaml2's signer;
# unzip/curl/openssl: scripts/keycloak (fetch.sh unpacks, start.sh polls) and the session key;
# libpq5: psycopg's PostgreSQL client library (the harness reads a cluster run's database).
apt_install chromium fonts-dejavu-core xmlsec1 unzip curl openssl libpq5

"$repo/scripts/test-deps.sh"   # the .venv (idempotent; lxml/xmlsec for the other suites)
if "$VENV/bin/pip" install -q --disable-pip-version-check -r "$CONF/requirements.txt" \
     >"$ART/pip.log" 2>&1; then
  say "pip: $(grep -E '^(pysaml2|pytest|requests)==' "$CONF/requirements.txt" | tr '\n' ' ')ok"
else
  cat "$ART/pip.log" >&2; die "pip install -r tests/conformance/requirements.txt"
fi

want_pw="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dependencies"]["playwright-core"])' "$CONF/package.json")"
have_pw="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' \
            "$CONF/node_modules/playwright-core/package.json" 2>/dev/null || true)"
if [ "$have_pw" = "$want_pw" ]; then
  say "npm: playwright-core $want_pw already installed"
else
  (cd "$CONF" && npm ci --no-audit --no-fund --loglevel=error >"$ART/npm.log" 2>&1) \
    || { cat "$ART/npm.log" >&2; die "npm ci in tests/conformance"; }
  say "npm: installed playwright-core $want_pw"
fi
CHROMIUM_VERSION="$(/usr/bin/chromium --version 2>/dev/null | head -n1 || true)"
[ -n "$CHROMIUM_VERSION" ] || die "/usr/bin/chromium does not run"
say "browser: $CHROMIUM_VERSION"
SAMLSP_SSP_STATE="$SSP_STATE" "$repo/scripts/simplesamlphp/install.sh" | sed 's/^/conformance: /' \
  || die "scripts/simplesamlphp/install.sh"
d_install=$(since "$t_install")

# ---------------------------------------------------------------------------------------------
# 2. Build
t_build=$(now)
cargo build --locked -q -p samlsp-visitor -p samlsp-cli 2>&1 | tail -n 20
VISITOR_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/visitor"
SAMLSP_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/samlsp"
[ -x "$VISITOR_BIN" ] || die "no $VISITOR_BIN after cargo build"
[ -x "$SAMLSP_BIN" ] || die "no $SAMLSP_BIN after cargo build"
d_build=$(since "$t_build")

# ---------------------------------------------------------------------------------------------
# Everything started from here on is stopped on exit (only what this script started, by pid).
DEMO_PID="" P2_PID="" KC_STARTED=0 SSP_STARTED=0 CLUSTER_STARTED=0
cleanup() {
  local rc=$?
  set +e
  if [ "$CLUSTER_STARTED" = 1 ]; then
    SAMLSP_CLUSTER_STATE="$ART/cluster" "$repo/scripts/cluster/stop.sh" | sed 's/^/conformance: /'
  fi
  # The demo may have been restarted by the suite: its current process group is in visitor.pid.
  [ -n "$DEMO_PID" ] && [ -f "$ART/visitor.pid" ] && DEMO_PID="$(cat "$ART/visitor.pid")"
  for pid in "$P2_PID" "$DEMO_PID"; do
    [ -n "$pid" ] || continue
    kill -TERM -- "-$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null
  done
  if [ "$KC_STARTED" = 1 ]; then
    SAMLSP_KC_STATE="$KC_STATE" "$repo/scripts/keycloak/stop.sh" >/dev/null 2>&1 \
      || echo "conformance: warning: scripts/keycloak/stop.sh failed" >&2
  fi
  if [ "$SSP_STARTED" = 1 ]; then
    SAMLSP_SSP_STATE="$SSP_STATE" "$repo/scripts/simplesamlphp/stop.sh" >/dev/null 2>&1 \
      || echo "conformance: warning: scripts/simplesamlphp/stop.sh failed" >&2
  fi
  say "stopped Keycloak, SimpleSAMLphp, the demo and the pysaml2 IdP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { # url seconds pid name logfile
  local url=$1 secs=$2 pid=$3 name=$4 log=$5 i
  for ((i = 0; i < secs * 4; i++)); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$log" >&2; die "$name exited during startup (log: $log)"
    fi
    sleep 0.25
  done
  tail -n 40 "$log" >&2; die "$name did not answer $url within ${secs}s (log: $log)"
}

# ---------------------------------------------------------------------------------------------
# 3. Keycloak
t_fetch=$(now)
KC_HOME="$("$repo/scripts/keycloak/fetch.sh")" || die "scripts/keycloak/fetch.sh (Keycloak download)"
d_fetch=$(since "$t_fetch")

t_conf=$(now)   # the conformance part proper: IdPs up, demo up, every case
t_kc=$(now)
KC_STARTED=1
SAMLSP_KC_PORT="$KC_PORT" SAMLSP_KC_MGMT_PORT="$KC_MGMT_PORT" SAMLSP_KC_STATE="$KC_STATE" \
  "$repo/scripts/keycloak/start.sh" >"$ART/keycloak-start.log" 2>&1 \
  || { cat "$ART/keycloak-start.log" >&2; die "Keycloak did not start (scripts/keycloak/start.sh)"; }
grep -E 'ready at|snapshot|fresh database' "$ART/keycloak-start.log" | sed 's/^/conformance: /'
# shellcheck disable=SC1091
source "$KC_STATE/keycloak.env"
KC_URL="$SAMLSP_KC_URL"
d_kc=$(since "$t_kc")

cat >"$ART/env.json" <<EOF
{
  "artifacts": "$ART",
  "keycloak": {"url": "$KC_URL", "admin_user": "${KC_BOOTSTRAP_ADMIN_USERNAME:-admin}",
               "admin_password": "${KC_BOOTSTRAP_ADMIN_PASSWORD:-admin}", "version": "$SAMLSP_KC_VERSION",
               "log": "$KC_STATE/keycloak.log"},
  "realms": {"acme": "conformance-acme", "globex": "conformance-globex"},
  "demo": {"url": "http://$HOST:$DEMO_PORT", "log": "$ART/visitor.log", "database": "$ART/visitor.sqlite3",
           "bin": "$VISITOR_BIN", "config": "$repo/testdata/conformance/visitor.toml"},
  "pysaml2": {"url": "http://$HOST:$P2_PORT", "log": "$ART/pysaml2-idp.log"},
  "smtp": {"port": $SMTP_PORT, "dir": "$ART/mail"},
  "simplesamlphp": {"url": "http://$HOST:$SSP_PORT", "state": "$SSP_STATE",
                    "version": "$(dpkg-query -W -f='${Version}' simplesamlphp)",
                    "log": "$SSP_STATE/simplesamlphp.log", "server_log": "$SSP_STATE/server.log"},
  "samlsp_bin": "$SAMLSP_BIN",
  "sp_signing_key": "$repo/testdata/keys/sp-rsa2048.key",
  "chromium": "/usr/bin/chromium",
  "chromium_version": "$CHROMIUM_VERSION"
}
EOF
export SAMLSP_CONFORMANCE_ENV="$ART/env.json"

t_realms=$(now)
"$PY" "$CONF/prepare.py" realms || die "could not create the conformance realms in Keycloak"
d_realms=$(since "$t_realms")

# ---------------------------------------------------------------------------------------------
# 4. The demo, then the pysaml2 IdP (which reads the demo's SP metadata)
"$PY" "$CONF/idp/pysaml2_idp.py" --base-url "http://$HOST:$P2_PORT" \
  --key "$repo/testdata/conformance/pysaml2/idp.key" --cert "$repo/testdata/conformance/pysaml2/idp.crt" \
  --users "$repo/testdata/conformance/pysaml2/users.json" \
  --write-metadata "$ART/pysaml2-idp-metadata.xml" 2>"$ART/pysaml2-metadata.log" \
  || { cat "$ART/pysaml2-metadata.log" >&2; die "pysaml2 IdP metadata"; }

# SimpleSAMLphp first: the demo reads its IdP metadata at start. It learns the demo's SPs
# after the demo is up (it reads its SP list at every request); tests set per-SP options in
# sp-options.json, so both files start empty.
t_ssp=$(now)
rm -rf "$SSP_STATE/sp-remote.json" "$SSP_STATE/sp-options.json" "$SSP_STATE/idp-options.json" "$SSP_STATE/sessions" "$SSP_STATE"/*.log
mkdir -p "$SSP_STATE/sessions"
SSP_STARTED=1
SAMLSP_SSP_PORT="$SSP_PORT" SAMLSP_SSP_STATE="$SSP_STATE" "$repo/scripts/simplesamlphp/start.sh" \
  | sed 's/^/conformance: /' || die "SimpleSAMLphp did not start (scripts/simplesamlphp/start.sh)"
d_ssp=$(since "$t_ssp")

t_demo=$(now)
# The demo's command and environment go into env.json too: the key-rotation case restarts it
# (harness/demo.py) and records the new process group in visitor.pid, which the trap reads.
DEMO_SESSION_KEY="$(openssl rand -base64 64 | tr -d '\n')"
demo_env=(
  "VISITOR_BIND=$HOST:$DEMO_PORT" "VISITOR_PUBLIC_URL=http://$HOST:$DEMO_PORT"
  "VISITOR_DATABASE=$ART/visitor.sqlite3" "VISITOR_LOG=${SAMLSP_CONF_DEMO_LOG:-info}"
  "VISITOR_SESSION_KEY=$DEMO_SESSION_KEY"
  "VISITOR_IDP_ACME_METADATA_URL=$KC_URL/realms/conformance-acme/protocol/saml/descriptor"
  "VISITOR_IDP_GLOBEX_METADATA_URL=$KC_URL/realms/conformance-globex/protocol/saml/descriptor"
  "VISITOR_IDP_ACME_PARTNER_METADATA_URL=$KC_URL/realms/conformance-acme/protocol/saml/descriptor"
  # Outgoing mail goes to the suite's SMTP sink (the mail_sink fixture starts it).
  "VISITOR_SMTP_HOST=$HOST" "VISITOR_SMTP_PORT=$SMTP_PORT" "VISITOR_SMTP_TLS=none"
  "VISITOR_MAIL_FROM=Visitors <visitors@conformance.test>"
  # A failed delivery is retried after 2 s, not 30: the mail-server-down case waits for it.
  "VISITOR_SMTP_RETRY_SECS=2"
  "VISITOR_IDP_UMBRELLA_METADATA_URL=http://$HOST:$SSP_PORT/saml2/idp/metadata.php"
  "VISITOR_IDP_UMBRELLA_POST_METADATA_URL=http://$HOST:$SSP_PORT/saml2/idp/metadata.php"
)
demo_cmd=("$VISITOR_BIN" --config "$repo/testdata/conformance/visitor.toml")
"$PY" - "$ART/env.json" "${#demo_cmd[@]}" "${demo_cmd[@]}" "${demo_env[@]}" <<'PYEOF'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
cmd, envs = sys.argv[3:3 + n], sys.argv[3 + n:]
d = json.load(open(path))
d["demo"].update(cmd=cmd, env=dict(e.split("=", 1) for e in envs), pidfile=d["artifacts"] + "/visitor.pid")
json.dump(d, open(path, "w"), indent=2)
PYEOF
if [ "$CLUSTER" = 1 ]; then
  # Two instances behind nginx on the demo's port: the IdPs and the cases see one site.
  CLUSTER_STARTED=1
  # (start.sh sets each instance's VISITOR_BIND over the one in demo_env, and gives them the
  # PostgreSQL database instead of demo_env's SQLite file.) The cases that stop PostgreSQL or
  # restart an instance do it as start.sh would, with the values recorded in env.json.
  cluster_env=(
    "SAMLSP_CLUSTER_STATE=$ART/cluster" "SAMLSP_CLUSTER_PORT=$DEMO_PORT"
    "SAMLSP_CLUSTER_INSTANCE_PORTS=${SAMLSP_CONF_INSTANCE_PORTS:-8281 8282}"
    "SAMLSP_REDIS_PORT=${SAMLSP_CONF_REDIS_PORT:-6380}"
    "SAMLSP_PG_PORT=${SAMLSP_CONF_PG_PORT:-5480}" "SAMLSP_PG_DIR=$ART/cluster/postgres" "SAMLSP_PG_FSYNC=off"
  )
  if ! env "${demo_env[@]}" "${cluster_env[@]}" SAMLSP_PG_FRESH=1 \
      "$repo/scripts/cluster/start.sh" "${demo_cmd[@]}" | sed 's/^/conformance: /'; then
    die "the cluster did not start (scripts/cluster/start.sh)"
  fi
  ln -sf cluster/visitor.log "$ART/visitor.log"
  # The harness reads the store for evidence; the URL holds the database password (env.json is
  # the run's private file, like the session key above).
  DATABASE_URL="$(env "${cluster_env[@]}" "$repo/scripts/postgres/start.sh" | tail -n 1)"
  "$PY" - "$ART/env.json" "$DATABASE_URL" "${cluster_env[@]}" <<'PYEOF'
import json, sys
path, url, envs = sys.argv[1], sys.argv[2], sys.argv[3:]
d = json.load(open(path))
d["demo"]["database_url"] = url
d["cluster"] = {"env": dict(e.split("=", 1) for e in envs), "state": d["artifacts"] + "/cluster"}
json.dump(d, open(path, "w"), indent=2)
PYEOF
else
  env "${demo_env[@]}" setsid "${demo_cmd[@]}" </dev/null >"$ART/visitor.log" 2>&1 &
  DEMO_PID=$!
  echo "$DEMO_PID" >"$ART/visitor.pid"
  wait_http "http://$HOST:$DEMO_PORT/healthz" 120 "$DEMO_PID" "the demo (visitor)" "$ART/visitor.log"
fi
d_demo=$(since "$t_demo")
say "demo up at http://$HOST:$DEMO_PORT in ${d_demo}s (${DEMO_PID:+pid $DEMO_PID}${DEMO_PID:-cluster})"

t_reg=$(now)
SAMLSP_SSP_STATE="$SSP_STATE" "$repo/scripts/simplesamlphp/register-sp.sh" \
  "http://$HOST:$DEMO_PORT/t/umbrella/saml/metadata" "http://$HOST:$DEMO_PORT/t/umbrella-post/saml/metadata" \
  | sed 's/^/conformance: simplesamlphp: /' || die "could not register the demo's SPs at SimpleSAMLphp"
d_ssp=$(python3 -c "import sys; print(f'{float(sys.argv[1]) + float(sys.argv[2]):.1f}')" "$d_ssp" "$(since "$t_reg")")

t_p2=$(now)
setsid "$PY" "$CONF/idp/pysaml2_idp.py" --base-url "http://$HOST:$P2_PORT" \
  --key "$repo/testdata/conformance/pysaml2/idp.key" --cert "$repo/testdata/conformance/pysaml2/idp.crt" \
  --users "$repo/testdata/conformance/pysaml2/users.json" \
  --sp-metadata "http://$HOST:$DEMO_PORT/saml/metadata" \
  </dev/null >"$ART/pysaml2-idp.log" 2>&1 &
P2_PID=$!
wait_http "http://$HOST:$P2_PORT/_health" 60 "$P2_PID" "the pysaml2 IdP" "$ART/pysaml2-idp.log"
say "pysaml2 IdP up at http://$HOST:$P2_PORT in $(since "$t_p2")s (pid $P2_PID, $("$PY" -c 'import saml2,sys; print("pysaml2", __import__("importlib.metadata").metadata.version("pysaml2"))'), $(xmlsec1 --version | head -n1))"

# ---------------------------------------------------------------------------------------------
# 5. The cases
t_tests=$(now)
set +e
(cd "$CONF" && "$PY" -m pytest -v -p no:cacheprovider --junitxml="$ART/junit.xml" "$@")
rc=$?
set -e
d_tests=$(since "$t_tests")
d_conf=$(since "$t_conf")
if [ "$CLUSTER" = 1 ]; then
  # Round-robin without stickiness: both instances must have answered part of every flow.
  spread="$(grep -o 'instance=[a-z-]*' "$ART/cluster/nginx/access.log" | sort | uniq -c | awk '{printf "%s %s; ", $2, $1}')"
  say "cluster: requests per instance (nginx access log): ${spread:-none}"
  for name in a b; do
    grep -q "instance=$name " "$ART/cluster/nginx/access.log" || { say "cluster: instance $name served nothing"; rc=1; }
  done
  # SP-initiated logins whose AuthnRequest one instance sent and whose response the other took.
  crossed="$(awk '/saml\/login/ { split($0, a, "instance="); split(a[2], l, " ") }
                  /POST [^ ]*saml\/acs/ && / 303 / { split($0, b, "instance="); split(b[2], c, " ");
                                                     if (l[1] != "" && c[1] != l[1]) n++; l[1] = "" }
                  END { print n + 0 }' "$ART/cluster/nginx/access.log")"
  say "cluster: sign-ins started on one instance and completed on the other: $crossed"
  [ "$crossed" -ge 1 ] || rc=1
  # An instance dies (SIGKILL, no shutdown): the same cases again, through nginx, on the other.
  if [ "$rc" -eq 0 ]; then
    kill -KILL -- "-$(cat "$ART/cluster/instance-a.pid")"
    say "cluster: instance a killed (SIGKILL); SP- and IdP-initiated sign-ins again, through nginx"
    set +e
    (cd "$CONF" && "$PY" -m pytest -q -p no:cacheprovider -k \
      "test_acme_second_sign_in_same_user or test_globex_persistent_name_id_stable or test_globex_idp_initiated")
    rc=$?
    set -e
  fi
fi

echo
say "durations: installs ${d_install}s, build ${d_build}s, Keycloak download/unpack ${d_fetch}s (excluded)"
say "durations: Keycloak start ${d_kc}s, realms ${d_realms}s, SimpleSAMLphp start and SP registration ${d_ssp}s, demo start ${d_demo}s, cases ${d_tests}s"
say "conformance part (IdPs, demo, every case; download excluded): ${d_conf}s; whole script $(since "$t_all")s"
say "matrix: $ART/matrix.md; screenshots: $ART/screenshots/; logs: $ART/*.log"
[ "$rc" -eq 0 ] || die "pytest exited $rc"
say "all conformance cases passed"
