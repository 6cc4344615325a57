#!/usr/bin/env bash
# Times `mjrtool` against janus-pp-rec (+ ffmpeg to join) on long recordings of the codecs the
# second wave added, and prints wall time and peak RSS of each:
#
#   H.264 -> MP4:          mjrtool convert video.mjr out.mp4   vs  janus-pp-rec video.mjr out.mp4
#   H.264 + Opus -> MP4:   mjrtool mux video.mjr audio.mjr out.mp4
#                          vs  janus-pp-rec (video) + janus-pp-rec (audio) + ffmpeg -c copy join
#
#   benches/compare-codecs.sh [DURATION_SECONDS]     (default: 3600)
#
# The recordings are a 10 s clip encoded by ffmpeg (libx264 constrained baseline, 1280x720,
# 30 fps, 1.5 Mbit/s, a keyframe every 2 s, as a WebRTC sender makes it; Opus 20 ms at 32 kbit/s)
# played over and over by our packetizer and MJR writer (`mjr-codec`, in the test-support crate)
# into $WORK (default /tmp/mjr-bench-codecs). Each command runs REPEAT times (default 3), the
# median is printed; before each run the outputs are deleted, dirty pages written back, the
# inputs read once (a warm page cache for every tool alike). Needs /usr/bin/time, janus-pp-rec
# (Debian janus-tools), ffmpeg.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-/tmp/mjr-bench-codecs}
D=${1:-3600}
REPEAT=${REPEAT:-3}
for t in /usr/bin/time janus-pp-rec ffmpeg; do
  command -v "$t" >/dev/null || { echo "missing: $t" >&2; exit 1; }
done
cargo build --release -q -p mjrtool -p mjrtool-test-support --bin mjrtool --bin mjr-codec
MJRTOOL=$(realpath "${CARGO_TARGET_DIR:-target}")/release/mjrtool
GEN=$(realpath "${CARGO_TARGET_DIR:-target}")/release/mjr-codec
dir="$WORK/d$D"
mkdir -p "$dir"
if [ ! -f "$dir/video.mjr" ]; then
  ffmpeg -hide_banner -v error -y -f lavfi -i testsrc2=size=1280x720:rate=30:duration=10 \
    -pix_fmt yuv420p -c:v libx264 -profile:v baseline -preset veryfast -tune zerolatency \
    -b:v 1500k -maxrate 1500k -bufsize 1500k -g 60 -keyint_min 60 -bsf:v h264_mp4toannexb \
    -f h264 "$WORK/clip.h264"
  ffmpeg -hide_banner -v error -y -f lavfi -i sine=frequency=440:duration=10:sample_rate=48000 \
    -c:a libopus -b:a 32k -frame_duration 20 -application voip -ac 1 -f ogg "$WORK/clip.opus"
  "$GEN" h264 "$WORK/clip.h264" 30 "$D" "$dir/video.mjr"
  "$GEN" opus "$WORK/clip.opus" - "$D" "$dir/audio.mjr"
fi

# shellcheck source=measure.sh
. benches/measure.sh
row() { printf '%-40s %10.3f %12.1f\n' "$1" "$2" "$(echo "$3/1024" | bc -l)"; }

size=$(du -m "$dir/video.mjr" "$dir/audio.mjr" | awk '{s+=$1} END {print s}')
echo "${D} s of H.264 720p + Opus: ${size} MiB of recordings"
printf '%-40s %10s %12s\n' tool seconds peak_RSS_MiB
read -r cs _ < <(measure sh -c 'cat "$1" > "$2"' sh "$dir/video.mjr" "$dir/out-cat")
printf '%-40s %10.3f\n' "(floor: cat video.mjr > file)" "$cs"
read -r c2 _ < <(measure sh -c 'cat "$1" "$2" > "$3"' sh "$dir/video.mjr" "$dir/audio.mjr" "$dir/out-cat")
printf '%-40s %10.3f\n' "(floor: cat both > one file)" "$c2"
read -r ms mr < <(measure "$MJRTOOL" convert "$dir/video.mjr" "$dir/out-mjrtool.mp4" --force --quiet)
row "mjrtool convert video -> mp4" "$ms" "$mr"
read -r ps pr < <(measure janus-pp-rec "$dir/video.mjr" "$dir/out-pp.mp4")
row "janus-pp-rec video -> mp4" "$ps" "$pr"
read -r xs xr < <(measure "$MJRTOOL" mux "$dir/video.mjr" "$dir/audio.mjr" "$dir/out-mjrtool-av.mp4" --force --quiet)
row "mjrtool mux video+audio -> mp4" "$xs" "$xr"
read -r as ar < <(measure janus-pp-rec "$dir/audio.mjr" "$dir/out-pp-audio.opus")
row "janus-pp-rec audio -> opus" "$as" "$ar"
janus-pp-rec "$dir/video.mjr" "$dir/pp-video.mp4" >/dev/null 2>&1
janus-pp-rec "$dir/audio.mjr" "$dir/pp-audio.opus" >/dev/null 2>&1
read -r fs fr < <(measure ffmpeg -y -v error -i "$dir/pp-video.mp4" -i "$dir/pp-audio.opus" -c copy -movflags +faststart "$dir/out-pp-av.mp4")
row "ffmpeg -c copy join -> mp4" "$fs" "$fr"
rm -f "$dir"/out-* "$dir/pp-video.mp4" "$dir/pp-audio.opus"
printf '%-40s %9.1fx\n' "H.264 -> MP4 speed-up" "$(echo "$ps / $ms" | bc -l)"
printf '%-40s %9.1fx\n' "H.264+Opus -> MP4 speed-up" "$(echo "($ps + $as + $fs) / $xs" | bc -l)"
printf '%-40s %9.2fx\n' "mjrtool mux / cat floor" "$(echo "$xs / $c2" | bc -l)"
