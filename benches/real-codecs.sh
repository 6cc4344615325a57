#!/usr/bin/env bash
# Every codec of mjrtool against REAL Janus recordings and janus-pp-rec 1.1.2.
#
# usage: benches/real-codecs.sh [DIR]
#   DIR        a folder of harness recordings, one sub-folder per recording, each holding
#              video.mjr / audio.mjr / data.mjr (default /tmp/realrec). Sub-folders checked when
#              present: h264 h265 vp9 (video + Opus + text data), h264loss (3 % loss), pcmu pcma
#              g722 l16-48 (audio only), av1 vp9svc (browser recordings, browser/assemble.sh).
# environment:
#   RECORD=1   make the missing recordings first with $HARNESS/record.sh (one at a time, DUR s)
#   HARNESS    the harness folder (default: ../shared/harness beside the repository)
#   MJRTOOL    the binary (default: $CARGO_TARGET_DIR/release/mjrtool, else target/release/)
#   WORK       where outputs go (default DIR/work); DUR (10), PORTBASE (23000)
#   RECS       which sub-folders, in order (default: all of the above)
#
# Prints one line per check: "PASS|WARN|FAIL|INFO  recording  check  details" (WARN: ffmpeg's
# null output complains only of its own 1/frame-rate ticks, see clean()). Exit status 1 when a
# check failed. Needs janus-pp-rec (janus-tools), ffmpeg/ffprobe and python3; the recordings need
# janus, curl and root. Not part of `cargo test`: real recordings are not reproducible bit for bit.
set -u -o pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HARNESS="${HARNESS:-$ROOT/../shared/harness}"
MJRTOOL="${MJRTOOL:-${CARGO_TARGET_DIR:-$ROOT/target}/release/mjrtool}"
DIR="${1:-/tmp/realrec}"
WORK="${WORK:-$DIR/work}"
DUR="${DUR:-10}"
PORTBASE="${PORTBASE:-23000}"
T() { timeout -k 5 300 "$@"; }
FAILS=0
REF_DIRTY=0
PY="$WORK/real-codecs-helper.py"
mkdir -p "$WORK"

line() { # STATUS REC CHECK DETAILS
  [ "$1" = FAIL ] && FAILS=$((FAILS + 1))
  printf '%-4s  %-9s %-26s %s\n' "$1" "$2" "$3" "$4"
}

# ------------------------------------------------------------------------- recordings
declare -A RECARGS=(
  [h264]="-c h264 -A opus -T" [h265]="-c h265 -A opus -T" [vp9]="-c vp9 -A opus -T"
  [h264loss]="-c h264 -A opus -i 3,0,0"
  [pcmu]="-V -A pcmu" [pcma]="-V -A pcma" [g722]="-V -A g722" [l16-48]="-V -A l16-48"
)
read -r -a ORDER <<< "${RECS:-h264 h265 vp9 h264loss pcmu pcma g722 l16-48 av1 vp9svc}"
if [ "${RECORD:-0}" = 1 ]; then
  for n in "${ORDER[@]}"; do
    [ -n "${RECARGS[$n]:-}" ] || continue
    [ -s "$DIR/$n/audio.mjr" ] && continue
    # shellcheck disable=SC2086
    OUTROOT="$DIR" T "$HARNESS/record.sh" -n "$n" -d "$DUR" -p "$PORTBASE" ${RECARGS[$n]} \
      > "$WORK/$n.record.log" 2>&1 || line FAIL "$n" record "record.sh failed: $WORK/$n.record.log"
  done
fi

# ------------------------------------------------------------------------- python helper
cat > "$PY" <<'EOF'
import collections, struct, sys

def framemd5(path):
    """(pts, hash) of each decoded frame in a framemd5 listing."""
    out = []
    for l in open(path):
        if l.startswith('#') or not l.strip():
            continue
        f = [x.strip() for x in l.split(',')]
        out.append((int(f[2]), f[5]))
    return out

def framecmp(ours, ref):
    a, b = framemd5(ours), framemd5(ref)
    ca, cb = collections.Counter(h for _, h in a), collections.Counter(h for _, h in b)
    common = sum((ca & cb).values())
    # the longest run of identical hashes in the same order, from the first common frame
    ha, hb = [h for _, h in a], [h for _, h in b]
    first = next((i for i, h in enumerate(ha) if h in cb), None)
    seq = 0
    if first is not None:
        j = hb.index(ha[first])
        while first + seq < len(ha) and j + seq < len(hb) and ha[first + seq] == hb[j + seq]:
            seq += 1
    ok = len(a) == len(b) == common
    print("%s ours=%d ref=%d identical=%d (%.1f%% of ref) same-order-run=%d"
          % ("PASS" if ok else "FAIL", len(a), len(b), common, 100.0 * common / max(1, len(b)), seq))

def psnr(path, n):
    import re
    v = [float(re.search(r'psnr_avg:(\S+)', l).group(1).replace('inf', '99')) for l in open(path)]
    good = sum(x >= 35 for x in v)
    print("%s %d/%s sent frames clean (PSNR >= 35 dB) = %.1f%%; min %.1f dB, mean %.1f dB"
          % ("PASS" if good == int(n) and len(v) == int(n) else "FAIL", good, n, 100.0 * good / int(n),
             min(v, default=0), sum(v) / max(1, len(v))))

def samples(path):
    d = open(path, 'rb').read()
    return struct.unpack('<%dh' % (len(d) // 2), d[: len(d) // 2 * 2])

def pcmcmp(ours, ref, pkt, exact=''):
    a, b = samples(ours), samples(ref)
    ab, bb = open(ours, 'rb').read(), open(ref, 'rb').read()
    cands = set()
    # exact candidates: where windows of ours (with signal) occur in ref
    for start in range(0, len(a), max(1, len(a) // 8)):
        w = ab[start * 2:(start + 400) * 2]
        if len(w) < 800 or not any(w):
            continue
        p = bb.find(w)
        while p >= 0 and len(cands) < 400:
            if p % 2 == 0:
                cands.add(p // 2 - start)
            p = bb.find(w, p + 1)
    if not cands:  # no exact window: least absolute difference over +-2 packets of lengths
        span = abs(len(a) - len(b)) + 2 * int(pkt)
        mid = next((i for i, x in enumerate(a) if x), 0) + 2000
        w = a[mid:mid + 2000]
        best = None
        for off in range(-span, span + 1):
            if mid + off < 0 or mid + off + len(w) > len(b):
                continue
            d = sum(abs(x - y) for x, y in zip(w, b[mid + off:]))
            if best is None or d < best[0]:
                best = (d, off)
        cands = {best[1]} if best else {0}
    def score(off):  # ref index = ours index + off
        lo, hi = max(0, -off), min(len(a), len(b) - off)
        same = sum(1 for i in range(lo, hi) if a[i] == b[i + off])
        diff = max((abs(a[i] - b[i + off]) for i in range(lo, hi)), default=0)
        return same, max(0, hi - lo), diff
    off = max(cands, key=lambda o: (score(o)[0], -abs(o)))
    same, overlap, diff = score(off)
    ok = (same == overlap and overlap > 0) if exact == '1' else abs(len(a) - len(b)) <= int(pkt)
    if exact == 'most':
        ok = ok and same >= 0.99 * overlap
    print("%s ours=%d ref=%d samples, offset(ref-ours)=%d, overlap=%d, identical=%d (%.2f%%), max|diff|=%d"
          % ("PASS" if ok else "FAIL", len(a), len(b), off, overlap, same,
             100.0 * same / max(1, overlap), diff))

def wavhdr(path, probed='nan'):
    d = open(path, 'rb').read()
    riff = struct.unpack('<I', d[4:8])[0]
    p, data, rate, ch, bits, brate = 12, None, 0, 0, 0, 0
    while p + 8 <= len(d):
        cid, sz = d[p:p + 4], struct.unpack('<I', d[p + 4:p + 8])[0]
        if cid == b'fmt ':
            ch, rate, brate, _, bits = struct.unpack('<HIIHH', d[p + 10:p + 24])
        if cid == b'data':
            data = (p + 8, sz)
            break
        p += 8 + sz + (sz & 1)
    actual = len(d) - data[0] if data else 0
    ok = riff == len(d) - 8 and data is not None and data[1] == actual and brate == rate * ch * bits // 8
    n = actual // max(1, ch * bits // 8)
    ok = ok and abs(float(probed) - n / max(1, rate)) < 1e-6
    print("%s riff=%d (file-8=%d) data=%d (bytes after header=%d) %d Hz %d ch byte_rate=%d: %d samples = %.6f s, ffprobe says %s s"
          % ("PASS" if ok else "FAIL", riff, len(d) - 8, data[1] if data else -1, actual, rate, ch,
             brate, n, n / max(1, rate), probed))

def srt(path):
    """caption texts of an SRT file, in order"""
    out, block = [], []
    for l in open(path, encoding='utf-8', errors='replace').read().replace('\r', '').split('\n') + ['']:
        if l.strip():
            block.append(l)
        elif block:
            if len(block) >= 3 and '-->' in block[1]:
                out.append('\n'.join(block[2:]))
            elif len(block) >= 2 and '-->' in block[0]:
                out.append('\n'.join(block[1:]))
            block = []
    return out

def srtcmp(ours, ref):
    a, b = srt(ours), srt(ref)
    diffs = [i for i in range(max(len(a), len(b))) if (a[i:i + 1] or [None]) != (b[i:i + 1] or [None])]
    ok = not diffs and a
    first = ''
    if diffs:
        i = diffs[0]
        first = ' first difference #%d: ours=%r ref=%r' % (i + 1, a[i] if i < len(a) else None, b[i] if i < len(b) else None)
    print("%s ours=%d ref=%d captions, %d differ%s" % ("PASS" if ok else "FAIL", len(a), len(b), len(diffs), first))

globals()[sys.argv[1]](*sys.argv[2:])
EOF
helper() { python3 "$PY" "$@"; }
say() { # REC CHECK then helper output "STATUS details"
  local rec="$1" check="$2" out; shift 2
  out="$("$@" 2>&1)"
  case "${out%% *}" in PASS | FAIL | INFO) ;; *) out="FAIL helper error: $(printf '%s' "$out" | tail -1)" ;; esac
  line "$([ "${INFO:-0}" = 1 ] && echo INFO || echo "${out%% *}")" "$rec" "$check" "${out#* }"
}

# clean decode + clean probe of one output; ours must be clean, janus-pp-rec's is reported
clean() { # REC LABEL FILE [ours|ref]
  local rec="$1" label="$2" f="$3" who="${4:-ours}" e p st tb=""
  if [ ! -s "$f" ]; then line "$([ "$who" = ours ] && echo FAIL || echo INFO)" "$rec" "$label" "no output"; return 1; fi
  e="$(T ffmpeg -nostdin -v error -i "$f" -f null - 2>&1 | head -c 100000)"
  p="$(T ffprobe -v error -show_format -show_streams "$f" 2>&1 >/dev/null | head -3 | tr '\n' ' ')"
  # ffmpeg's null output ticks at 1/frame rate: two frames closer than a tick (a browser's capture
  # jitter) give "non monotonically increasing dts" with no defect in the file; counted again with
  # the stream's own time base, where only frames sharing a timestamp remain
  local n2=0
  if [ -n "$e" ]; then
    n2="$(T ffmpeg -nostdin -v error -i "$f" -enc_time_base -1 -f null - 2>&1 | grep -c .)"
    tb=" (with -enc_time_base -1: $n2 lines)"
  fi
  st=PASS; [ -n "$e$p" ] && st=FAIL; [ -n "$e" ] && [ -z "$p" ] && [ "$n2" = 0 ] && st=WARN; [ "$who" = ref ] && REF_DIRTY=$([ -n "$e$p" ] && echo 1 || echo 0); [ "$who" = ref ] || [ "${INFO:-0}" = 1 ] && st=INFO
  line "$st" "$rec" "$label" "ffmpeg -v error: $(printf '%s' "$e" | grep -c .) lines${e:+ (first: $(printf '%s' "$e" | head -1))}$tb; ffprobe -v error: ${p:-clean}"
}
fmd5() { T ffmpeg -nostdin -v error -i "$1" -map 0:v -f framemd5 - 2>/dev/null > "$2"; }
codec_of() { janus-pp-rec -j "$1" 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("c",""))' 2>/dev/null; }
has_packets() { [ -f "$1" ] && [ "$(python3 "$HARNESS/mjrinfo.py" "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("packets",0))' 2>/dev/null)" != 0 ]; }

# the pictures against the harness's test pattern (record.sh sends testsrc2 640x480 at 30 fps from
# its first frame, and the recording starts first): per-frame PSNR after filling gaps at 30 fps,
# so a dropped or frozen frame counts as not clean. Clean = PSNR >= 35 dB (a lossless recording
# gives 36-44 dB on every frame, a damaged one 10-20 dB).
source_check() { # REC LABEL FILE ours|ref SRC
  local rec="$1" label="$2" f="$3" who="$4" src="$5" n out
  [ -s "$src/janus/params.txt" ] && grep -q 'midstream=0' "$src/janus/params.txt" || return 0
  grep -q 'restart=none' "$src/janus/params.txt" || return 0
  n=$(( $(sed -n 's/.*duration=\([0-9]*\).*/\1/p' "$src/janus/params.txt") * 30 ))
  rm -f "$f.psnr"
  T ffmpeg -nostdin -v error -i "$f" -f lavfi -i "testsrc2=size=640x480:rate=30" -lavfi \
    "[0:v]setpts=PTS-STARTPTS,fps=30[a];[1:v]trim=end_frame=$n,setpts=PTS-STARTPTS[b];[a][b]psnr=stats_file=$f.psnr" \
    -f null - > /dev/null 2>&1
  out="$(helper psnr "$f.psnr" "$n")"
  [ "$who" = ref ] || [ "${INFO:-0}" = 1 ] && out="INFO ${out#* }"
  line "${out%% *}" "$rec" "$label" "${out#* }"
}

video_checks() { # REC SRC W
  local rec="$1" src="$2" w="$3" vc exts ext
  vc="$(codec_of "$src/video.mjr")"
  case "$vc" in
    h264 | h265) exts="mp4 mkv" ;; vp9 | vp8) exts="webm mkv" ;; av1) exts="mp4 mkv webm" ;; *) exts="mkv" ;;
  esac
  line INFO "$rec" "video codec" "$vc ($(python3 "$HARNESS/mjrinfo.py" "$src/video.mjr" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("packets"), "packets")'))"
  for ext in $exts; do
    T "$MJRTOOL" convert -y -q "$src/video.mjr" "$w/ours.video.$ext" > "$w/ours.video.$ext.log" 2>&1 ||
      line FAIL "$rec" "convert .$ext" "mjrtool: $(tail -1 "$w/ours.video.$ext.log")"
    rm -f "$w/ref.video.$ext"
    T janus-pp-rec "$src/video.mjr" "$w/ref.video.$ext" > "$w/ref.video.$ext.log" 2>&1
    clean "$rec" "ours .$ext clean" "$w/ours.video.$ext" ours || continue
    source_check "$rec" "ours .$ext vs source" "$w/ours.video.$ext" ours "$src"
    clean "$rec" "janus-pp-rec .$ext clean" "$w/ref.video.$ext" ref || continue
    source_check "$rec" "pp-rec .$ext vs source" "$w/ref.video.$ext" ref "$src"
    fmd5 "$w/ours.video.$ext" "$w/ours.video.$ext.fmd5"
    fmd5 "$w/ref.video.$ext" "$w/ref.video.$ext.fmd5"
    # a janus-pp-rec output that does not decode cleanly is no reference: report, do not judge;
    # nor is one of spatial SVC, where janus-pp-rec keeps the base layer only (ours is the top
    # layer; the base layer, --svc-layer 0, is compared with it below)
    INFO=$({ [ "$REF_DIRTY" = 1 ] || [ "$rec" = vp9svc ]; } && echo 1 || echo "${INFO:-0}") \
      say "$rec" "frames .$ext vs pp-rec" helper framecmp "$w/ours.video.$ext.fmd5" "$w/ref.video.$ext.fmd5"
  done
}

mux_checks() { # REC SRC W
  local rec="$1" src="$2" w="$3" ins=() ref
  for f in video audio data; do has_packets "$src/$f.mjr" && ins+=("$src/$f.mjr"); done
  T "$MJRTOOL" mux -y -q "${ins[@]}" "$w/ours.mux.mkv" > "$w/ours.mux.log" 2>&1 ||
    line FAIL "$rec" "mux .mkv" "mjrtool: $(tail -1 "$w/ours.mux.log")"
  clean "$rec" "mux .mkv clean" "$w/ours.mux.mkv" ours || return
  source_check "$rec" "mux .mkv vs source" "$w/ours.mux.mkv" ours "$src"
  line INFO "$rec" "mux .mkv streams" "$(ffprobe -v error -show_entries stream=codec_name,start_time -of csv=p=0 "$w/ours.mux.mkv" | tr '\n' ' ')(first-packet wall clock \"u\" after video's: $(for f in audio data; do has_packets "$src/$f.mjr" && python3 -c 'import json,subprocess,sys; u=lambda f: json.loads(subprocess.run(["janus-pp-rec","-j",f],capture_output=True,text=True).stdout)["u"]; print("%s %+.3f s" % (sys.argv[3], (u(sys.argv[2]) - u(sys.argv[1])) / 1e6), end=" ")' "$src/video.mjr" "$src/$f.mjr" "$f"; done))"
  ref="$(ls "$w"/ref.video.mkv 2>/dev/null)"
  if [ -n "$ref" ] && [ -s "$w/ref.video.mkv.fmd5" ]; then
    fmd5 "$w/ours.mux.mkv" "$w/ours.mux.fmd5"
    INFO=$({ [ "$REF_DIRTY" = 1 ] || [ "$rec" = vp9svc ]; } && echo 1 || echo "${INFO:-0}") \
      say "$rec" "mux frames vs pp-rec" helper framecmp "$w/ours.mux.fmd5" "$w/ref.video.mkv.fmd5"
  fi
  if has_packets "$src/data.mjr" && [ -s "$w/ref.data.srt" ]; then
    T ffmpeg -nostdin -v error -copyts -i "$w/ours.mux.mkv" -map 0:s -f srt - > "$w/ours.mux.srt" 2> "$w/ours.mux.srt.err"
    say "$rec" "mux captions vs pp-rec" helper srtcmp "$w/ours.mux.srt" "$w/ref.data.srt"
  fi
}

data_checks() { # REC SRC W
  local rec="$1" src="$2" w="$3"
  T "$MJRTOOL" convert -y -q "$src/data.mjr" "$w/ours.data.srt" > "$w/ours.data.log" 2>&1 ||
    line FAIL "$rec" "convert .srt" "mjrtool: $(tail -1 "$w/ours.data.log")"
  rm -f "$w/ref.data.srt"
  T janus-pp-rec "$src/data.mjr" "$w/ref.data.srt" > "$w/ref.data.log" 2>&1
  say "$rec" "captions .srt vs pp-rec" helper srtcmp "$w/ours.data.srt" "$w/ref.data.srt"
  e="$(T ffmpeg -nostdin -v error -i "$w/ours.data.srt" -f srt - 2>&1 >/dev/null)"
  line "$([ -z "$e" ] && echo PASS || echo FAIL)" "$rec" "ours .srt clean" "ffmpeg -v error: ${e:-clean}"
}

audio_checks() { # REC SRC W
  local rec="$1" src="$2" w="$3" ac pkt exact=1 f d
  ac="$(codec_of "$src/audio.mjr")"
  case "$ac" in
    pcmu | pcma) pkt=160 ;; g722) pkt=320; exact=0 ;; l16*) pkt=480 ;; opus) opus_checks "$@"; return ;; *) return ;;
  esac
  line INFO "$rec" "audio codec" "$ac"
  T "$MJRTOOL" convert -y -q "$src/audio.mjr" "$w/ours.audio.wav" > "$w/ours.audio.log" 2>&1 ||
    line FAIL "$rec" "convert .wav" "mjrtool: $(tail -1 "$w/ours.audio.log")"
  rm -f "$w/ref.audio.wav"
  T janus-pp-rec "$src/audio.mjr" "$w/ref.audio.wav" > "$w/ref.audio.log" 2>&1
  clean "$rec" "ours .wav clean" "$w/ours.audio.wav" ours || return
  clean "$rec" "janus-pp-rec .wav clean" "$w/ref.audio.wav" ref
  for f in ours ref; do
    d="$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$w/$f.audio.wav" 2>/dev/null)"
    if [ "$f" = ours ]; then say "$rec" "ours .wav header" helper wavhdr "$w/$f.audio.wav" "${d:-nan}"
    else INFO=1 say "$rec" "pp-rec .wav header" helper wavhdr "$w/$f.audio.wav" "${d:-nan}"; fi
    line INFO "$rec" "$f .wav ffprobe -v error" "$(ffprobe -v error -show_entries stream=sample_rate,duration,duration_ts:format=duration -of compact=p=0 "$w/$f.audio.wav" 2>&1 | tr '\n' ' ')"
    T ffmpeg -nostdin -v error -y -i "$w/$f.audio.wav" -f s16le -ac 1 "$w/$f.audio.s16" 2>/dev/null
  done
  say "$rec" "samples vs pp-rec" helper pcmcmp "$w/ours.audio.s16" "$w/ref.audio.s16" "$pkt" "$([ "$exact" = 1 ] && echo 1)"
}

opus_checks() { # REC SRC W: Opus packets and decoded samples against janus-pp-rec's .opus
  local rec="$1" src="$2" w="$3" f
  T "$MJRTOOL" convert -y -q "$src/audio.mjr" "$w/ours.audio.opus" > "$w/ours.opus.log" 2>&1 ||
    line FAIL "$rec" "convert .opus" "mjrtool: $(tail -1 "$w/ours.opus.log")"
  rm -f "$w/ref.audio.opus"
  T janus-pp-rec "$src/audio.mjr" "$w/ref.audio.opus" > "$w/ref.opus.log" 2>&1
  clean "$rec" "ours .opus clean" "$w/ours.audio.opus" ours || return
  clean "$rec" "janus-pp-rec .opus clean" "$w/ref.audio.opus" ref || return
  for f in ours ref; do
    T ffmpeg -nostdin -v error -i "$w/$f.audio.opus" -map 0:a -c copy -f framemd5 - 2>/dev/null > "$w/$f.opus.pkt"
    T ffmpeg -nostdin -v error -y -i "$w/$f.audio.opus" -f s16le -ac 1 "$w/$f.opus.s16" 2>/dev/null
  done
  INFO=1 say "$rec" "opus packets vs pp-rec" helper framecmp "$w/ours.opus.pkt" "$w/ref.opus.pkt"
  say "$rec" "opus samples vs pp-rec" helper pcmcmp "$w/ours.opus.s16" "$w/ref.opus.s16" 960 most
}

# ------------------------------------------------------------------------- run
[ -x "$MJRTOOL" ] || { echo "no mjrtool binary at $MJRTOOL (cargo build --release -p mjrtool)"; exit 2; }
for rec in "${ORDER[@]}"; do
  src="$DIR/$rec"
  [ -d "$src" ] || continue
  w="$WORK/$rec"; mkdir -p "$w"
  if has_packets "$src/data.mjr"; then data_checks "$rec" "$src" "$w"; fi
  if has_packets "$src/video.mjr"; then
    # with packet loss no converter can decode cleanly: report, do not judge
    LOSSY=0; case "$rec" in *loss*) LOSSY=1 ;; esac
    INFO=$LOSSY video_checks "$rec" "$src" "$w"
    if [ "$LOSSY" = 1 ]; then
      T "$MJRTOOL" convert -y -q --after-loss wait-keyframe "$src/video.mjr" "$w/ours-wait.video.mkv" > /dev/null 2>&1
      INFO=1 clean "$rec" "ours wait-keyframe clean" "$w/ours-wait.video.mkv" ours
      INFO=1 source_check "$rec" "ours wait-key vs source" "$w/ours-wait.video.mkv" ours "$src"
      [ -s "$src/janus/relay-stats.json" ] && line INFO "$rec" "relay" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("; ".join("port %d: %d received, %d dropped" % (x["in"], x["received"], x["dropped"]) for x in d["streams"]))' "$src/janus/relay-stats.json")"
    fi
    if [ "$(codec_of "$src/video.mjr")" = vp9 ]; then  # the base layer alone (pp-rec shows only that)
      T "$MJRTOOL" convert -y -q --svc-layer 0 "$src/video.mjr" "$w/ours-l0.video.webm" > /dev/null 2>&1
      clean "$rec" "ours --svc-layer 0 clean" "$w/ours-l0.video.webm" ours &&
        fmd5 "$w/ours-l0.video.webm" "$w/ours-l0.fmd5" && [ -s "$w/ref.video.webm.fmd5" ] &&
        say "$rec" "--svc-layer 0 vs pp-rec" helper framecmp "$w/ours-l0.fmd5" "$w/ref.video.webm.fmd5"
    fi
    has_packets "$src/audio.mjr" && INFO=$LOSSY mux_checks "$rec" "$src" "$w"
  fi
  if has_packets "$src/audio.mjr"; then audio_checks "$rec" "$src" "$w"; fi
done
echo "failed checks: $FAILS"
[ "$FAILS" = 0 ]
