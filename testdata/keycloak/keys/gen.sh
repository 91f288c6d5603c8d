#!/usr/bin/env bash
# Regenerates the pinned Keycloak realm signing keys (RSA 2048, self-signed, 100 years).
# Public test material: never use outside tests. After regenerating, run
# scripts/keycloak/gen_realms.py and re-capture (scripts/keycloak/capture.py).
set -euo pipefail
cd "$(dirname "$0")"
for realm in acme globex; do
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$realm-idp.key" -out "$realm-idp.crt" \
    -days 36500 -subj "/CN=$realm/O=samlsp test Keycloak realm" -sha256 2>/dev/null
done
echo done
