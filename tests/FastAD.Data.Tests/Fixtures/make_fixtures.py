"""Writes the NumPy fixtures read by NpyFixtureTests (run with /usr/bin/python3; numpy only).

Every value is a formula of the row index i so the C# tests recompute them independently.
"""
import numpy as np

n = 7
i = np.arange(n)
rec = np.zeros(n, dtype=[("mass", "<f8"), ("pt", "<f4"), ("njets", "<i4"), ("event", "<i8"), ("selection", "<U10")])
rec["mass"] = 9.5 + 0.25 * i
rec["pt"] = (1.5 * i - 2).astype(np.float32)
rec["njets"] = i % 3
rec["event"] = 10_000_000_000 + i
rec["selection"] = np.where(i % 2 == 0, "os_cathode", "ss")
np.save("structured.npy", rec)

m = np.arange(12, dtype=">f8").reshape(4, 3) / 4.0  # big-endian, C order: m[r, c] = (3 r + c) / 4
np.save("bigendian_2d.npy", m)
np.save("fortran_2d.npy", np.asfortranarray(np.arange(12, dtype="<i4").reshape(4, 3)))  # value 3 r + c
np.save("plain_f4.npy", (np.arange(5, dtype=np.float32) - 2) / 8)
np.save("unsupported_i2.npy", np.arange(5, dtype=np.int16))
np.save("unsupported_c16.npy", np.arange(5, dtype=np.complex128))
with open("structured.npy", "rb") as f:
    blob = f.read()
with open("truncated.npy", "wb") as f:
    f.write(blob[:-13])
np.savez_compressed("columns.npz", x=np.linspace(0, 1, 6), label=np.array([0, 1, 1, 0, 1, 0], dtype=np.int64),
                    w=np.full(6, 0.5, dtype=np.float32))
np.savez("mismatched.npz", a=np.zeros(3), b=np.zeros(4))
