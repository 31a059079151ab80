#!/usr/bin/env bash
# Make sure LibreOffice can convert workbooks headless (`libreoffice --headless --convert-to csv`),
# which the export tests use to prove every workbook opens outside openpyxl. Installs Debian's
# libreoffice-calc-nogui when running as root: the smallest package set with Calc's xlsx import
# filter (libreoffice-core-nogui alone has no spreadsheet filters), and no X11/GTK stack.
set -eu
if command -v libreoffice >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing LibreOffice Calc (apt-get install libreoffice-calc-nogui)..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null
  exit 0
fi
echo "warning: no libreoffice on PATH; install it (apt-get install libreoffice-calc-nogui)." >&2
echo "         the export tests that open workbooks in LibreOffice are skipped without it." >&2
