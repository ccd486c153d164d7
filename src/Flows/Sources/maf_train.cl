/* Training steps of the affine conditional MAF of SPEC 1.3 (FastAD.Flows.KernelFlowTrainer): a mirror of
   MaskedAutoregressiveFlow.LogProb (training = true, batch statistics), .Backward (L = -mean log p) and the
   Adam update of FlowTrainer (global gradient-norm clip, bias correction; weight decay coupled through wd or
   decoupled through keep = 1 - lr * decay).
   One work-group of WG work-items per flow of the ensemble trains that flow for `steps` minibatches of nb
   rows (row indices given by the host); per-event values live in a global scratch area of the flow.
   Sizes: D features, C conditions (0 allowed), H hidden units, B blocks, WG work-group size; REAL float/double
   (defined by the host as MAF_D, MAF_C, MAF_H, MAF_B, MAF_WG, MAF_REAL).
   Parameters of one flow, block after block, in MaskedAutoregressiveFlow.Parameters() order:
     W1 [H x D]  b1 [H]  Wc [H x C]  W2 [H x H]  b2 [H]  W3 [2D x H]  b3 [2D]  log gamma [D]  beta [D]
   Masks (shared): M1 [H x D], M2 [H x H], M3 [2D x H]. Gradients keep the layout (without weight decay). */
#include "maf_sizes.cl"
#ifndef MAF_WG
#error MAF_WG must be defined
#endif
#define WG MAF_WG

#include "flow_train.cl"
#define CC (C > 0 ? C : 1)
#define T_W1 0
#define T_B1 (T_W1 + H * D)
#define T_WC (T_B1 + H)
#define T_W2 (T_WC + H * C)
#define T_B2 (T_W2 + H * H)
#define T_W3 (T_B2 + H)
#define T_B3 (T_W3 + 2 * D * H)
#define T_LG (T_B3 + 2 * D)
#define T_BE (T_LG + D)
#define T_BLOCK (T_BE + D)
#define T_FLOW (B * T_BLOCK)
#define M_1 0
#define M_2 (H * D)
#define M_3 (M_2 + H * H)
#define HALF_LOG_2PI 0.91893853320467274178
#define BN_EPS 1e-5

/* Scratch of one flow for nb rows (KernelFlowTrainer.ScratchLength computes the same total). */
#define S_IN(b) (S + (i64)(b) * nb * D)
#define S_U(b) (S + (i64)(B + (b)) * nb * D)
#define S_H1(b) (S + (i64)2 * B * nb * D + (i64)(b) * nb * H)
#define S_H2(b) (S + (i64)2 * B * nb * D + (i64)(B + (b)) * nb * H)
#define S_OUT(b) (S + (i64)2 * B * nb * D + (i64)2 * B * nb * H + (i64)(b) * nb * 2 * D)
#define S_REST (S + (i64)4 * B * nb * D + (i64)2 * B * nb * H)
#define S_Z (S_REST)
#define S_LD (S_Z + (i64)nb * D)
#define S_DZ (S_LD + nb)
#define S_DOUT (S_DZ + (i64)nb * D)
#define S_DH2 (S_DOUT + (i64)nb * 2 * D)
#define S_DH1 (S_DH2 + (i64)nb * H)
#define S_CB (S_DH1 + (i64)nb * H)
#define S_STATS (S_CB + (i64)nb * CC)
/* S_STATS: per block mean [D], variance [D] of the batch. */

KERNEL void maf_train_steps(GLOBAL real* params, GLOBAL real* adamM, GLOBAL real* adamV, GLOBAL const real* masks,
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
    GLOBAL real* stats = S_STATS;
    for (int s = 0; s < steps; ++s)
    {
        /* gather the minibatch */
        GLOBAL const int* idx = rows + ((i64)f * steps + s) * nb;
        EACH(n, nb)
        {
            i64 r = idx[n];
            for (int d = 0; d < D; ++d) S_IN(0)[n * D + d] = xs[f * xFlowStride + r * D + d];
            for (int i = 0; i < C; ++i) S_CB[n * CC + i] = cs[f * cFlowStride + r * C + i];
            S_LD[n] = 0;
        }
        GBARRIER();
        /* forward, training mode */
        for (int b = 0; b < B; ++b)
        {
            GLOBAL const real* pb = p + b * T_BLOCK;
            EACH(n, nb)
            {
                real x[D], c[CC], out[2 * D];
                for (int d = 0; d < D; ++d) x[d] = S_IN(b)[n * D + d];
                for (int i = 0; i < C; ++i) c[i] = S_CB[n * CC + i];
                GLOBAL real* h1 = S_H1(b) + (i64)n * H;
                GLOBAL real* h2 = S_H2(b) + (i64)n * H;
                for (int j = 0; j < H; ++j)
                {
                    real v = pb[T_B1 + j];
                    for (int i = 0; i < D; ++i) v += pb[T_W1 + j * D + i] * masks[M_1 + j * D + i] * x[i];
                    for (int i = 0; i < C; ++i) v += pb[T_WC + j * C + i] * c[i];
                    h1[j] = tanh(v);
                }
                for (int k = 0; k < 2 * D; ++k) out[k] = pb[T_B3 + k];
                for (int j = 0; j < H; ++j)
                {
                    real v = pb[T_B2 + j];
                    for (int i = 0; i < H; ++i) v += pb[T_W2 + j * H + i] * masks[M_2 + j * H + i] * h1[i];
                    real t = tanh(v);
                    h2[j] = t;
                    for (int k = 0; k < 2 * D; ++k) out[k] += pb[T_W3 + k * H + j] * masks[M_3 + k * H + j] * t;
                }
                real ld = 0;
                for (int k = 0; k < 2 * D; ++k) S_OUT(b)[n * 2 * D + k] = out[k];
                for (int d = 0; d < D; ++d)
                {
                    S_U(b)[n * D + d] = (x[d] - out[d]) * exp(-out[D + d]);
                    ld -= out[D + d];
                }
                S_LD[n] += ld;
            }
            GBARRIER();
            /* batch mean and biased variance (+eps), two passes */
            real mean[D], var[D], bnld = 0;
            for (int d = 0; d < D; ++d)
            {
                real part = 0;
                EACH(n, nb) part += S_U(b)[n * D + d];
                mean[d] = group_sum(red, part, lid) / nb;
                part = 0;
                EACH(n, nb)
                {
                    real t = S_U(b)[n * D + d] - mean[d];
                    part += t * t;
                }
                var[d] = group_sum(red, part, lid) / nb + (real)BN_EPS;
                bnld += pb[T_LG + d] - (real)0.5 * log(var[d]);
                if (lid == 0)
                {
                    stats[b * 2 * D + d] = mean[d];
                    stats[b * 2 * D + D + d] = var[d];
                }
            }
            GLOBAL real* next = b + 1 < B ? S_IN(b + 1) : S_Z;
            EACH(n, nb)
            {
                for (int d = 0; d < D; ++d)
                    next[n * D + D - 1 - d] = exp(pb[T_LG + d]) * (S_U(b)[n * D + d] - mean[d]) / sqrt(var[d]) + pb[T_BE + d];
                S_LD[n] += bnld;
            }
            GBARRIER();
        }
        /* loss = -mean log p; dL/dz = z / nb, dL/dlogdet = -1 / nb per event */
        real part = 0;
        EACH(n, nb)
        {
            real q = 0;
            for (int d = 0; d < D; ++d)
            {
                q += S_Z[n * D + d] * S_Z[n * D + d];
                S_DZ[n * D + d] = S_Z[n * D + d] / nb;
            }
            part += (real)0.5 * q + (real)(D * HALF_LOG_2PI) - S_LD[n];
        }
        real total = group_sum(red, part, lid);
        if (lid == 0) losses[(i64)f * steps + s] = total / nb;
        real dLogDet = (real)(-1.0) / nb, sumL = 0;
        for (int n = 0; n < nb; ++n) sumL += dLogDet;
        GBARRIER();
        /* backward, block by block */
        for (int b = B - 1; b >= 0; --b)
        {
            GLOBAL const real* pb = p + b * T_BLOCK;
            GLOBAL real* gb = g + b * T_BLOCK;
            /* batch norm backward with dv = reverse(dz): sums of dv and dv * xhat over the batch */
            real meanG[D], meanGx[D];
            for (int d = 0; d < D; ++d)
            {
                real sigma = sqrt(stats[b * 2 * D + D + d]), gamma = exp(pb[T_LG + d]), mean = stats[b * 2 * D + d];
                real p1 = 0, p2 = 0;
                EACH(n, nb)
                {
                    real gg = S_DZ[n * D + D - 1 - d];
                    p1 += gg;
                    p2 += gg * (S_U(b)[n * D + d] - mean) / sigma;
                }
                real sumG = group_sum(red, p1, lid), sumGx = group_sum(red, p2, lid);
                if (lid == 0)
                {
                    gb[T_LG + d] = gamma * sumGx + sumL;
                    gb[T_BE + d] = sumG;
                }
                meanG[d] = gamma * sumG / nb;
                meanGx[d] = gamma * sumGx / nb;
            }
            EACH(n, nb)
            {
                real dx[D];
                GLOBAL real* dout = S_DOUT + (i64)n * 2 * D;
                for (int d = 0; d < D; ++d)
                {
                    real sigma = sqrt(stats[b * 2 * D + D + d]), gamma = exp(pb[T_LG + d]);
                    real u = S_U(b)[n * D + d], xh = (u - stats[b * 2 * D + d]) / sigma;
                    real du = (S_DZ[n * D + D - 1 - d] * gamma - meanG[d] - xh * meanGx[d]) / sigma - sumL * xh / (nb * sigma);
                    real a = S_OUT(b)[n * 2 * D + D + d], e = exp(-a);
                    dout[d] = -du * e;
                    dout[D + d] = -du * u - dLogDet;
                    dx[d] = du * e;
                }
                GLOBAL const real* h1 = S_H1(b) + (i64)n * H;
                GLOBAL const real* h2 = S_H2(b) + (i64)n * H;
                GLOBAL real* dh2 = S_DH2 + (i64)n * H;
                GLOBAL real* dh1 = S_DH1 + (i64)n * H;
                for (int j = 0; j < H; ++j)
                {
                    real v = 0;
                    for (int k = 0; k < 2 * D; ++k) v += pb[T_W3 + k * H + j] * masks[M_3 + k * H + j] * dout[k];
                    dh2[j] = v * (1 - h2[j] * h2[j]);
                }
                for (int i = 0; i < H; ++i)
                {
                    real v = 0;
                    for (int j = 0; j < H; ++j) v += pb[T_W2 + j * H + i] * masks[M_2 + j * H + i] * dh2[j];
                    dh1[i] = v * (1 - h1[i] * h1[i]);
                }
                for (int d = 0; d < D; ++d)
                {
                    real v = dx[d];
                    for (int j = 0; j < H; ++j) v += pb[T_W1 + j * D + d] * masks[M_1 + j * D + d] * dh1[j];
                    S_DZ[n * D + d] = v;
                }
            }
            GBARRIER();
            /* parameter gradients: sums over the minibatch */
            EACH(q, 2 * D * H + 2 * D)
            {
                real v = 0;
                if (q < 2 * D * H)
                {
                    int k = q / H, j = q % H;
                    for (int n = 0; n < nb; ++n) v += S_DOUT[n * 2 * D + k] * S_H2(b)[(i64)n * H + j];
                    gb[T_W3 + q] = v * masks[M_3 + q];
                }
                else
                {
                    int k = q - 2 * D * H;
                    for (int n = 0; n < nb; ++n) v += S_DOUT[n * 2 * D + k];
                    gb[T_B3 + k] = v;
                }
            }
            EACH(q, H * H + H)
            {
                real v = 0;
                if (q < H * H)
                {
                    int j = q / H, i = q % H;
                    for (int n = 0; n < nb; ++n) v += S_DH2[(i64)n * H + j] * S_H1(b)[(i64)n * H + i];
                    gb[T_W2 + q] = v * masks[M_2 + q];
                }
                else
                {
                    int j = q - H * H;
                    for (int n = 0; n < nb; ++n) v += S_DH2[(i64)n * H + j];
                    gb[T_B2 + j] = v;
                }
            }
            EACH(q, H * D + H + H * C)
            {
                real v = 0;
                if (q < H * D)
                {
                    int j = q / D, i = q % D;
                    for (int n = 0; n < nb; ++n) v += S_DH1[(i64)n * H + j] * S_IN(b)[n * D + i];
                    gb[T_W1 + q] = v * masks[M_1 + q];
                }
                else if (q < H * D + H)
                {
                    int j = q - H * D;
                    for (int n = 0; n < nb; ++n) v += S_DH1[(i64)n * H + j];
                    gb[T_B1 + j] = v;
                }
                else
                {
                    int r = q - H * D - H, j = r / CC, i = r % CC;
                    for (int n = 0; n < nb; ++n) v += S_DH1[(i64)n * H + j] * S_CB[n * CC + i];
                    gb[T_WC + r] = v;
                }
            }
            GBARRIER();
        }
        /* Adam: coupled weight decay, global norm clip, bias correction */
        adam_update(red, lid, p, g, am, av, T_FLOW, (double)(stepsBefore + s + 1), lr, beta1, beta2, eps, wd, keep, clip);
        GBARRIER();
    }
}
