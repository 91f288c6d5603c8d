#!/usr/bin/env bash
# Starts a throw-away OpenLDAP directory (Debian's slapd) on loopback for the directory-sync
# tests: fresh data every start, StartTLS and ldaps on a certificate made here (its CA in
# $dir/ca.crt), ~200 people of the company "acme.test" in two OUs (scripts/ldap/seed.sh).
#
#   scripts/ldap/start.sh     # prints the URLs; scripts/ldap/stop.sh stops it
#
# Env (optional): SAMLSP_LDAP_PORT (3389, ldap:// with StartTLS), SAMLSP_LDAPS_PORT (6636),
# SAMLSP_LDAP_DIR (target/ldap-<ldap port>: data, keys, passwords, log).
# Written there: admin.password (the directory's root, cn=admin,dc=acme,dc=test),
# sync.password (cn=visitor-sync,ou=Services,dc=acme,dc=test, read-only), ca.crt.
# Installs slapd and ldap-utils (apt) when missing. One line of output per step.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$repo/scripts/ldap"
port="${SAMLSP_LDAP_PORT:-3389}"
sport="${SAMLSP_LDAPS_PORT:-6636}"
dir="${SAMLSP_LDAP_DIR:-$repo/target/ldap-$port}"
say() { printf 'ldap: %s\n' "$*"; }
die() { printf 'ldap: FAILED: %s\n' "$*" >&2; exit 1; }

# 1. The Debian packages, without the packaged database or service (not needed: this
#    script writes its own configuration and runs slapd itself).
missing=()
for p in slapd ldap-utils openssl; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  echo "slapd slapd/no_configuration boolean true" | "${sudo_cmd[@]}" debconf-set-selections
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  say "debian: installed ${missing[*]}"
else
  say "debian: slapd ldap-utils openssl already installed"
fi
slapd=/usr/sbin/slapd
[ -x "$slapd" ] || die "$slapd missing"

# 2. Fresh state: stop a previous instance of this directory, then start over.
SAMLSP_LDAP_DIR="$dir" "$here/stop.sh" >/dev/null
rm -rf "$dir"
mkdir -p "$dir/db"
chmod 700 "$dir"

# 3. A CA and a server certificate for 127.0.0.1 / localhost (RSA 2048, 2 days).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=samlsp test LDAP CA" \
  -keyout "$dir/ca.key" -out "$dir/ca.crt" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$dir/server.key" \
  -out "$dir/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$dir/ext.cnf"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
  -days 2 -extfile "$dir/ext.cnf" -out "$dir/server.crt" 2>/dev/null
say "tls: certificate for 127.0.0.1 signed by $dir/ca.crt"

# 4. Passwords (random, no newline: slappasswd -T and ldapwhoami -y take the whole file;
#    files readable by the owner only) and the configuration.
umask 077
openssl rand -hex 16 | tr -d "\n" >"$dir/admin.password"
openssl rand -hex 16 | tr -d "\n" >"$dir/sync.password"
root_hash="$(slappasswd -T "$dir/admin.password")"
cat >"$dir/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $here/ad-lite.schema
pidfile $dir/slapd.pid
argsfile $dir/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile $dir/ca.crt
TLSCertificateFile $dir/server.crt
TLSCertificateKeyFile $dir/server.key

database mdb
maxsize 268435456
suffix "dc=acme,dc=test"
rootdn "cn=admin,dc=acme,dc=test"
rootpw $root_hash
directory $dir/db
index objectClass eq
index mail eq
# A simple bind over a cleartext connection is refused (ssf 0): the sync's password only
# travels inside StartTLS or ldaps.
security simple_bind=128
access to attrs=userPassword by self write by anonymous auth by * none
access to * by dn.exact="cn=visitor-sync,ou=Services,dc=acme,dc=test" read by * none
# At most 50 entries a search, 100 a page: the people can only be read with the paged
# results control (RFC 2696), as from an Active Directory (MaxPageSize 1000).
limits dn.exact="cn=visitor-sync,ou=Services,dc=acme,dc=test" size.soft=50 size.hard=50 size.pr=100 size.prtotal=unlimited
CONF
"$slapd" -Tt -u -f "$dir/slapd.conf" >"$dir/config-test.log" 2>&1 || { cat "$dir/config-test.log" >&2; die "slapd refused its configuration"; }
umask 022

# 5. The people (slapadd, before the server starts: fast, and entryUUIDs are made).
"$here/seed.sh" >"$dir/seed.ldif"
sync_hash="$(slappasswd -T "$dir/sync.password")"
sed -i "s|@SYNC_PASSWORD_HASH@|$sync_hash|" "$dir/seed.ldif"
"$slapd" -Ta -f "$dir/slapd.conf" -l "$dir/seed.ldif" -q >"$dir/slapadd.log" 2>&1 || { cat "$dir/slapadd.log" >&2; die "slapadd failed"; }
say "seeded $(grep -c '^objectClass: inetOrgPerson' "$dir/seed.ldif") people ($dir/seed.ldif)"

# 6. Start, and wait (deadline 20 s) until a StartTLS bind as the sync account works.
"$slapd" -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$port/ ldaps://127.0.0.1:$sport/" \
  -d 0 >"$dir/slapd.log" 2>&1 &
deadline=$((SECONDS + 20))
until LDAPTLS_CACERT="$dir/ca.crt" ldapwhoami -x -ZZ -H "ldap://127.0.0.1:$port" \
    -D "cn=visitor-sync,ou=Services,dc=acme,dc=test" -y "$dir/sync.password" >/dev/null 2>&1; do
  if [ $SECONDS -ge $deadline ]; then
    tail -n 20 "$dir/slapd.log" >&2
    die "slapd did not answer on 127.0.0.1:$port within 20 s"
  fi
  sleep 0.2
done
say "slapd $(cat "$dir/slapd.pid") on ldap://127.0.0.1:$port (StartTLS) and ldaps://127.0.0.1:$sport, data in $dir"
