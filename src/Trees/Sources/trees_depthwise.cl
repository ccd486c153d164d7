/* Depth-wise histogram boosting of many models at once (HistogramBooster with GrowthPolicy.DepthWise): per-level
   histograms, nodes in heap numbering (children 2n+1, 2n+2). F = features, MAXD = max depth, WG = work-group size. */
#include "trees_common.cl"

#define NODES ((1 << (MAXD + 1)) - 1)
#define LEVEL_MAX (1 << (MAXD - 1))

KERNEL void train_depthwise(TREE_TRAIN_ARGS)
{
    TREE_JOB(LEVEL_MAX)

    LOCAL double red[WG];
    LOCAL double nodeG[NODES], nodeH[NODES], nodeC[NODES];
    LOCAL int open[NODES], split[NODES];
    LOCAL double bestGain[LEVEL_MAX * F];
    LOCAL int bestBin[LEVEL_MAX * F], bestMiss[LEVEL_MAX * F];
    LOCAL double bestLoss;
    LOCAL int bestRounds, stop, trained;

    for (int i = lid; i < nTrain; i += WG) m[i] = base;
    for (int i = lid; i < nVal; i += WG) vm[i] = base;
    if (lid == 0) { bestLoss = INFINITY; bestRounds = 0; stop = 0; trained = 0; }
    BARRIER();

    for (int round = 0; round < rounds; ++round)
    {
        GLOBAL int* feat = outFeature + ((i64)job * rounds + round) * NODES;
        GLOBAL int* thr = outThreshold + ((i64)job * rounds + round) * NODES;
        GLOBAL int* dleft = outDefaultLeft + ((i64)job * rounds + round) * NODES;
        GLOBAL double* val = outValue + ((i64)job * rounds + round) * NODES;
        for (int i = lid; i < nTrain; i += WG)
            node[i] = row_gradient(labels, frequencies, rows[i], w1, m[i], subsample, mySeed, round, i, g, h) ? 0 : -1;
        for (int n = lid; n < NODES; n += WG)
        {
            feat[n] = -1; thr[n] = 0; dleft[n] = 0; val[n] = 0.0;
            nodeG[n] = 0.0; nodeH[n] = 0.0; nodeC[n] = 0.0; open[n] = n == 0; split[n] = 0;
        }
        BARRIER();
        for (int depth = 0; depth <= MAXD; ++depth)
        {
            int first = (1 << depth) - 1, count = 1 << depth;
            if (depth == MAXD)
            {
                /* Deepest level: totals only, the nodes are leaves. */
                for (int i = lid; i < nTrain; i += WG)
                {
                    int n = node[i];
                    if (n >= first && n < first + count)
                    {
                        atomic_add_f64_local(&nodeG[n], g[i]);
                        atomic_add_f64_local(&nodeH[n], h[i]);
                    }
                }
                BARRIER();
                for (int n = first + lid; n < first + count; n += WG)
                    if (open[n]) val[n] = -nodeG[n] / (nodeH[n] + lambda) * lr;
                BARRIER();
                break;
            }
            for (int k = lid; k < count * F * NBINS * 3; k += WG) hs[k] = 0.0;
            BARRIER();
            for (int i = lid; i < nTrain; i += WG)
            {
                int n = node[i];
                if (n < first || n >= first + count || !open[n]) continue;
                int r = rows[i];
                for (int f = 0; f < F; ++f)
                {
                    int b = bins[(i64)f * totalRows + r];
                    GLOBAL double* cell = hs + (((i64)(n - first) * F + f) * NBINS + b) * 3;
                    atomic_add_f64_global(&cell[0], g[i]);
                    atomic_add_f64_global(&cell[1], h[i]);
                    atomic_add_f64_global(&cell[2], 1.0);
                }
            }
            BARRIER();
            /* Node totals from feature 0's histogram (every row falls in exactly one of its bins). */
            for (int n = first + lid; n < first + count; n += WG)
            {
                if (!open[n]) continue;
                double G = 0, H = 0, C = 0;
                GLOBAL double* base0 = hs + (i64)(n - first) * F * NBINS * 3;
                for (int b = 0; b < NBINS; ++b) { G += base0[b * 3]; H += base0[b * 3 + 1]; C += base0[b * 3 + 2]; }
                nodeG[n] = G; nodeH[n] = H; nodeC[n] = C;
            }
            BARRIER();
            /* Best split per (node, feature): bins ascending, missing right then left, strictly greater wins. */
            for (int t = lid; t < count * F; t += WG)
            {
                int n = first + t / F, f = t % F;
                bestGain[t] = -INFINITY; bestBin[t] = 0; bestMiss[t] = 0;
                if (!open[n] || nodeC[n] < 2 * minSamplesLeaf) continue;
                GLOBAL double* hf = hs + ((i64)(n - first) * F + f) * NBINS * 3;
                double gl, hl, cl;
                int bin, miss;
                bestGain[t] = best_split(hf, nodeG[n], nodeH[n], nodeC[n], lambda, minSamplesLeaf, minChildWeight, &bin, &miss, &gl, &hl, &cl);
                bestBin[t] = bin; bestMiss[t] = miss;
            }
            BARRIER();
            for (int n = first + lid; n < first + count; n += WG)
            {
                if (!open[n]) continue;
                int bf = -1;
                double bg = -INFINITY;
                for (int f = 0; f < F; ++f)
                {
                    int t = (n - first) * F + f;
                    if (bestGain[t] > bg) { bg = bestGain[t]; bf = f; }
                }
                val[n] = -nodeG[n] / (nodeH[n] + lambda) * lr;
                if (bf >= 0 && bg > fmax(gamma, 1e-12))
                {
                    int t = (n - first) * F + bf;
                    feat[n] = bf; thr[n] = bestBin[t]; dleft[n] = bestMiss[t];
                    split[n] = 1;
                    open[2 * n + 1] = 1;
                    open[2 * n + 2] = 1;
                }
            }
            BARRIER();
            for (int i = lid; i < nTrain; i += WG)
            {
                int n = node[i];
                if (n < first || n >= first + count || !split[n]) continue;
                int b = bins[(i64)feat[n] * totalRows + rows[i]];
                int left = b == MISSING ? dleft[n] : b <= thr[n];
                node[i] = left ? 2 * n + 1 : 2 * n + 2;
            }
            BARRIER();
        }
        finish_round(feat, thr, dleft, val, 0, 0, bins, totalRows, labels, frequencies, w1, rows, nTrain, m, vrows, nVal, vm,
                     round, patience, tol, lid, red, &bestLoss, &bestRounds, &stop, &trained);
        if (stop) break;
    }
    if (lid == 0)
    {
        outRounds[2 * job] = trained;
        outRounds[2 * job + 1] = patience > 0 ? (bestRounds > 0 ? bestRounds : 1) : trained;
    }
}
