#!/usr/bin/env bash
# Installs Debian's Chromium for the web chat's browser test (Playwright drives it; it downloads no
# browser). Does nothing where /usr/bin/chromium exists; needs root (or sudo) and apt.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "install-chromium: no apt-get here; install Chromium so that /usr/bin/chromium exists" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo -n"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || echo "install-chromium: apt-get update failed; trying the cached package lists" >&2
$sudo apt-get install -y -qq chromium >/dev/null
echo "install-chromium: installed $(/usr/bin/chromium --version)"
