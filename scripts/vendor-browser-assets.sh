#!/usr/bin/env bash
# Copy the browser files Calx uses out of node_modules/ into plain static files.
# Run `npm ci` first (scripts/ci-system-deps.sh does both). Idempotent.
#   node_modules/axe-core/axe.min.js -> tests/browser/vendor/axe.min.js  (accessibility scan)
#   node_modules/socket.io-client/dist/socket.io.min.js -> bot/web/widget/static/vendor/  (the widget;
#     committed, so `make run` needs no npm)
set -euo pipefail
cd "$(dirname "$0")/.."

copy() {  # copy SRC DEST: only when DEST is missing or differs
  local src=$1 dest=$2
  if [ ! -f "$src" ]; then
    echo "vendor: $src missing: run npm ci" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$dest")"
  if ! cmp -s "$src" "$dest"; then
    cp "$src" "$dest"
    echo "vendored $dest"
  fi
}

copy node_modules/axe-core/axe.min.js tests/browser/vendor/axe.min.js
copy node_modules/socket.io-client/dist/socket.io.min.js bot/web/widget/static/vendor/socket.io.min.js
