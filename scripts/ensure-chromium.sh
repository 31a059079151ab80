#!/usr/bin/env bash
# Make sure a system Chromium is there for the JavaScript-rendered shop (scrapy-playwright
# can't download its own browser here). Installs Debian's chromium when running as root.
set -eu
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing Chromium (apt-get install chromium)..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "warning: no Chromium at $chromium; install it (apt-get install chromium) or set CHROMIUM_PATH." >&2
echo "         the JavaScript-rendered shop (manefa) can't be crawled without it." >&2
