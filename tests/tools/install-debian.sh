#!/usr/bin/env bash
# Installs Debian packages a test needs: install-debian.sh <file that proves them installed> <package>...
# Does nothing where the file exists; needs root (or sudo) and apt.
set -euo pipefail
proof="$1"; shift
[ -x "$proof" ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "install-debian: no apt-get here; install $* so that $proof exists" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo -n"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || echo "install-debian: apt-get update failed; trying the cached package lists" >&2
$sudo apt-get install -y -qq "$@" >/dev/null
echo "install-debian: installed $* ($proof)"
