# Shared by compare.sh and compare-codecs.sh (sourced, not run). The caller sets REPEAT and
# `dir`, the folder of video.mjr, audio.mjr and the out-* files.

# measure_once CMD...: prints "seconds max_rss_kib" for one run of the command
measure_once() {
  local log; log=$(mktemp)
  if ! /usr/bin/time -v "$@" >/dev/null 2>"$log"; then
    echo "command failed: $*" >&2; tail -5 "$log" >&2; rm -f "$log"; return 1
  fi
  # the wall time is [h:]m:ss.ss
  awk -F': ' '/Elapsed \(wall clock\)/ {w=$2} /Maximum resident set size/ {r=$2}
    END {n=split(w,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; printf "%.3f %d\n", s, r}' "$log"
  rm -f "$log"
}

# measure CMD...: REPEAT runs of the command, each after the outputs are deleted, dirty pages
# written back and the inputs read once (a warm page cache for every tool alike); prints the
# median "seconds max_rss_kib"
measure() {
  local runs=() i
  for ((i = 0; i < REPEAT; i++)); do
    rm -f "$dir"/out-*
    sync
    cat "$dir/video.mjr" "$dir/audio.mjr" > /dev/null
    runs+=("$(measure_once "$@")") || return 1
  done
  printf '%s\n' "${runs[@]}" | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}
