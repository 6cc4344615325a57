#!/usr/bin/env bash
# Writes the small seed corpora in fuzz/corpus/ from recordings made by `mjr-synth` (test-support) and
# converted by `mjrtool`. Seeds stay a few KiB each so the repository stays small.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p mjrtool -p mjrtool-test-support --bin mjrtool --bin mjr-synth
M=target/debug/mjrtool
SYNTH=target/debug/mjr-synth
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
C=fuzz/corpus
mkdir -p $C/{mjr_header,mjr_stream,rtp,vp8_depack,opus_depack,convert,webm_reader,ogg_reader,mjr_roundtrip,webm_roundtrip,ogg_roundtrip}
for v in 0 1 2; do
  $SYNTH --out-dir "$tmp/v$v" --duration 1 --mjr-version $v --loss 0.02 --reorder 0.05 --duplicate 0.02 --seed $((v+3)) --force >/dev/null
  for k in audio video; do
    f="$tmp/v$v/$k.mjr"
    # the mjr_stream target reads one byte (the read size) then the recording
    { printf "\\x61"; head -c 3000 "$f"; } > $C/mjr_stream/v$v-$k
    head -c 600 "$f" > $C/mjr_header/v$v-$k
  done
  # the convert target reads two bytes (where to cut: 2500) then two recordings
  { printf "\\x09\\xc4"; head -c 2500 "$tmp/v$v/audio.mjr"; head -c 4000 "$tmp/v$v/video.mjr"; } > $C/convert/v$v-pair
done
# RTP packets: the first few packets of a recording, found after the 8-byte MEET frame headers
python3 - "$tmp/v2/video.mjr" "$tmp/v2/audio.mjr" $C/rtp <<'PY'
import struct, sys
out = sys.argv[3]
for name, path in (("vp8", sys.argv[1]), ("opus", sys.argv[2])):
    b = open(path, "rb").read()
    hl = struct.unpack(">H", b[8:10])[0]
    pos = 10 + hl
    for i in range(4):
        n = struct.unpack(">H", b[pos+8:pos+10])[0]
        open(f"{out}/{name}-{i}", "wb").write(b[pos+10:pos+10+n][:400])
        pos += 10 + n
PY
# More than one 256 KiB read of 'M' (frame-prefix garbage) between the frames of a recording:
# the reader must skip it in linear time whatever the read boundaries.
python3 - $C/mjr_stream/v2-audio $C/mjr_stream/m-garbage-300k <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
pos = 1 + 10 + struct.unpack(">H", b[9:11])[0]
ends = []
while pos + 10 <= len(b) and b[pos:pos+4] == b"MEET":
    pos += 10 + struct.unpack(">H", b[pos+8:pos+10])[0]
    if pos <= len(b):
        ends.append(pos)
cut = ends[2]
open(sys.argv[2], "wb").write(b[:cut] + b"M" * 300_000 + b[cut:ends[-1]])
PY
$M convert "$tmp/v2/audio.mjr" "$tmp/a.opus" --force --quiet
$M mux "$tmp/v2/audio.mjr" "$tmp/v2/video.mjr" "$tmp/m.webm" --force --quiet
head -c 6000 "$tmp/a.opus" > $C/ogg_reader/tone
head -c 8000 "$tmp/m.webm" > $C/webm_reader/av-head
for t in vp8_depack opus_depack mjr_roundtrip webm_roundtrip ogg_roundtrip; do
  head -c 512 /dev/urandom > $C/$t/random-1
done
du -sh fuzz/corpus
