#!/usr/bin/env python3
"""PyTorch peer of `fastad bench --suite flows`: the SPEC 1.3 conditional MAF (pytorch-flows style MADE with a
bias-free condition layer, tanh, batch-norm flow layer, reverse permutation; 6 blocks) trained one epoch on
8,500 x 3 events with batch 256 (Adam 7.5e-4, weight decay 1e-6, clip 1.0) plus the validation pass, and sampling
100,000 events. Debian's python3-torch, 2 threads. Prints one JSON object.

    /usr/bin/python3 bench/peers/flows_peers.py
"""
import json
import math
import time

import torch
import torch.nn as nn

torch.set_num_threads(2)
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

    def forward(self, x):
        if self.training:
            mean, var = x.mean(0), (x - x.mean(0)).pow(2).mean(0) + self.eps
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


def epoch_seconds(h, rows=8500, repeats=3):
    x, c = torch.randn(rows, 3), torch.randn(rows, 1)
    flow = Maf(3, h, 1, 6)
    opt = torch.optim.Adam(flow.parameters(), lr=7.5e-4, weight_decay=1e-6)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        flow.train()
        perm = torch.randperm(rows)
        for s in range(0, rows, 256):
            idx = perm[s:s + 256]
            loss = -flow.log_prob(x[idx], c[idx]).mean()
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(flow.parameters(), 1.0)
            opt.step()
        with torch.no_grad():
            flow.log_prob(x, c)              # the running-statistics pass over the training set (train mode, full batch)
            flow.eval()
            flow.log_prob(x, c)              # validation pass
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def sampling_rate(n=100_000):
    flow = Maf(3, 20, 1, 6).eval()
    z, c = torch.randn(n, 3), torch.randn(n, 1)
    with torch.no_grad():
        flow.sample(z[:1000], c[:1000])
        t0 = time.perf_counter()
        flow.sample(z, c)
        return n / (time.perf_counter() - t0)


if __name__ == "__main__":
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(),
           "epoch_seconds_h20": epoch_seconds(20), "epoch_seconds_h128": epoch_seconds(128),
           "samples_per_second": sampling_rate()}
    print(json.dumps(out, indent=1))
