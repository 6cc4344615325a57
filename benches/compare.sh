#!/usr/bin/env bash
# Times `mjrtool mux` against the usual two-tool pipeline (janus-pp-rec once per track, then
# ffmpeg to join them) on the same generated recording, and prints wall time and peak RSS of each.
#
#   benches/compare.sh [DURATION_SECONDS ...]     (default: 600)
#
# Every command runs REPEAT times (default 3) and the median is printed. Before each run the
# outputs of earlier runs are deleted, `sync` writes back dirty pages (so no run is throttled for
# another's writes) and the inputs are read once (warm page cache for every tool alike).
#
# Needs: /usr/bin/time (Debian "time"), janus-pp-rec (Debian "janus-tools"), ffmpeg, and free disk
# space of about 4 times the recordings' size (the inputs, janus-pp-rec's two files, ffmpeg's
# output: 3.6 GB for 3600 s). Recordings are
# generated with `mjr-synth` (test-support; VP8 padded to ~2 Mbit/s + Opus) into $WORK (default /tmp/mjr-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-/tmp/mjr-bench}
durations=("$@"); [ ${#durations[@]} -gt 0 ] || durations=(600)
REPEAT=${REPEAT:-3}

missing=0
for t in /usr/bin/time janus-pp-rec ffmpeg; do
  if ! command -v "$t" >/dev/null 2>&1; then
    echo "missing: $t  (apt-get install $( [ "$t" = /usr/bin/time ] && echo time || ([ "$t" = janus-pp-rec ] && echo janus-tools || echo ffmpeg)))" >&2
    missing=1
  fi
done
cargo build --release -q -p mjrtool -p mjrtool-test-support --bin mjrtool --bin mjr-synth
# The binaries cargo just built (in CARGO_TARGET_DIR when it is set, as for every engineer here).
MJRTOOL=${CARGO_TARGET_DIR:-target}/release/mjrtool
SYNTH=${CARGO_TARGET_DIR:-target}/release/mjr-synth
mkdir -p "$WORK"

# shellcheck source=measure.sh
. benches/measure.sh

printf '%-10s %-34s %10s %12s\n' duration tool seconds peak_RSS_MiB
for d in "${durations[@]}"; do
  dir="$WORK/d$d"
  if [ ! -f "$dir/video.mjr" ]; then
    "$SYNTH" --out-dir "$dir" --duration "$d" --video-bitrate 2000000 --reorder 0.01 --duplicate 0.001 --force 2>/dev/null
  fi
  rm -f "$dir"/*.webm "$dir"/*.opus
  size=$(du -m "$dir/video.mjr" "$dir/audio.mjr" | awk '{s+=$1} END {print s}')
  read -r ms mr < <(measure "$MJRTOOL" mux "$dir/audio.mjr" "$dir/video.mjr" "$dir/out-mjrtool.webm" --force --quiet)
  printf '%-10s %-34s %10.3f %12.1f\n' "${d}s" "mjrtool mux (${size} MiB in)" "$ms" "$(echo "$mr/1024" | bc -l)"
  # The floor for any converter that writes its output through the page cache: copying the
  # inputs once into one file.
  read -r cs _ < <(measure sh -c 'cat "$1" "$2" > "$3"' sh "$dir/video.mjr" "$dir/audio.mjr" "$dir/out-cat")
  printf '%-10s %-34s %10.3f\n' "${d}s" "(floor: cat inputs > one file)" "$cs"
  printf '%-10s %-34s %9.2fx\n' "${d}s" "mux time / cat time" "$(echo "$ms / $cs" | bc -l)"
  if [ $missing -eq 0 ]; then
    # The pipeline's intermediate files are made once, outside the timed join runs.
    read -r vs vr < <(measure janus-pp-rec "$dir/video.mjr" "$dir/out-pp-video.webm")
    read -r as ar < <(measure janus-pp-rec "$dir/audio.mjr" "$dir/out-pp-audio.opus")
    janus-pp-rec "$dir/video.mjr" "$dir/pp-video.webm" >/dev/null 2>&1
    janus-pp-rec "$dir/audio.mjr" "$dir/pp-audio.opus" >/dev/null 2>&1
    read -r fs fr < <(measure ffmpeg -y -v error -i "$dir/pp-audio.opus" -i "$dir/pp-video.webm" -c:v copy -c:a copy "$dir/out-pp-mixed.webm")
    # The command users run today (DEVELOPERS.md) re-encodes the audio (`-c:a opus` picks ffmpeg's
    # experimental encoder, which refuses to run without -strict; libopus is the encoder ffmpeg
    # uses for Opus otherwise).
    read -r es er < <(measure ffmpeg -y -v error -i "$dir/pp-audio.opus" -i "$dir/pp-video.webm" -c:v copy -c:a libopus "$dir/out-pp-mixed-enc.webm")
    rm -f "$dir"/out-* "$dir/pp-video.webm" "$dir/pp-audio.opus"
    total=$(echo "$vs + $as + $fs" | bc -l)
    total_enc=$(echo "$vs + $as + $es" | bc -l)
    peak=$(printf '%s\n' "$vr" "$ar" "$fr" | sort -n | tail -1)
    printf '%-10s %-34s %10.3f %12.1f\n' "${d}s" "janus-pp-rec video" "$vs" "$(echo "$vr/1024" | bc -l)"
    printf '%-10s %-34s %10.3f %12.1f\n' "${d}s" "janus-pp-rec audio" "$as" "$(echo "$ar/1024" | bc -l)"
    printf '%-10s %-34s %10.3f %12.1f\n' "${d}s" "ffmpeg mux" "$fs" "$(echo "$fr/1024" | bc -l)"
    printf '%-10s %-34s %10.3f %12.1f\n' "${d}s" "ffmpeg mux, -c:a libopus" "$es" "$(echo "$er/1024" | bc -l)"
    printf '%-10s %-34s %10.3f %12.1f\n' "${d}s" "pp-rec x2 + ffmpeg copy (peak)" "$total" "$(echo "$peak/1024" | bc -l)"
    printf '%-10s %-34s %10.3f\n' "${d}s" "pp-rec x2 + ffmpeg libopus" "$total_enc"
    printf '%-10s %-34s %9.1fx\n' "${d}s" "speed-up vs copy mux" "$(echo "$total / $ms" | bc -l)"
    printf '%-10s %-34s %9.1fx\n' "${d}s" "speed-up vs libopus mux" "$(echo "$total_enc / $ms" | bc -l)"
  else
    echo "(janus-pp-rec / ffmpeg comparison skipped: tools missing, see above)"
  fi
  rm -f "$dir"/out-*
done
