#!/usr/bin/env bash
# Side-by-side, in one run on one machine: FastAD toys/s (cpu, opencl, and cuda when present) and the
# Python peers' seconds per toy (scipy Nelder-Mead as the reference code, iminuit MIGRAD).
# Usage: bench/compare-toys.sh [fastad binary]   (default: dotnet run of src/Cli)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then fastad=("$1"); else fastad=(dotnet run -c Release --project src/Cli --); fi
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ)"
"${fastad[@]}" bench --suite toys --device all
if /usr/bin/python3 -c "import scipy, iminuit" 2>/dev/null; then
  /usr/bin/python3 bench/peers/bumphunt_peers.py --toys 40
else
  echo "Python peers skipped: install python3-scipy python3-iminuit python3-numpy libopenblas0-pthread"
fi
