#!/bin/sh
# Runs the simulated sessions of `timeline-score` through janus-pp-rec + ffmpeg, the way an
# operator converts a Janus recording today, and scores both tools on them (see TIMELINE.md).
#
#   benches/timeline-pprec.sh [SESSIONS [MS [SEED [DIR]]]]
#
# SESSIONS (default 200) sessions of MS ms each (default 30000), the kinds taking turns from
# seed SEED (default 1), written into DIR (default: a new temporary directory, kept). Per session:
#
#   janus-pp-rec <kind>-<seed>-video.mjr <kind>-<seed>-v.webm
#   janus-pp-rec <kind>-<seed>-audio.mjr <kind>-<seed>-a.opus
#   ffmpeg -i v.webm -i a.opus -c copy -map 0 -map 1 <kind>-<seed>.mkv   (each track starts at 0)
#   ffprobe -show_packets -of csv <kind>-<seed>.mkv > <kind>-<seed>-packets.csv
#
# then `pprec-score` maps every packet of the MKV back to its capture (by the id in its payload)
# and prints mjrtool's and janus-pp-rec's distributions side by side. Needs janus-pp-rec (Debian
# janus-tools), ffmpeg and ffprobe. CARGO_TARGET_DIR is honoured.
set -eu

sessions=${1:-200}
ms=${2:-30000}
seed=${3:-1}
dir=${4:-$(mktemp -d "${TMPDIR:-/tmp}/timeline-pprec.XXXXXX")}

for tool in janus-pp-rec ffmpeg ffprobe; do
    command -v "$tool" >/dev/null || { echo "timeline-pprec: $tool not found" >&2; exit 2; }
done

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
(cd "$root" && cargo build --release -q -p mjr-benches --bin timeline-score --bin pprec-score)

mkdir -p "$dir"
echo "sessions in $dir" >&2
"$target/release/timeline-score" --sessions "$sessions" --ms "$ms" --seed "$seed" \
    --write-dir "$dir" --worst 0 >"$dir/timeline-score.txt"

failed=0
for truth in "$dir"/*-truth.csv; do
    base=${truth%-truth.csv}
    rm -f "$base-v.webm" "$base-a.opus" "$base.mkv" "$base-packets.csv"
    # A session janus-pp-rec or ffmpeg refuses leaves no MKV: pprec-score counts it as refused.
    if janus-pp-rec -d 0 "$base-video.mjr" "$base-v.webm" >"$base-pprec.log" 2>&1 &&
        janus-pp-rec -d 0 "$base-audio.mjr" "$base-a.opus" >>"$base-pprec.log" 2>&1 &&
        ffmpeg -nostdin -v error -y -i "$base-v.webm" -i "$base-a.opus" \
            -c copy -map 0 -map 1 "$base.mkv" >>"$base-pprec.log" 2>&1 &&
        ffprobe -v error -show_packets -of csv "$base.mkv" >"$base-packets.csv" \
            2>>"$base-pprec.log"; then
        rm -f "$base-v.webm" "$base-a.opus"
    else
        failed=$((failed + 1))
        rm -f "$base.mkv"
    fi
done
echo "janus-pp-rec/ffmpeg failed on $failed sessions" >&2

"$target/release/pprec-score" --dir "$dir" --ms "$ms"
