#!/usr/bin/env python3
"""Python reference rate of CATHODE pseudoexperiments with full BDT retraining (as hep-lbdl/dimuonAD does them):
per pseudoexperiment, bootstrap the OS data (same size, with replacement); train the SPEC 1.5 ensemble with XGBoost
(5 folds x 100 models, hist, depth 3, learning rate 0.1, subsample 0.7, up to 300 rounds with early stopping after
10 on the validation fold, class weight N0/N1; SR data against background samples); score every data event out of
fold; then the 25-point FPR scan, each point fitted twice with scipy Nelder-Mead as the reference does
(bench/peers/bumphunt_peers.py), plus the two fits of the reweighted significance. The background samples stand in
for the flows' SR samples: SR events of a background-only generated sample, 10x the SR data (FastAD's chain pools the
training and validation sample sets of 5 flows, each about as large as the SR data).

    fastad generate dimuon --out os.csv --seed 1
    fastad generate dimuon --out bkg.csv --seed 2 --events 150000 --signal-fraction 0
    /usr/bin/python3 bench/peers/pseudo_peer.py --data os.csv --background bkg.csv --n 2 [--models 100] [--procedure rows|weights]

--procedure rows (default) resamples rows and splits the resampled rows into folds, as the reference does (copies of one
event can land in the training and the validation/test folds). --procedure weights is FastAD's procedure: every drawn
event enters once with its multiplicity as XGBoost sample weight, and the folds split distinct events.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from bumphunt_peers import SR_HIGH, SR_LOW, binning, nelder_mead_fits, spectrum  # noqa: E402

FEATURES = ["dimu_pt", "mu0_ip3d", "mu1_ip3d"]
ROUNDS = []  # boosting rounds trained by each model (early stopping included)


def load(path):
    import csv
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return np.array([float(r["dimu_mass"]) for r in rows]), np.array([[float(r[c]) for c in FEATURES] for r in rows])


def pseudo(mass, x, samples, rng, models, nthread, procedure):
    import xgboost as xg
    idx = rng.integers(0, len(mass), len(mass))
    if procedure == "weights":
        counts = np.bincount(idx, minlength=len(mass)).astype(float)
        keep = counts > 0
        m, f, k = mass[keep], x[keep], counts[keep]
    else:
        m, f, k = mass[idx], x[idx], np.ones(len(idx))
    sr = (m > SR_LOW) & (m < SR_HIGH)
    sb = ~sr
    n_sr, n_sb, n_s = sr.sum(), sb.sum(), len(samples)
    parts_sr = rng.permutation(n_sr) % 5
    parts_sb = rng.permutation(n_sb) % 5
    parts_s = rng.permutation(n_s) % 5
    x_sr, x_sb = f[sr], f[sb]
    k_sr, k_sb = k[sr], k[sb]
    score_sr, score_sb = np.zeros(n_sr), np.zeros(n_sb)
    for k in range(5):
        v = (k - 1) % 5
        tr_sr, tr_s = (parts_sr != k) & (parts_sr != v), (parts_s != k) & (parts_s != v)
        xt = np.vstack([x_sr[tr_sr], samples[tr_s]])
        yt = np.concatenate([np.ones(tr_sr.sum()), np.zeros(tr_s.sum())])
        kt = np.concatenate([k_sr[tr_sr], np.ones(tr_s.sum())])
        xv = np.vstack([x_sr[parts_sr == v], samples[parts_s == v]])
        yv = np.concatenate([np.ones((parts_sr == v).sum()), np.zeros((parts_s == v).sum())])
        kv = np.concatenate([k_sr[parts_sr == v], np.ones((parts_s == v).sum())])
        w1 = tr_s.sum() / k_sr[tr_sr].sum()
        wt, wv = np.where(yt == 1, w1, 1.0) * kt, np.where(yv == 1, w1, 1.0) * kv
        acc_sr, acc_sb = np.zeros((parts_sr == k).sum()), np.zeros((parts_sb == k).sum())
        for s in range(models):
            b = xg.XGBClassifier(n_estimators=300, max_depth=3, learning_rate=0.1, subsample=0.7, tree_method="hist", n_jobs=nthread,
                                 random_state=s, early_stopping_rounds=10, eval_metric="logloss")
            b.fit(xt, yt, sample_weight=wt, eval_set=[(xv, yv)], sample_weight_eval_set=[wv], verbose=False)
            ROUNDS.append(b.get_booster().num_boosted_rounds())
            acc_sr += b.predict_proba(x_sr[parts_sr == k])[:, 1]
            acc_sb += b.predict_proba(x_sb[parts_sb == k])[:, 1]
        score_sr[parts_sr == k] = acc_sr / models
        score_sb[parts_sb == k] = acc_sb / models
    left, right, centres, w = binning(12)
    # The statistics count every copy of an event.
    masses = np.repeat(np.concatenate([m[sr], m[sb]]), np.concatenate([k_sr, k_sb]).astype(int))
    scores = np.repeat(np.concatenate([score_sr, score_sb]), np.concatenate([k_sr, k_sb]).astype(int))
    sb_scores = np.repeat(score_sb, k_sb.astype(int))
    best = 0.0
    for fpr in np.logspace(0, -3, 25):
        cut = np.quantile(sb_scores, 1 - fpr) if fpr < 1 else -np.inf
        n, n_in = spectrum(masses[scores >= cut], left, right)
        q0 = nelder_mead_fits(centres, n, n_in, w, 5)[0]
        best = max(best, float(np.sqrt(q0)))
    # The reweighted significance: two more fits of the same cost on the whole spectrum.
    n, n_in = spectrum(masses, left, right)
    nelder_mead_fits(centres, n, n_in, w, 5)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--background", required=True)
    ap.add_argument("--n", type=int, default=2)
    ap.add_argument("--models", type=int, default=100)
    ap.add_argument("--nthread", type=int, default=2)
    ap.add_argument("--procedure", choices=["rows", "weights"], default="rows")
    args = ap.parse_args()
    mass, x = load(args.data)
    bm, bx = load(args.background)
    in_sr = (bm > SR_LOW) & (bm < SR_HIGH)
    n_data_sr = int(((mass > SR_LOW) & (mass < SR_HIGH)).sum())
    samples = bx[in_sr][: 10 * n_data_sr]
    if len(samples) < 10 * n_data_sr:
        sys.exit(f"--background has {len(samples)} SR events; 10x the {n_data_sr} SR data events are needed (generate more events)")
    rng = np.random.default_rng(1)
    times, zs = [], []
    for _ in range(args.n):
        t0 = time.perf_counter()
        zs.append(pseudo(mass, x, samples, rng, args.models, args.nthread, args.procedure))
        times.append(time.perf_counter() - t0)
    import xgboost
    print(json.dumps({"xgboost": xgboost.__version__, "nthread": args.nthread, "procedure": args.procedure, "models_per_pseudo": 5 * args.models,
                      "samples": len(samples), "mean_rounds_trained": float(np.mean(ROUNDS)), "seconds_per_pseudo": times, "per_hour": 3600 / float(np.mean(times)), "max_z": zs}, indent=1))


if __name__ == "__main__":
    main()
