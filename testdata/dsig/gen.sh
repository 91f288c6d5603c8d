#!/usr/bin/env bash
# Regenerates the XML signature fixtures in this directory with xmlsec1 (an
# implementation independent of samlsp), then verifies each one three ways:
#   1. xmlsec1 --verify with the key that signed it (proves it is genuinely signed);
#   2. for "ok" files, xmlsec1 --verify with the attacker's key must FAIL (proves the
#      verification above is keyed by the given certificate, not by KeyInfo); for
#      rejects signed by another key than the trusted one, the trusted key must fail;
#   3. tools.py check: DigestValue and SignatureValue recomputed without xmlsec
#      (libxml2 C14N over the Reference's XPath node set + hashlib + openssl).
# and writes manifest.json. Needs xmlsec1, openssl and the venv of
# scripts/test-deps.sh. RSA and HMAC output is deterministic; ECDSA signatures are
# randomized, so regenerating changes the ecdsa files (and only those).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
py="${SAMLSP_PYTHON:-$repo/.venv/bin/python3}"
keys="$repo/testdata/keys"
[ -x "$py" ] || { echo "gen.sh: $py missing: run scripts/test-deps.sh" >&2; exit 1; }
command -v xmlsec1 >/dev/null || { echo "gen.sh: xmlsec1 missing: run scripts/test-deps.sh" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The HMAC key is the 32 bytes that testdata/keys/hmac.hex spells in hex.
"$py" -c 'import binascii, sys; sys.stdout.buffer.write(binascii.unhexlify(open(sys.argv[1]).read().strip()))' \
  "$keys/hmac.hex" > "$tmp/hmac.bin"
# Algorithm confusion: an HMAC keyed with the bytes of the IdP's certificate file (PEM).
cp "$keys/idp-rsa2048.crt" "$tmp/hmac-cert.bin"

idattr=(--id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion)
cd "$here"
rm -f ok-*.xml reject-*.xml
: > "$tmp/cases.tsv"

# fixture FILE LAYOUT PREFIX SIG DIGEST C14N TRANSFORM TPL SIPL ATTRS KEY TRUSTED EXPECT [NOTE]
#   LAYOUT    assertion | saml-default (saml is the default namespace) | response (Assertion in samlp:Response)
#   PREFIX    dsig prefix; "" = default namespace on Signature
#   C14N      SignedInfo CanonicalizationMethod: exc | inc
#   TRANSFORM exc = enveloped-signature then exc-c14n; none = enveloped-signature only
#   TPL/SIPL  InclusiveNamespaces PrefixList on the exc-c14n transform / on SignedInfo's
#             CanonicalizationMethod ("-" = no InclusiveNamespaces element)
#   ATTRS     1 = xs/xsi declared on the root and an AttributeStatement using xsi:type="xs:string"
#   KEY       signing key in testdata/keys (its certificate goes into KeyInfo), or hmac / hmac-cert
#   TRUSTED   the certificate a verifier should be configured to trust
#   EXPECT    ok | the reason a strict verifier must reject the file
fixture() {
  local file="$1" layout="$2" prefix="$3" sig="$4" digest="$5" c14n="$6" transform="$7"
  local tpl="$8" sipl="$9" attrs="${10}" key="${11}" trusted="${12}" expect="${13}" note="${14:-}"
  local targs=(template --layout "$layout" --prefix "$prefix" --sig "$sig" --digest "$digest"
               --c14n "$c14n" --transform-prefixes "$tpl" --signedinfo-prefixes "$sipl")
  [ "$transform" = none ] && targs+=(--no-transform-c14n)
  [ "$attrs" = 1 ] && targs+=(--attrs)
  local signargs verifyargs checkargs
  case "$key" in
    hmac|hmac-cert)
      targs+=(--no-key-info)
      signargs=(--hmackey "$tmp/$key.bin")
      verifyargs=(--hmackey "$tmp/$key.bin")
      checkargs=(--hmac-key "$tmp/$key.bin") ;;
    *)
      signargs=(--privkey-pem "$keys/$key.key,$keys/$key.crt")
      verifyargs=(--pubkey-cert-pem "$keys/$key.crt")
      checkargs=(--cert "$keys/$key.crt") ;;
  esac
  "$py" "$here/tools.py" "${targs[@]}" > "$tmp/template.xml"
  xmlsec1 --sign "${signargs[@]}" "${idattr[@]}" --output "$file" "$tmp/template.xml" 2>"$tmp/err" \
    || { cat "$tmp/err" >&2; echo "gen.sh: $file: xmlsec1 --sign failed" >&2; exit 1; }
  # 1. Genuinely signed: verifies with the signing key alone (KeyInfo ignored).
  xmlsec1 --verify "${verifyargs[@]}" --enabled-key-data key-name "${idattr[@]}" "$file" >/dev/null 2>"$tmp/err" \
    || { cat "$tmp/err" >&2; echo "gen.sh: $file: does not verify with $key" >&2; exit 1; }
  # 2. For ok files: the attacker's key must not verify it.
  if [ "$expect" = ok ]; then
    if xmlsec1 --verify --pubkey-cert-pem "$keys/attacker-rsa2048.crt" --enabled-key-data key-name \
        "${idattr[@]}" "$file" >/dev/null 2>&1; then
      echo "gen.sh: $file: verifies with the attacker's key" >&2; exit 1
    fi
  fi
  # 2b. For rejects signed by a key other than the trusted one: the trusted key must fail.
  if [ "$expect" != ok ] && [ "$key" != "$trusted" ]; then
    if xmlsec1 --verify --pubkey-cert-pem "$keys/$trusted.crt" --enabled-key-data key-name \
        "${idattr[@]}" "$file" >/dev/null 2>&1; then
      echo "gen.sh: $file: verifies with the trusted key $trusted" >&2; exit 1
    fi
  fi
  # 3. Recomputed without xmlsec.
  local checked
  checked="$("$py" "$here/tools.py" check "$file" "${checkargs[@]}")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$file" "testdata/keys/$trusted.crt" "$key" "$expect" \
    "$layout" "$prefix" "$note" >> "$tmp/cases.tsv"
  echo "$expect: $checked"
}

# One file per algorithm and key, in each of the three dsig prefix styles.
for style in ds default sig; do
  p="$style"; [ "$style" = default ] && p=""
  fixture "ok-rsa2048-rsa-sha256-$style.xml"   assertion "$p" rsa-sha256   sha256 exc exc - - 0 idp-rsa2048 idp-rsa2048 ok
  fixture "ok-rsa2048-rsa-sha384-$style.xml"   assertion "$p" rsa-sha384   sha384 exc exc - - 0 idp-rsa2048 idp-rsa2048 ok
  fixture "ok-rsa2048-rsa-sha512-$style.xml"   assertion "$p" rsa-sha512   sha512 exc exc - - 0 idp-rsa2048 idp-rsa2048 ok
  fixture "ok-rsa3072-rsa-sha256-$style.xml"   assertion "$p" rsa-sha256   sha256 exc exc - - 0 idp-rsa3072 idp-rsa3072 ok
  fixture "ok-p256-ecdsa-sha256-$style.xml"    assertion "$p" ecdsa-sha256 sha256 exc exc - - 0 idp-p256    idp-p256    ok
  fixture "ok-p384-ecdsa-sha384-$style.xml"    assertion "$p" ecdsa-sha384 sha384 exc exc - - 0 idp-p384    idp-p384    ok
  fixture "ok-p256-ecdsa-sha512-$style.xml"    assertion "$p" ecdsa-sha512 sha512 exc exc - - 0 idp-p256    idp-p256    ok
  # saml as the default namespace; the Assertion nested in a samlp:Response.
  fixture "ok-saml-default-ns-$style.xml"      saml-default "$p" rsa-sha256 sha256 exc exc - - 0 idp-rsa2048 idp-rsa2048 ok
  fixture "ok-response-nested-$style.xml"      response     "$p" rsa-sha256 sha256 exc exc - - 0 idp-rsa2048 idp-rsa2048 ok \
    "signed element is the Assertion inside the Response; saml prefix declared on the Response only"
  # Inclusive C14N 1.0 for SignedInfo, Reference transforms enveloped-signature only
  # (so the Reference node set is canonicalized with C14N 1.0 too).
  fixture "ok-inclusive-c14n-assertion-$style.xml"    assertion    "$p" rsa-sha256 sha256 inc none - - 0 idp-rsa2048 idp-rsa2048 ok
  fixture "ok-inclusive-c14n-saml-default-$style.xml" saml-default "$p" rsa-sha256 sha256 inc none - - 0 idp-rsa2048 idp-rsa2048 ok \
    "C14N 1.0 of SignedInfo includes the inherited default namespace"
  fixture "ok-inclusive-c14n-response-$style.xml"     response     "$p" rsa-sha256 sha256 inc none - - 1 idp-rsa2048 idp-rsa2048 ok \
    "C14N 1.0 of the Assertion and of SignedInfo includes every namespace declared on the Response"
done
fixture ok-saml-default-ns-p256-ecdsa-sha256-ds.xml saml-default ds ecdsa-sha256 sha256 exc exc - - 0 idp-p256 idp-p256 ok
fixture ok-response-nested-p256-ecdsa-sha256-ds.xml response     ds ecdsa-sha256 sha256 exc exc - - 0 idp-p256 idp-p256 ok

# Exclusive C14N with an InclusiveNamespaces PrefixList on the transform and on SignedInfo.
fixture ok-exc-prefixlist-assertion.xml    assertion    ds rsa-sha256 sha256 exc exc "xs" "xs saml" 1 idp-rsa2048 idp-rsa2048 ok \
  "xs is used only inside xsi:type values, so only the PrefixList brings xmlns:xs into the digest"
fixture ok-exc-prefixlist-saml-default.xml saml-default ds rsa-sha256 sha256 exc exc "#default xs" "#default xs" 1 idp-rsa2048 idp-rsa2048 ok \
  "#default in both PrefixLists: canonical SignedInfo carries xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\""
fixture ok-exc-prefixlist-response.xml     response     ds rsa-sha256 sha256 exc exc "samlp xs" "samlp saml" 1 idp-rsa2048 idp-rsa2048 ok \
  "PrefixList names prefixes declared only on the enclosing Response"
fixture ok-exc-prefixlist-unprefixed.xml   assertion    "" ecdsa-sha256 sha256 exc exc "xs #default" "#default" 1 idp-p256 idp-p256 ok \
  "unprefixed Signature: #default on SignedInfo is the dsig namespace itself"

# Must be rejected by a strict verifier, although genuinely signed.
fixture reject-rsa-sha1.xml               assertion ds rsa-sha1    sha1   exc exc - - 0 idp-rsa2048      idp-rsa2048 sha1-disabled \
  "rsa-sha1 signature and sha1 digest"
fixture reject-rsa-sha256-digest-sha1.xml assertion ds rsa-sha256  sha1   exc exc - - 0 idp-rsa2048      idp-rsa2048 sha1-disabled \
  "rsa-sha256 signature over a sha1 Reference digest"
fixture reject-hmac-sha1.xml              assertion ds hmac-sha1   sha1   exc exc - - 0 hmac             idp-rsa2048 hmac \
  "HMAC keyed with the 32 bytes of testdata/keys/hmac.hex; no KeyInfo"
fixture reject-hmac-sha256-idp-cert-key.xml assertion ds hmac-sha256 sha256 exc exc - - 0 hmac-cert      idp-rsa2048 hmac \
  "algorithm confusion: HMAC keyed with the bytes of testdata/keys/idp-rsa2048.crt (the trusted cert's PEM file)"
fixture reject-rsa1024.xml                assertion ds rsa-sha256  sha256 exc exc - - 0 idp-rsa1024      idp-rsa1024 weak-key \
  "1024-bit RSA key, even though its certificate is the trusted one"
fixture reject-attacker-key.xml           assertion ds rsa-sha256  sha256 exc exc - - 0 attacker-rsa2048 idp-rsa2048 untrusted-key \
  "signed by the attacker's key, the attacker's certificate (same subject as the IdP's) in KeyInfo"

"$py" "$here/tools.py" manifest "$tmp/cases.tsv" > manifest.json
echo "gen.sh: $(wc -l < "$tmp/cases.tsv") files, manifest.json written"
