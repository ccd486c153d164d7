#!/usr/bin/env bash
# Side by side: pseudoexperiments per hour with full BDT retraining (5 folds x 100 BDTs + every fit) in FastAD and in
# the Python reference's procedure (XGBoost hist + scipy Nelder-Mead, bench/peers/pseudo_peer.py).
# Usage: bench/compare-pseudo.sh [fastad binary]   (default: dotnet run of src/Cli)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then fastad=("$1"); else fastad=(dotnet run -c Release --project src/Cli --); fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
"${fastad[@]}" generate dimuon --out "$tmp/os.csv" --seed 1 >/dev/null
"${fastad[@]}" generate dimuon --out "$tmp/bkg.csv" --seed 2 --events 150000 --signal-fraction 0 >/dev/null
/usr/bin/python3 bench/peers/pseudo_peer.py --data "$tmp/os.csv" --background "$tmp/bkg.csv" --n 3 --procedure weights
/usr/bin/python3 bench/peers/pseudo_peer.py --data "$tmp/os.csv" --background "$tmp/bkg.csv" --n 3 --procedure rows
"${fastad[@]}" bench --suite pseudo --device cpu --seconds 1
