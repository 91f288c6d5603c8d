#!/usr/bin/env bash
# Fetches the pinned Keycloak distribution from Maven Central (via Maven) and unpacks it once.
#
#   scripts/keycloak/fetch.sh            # prints the Keycloak home directory on stdout
#
# Env:
#   SAMLSP_KC_VERSION  Keycloak version (default: the pinned one below)
#   SAMLSP_CACHE       cache root (default: $HOME/.cache/samlsp); Keycloak ends up in $SAMLSP_CACHE/keycloak-$KC_VERSION
#
# Idempotent: when $SAMLSP_CACHE/keycloak-$KC_VERSION/bin/kc.sh exists it returns at once.
# The archive is kept in ~/.m2 (Maven's local repository); delete it there to force a new download.
set -euo pipefail

# Newest 26.x served by Maven Central when pinned (its maven-metadata.xml lagged and listed 26.7.3 as
# latest, but 26.7.5 is there). Runs on Java 17 (deprecated but supported), 21 and 25.
KC_VERSION="${SAMLSP_KC_VERSION:-26.7.5}"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
CACHE="${SAMLSP_CACHE:-$HOME/.cache/samlsp}"
KC_HOME="$CACHE/keycloak-$KC_VERSION"

if [[ -x "$KC_HOME/bin/kc.sh" && -f "$KC_HOME/.samlsp-unpacked" ]]; then
  echo "$KC_HOME"
  exit 0
fi

for tool in mvn unzip java; do
  command -v "$tool" >/dev/null || { echo "fetch.sh: '$tool' not found (apt-get install -y maven unzip openjdk-17-jre-headless)" >&2; exit 1; }
done

mkdir -p "$CACHE"
tmp="$(mktemp -d "$CACHE/.keycloak-$KC_VERSION.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "fetch.sh: downloading org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip from Maven Central" >&2
# dependency:copy resolves only the named artifact (into ~/.m2), never the dist POM's dependencies
# (with dependency:get one must pass -Dtransitive=false, or Maven pulls the server's whole tree).
# MVN_FLAGS may carry e.g. -o or "-s settings.xml".
# --strict-checksums: fail (not just warn) if the download does not match Central's .sha1.
# The sed drops the colour-reset codes Maven 3.8 prints even in -q -B mode.
mvn -B -q --strict-checksums -Dstyle.color=never ${MVN_FLAGS:-} "$DEP_PLUGIN:copy" \
    -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" -Dtransitive=false \
    -DoutputDirectory="$tmp" 2>&1 | sed 's/\x1b\[0m//g; /^$/d' >&2

zip="$tmp/keycloak-quarkus-dist-$KC_VERSION.zip"
[[ -f "$zip" ]] || { echo "fetch.sh: $zip missing after mvn dependency:copy" >&2; exit 1; }
unzip -q "$zip" -d "$tmp/unpacked"
[[ -x "$tmp/unpacked/keycloak-$KC_VERSION/bin/kc.sh" ]] || { echo "fetch.sh: unexpected archive layout" >&2; exit 1; }
touch "$tmp/unpacked/keycloak-$KC_VERSION/.samlsp-unpacked"
rm -rf "$KC_HOME"
mv "$tmp/unpacked/keycloak-$KC_VERSION" "$KC_HOME"
echo "fetch.sh: unpacked into $KC_HOME" >&2
echo "$KC_HOME"
