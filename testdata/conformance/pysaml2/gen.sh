#!/usr/bin/env bash
# Makes the pysaml2 conformance IdP's signing key and self-signed certificate (RSA 2048,
# SHA-256, 100 years). Test-only material: committed so runs are reproducible.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
openssl req -x509 -newkey rsa:2048 -nodes -keyout idp.key -out idp.crt -days 36500 \
  -subj "/CN=pysaml2 conformance IdP/O=samlsp tests" -sha256
