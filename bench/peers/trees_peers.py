#!/usr/bin/env python3
"""Python peers of the Trees engine: out-of-fold AUC (5 folds, row i in fold i % 5) of XGBoost 1.7
("hist") and scikit-learn 1.2 HistGradientBoostingClassifier with the hyperparameters FastAD's tests
use, on (a) a fixed seeded synthetic task and (b) the real CMS features; optionally the wall time of
the CATHODE-sized ensemble (5 folds x N models). Prints one JSON object; the AUCs are kept as test
constants in tests/FastAD.Trees.Tests/PeerAucTests.cs.

    /usr/bin/python3 bench/peers/trees_peers.py [--write-synthetic] [--ensemble-models 100]
"""
import argparse
import csv
import json
import time

import numpy as np

SYNTHETIC = "data/synthetic/trees_task.csv"
CMS = "data/cms-dimuon-2016h/sr_os_features_no_isolation.csv"


def write_synthetic(path=SYNTHETIC, n=20000, seed=20261122):
    """Two overlapping classes in 4 features with a nonlinear boundary and 5% missing values in x3."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    x0 = rng.normal(0, 1, n) + 0.8 * y
    x1 = rng.normal(0, 1, n) * (1 + 0.5 * y)
    x2 = rng.exponential(1.0, n) + 0.5 * y * (x0 > 0)
    x3 = rng.normal(0, 1, n) + 0.6 * y * np.sin(2 * x1)
    x3[rng.random(n) < 0.05] = np.nan
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x0", "x1", "x2", "x3", "label"])
        for row in zip(x0, x1, x2, x3, y):
            w.writerow([repr(float(v)) if i < 4 else int(v) for i, v in enumerate(row)])


def load_synthetic():
    d = np.genfromtxt(SYNTHETIC, delimiter=",", names=True)
    return np.column_stack([d["x0"], d["x1"], d["x2"], d["x3"]]), d["label"].astype(int)


def load_cms():
    d = np.genfromtxt(CMS, delimiter=",", names=True)
    y = ((d["mu0_iso04"] >= 0.55) & (d["mu1_iso04"] >= 0.55)).astype(int)
    return np.column_stack([d["dimu_pt"], d["mu0_ip3d"], d["mu1_ip3d"]]), y


def oof_auc(make, x, y, folds=5):
    from sklearn.metrics import roc_auc_score
    pred = np.zeros(len(y))
    fold = np.arange(len(y)) % folds
    for k in range(folds):
        m = make()
        m.fit(x[fold != k], y[fold != k])
        pred[fold == k] = m.predict_proba(x[fold == k])[:, 1]
    return float(roc_auc_score(y, pred))


def xgb(rounds=100, depth=3, nthread=2, subsample=1.0, seed=0):
    import xgboost
    return lambda: xgboost.XGBClassifier(n_estimators=rounds, max_depth=depth, learning_rate=0.1, tree_method="hist",
                                         max_bin=256, reg_lambda=1.0, min_child_weight=1.0, subsample=subsample,
                                         n_jobs=nthread, random_state=seed, eval_metric="logloss")


def hgb(rounds=100, leaves=31):
    from sklearn.ensemble import HistGradientBoostingClassifier
    return lambda: HistGradientBoostingClassifier(max_iter=rounds, learning_rate=0.1, max_leaf_nodes=leaves, min_samples_leaf=20,
                                                  l2_regularization=0.0, max_bins=255, early_stopping=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-synthetic", action="store_true")
    ap.add_argument("--ensemble-models", type=int, default=0, help="time 5 folds x N models on a CATHODE-sized task")
    args = ap.parse_args()
    if args.write_synthetic:
        write_synthetic()
    import sklearn
    import xgboost
    out = {"xgboost": xgboost.__version__, "sklearn": sklearn.__version__}
    for name, loader in [("synthetic", load_synthetic), ("cms", load_cms)]:
        x, y = loader()
        out[name] = {"rows": int(len(y)), "positives": int(y.sum()),
                     "xgboost_depthwise_auc": oof_auc(xgb(), x, y),
                     "sklearn_leafwise_auc": oof_auc(hgb(), x, y)}
    if args.ensemble_models:
        # CATHODE-sized: 1.7k "data" + 8.5k "sample" rows, 3 features; per fold 3/5 train, 1/5 validation.
        rng = np.random.default_rng(5)
        n1, n0 = 1700, 8500
        x = np.vstack([rng.normal(0.1, 1, (n1, 3)), rng.normal(0, 1, (n0, 3))])
        y = np.concatenate([np.ones(n1, int), np.zeros(n0, int)])
        fold = np.arange(len(y)) % 5
        import xgboost as xg
        from sklearn.ensemble import HistGradientBoostingClassifier
        t = {}
        for name in ["xgboost", "sklearn"]:
            t0 = time.perf_counter()
            for k in range(5):
                tr = (fold != k) & (fold != (k - 1) % 5)
                va = fold == (k - 1) % 5
                w = np.where(y[tr] == 1, n0 / n1, 1.0)
                for s in range(args.ensemble_models):
                    if name == "xgboost":
                        m = xg.XGBClassifier(n_estimators=300, max_depth=3, learning_rate=0.1, subsample=0.7, tree_method="hist",
                                             n_jobs=2, random_state=s, early_stopping_rounds=10, eval_metric="logloss")
                        m.fit(x[tr], y[tr], sample_weight=w, eval_set=[(x[va], y[va])], verbose=False)
                    else:
                        m = HistGradientBoostingClassifier(max_iter=300, max_depth=3, learning_rate=0.1, early_stopping=True,
                                                           n_iter_no_change=10, random_state=s)
                        m.fit(x[tr], y[tr], sample_weight=w)
            t[name] = time.perf_counter() - t0
        out["ensemble"] = {"models": 5 * args.ensemble_models, "seconds": t}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
