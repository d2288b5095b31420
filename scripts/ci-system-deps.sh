#!/usr/bin/env bash
# What the browser and export tests need beyond the Python venv, on a fresh Debian/Ubuntu
# machine; idempotent (does nothing when all is there):
#   - Debian's Chromium (/usr/bin/chromium) for Playwright (never `playwright install`)
#   - poppler-utils (pdftotext) to read the exported PDFs back
#   - node + npm, then `npm ci` and the vendored static files (axe-core) when
#     package-lock.json changed or they are missing
# apt-get runs as root (sudo when not root and available).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
[ -x /usr/bin/chromium ] || packages+=(chromium)
command -v pdftotext >/dev/null 2>&1 || packages+=(poppler-utils)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

if [ ${#packages[@]} -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "need root to apt-get install ${packages[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "installing ${packages[*]}"
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}"
fi

stamp=node_modules/.calx-lock-$(md5sum package-lock.json | cut -c1-12)
if [ ! -f "$stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
scripts/vendor-browser-assets.sh

echo "system deps: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), $(pdftotext -v 2>&1 | head -1), axe-core $(node -p 'require("./node_modules/axe-core/package.json").version')"
