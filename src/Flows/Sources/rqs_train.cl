/* Training steps of the nflows rational-quadratic-spline MAF of SPEC 2.1 (FastAD.Flows.KernelFlowTrainer for NflowsMaf):
   a mirror of NflowsMaf.LogProb (no batch statistics), MaskedAutoregressiveFlow.Backward (L = -mean log p) and the
   Adam update of FlowTrainer (flow_train.cl).
   One work-group of WG work-items per flow trains that flow for `steps` minibatches of nb rows (row indices given by
   the host). Without batch norm the rows are independent: each work-item runs the forward and backward passes of its
   rows through every transform, keeping per-row values in the flow's global scratch, and after one barrier the
   work-group sums the parameter gradients over the minibatch. Sizes and the block layout: rqs_common.cl (RQS_WG the
   work-group size). Parameters of one flow: the blocks in Parameters() order, gradients in the same layout (without
   weight decay). Constants: masks M0 [H x D], Mh [H x H] (every hidden layer's), Mo [P D x H], then per flow the
   permutations [B][D] as reals (block input i is column perm[i] of the previous output). */
#include "rqs_common.cl"
#ifndef RQS_WG
#error RQS_WG must be defined
#endif
#define WG RQS_WG
#include "flow_train.cl"

#define T_BLOCK O_END
#define T_FLOW (B * T_BLOCK)
#define WSCALE ((real)1 / sqrt((real)H))
#define M_0 0
#define M_H (H * D)
#define M_O (M_H + H * H)
#define M_PERM (M_O + PD * H)

/* Scratch of one flow for nb rows (RqsKernels.ScratchLength computes the same total). */
#define S_X0 (S)
#define S_IN(b) (S + (i64)nb * D * (1 + (b)))
#define S_ZB(b) (S + (i64)nb * D * (1 + B + (b)))
#define S_H0 (S + (i64)nb * D * (1 + 2 * B))
#define S_A0(b) (S_H0 + (i64)(b) * nb * H)
#define S_ACT(b, l) (S_H0 + (i64)(B + (b) * L + (l)) * nb * H)
#define S_DA0(b) (S_H0 + (i64)(B + B * L + (b)) * nb * H)
#define S_DPRE(b, l) (S_H0 + (i64)(2 * B + B * L + (b) * L + (l)) * nb * H)
#define S_O0 (S_H0 + (i64)(2 * B + 2 * B * L) * nb * H)
#define S_OUT(b) (S_O0 + (i64)(b) * nb * PD)
#define S_DOUT(b) (S_O0 + (i64)(B + (b)) * nb * PD)
#define S_CB (S_O0 + (i64)2 * B * nb * PD)

/* dy/dθ and dlogdet/dθ through one cumulative (widths or heights) of bin b: RationalQuadraticSplineGradient.Chain. */
DEVFN void rqs_chain_apply(const real* pr, int b, real scale, real gLo, real gHi, real* res)
{
    real lo = b > 0 ? gLo * scale : (real)0, hi = b + 1 < K ? gHi * scale : (real)0;
    real dot = 0;
    for (int i = 0; i < K; ++i) dot += pr[i] * ((i < b ? lo : (real)0) + (i <= b ? hi : (real)0));
    for (int j = 0; j < K; ++j) res[j] += pr[j] * ((j < b ? lo : (real)0) + (j <= b ? hi : (real)0) - dot);
}

DEVFN void rqs_chain(const real* raw, int b, real gLo, real gHi, real* res, real gLo2, real gHi2, real* res2)
{
    real mx = raw[0], pr[K], sum = 0;
    for (int k = 1; k < K; ++k) mx = fmax(mx, raw[k]);
    for (int i = 0; i < K; ++i)
    {
        pr[i] = exp(raw[i] - mx);
        sum += pr[i];
    }
    for (int i = 0; i < K; ++i) pr[i] /= sum;
    real scale = 2 * BOUND * (1 - MIN_BIN * K);
    rqs_chain_apply(pr, b, scale, gLo, gHi, res);
    rqs_chain_apply(pr, b, scale, gLo2, gHi2, res2);
}

/* The knot gradients (x, x0, x1, y0, y1, d0, d1) of a function of the bin's t, s, h, y0, d0, d1. */
DEVFN void rqs_knot_gradient(real* G, real w, real t, real sl, real fT, real fS, real fH, real fY0, real fD0, real fD1)
{
    G[0] = fT / w;
    G[1] = fT * (t - 1) / w + fS * sl / w;
    G[2] = -fT * t / w - fS * sl / w;
    G[3] = fY0 - fS / w - fH;
    G[4] = fS / w + fH;
    G[5] = fD0;
    G[6] = fD1;
}

/* RationalQuadraticSplineGradient.Evaluate for x and the P (scaled) raw parameters t: dy[P], dl[P] (∂y/∂t, ∂logdet/∂t),
   *dydx and *dldx. */
DEVFN void rqs_gradient(real x, const real* t, real* dy, real* dl, real* dydx, real* dldx)
{
    real kx[K + 1], ky[K + 1], kd[K + 1];
    for (int j = 0; j < P; ++j) dy[j] = dl[j] = 0;
    rqs_knots(t, kx, ky, kd);
    if (x <= kx[0] || x >= kx[K])
    {
        *dydx = 1;
        *dldx = 0;
        return;
    }
    int b = 0;
    while (b < K - 1 && kx[b + 1] <= x) b++;
    real x0 = kx[b], w = kx[b + 1] - x0, h = ky[b + 1] - ky[b], d0 = kd[b], d1 = kd[b + 1];
    real sl = h / w, tt = (x - x0) / w, tau = tt * (1 - tt), kappa = d0 + d1 - 2 * sl;
    real num = sl * tt * tt + d0 * tau, den = sl + kappa * tau, g = d1 * tt * tt + 2 * sl * tau + d0 * (1 - tt) * (1 - tt);
    real r = num / den;
    real numT = 2 * sl * tt + d0 * (1 - 2 * tt), denT = kappa * (1 - 2 * tt), denS = 1 - 2 * tau;
    real yT = h * (numT * den - num * denT) / (den * den);
    real yS = h * (tt * tt * den - num * denS) / (den * den);
    real yD0 = h * (tau * den - num * tau) / (den * den), yD1 = -h * num * tau / (den * den);
    real gT = 2 * d1 * tt + 2 * sl * (1 - 2 * tt) - 2 * d0 * (1 - tt);
    real lT = gT / g - 2 * denT / den, lS = 2 / sl + 2 * tau / g - 2 * denS / den;
    real lD0 = (1 - tt) * (1 - tt) / g - 2 * tau / den, lD1 = tt * tt / g - 2 * tau / den;
    real yG[7], lG[7];
    rqs_knot_gradient(yG, w, tt, sl, yT, yS, r, 1, yD0, yD1);
    rqs_knot_gradient(lG, w, tt, sl, lT, lS, 0, 0, lD0, lD1);
    rqs_chain(t, b, yG[1], yG[2], dy, lG[1], lG[2], dl);
    rqs_chain(t + K, b, yG[3], yG[4], dy + K, lG[3], lG[4], dl + K);
    for (int side = 0; side < 2; ++side)
    {
        int j = b + side;
        if (j < 1 || j > K - 1) continue;
        real u = t[2 * K + j - 1], sig = 1 / (1 + exp(-u));
        dy[2 * K + j - 1] += yG[5 + side] * sig;
        dl[2 * K + j - 1] += lG[5 + side] * sig;
    }
    *dydx = sl * sl * g / (den * den);
    *dldx = lG[0];
}

/* The P scaled raw parameters of dimension k from the block's network outputs. */
DEVFN void rqs_theta(GLOBAL const real* out, int k, real* t)
{
    for (int j = 0; j < P; ++j) t[j] = j < 2 * K ? out[k * P + j] * WSCALE : out[k * P + j];
}

/* Forward and backward pass of row n of the minibatch through every transform; returns the row's -log p. */
DEVFN real rqs_row(GLOBAL const real* p, GLOBAL const real* consts, GLOBAL const real* perm, GLOBAL real* S, int nb, int n)
{
    real ld = 0, t[P], kx[K + 1], ky[K + 1], kd[K + 1];
    GLOBAL const real* cb = S_CB + (i64)n * CC;
    for (int b = 0; b < B; ++b)
    {
        GLOBAL const real* pb = p + b * T_BLOCK;
        GLOBAL const real* prev = (b == 0 ? S_X0 : S_ZB(b - 1)) + (i64)n * D;
        GLOBAL real* in = S_IN(b) + (i64)n * D;
        for (int i = 0; i < D; ++i) in[i] = prev[(int)perm[b * D + i]];
        GLOBAL real* a0 = S_A0(b) + (i64)n * H;
        for (int j = 0; j < H; ++j)
        {
            real v = pb[O_B0 + j];
            for (int i = 0; i < D; ++i) v += pb[O_W0 + j * D + i] * consts[M_0 + j * D + i] * in[i];
            if (C > 0) v += pb[O_BC + j];
            for (int i = 0; i < C; ++i) v += pb[O_WC + j * C + i] * cb[i];
            a0[j] = v;
        }
        GLOBAL const real* hp = a0;
        for (int l = 0; l < L; ++l)
        {
            GLOBAL real* hl = S_ACT(b, l) + (i64)n * H;
            for (int j = 0; j < H; ++j)
            {
                real v = pb[O_BL(l) + j];
                for (int i = 0; i < H; ++i) v += pb[O_WL(l) + j * H + i] * consts[M_H + j * H + i] * hp[i];
                hl[j] = v > 0 ? v : (real)0;
            }
            hp = hl;
        }
        GLOBAL real* out = S_OUT(b) + (i64)n * PD;
        for (int k = 0; k < PD; ++k)
        {
            real v = pb[O_BO + k];
            for (int u = 0; u < H; ++u) v += pb[O_WO + k * H + u] * consts[M_O + k * H + u] * hp[u];
            out[k] = v;
        }
        GLOBAL real* z = S_ZB(b) + (i64)n * D;
        for (int k = 0; k < D; ++k)
        {
            rqs_theta(out, k, t);
            rqs_knots(t, kx, ky, kd);
            z[k] = rqs_forward(in[k], kx, ky, kd, &ld);
        }
    }
    /* -log p and its gradients: dL/dz = z / nb, dL/dlogdet = -1 / nb for every transform */
    GLOBAL const real* zl = S_ZB(B - 1) + (i64)n * D;
    real q = 0, dz[D], dxin[D], dy[P], dl[P];
    for (int d = 0; d < D; ++d)
    {
        q += zl[d] * zl[d];
        dz[d] = zl[d] / nb;
    }
    real gl = (real)(-1.0) / nb;
    for (int b = B - 1; b >= 0; --b)
    {
        GLOBAL const real* pb = p + b * T_BLOCK;
        GLOBAL const real* in = S_IN(b) + (i64)n * D;
        GLOBAL const real* out = S_OUT(b) + (i64)n * PD;
        GLOBAL real* dout = S_DOUT(b) + (i64)n * PD;
        for (int k = 0; k < D; ++k)
        {
            real dydx, dldx;
            rqs_theta(out, k, t);
            rqs_gradient(in[k], t, dy, dl, &dydx, &dldx);
            for (int j = 0; j < P; ++j) dout[k * P + j] = (dz[k] * dy[j] + gl * dl[j]) * (j < 2 * K ? WSCALE : (real)1);
            dxin[k] = dz[k] * dydx + gl * dldx;
        }
        /* back through the output layer and the relu layers: dL/d(pre-activation) of each */
        for (int l = L - 1; l >= 0; --l)
        {
            GLOBAL const real* hl = S_ACT(b, l) + (i64)n * H;
            GLOBAL real* dpre = S_DPRE(b, l) + (i64)n * H;
            for (int i = 0; i < H; ++i)
            {
                real v = 0;
                if (l == L - 1)
                    for (int k = 0; k < PD; ++k) v += pb[O_WO + k * H + i] * consts[M_O + k * H + i] * dout[k];
                else
                {
                    GLOBAL const real* dn = S_DPRE(b, l + 1) + (i64)n * H;
                    for (int j = 0; j < H; ++j) v += pb[O_WL(l + 1) + j * H + i] * consts[M_H + j * H + i] * dn[j];
                }
                dpre[i] = hl[i] > 0 ? v : (real)0;
            }
        }
        GLOBAL real* da0 = S_DA0(b) + (i64)n * H;
        GLOBAL const real* d0 = S_DPRE(b, 0) + (i64)n * H;
        for (int i = 0; i < H; ++i)
        {
            real v = 0;
            for (int j = 0; j < H; ++j) v += pb[O_WL(0) + j * H + i] * consts[M_H + j * H + i] * d0[j];
            da0[i] = v;
        }
        for (int i = 0; i < D; ++i)
        {
            real v = dxin[i];
            for (int j = 0; j < H; ++j) v += pb[O_W0 + j * D + i] * consts[M_0 + j * D + i] * da0[j];
            dxin[i] = v;
        }
        for (int i = 0; i < D; ++i) dz[(int)perm[b * D + i]] = dxin[i];
    }
    return (real)0.5 * q + (real)(D * HALF_LOG_2PI) - ld;
}

/* Parameter q of block b's gradient: the sum over the minibatch. */
DEVFN real rqs_parameter_gradient(GLOBAL const real* consts, GLOBAL const real* S, int nb, int b, int q)
{
    real v = 0;
    if (q < O_B0)
    {
        int j = q / D, i = q % D;
        for (int n = 0; n < nb; ++n) v += S_DA0(b)[(i64)n * H + j] * S_IN(b)[(i64)n * D + i];
        return v * consts[M_0 + q];
    }
    if (q < O_WC || (q >= O_BC && q < O_WL(0)))
    {
        int j = q < O_WC ? q - O_B0 : q - O_BC;
        for (int n = 0; n < nb; ++n) v += S_DA0(b)[(i64)n * H + j];
        return v;
    }
    if (q < O_BC)
    {
        int r = q - O_WC, j = r / CC, i = r % CC;
        for (int n = 0; n < nb; ++n) v += S_DA0(b)[(i64)n * H + j] * S_CB[(i64)n * CC + i];
        return v;
    }
    if (q < O_WO)
    {
        int r = q - O_WL(0), l = r / (H * H + H), w = r % (H * H + H);
        if (w < H * H)
        {
            int j = w / H, i = w % H;
            GLOBAL const real* prev = l == 0 ? S_A0(b) : S_ACT(b, l - 1);
            for (int n = 0; n < nb; ++n) v += S_DPRE(b, l)[(i64)n * H + j] * prev[(i64)n * H + i];
            return v * consts[M_H + w];
        }
        for (int n = 0; n < nb; ++n) v += S_DPRE(b, l)[(i64)n * H + w - H * H];
        return v;
    }
    if (q < O_BO)
    {
        int r = q - O_WO, k = r / H, u = r % H;
        for (int n = 0; n < nb; ++n) v += S_DOUT(b)[(i64)n * PD + k] * S_ACT(b, L - 1)[(i64)n * H + u];
        return v * consts[M_O + r];
    }
    for (int n = 0; n < nb; ++n) v += S_DOUT(b)[(i64)n * PD + q - O_BO];
    return v;
}

KERNEL void rqs_train_steps(GLOBAL real* params, GLOBAL real* adamM, GLOBAL real* adamV, GLOBAL const real* consts,
    GLOBAL const real* xs, i64 xFlowStride, GLOBAL const real* cs, i64 cFlowStride, GLOBAL const int* rows,
    int nb, int steps, int flows, i64 stepsBefore, double lr, double beta1, double beta2, double eps, double wd, double keep, double clip,
    GLOBAL real* scratch, i64 scratchStride, GLOBAL real* grads, GLOBAL real* losses)
{
    LOCAL real red[WG];
    /* The launch has exactly `flows` work-groups: no early return before the barriers. */
    int f = (int)GROUP_ID(0), lid = LOCAL_ID(0);
    GLOBAL real* p = params + (i64)f * T_FLOW;
    GLOBAL real* g = grads + (i64)f * T_FLOW;
    GLOBAL real* am = adamM + (i64)f * T_FLOW;
    GLOBAL real* av = adamV + (i64)f * T_FLOW;
    GLOBAL real* S = scratch + (i64)f * scratchStride;
    GLOBAL const real* perm = consts + M_PERM + (i64)f * B * D;
    for (int s = 0; s < steps; ++s)
    {
        GLOBAL const int* idx = rows + ((i64)f * steps + s) * nb;
        real part = 0;
        EACH(n, nb)
        {
            i64 r = idx[n];
            for (int d = 0; d < D; ++d) S_X0[(i64)n * D + d] = xs[f * xFlowStride + r * D + d];
            for (int i = 0; i < C; ++i) S_CB[(i64)n * CC + i] = cs[f * cFlowStride + r * C + i];
            part += rqs_row(p, consts, perm, S, nb, n);
        }
        real total = group_sum(red, part, lid);
        if (lid == 0) losses[(i64)f * steps + s] = total / nb;
        GBARRIER();
        for (int b = 0; b < B; ++b)
            EACH(q, T_BLOCK) g[b * T_BLOCK + q] = rqs_parameter_gradient(consts, S, nb, b, q);
        GBARRIER();
        adam_update(red, lid, p, g, am, av, T_FLOW, (double)(stepsBefore + s + 1), lr, beta1, beta2, eps, wd, keep, clip);
        GBARRIER();
    }
}
