#!/usr/bin/env bash
# Prints the medians of the last `cargo bench --bench verify` run (criterion's estimates.json),
# as time per verification and verifications per second. Run from anywhere.
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)/target/criterion/verify_response"
[ -d "$dir" ] || { echo "no results in $dir: run cargo bench --bench verify first" >&2; exit 1; }
python3 - "$dir" <<'PY'
import json, pathlib, sys
root = pathlib.Path(sys.argv[1])
order = ["openssl_rsa2048_verify_floor", "samael", "samael_response_signed", "samael_both_signed"]
found = sorted((p.parent.parent.name for p in root.glob("*/new/estimates.json")),
               key=lambda n: (order.index(n) if n in order else len(order), n))
print(f"{'function':<30} {'median':>11} {'95% CI of median':>23} {'per second':>11}")
for name in found:
    m = json.loads((root / name / "new" / "estimates.json").read_text())["median"]
    pt, ci = m["point_estimate"], m["confidence_interval"]
    print(f"{name:<30} {pt/1e3:>8.1f} µs  [{ci['lower_bound']/1e3:>8.1f}, {ci['upper_bound']/1e3:>8.1f}] µs {1e9/pt:>11,.0f}")
PY
