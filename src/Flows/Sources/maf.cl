/* Evaluation-mode kernels of the affine conditional MAF of SPEC 1.3 (FastAD.Flows.KernelFlowEvaluator).
   A mirror of MaskedAutoregressiveFlow.LogProb (training = false) and .Sample: blocks of MADE -> batch norm
   (running statistics) -> reverse permutation, standard normal base.
   One work-item per (event, flow): x = event (dimension 0), y = flow (dimension 1) of an ensemble of flows
   sharing one shape. Sizes are compile-time: D features, C conditions (0 allowed), H hidden units, B blocks;
   REAL is float or double (the arithmetic precision);
   the host passes them as MAF_D, MAF_C, MAF_H, MAF_B, MAF_REAL (prefixed, so that no -D touches the CUDA
   builtin headers).
   Parameters of one flow are packed block after block (FastAD.Flows.FlowParameterPacking):
     W1 [H x D] (mask applied)  Wc [H x C]  b1 [H]  W2 [H x H] (mask applied)  b2 [H]
     W3 [2D x H] (mask applied)  b3 [2D]  mean [D]  scale [D] = exp(log gamma) / sqrt(var)  beta [D]
     logdet = sum(log gamma - 0.5 ln var)                                                              */
#include "maf_sizes.cl"

#define CC (C > 0 ? C : 1)
#define OFF_W1 0
#define OFF_WC (OFF_W1 + H * D)
#define OFF_B1 (OFF_WC + H * C)
#define OFF_W2 (OFF_B1 + H)
#define OFF_B2 (OFF_W2 + H * H)
#define OFF_W3 (OFF_B2 + H)
#define OFF_B3 (OFF_W3 + 2 * D * H)
#define OFF_MU (OFF_B3 + 2 * D)
#define OFF_SC (OFF_MU + D)
#define OFF_BE (OFF_SC + D)
#define OFF_LD (OFF_BE + D)
#define BLOCK_PARAMS (OFF_LD + 1)
#define FLOW_PARAMS (B * BLOCK_PARAMS)
#define HALF_LOG_2PI 0.91893853320467274178

/* The MADE network of one block: out[0..D) = shifts m, out[D..2D) = log-scales a of input x, condition c.
   h2 is consumed unit by unit, so only h1 is kept. */
DEVFN void made_network(GLOBAL const real* p, const real* x, const real* c, real* h1, real* out)
{
    for (int j = 0; j < H; ++j)
    {
        real v = p[OFF_B1 + j];
        for (int i = 0; i < D; ++i) v += p[OFF_W1 + j * D + i] * x[i];
        for (int i = 0; i < C; ++i) v += p[OFF_WC + j * C + i] * c[i];
        h1[j] = tanh(v);
    }
    for (int k = 0; k < 2 * D; ++k) out[k] = p[OFF_B3 + k];
    for (int j = 0; j < H; ++j)
    {
        real v = p[OFF_B2 + j];
        for (int i = 0; i < H; ++i) v += p[OFF_W2 + j * H + i] * h1[i];
        real h2 = tanh(v);
        for (int k = 0; k < 2 * D; ++k) out[k] += p[OFF_W3 + k * H + j] * h2;
    }
}

/* log p(x|c) of event e under flow f; with writeLatent also z = T(x|c) and log|det dz/dx|.
   Inputs of flow f start at xs + f * xFlowStride (0: every flow reads the same rows); outputs are
   [flow][event] (logp, logdet) and [flow][event][D] (latent). */
KERNEL void maf_log_prob(GLOBAL const real* params, GLOBAL const real* xs, i64 xFlowStride, GLOBAL const real* cs, i64 cFlowStride,
    int n, int flows, GLOBAL real* logp, int writeLatent, GLOBAL real* latent, GLOBAL real* logdet)
{
    i64 e = GLOBAL_ID(0), f = GLOBAL_ID(1);
    if (e >= n || f >= flows) return;
    GLOBAL const real* pf = params + f * FLOW_PARAMS;
    real x[D], u[D], c[CC], h1[H], out[2 * D];
    for (int d = 0; d < D; ++d) x[d] = xs[f * xFlowStride + e * D + d];
    for (int i = 0; i < C; ++i) c[i] = cs[f * cFlowStride + e * C + i];
    real ld = 0;
    for (int b = 0; b < B; ++b)
    {
        GLOBAL const real* pb = pf + b * BLOCK_PARAMS;
        made_network(pb, x, c, h1, out);
        for (int d = 0; d < D; ++d)
        {
            u[d] = (x[d] - out[d]) * exp(-out[D + d]);
            ld -= out[D + d];
        }
        /* batch norm with the running statistics, then the reverse permutation */
        for (int d = 0; d < D; ++d) x[D - 1 - d] = pb[OFF_SC + d] * (u[d] - pb[OFF_MU + d]) + pb[OFF_BE + d];
        ld += pb[OFF_LD];
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
   firstStream + f) would draw it. Each MADE is inverted in D passes (pass d fixes x_d). Output [flow][event][D]. */
KERNEL void maf_sample(GLOBAL const real* params, int useNoise, GLOBAL const real* noise, i64 noiseFlowStride, u64 seed, u64 firstStream,
    GLOBAL const real* cs, i64 cFlowStride, int n, int flows, GLOBAL real* xs)
{
    i64 e = GLOBAL_ID(0), f = GLOBAL_ID(1);
    if (e >= n || f >= flows) return;
    GLOBAL const real* pf = params + f * FLOW_PARAMS;
    real z[D], u[D], c[CC], h1[H], out[2 * D];
    for (int d = 0; d < D; ++d)
        z[d] = useNoise ? noise[f * noiseFlowStride + e * D + d] : (real)philox_normal_f64_at(seed, firstStream + (u64)f, e * D + d);
    for (int i = 0; i < C; ++i) c[i] = cs[f * cFlowStride + e * C + i];
    for (int b = B - 1; b >= 0; --b)
    {
        GLOBAL const real* pb = pf + b * BLOCK_PARAMS;
        /* undo the reverse permutation and the batch norm */
        for (int d = 0; d < D; ++d) u[d] = (z[D - 1 - d] - pb[OFF_BE + d]) / pb[OFF_SC + d] + pb[OFF_MU + d];
        for (int d = 0; d < D; ++d) z[d] = 0;
        for (int d = 0; d < D; ++d)
        {
            made_network(pb, z, c, h1, out);
            z[d] = u[d] * exp(out[D + d]) + out[d];
        }
    }
    for (int d = 0; d < D; ++d) xs[((i64)f * n + e) * D + d] = z[d];
}
