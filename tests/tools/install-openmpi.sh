#!/usr/bin/env bash
# Debian's Open MPI for the distributed-training tests (they run `mpirun -np 2` on the CPU).
exec bash "$(dirname "$0")/install-debian.sh" /usr/bin/mpirun openmpi-bin libopenmpi-dev
