"""Writes the 10-million-row files of the format benchmark and times the Python readers of the same files.

Usage: formats_peer.py make DIR [ROWS]   # events.npz, events.npy (2-D), events-pandas.h5 (to_hdf fixed), events-h5py.h5 (1-D
                                         # columns), events.csv; FastAD's convert makes the Parquet and Feather ones
       formats_peer.py read DIR          # numpy / pandas / h5py reading each file, best of 3, seconds, rows/s, MB/s
Debian's python3-numpy, python3-pandas, python3-tables, python3-h5py (pyarrow is not packaged: no Parquet/Feather peer).
"""
import os, sys, time
import numpy as np

NAMES = ["mjj", "mj1", "dmj", "tau21j1", "tau21j2", "label"]


def make(folder, rows):
    import h5py, pandas as pd
    rng = np.random.default_rng(1)
    cols = {n: rng.standard_normal(rows) * 100 + 300 for n in NAMES[:-1]}
    cols["label"] = (rng.random(rows) < 0.01).astype(np.float64)
    np.savez(os.path.join(folder, "events.npz"), **cols)
    np.save(os.path.join(folder, "events.npy"), np.stack([cols[n] for n in NAMES], axis=1))
    df = pd.DataFrame(cols)
    df.to_hdf(os.path.join(folder, "events-pandas.h5"), key="df", mode="w", format="fixed")
    with h5py.File(os.path.join(folder, "events-h5py.h5"), "w") as f:
        for n in NAMES:
            f.create_dataset(n, data=cols[n])
    df.to_csv(os.path.join(folder, "events.csv"), index=False)


def best(f, runs=3):
    times = []
    for _ in range(runs):
        t = time.perf_counter(); rows = f(); times.append(time.perf_counter() - t)
    return min(times), rows


def read(folder):
    import h5py, pandas as pd
    readers = {
        "events.npz": ("numpy np.load (all members)", lambda p: len(dict(np.load(p))["mjj"])),
        "events.npy": ("numpy np.load", lambda p: len(np.load(p))),
        "events-pandas.h5": ("pandas read_hdf", lambda p: len(pd.read_hdf(p, "df"))),
        "events-h5py.h5": ("h5py, every dataset [:]", lambda p: len({k: v[:] for k, v in h5py.File(p, "r").items()}["mjj"])),
        "events.csv": ("pandas read_csv", lambda p: len(pd.read_csv(p))),
    }
    for name, (what, f) in readers.items():
        path = os.path.join(folder, name)
        seconds, rows = best(lambda: f(path), runs=1 if name.endswith(".csv") else 3)
        mb = os.path.getsize(path) / 1e6
        print(f"{name:18s} {what:30s} {seconds:7.2f} s  {rows / seconds / 1e6:7.1f} M rows/s  {mb / seconds:7.0f} MB/s  ({mb:.0f} MB)")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 10_000_000)
    else:
        read(sys.argv[2])
