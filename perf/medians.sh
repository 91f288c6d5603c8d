#!/usr/bin/env bash
# Prints the medians of the last `cargo bench --bench verify` run (criterion's estimates.json),
# as time per verification, verifications per second, the ratio to the OpenSSL floor of the same run
# and samael's time divided by samlsp's on the same input. Run from anywhere.
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)/target/criterion/verify_response"
[ -d "$dir" ] || { echo "no results in $dir: run cargo bench --bench verify first" >&2; exit 1; }
python3 - "$dir" <<'PY'
import json, pathlib, sys
root = pathlib.Path(sys.argv[1])
order = ["openssl_rsa2048_verify_floor", "samael", "samael_response_signed", "samael_both_signed"]
found = sorted((p.parent.parent.name for p in root.glob("*/new/estimates.json")),
               key=lambda n: (order.index(n) if n in order else len(order), n))
medians = {n: json.loads((root / n / "new" / "estimates.json").read_text())["median"] for n in found}
floor = medians.get("openssl_rsa2048_verify_floor", {}).get("point_estimate")
print(f"{'function':<30} {'median':>11} {'95% CI of median':>23} {'per second':>11} {'× floor':>8} {'samael ÷':>9}")
for name in found:
    m = medians[name]
    pt, ci = m["point_estimate"], m["confidence_interval"]
    ratio = f"{pt/floor:.2f}" if floor else "-"
    peer = medians.get(name.replace("samlsp", "samael", 1)) if name.startswith("samlsp") else None
    speedup = f"{peer['point_estimate']/pt:.1f}" if peer else ""
    print(f"{name:<30} {pt/1e3:>8.1f} µs  [{ci['lower_bound']/1e3:>8.1f}, {ci['upper_bound']/1e3:>8.1f}] µs {1e9/pt:>11,.0f} {ratio:>8} {speedup:>9}")
PY
