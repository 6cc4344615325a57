#!/usr/bin/env bash
# Runs every fuzz target in turn until it reaches RUNS executions or SECONDS_PER_TARGET seconds,
# growing a scratch corpus in $WORK (the committed seeds in corpus/ are only read). Prints one
# line per target: executions, time, corpus size, and whether a crash was found.
#
#   fuzz/run-all.sh [target ...]     (default: all; env RUNS=10000000 SECONDS_PER_TARGET=1800,
#                                     SANITIZER=none; use SANITIZER=address for ASan)
# Targets are optimised (-O) with debug assertions and overflow checks (-a); inputs go up to
# 1 MiB, past the MJR reader's 256 KiB reads.
set -uo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-10000000}
SECS=${SECONDS_PER_TARGET:-1800}
WORK=${WORK:-/tmp/mjrtool-fuzz}
export RUSTC_BOOTSTRAP=1
targets=("$@"); [ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
cargo fuzz build -O -a -s "${SANITIZER:-none}" >/dev/null 2>&1 || { echo "cargo fuzz build failed" >&2; exit 1; }
for t in "${targets[@]}"; do
  mkdir -p "$WORK/$t" "$WORK/logs"
  start=$(date +%s)
  cargo fuzz run -O -a -s "${SANITIZER:-none}" "$t" "$WORK/$t" "corpus/$t" -- -runs="$RUNS" -max_total_time="$SECS" \
    -rss_limit_mb=2048 -max_len=1048576 -timeout=10 -print_final_stats=1 >"$WORK/logs/$t.log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$WORK/logs/$t.log" | grep -o '[0-9]*$' | tail -1)
  peak=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$WORK/logs/$t.log" | grep -o '[0-9]*$' | tail -1)
  printf '%-16s execs=%-10s secs=%-6s peak_rss_mb=%-5s corpus=%-6s %s\n' "$t" "${execs:-?}" "$secs" "${peak:-?}" \
    "$(ls "$WORK/$t" | wc -l)" "$([ $rc -eq 0 ] && echo ok || echo "CRASH (see $WORK/logs/$t.log, artifacts/$t)")"
done
