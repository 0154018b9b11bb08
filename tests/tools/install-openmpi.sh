#!/usr/bin/env bash
# Debian's Open MPI for the distributed-training tests (they run `mpirun -np 2` on the CPU), and a C
# compiler for the stand-in NCCL library those tests build (tests/tools/fake-nccl/).
set -euo pipefail
bash "$(dirname "$0")/install-debian.sh" /usr/bin/mpirun openmpi-bin libopenmpi-dev
bash "$(dirname "$0")/install-debian.sh" /usr/bin/cc gcc libc6-dev
