/* Fully connected classifiers of SimAD (FastAD.Flows.KernelMlpTrainer, KernelMlpEvaluator): a mirror of
   MlpClassifier.Forward (ReLU between layers, linear output f), .BatchLoss and .Backward (BCE on sigmoid(f) with
   per-event weights, or the MLC loss -f on data, e^f - 1 on simulation, both averaged over the batch) and the Adam
   step MlpTrainer takes (FlowTrainer.AdamStep with scale 1, no weight decay, no clip).
   mlp_train_epoch: one work-group of WG work-items per network runs one epoch of minibatch steps, the row order
   (the epoch's Philox shuffle) given by the host; parameters and Adam moments stay on the device between epochs,
   activations and their gradients live in a global scratch area of the network.
   mlp_forward: one work-item per (event, network) evaluates f.
   Sizes (defined by the host): MLP_NL linear layers, MLP_SIZES their widths "inputs, hidden..., 1", MLP_MAXW the
   widest layer, MLP_NP parameters per network, MLP_ACTS the sum of the layers' output widths, MLP_WG the
   work-group size (a power of two), MLP_BCE 1 for BCE and 0 for MLC; REAL float or double (MLP_REAL, double by
   default).
   Parameters of one network in MlpClassifier.Layers order: per layer W [out x in] then b [out]. Gradients keep
   the layout. Rows of a network's data: xs[(dataOffset + r) * inputs ...], ys and ws at dataOffset + r. */
#ifndef MLP_NL
#error MLP_NL must be defined
#endif
#ifndef MLP_REAL
#define MLP_REAL double
#endif
typedef MLP_REAL real;
#define NL MLP_NL
#define WG MLP_WG
#define NP MLP_NP

#include "flow_train.cl"

/* One epoch of network k: steps of nb = min(batch, rows) rows in the host's order, the last one shorter (as
   MlpTrainer). Adam's t continues from epoch * steps-per-epoch. epochLoss[k] = sum over steps of the batch's mean
   loss times its size (MlpTrainer's total). Scratch per network: inputs [nb x in0], labels, weights [nb],
   activations and their gradients [nb x MLP_ACTS] each. */
KERNEL void mlp_train_epoch(GLOBAL real* params, GLOBAL real* adamM, GLOBAL real* adamV, GLOBAL real* grads,
    GLOBAL const real* xs, GLOBAL const real* ys, GLOBAL const real* ws, GLOBAL const i64* dataOffset,
    GLOBAL const int* rowCount, GLOBAL const int* order, GLOBAL const i64* orderOffset, int batch, int epoch,
    double lr, double beta1, double beta2, double eps, GLOBAL real* scratch, i64 scratchStride, GLOBAL real* epochLoss)
{
    LOCAL real red[WG];
    const int sz[NL + 1] = { MLP_SIZES };
    /* The launch has exactly one work-group per network: no early return before the barriers. */
    int k = (int)GROUP_ID(0), lid = LOCAL_ID(0);
    int rows = rowCount[k], nb = batch < rows ? batch : rows, steps = (rows + nb - 1) / nb;
    GLOBAL real* p = params + (i64)k * NP;
    GLOBAL real* g = grads + (i64)k * NP;
    GLOBAL real* am = adamM + (i64)k * NP;
    GLOBAL real* av = adamV + (i64)k * NP;
    GLOBAL real* S = scratch + (i64)k * scratchStride;
    GLOBAL real* sx = S;
    GLOBAL real* sy = sx + (i64)nb * sz[0];
    GLOBAL real* sw = sy + nb;
    GLOBAL real* acts = sw + nb;
    GLOBAL real* dacts = acts + (i64)nb * MLP_ACTS;
    GLOBAL const int* ord = order + orderOffset[k];
    i64 base = dataOffset[k];
    real total = 0;
    for (int s = 0; s < steps; ++s)
    {
        int start = s * nb, m = rows - start < nb ? rows - start : nb;
        EACH(n, m)
        {
            i64 r = base + ord[start + n];
            for (int i = 0; i < sz[0]; ++i) sx[n * sz[0] + i] = xs[r * sz[0] + i];
            sy[n] = ys[r];
            sw[n] = ws[r];
        }
        GBARRIER();
        /* forward: a = relu(W a_prev + b), the last layer linear */
        int po = 0, ao = 0;
        for (int l = 0; l < NL; ++l)
        {
            int in = sz[l], out = sz[l + 1];
            GLOBAL const real* W = p + po;
            GLOBAL const real* b = W + out * in;
            GLOBAL const real* a = l == 0 ? sx : acts + (i64)m * (ao - in);
            GLOBAL real* y = acts + (i64)m * ao;
            EACH(q, m * out)
            {
                int n = q / out, o = q % out;
                real v = b[o];
                for (int i = 0; i < in; ++i) v += W[o * in + i] * a[n * in + i];
                y[q] = l < NL - 1 && v < 0 ? (real)0 : v;   /* TensorPrimitives.Max(v, 0): NaN stays NaN */
            }
            GBARRIER();
            po += out * in + out;
            ao += out;
        }
        /* loss and dL/df of the batch */
        GLOBAL const real* f = acts + (i64)m * (MLP_ACTS - 1);
        GLOBAL real* df = dacts + (i64)m * (MLP_ACTS - 1);
        real part = 0;
        EACH(n, m)
        {
            real fn = f[n], yn = sy[n];
#if MLP_BCE
            real wn = sw[n];
            part += wn * ((fn > 0 ? fn : (real)0) - yn * fn + log(1 + exp(-fabs(fn))));
            df[n] = wn * (1 / (1 + exp(-fn)) - yn) / m;
#else
            part += yn == 1 ? -fn : exp(fn) - 1;
            df[n] = (yn == 1 ? (real)(-1) : exp(fn)) / m;
#endif
        }
        real sum = group_sum(red, part, lid);
        total += sum / m * m;
        GBARRIER();
        /* backward, last layer first: dW = G^T a_prev, db = sum G, G_prev = (G W) where a_prev > 0 */
        for (int l = NL - 1; l >= 0; --l)
        {
            int in = sz[l], out = sz[l + 1];
            ao -= out;
            po -= out * in + out;
            GLOBAL const real* W = p + po;
            GLOBAL const real* a = l == 0 ? sx : acts + (i64)m * (ao - in);
            GLOBAL const real* G = dacts + (i64)m * ao;
            GLOBAL real* gW = g + po;
            EACH(q, out * in + out)
            {
                real v = 0;
                if (q < out * in)
                {
                    int o = q / in, i = q % in;
                    for (int n = 0; n < m; ++n) v += G[n * out + o] * a[n * in + i];
                }
                else
                    for (int n = 0; n < m; ++n) v += G[n * out + q - out * in];
                gW[q] = v;
            }
            if (l > 0)
            {
                GLOBAL real* Gp = dacts + (i64)m * (ao - in);
                EACH(q, m * in)
                {
                    int n = q / in, i = q % in;
                    real v = 0;
                    for (int o = 0; o < out; ++o) v += G[n * out + o] * W[o * in + i];
                    Gp[q] = a[q] <= 0 ? (real)0 : v;   /* VectorMath.ReluBackward */
                }
            }
            GBARRIER();
        }
        /* Adam with bias correction (no weight decay, no clip: FlowTrainer.AdamStep with scale 1) */
        adam_update(red, lid, p, g, am, av, NP, (double)((i64)epoch * steps + s + 1), lr, beta1, beta2, eps, 0, 1, 0);
        GBARRIER();
    }
    if (lid == 0) epochLoss[k] = total;
}

/* f of event r of network k: inputs xs[(dataOffset[k] + r) * inputs ...], output fs[outOffset[k] + r]. */
KERNEL void mlp_forward(GLOBAL const real* params, GLOBAL const real* xs, GLOBAL const i64* dataOffset,
    GLOBAL const int* rowCount, GLOBAL const i64* outOffset, int networks, GLOBAL real* fs)
{
    const int sz[NL + 1] = { MLP_SIZES };
    i64 r = GLOBAL_ID(0);
    int k = (int)GLOBAL_ID(1);
    if (k >= networks || r >= rowCount[k]) return;
    GLOBAL const real* p = params + (i64)k * NP;
    GLOBAL const real* x = xs + (dataOffset[k] + r) * sz[0];
    real a[MLP_MAXW], y[MLP_MAXW];
    for (int i = 0; i < sz[0]; ++i) a[i] = x[i];
    int po = 0;
    for (int l = 0; l < NL; ++l)
    {
        int in = sz[l], out = sz[l + 1];
        GLOBAL const real* W = p + po;
        for (int o = 0; o < out; ++o)
        {
            real v = W[out * in + o];
            for (int i = 0; i < in; ++i) v += W[o * in + i] * a[i];
            y[o] = l < NL - 1 && v < 0 ? (real)0 : v;
        }
        for (int o = 0; o < out; ++o) a[o] = y[o];
        po += out * in + out;
    }
    fs[outOffset[k] + r] = a[0];
}
