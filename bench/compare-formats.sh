#!/usr/bin/env bash
# Read throughput and peak memory of every input format on a 10-million-row file (6 float64 columns, 480 MB of
# column data; the ZSTD Arrow file has other values, 3 decimals, so that it compresses), FastAD (`fastad inspect`: read + one summary pass; best of 3, peak RSS from GNU time) beside numpy /
# pandas / h5py reading the same files (bench/peers/formats_peer.py).
# Usage: bench/compare-formats.sh [fastad binary] [folder] [rows]
set -euo pipefail
cd "$(dirname "$0")/.."
fastad=${1:-src/Cli/bin/Release/net10.0/fastad}
dir=${2:-/tmp/fastad-formats}
rows=${3:-10000000}
mkdir -p "$dir"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
[ -f "$dir/events.npz" ] || /usr/bin/python3 bench/peers/formats_peer.py make "$dir" "$rows"
[ -f "$dir/events.parquet" ] || "$fastad" convert "$dir/events.npz" "$dir/events.parquet" >/dev/null
[ -f "$dir/events.feather" ] || "$fastad" convert "$dir/events.npz" "$dir/events.feather" >/dev/null
# ZSTD Arrow from apache-arrow JS (tests/writers; npm ci --prefix tests/writers), batches of 65536 rows as pyarrow writes.
[ -f "$dir/events-zstd.arrow" ] || node tests/writers/write.mjs --random "$rows" "$dir/events-zstd.arrow" zstd
for f in events.npy events.npz events.feather events-zstd.arrow events.parquet events-pandas.h5 events-h5py.h5 events.csv; do
  best=999999; peak=0
  for run in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$fastad" inspect "$dir/$f" >/dev/null
    read -r s kb < "$dir/time.txt"
    best=$(python3 -c "print(min($best, $s))"); peak=$kb
    [ "$f" = events.csv ] && break
  done
  mb=$(python3 -c "import os; print(round(os.path.getsize('$dir/$f') / 1e6))")
  python3 -c "r=$rows; s=$best; print(f'$f'.ljust(18), 'fastad inspect'.ljust(30), f'{s:7.2f} s  {r / s / 1e6:7.1f} M rows/s  {$mb / s:7.0f} MB/s  ($mb MB)  peak RSS {$peak / 1024:.0f} MB')"
done
/usr/bin/python3 bench/peers/formats_peer.py read "$dir"
