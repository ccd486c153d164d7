#!/usr/bin/python3
"""Expected separation power of the synthetic dimuon sample (docs/DATA.md, "Bump hunt and separation").

Re-implements the generator's model in numpy (constants of src/Data/Synthetic/DimuonGenerator.cs), draws a sample K
times the default OS size, and runs the SPEC 1.6 bump hunt (degree 5, 12 SR boundaries) after cuts at SB-defined
false-positive rates: on the true likelihood ratio (an upper bound for any classifier) and on single features. Z is
divided by sqrt(K): an Asimov-like expectation for one default-size sample. Needs numpy and scipy.
    /usr/bin/python3 scripts/dimuon_separation.py [K=40] [seed=3]
"""
import sys
import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln

K = int(sys.argv[1]) if len(sys.argv) > 1 else 40
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 3

# ---- SPEC 1.6 bump hunt (Legendre basis: the same degree-5 polynomial family as raw-GeV coefficients) -----------
w = 1.6 / 11
sbl = np.array([9 - k * w for k in range(40) if 9 - k * w >= 5 - 1e-12][::-1])
sbh = np.array([10.6 + k * w for k in range(60) if 10.6 + k * w <= 16 + 1e-12])
centres = np.concatenate([(sbl[:-1] + sbl[1:]) / 2, (sbh[:-1] + sbh[1:]) / 2])
basis = lambda x: np.polynomial.legendre.legvander((np.asarray(x) - 10.5) / 5.5, 5)
tt = np.linspace(9, 10.6, 2001)
B_SR = np.trapz(basis(tt), tt, axis=0) / w
B_C = basis(centres)
pois = lambda n, l: -2 * (n * np.log(l) - l - gammaln(n + 1))

def bump_hunt(m):
    n = np.concatenate([np.histogram(m, sbl)[0], np.histogram(m, sbh)[0]]).astype(float)
    nsr = float(np.sum((m > 9) & (m < 10.6)))
    def sb(th):
        f = B_C @ th
        return 1e18 if np.any(f <= 0) else np.sum(pois(n, f))
    th0 = np.zeros(6); th0[0] = n.mean()
    th = minimize(sb, th0, method="Nelder-Mead", options={"maxiter": 20000, "xatol": 1e-8, "fatol": 1e-8}).x
    th = minimize(sb, th, method="Powell", options={"maxiter": 20000, "xtol": 1e-8, "ftol": 1e-10}).x
    b = B_SR @ th
    if nsr - b < 0: return 0.0, nsr - b, b
    l1 = sb(th) + pois(nsr, nsr)
    nll0 = lambda t: 1e18 if B_SR @ t <= 0 else sb(t) + pois(nsr, B_SR @ t)
    l0 = minimize(nll0, th, method="Powell", options={"maxiter": 20000, "xtol": 1e-8, "ftol": 1e-10}).fun
    return np.sqrt(max(l0 - l1, 0)), nsr - b, b

# ---- the generator's model ---------------------------------------------------------------------------------------
grid = np.linspace(5, 16, 8193)
def cdf(c):
    q = np.exp(np.polynomial.polynomial.polyval((grid - 10.5) / 5.5, np.concatenate([[0], c])))
    F = np.concatenate([[0], np.cumsum((q[1:] + q[:-1]) / 2 * np.diff(grid))]); return F / F[-1]
F_H = cdf([-0.65252113, 0.17551616, -0.06608654]); F_O = cdf([-1.10030204, 0.62842058, 0.47427612])
UPS = np.array([9.4603, 10.0233, 10.3552]); YIELD = np.array([1, 0.28, 0.15]) / 1.43
H = dict(pt=(2.808924, 0.756030, 0.942339, 0.000101), ip0=(-4.409445, 1.631359, 0.824929, 0.000188), ip1=(-4.225807, 1.817118, 0.759614, 0.000160))
R = np.array([[1, -0.049933, 0.005042], [-0.049933, 1, 0.029843], [0.005042, 0.029843, 1]])
PROMPT = ((np.log(0.0017), 0.80), (np.log(0.0025), 0.75)); DY_PT = (2.6, 0.7); UPS_PT = (np.log(50), 0.45)
sa = lambda z, d, e: np.sinh(d * np.arcsinh(z) - e)

def generate(rng, n_h, n_o, n_s):
    n_dy = int(round(0.05 * n_o)); n_bb = n_o - n_dy
    mass = np.concatenate([np.interp(rng.random(n_h), F_H, grid), np.interp(rng.random(n_o), F_O, grid),
                           UPS[rng.choice(3, n_s, p=YIELD)] * (1 + 0.01 * rng.standard_normal(n_s))])
    comp = np.concatenate([np.zeros(n_h + n_bb, int), np.ones(n_dy, int), np.full(n_s, 2)])
    z = rng.standard_normal((len(mass), 3)); zc = z @ np.linalg.cholesky(R).T; dm = mass - 10
    x = np.empty((len(mass), 3)); d = comp == 0
    x[d, 0] = 22 + np.exp(H["pt"][0] - 0.03 * dm[d] + H["pt"][1] * sa(zc[d, 0], *H["pt"][2:]))
    for j, k in ((1, "ip0"), (2, "ip1")):
        x[d, j] = np.exp(H[k][0] + 0.08 * dm[d] + H[k][1] * sa(zc[d, j], *H[k][2:]))
    for c, (mu, s) in ((1, DY_PT), (2, UPS_PT)):
        m = comp == c
        x[m, 0] = 22 + np.exp(mu + s * z[m, 0])
        for j in (1, 2): x[m, j] = np.exp(PROMPT[j - 1][0] + PROMPT[j - 1][1] * z[m, j])
    return mass, x

def lnorm(v, mu, s): return -0.5 * ((np.log(v) - mu) / s) ** 2 - np.log(v * s)

def log_lr(x, mass):
    """ln p_signal(x) - ln p_background(x | m), the background being displaced + 5% of the OS-only part prompt."""
    pt = x[:, 0] - 22; dm = mass - 10
    ls = lnorm(pt, *UPS_PT) + lnorm(x[:, 1], *PROMPT[0]) + lnorm(x[:, 2], *PROMPT[1])
    # Displaced density by the change of variables through the sinh-arcsinh transform.
    def inv(v, mu, s, d, e):
        y = (v - mu) / s; z = np.sinh((np.arcsinh(y) + e) / d)
        return z, np.log(np.cosh((np.arcsinh(y) + e) / d) / (d * s * np.sqrt(1 + y * y)))
    z0, j0 = inv(np.log(pt) + 0.03 * dm, *H["pt"]); z1, j1 = inv(np.log(x[:, 1]) - 0.08 * dm, *H["ip0"]); z2, j2 = inv(np.log(x[:, 2]) - 0.08 * dm, *H["ip1"])
    zz = np.vstack([z0, z1, z2]).T; Ri = np.linalg.inv(R)
    # Gaussian copula density times the Jacobians; like lnorm, every term leaves out the common -1.5 ln(2 pi).
    lh = -0.5 * np.einsum("ij,jk,ik->i", zz, Ri, zz) - 0.5 * np.log(np.linalg.det(R)) + j0 + j1 + j2 - np.log(pt * x[:, 1] * x[:, 2])
    ld = lnorm(pt, *DY_PT) + lnorm(x[:, 1], *PROMPT[0]) + lnorm(x[:, 2], *PROMPT[1])
    f_dy = 0.05 * 607.8 / 1596.3
    return ls - np.logaddexp(np.log(1 - f_dy) + lh, np.log(f_dy) + ld)

FPRS = [1, 0.5, 0.25, 0.15, 0.1, 0.075, 0.05, 0.03, 0.02, 0.01]
def scan(mass, score):
    sb = (mass < 9) | (mass >= 10.6); rows = []
    for f in FPRS:
        cut = np.quantile(score[sb], 1 - f) if f < 1 else -np.inf
        z, s, b = bump_hunt(mass[score >= cut]); rows.append((f, round(z / np.sqrt(K), 2), round(s / K, 1), round(b / K, 1)))
    return rows

rng = np.random.default_rng(SEED)
mass, x = generate(rng, 7168 * K, (12332 - 97 - 7168) * K, 97 * K)
for name, score in (("likelihood ratio", log_lr(x, mass)), ("mu0_ip3d low", -x[:, 1]), ("mu1_ip3d low", -x[:, 2]), ("dimu_pt high", x[:, 0])):
    print(f"{name:17s} (FPR, Z, S, B per default sample):", scan(mass, score), flush=True)
