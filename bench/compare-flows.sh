#!/usr/bin/env bash
# Side by side, in one run on one machine: the flows suite (SPEC 1.3 MAF epochs, sampling, log-prob with the 40-epoch
# accuracy run; the RQS MAF of SPEC 2.1) and the PyTorch peer (Debian's python3-torch, 2 threads).
# Usage: bench/compare-flows.sh [fastad binary]   (default: dotnet run of src/Cli)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then fastad=("$1"); else fastad=(dotnet run -c Release --project src/Cli --); fi
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
"${fastad[@]}" bench --suite flows --device cpu --seconds 1
/usr/bin/python3 bench/peers/flows_peers.py
# The ensemble rows' peer: members of an ensemble are independent, so on N cores PyTorch's best is one 1-thread process
# per core (per-member time = the 1-thread epoch / N, assuming perfect scaling: generous to PyTorch).
echo "== PyTorch, 1 thread (for the per-member ensemble comparison)"
FLOWS_PEER_THREADS=1 /usr/bin/python3 bench/peers/flows_peers.py --skip-nll
