#!/usr/bin/env bash
# Checks that media files play and seek in headless Chromium, as a user's browser would.
#
#   benches/browser-play.sh FILE...
#
# Serves the files over HTTP on 127.0.0.1 with Range support (benches/range_server.py), opens
# benches/browser-play.html?file=NAME for each file in `chromium --headless=new`, and prints one
# line per file: PASS/FAIL, container and codecs (ffprobe), duration, size, time to metadata,
# the seek result, and the reason of a failure. The page waits for loadedmetadata, plays (muted)
# until currentTime advances 0.5 s, seeks to 60 % of the duration, waits for `seeked`, and plays
# 0.5 s more. WARN: it plays, but the size at loadedmetadata (what the container declares)
# differs from the size after the seek (e.g. a VP9 SVC track declaring a lower layer's size).
# The raw JSON results are kept in $OUT_DIR (default: a temporary folder).
# Exit status: 0 when every file passes, 1 otherwise, 2 on a usage or setup error.
#
# Environment: CHROMIUM (default chromium), PAGE_LIMIT (seconds the page may take, default 40),
# FILE_LIMIT (seconds before chromium is killed for one file, default 60), OUT_DIR,
# FORMAT=md (print a Markdown table instead of aligned text).
set -u
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-chromium}
page_limit=${PAGE_LIMIT:-40}
file_limit=${FILE_LIMIT:-60}

if [ $# -eq 0 ]; then
  echo "usage: $0 FILE..." >&2
  exit 2
fi
for f in "$@"; do
  [ -f "$f" ] || { echo "$0: no such file: $f" >&2; exit 2; }
done
command -v "$chromium" >/dev/null || { echo "$0: $chromium not found" >&2; exit 2; }

work=$(mktemp -d /tmp/browser-play.XXXXXX)
out=${OUT_DIR:-$work}
mkdir -p "$work/media" "$work/page" "$out"
cp "$here/browser-play.html" "$work/page/"
results="$out/results.jsonl"
: > "$results"

# The files may live in several folders: serve one folder of links with unique names.
names=()
i=0
for f in "$@"; do
  i=$((i + 1))
  name="$(printf '%02d' "$i")-$(basename "$f")"
  ln -s "$(readlink -f "$f")" "$work/media/$name"
  names+=("$name")
done

server_pid=""
chrome_pid=""
cleanup() {
  [ -n "$chrome_pid" ] && kill -- "-$chrome_pid" 2>/dev/null
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  [ -z "${OUT_DIR:-}" ] && rm -rf "$work"
}
trap cleanup EXIT

server_timeout=$(( ($# * (file_limit + 5)) + 30 ))
python3 "$here/range_server.py" --page-dir "$work/page" --media-dir "$work/media" \
  --results "$results" --expect $# --timeout "$server_timeout" > "$work/server.out" 2> "$work/server.err" &
server_pid=$!
port=""
for _ in $(seq 50); do
  port=$(sed -n 's/^PORT //p' "$work/server.out")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "$0: range server did not start: $(cat "$work/server.err")" >&2; exit 2; }

# Launches chromium for one page in its own process group; kills the group when the page has
# posted its result or after $file_limit seconds.
play_one() {
  local name=$1 before=$2 url
  url="http://127.0.0.1:$port/page/browser-play.html?file=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$name")&limit=$page_limit"
  rm -rf "$work/profile"
  setsid "$chromium" --headless=new --no-sandbox --autoplay-policy=no-user-gesture-required \
    --user-data-dir="$work/profile" --no-first-run --no-default-browser-check \
    --disable-background-networking --disable-component-update --mute-audio \
    "$url" > "$work/chromium-$name.log" 2>&1 &
  chrome_pid=$!
  local waited=0
  while [ "$waited" -lt $((file_limit * 10)) ]; do
    [ "$(wc -l < "$results")" -gt "$before" ] && break
    kill -0 "$chrome_pid" 2>/dev/null || break
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -- "-$chrome_pid" 2>/dev/null
  wait "$chrome_pid" 2>/dev/null
  chrome_pid=""
  if [ "$(wc -l < "$results")" -le "$before" ]; then
    printf '{"file": "%s", "pass": false, "reason": "no result from the page within %s s (chromium log: %s)"}\n' \
      "$name" "$file_limit" "$(tail -c 300 "$work/chromium-$name.log" | tr -d '"\\\n' )" >> "$results"
  fi
}

count=0
for name in "${names[@]}"; do
  play_one "$name" "$count"
  count=$((count + 1))
done

# One line per file: the page's result joined with ffprobe's view of the file.
FORMAT=${FORMAT:-text} python3 - "$results" "$work/media" <<'EOF'
import json, os, subprocess, sys

results, media = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(results, encoding="utf-8") if line.strip()]
failed = 0
markdown = os.environ.get("FORMAT") == "md"
if markdown:
    print("| result | file | container | codecs | bytes | duration (s) | WxH at metadata | metadata (ms) "
          "| seek: target -> seeked -> played to | notes |")
    print("|---" * 10 + "|")
else:
    print(f"{'result':6} {'file':34} {'container':9} {'codecs':18} {'size':>9} {'dur(s)':>7} "
          f"{'WxH':>9} {'meta(ms)':>8} {'seek':28} notes")
for row in rows:
    path = os.path.join(media, row["file"])
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "format=format_name,duration:stream=codec_type,codec_name,width,height", "-of", "json", path],
        capture_output=True, text=True, timeout=60)
    try:
        info = json.loads(probe.stdout)
    except ValueError:
        info = {}
    fmt = info.get("format", {})
    ext = os.path.splitext(path)[1].lstrip(".")
    codecs = "+".join(s.get("codec_name", "?") for s in info.get("streams", []))
    size = os.path.getsize(path)
    ok = bool(row.get("pass"))
    notes = []
    video = [s for s in info.get("streams", []) if s.get("codec_type") == "video"]
    warn = False
    if ok and video:
        want = (video[0].get("width"), video[0].get("height"))
        meta = (row.get("width"), row.get("height"))
        got = (row.get("width_end"), row.get("height_end"))
        if got != meta:
            warn = True
            notes.append(f"size changed: {meta[0]}x{meta[1]} at metadata, {got[0]}x{got[1]} after the seek")
        if got != want:
            notes.append(f"plays at {got[0]}x{got[1]}, ffprobe says {want[0]}x{want[1]}")
    if ok and video and not row.get("frames_decoded"):
        ok = False
        notes.append("no video frame decoded")
    if not row.get("pass"):
        notes.append(f"stage={row.get('stage')}: {row.get('reason')}")
    if row.get("error"):
        notes.append(f"MediaError {row['error'].get('code')}: {row['error'].get('message')}")
    if row.get("frames_decoded") is not None:
        notes.append(f"frames={row.get('frames_decoded')}/dropped={row.get('frames_dropped')}")
    if not ok:
        failed += 1
    seek = "-"
    if row.get("seek_target") is not None:
        seek = f"{row['seek_target']}->{row.get('seeked_at', '?')}->{row.get('played_to', '?')}"
        if row.get("ms_seek") is not None:
            seek += f" {row['ms_seek']}ms"
    dims = f"{row.get('width', '?')}x{row.get('height', '?')}" if "width" in row else "-"
    try:
        ffdur = f"{float(fmt.get('duration')):.2f}"
    except (TypeError, ValueError):
        ffdur = "?"
    verdict = ("WARN" if warn else "PASS") if ok else "FAIL"
    cells = [verdict, row["file"], ext + "/" + fmt.get("format_name", "?").split(",")[0], codecs,
             str(size), str(row.get("duration", ffdur)), dims, str(row.get("ms_metadata", "-")), seek,
             "; ".join(notes)]
    if markdown:
        print("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    else:
        print(f"{cells[0]:6} {cells[1][:34]:34} {cells[2]:9.9} {cells[3]:18.18} {cells[4]:>9} "
              f"{cells[5]:>7} {cells[6]:>9} {cells[7]:>8} {cells[8]:28} {cells[9]}")
sys.exit(1 if failed else 0)
EOF
