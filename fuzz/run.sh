#!/bin/sh
# Runs one fuzz target for N seconds, single-process (the machine is shared).
#   fuzz/run.sh <parse|c14n|verify> [seconds=600] [extra libFuzzer flags...]
# New corpus entries go to fuzz/corpus/<target>/ (gitignored), crashes to
# fuzz/artifacts/<target>/. Uses the nightly toolchain when rustup has one,
# else stable with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Z flags).
set -eu
[ $# -ge 1 ] || { echo "usage: $0 <parse|c14n|verify> [seconds] [libfuzzer flags...]" >&2; exit 2; }
target=$1; shift
secs=${1:-600}; [ $# -ge 1 ] && shift
cd "$(dirname "$0")/.."          # repo root: cargo fuzz finds ./fuzz
mkdir -p "fuzz/corpus/$target"
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    tc="+nightly"
else
    tc=""; export RUSTC_BOOTSTRAP=1
fi
# With -jobs, libFuzzer runs the fuzzing in a child whose output goes to ./fuzz-0.log;
# it is moved to fuzz/logs/<target>-<UTC time>.log (gitignored) afterwards.
log="fuzz/logs/$target-$(date -u +%Y%m%dT%H%M%SZ).log"
mkdir -p fuzz/logs
rm -f fuzz-0.log
status=0
# The first corpus dir is the writable one; seeds are read-only input.
nice cargo $tc fuzz run "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$secs" -jobs=1 -workers=1 -rss_limit_mb=2048 -timeout=5 \
    -dict=fuzz/xml.dict -print_final_stats=1 "$@" || status=$?
if [ -f fuzz-0.log ]; then
    mv fuzz-0.log "$log"
    grep -E "INITED|DONE|^Done|^stat::|ERROR|SUMMARY|crash-|timeout-|oom-|leak-" "$log" | tail -n 20
    echo "full log: $log"
fi
exit $status
