#!/usr/bin/env bash
# The main job: train the tiny MedTrim dual encoder (ViT + BERT) on the built-in synthetic chest X-ray data
# set, evaluate it on the test split, print the Precision@R tables and write the run's report.
# The recipe is recipes/main.json (the settings the config defaults leave at the paper's); extra arguments go to
# `medtrim train` and override it (e.g. --steps 100, --objective infonce).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

# A real GPU when there is one; otherwise llvmpipe (OpenGL ES), which trains this model several times faster
# than SwiftShader on these machines (see the README's training-speed figures).
if node bin/medtrim.js info --backend native >/dev/null 2>&1; then backend=native; else backend=gles; fi
out="runs/main-$(date +%Y%m%d-%H%M%S)"
exec node bin/medtrim.js train --backend "$backend" --config recipes/main.json --out "$out" "$@"
