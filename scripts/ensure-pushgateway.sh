#!/usr/bin/env bash
# Make sure the Prometheus Pushgateway binary is there for the metrics tests, which start their own
# on a free loopback port. Installs Debian's prometheus-pushgateway when running as root; the
# package's own service (on :9091) is not wanted: it is stopped and disabled when the install
# started it, and the tests never use it.
set -eu
pushgateway="${PUSHGATEWAY_PATH:-/usr/bin/prometheus-pushgateway}"
if [ -x "$pushgateway" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing the Prometheus Pushgateway (apt-get install prometheus-pushgateway)..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-pushgateway >/dev/null
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus-pushgateway >/dev/null 2>&1 || true
  elif command -v service >/dev/null; then
    service prometheus-pushgateway stop >/dev/null 2>&1 || true
  fi
  exit 0
fi
echo "warning: no Pushgateway at $pushgateway; install it (apt-get install prometheus-pushgateway) or set PUSHGATEWAY_PATH." >&2
echo "         the metrics tests are skipped without it." >&2
