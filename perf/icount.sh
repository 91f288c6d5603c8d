#!/usr/bin/env bash
# Instructions per call of each function of the `icount` program (see icount/main.rs), counted
# by valgrind's callgrind: (instructions with N calls − instructions with 0 calls) / N.
# Repeatable whatever the machine's load. Usage: ./icount.sh [N] [function...]
# Also heap allocations per call (every malloc/calloc/realloc, C and Rust), from memcheck's
# "total heap usage" the same way.
set -euo pipefail
cd "$(dirname "$0")"
command -v valgrind >/dev/null || { echo "valgrind missing: run ./setup.sh" >&2; exit 1; }
n="${1:-200}"; shift || true
functions=("$@")
[ ${#functions[@]} -gt 0 ] || functions=(floor floor_pkey_ctx samlsp samlsp_response_signed samlsp_both_signed samlsp_dsig)
cargo build --release --quiet --bin icount
bin=target/release/icount
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
count() { # function calls -> total instructions
  valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" "$1" "$2" 2>"$out/log" >/dev/null \
    || { cat "$out/log" >&2; exit 1; }
  sed -n 's/^summary: //p' "$out/cg"
}
allocs() { # function calls -> total allocations
  valgrind --tool=memcheck "$bin" "$1" "$2" 2>"$out/log" >/dev/null || { cat "$out/log" >&2; exit 1; }
  sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$out/log" | tr -d ,
}
floor=""
printf '%-24s %16s %10s %18s\n' function "instr. per call" "× floor" "allocations per call"
for f in "${functions[@]}"; do
  base="$(count "$f" 0)"; full="$(count "$f" "$n")"
  per=$(( (full - base) / n ))
  [ "$f" = floor ] && floor="$per"
  ratio="$([ -n "$floor" ] && python3 -c "print(f'{$per/$floor:.2f}')" || echo -)"
  a0="$(allocs "$f" 0)"; a1="$(allocs "$f" "$n")"
  printf '%-24s %16d %10s %18s\n' "$f" "$per" "$ratio" "$(python3 -c "print(f'{($a1-$a0)/$n:.1f}')")"
done
