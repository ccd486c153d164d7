#!/usr/bin/env python3
"""Helpers of bench/compare-scan-window.sh (the Python reference's cost of one mass-scan window, SPEC 5):

    scan_window_peer.py windows SPECTRUM.csv OUT.csv I [J ...]   write windows I, J, ... of SPEC 5.1 (2-20 GeV, r = 1%,
                                                                 L = R = 10, s = 5) as an explicit window table and print
                                                                 each window's sideband and SR event counts (JSON)
    scan_window_peer.py flows ROWS [ROWS ...]                    seconds per epoch of the SPEC 1.3 MAF (H = 20) in PyTorch
                                                                 on ROWS training events, batch 256, with the validation pass
                                                                 (bench/peers/flows_peers.py's epoch, median of 3; JSON)
"""
import json
import os
import sys


def sliding(low=2.0, high=20.0, r=0.01, l=10, sr=10, s=5):
    edges = [low]
    while edges[-1] * (1 + r) <= high * (1 + 1e-12):
        edges.append(edges[-1] * (1 + r))
    out, i = [], 0
    while s * i + 2 * l + sr < len(edges):
        k = s * i
        out.append((edges[k], edges[k + l], edges[k + l + sr], edges[k + 2 * l + sr]))
        i += 1
    return out


def main():
    if sys.argv[1] == "windows":
        import csv
        with open(sys.argv[2]) as f:
            mass = [float(row["dimu_mass"]) for row in csv.DictReader(f)]
        windows = sliding()
        picked = [int(a) for a in sys.argv[4:]]
        sizes = []
        with open(sys.argv[3], "w") as f:
            f.write("sbl_low,sr_low,sr_high,sbh_high\n")
            for i in picked:
                a, b, c, d = windows[i]
                f.write(f"{a!r},{b!r},{c!r},{d!r}\n")
                sizes.append({"window": i, "sr": f"{b:.3f}-{c:.3f}", "sideband": sum(a <= m < b or c <= m <= d for m in mass), "signal_region": sum(b <= m < c for m in mass)})
        print(json.dumps({"windows_in_scan": len(windows), "picked": sizes}))
    elif sys.argv[1] == "flows":
        sys.path.insert(0, os.path.dirname(__file__))
        import torch
        from flows_peers import epoch_seconds
        print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                          "epoch_seconds": {rows: epoch_seconds(20, rows=int(rows)) for rows in sys.argv[2:]}}))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
