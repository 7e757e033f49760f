#!/usr/bin/env bash
# wasm-bindgen as worker-build calls it, plus dropping the wasm `name` section (about a quarter of
# the gzipped upload). Stripping in Cargo would also drop the target_features section that
# wasm-bindgen reads to choose its glue, so the names go here instead. scripts/build.sh points
# WASM_BINDGEN_BIN at this file and REAL_WASM_BINDGEN_BIN at the installed CLI.
set -euo pipefail

if [[ " $* " == *" --out-dir "* ]]; then
  exec "$REAL_WASM_BINDGEN_BIN" "$@" --remove-name-section --remove-producers-section
fi
exec "$REAL_WASM_BINDGEN_BIN" "$@"
