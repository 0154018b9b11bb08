#!/usr/bin/env bash
# Installs Debian's Open MPI for the distributed-training tests (they run `mpirun -np 2` on the CPU).
# Does nothing where /usr/bin/mpirun exists; needs root (or sudo) and apt.
set -euo pipefail
[ -x /usr/bin/mpirun ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "install-openmpi: no apt-get here; install Open MPI so that /usr/bin/mpirun exists" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo -n"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || echo "install-openmpi: apt-get update failed; trying the cached package lists" >&2
$sudo apt-get install -y -qq openmpi-bin libopenmpi-dev >/dev/null
echo "install-openmpi: installed $(/usr/bin/mpirun --version | head -1)"
