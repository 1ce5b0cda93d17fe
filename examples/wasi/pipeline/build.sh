#!/usr/bin/env bash
# Rebuild pipeline.wasm (committed) from pipeline.c; same toolchain as tests/wasi/build.sh.
set -euo pipefail
cd "$(dirname "$0")"
res=$(clang -print-resource-dir)
clang --target=wasm32-wasi --sysroot=/usr -nostdinc -isystem "$res/include" \
  -isystem /usr/include/wasm32-wasi -I../../../tests/wasi/src -O2 -Wall -Wl,--strip-all \
  -o pipeline.wasm pipeline.c
echo "built pipeline.wasm"
