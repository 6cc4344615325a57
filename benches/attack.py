#!/usr/bin/env python3
"""Mutation campaign against mjrtool, the way a security reviewer would run one.

Makes N mutated recordings per family from seed recordings (real Janus
recordings when there are some, else `mjr-synth` outputs and examples/),
runs mjrtool on each under a timeout and /usr/bin/time, and classifies:

  PANIC          exit 101, a signal, or "panicked" on stderr
  HANG           the timeout ran out
  BAD_OUTPUT     exit 0 and the output does not decode cleanly
                 (`ffmpeg -v error -i OUT -f null -` printed something,
                 or opusinfo warned about a .opus)
  NO_OUTPUT      exit 0 and no output file
  ODD_EXIT       an exit status other than 0, 1 (or 101)
  MULTILINE_ERROR  exit 1 with more than one line on stderr
  RAW_ESCAPE     an ESC byte (0x1b) on stdout or stderr
  CTRL_CHAR      another C0 control byte (not \\n, \\t) on stdout/stderr
  BAD_JSON       `info --json` exit 0 and stdout is not one JSON document
  MEMORY         peak RSS above the limit (160 MB)

Every failing input is kept under OUT/fail/<class>/ with the command and
what it printed. Python 3 standard library only.

  python3 benches/attack.py --bin target/release/mjrtool --per-family 110
"""

import argparse
import concurrent.futures as cf
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

ESC = b"\x1b"
CLASSES = ["PANIC", "HANG", "BAD_OUTPUT", "NO_OUTPUT", "ODD_EXIT", "MULTILINE_ERROR",
           "RAW_ESCAPE", "CTRL_CHAR", "BAD_JSON", "MEMORY"]

# ---------------------------------------------------------------- MJR parsing


class Rec:
    """A parsed recording: magic, header bytes (JSON or legacy kind), frames."""

    def __init__(self, magic, header, frames, kind):
        self.magic = magic          # b"MJR00002", b"MJR00001", b"MEETECHO"
        self.header = header        # JSON bytes (or b"video"/b"audio" for legacy)
        self.frames = frames        # list of [time_ms or None, packet bytes]
        self.kind = kind            # "audio" / "video"

    def copy(self):
        return Rec(self.magic, self.header, [list(f) for f in self.frames], self.kind)

    def v2(self):
        return self.magic == b"MJR00002"

    def frame_bytes(self, f):
        t, p = f
        if self.v2():
            return b"MEET" + struct.pack(">IH", t & 0xFFFFFFFF, len(p) & 0xFFFF) + p
        return b"MEETECHO" + struct.pack(">H", len(p) & 0xFFFF) + p

    def head_bytes(self):
        if self.magic == b"MEETECHO":
            return b"MEETECHO" + struct.pack(">H", len(self.header)) + self.header
        return self.magic + struct.pack(">H", len(self.header) & 0xFFFF) + self.header

    def layout(self):
        """(bytes, header_json_span, [(frame_start, packet_start, packet_len)])."""
        out = bytearray(self.head_bytes())
        hspan = (len(out) - len(self.header), len(out))
        spans = []
        for f in self.frames:
            fb = self.frame_bytes(f)
            hl = 10
            spans.append((len(out), len(out) + hl, len(f[1])))
            out += fb
        return bytes(out), hspan, spans

    def bytes(self):
        return self.layout()[0]


def parse(data):
    magic = data[:8]
    if magic not in (b"MJR00002", b"MJR00001", b"MEETECHO") or len(data) < 10:
        raise ValueError("not an mjr")
    (hl,) = struct.unpack(">H", data[8:10])
    header = data[10:10 + hl]
    pos = 10 + hl
    frames = []
    v2 = magic == b"MJR00002"
    while pos + 10 <= len(data):
        if v2:
            if data[pos:pos + 4] != b"MEET":
                break
            t, ln = struct.unpack(">IH", data[pos + 4:pos + 10])
        else:
            if data[pos:pos + 8] != b"MEETECHO":
                break
            t = None
            (ln,) = struct.unpack(">H", data[pos + 8:pos + 10])
        pkt = data[pos + 10:pos + 10 + ln]
        if len(pkt) < ln:
            break
        frames.append([t, pkt])
        pos += 10 + ln
    if magic == b"MEETECHO":
        kind = "video" if header.startswith(b"video") else "audio"
    else:
        try:
            kind = "video" if json.loads(header).get("t") == "v" else "audio"
        except Exception:
            kind = "video" if b'"v"' in header else "audio"
    return Rec(magic, header, frames, kind)


def trim(rec, seconds):
    """Keep the first `seconds` of media: by MJR time, else by RTP time."""
    out = rec.copy()
    if not out.frames:
        return out
    rate = 90000 if rec.kind == "video" else 48000
    ts0 = None
    keep = []
    for t, p in out.frames:
        if t is not None:
            if t > seconds * 1000:
                break
        elif len(p) >= 12:
            ts = struct.unpack(">I", p[4:8])[0]
            ts0 = ts if ts0 is None else ts0
            if ((ts - ts0) & 0xFFFFFFFF) > seconds * rate and ((ts - ts0) & 0xFFFFFFFF) < 1 << 31:
                break
        keep.append([t, p])
    out.frames = keep
    return out


def rtp_payload_offset(p):
    """Offset of the RTP payload (after CSRCs and the header extension), or None."""
    if len(p) < 12:
        return None
    cc = p[0] & 0x0F
    off = 12 + 4 * cc
    if p[0] & 0x10:
        if len(p) < off + 4:
            return None
        (words,) = struct.unpack(">H", p[off + 2:off + 4])
        off += 4 + 4 * words
    return off if off <= len(p) else None


def vp8_descriptor_len(p, off):
    """Length of the VP8 payload descriptor at p[off:]."""
    if off >= len(p):
        return 0
    n = 1
    b = p[off]
    if b & 0x80 and off + 1 < len(p):
        x = p[off + 1]
        n += 1
        if x & 0x80:  # I
            n += 2 if (off + n < len(p) and p[off + n] & 0x80) else 1
        if x & 0x40:  # L
            n += 1
        if x & 0x30:  # T/K
            n += 1
    return n

# ---------------------------------------------------------------- mutators


def flip_bits(buf, rng, positions):
    """Flip 1-20 bits at byte positions chosen from `positions` (a list)."""
    if not positions:
        return False
    for _ in range(rng.randint(1, 20)):
        i = rng.choice(positions)
        buf[i] ^= 1 << rng.randrange(8)
    return True


def m_bitflip_any(rec, rng):
    b = bytearray(rec.bytes())
    for _ in range(rng.randint(1, 20)):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b), "random bits anywhere"


def m_bitflip_json(rec, rng):
    data, (h0, h1), _ = rec.layout()
    b = bytearray(data)
    pos = list(range(0, h1))  # magic, length and JSON
    weights_json = list(range(h0, h1)) * 4
    flip_bits(b, rng, pos + weights_json)
    return bytes(b), "bits in the magic/length/JSON header"


def pick_frames(spans, rng, k=None):
    if not spans:
        return []
    k = k or rng.randint(1, min(20, len(spans)))
    return [rng.choice(spans) for _ in range(k)]


def m_bitflip_framehdr(rec, rng):
    data, _, spans = rec.layout()
    b = bytearray(data)
    for fs, ps, ln in pick_frames(spans, rng):
        # MEET + time + length: weight the length and time bytes
        choices = list(range(fs, ps)) + list(range(ps - 6, ps)) * 2
        i = rng.choice(choices)
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b), "bits in frame headers (MEET+time+len)"


def m_bitflip_rtp(rec, rng):
    data, _, spans = rec.layout()
    b = bytearray(data)
    for fs, ps, ln in pick_frames(spans, rng):
        if ln == 0:
            continue
        i = ps + rng.randrange(min(12, ln))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b), "bits in RTP headers"


def m_bitflip_payload_head(rec, rng):
    """VP8 payload descriptor + first payload bytes, or the Opus TOC byte."""
    data, _, spans = rec.layout()
    b = bytearray(data)
    what = "VP8 descriptor/first bytes" if rec.kind == "video" else "Opus TOC"
    where = []
    for fs, ps, ln in pick_frames(spans, rng):
        p = data[ps:ps + ln]
        off = rtp_payload_offset(p)
        if off is None or off >= ln:
            continue
        if rec.kind == "video":
            d = vp8_descriptor_len(p, off)
            j = rng.randrange(min(ln - off, d + 10))
            i = ps + off + j
            start = "S" if p[off] & 0x10 else "c"  # start of a VP8 partition or a continuation
            where.append("desc" + str(j) if j < d else "%s+%d" % (start, j - d))
        else:
            i = ps + off
        if rng.random() < 0.3:
            b[i] = rng.randrange(256)
        else:
            b[i] ^= 1 << rng.randrange(8)
    return bytes(b), "bits in " + what + (" (" + ",".join(where) + ")" if where else "")


def m_truncate(rec, rng):
    data, (h0, h1), spans = rec.layout()
    r = rng.random()
    if r < 0.15:
        cut = rng.randrange(0, h1 + 1)       # inside the header
    elif r < 0.45 and spans:
        fs, ps, ln = rng.choice(spans)       # inside a frame header or right after
        cut = fs + rng.randrange(0, 11)
    else:
        cut = rng.randrange(0, len(data) + 1)
    return data[:cut], "truncated at %d of %d" % (cut, len(data))


def m_insert(rec, rng):
    r = rec.copy()
    if not r.frames:
        return r.bytes() + bytes(rng.randrange(256) for _ in range(5)), "insert after header"
    fix = rng.random() < 0.5
    notes = []
    for _ in range(rng.randint(1, 8)):
        k = rng.randrange(len(r.frames))
        p = r.frames[k][1]
        n = rng.randint(1, 64)
        at = rng.randrange(len(p) + 1)
        ins = bytes(rng.randrange(256) for _ in range(n))
        r.frames[k][1] = p[:at] + ins + p[at:]
        notes.append("%d@%d+%d" % (k, at, n))
    if fix:
        return r.bytes(), "insert bytes in packets, lengths fixed: " + ",".join(notes)
    # Keep the old lengths: the frame stream goes out of step
    orig = rec.copy()
    out = bytearray(orig.head_bytes())
    for (t, p), (_, np) in zip(orig.frames, r.frames):
        hdr = orig.frame_bytes([t, p])[:10]
        out += hdr + np
    return bytes(out), "insert bytes in packets, lengths kept: " + ",".join(notes)


def m_delete(rec, rng):
    data, _, spans = rec.layout()
    if rng.random() < 0.5 or not spans:
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            if len(b) < 2:
                break
            at = rng.randrange(len(b))
            n = rng.randint(1, 200)
            del b[at:at + n]
        return bytes(b), "delete raw byte ranges"
    r = rec.copy()
    for _ in range(rng.randint(1, 8)):
        k = rng.randrange(len(r.frames))
        p = r.frames[k][1]
        if not p:
            continue
        at = rng.randrange(len(p))
        n = rng.randint(1, 40)
        r.frames[k][1] = p[:at] + p[at + n:]
    return r.bytes(), "delete bytes in packets, lengths fixed"


def m_garbage(rec, rng):
    data, (h0, h1), spans = rec.layout()
    kinds = [b"M", b"MEET", b"MJR0000", b"MJR00002", b"MEETECHO", None]
    inserts = []
    for _ in range(rng.randint(1, 3)):
        pat = rng.choice(kinds)
        size = rng.choice([1, 3, 7, 10, 100, 4096, 65536, 1 << 20, 2 << 20])
        size = rng.randint(1, size)
        if pat is None:
            g = os.urandom(0) + bytes(rng.getrandbits(8) for _ in range(min(size, 4096)))
            g = (g * (size // max(1, len(g)) + 1))[:size]
        else:
            g = (pat * (size // len(pat) + 1))[:size]
        at = rng.choice([h1] + [s[0] for s in spans] + [len(data)])
        inserts.append((at, g, pat))
    inserts.sort(key=lambda x: x[0])
    out = bytearray()
    last = 0
    desc = []
    for at, g, pat in inserts:
        out += data[last:at] + g
        last = at
        desc.append("%s x%d @%d" % ((pat or b"random").decode(), len(g), at))
    out += data[last:]
    return bytes(out), "garbage between frames: " + "; ".join(desc)


def m_dup_shuffle(rec, rng):
    r = rec.copy()
    f = r.frames
    if not f:
        return r.bytes(), "no frames"
    op = rng.choice(["dup", "shuffle_window", "shuffle_all", "reverse", "swap_blocks", "repeat_block"])
    if op == "dup":
        for _ in range(rng.randint(1, 50)):
            k = rng.randrange(len(f))
            f.insert(k + rng.randint(0, 5), list(f[k]))
    elif op == "shuffle_window":
        for _ in range(rng.randint(1, 10)):
            k = rng.randrange(len(f))
            w = f[k:k + rng.randint(2, 40)]
            rng.shuffle(w)
            f[k:k + len(w)] = w
    elif op == "shuffle_all":
        rng.shuffle(f)
    elif op == "reverse":
        f.reverse()
    elif op == "swap_blocks":
        n = len(f)
        a, b = sorted(rng.sample(range(n + 1), 2)) if n > 1 else (0, n)
        f[:] = f[b:] + f[a:b] + f[:a]
    else:
        k = rng.randrange(len(f))
        blk = f[k:k + rng.randint(1, 100)]
        for _ in range(rng.randint(2, 20)):
            f[k:k] = [list(x) for x in blk]
    return r.bytes(), "frames: " + op


ABSURD_NUMS = [0, -1, -9223372036854775808, 9223372036854775807, 18446744073709551615,
               18446744073709551616, 10 ** 30, -10 ** 30, 1e308, -1e308, 1.5, "1e400",
               "NaN", "Infinity", 4294967296, 2 ** 53 + 1, None, True, "123", [], {}]
ABSURD_STRS = ["", "vp8\n", "opus\nmjrtool: error: fake", "\x1b[31mred\x1b[0m", "vp8\x1b]0;title\x07",
               "\u202evp8", "VP8", "h264", "av1", "vp9", "g711", "pcmu", "opus" * 2000, "\x00", "v\r\nx",
               "\ud800" if False else "\u00e9\u00e8", 123, None, [], {"a": 1}]


def m_json_absurd(rec, rng):
    r = rec.copy()
    if r.magic == b"MEETECHO":
        r.header = rng.choice([b"videoX", b"audio\x1b[2J", b"data", b"", b"v" * 300])
        return r.bytes(), "legacy kind: %r" % r.header[:40]
    try:
        h = json.loads(r.header)
    except Exception:
        h = {"t": "v" if r.kind == "video" else "a", "c": "vp8" if r.kind == "video" else "opus"}
    notes = []
    for _ in range(rng.randint(1, 3)):
        key = rng.choice(["u", "s", "u", "s", "c", "t", "x", "e", "f", "extra"])
        if key in ("c", "t", "f", "x"):
            val = rng.choice(ABSURD_STRS + ABSURD_NUMS[:4])
        elif key == "e":
            val = rng.choice([True, False, "true", 1, None])
        elif key == "extra":
            key = rng.choice(["\x1b[1mK", "u", "s", "k" * 1000])
            val = rng.choice(ABSURD_NUMS + ABSURD_STRS)
        else:
            val = rng.choice(ABSURD_NUMS)
        if isinstance(val, str) and val in ("NaN", "Infinity", "1e400"):
            h[key] = "__RAW__" + val
        else:
            h[key] = val
        notes.append("%s=%r" % (key, val if not isinstance(val, str) or len(val) < 40 else val[:40] + "..."))
    if rng.random() < 0.15:
        h.pop(rng.choice(["t", "c", "s", "u"]), None)
        notes.append("key removed")
    text = json.dumps(h, ensure_ascii=rng.random() < 0.5)
    text = text.replace('"__RAW__NaN"', "NaN").replace('"__RAW__Infinity"', "Infinity").replace('"__RAW__1e400"', "1e400")
    raw = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.1:
        raw = raw + b" " * rng.randint(1, 70000)  # longer than the u16 length can say
        notes.append("header padded")
    if rng.random() < 0.1:
        raw = raw.replace(b"}", b"", 1)
        notes.append("unterminated")
    r.header = raw
    return r.bytes(), "json: " + "; ".join(notes)


def m_frame_fields(rec, rng):
    """Structurally valid frames with absurd fields: times, RTP seq/ts/ssrc, versions."""
    r = rec.copy()
    f = r.frames
    if not f:
        return r.bytes(), "no frames"
    notes = []
    for _ in range(rng.randint(1, 6)):
        op = rng.choice(["time_max", "time_back", "time_all0", "seq_jump", "ts_jump", "ssrc", "pt",
                         "version", "padding", "ext_huge", "cc15", "marker"])
        k = rng.randrange(len(f))
        t, p = f[k]
        p = bytearray(p)
        if op == "time_max" and t is not None:
            for j in range(k, len(f)):
                if f[j][0] is not None:
                    f[j][0] = rng.choice([0xFFFFFFFF, 0x7FFFFFFF, 0x80000000 + j])
        elif op == "time_back" and t is not None:
            f[k][0] = 0
        elif op == "time_all0" and t is not None:
            for x in f:
                x[0] = 0
        elif len(p) >= 12:
            if op == "seq_jump":
                d = rng.choice([1, 2, 100, 32767, 32768, 65535])
                for j in range(k, len(f)):
                    q = bytearray(f[j][1])
                    if len(q) >= 12:
                        s = (struct.unpack(">H", q[2:4])[0] + d) & 0xFFFF
                        q[2:4] = struct.pack(">H", s)
                        f[j][1] = bytes(q)
                notes.append(op + str(d))
                continue
            if op == "ts_jump":
                d = rng.choice([1, 3000, 1 << 31, (1 << 32) - 3000, 1 << 30])
                for j in range(k, len(f)):
                    q = bytearray(f[j][1])
                    if len(q) >= 12:
                        s = (struct.unpack(">I", q[4:8])[0] + d) & 0xFFFFFFFF
                        q[4:8] = struct.pack(">I", s)
                        f[j][1] = bytes(q)
                notes.append(op + str(d))
                continue
            if op == "ssrc":
                p[8:12] = struct.pack(">I", rng.getrandbits(32))
            elif op == "pt":
                p[1] = (p[1] & 0x80) | rng.randrange(128)
            elif op == "version":
                p[0] = (p[0] & 0x3F) | (rng.randrange(4) << 6)
            elif op == "padding":
                p[0] |= 0x20
                p[-1] = rng.choice([0, 1, 255, len(p) - 1, len(p), len(p) + 1]) & 0xFF
            elif op == "ext_huge":
                p[0] |= 0x10
                if len(p) >= 16:
                    p[14:16] = b"\xff\xff"
            elif op == "cc15":
                p[0] |= 0x0F
            elif op == "marker":
                p[1] ^= 0x80
            f[k][1] = bytes(p)
        notes.append(op)
    return r.bytes(), "frame fields: " + ",".join(notes)


def m_degenerate(rec, rng):
    data, (h0, h1), spans = rec.layout()
    r = rec.copy()
    op = rng.choice(["empty", "magic_only", "header_only", "header_short", "zero_payloads", "tiny_packets",
                     "one_frame", "len_ffff", "frame_hdr_only", "zero_rtp_payload", "all_zero_payload",
                     "nul_file", "second_header", "two_files_cat"])
    if op == "empty":
        return b"", op
    if op == "magic_only":
        return data[:8], op
    if op == "header_only":
        return data[:h1], op
    if op == "header_short":
        return data[:rng.randrange(8, h1 + 1)], op
    if op == "nul_file":
        return b"\x00" * rng.randint(1, 5000), op
    if op == "zero_payloads":
        for fr in r.frames:
            if rng.random() < 0.5:
                fr[1] = b""
        return r.bytes(), op
    if op == "tiny_packets":
        for fr in r.frames:
            if rng.random() < 0.3:
                fr[1] = fr[1][:rng.randint(0, 13)]
        return r.bytes(), op
    if op == "zero_rtp_payload":
        for fr in r.frames:
            off = rtp_payload_offset(fr[1])
            if off is not None and rng.random() < 0.5:
                fr[1] = fr[1][:off]
        return r.bytes(), op
    if op == "all_zero_payload":
        for fr in r.frames:
            off = rtp_payload_offset(fr[1])
            if off is not None and rng.random() < 0.5:
                fr[1] = fr[1][:off] + b"\x00" * (len(fr[1]) - off)
        return r.bytes(), op
    if op == "one_frame":
        r.frames = r.frames[:1]
        return r.bytes(), op
    if op == "len_ffff":
        if not spans:
            return data, op
        fs, ps, ln = rng.choice(spans)
        b = bytearray(data)
        b[ps - 2:ps] = b"\xff\xff"
        return bytes(b), op
    if op == "frame_hdr_only":
        return data[:h1] + (b"MEET\x00\x00\x00\x00\x00\x64" if rec.v2() else b"MEETECHO\x00\x64"), op
    if op == "second_header":
        at = rng.choice([s[0] for s in spans] or [h1])
        return data[:at] + data[:h1] + data[at:], op
    # two_files_cat
    return data + data, op


FAMILIES = [
    ("bitflip_any", m_bitflip_any),
    ("bitflip_json", m_bitflip_json),
    ("bitflip_framehdr", m_bitflip_framehdr),
    ("bitflip_rtp", m_bitflip_rtp),
    ("bitflip_payload", m_bitflip_payload_head),
    ("truncate", m_truncate),
    ("insert", m_insert),
    ("delete", m_delete),
    ("garbage", m_garbage),
    ("dup_shuffle", m_dup_shuffle),
    ("json_absurd", m_json_absurd),
    ("frame_fields", m_frame_fields),
    ("degenerate", m_degenerate),
]

# ---------------------------------------------------------------- seeds


def load_seeds(args, tmp):
    """[(name, kind, Rec, pair_partner_path_or_None)] plus pair dict."""
    pairs = []  # (name, audio_path, video_path)
    recdirs = sorted(d for d in (os.path.join(args.seeds, x) for x in os.listdir(args.seeds))
                     if os.path.isdir(d)) if args.seeds and os.path.isdir(args.seeds) else []
    for d in recdirs:
        a, v = os.path.join(d, "audio.mjr"), os.path.join(d, "video.mjr")
        if os.path.exists(a) and os.path.exists(v):
            pairs.append((os.path.basename(d), a, v))
    if not pairs or args.synth:
        for i, opts in enumerate([[], ["--loss", "0.05", "--reorder", "0.05", "--duplicate", "0.02"],
                                  ["--mjr-version", "0"], ["--mjr-version", "1", "--loss", "0.02"],
                                  ["--restart-at", "3", "--raw-restart"]]):
            d = os.path.join(tmp, "synth%d" % i)
            os.makedirs(d, exist_ok=True)
            subprocess.run([args.synth_bin, "--out-dir", d, "--duration", str(args.synth_duration),
                            "--seed", str(args.seed + i), "-y"] + opts, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            pairs.append(("synth%d" % i, os.path.join(d, "audio.mjr"), os.path.join(d, "video.mjr")))
        ex = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")
        if os.path.exists(os.path.join(ex, "audio.mjr")):
            pairs.append(("examples", os.path.join(ex, "audio.mjr"), os.path.join(ex, "video.mjr")))
    seeds = []
    for name, a, v in pairs:
        pr = {}
        for kind, path in (("audio", a), ("video", v)):
            with open(path, "rb") as fh:
                data = fh.read()
            try:
                rec = parse(data)
            except ValueError:
                continue
            if len(rec.frames) < 5:
                continue  # header-only seeds: the degenerate family covers them
            rec = trim(rec, args.trim)
            p = os.path.join(tmp, "seed-%s-%s.mjr" % (name, kind))
            with open(p, "wb") as fh:
                fh.write(rec.bytes())
            pr[kind] = (rec, p)
        for kind in pr:
            other = "video" if kind == "audio" else "audio"
            seeds.append((name, kind, pr[kind][0], pr[other][1] if other in pr else None))
    return seeds

# ---------------------------------------------------------------- running


def run(cmd, cwd, timeout):
    """Run under /usr/bin/time; (rc, sig, stdout, stderr, rss_kb, timed_out, secs)."""
    rssf = os.path.join(cwd, ".rss")
    full = ["/usr/bin/time", "-f", "%M", "-o", rssf] + cmd
    t0 = time.time()
    p = subprocess.Popen(full, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        to = False
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        to = True
    secs = time.time() - t0
    rss, sig = 0, None
    try:
        with open(rssf) as fh:
            for line in fh:
                line = line.strip()
                if line.startswith("Command terminated by signal"):
                    sig = int(line.split()[-1])
                elif line.isdigit():
                    rss = int(line)
    except OSError:
        pass
    return p.returncode, sig, out, err, rss, to, secs


def decode_check(path, timeout):
    """Lines ffmpeg (and opusinfo for .opus) complained with; [] when clean."""
    probs = []
    try:
        r = subprocess.run(["ffmpeg", "-nostdin", "-threads", "1", "-v", "error", "-i", path, "-f", "null", "-"],
                           capture_output=True, timeout=timeout * 3)
        lines = [l for l in r.stderr.decode("utf-8", "replace").splitlines() if l.strip()]
        if r.returncode != 0 and not lines:
            lines = ["ffmpeg exit %d" % r.returncode]
        probs += ["ffmpeg: " + l for l in lines]
    except subprocess.TimeoutExpired:
        probs.append("ffmpeg: decode timed out")
    if path.endswith(".opus") and shutil.which("opusinfo"):
        try:
            r = subprocess.run(["opusinfo", path], capture_output=True, timeout=timeout * 3)
            text = (r.stdout + r.stderr).decode("utf-8", "replace")
            probs += ["opusinfo: " + l.strip() for l in text.splitlines()
                      if "warning" in l.lower() or "error" in l.lower()]
        except subprocess.TimeoutExpired:
            probs.append("opusinfo: timed out")
    return probs


def classify(cmd, res, outfile, args, is_info_json):
    rc, sig, out, err, rss, to, secs = res
    cls = []
    if to:
        cls.append("HANG")
    elif rc == 101 or sig is not None or rc < 0 or b"panicked" in err or (rc is not None and rc > 128):
        cls.append("PANIC")
    elif rc not in (0, 1):
        cls.append("ODD_EXIT")
    if ESC in out or ESC in err:
        cls.append("RAW_ESCAPE")
    ctrl = set(range(32)) - {9, 10, 0x1b}
    if any(c in ctrl for c in out + err):
        cls.append("CTRL_CHAR")
    if rss > args.mem_mb * 1024:
        cls.append("MEMORY")
    if not to and rc == 1 and len([l for l in err.splitlines()]) > 1:
        cls.append("MULTILINE_ERROR")
    extra = []
    if not to and rc == 0:
        if outfile is not None:
            if not os.path.exists(outfile):
                cls.append("NO_OUTPUT")
            else:
                extra = decode_check(outfile, args.timeout)
                if extra:
                    cls.append("BAD_OUTPUT")
        if is_info_json:
            try:
                json.loads(out)
            except Exception as e:
                cls.append("BAD_JSON")
                extra = ["json: %s" % e]
    return cls, extra


def case_cmds(args, kind, path, partner, rng_mux, work):
    """[(cmd, outfile_or_None, is_info_json)]."""
    b = args.bin
    cmds = [([b, "convert", path, os.path.join(work, "out.webm"), "-y", "--skip-unsupported"],
             os.path.join(work, "out.webm"), False)]
    if kind == "audio":
        cmds.append(([b, "convert", path, os.path.join(work, "out.opus"), "-y", "--skip-unsupported"],
                     os.path.join(work, "out.opus"), False))
    cmds.append(([b, "info", path], None, False))
    cmds.append(([b, "info", "--json", path], None, True))
    if partner and rng_mux:
        a, v = (path, partner) if kind == "audio" else (partner, path)
        cmds.append(([b, "mux", a, v, os.path.join(work, "out.mkv"), "-y", "--skip-unsupported"],
                     os.path.join(work, "out.mkv"), False))
    return cmds


def sh_quote(cmd):
    import shlex
    return " ".join(shlex.quote(c) for c in cmd)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--bin", default=os.path.join(here, "..", "target", "release", "mjrtool"))
    ap.add_argument("--seeds", default="/tmp/realcheck/rec", help="folder of NAME/{audio,video}.mjr")
    ap.add_argument("--synth", action="store_true", help="add mjr-synth seeds even with real ones")
    ap.add_argument("--synth-bin", default=os.path.join(here, "..", "target", "release", "mjr-synth"),
                    help="mjr-synth (cargo build --release -p mjrtool-test-support --bin mjr-synth)")
    ap.add_argument("--synth-duration", type=int, default=6)
    ap.add_argument("--trim", type=float, default=4.0, help="seconds of each seed kept (speed)")
    ap.add_argument("--per-family", type=int, default=115)
    ap.add_argument("--families", default="", help="comma list (default all)")
    ap.add_argument("--seed", type=int, default=20251125)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--mem-mb", type=int, default=160)
    ap.add_argument("--mux-share", type=float, default=0.35, help="share of cases also muxed with the partner")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default="/tmp/attack")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    args.synth_bin = os.path.abspath(args.synth_bin)
    if not os.path.exists("/usr/bin/time"):
        sys.exit("needs /usr/bin/time (apt-get install time)")
    fam = [f for f in FAMILIES if not args.families or f[0] in args.families.split(",")]
    os.makedirs(args.out, exist_ok=True)
    faildir = os.path.join(args.out, "fail")
    shutil.rmtree(faildir, ignore_errors=True)
    tmp = os.path.join(args.out, "seeds")  # kept: the failing mux commands name the partner seed here
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    seeds = load_seeds(args, tmp)
    if not seeds:
        sys.exit("no seeds")
    print("binary %s; %d seeds (%s); %d families x %d cases" % (
        args.bin, len(seeds), ", ".join(sorted({s[0] for s in seeds})), len(fam), args.per_family), flush=True)

    cases = []
    for fname, fn in fam:
        for i in range(args.per_family):
            cases.append((fname, fn, i))
    stats = {f[0]: {"cases": 0, "cmds": 0, **{c: 0 for c in CLASSES}} for f in fam}
    failures = []
    lock = threading.Lock()
    maxrss = [0, ""]
    slowest = [0.0, ""]
    done = [0]
    t_start = time.time()

    def one(c):
        fname, fn, i = c
        rng = random.Random("%d/%s/%d" % (args.seed, fname, i))
        name, kind, rec, partner = seeds[rng.randrange(len(seeds))]
        try:
            data, desc = fn(rec, rng)
        except Exception as e:  # a mutator bug must not stop the campaign
            print("  mutator %s/%d failed: %r" % (fname, i, e), flush=True)
            return
        work = tempfile.mkdtemp(prefix="w-", dir=args.out)
        inp = os.path.join(work, "%s-%03d-%s-%s.mjr" % (fname, i, name, kind))
        with open(inp, "wb") as fh:
            fh.write(data)
        found = []
        ncmd = 0
        for cmd, outfile, isjson in case_cmds(args, kind, inp, partner, rng.random() < args.mux_share, work):
            if outfile and os.path.exists(outfile):
                os.unlink(outfile)
            res = run(cmd, work, args.timeout)
            ncmd += 1
            cls, extra = classify(cmd, res, outfile, args, isjson)
            with lock:
                if res[4] > maxrss[0]:
                    maxrss[:] = [res[4], sh_quote(cmd)]
                if res[6] > slowest[0]:
                    slowest[:] = [res[6], sh_quote(cmd)]
            for k in cls:
                found.append((k, cmd, res, extra))
        keep = []
        for k, cmd, res, extra in found:
            d = os.path.join(faildir, k)
            os.makedirs(d, exist_ok=True)
            dst = os.path.join(d, os.path.basename(inp))
            if not os.path.exists(dst):
                shutil.copy(inp, dst)
            rc, sig, out, err, rss, to, secs = res
            shown = [dst if x == inp else x for x in cmd]
            rec_ = {"class": k, "family": fname, "case": i, "seed": name, "kind": kind, "mutation": desc,
                    "input": dst, "command": sh_quote(shown), "exit": rc, "signal": sig, "timeout": to,
                    "rss_kb": rss, "secs": round(secs, 2),
                    "stderr_head": err.decode("utf-8", "backslashreplace").splitlines()[:8],
                    "stdout_head": out.decode("utf-8", "backslashreplace").splitlines()[:4],
                    "decode": extra[:8]}
            with open(os.path.join(d, os.path.basename(inp) + ".%s.txt" % cmd[1]), "a") as fh:
                fh.write(json.dumps(rec_, indent=1) + "\n")
            keep.append(rec_)
        shutil.rmtree(work, ignore_errors=True)
        with lock:
            st = stats[fname]
            st["cases"] += 1
            st["cmds"] += ncmd
            for k in {r["class"] for r in keep}:
                st[k] += 1
            failures.extend(keep)
            done[0] += 1
            if done[0] % 100 == 0:
                print("  %d/%d cases, %.0f s, %d failure records" % (done[0], len(cases), time.time() - t_start,
                                                                      len(failures)), flush=True)

    with cf.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for fut in [ex.submit(one, c) for c in cases]:
            fut.result()

    cols = ["cases", "cmds"] + CLASSES
    short = {"MULTILINE_ERROR": "MULTILINE", "BAD_OUTPUT": "BAD_OUT"}
    print()
    print("%-17s" % "family" + "".join("%10s" % short.get(c, c) for c in cols))
    tot = {c: 0 for c in cols}
    for f, st in stats.items():
        print("%-17s" % f + "".join("%10d" % st[c] for c in cols))
        for c in cols:
            tot[c] += st[c]
    print("%-17s" % "TOTAL" + "".join("%10d" % tot[c] for c in cols))
    print("(per class: cases with at least one command in that class)")
    print("elapsed %.0f s; peak RSS %.1f MB (%s); slowest command %.2f s (%s)" % (
        time.time() - t_start, maxrss[0] / 1024, maxrss[1], slowest[0], slowest[1]))
    with open(os.path.join(args.out, "failures.json"), "w") as fh:
        json.dump(failures, fh, indent=1)
    if failures:
        print("\nfailures (%d records, all in %s/failures.json):" % (len(failures), args.out))
        for r in failures[:60]:
            print("- %s [%s] %s\n    %s\n    exit=%s sig=%s rss=%dKB %.2fs\n    %s" % (
                r["class"], r["family"], r["mutation"][:100], r["command"], r["exit"], r["signal"],
                r["rss_kb"], r["secs"], "\n    ".join((r["stderr_head"][:4] + r["decode"][:3]) or ["(nothing)"])))
    return 1 if any(tot[c] for c in ("PANIC", "HANG", "BAD_OUTPUT", "MEMORY", "RAW_ESCAPE")) else 0


if __name__ == "__main__":
    sys.exit(main())
