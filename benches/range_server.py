#!/usr/bin/env python3
"""A small HTTP server for benches/browser-play.sh.

GET/HEAD serve files from two folders: /page/NAME from --page-dir (the test
page) and /media/NAME from --media-dir (the files under test), with HTTP Range
support (RFC 9110 section 14: one byte range per request, 206 Partial Content
with Content-Range, 416 when unsatisfiable, Accept-Ranges: bytes). Reads are
bounded: a file is sent in 64 KiB pieces and a POST body may not exceed 64 KiB.

POST /result takes the page's JSON result and appends it, one line, to
--results. The server exits after --expect results or after --timeout seconds.
It prints "PORT <n>" on stdout once it listens (port 0 picks a free one).
"""

import argparse
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

CHUNK = 64 * 1024
MAX_POST = 64 * 1024
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
}
RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class Handler(BaseHTTPRequestHandler):
    """Serves pages and media with Range support and collects results."""

    protocol_version = "HTTP/1.1"
    server_version = "mjrtool-range-server/1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("range_server: " + (fmt % args) + "\n")

    def resolve(self):
        path = unquote(urlsplit(self.path).path)
        for prefix, root in (("/page/", self.server.page_dir), ("/media/", self.server.media_dir)):
            if path.startswith(prefix):
                name = path[len(prefix):]
                if not name or "/" in name or name in (".", ".."):
                    return None
                full = os.path.join(root, name)
                return full if os.path.isfile(full) else None
        return None

    def send_plain(self, code, text, extra=()):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra:
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def byte_range(self, size):
        """Returns (start, end inclusive), None for the whole file, or "bad"."""
        header = self.headers.get("Range")
        if not header:
            return None
        match = RANGE_RE.match(header.strip())
        if not match or (not match.group(1) and not match.group(2)):
            return None  # Several ranges or another unit: send the whole file.
        first, last = match.group(1), match.group(2)
        if first:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
            if start >= size or (last and int(last) < start):
                return "bad"
        else:
            suffix = int(last)
            if suffix == 0 or size == 0:
                return "bad"
            start, end = max(0, size - suffix), size - 1
        return start, end

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        full = self.resolve()
        if full is None:
            self.send_plain(404, "not found\n")
            return
        size = os.path.getsize(full)
        rng = self.byte_range(size)
        if rng == "bad":
            self.send_plain(416, "range not satisfiable\n", [("Content-Range", f"bytes */{size}")])
            return
        start, end = rng if rng else (0, size - 1)
        length = max(0, end - start + 1)
        self.send_response(206 if rng else 200)
        kind = TYPES.get(os.path.splitext(full)[1].lower(), "application/octet-stream")
        self.send_header("Content-Type", kind)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if self.command == "HEAD":
            return
        self.server.bytes_sent(length)
        try:
            with open(full, "rb") as handle:
                handle.seek(start)
                left = length
                while left > 0:
                    piece = handle.read(min(CHUNK, left))
                    if not piece:
                        break
                    self.wfile.write(piece)
                    left -= len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # The browser cancels range requests it no longer needs.

    def do_POST(self):
        if urlsplit(self.path).path != "/result":
            self.send_plain(404, "not found\n")
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0 or length > MAX_POST:
            self.send_plain(413, "body too large\n")
            return
        body = self.rfile.read(length)
        try:
            result = json.loads(body)
        except ValueError:
            self.send_plain(400, "not JSON\n")
            return
        self.send_plain(200, "ok\n")
        self.server.record(result)


class Server(ThreadingHTTPServer):
    """The HTTP server with the result log and the stop conditions."""

    daemon_threads = True

    def __init__(self, args):
        super().__init__(("127.0.0.1", args.port), Handler)
        self.page_dir = args.page_dir
        self.media_dir = args.media_dir
        self.results = args.results
        self.expect = args.expect
        self.verbose = args.verbose
        self.count = 0
        self.lock = threading.Lock()

    def record(self, result):
        with self.lock:
            with open(self.results, "a", encoding="utf-8") as out:
                out.write(json.dumps(result) + "\n")
            self.count += 1
            if self.count >= self.expect:
                threading.Thread(target=self.shutdown, daemon=True).start()

    def bytes_sent(self, length):
        if self.verbose:
            sys.stderr.write(f"range_server: sending {length} bytes\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page-dir", required=True)
    parser.add_argument("--media-dir", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--expect", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    server = Server(args)
    print(f"PORT {server.server_address[1]}", flush=True)
    deadline = threading.Timer(args.timeout, server.shutdown)
    deadline.daemon = True
    deadline.start()
    started = time.monotonic()
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    print(f"DONE results={server.count} after {time.monotonic() - started:.1f}s", flush=True)


if __name__ == "__main__":
    main()
