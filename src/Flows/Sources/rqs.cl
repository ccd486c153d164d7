/* Evaluation kernels of the nflows rational-quadratic-spline MAF of SPEC 2.1 (FastAD.Flows.KernelFlowEvaluator for
   NflowsMaf): a mirror of NflowsMaf.LogProb and .Sample — transforms of permutation -> MADE (relu) -> spline of every
   dimension, standard normal base.
   One work-item per (event, flow): x = event (dimension 0), y = flow (dimension 1). Sizes and the block layout:
   rqs_common.cl. Parameters of one flow are packed transform after transform (FastAD.Flows.RqsKernels.Pack): the
   block's parameters with the masks applied, then its permutation [D] (as reals: block input i is column perm[i]
   of the previous output). */
#include "rqs_common.cl"

#define E_BLOCK (O_END + D)
#define E_FLOW (B * E_BLOCK)
#define WSCALE ((real)1 / sqrt((real)H))

/* a0 = W0 x + b0 (+ Wc c + bc): the first layer's pre-activations (no activation). */
DEVFN void rqs_first(GLOBAL const real* pb, const real* x, const real* c, real* a0)
{
    for (int j = 0; j < H; ++j)
    {
        real v = pb[O_B0 + j];
        for (int i = 0; i < D; ++i) v += pb[O_W0 + j * D + i] * x[i];
        if (C > 0) v += pb[O_BC + j];
        for (int i = 0; i < C; ++i) v += pb[O_WC + j * C + i] * c[i];
        a0[j] = v;
    }
}

/* h = the last hidden layer from a0 (L relu layers; tmp is scratch of H). */
DEVFN void rqs_hidden(GLOBAL const real* pb, const real* a0, real* h, real* tmp)
{
    for (int j = 0; j < H; ++j) h[j] = a0[j];
    for (int l = 0; l < L; ++l)
    {
        for (int j = 0; j < H; ++j)
        {
            real v = pb[O_BL(l) + j];
            for (int i = 0; i < H; ++i) v += pb[O_WL(l) + j * H + i] * h[i];
            tmp[j] = v > 0 ? v : (real)0;
        }
        for (int j = 0; j < H; ++j) h[j] = tmp[j];
    }
}

/* The knots of dimension k from the last hidden layer h. */
DEVFN void rqs_dimension(GLOBAL const real* pb, const real* h, int k, real* kx, real* ky, real* kd)
{
    real t[P];
    for (int j = 0; j < P; ++j)
    {
        real v = pb[O_BO + k * P + j];
        for (int u = 0; u < H; ++u) v += pb[O_WO + (k * P + j) * H + u] * h[u];
        t[j] = j < 2 * K ? v * WSCALE : v;
    }
    rqs_knots(t, kx, ky, kd);
}

/* log p(x|c) of event e under flow f; with writeLatent also z = T(x|c) and log|det dz/dx|. Inputs of flow f start at
   xs + f * xFlowStride (0: every flow reads the same rows); outputs are [flow][event] and [flow][event][D]. */
KERNEL void rqs_log_prob(GLOBAL const real* params, GLOBAL const real* xs, i64 xFlowStride, GLOBAL const real* cs, i64 cFlowStride,
    int n, int flows, GLOBAL real* logp, int writeLatent, GLOBAL real* latent, GLOBAL real* logdet)
{
    i64 e = GLOBAL_ID(0), f = GLOBAL_ID(1);
    if (e >= n || f >= flows) return;
    GLOBAL const real* pf = params + f * E_FLOW;
    real x[D], u[D], c[CC], a0[H], h[H], tmp[H], kx[K + 1], ky[K + 1], kd[K + 1];
    for (int d = 0; d < D; ++d) x[d] = xs[f * xFlowStride + e * D + d];
    for (int i = 0; i < C; ++i) c[i] = cs[f * cFlowStride + e * C + i];
    real ld = 0;
    for (int b = 0; b < B; ++b)
    {
        GLOBAL const real* pb = pf + b * E_BLOCK;
        for (int i = 0; i < D; ++i) u[i] = x[(int)pb[O_END + i]];
        rqs_first(pb, u, c, a0);
        rqs_hidden(pb, a0, h, tmp);
        for (int k = 0; k < D; ++k)
        {
            rqs_dimension(pb, h, k, kx, ky, kd);
            x[k] = rqs_forward(u[k], kx, ky, kd, &ld);
        }
    }
    real s = 0;
    for (int d = 0; d < D; ++d) s += x[d] * x[d];
    i64 o = f * n + e;
    logp[o] = (real)(-0.5) * s - (real)(D * HALF_LOG_2PI) + ld;
    if (writeLatent)
    {
        for (int d = 0; d < D; ++d) latent[o * D + d] = x[d];
        logdet[o] = ld;
    }
}

/* x ~ p(x|c) for event e of flow f from standard normal noise: given (useNoise = 1, noise of flow f at
   noise + f * noiseFlowStride, [event][D]) or drawn here as Philox4x32.FillNormal(double[n * D], seed,
   firstStream + f) would draw it. Each MADE is inverted in D passes (pass d fixes x_d); the first layer's
   pre-activations are updated one input at a time, and only dimension d's spline is formed in pass d. */
KERNEL void rqs_sample(GLOBAL const real* params, int useNoise, GLOBAL const real* noise, i64 noiseFlowStride, u64 seed, u64 firstStream,
    GLOBAL const real* cs, i64 cFlowStride, int n, int flows, GLOBAL real* xs)
{
    i64 e = GLOBAL_ID(0), f = GLOBAL_ID(1);
    if (e >= n || f >= flows) return;
    GLOBAL const real* pf = params + f * E_FLOW;
    real z[D], u[D], c[CC], a0[H], h[H], tmp[H], kx[K + 1], ky[K + 1], kd[K + 1];
    for (int d = 0; d < D; ++d)
        z[d] = useNoise ? noise[f * noiseFlowStride + e * D + d] : (real)philox_normal_f64_at(seed, firstStream + (u64)f, e * D + d);
    for (int i = 0; i < C; ++i) c[i] = cs[f * cFlowStride + e * C + i];
    for (int b = B - 1; b >= 0; --b)
    {
        GLOBAL const real* pb = pf + b * E_BLOCK;
        for (int i = 0; i < D; ++i) u[i] = 0;
        rqs_first(pb, u, c, a0);
        for (int d = 0; d < D; ++d)
        {
            rqs_hidden(pb, a0, h, tmp);
            rqs_dimension(pb, h, d, kx, ky, kd);
            u[d] = rqs_inverse(z[d], kx, ky, kd);
            for (int j = 0; j < H; ++j) a0[j] += pb[O_W0 + j * D + d] * u[d];
        }
        /* undo the permutation: input i of the block was column perm[i] */
        for (int i = 0; i < D; ++i) z[(int)pb[O_END + i]] = u[i];
    }
    for (int d = 0; d < D; ++d) xs[((i64)f * n + e) * D + d] = z[d];
}
