#!/usr/bin/env bash
# Builds the Worker into build/ (build/worker/shim.mjs, build/index.js, build/index_bg.wasm).
#
# wrangler runs this as its [build] command, from `wrangler dev`, `wrangler deploy` and its
# programmatic APIs alike. worker-build downloads its helpers from GitHub unless told where they
# are, so point it at installed ones (`make install` provides both):
#   WASM_BINDGEN_BIN  wasm-bindgen CLI 0.2.130, the exact version of the wasm-bindgen crate, here
#                     through scripts/wasm-bindgen.sh, which also drops the wasm name section
#   ESBUILD_BIN       the esbuild that wrangler brings (node_modules/.bin/esbuild)
# wasm-opt is off in Cargo.toml, so it is never fetched.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$cargo_bin:$PATH"
export REAL_WASM_BINDGEN_BIN="${REAL_WASM_BINDGEN_BIN:-$cargo_bin/wasm-bindgen}"
export WASM_BINDGEN_BIN="$root/scripts/wasm-bindgen.sh"
export ESBUILD_BIN="${ESBUILD_BIN:-$root/node_modules/.bin/esbuild}"

for tool in "$REAL_WASM_BINDGEN_BIN" "$ESBUILD_BIN" "$cargo_bin/worker-build"; do
  if [[ ! -x "$tool" ]]; then
    echo "scripts/build.sh: $tool is missing; run \`make install\`" >&2
    exit 1
  fi
done

exec worker-build --release
