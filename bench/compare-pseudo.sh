#!/usr/bin/env bash
# Side by side, in one run: pseudoexperiments per hour with full BDT retraining (5 folds x 100 BDTs + every fit) in
# FastAD and in the Python reference's procedure (XGBoost hist + scipy Nelder-Mead, bench/peers/pseudo_peer.py), on the
# same generated OS data. The peer runs both bootstrap procedures: the reference's (resampled rows, copies of an event
# can sit in training and test folds) and FastAD's (multiplicities as sample weights, folds over distinct events).
# FastAD runs `fastad cathode` in the paper configuration once (its flows are trained once per study), then
# `fastad cathode pseudo` in bootstrap and null mode reusing those flows.
# Usage: bench/compare-pseudo.sh [fastad binary] [pseudoexperiments per FastAD mode, default 16]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then fastad=("$1"); else fastad=(dotnet run -c Release --project src/Cli --); fi
n=${2:-16}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
"${fastad[@]}" generate dimuon --out "$tmp/os.csv" --seed 1 >/dev/null
"${fastad[@]}" generate dimuon --out "$tmp/bkg.csv" --seed 2 --events 150000 --signal-fraction 0 >/dev/null
/usr/bin/python3 bench/peers/pseudo_peer.py --data "$tmp/os.csv" --background "$tmp/bkg.csv" --n 3 --procedure weights
/usr/bin/python3 bench/peers/pseudo_peer.py --data "$tmp/os.csv" --background "$tmp/bkg.csv" --n 3 --procedure rows
echo "== fastad cathode (paper preset: trains the 5 flows the pseudoexperiments reuse)"
"${fastad[@]}" cathode --data "$tmp/os.csv" --out "$tmp/run" --quiet | grep -E "wall time|CATHODE Z"
for mode in bootstrap null; do
  echo "== fastad cathode pseudo --mode $mode --n $n"
  "${fastad[@]}" cathode pseudo --data "$tmp/os.csv" --out "$tmp/run" --mode "$mode" --n "$n" --batch 8 --quiet
done
echo "== load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%MZ)"
