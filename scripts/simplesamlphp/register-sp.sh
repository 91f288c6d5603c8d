#!/usr/bin/env bash
# Registers SPs at the conformance IdP from their metadata (URLs or files; see register-sp.php); takes
# effect at the IdP's next request, no restart.
#
#   scripts/simplesamlphp/register-sp.sh http://127.0.0.1:8280/t/umbrella/saml/metadata ...
#
# Env (optional): SAMLSP_SSP_STATE (<repo>/target/simplesamlphp)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${SAMLSP_SSP_STATE:-$ROOT/target/simplesamlphp}"
[ "$#" -ge 1 ] || { echo "usage: $0 <SP metadata URL or file>..." >&2; exit 2; }
exec env SIMPLESAMLPHP_CONFIG_DIR="$ROOT/scripts/simplesamlphp/config" SAMLSP_SSP_STATE="$STATE" \
  SAMLSP_SSP_BASEURL=http://127.0.0.1/ php "$ROOT/scripts/simplesamlphp/register-sp.php" "$STATE" "$@"
