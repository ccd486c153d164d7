/* What the kernels of the nflows rational-quadratic-spline MAF of SPEC 2.1 (rqs.cl, rqs_train.cl) share: the
   compile-time sizes, the parameter layout of one block, and the spline of one dimension (a mirror of
   RationalQuadraticSpline and RationalQuadraticSplineGradient).
   Sizes (defined by the host with an RQS_ prefix): D features, C conditions (0 allowed), H hidden units,
   L hidden layers after the first (relu), B transforms, K spline bins, BOUND the tail bound; REAL float or double.
   A block's parameters, in NflowsMadeBlock.Layers order (weights [out x in] row-major):
     W0 [H x D]  b0 [H]  (C > 0: Wc [H x C]  bc [H])  L x (Wl [H x H]  bl [H])  Wo [P D x H]  bo [P D]
   with P = 3K - 1 outputs per dimension, grouped (dimension k's at k P ... k P + P - 1). */
#ifndef RQS_D
#error RQS_D must be defined
#endif
#define D RQS_D
#ifndef RQS_C
#error RQS_C must be defined
#endif
#define C RQS_C
#ifndef RQS_H
#error RQS_H must be defined
#endif
#define H RQS_H
#ifndef RQS_L
#error RQS_L must be defined
#endif
#define L RQS_L
#ifndef RQS_B
#error RQS_B must be defined
#endif
#define B RQS_B
#ifndef RQS_K
#error RQS_K must be defined
#endif
#define K RQS_K
#ifndef RQS_BOUND
#error RQS_BOUND must be defined
#endif
#define BOUND ((real)RQS_BOUND)
#ifndef RQS_REAL
#define RQS_REAL double
#endif
typedef RQS_REAL real;

#define P (3 * K - 1)
#define PD (P * D)
#define CC (C > 0 ? C : 1)
#define O_W0 0
#define O_B0 (O_W0 + H * D)
#define O_WC (O_B0 + H)
#define O_BC (O_WC + H * C)
#define O_WL(l) (O_BC + (C > 0 ? H : 0) + (l) * (H * H + H))
#define O_BL(l) (O_WL(l) + H * H)
#define O_WO O_WL(L)
#define O_BO (O_WO + PD * H)
#define O_END (O_BO + PD)
#define HALF_LOG_2PI 0.91893853320467274178
#define MIN_BIN ((real)1e-3)

DEVFN real rqs_softplus(real u) { return fmax(u, (real)0) + log((real)1 + exp(-fabs(u))); }

/* Cumulative knot positions c[0..K] from K raw widths (or heights): softmax, min + (1 - min K) p, sums on [-B, B]. */
DEVFN void rqs_cumulative(const real* raw, real* c)
{
    real mx = raw[0];
    for (int k = 1; k < K; ++k) mx = fmax(mx, raw[k]);
    real sum = 0;
    for (int k = 0; k < K; ++k)
    {
        c[k + 1] = exp(raw[k] - mx);
        sum += c[k + 1];
    }
    real acc = 0;
    for (int k = 0; k < K; ++k)
    {
        acc += MIN_BIN + (1 - MIN_BIN * K) * c[k + 1] / sum;
        c[k + 1] = 2 * BOUND * acc - BOUND;
    }
    c[0] = -BOUND;
    c[K] = BOUND;
}

/* Knots (x, y, derivative; K + 1 each) from the P raw parameters t of one dimension (widths and heights already scaled). */
DEVFN void rqs_knots(const real* t, real* kx, real* ky, real* kd)
{
    rqs_cumulative(t, kx);
    rqs_cumulative(t + K, ky);
    kd[0] = kd[K] = 1;
    for (int k = 1; k < K; ++k) kd[k] = MIN_BIN + rqs_softplus(t[2 * K + k - 1]);
}

/* The bin b with e[b] <= v < e[b + 1] (v inside (e[0], e[K])). */
DEVFN int rqs_bin(const real* e, real v)
{
    int lo = 0, hi = K - 1;
    while (lo < hi)
    {
        int mid = (lo + hi + 1) >> 1;
        if (e[mid] <= v) lo = mid; else hi = mid - 1;
    }
    return lo;
}

/* y = spline(x); *ld += log dy/dx (identity outside [-B, B]). */
DEVFN real rqs_forward(real x, const real* kx, const real* ky, const real* kd, real* ld)
{
    if (x <= kx[0] || x >= kx[K]) return x;
    int b = rqs_bin(kx, x);
    real w = kx[b + 1] - kx[b], h = ky[b + 1] - ky[b], s = h / w;
    real t = (x - kx[b]) / w, tt = t * (1 - t);
    real d0 = kd[b], d1 = kd[b + 1];
    real denom = s + (d1 + d0 - 2 * s) * tt;
    real y = ky[b] + h * (s * t * t + d0 * tt) / denom;
    *ld += log(s * s * (d1 * t * t + 2 * s * tt + d0 * (1 - t) * (1 - t)) / (denom * denom));
    return y;
}

/* x = spline^-1(y): the root of the bin's quadratic. */
DEVFN real rqs_inverse(real y, const real* kx, const real* ky, const real* kd)
{
    if (y <= ky[0] || y >= ky[K]) return y;
    int b = rqs_bin(ky, y);
    real w = kx[b + 1] - kx[b], h = ky[b + 1] - ky[b], s = h / w;
    real d0 = kd[b], d1 = kd[b + 1];
    real dy = y - ky[b], kappa = d1 + d0 - 2 * s;
    real a = h * (s - d0) + dy * kappa, bq = h * d0 - dy * kappa, c = -s * dy;
    real disc = fmax(bq * bq - 4 * a * c, (real)0);
    real t = 2 * c / (-bq - sqrt(disc));
    return t * w + kx[b];
}
