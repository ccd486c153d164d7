#!/usr/bin/env bash
# Pseudoexperiments as a Slurm array job: each array task runs one shard (i/K) of the study and appends its results
# to OUT/pseudo/<mode>-bdt-shard-i-of-K.jsonl (a killed or pre-empted task resumes where it stopped when resubmitted).
# Afterwards combine the shards with `fastad merge OUT`, which refuses shards of different configurations, names
# duplicates and lists gaps; the merged result does not depend on the number of shards.
#
#   sbatch --array=0-39 scripts/slurm-pseudo.sh            # 40 shards
#   FASTAD_N=1000 FASTAD_MODE=null sbatch --array=0-99 scripts/slurm-pseudo.sh
#   fastad merge out/pseudo-study                          # once every task has finished
#
# A cancelled, failed or pre-empted task is resubmitted on its own with the study's shard count in FASTAD_SHARDS (the array
# task ids are then the shard numbers 0..K-1): it resumes its shard file.
#
#   FASTAD_SHARDS=40 sbatch --array=7,12 scripts/slurm-pseudo.sh   # shards 7/40 and 12/40 again
#
# The trained flows are read from OUT/models (run `fastad cathode --out OUT` once first, or the first task trains them:
# give tasks a shared OUT on a parallel file system). FASTAD points to the fastad binary (scripts/publish.sh builds one).
#SBATCH --job-name=fastad-pseudo
#SBATCH --cpus-per-task=8
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=fastad-pseudo-%A_%a.log
set -euo pipefail
read -r -a FASTAD_CMD <<< "${FASTAD:-fastad}"   # may hold arguments, e.g. "dotnet /path/fastad.dll"
OUT="${FASTAD_OUT:-out/pseudo-study}"
N="${FASTAD_N:-1000}"
MODE="${FASTAD_MODE:-bootstrap}"
DATA_ARGS="${FASTAD_DATA_ARGS:---generate}"
TASK="${SLURM_ARRAY_TASK_ID:?run this through sbatch --array (SLURM_ARRAY_TASK_ID is not set)}"
if [ -n "${FASTAD_SHARDS:-}" ]; then
  # The study's shard count given: the task id is the shard (a resubmission of some tasks, e.g. --array=7,12).
  COUNT="$FASTAD_SHARDS"
  MIN=0
else
  COUNT="${SLURM_ARRAY_TASK_COUNT:?SLURM_ARRAY_TASK_COUNT is not set}"
  # SLURM_ARRAY_TASK_ID starts at the array's first index: shards must be numbered 0..K-1.
  MIN="${SLURM_ARRAY_TASK_MIN:-0}"
fi
# shellcheck disable=SC2086
exec "${FASTAD_CMD[@]}" cathode pseudo $DATA_ARGS --n "$N" --mode "$MODE" --shard "$((TASK - MIN))/$COUNT" --out "$OUT" --quiet ${FASTAD_EXTRA_ARGS:-}
