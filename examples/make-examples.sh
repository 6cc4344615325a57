#!/usr/bin/env bash
# Regenerates the example recordings in this folder with our own generator (mjr-synth, in
# the test-support crate):
# a 6-second session where audio starts 1.5 s after video, with a little loss, reordering and
# duplication, as Janus would record it (MJR00002), plus the recordplay .nfo that names them.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --release -p mjrtool-test-support --bin mjr-synth -- --out-dir examples --duration 6 --audio-delay 1.5 \
  --loss 0.005 --reorder 0.02 --duplicate 0.01 --seed 7 --force
