#!/usr/bin/env bash
# Wall time and time per stage of the whole CATHODE analysis on the generated samples, quick and paper presets.
# Usage: bench/cathode-wall-time.sh [fastad binary]   (default: dotnet run of src/Cli)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then fastad=("$1"); else fastad=(dotnet run -c Release --project src/Cli --); fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
for preset in quick paper; do
  echo "== $preset"
  "${fastad[@]}" cathode --generate --preset "$preset" --out "$tmp/$preset" --quiet
  /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['stageSeconds'])" "$tmp/$preset/results.json"
done
