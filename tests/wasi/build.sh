#!/usr/bin/env bash
# Rebuild the committed WASI test fixtures (tests/wasi/fixtures/*.wasm) from tests/wasi/c/*.c.
# Needs Debian's clang, lld, wasi-libc and libclang-rt-dev-wasm32. Host headers are never used.
set -euo pipefail
cd "$(dirname "$0")"
res=$(clang -print-resource-dir)
for src in c/*.c; do
  name=$(basename "$src" .c)
  flags=()
  if [ "$name" = unknown_import ]; then flags+=(-Wl,--allow-undefined); fi
  clang --target=wasm32-wasi --sysroot=/usr -nostdinc -isystem "$res/include" \
    -isystem /usr/include/wasm32-wasi -O2 -Wall -Wl,--strip-all -o "fixtures/$name.wasm" "$src" "${flags[@]}"
  echo "built fixtures/$name.wasm"
done
# New sources (sockets, sandpiper_proc) live in src/ with their header.
for src in src/*.c; do
  name=$(basename "$src" .c)
  clang --target=wasm32-wasi --sysroot=/usr -nostdinc -isystem "$res/include" \
    -isystem /usr/include/wasm32-wasi -Isrc -O2 -Wall -Wl,--strip-all -o "fixtures/$name.wasm" "$src"
  echo "built fixtures/$name.wasm"
done
