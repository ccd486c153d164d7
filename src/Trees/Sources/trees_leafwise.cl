/* Leaf-wise histogram boosting of many models at once (scikit-learn HistGradientBoosting, HistogramBooster with
   GrowthPolicy.LeafWise): the open leaf of the highest split gain is split next (ties: the earliest node), until MAXL
   leaves or no split gains more than max(gamma, 1e-12); the smaller child's histogram is built from its rows, the
   larger's is the parent's minus it. Nodes are numbered in creation order with explicit children, as the managed
   trees are. F = features, MAXL = max leaf count, WG = work-group size.
   The growth is one loop of MAXL steps in which every work-item runs every barrier (work gated by uniform counts,
   EACH loops): PoCL compiles it quickly, where a while loop around conditional barrier blocks took minutes. */
#include "trees_common.cl"

#define LNODES (2 * MAXL - 1)

/* The (G, H, count) histograms of a job's node n: F x NBINS triples. */
#define HIST(n) (hs + (i64)(n) * F * NBINS * 3)

/* HistogramBooster's CanSplit: under the depth limit (none when maxDepth <= 0) and room for two leaves. */
#define CAN_SPLIT(n) ((maxDepth <= 0 || nDepth[n] < maxDepth) && nC[n] >= 2 * minSamplesLeaf)

/* Arguments as train_depthwise, plus maxDepth (0: none) and the explicit children of every tree's nodes. */
KERNEL void train_leafwise(TREE_TRAIN_ARGS, int maxDepth, GLOBAL int* outLeft, GLOBAL int* outRight)
{
    TREE_JOB(LNODES)

    LOCAL double red[WG];
    /* Per node: totals, depth; its best split (feature -1: none) with gain and the left side's sums; queued. */
    LOCAL double nG[LNODES], nH[LNODES], nC[LNODES], nGain[LNODES], sG[LNODES], sH[LNODES], sC[LNODES];
    LOCAL int nDepth[LNODES], sF[LNODES], sBin[LNODES], sMiss[LNODES], queued[LNODES];
    /* Best split per (one of the step's new nodes, feature). */
    LOCAL double tGain[2 * F], tG[2 * F], tH[2 * F], tC[2 * F];
    LOCAL int tBin[2 * F], tMiss[2 * F], target[2];
    /* The step: node count, the node split (-1: none), the new nodes whose histogram is built / subtracted
       (-1: none), how many new nodes are searched for splits, whether growth has ended. */
    LOCAL int count, chosen, small, large, targets, done;
    LOCAL double bestLoss;
    LOCAL int bestRounds, stop, trained;

    EACH(i, nTrain) m[i] = base;
    EACH(i, nVal) vm[i] = base;
    if (lid == 0) { bestLoss = INFINITY; bestRounds = 0; stop = 0; trained = 0; }
    BARRIER();

    for (int round = 0; round < rounds; ++round)
    {
        i64 at = ((i64)job * rounds + round) * LNODES;
        GLOBAL int* feat = outFeature + at;
        GLOBAL int* thr = outThreshold + at;
        GLOBAL int* dleft = outDefaultLeft + at;
        GLOBAL double* val = outValue + at;
        GLOBAL int* lft = outLeft + at;
        GLOBAL int* rgt = outRight + at;
        double pg = 0, ph = 0, pc = 0;
        EACH(i, nTrain)
        {
            int sampled = row_gradient(labels, frequencies, rows[i], w1, m[i], subsample, mySeed, round, i, g, h);
            node[i] = sampled ? 0 : -1;
            if (sampled) { pg += g[i]; ph += h[i]; pc += 1; }
        }
        EACH(n, LNODES)
        {
            feat[n] = -1; thr[n] = 0; dleft[n] = 0; val[n] = 0.0; lft[n] = -1; rgt[n] = -1;
            sF[n] = -1; nGain[n] = -INFINITY; queued[n] = 0;
        }
        GBARRIER();
        /* Root totals (work-group sums). */
        red[lid] = pg;
        BARRIER();
        for (int s = WG / 2; s > 0; s >>= 1) { if (lid < s) red[lid] += red[lid + s]; BARRIER(); }
        if (lid == 0) nG[0] = red[0];
        BARRIER();
        red[lid] = ph;
        BARRIER();
        for (int s = WG / 2; s > 0; s >>= 1) { if (lid < s) red[lid] += red[lid + s]; BARRIER(); }
        if (lid == 0) nH[0] = red[0];
        BARRIER();
        red[lid] = pc;
        BARRIER();
        for (int s = WG / 2; s > 0; s >>= 1) { if (lid < s) red[lid] += red[lid + s]; BARRIER(); }
        if (lid == 0) { nC[0] = red[0]; nDepth[0] = 0; count = 1; done = 0; chosen = -1; small = -1; large = -1; targets = 0; }
        BARRIER();
        /* Step 0 prepares the root; step k > 0 makes the k-th split, if growth has not ended, and prepares its children: at
           most MAXL - 1 splits, MAXL leaves. */
        for (int step = 0; step < MAXL; ++step)
        {
            if (lid == 0)
            {
                if (step == 0)
                {
                    if (CAN_SPLIT(0)) { small = 0; target[targets++] = 0; }
                }
                else if (!done)
                {
                    /* The next split: the queued node of the highest gain, the earliest on ties. */
                    int best = -1;
                    for (int n = 0; n < count; ++n)
                        if (queued[n] && (best < 0 || nGain[n] > nGain[best])) best = n;
                    done = best < 0;
                    if (!done)
                    {
                        int l = count, r = count + 1;
                        queued[best] = 0;
                        chosen = best;
                        count += 2;
                        feat[best] = sF[best]; thr[best] = sBin[best]; dleft[best] = sMiss[best]; lft[best] = l; rgt[best] = r;
                        nG[l] = sG[best]; nH[l] = sH[best]; nC[l] = sC[best];
                        nG[r] = nG[best] - sG[best]; nH[r] = nH[best] - sH[best]; nC[r] = nC[best] - sC[best];
                        nDepth[l] = nDepth[best] + 1;
                        nDepth[r] = nDepth[best] + 1;
                        int needL = CAN_SPLIT(l), needR = CAN_SPLIT(r);
                        if (needL || needR)
                        {
                            small = nC[l] <= nC[r] ? l : r;
                            large = small == l ? r : l;
                        }
                        if (needL) target[targets++] = l;
                        if (needR) target[targets++] = r;
                    }
                }
            }
            GBARRIER();
            /* Partition the chosen node's rows: bin <= threshold, or missing with the default to the left, go left. */
            int split = chosen, nPart = chosen >= 0 ? nTrain : 0;
            EACH(i, nPart)
            {
                if (node[i] != split) continue;
                int b = bins[(i64)sF[split] * totalRows + rows[i]];
                int goLeft = b == MISSING ? sMiss[split] : b <= sBin[split];
                node[i] = goLeft ? lft[split] : rgt[split];
            }
            /* The histograms the new nodes need: the smaller built from its rows, the larger by subtraction. */
            int sm = small, lg = large, cells = F * NBINS * 3;
            GLOBAL double* hsmall = HIST(sm >= 0 ? sm : 0);
            EACH(k, sm >= 0 ? cells : 0) hsmall[k] = 0.0;
            GBARRIER();
            EACH(i, sm >= 0 ? nTrain : 0)
            {
                if (node[i] != sm) continue;
                int r = rows[i];
                for (int f = 0; f < F; ++f)
                {
                    GLOBAL double* cell = hsmall + ((i64)f * NBINS + bins[(i64)f * totalRows + r]) * 3;
                    atomic_add_f64_global(&cell[0], g[i]);
                    atomic_add_f64_global(&cell[1], h[i]);
                    atomic_add_f64_global(&cell[2], 1.0);
                }
            }
            GBARRIER();
            GLOBAL double* hlarge = HIST(lg >= 0 ? lg : 0);
            GLOBAL const double* hparent = HIST(split >= 0 ? split : 0);
            EACH(k, lg >= 0 ? cells : 0) hlarge[k] = hparent[k] - hsmall[k];
            GBARRIER();
            /* Best split of each new node per feature. */
            EACH(t, targets * F)
            {
                int n = target[t / F];
                int bin, miss;
                double gl, hl, cl;
                tGain[t] = best_split(HIST(n) + (i64)(t % F) * NBINS * 3, nG[n], nH[n], nC[n], lambda, minSamplesLeaf, minChildWeight,
                                      &bin, &miss, &gl, &hl, &cl);
                tBin[t] = bin; tMiss[t] = miss; tG[t] = gl; tH[t] = hl; tC[t] = cl;
            }
            BARRIER();
            if (lid == 0)
            {
                for (int k = 0; k < targets; ++k)
                {
                    int n = target[k];
                    for (int f = 0; f < F; ++f)
                    {
                        int t = k * F + f;
                        if (tGain[t] > nGain[n]) { nGain[n] = tGain[t]; sF[n] = f; sBin[n] = tBin[t]; sMiss[n] = tMiss[t]; sG[n] = tG[t]; sH[n] = tH[t]; sC[n] = tC[t]; }
                    }
                }
                /* Leaf values of the new nodes; the ones with a split worth taking join the queue. */
                int first = step == 0 ? 0 : split >= 0 ? count - 2 : count;
                for (int n = first; n < count; ++n)
                {
                    val[n] = -nG[n] / (nH[n] + lambda) * lr;
                    queued[n] = sF[n] >= 0 && nGain[n] > fmax(gamma, 1e-12);
                }
                /* The next step's reset, here rather than at the top of its work-item-0 block: there, PoCL 3.1 lost the root's
                   split (every tree a single leaf; seen, not diagnosed). */
                chosen = -1; small = -1; large = -1; targets = 0;
            }
            GBARRIER();
        }
        finish_round(feat, thr, dleft, val, lft, rgt, bins, totalRows, labels, frequencies, w1, rows, nTrain, m, vrows, nVal, vm,
                     round, patience, tol, lid, red, &bestLoss, &bestRounds, &stop, &trained);
        if (stop) break;
    }
    if (lid == 0)
    {
        outRounds[2 * job] = trained;
        outRounds[2 * job + 1] = patience > 0 ? (bestRounds > 0 ? bestRounds : 1) : trained;
    }
}
