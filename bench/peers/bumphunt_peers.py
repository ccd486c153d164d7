#!/usr/bin/env python3
"""Python peers of `fastad toys` / `fastad bumphunt`: the SPEC 1.6 profile-likelihood test with
scipy's Nelder-Mead on raw-GeV coefficients (as the reference code hep-lbdl/dimuonAD does) and with
iminuit's MIGRAD, on the same binning, likelihood and toys. Prints one JSON object.

Run with Debian's python3 (python3-scipy, python3-iminuit, python3-numpy, libopenblas0-pthread):
    /usr/bin/python3 bench/peers/bumphunt_peers.py [--toys N] [--data data/cms-dimuon-2016h/cut_masses.csv]
"""
import argparse
import json
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln
from scipy.stats import norm

SB_LOW, SR_LOW, SR_HIGH, SB_HIGH = 5.0, 9.0, 10.6, 16.0


def binning(num_bins_sr=12):
    sr = np.linspace(SR_LOW, SR_HIGH, num_bins_sr)
    w = sr[1] - sr[0]
    left = np.arange(SR_LOW, SB_LOW - w, -w)[::-1]
    if left[0] < SB_LOW:
        left = left[1:]
    right = np.arange(SR_HIGH, SB_HIGH + w, w)
    if right[-1] > SB_HIGH:
        right = right[:-1]
    centres = np.concatenate([0.5 * (left[1:] + left[:-1]), 0.5 * (right[1:] + right[:-1])])
    return left, right, centres, w


def spectrum(masses, left, right):
    n_left, _ = np.histogram(masses[masses < SR_LOW], bins=left)
    n_right, _ = np.histogram(masses[masses > SR_HIGH], bins=right)
    n_sr = np.count_nonzero((masses > SR_LOW) & (masses < SR_HIGH))
    return np.concatenate([n_left, n_right]).astype(float), float(n_sr)


def poly(theta, x):
    return sum(t * x ** i for i, t in enumerate(theta))


def sr_integral(theta, w):
    return sum(t / (i + 1) * (SR_HIGH ** (i + 1) - SR_LOW ** (i + 1)) for i, t in enumerate(theta)) / w


def pois_logpmf(n, lam):
    """ln Pois(n | lam) with ln Gamma; lam < 0 is infeasible (f >= 0 at the bin centres, SPEC 1.6)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(lam > 0, n * np.log(lam) - lam - gammaln(n + 1), np.where((lam == 0) & (n == 0), 0.0, -np.inf))


def nll_sb(theta, centres, n):
    return -2 * np.sum(pois_logpmf(n, poly(theta, centres)))


def nll_null(theta, centres, n, n_sr, w):
    return nll_sb(theta, centres, n) - 2 * pois_logpmf(n_sr, sr_integral(theta, w))


def nelder_mead_fits(centres, n, n_sr, w, degree, start=None):
    """Two fits as in the reference: the null fit, then the sideband fit started from it.
    Returns q0, S, B, -2lnL0, -2lnL1."""
    if start is None:
        start = [(n.sum() + n_sr) / (len(centres) + 11)] + [0] * degree
    f0 = minimize(lambda t: nll_null(t, centres, n, n_sr, w), start, method="Nelder-Mead", options={"maxiter": 15090})
    f1 = minimize(lambda t: nll_sb(t, centres, n), f0.x, method="Nelder-Mead", options={"maxiter": 15090})
    b = sr_integral(f1.x, w)
    l1 = f1.fun - 2 * pois_logpmf(n_sr, max(n_sr, b))
    q0 = f0.fun - l1
    return (0.0 if (n_sr - b < 0 or q0 < 0) else q0), n_sr - b, b, float(f0.fun), float(l1)


def q0_nelder_mead(centres, n, n_sr, w, degree):
    return nelder_mead_fits(centres, n, n_sr, w, degree)[:3]


def q0_iminuit(centres, n, n_sr, w, degree):
    from iminuit import Minuit
    start = [(n.sum() + n_sr) / (len(centres) + 11)] + [0] * degree

    def run(fcn, x0):
        m = Minuit(fcn, x0)
        m.errordef = Minuit.LIKELIHOOD * 2  # -2 ln L
        m.migrad()
        return np.array(m.values), m.fval

    x0, v0 = run(lambda t: nll_null(t, centres, n, n_sr, w), start)
    x1, v1 = run(lambda t: nll_sb(t, centres, n), x0)
    b = sr_integral(x1, w)
    l1 = v1 - 2 * pois_logpmf(n_sr, max(n_sr, b))
    q0 = v0 - l1
    return (0.0 if (n_sr - b < 0 or q0 < 0) else q0), n_sr - b, b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/cms-dimuon-2016h/cut_masses.csv")
    ap.add_argument("--toys", type=int, default=50)
    ap.add_argument("--degree", type=int, default=5)
    ap.add_argument("--all-cuts", action="store_true",
                    help="Nelder-Mead -2lnL0, -2lnL1 and Z for every selection of the file (reference start: events / 75 bins)")
    args = ap.parse_args()
    if args.all_cuts:
        import csv
        rows = {}
        for r in csv.DictReader(open(args.data)):
            rows.setdefault((r["selection"], r["fpr"]), []).append(float(r["dimu_mass"]))
        left, right, centres, w = binning()
        result = {}
        for (sel, fpr), m in sorted(rows.items()):
            m = np.array(m)
            n, n_sr = spectrum(m, left, right)
            start = [len(m) / 75.0] + [0] * args.degree   # the reference's average_bin_count start
            q0, s_, b, l0, l1 = nelder_mead_fits(centres, n, n_sr, w, args.degree, start)
            result[f"{sel} {fpr}"] = {"S": s_, "B": b, "Z": float(np.sqrt(q0)), "m2lnL0": l0, "m2lnL1": l1}
        print(json.dumps(result, indent=1))
        return

    import csv
    masses = np.array([float(r["dimu_mass"]) for r in csv.DictReader(open(args.data))
                       if r["selection"] == "os_cathode" and r["fpr"] == "1"])
    left, right, centres, w = binning()
    n, n_sr = spectrum(masses, left, right)
    out = {"numpy": np.__version__}
    import scipy
    out["scipy"] = scipy.__version__
    try:
        import iminuit
        out["iminuit"] = iminuit.__version__
    except ImportError:
        out["iminuit"] = None

    q0, s, b = q0_nelder_mead(centres, n, n_sr, w, args.degree)
    out["data_nelder_mead"] = {"S": s, "B": b, "Z": float(np.sqrt(q0))}
    if out["iminuit"]:
        q0, s, b = q0_iminuit(centres, n, n_sr, w, args.degree)
        out["data_iminuit"] = {"S": s, "B": b, "Z": float(np.sqrt(q0))}

    # Toys around the null fit of the data (same generating model as `fastad toys`).
    start = [(n.sum() + n_sr) / (len(centres) + 11)] + [0] * args.degree
    theta = minimize(lambda t: nll_null(t, centres, n, n_sr, w), start, method="Nelder-Mead", options={"maxiter": 15090}).x
    mu, mu_sr = poly(theta, centres), sr_integral(theta, w)
    rng = np.random.default_rng(1)
    toys = [(rng.poisson(mu).astype(float), float(rng.poisson(mu_sr))) for _ in range(args.toys)]
    for name, fn in [("nelder_mead", q0_nelder_mead), ("iminuit", q0_iminuit)]:
        if name == "iminuit" and not out["iminuit"]:
            continue
        t0 = time.perf_counter()
        q = [fn(centres, tn, tsr, w, args.degree)[0] for tn, tsr in toys]
        dt = time.perf_counter() - t0
        z = np.sqrt(np.array(q))
        # The null calibration of each minimiser (asymptotic: P(Z = 0) = 0.5, 84% quantile 0.99, 97.5% 1.96, P(Z >= 2) = 0.023).
        out[f"toys_{name}"] = {"toys": args.toys, "seconds": dt, "toys_per_second": args.toys / dt,
                               "seconds_per_toy": dt / args.toys, "fraction_q0_zero": float(np.mean(z == 0)),
                               "z_quantiles": {"50%": float(np.quantile(z, 0.5)), "84%": float(np.quantile(z, 0.84)), "97.5%": float(np.quantile(z, 0.975))},
                               "fraction_z_ge_2": float(np.mean(z >= 2))}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
