#!/usr/bin/env bash
# The one prepared check for a lent GPU machine (issue 16, item 5). Run it from the repository root there, with the
# self-contained build of scripts/publish.sh carried (publish/linux-x64/fastad: the machine has no .NET):
#
#   device run:  carry ["publish"], command "scripts/gpu-check.sh cuda $OUT", timeout_s 560
#
# It runs `fastad devices`, `fastad selftest` on the device, the bench suites on the device and on the CPU, and the
# analyses with --device DEVICE and --device cpu (CATHODE's paper preset; CONRAD and SimAD quick, their paper presets
# take far longer than one lease) and the quick mass scan on the device, each step under its own time limit so that one slow step cannot cost the others,
# and writes OUT/gpu-check.md (a Markdown section to paste into docs/BENCHMARKS.md) and OUT/gpu-check.log. About 6–8
# minutes on an H100/H200. Here, without a GPU, `scripts/gpu-check.sh opencl /tmp/gc` is the dry run on PoCL
# (GPU_CHECK_QUICK=1 shortens it to the quick presets and short benches).
#
# Usage: scripts/gpu-check.sh [DEVICE] [OUT]    DEVICE: cuda (default), cuda:N, opencl[:N]; OUT: a folder (default out/gpu-check)
set -uo pipefail
cd "$(dirname "$0")/.."
device="${1:-cuda}"
out="${2:-out/gpu-check}"
mkdir -p "$out"
md="$out/gpu-check.md"
log="$out/gpu-check.log"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
quick="${GPU_CHECK_QUICK:-0}"
if [ -x publish/linux-x64/fastad ]; then fastad=(publish/linux-x64/fastad)
elif [ -f src/Cli/bin/Release/net10.0/fastad.dll ]; then fastad=(dotnet src/Cli/bin/Release/net10.0/fastad.dll)
else echo "gpu-check: no fastad: run scripts/publish.sh here and carry publish/ (or build src/Cli in Release)" >&2; exit 2
fi
: > "$log"
failures=0

# One step: a title, a time limit in seconds, then the fastad arguments. Its output goes to the log and, fenced, to the
# Markdown; its exit code and wall time to the summary table.
summary=()
step() {
  local title="$1" limit="$2"; shift 2
  local start end rc
  echo "== $title: fastad $*" >> "$log"
  start=$(date +%s.%N)
  timeout --kill-after=10 "$limit" "${fastad[@]}" "$@" > "$work/step.txt" 2>&1
  rc=$?
  end=$(date +%s.%N)
  cat "$work/step.txt" >> "$log"
  local secs
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  local status="ok"
  [ "$rc" -eq 0 ] || { status="exit $rc"; [ "$rc" -eq 124 ] && status="stopped at its ${limit} s limit"; failures=$((failures + 1)); }
  summary+=("| $title | \`fastad $*\` | $status | $secs |")
  {
    echo "### $title ($status, $secs s)"
    echo
    echo '```'
    # The tables and headline lines; progress lines are in the log.
    grep -v '^\s*$' "$work/step.txt" | tail -n 60
    echo '```'
    echo
  } >> "$work/sections.md"
}

: > "$work/sections.md"
step "devices" 60 devices
step "selftest on $device" 120 selftest --device "$device"
secs=1; [ "$quick" = 1 ] && secs=0.3
for suite in primitives toys trees flows; do
  step "bench $suite" 150 bench --suite "$suite" --device "$device" --device cpu --seconds "$secs" $([ "$quick" = 1 ] && echo --quick)
done
cathode_preset=paper; [ "$quick" = 1 ] && cathode_preset=quick
for d in "$device" cpu; do
  step "cathode ($cathode_preset) on $d" 240 cathode --generate --preset "$cathode_preset" --device "$d" --quiet --out "$work/cathode-$d"
  step "conrad (quick) on $d" 180 conrad --generate --preset quick --device "$d" --quiet --out "$work/conrad-$d"
  step "simad (quick) on $d" 120 simad --generate --preset quick --device "$d" --quiet --out "$work/simad-$d"
done
# The mass scan (issue 17): the quick preset's 41 windows on the device (2 CPU cores: 32 s with cathode alone, 69 s with all six methods).
step "scan (quick, 41 windows) on $device" 120 scan --generate --range 2:20 --preset quick --device "$device" --quiet --out "$work/scan-$device"

{
  echo "## GPU check ($(date -u '+%Y-%m-%d %H:%M') UTC, \`scripts/gpu-check.sh $device\`)"
  echo
  echo "Machine: $(nproc) CPU cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) memory; $(command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1 || echo 'no nvidia-smi')."
  echo
  echo "| step | command | result | wall (s) |"
  echo "|---|---|---|---:|"
  printf '%s\n' "${summary[@]}"
  echo
  cat "$work/sections.md"
} > "$md"
echo "gpu-check: $failures failed step(s); wrote $md and $log"
[ "$failures" -eq 0 ]
