/* Weighted histogram: counts, sum of weights, sum of squared weights per bin, plus one "outside"
   slot (index NBINS) for values outside the edges and NaN. Bin i is [e_i, e_{i+1}); the last bin
   holds its upper edge. Each work-group accumulates a private histogram in local memory and writes
   it to partials[group]; histogram_reduce adds the groups in order. */
#ifndef NBINS
#error NBINS must be defined
#endif
#ifndef WG
#define WG 256
#endif
#define SLOTS (NBINS + 1)

/* Exactly FastAD.Kernels.Primitives.BinEdges.Find: a guess from the mean width, confirmed by the
   edges, else a binary search. */
DEVFN int find_bin(GLOBAL const double* edges, double invWidth, double v)
{
    if (!(v >= edges[0] && v <= edges[NBINS])) return NBINS;
    int guess = (int)((v - edges[0]) * invWidth);
    if (guess > NBINS - 1) guess = NBINS - 1;
    if (edges[guess] <= v && (v < edges[guess + 1] || guess == NBINS - 1)) return guess;
    int lo = 0, hi = NBINS;
    while (hi - lo > 1)
    {
        int mid = (lo + hi) >> 1;
        if (edges[mid] <= v) lo = mid; else hi = mid;
    }
    return lo;
}

KERNEL void histogram_partials(GLOBAL const float* values, GLOBAL const float* weights, int hasWeights, i64 n,
                               GLOBAL const double* edges, double invWidth, GLOBAL int* pCount, GLOBAL double* pSum, GLOBAL double* pSum2)
{
    LOCAL int count[SLOTS];
    LOCAL double sw[SLOTS];
    LOCAL double sw2[SLOTS];
    int lid = LOCAL_ID(0);
    for (int k = lid; k < SLOTS; k += WG) { count[k] = 0; sw[k] = 0.0; sw2[k] = 0.0; }
    BARRIER();
    i64 stride = NUM_GROUPS(0) * WG;
    for (i64 i = GROUP_ID(0) * WG + lid; i < n; i += stride)
    {
        int bin = find_bin(edges, invWidth, (double)values[i]);
        atomic_add_i32_local(&count[bin], 1);
        if (bin < NBINS)
        {
            double w = hasWeights ? (double)weights[i] : 1.0;
            atomic_add_f64_local(&sw[bin], w);
            atomic_add_f64_local(&sw2[bin], w * w);
        }
    }
    BARRIER();
    i64 base = GROUP_ID(0) * SLOTS;
    for (int k = lid; k < SLOTS; k += WG)
    {
        pCount[base + k] = count[k];
        pSum[base + k] = sw[k];
        pSum2[base + k] = sw2[k];
    }
}

KERNEL void histogram_reduce(GLOBAL const int* pCount, GLOBAL const double* pSum, GLOBAL const double* pSum2, int groups,
                             GLOBAL i64* count, GLOBAL double* sum, GLOBAL double* sum2)
{
    i64 k = GLOBAL_ID(0);
    if (k >= SLOTS) return;
    i64 c = 0;
    double s = 0.0, s2 = 0.0;
    for (int g = 0; g < groups; ++g)
    {
        c += pCount[(i64)g * SLOTS + k];
        s += pSum[(i64)g * SLOTS + k];
        s2 += pSum2[(i64)g * SLOTS + k];
    }
    count[k] = c;
    sum[k] = s;
    sum2[k] = s2;
}
