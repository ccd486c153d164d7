#!/usr/bin/python3
"""Fits the constants of the synthetic dimuon generator (src/Data/Synthetic/DimuonGenerator.cs) to the
CMS reference data in data/cms-dimuon-2016h, as documented in docs/DATA.md ("Generators").

Needs numpy and scipy (Debian's python3-numpy / python3-scipy). Run from the repository root:
    /usr/bin/python3 scripts/fit_dimuon_generator.py
Prints the mass-shape coefficients and the displaced-background feature constants, then the KS
distances of a large generated SR sample against the 1692 real anti-isolated SR events.
"""
import numpy as np
from scipy.optimize import minimize
from scipy.stats import spearmanr

DATA = "data/cms-dimuon-2016h"
feat = np.genfromtxt(f"{DATA}/sr_os_features_no_isolation.csv", delimiter=",", names=True)
anti = feat[(feat["mu0_iso04"] >= 0.55) & (feat["mu1_iso04"] >= 0.55)]
iso = feat[~((feat["mu0_iso04"] >= 0.55) & (feat["mu1_iso04"] >= 0.55))]
cuts = np.genfromtxt(f"{DATA}/cut_masses.csv", delimiter=",", names=True, dtype=None, encoding=None)
os_m = cuts["dimu_mass"][(cuts["selection"] == "os_cathode") & (cuts["fpr"] == 1)]
ss_m = cuts["dimu_mass"][(cuts["selection"] == "ss_cathode") & (cuts["fpr"] == 1)]

# ---- 1. Mass shapes exp(c1 t + c2 t^2 + c3 t^3), t = (m - 10.5)/5.5 on [5, 16] ---------------------------
NS, NH = 97, 7168            # Υ events in the OS sample; hadron decays (= the SS sample size)
NO = 12332 - NS - NH         # OS-only background
MU = np.array([9.4603, 10.0233, 10.3552]); FR = np.array([1, 0.28, 0.15]); FR /= FR.sum()
grid = np.linspace(5, 16, 4001)

def shape(c, x):
    return np.exp(np.polynomial.polynomial.polyval((x - 10.5) / 5.5, np.concatenate([[0], c])))

def norm(c):
    return np.trapz(shape(c, grid), grid)

def bands(c):
    p = shape(c, grid) / norm(c)
    cdf = np.concatenate([[0], np.cumsum((p[1:] + p[:-1]) / 2 * np.diff(grid))])
    a, b = np.interp([9, 10.6], grid, cdf)
    return np.array([a, b - a, 1 - b])

def psig(x):
    return sum(f * np.exp(-0.5 * ((x - mu) / (0.01 * mu)) ** 2) / (np.sqrt(2 * np.pi) * 0.01 * mu) for f, mu in zip(FR, MU))

def nll_h(c):
    return -(np.sum(np.log(shape(c, ss_m))) - len(ss_m) * np.log(norm(c)))

def nll_o(c, cH):
    pH = shape(cH, os_m) / norm(cH); pO = shape(c, os_m) / norm(c)
    return -np.sum(np.log((NH * pH + NO * pO + NS * psig(os_m)) / 12332))

# Unbinned likelihood plus a penalty that holds the expected band counts at the published ones
# (SS 3868/989/2311; OS background 6924/1595/3716, the SR being 1692 minus the 97 Υ).
tH = np.array([3868, 989, 2311]); tO = np.array([6924, 1692 - NS, 3716])
cH = minimize(nll_h, np.zeros(3), method="BFGS").x
cH = minimize(lambda c: nll_h(c) + 50 * np.sum((NH * bands(c) - tH) ** 2 / tH), cH, method="Nelder-Mead",
              options={"maxiter": 4000, "xatol": 1e-7, "fatol": 1e-7}).x
cO = minimize(lambda c: nll_o(c, cH), np.zeros(3), method="BFGS").x
cO = minimize(lambda c: nll_o(c, cH) + 50 * np.sum((NH * bands(cH) + NO * bands(c) - tO) ** 2 / tO), cO, method="Nelder-Mead",
              options={"maxiter": 4000, "xatol": 1e-7, "fatol": 1e-7}).x
print("hadron-decay mass shape", np.round(cH, 8), "bands", np.round(NH * bands(cH), 1))
print("OS-only mass shape     ", np.round(cO, 8), "OS background bands", np.round(NH * bands(cH) + NO * bands(cO), 1))

# ---- 2. Prompt muons: sideband-subtracted isolated Υ(1S) peak -----------------------------------------
def win(x, lo, hi):
    return x[(x["dimu_mass"] >= lo) & (x["dimu_mass"] < hi)]

peak = win(iso, 9.36, 9.56); side = np.concatenate([win(iso, 9.06, 9.16), win(iso, 9.76, 9.86)])
for c in ["mu0_ip3d", "mu1_ip3d"]:
    lp, ls = np.log(peak[c]), np.log(side[c])
    g = np.linspace(min(lp.min(), ls.min()), max(lp.max(), ls.max()), 400)
    F = (np.searchsorted(np.sort(lp), g) - np.searchsorted(np.sort(ls), g)) / (len(lp) - len(ls))
    q = [np.exp(g[np.searchsorted(F, p)]) for p in (0.1, 0.25, 0.5, 0.75, 0.9)]
    print(f"prompt {c} quantiles 10/25/50/75/90%:", np.round(q, 4))
# Rounded choices used by the generator (log-normal): median 0.0017 / 0.0025 cm, sigma 0.80 / 0.75.
P = dict(P_ip0=np.log(0.0017), P_sip0=0.80, P_ip1=np.log(0.0025), P_sip1=0.75,
         S_pt=np.log(50.0), S_spt=0.45, D_pt=2.6, D_spt=0.7, fDY=0.05, b_pt=-0.03, b_ip=0.08)

# ---- 3. Displaced background features: quantile matching to the real SR (94% background) -----------------
PT0 = 22.0
real = np.vstack([anti["dimu_pt"], anti["mu0_ip3d"], anti["mu1_ip3d"]]).T
realm = anti["dimu_mass"]
nH_sr, nO_sr, nS_sr = 988.5, 607.8, 97.0   # expected SR composition of the default OS sample

def sa(z, d, e):
    return np.sinh(d * np.arcsinh(z) - e)

def chol(r01, rp0, rp1):
    return np.linalg.cholesky(np.array([[1, rp0, rp1], [rp0, 1, r01], [rp1, r01, 1]]))

def features(comp, mass, rng, p):
    n = len(comp); z = rng.standard_normal((n, 3)); out = np.empty((n, 3)); dm = mass - 10.0
    zc = z @ chol(p["H_r01"], p["H_rp0"], p["H_rp1"]).T
    h = comp == 0
    out[h, 0] = PT0 + np.exp(p["H_pt"] + p["b_pt"] * dm[h] + p["H_spt"] * sa(zc[h, 0], p["d_pt"], p["e_pt"]))
    out[h, 1] = np.exp(p["H_ip0"] + p["b_ip"] * dm[h] + p["H_sip0"] * sa(zc[h, 1], p["d_ip0"], p["e_ip0"]))
    out[h, 2] = np.exp(p["H_ip1"] + p["b_ip"] * dm[h] + p["H_sip1"] * sa(zc[h, 2], p["d_ip1"], p["e_ip1"]))
    for k, (mu, s) in ((1, (p["D_pt"], p["D_spt"])), (2, (p["S_pt"], p["S_spt"]))):
        m = comp == k
        out[m, 0] = PT0 + np.exp(mu + s * z[m, 0])
        out[m, 1] = np.exp(p["P_ip0"] + p["P_sip0"] * z[m, 1]); out[m, 2] = np.exp(p["P_ip1"] + p["P_sip1"] * z[m, 2])
    return out

def sample_sr(p, seed, k):
    rng = np.random.default_rng(seed); tot = int((nH_sr + nO_sr + nS_sr) * k); u = rng.random(tot)
    fS = nS_sr / (nH_sr + nO_sr + nS_sr); fP = p["fDY"] * nO_sr / (nH_sr + nO_sr + nS_sr)
    comp = np.where(u < fS, 2, np.where(u < fS + fP, 1, 0))
    return features(comp, rng.choice(realm, tot), rng, p)

def logs(x):
    y = np.log(x); y[:, 0] = np.log(x[:, 0] - PT0); return y

qs = np.linspace(0.03, 0.97, 25)
rq = np.quantile(logs(real), qs, axis=0)
rs = spearmanr(real).correlation
names = ["H_pt", "H_spt", "H_ip0", "H_sip0", "H_ip1", "H_sip1", "H_r01", "H_rp0", "H_rp1", "d_pt", "e_pt", "d_ip0", "e_ip0", "d_ip1", "e_ip1"]
start = [2.84, 0.76, -4.40, 1.63, -4.21, 1.81, 0.03, -0.05, 0.005, 0.98, 0.0, 0.83, 0.0, 0.76, 0.0]

def loss(v):
    p = dict(P); p.update(zip(names, v))
    if max(abs(p["H_r01"]), abs(p["H_rp0"]), abs(p["H_rp1"])) > 0.9: return 1e9
    x = sample_sr(p, 1, 20)
    g = spearmanr(x).correlation
    return np.sum((np.quantile(logs(x), qs, axis=0) - rq) ** 2) + 20 * sum((g[i, j] - rs[i, j]) ** 2 for i, j in ((0, 1), (0, 2), (1, 2)))

fit = minimize(loss, start, method="Nelder-Mead", options={"maxiter": 3000, "xatol": 1e-4, "fatol": 1e-6, "adaptive": True})
p = dict(P); p.update(zip(names, fit.x))
print("displaced background:", {k: round(float(p[k]), 6) for k in names}, "loss", round(fit.fun, 4))

def ks(a, b):
    a, b = np.sort(a), np.sort(b); g = np.concatenate([a, b])
    return np.max(np.abs(np.searchsorted(a, g, "right") / len(a) - np.searchsorted(b, g, "right") / len(b)))

x = sample_sr(p, 11, 10)
print("KS (10x generated SR vs real SR): ", [round(ks(x[:, j], real[:, j]), 4) for j in range(3)])
print("Spearman generated:", np.round(spearmanr(x).correlation[np.triu_indices(3, 1)], 3), "real:", np.round(rs[np.triu_indices(3, 1)], 3))
