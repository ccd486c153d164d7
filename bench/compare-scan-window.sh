#!/usr/bin/env bash
# The mass scan's cost per window (SPEC 5, paper preset), side by side in one run: FastAD's whole chain on three windows
# of the generated 2-20 GeV spectrum (windows 10, 20, 30 of the 41: low, middle and high mass) against the Python
# reference's procedure for windows of the same sizes — the SPEC 1.3 flows in PyTorch (bench/peers/flows_peers.py's
# epoch at the window's training rows x 400 epochs x 5 flows) and the 5 x 100 XGBoost BDTs with every scipy fit
# (bench/peers/pseudo_peer.py on a generated 5-16 GeV sample scaled to the window's SR count, 10x samples: the same
# matrix size and fits as the window's classifier stage). Usage: bench/compare-scan-window.sh [fastad binary]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then fastad=("$1"); else fastad=(dotnet run -c Release --project src/Cli --); fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
"${fastad[@]}" generate dimuon --range 2:20 --seed 1 --out "$tmp/spectrum.csv" >/dev/null
sizes=$(/usr/bin/python3 bench/peers/scan_window_peer.py windows "$tmp/spectrum.csv" "$tmp/windows.csv" 10 20 30)
echo "== windows: $sizes"
echo "== fastad scan --windows (paper preset, 3 windows)"
"${fastad[@]}" scan --generate --range 2:20 --windows "$tmp/windows.csv" --out "$tmp/scan" --quiet | grep -E "wall time"
/usr/bin/python3 -c "
import json; r = json.load(open('$tmp/scan/results.json'))
print(json.dumps({'fastad_seconds_per_window': [round(w['seconds'], 2) for w in r['windows']]}))"
rows=$(echo "$sizes" | /usr/bin/python3 -c "import json,sys; print(' '.join(str(round(0.8 * w['sideband'])) for w in json.load(sys.stdin)['picked']))")
echo "== PyTorch SPEC 1.3 epoch at the windows' training rows ($rows): x 400 epochs x 5 flows per window"
/usr/bin/python3 bench/peers/scan_window_peer.py flows $rows
"${fastad[@]}" generate dimuon --out "$tmp/bkg.csv" --seed 2 --events 150000 --signal-fraction 0 >/dev/null
for sr in $(echo "$sizes" | /usr/bin/python3 -c "import json,sys; print(' '.join(str(w['signal_region']) for w in json.load(sys.stdin)['picked']))"); do
  # A 5-16 GeV OS sample whose SR [9, 10.6) holds about the window's SR count: the default sample has 1,731 SR events in
  # 12,332 (seed 1), so scale by sr / 1731, rounded (+ 865 = half of 1731).
  events=$(( (12332 * sr + 865) / 1731 ))
  "${fastad[@]}" generate dimuon --out "$tmp/os-$sr.csv" --seed 1 --events "$events" >/dev/null
  echo "== XGBoost + scipy: one window's classifier and fits, $sr SR events (a $events-event 5-16 GeV sample)"
  /usr/bin/python3 bench/peers/pseudo_peer.py --data "$tmp/os-$sr.csv" --background "$tmp/bkg.csv" --n 1 --procedure weights |
    /usr/bin/python3 -c "import json,sys; r = json.load(sys.stdin); print(json.dumps({k: r[k] for k in ('xgboost', 'nthread', 'samples', 'models_per_pseudo', 'seconds_per_pseudo')}))"
done
echo "== load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%MZ)"
