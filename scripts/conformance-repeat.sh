#!/usr/bin/env bash
# Flakiness hunt: runs the conformance suite N times in a row (default 10), stops at the first
# failure, and keeps every run's artifacts (logs, JUnit XML, screenshots) in
# target/conformance-runs/<n>/. Not part of the test command; run it by hand after a change that
# could make a case depend on timing.
#
#   scripts/conformance-repeat.sh [N] [pytest args...]
#
# SAMLSP_CONF_LOCK=<file>: take this flock(1) lock around each run (several checkouts on one
# machine then take turns with their own conformance runs instead of fighting over the CPU).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-10}"
shift || true
out="$repo/target/conformance-runs"
rm -rf "$out"
mkdir -p "$out"
for ((n = 1; n <= runs; n++)); do
  start=$(date +%s)
  lock=()
  [ -n "${SAMLSP_CONF_LOCK:-}" ] && lock=(flock "$SAMLSP_CONF_LOCK")
  if "${lock[@]}" "$repo/scripts/conformance.sh" "$@" >"$out/run-$n.log" 2>&1; then rc=0; else rc=$?; fi
  cp -a "$repo/target/conformance" "$out/$n"
  summary="$(grep -E '[0-9]+ (passed|failed)' "$out/run-$n.log" | tail -n 1 || true)"
  printf 'conformance-repeat: run %d/%d: %s in %ss (load %s)\n' "$n" "$runs" \
    "$([ "$rc" = 0 ] && echo passed || echo FAILED)" "$(($(date +%s) - start))" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
  [ -n "$summary" ] && printf 'conformance-repeat:   %s\n' "$summary"
  if [ "$rc" != 0 ]; then
    printf 'conformance-repeat: stopped at the first failure; logs in %s/%d and %s/run-%d.log\n' \
      "$out" "$n" "$out" "$n"
    exit 1
  fi
done
printf 'conformance-repeat: %d of %d runs passed\n' "$runs" "$runs"
