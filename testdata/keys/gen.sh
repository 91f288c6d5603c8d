#!/usr/bin/env bash
# Regenerates the test keys and self-signed certificates used by the fixtures.
# These keys are public test material: never use them outside tests.
set -euo pipefail
cd "$(dirname "$0")"
days=36500
rsa() { # name bits subject
  openssl req -x509 -newkey "rsa:$2" -nodes -keyout "$1.key" -out "$1.crt" -days "$days" -subj "$3" -sha256 2>/dev/null
}
ec() { # name curve subject
  openssl req -x509 -newkey ec -pkeyopt "ec_paramgen_curve:$2" -nodes -keyout "$1.key" -out "$1.crt" -days "$days" -subj "$3" -sha256 2>/dev/null
}
rsa idp-rsa2048 2048 "/CN=idp.example.com/O=samlsp test IdP"
rsa idp-rsa3072 3072 "/CN=idp.example.com/O=samlsp test IdP 3072"
rsa idp-rsa1024 1024 "/CN=weak.idp.example.com/O=samlsp test weak key"
ec  idp-p256 P-256 "/CN=idp.example.com/O=samlsp test IdP P-256"
ec  idp-p384 P-384 "/CN=idp.example.com/O=samlsp test IdP P-384"
# The attacker's key: same subject as the IdP (certificate faking / cloning).
rsa attacker-rsa2048 2048 "/CN=idp.example.com/O=samlsp test IdP"
rsa sp-rsa2048 2048 "/CN=sp.example.org/O=samlsp test SP"
rsa sp-enc-rsa2048 2048 "/CN=sp.example.org/O=samlsp test SP encryption"
# HMAC secret for the algorithm-confusion fixtures.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > hmac.hex
echo done
