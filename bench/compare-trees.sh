#!/usr/bin/env bash
# Side-by-side, in one run on one machine: the CATHODE BDT ensemble (5 folds x 100 models, ~1.7k + 8.5k rows,
# 3 features, depth 3, subsample 0.7, early stopping 10) in FastAD and in XGBoost hist (2 threads) and
# scikit-learn HistGradientBoosting, plus the peers' out-of-fold AUCs on the test tasks.
# Usage: bench/compare-trees.sh [fastad binary]   (default: dotnet run of src/Cli)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then fastad=("$1"); else fastad=(dotnet run -c Release --project src/Cli --); fi
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ)"
"${fastad[@]}" bench --suite trees --device cpu --device opencl
if /usr/bin/python3 -c "import xgboost, sklearn" 2>/dev/null; then
  /usr/bin/python3 bench/peers/trees_peers.py --ensemble-models 100
else
  echo "Python peers skipped: install python3-xgboost python3-sklearn"
fi
