#!/usr/bin/env bash
# Checks that several builds of mjrtool write the same media: every build converts every input
# of a corpus, and the packets of each output (ffmpeg framemd5 with -c copy: stream, dts, pts,
# duration, size and md5 of every packet as stored) are compared with those of the LAST binary
# given (the reference). Packets, not decoded frames: ffmpeg's VP8 decoder does not give the same
# pictures twice for a frame whose reference was lost (kept with --after-loss keep-frames).
#
#   benches/same-outputs.sh BIN_A [BIN_B ...] BIN_REF CORPUS_DIR
#
# An input is any folder under CORPUS_DIR (at any depth) that holds audio.mjr and video.mjr.
# For each one, every binary runs:
#   mux      audio.mjr video.mjr out.webm -y
#   convert  audio.mjr out.opus -y
#   convert  session.nfo out.webm -y          (only when the folder has a session.nfo)
# Binaries that know --skip-unsupported get it (so that a recording that lost a whole track
# still converts what it can; it changes nothing for any other input).
#
# Prints one line per input and job: "identical" when every binary's packets equal the
# reference's ("bytes too" when the files are also the same byte for byte), otherwise "differs"
# with, for each differing binary, the packet count of each stream (binary vs reference) and
# the first differing framemd5 line of each side. A failed run is shown as "failed(exit N)" and
# counts as a difference unless every binary failed.
# Exits 0 when everything is identical, 1 otherwise. Needs ffmpeg.
# WORK (default: a temporary folder, removed at the end) keeps the outputs and framemd5s.
#
# Build each commit in a fresh worktree with its own CARGO_TARGET_DIR (or touch its sources):
# two worktrees made at the same time and built one after the other in one target directory
# give the second a stale binary (cargo sees its files as older than the first's build).
set -uo pipefail

if [ $# -lt 3 ]; then
  echo "usage: $0 BIN_A [BIN_B ...] BIN_REF CORPUS_DIR" >&2
  exit 2
fi
args=("$@")
corpus=${args[$#-1]}
bins=("${args[@]:0:$#-1}")
nbin=${#bins[@]}
ref=$((nbin - 1))
for b in "${bins[@]}"; do
  [ -x "$b" ] || { echo "not an executable: $b" >&2; exit 2; }
done
[ -d "$corpus" ] || { echo "not a folder: $corpus" >&2; exit 2; }

if [ -n "${WORK:-}" ]; then
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi

# Extra flags per binary.
extra=()
for i in "${!bins[@]}"; do
  if "${bins[$i]}" mux --help 2>/dev/null | grep -q -- --skip-unsupported; then
    extra[$i]=--skip-unsupported
  else
    extra[$i]=
  fi
done

# packets FILE: per-stream packet counts of a framemd5 ("0:1234 1:2999").
packets() {
  awk -F', *' '!/^#/ && NF >= 6 {n[$1]++} END {for (s in n) printf "%s:%d ", s, n[s]}' "$1" |
    tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//'
}

# first_diff A B: the first differing packet line of each side.
first_diff() {
  diff <(grep -v '^#' "$1") <(grep -v '^#' "$2") | grep -m2 '^[<>]' | tr '\n' ' ' | sed 's/ $//'
}

status=0
# job NAME OUTEXT ARGS...: ARGS hold the literal word OUT where the output path goes.
job() {
  local name=$1 ext=$2; shift 2
  local i rc a out
  local -a cmd
  for i in "${!bins[@]}"; do
    out="$WORK/$tag.$name.$i.$ext"
    rm -f "$out" "$out.framemd5"
    cmd=()
    for a in "$@"; do
      [ "$a" = OUT ] && cmd+=("$out") || cmd+=("$a")
    done
    "${bins[$i]}" "${cmd[@]}" -y -q ${extra[$i]} >"$out.log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
      ffmpeg -nostdin -v error -i "$out" -map 0 -c copy -f framemd5 - >"$out.framemd5" 2>"$out.ffmpeg.log" ||
        echo "ffmpeg failed" >>"$out.ffmpeg.log"
    else
      echo "failed(exit $rc)" >"$out.framemd5"
    fi
  done
  local reff="$WORK/$tag.$name.$ref.$ext.framemd5" line="" same=1 bytes=" bytes too"
  for ((i = 0; i < ref; i++)); do
    local f="$WORK/$tag.$name.$i.$ext.framemd5"
    cmp -s "$WORK/$tag.$name.$i.$ext" "$WORK/$tag.$name.$ref.$ext" || bytes=""
    if ! cmp -s "$f" "$reff"; then
      same=0
      if grep -q '^failed' "$f" "$reff"; then
        line+="  [bin$i: $(head -c 40 "$f" | head -1) vs ref: $(head -c 40 "$reff" | head -1)]"
      else
        line+="  [bin$i: packets $(packets "$f") vs ref $(packets "$reff"); first: $(first_diff "$f" "$reff")]"
      fi
    fi
  done
  if [ $same -eq 1 ]; then
    if grep -q '^failed' "$reff"; then
      echo "$tag $name: identical (all $(cat "$reff"))"
    else
      echo "$tag $name: identical ($(packets "$reff")$bytes)"
    fi
  else
    echo "$tag $name: differs$line"
    status=1
  fi
}

echo "binaries: $(for i in "${!bins[@]}"; do printf 'bin%d=%s ' "$i" "${bins[$i]}"; done)(reference: bin$ref)"
inputs=0
while IFS= read -r dir; do
  inputs=$((inputs + 1))
  tag=${dir#"$corpus"}
  tag=${tag#/}
  tag=${tag:-.}
  tag=${tag//\//_}
  job mux webm mux "$dir/audio.mjr" "$dir/video.mjr" OUT
  job convert-audio opus convert "$dir/audio.mjr" OUT
  if [ -f "$dir/session.nfo" ]; then
    job convert-nfo webm convert "$dir/session.nfo" OUT
  fi
done < <(find -L "$corpus" -name audio.mjr -printf '%h\n' | sort | while read -r d; do
  [ -f "$d/video.mjr" ] && echo "$d"
done)
if [ $inputs -eq 0 ]; then
  echo "no folder with audio.mjr and video.mjr under $corpus" >&2
  exit 2
fi
exit $status
