/* What the boosting kernels (trees_depthwise.cl, trees_leafwise.cl) share: one work-group of WG work-items trains one
   (fold, member) job for all its rounds, mirroring FastAD.Trees.HistogramBooster: gradient (p - y) w, hessian
   p(1 - p) w, Philox row subsampling, gradient/hessian/count histograms (global memory, atomics), split gain
   GL^2/(HL+l) + GR^2/(HR+l) - G^2/(H+l) with both sides tried for missing values, leaf weight -G/(H+l) * lr, early
   stopping on the validation log-loss. The including source defines F (features) and WG (a power of two) first. */
#ifndef WG
#error WG must be defined before trees_common.cl
#endif
#define NBINS 256
#define MISSING 255
#ifdef FASTAD_OPENCL
#define LOCAL_PTR __local
#define GBARRIER() barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE)
#else
#define LOCAL_PTR
#define GBARRIER() __syncthreads()
#endif

/* i = lid, lid + WG, ... below count, written so that every work-item runs the outer loop the same number of times
   (flow_train.cl's EACH: PoCL skipped a loop after a barrier that some work-items entered zero times). */
#define EACH(i, count) for (int i##_0 = 0; i##_0 < (count); i##_0 += WG) for (int i = i##_0 + lid; i < (count) && i < i##_0 + WG; i += WG)

DEVFN double logloss_term(double m, double y) { return fmax(m, 0.0) + log(1.0 + exp(-fabs(m))) - y * m; }

/* The leaf value of a row: children 2n+1, 2n+2 (heap numbering) when left is null, else left[n], right[n]. */
DEVFN double tree_predict(GLOBAL const int* feature, GLOBAL const int* threshold, GLOBAL const int* defaultLeft,
                          GLOBAL const double* value, GLOBAL const int* left, GLOBAL const int* right,
                          GLOBAL const uchar* bins, int totalRows, int row)
{
    int n = 0;
    while (feature[n] >= 0)
    {
        int b = bins[(i64)feature[n] * totalRows + row];
        int goLeft = b == MISSING ? defaultLeft[n] : b <= threshold[n];
        n = left ? (goLeft ? left[n] : right[n]) : (goLeft ? 2 * n + 1 : 2 * n + 2);
    }
    return value[n];
}

/* Gradient and hessian of training row i (row r) at margin mi; returns whether the round's subsample takes it
   (uniform i of Philox stream (seed, round), as HistogramBooster draws it). */
DEVFN int row_gradient(GLOBAL const double* labels, GLOBAL const double* frequencies, int r, double w1, double mi,
                       double subsample, u64 seed, int round, int i, GLOBAL double* g, GLOBAL double* h)
{
    double y = labels[r], w = (y == 1.0 ? w1 : 1.0) * frequencies[r];
    double p = 1.0 / (1.0 + exp(-mi));
    g[i] = (p - y) * w;
    h[i] = p * (1.0 - p) * w;
    if (!(subsample < 1.0)) return 1;
    u32 wds[4];
    philox_block(seed, (u64)round, (u64)(i >> 1), wds);
    double u = (i & 1) == 0 ? philox_u01_f64(wds[0], wds[1]) : philox_u01_f64(wds[2], wds[3]);
    return u < subsample;
}

/* The best split of one node on one feature from its histogram hf (NBINS (G, H, count) triples) and the node's totals:
   bins ascending, missing values right then left, strictly greater wins (HistogramBooster.FindSplit). Returns the gain
   (-INFINITY: no admissible split) and sets the bin, the side of the missing values and the left side's sums. */
DEVFN double best_split(GLOBAL const double* hf, double G, double H, double C, double lambda, int minSamplesLeaf, double minChildWeight,
                        int* bin, int* missLeft, double* leftG, double* leftH, double* leftC)
{
    double parent = G * G / (H + lambda);
    double gm = hf[MISSING * 3], hm = hf[MISSING * 3 + 1], cm = hf[MISSING * 3 + 2];
    double gl = 0, hl = 0, cl = 0, best = -INFINITY;
    *bin = 0; *missLeft = 0; *leftG = 0; *leftH = 0; *leftC = 0;
    for (int b = 0; b < MISSING - 1; ++b)
    {
        gl += hf[b * 3]; hl += hf[b * 3 + 1]; cl += hf[b * 3 + 2];
        if (hf[b * 3 + 2] == 0 && b > 0) continue;
        for (int side = 0; side < (cm > 0 ? 2 : 1); ++side)
        {
            double GL = gl + (side ? gm : 0), HL = hl + (side ? hm : 0), CL = cl + (side ? cm : 0);
            double GR = G - GL, HR = H - HL, CR = C - CL;
            if (CL < minSamplesLeaf || CR < minSamplesLeaf || HL < minChildWeight || HR < minChildWeight) continue;
            double gain = GL * GL / (HL + lambda) + GR * GR / (HR + lambda) - parent;
            if (gain > best) { best = gain; *bin = b; *missLeft = side; *leftG = GL; *leftH = HL; *leftC = CL; }
        }
    }
    return best;
}

/* After a tree: the margins of every training and validation row, the validation loss, the best round and early
   stopping (state in local memory, updated by work-item 0; every work-item must call). */
DEVFN void finish_round(GLOBAL const int* feat, GLOBAL const int* thr, GLOBAL const int* dleft, GLOBAL const double* val,
                        GLOBAL const int* left, GLOBAL const int* right, GLOBAL const uchar* bins, int totalRows,
                        GLOBAL const double* labels, GLOBAL const double* frequencies, double w1,
                        GLOBAL const int* rows, int nTrain, GLOBAL double* m, GLOBAL const int* vrows, int nVal, GLOBAL double* vm,
                        int round, int patience, double tol, int lid, LOCAL_PTR double* red,
                        LOCAL_PTR double* bestLoss, LOCAL_PTR int* bestRounds, LOCAL_PTR int* stop, LOCAL_PTR int* trained)
{
    for (int i = lid; i < nTrain; i += WG) m[i] += tree_predict(feat, thr, dleft, val, left, right, bins, totalRows, rows[i]);
    double loss = 0.0, wsum = 0.0;
    for (int i = lid; i < nVal; i += WG)
    {
        int r = vrows[i];
        vm[i] += tree_predict(feat, thr, dleft, val, left, right, bins, totalRows, r);
        double y = labels[r], w = (y == 1.0 ? w1 : 1.0) * frequencies[r];
        loss += w * logloss_term(vm[i], y);
        wsum += w;
    }
    red[lid] = loss;
    BARRIER();
    for (int s = WG / 2; s > 0; s >>= 1) { if (lid < s) red[lid] += red[lid + s]; BARRIER(); }
    double totalLoss = red[0];
    BARRIER();
    red[lid] = wsum;
    BARRIER();
    for (int s = WG / 2; s > 0; s >>= 1) { if (lid < s) red[lid] += red[lid + s]; BARRIER(); }
    if (lid == 0)
    {
        *trained = round + 1;
        if (nVal > 0)
        {
            double l = totalLoss / red[0];
            if (l < *bestLoss - tol) { *bestLoss = l; *bestRounds = round + 1; }
            else if (patience > 0 && round + 1 - *bestRounds >= patience) *stop = 1;
        }
    }
    BARRIER();
}

/* The parameters every training kernel takes (the job tables, the boosting settings, the work buffers and the
   outputs), in the host's argument order (KernelEnsembleTrainer); a kernel's own parameters follow them. */
#define TREE_TRAIN_ARGS \
    GLOBAL const uchar* bins, GLOBAL const double* labels, GLOBAL const double* frequencies, \
    GLOBAL const int* trainRows, GLOBAL const int* trainOffset, GLOBAL const int* valRows, \
    GLOBAL const int* valOffset, GLOBAL const double* positiveWeight, GLOBAL const double* baseline, int rounds, \
    int patience, int minSamplesLeaf, int totalRows, int members, double lr, double lambda, double gamma, \
    double minChildWeight, double subsample, double tol, u64 seed, int maxTrain, int maxVal, \
    GLOBAL double* margin, GLOBAL double* grad, GLOBAL double* hess, GLOBAL int* nodeOf, \
    GLOBAL double* valMargin, GLOBAL double* hist, GLOBAL int* outFeature, GLOBAL int* outThreshold, \
    GLOBAL int* outDefaultLeft, GLOBAL double* outValue, GLOBAL int* outRounds

/* The start of a training kernel: job = (fold, member) of this work-group, its seed, its training and validation rows,
   and its views of the per-row buffers and of the histograms (HIST_NODES nodes of F x NBINS x 3 per job). */
#define TREE_JOB(HIST_NODES) \
    int job = (int)GROUP_ID(0), lid = LOCAL_ID(0); \
    int fold = job / members, member = job % members; \
    u64 mySeed = seed + (u64)member; \
    GLOBAL const int* rows = trainRows + trainOffset[fold]; \
    int nTrain = trainOffset[fold + 1] - trainOffset[fold]; \
    GLOBAL const int* vrows = valRows + valOffset[fold]; \
    int nVal = valOffset[fold + 1] - valOffset[fold]; \
    double w1 = positiveWeight[fold], base = baseline[fold]; \
    GLOBAL double* m = margin + (i64)job * maxTrain; \
    GLOBAL double* g = grad + (i64)job * maxTrain; \
    GLOBAL double* h = hess + (i64)job * maxTrain; \
    GLOBAL int* node = nodeOf + (i64)job * maxTrain; \
    GLOBAL double* vm = valMargin + (i64)job * maxVal; \
    GLOBAL double* hs = hist + (i64)job * (HIST_NODES) * F * NBINS * 3;
