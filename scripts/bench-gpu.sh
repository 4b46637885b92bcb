#!/usr/bin/env bash
# The whole benchmark suite on a machine with a real GPU, in one call: native adapter, tfjs peer on it, full
# shapes, autotuned matmul tiles (cache in OUT_DIR), JSON + markdown results in OUT_DIR; then the host overhead
# of a train step (`medtrim bench host`: host recording ms beside GPU ms from timestamps, dispatches, command
# buffers, bind groups, bytes uploaded), and what pacing Dawn's event polling saves the thread that waits for the
# device (bench/dawn-polling.ts: wall and main-thread CPU ms per step, busy loop against paced), printed at the end.
# Installs nothing: run `npm ci` first.   usage: scripts/bench-gpu.sh OUT_DIR [extra medtrim bench flags]
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 OUT_DIR [extra medtrim bench flags]" >&2
  exit 2
fi
out="$1"
shift
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -d node_modules/webgpu ] || [ ! -d node_modules/@tensorflow/tfjs-backend-webgpu ]; then
  echo "$0: node_modules is incomplete; run 'npm ci' first (this script installs nothing)" >&2
  exit 1
fi
mkdir -p "$out"
export MEDTRIM_BACKEND=native
export MEDTRIM_CACHE_DIR="${MEDTRIM_CACHE_DIR:-$out/cache}"
node bin/medtrim.js info --json > "$out/adapter.json"
node bin/medtrim.js bench all --backend native --runs 5 --autotune --out "$out" "$@" 2>&1 | tee "$out/bench.log"
node bin/medtrim.js bench host --backend native --runs 11 --out "$out" 2>&1 | tee "$out/bench-host.log"
npx tsx bench/dawn-polling.ts --backend native --preset small --out "$out" 2>&1 | tee "$out/dawn-polling.log"
echo "results in $out"
