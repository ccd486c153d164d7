#!/usr/bin/env python3
"""PyTorch peer of `fastad bench --suite flows`: the SPEC 1.3 conditional MAF (pytorch-flows style MADE with a
bias-free condition layer, tanh, batch-norm flow layer, reverse permutation; 6 blocks) trained one epoch on
8,500 x 3 events with batch 256 (Adam 7.5e-4, weight decay 1e-6, clip 1.0) plus the validation pass, and sampling
100,000 events (H = 20; 20,000 at H = 128). Debian's python3-torch, 2 threads. Prints one JSON object.

Second part, the RQS MAF of SPEC 2.1 written here in torch (no nflows package; the same code as nflows'
MaskedPiecewiseRationalQuadraticAutoregressiveTransform with linear tails): 4 transforms (reverse permutation,
nflows MADE with a context layer, 2 relu layers of H = 64, outputs grouped per dimension, widths and heights divided
by sqrt(H)), 8 bins, tail bound 4; Adam 1e-3, weight decay 1e-6, clip 1.0, batch 128. Data: FastAD's
ReferenceConditionalDensity drawn with a numpy port of FastAD's Philox4x32 (the same 8,500 training and 4,000
validation events as `fastad bench --suite flows`). Reports seconds per epoch (minibatches + validation pass), the
validation NLL after 5 epochs next to the true density's NLL on the same events, and samples per second.

    /usr/bin/python3 bench/peers/flows_peers.py

Accuracy half of the comparison (as `fastad bench --suite flows`, workload "MAF log-prob"): 40 epochs on the
conditional Gaussian of FastAD.Flows.ConditionalGaussianData (8,500 training and 8,500 validation events, the
epoch with the best validation NLL kept, running batch-norm statistics from the whole training set after each
epoch), then the NLL of 100,000 test events, the true density's NLL on the same events and the excess, plus the
log-prob throughput over those events.

    /usr/bin/python3 bench/peers/flows_peers.py [--nll-epochs 40] [--skip-nll] [--repeats 3]
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# 2 threads (the comparison's setting); FLOWS_PEER_THREADS overrides it: on an oversubscribed machine OpenMP barriers
# make 2-thread torch 10-100x slower than 1 thread.
torch.set_num_threads(int(os.environ.get("FLOWS_PEER_THREADS", "2")))
torch.manual_seed(0)


def mask(in_f, out_f, d, kind):
    in_deg = torch.arange(in_f) % d if kind == "input" else torch.arange(in_f) % (d - 1)
    out_deg = torch.arange(out_f) % d - 1 if kind == "output" else torch.arange(out_f) % (d - 1)
    return (out_deg.unsqueeze(-1) >= in_deg.unsqueeze(0)).float()


class MaskedLinear(nn.Linear):
    def __init__(self, i, o, m, bias=True):
        super().__init__(i, o, bias)
        self.register_buffer("m", m)

    def forward(self, x):
        return nn.functional.linear(x, self.weight * self.m, self.bias)


class Made(nn.Module):
    def __init__(self, d, h, c):
        super().__init__()
        self.d = d
        self.inp = MaskedLinear(d, h, mask(d, h, d, "input"))
        self.cond = nn.Linear(c, h, bias=False)
        self.hid = MaskedLinear(h, h, mask(h, h, d, "hidden"))
        self.out = MaskedLinear(h, 2 * d, mask(h, 2 * d, d, "output"))

    def net(self, x, c):
        h = torch.tanh(self.inp(x) + self.cond(c))
        h = torch.tanh(self.hid(h))
        return self.out(h).chunk(2, 1)

    def forward(self, x, c):
        m, a = self.net(x, c)
        return (x - m) * torch.exp(-a), -a.sum(-1)

    def inverse(self, u, c):
        x = torch.zeros_like(u)
        for i in range(self.d):
            m, a = self.net(x, c)
            x[:, i] = u[:, i] * torch.exp(a[:, i]) + m[:, i]
        return x


class BatchNormFlow(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.log_gamma = nn.Parameter(torch.zeros(d))
        self.beta = nn.Parameter(torch.zeros(d))
        self.eps = eps
        self.register_buffer("rm", torch.zeros(d))
        self.register_buffer("rv", torch.ones(d))
        self.capture = False    # set while the whole training set passes: running statistics = its statistics

    def forward(self, x):
        if self.training:
            mean, var = x.mean(0), (x - x.mean(0)).pow(2).mean(0) + self.eps
            if self.capture:
                self.rm.copy_(mean)
                self.rv.copy_(var)
        else:
            mean, var = self.rm, self.rv
        y = torch.exp(self.log_gamma) * (x - mean) / var.sqrt() + self.beta
        return y, (self.log_gamma - 0.5 * torch.log(var)).sum(-1).expand(x.shape[0])

    def inverse(self, y):
        return (y - self.beta) / torch.exp(self.log_gamma) * self.rv.sqrt() + self.rm


class Maf(nn.Module):
    def __init__(self, d, h, c, blocks):
        super().__init__()
        self.made = nn.ModuleList([Made(d, h, c) for _ in range(blocks)])
        self.bn = nn.ModuleList([BatchNormFlow(d) for _ in range(blocks)])
        for mod in self.modules():
            if isinstance(mod, nn.Linear):
                nn.init.orthogonal_(mod.weight)
                if mod.bias is not None:
                    mod.bias.data.fill_(0)

    def log_prob(self, x, c):
        ld = torch.zeros(x.shape[0])
        for made, bn in zip(self.made, self.bn):
            x, l1 = made(x, c)
            x, l2 = bn(x)
            x = x.flip(-1)
            ld = ld + l1 + l2
        return -0.5 * x.pow(2).sum(-1) - 0.5 * x.shape[1] * math.log(2 * math.pi) + ld

    def sample(self, z, c):
        for made, bn in zip(reversed(self.made), reversed(self.bn)):
            z = bn.inverse(z.flip(-1))
            z = made.inverse(z, c)
        return z


def set_capture(flow, on):
    for bn in flow.bn:
        bn.capture = on


def train_epoch(flow, opt, x, c, batch=256):
    flow.train()
    rows = x.shape[0]
    perm = torch.randperm(rows)
    total = 0.0
    for s in range(0, rows, batch):
        idx = perm[s:s + batch]
        loss = -flow.log_prob(x[idx], c[idx]).mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(flow.parameters(), 1.0)
        opt.step()
        total += loss.item() * len(idx)
    with torch.no_grad():
        set_capture(flow, True)
        flow.log_prob(x, c)                  # the running-statistics pass over the training set (train mode, full batch)
        set_capture(flow, False)
    return total / rows


def validation_nll(flow, x, c):
    flow.eval()
    with torch.no_grad():
        lp = flow.log_prob(x, c)
    keep = torch.isfinite(lp) & (lp.abs() < 1000)
    return float(-lp[keep].mean())


def epoch_seconds(h, rows=8500, repeats=3):
    x, c = torch.randn(rows, 3), torch.randn(rows, 1)
    flow = Maf(3, h, 1, 6)
    opt = torch.optim.Adam(flow.parameters(), lr=7.5e-4, weight_decay=1e-6)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        train_epoch(flow, opt, x, c)
        validation_nll(flow, x, c)           # validation pass
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def sampling_rate(h=20, n=100_000):
    flow = Maf(3, h, 1, 6).eval()
    z, c = torch.randn(n, 3), torch.randn(n, 1)
    with torch.no_grad():
        flow.sample(z[:1000], c[:1000])
        t0 = time.perf_counter()
        flow.sample(z, c)
        return n / (time.perf_counter() - t0)


# ---------------------------------------------------------------- Philox4x32-10 (FastAD.Kernels.Random) --------
M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
MASK32 = np.uint64(0xFFFFFFFF)


def philox_blocks(seed, stream, blocks):
    """Words (w0, w1, w2, w3) of blocks 0..blocks-1 of a stream, as uint64 arrays holding 32-bit values."""
    b = np.arange(blocks, dtype=np.uint64)
    c0, c1 = b & MASK32, b >> np.uint64(32)
    c2 = np.full(blocks, stream & 0xFFFFFFFF, dtype=np.uint64)
    c3 = np.full(blocks, stream >> 32, dtype=np.uint64)
    k0, k1 = seed & 0xFFFFFFFF, seed >> 32
    for r in range(10):
        if r > 0:
            k0, k1 = (k0 + W0) & 0xFFFFFFFF, (k1 + W1) & 0xFFFFFFFF
        p0 = np.uint64(M0) * c0
        p1 = np.uint64(M1) * c2
        n0 = (p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0)
        n2 = (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1)
        c1, c3, c0, c2 = p1 & MASK32, p0 & MASK32, n0, n2
    return c0, c1, c2, c3


def unit_double(hi, lo, plus=0.0):
    return (((hi << np.uint64(21)) | (lo >> np.uint64(11))).astype(np.float64) + plus) * 1.1102230246251565e-16


def philox_uniform(n, seed, stream):
    w0, w1, w2, w3 = philox_blocks(seed, stream, (n + 1) // 2)
    out = np.empty(2 * len(w0))
    out[0::2], out[1::2] = unit_double(w0, w1), unit_double(w2, w3)
    return out[:n]


def philox_normal(n, seed, stream):
    w0, w1, w2, w3 = philox_blocks(seed, stream, (n + 1) // 2)
    r = np.sqrt(-2.0 * np.log(unit_double(w0, w1, 1.0)))
    t = 2.0 * np.pi * unit_double(w2, w3)
    out = np.empty(2 * len(w0))
    out[0::2], out[1::2] = r * np.cos(t), r * np.sin(t)
    return out[:n]


L = np.array([[1.0, 0, 0], [0.6, 0.8, 0], [-0.3, 0.4, 0.5]])


def reference_density(n, stream, seed=31):
    """FastAD.Flows.ReferenceConditionalDensity.Draw: (x [n,3], c [n,1]) and the true mean NLL."""
    c = 2 * philox_uniform(n, seed, stream + 100) - 1
    eps = philox_normal(3 * n, seed, stream).reshape(n, 3)
    s = np.exp(0.3 * c)
    mu = np.stack([c, 0.5 * c * c, -c], 1)
    x = mu + s[:, None] * (eps @ L.T)
    nll = np.mean(0.5 * (eps ** 2).sum(1) + 1.5 * math.log(2 * math.pi) + 3 * np.log(s) + math.log(np.prod(np.diag(L))))
    return x, c[:, None], nll


# ---------------------------------------------------------------- RQS MAF (nflows, written out) --------------------
def rq_spline(inputs, uw, uh, ud, inverse, bound, min_w=1e-3, min_h=1e-3, min_d=1e-3):
    """nflows unconstrained_rational_quadratic_spline with linear tails."""
    inside = (inputs >= -bound) & (inputs <= bound)
    outputs, logdet = inputs.clone(), torch.zeros_like(inputs)
    const = math.log(math.exp(1 - min_d) - 1)
    ud = F.pad(ud, (1, 1), value=const)
    x, uw, uh, ud = inputs[inside], uw[inside], uh[inside], ud[inside]
    k = uw.shape[-1]

    def knots(u, minimum):
        w = minimum + (1 - minimum * k) * F.softmax(u, -1)
        cw = F.pad(torch.cumsum(w, -1), (1, 0), value=0.0)
        cw = 2 * bound * cw - bound
        cw[..., 0], cw[..., -1] = -bound, bound
        return cw, cw[..., 1:] - cw[..., :-1]

    cw, w = knots(uw, min_w)
    ch, h = knots(uh, min_h)
    d = min_d + F.softplus(ud)
    edges = (ch if inverse else cw).clone()
    edges[..., -1] += 1e-6
    idx = (torch.sum(x[..., None] >= edges, -1) - 1)[..., None]
    x0, wk, y0, hk = cw.gather(-1, idx)[..., 0], w.gather(-1, idx)[..., 0], ch.gather(-1, idx)[..., 0], h.gather(-1, idx)[..., 0]
    delta = hk / wk
    d0, d1 = d.gather(-1, idx)[..., 0], d[..., 1:].gather(-1, idx)[..., 0]
    if inverse:
        kappa = d0 + d1 - 2 * delta
        a = (x - y0) * kappa + hk * (delta - d0)
        b = hk * d0 - (x - y0) * kappa
        c = -delta * (x - y0)
        theta = (2 * c) / (-b - torch.sqrt(b.pow(2) - 4 * a * c))
        out = theta * wk + x0
    else:
        theta = (x - x0) / wk
        tt = theta * (1 - theta)
        out = y0 + hk * (delta * theta.pow(2) + d0 * tt) / (delta + (d0 + d1 - 2 * delta) * tt)
    tt = theta * (1 - theta)
    denom = delta + (d0 + d1 - 2 * delta) * tt
    ld = torch.log(delta.pow(2) * (d1 * theta.pow(2) + 2 * delta * tt + d0 * (1 - theta).pow(2))) - 2 * torch.log(denom)
    outputs[inside] = out
    logdet[inside] = -ld if inverse else ld
    return outputs, logdet


class NflowsMade(nn.Module):
    """nflows MADE: masked D->H plus context C->H (no activation), hidden_layers x (masked H->H, relu), masked H->P*D grouped."""

    def __init__(self, d, h, c, p, hidden_layers=2):
        super().__init__()
        self.d, self.p = d, p
        in_deg = torch.arange(d)
        hid_deg = torch.arange(h) % max(1, d - 1)
        out_deg = torch.arange(d).repeat_interleave(p) - 1
        self.inp = MaskedLinear(d, h, (hid_deg[:, None] >= in_deg[None, :]).float())
        self.ctx = nn.Linear(c, h)
        self.hid = nn.ModuleList([MaskedLinear(h, h, (hid_deg[:, None] >= hid_deg[None, :]).float()) for _ in range(hidden_layers)])
        self.out = MaskedLinear(h, p * d, (out_deg[:, None] >= hid_deg[None, :]).float())

    def forward(self, x, c):
        t = self.inp(x) + self.ctx(c)
        for layer in self.hid:
            t = F.relu(layer(t))
        return self.out(t).view(-1, self.d, self.p)


class RqsMaf(nn.Module):
    def __init__(self, d=3, c=1, h=64, transforms=4, bins=8, bound=4.0):
        super().__init__()
        self.d, self.k, self.bound, self.h = d, bins, bound, h
        self.made = nn.ModuleList([NflowsMade(d, h, c, 3 * bins - 1) for _ in range(transforms)])

    def spline(self, made, x, c, inverse):
        p = made(x, c)
        s = math.sqrt(self.h)
        return p[..., :self.k] / s, p[..., self.k:2 * self.k] / s, p[..., 2 * self.k:]

    def log_prob(self, x, c):
        ld = torch.zeros(x.shape[0])
        for made in self.made:
            x = x.flip(-1)
            uw, uh, ud = self.spline(made, x, c, False)
            x, l = rq_spline(x, uw, uh, ud, False, self.bound)
            ld = ld + l.sum(-1)
        return -0.5 * x.pow(2).sum(-1) - 0.5 * self.d * math.log(2 * math.pi) + ld

    def sample(self, z, c):
        for made in reversed(self.made):
            x = torch.zeros_like(z)
            for i in range(self.d):
                uw, uh, ud = self.spline(made, x, c, True)
                xi, _ = rq_spline(z[:, i], uw[:, i], uh[:, i], ud[:, i], True, self.bound)
                x[:, i] = xi
            z = x.flip(-1)
        return z


def rqs_benchmark(epochs=5, batch=128):
    torch.manual_seed(1)
    xt, ct, _ = reference_density(8500, 1)
    xv, cv, true_nll = reference_density(4000, 2)
    xt, ct, xv, cv = (torch.tensor(a, dtype=torch.float32) for a in (xt, ct, xv, cv))
    flow = RqsMaf()
    opt = torch.optim.Adam(flow.parameters(), lr=1e-3, weight_decay=1e-6)
    times, nll = [], float("nan")
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(xt))
        for s in range(0, len(xt), batch):
            idx = perm[s:s + batch]
            loss = -flow.log_prob(xt[idx], ct[idx]).mean()
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(flow.parameters(), 1.0)
            opt.step()
        with torch.no_grad():
            nll = -flow.log_prob(xv, cv).mean().item()
        times.append(time.perf_counter() - t0)
    n = 20_000
    z, c = torch.randn(n, 3), torch.zeros(n, 1)
    with torch.no_grad():
        flow.sample(z[:500], c[:500])
        t0 = time.perf_counter()
        flow.sample(z, c)
        rate = n / (time.perf_counter() - t0)
    return {"rqs_epoch_seconds": sorted(times)[len(times) // 2], "rqs_val_nll_after_%d_epochs" % epochs: nll,
            "rqs_true_val_nll": true_nll, "rqs_samples_per_second": rate}


L_TORCH = torch.tensor([[1.0, 0, 0], [0.6, 0.8, 0], [-0.3, 0.4, 0.5]], dtype=torch.float64)   # the same L as above, for the torch draws


def conditional_gaussian(n, gen):
    """FastAD.Flows.ConditionalGaussianData: c ~ U(-1,1), x = mu(c) + exp(0.3c) L eps (float64 draws)."""
    c = 2 * torch.rand(n, 1, generator=gen, dtype=torch.float64) - 1
    eps = torch.randn(n, 3, generator=gen, dtype=torch.float64)
    mu = torch.cat([c, 0.5 * c * c, -c], 1)
    return mu + torch.exp(0.3 * c) * (eps @ L_TORCH.T), c


def true_nll(x, c):
    mu = torch.cat([c, 0.5 * c * c, -c], 1)
    s = torch.exp(0.3 * c)
    e = torch.linalg.solve_triangular(L_TORCH, ((x - mu) / s).T, upper=False).T
    return float((0.5 * (e * e).sum(1) + 1.5 * math.log(2 * math.pi) + 3 * torch.log(s[:, 0]) + math.log(0.4)).mean())


def nll_comparison(h, epochs, rows=8500, n_test=100_000):
    gen = torch.Generator().manual_seed(11)
    xt, ct = conditional_gaussian(rows, gen)
    xv, cv = conditional_gaussian(rows, gen)
    xs, cs = conditional_gaussian(n_test, gen)
    f32 = lambda *a: [t.float() for t in a]
    xt, ct, xv, cv, xs32, cs32 = f32(xt, ct, xv, cv, xs, cs)
    flow = Maf(3, h, 1, 6)
    opt = torch.optim.Adam(flow.parameters(), lr=7.5e-4, weight_decay=1e-6)
    best, best_state, best_epoch = float("inf"), None, -1
    t0 = time.perf_counter()
    for epoch in range(epochs):
        train_epoch(flow, opt, xt, ct)
        v = validation_nll(flow, xv, cv)
        if v < best:
            best, best_state, best_epoch = v, copy.deepcopy(flow.state_dict()), epoch
    train_seconds = time.perf_counter() - t0
    flow.load_state_dict(best_state)
    flow.eval()
    with torch.no_grad():
        flow.log_prob(xs32[:1000], cs32[:1000])
        t0 = time.perf_counter()
        lp = flow.log_prob(xs32, cs32)
        eval_seconds = time.perf_counter() - t0
    nll, truth = float(-lp.double().mean()), true_nll(xs, cs)
    return {"epochs": epochs, "best_epoch": best_epoch + 1, "best_validation_nll": best, "test_nll": nll, "true_nll": truth,
            "excess": nll - truth, "train_seconds": train_seconds, "logprob_per_second": n_test / eval_seconds}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nll-epochs", type=int, default=40, help="epochs of the accuracy comparison (default 40)")
    ap.add_argument("--skip-nll", action="store_true", help="timings only")
    ap.add_argument("--repeats", type=int, default=3, help="epochs timed per H; the median is reported (default 3)")
    args = ap.parse_args()
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(),
           "epoch_seconds_h20": epoch_seconds(20, repeats=args.repeats), "epoch_seconds_h128": epoch_seconds(128, repeats=args.repeats),
           "samples_per_second_h20": sampling_rate(20), "samples_per_second_h128": sampling_rate(128, 20_000)}
    out.update(rqs_benchmark())
    print(json.dumps(out), file=sys.stderr, flush=True)     # timings so far, while the accuracy runs go on
    if not args.skip_nll:
        out["nll_h20"] = nll_comparison(20, args.nll_epochs)
        print(json.dumps(out["nll_h20"]), file=sys.stderr, flush=True)
        out["nll_h128"] = nll_comparison(128, args.nll_epochs)
    print(json.dumps(out, indent=1))
