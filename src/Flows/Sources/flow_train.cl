/* What the training kernels (maf_train.cl, rqs_train.cl, mlp.cl) share: one work-group of WG work-items trains one model;
   the including source defines WG (a power of two) before this file. EACH spreads a loop over the work-group,
   group_sum reduces over it, adam_update is FlowTrainer's step (coupled weight decay wd or decoupled through
   keep = 1 - lr * decay, global gradient-norm clip, bias correction) over the flow's n parameters. */
#ifndef WG
#error WG must be defined before flow_train.cl
#endif

#ifdef FASTAD_OPENCL
#define GBARRIER() barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE)
#define LOCAL_PTR __local
#else
#define GBARRIER() __syncthreads()
#define LOCAL_PTR
#endif

/* i = lid, lid + WG, ... below count, written so that every work-item runs the outer loop the same number
   of times: PoCL skipped a loop after a barrier that some work-items entered zero times. */
#define EACH(i, count) for (int i##_0 = 0; i##_0 < (count); i##_0 += WG) for (int i = i##_0 + lid; i < (count) && i < i##_0 + WG; i += WG)

/* Sum of v over the work-group, returned to every work-item (all must call it). */
DEVFN real group_sum(LOCAL_PTR real* red, real v, int lid)
{
    red[lid] = v;
    BARRIER();
    for (int width = WG / 2; width > 0; width /= 2)
    {
        if (lid < width) red[lid] += red[lid + width];
        BARRIER();
    }
    real total = red[0];
    BARRIER();
    return total;
}

/* One Adam step of a flow's n parameters p from its gradients g (moments am, av), the step's number t (from 1);
   every work-item of the group calls it. */
DEVFN void adam_update(LOCAL_PTR real* red, int lid, GLOBAL real* p, GLOBAL const real* g, GLOBAL real* am, GLOBAL real* av, int n, double t,
    double lr, double beta1, double beta2, double eps, double wd, double keep, double clip)
{
    real partial = 0;
    EACH(i, n)
    {
        real gi = g[i] + (real)wd * p[i];
        partial += gi * gi;
    }
    real norm = sqrt(group_sum(red, partial, lid));
    real scale = clip > 0 && norm > clip ? (real)clip / (norm + (real)1e-6) : (real)1;
    real c1 = (real)(1 - pow(beta1, t)), c2 = (real)(1 - pow(beta2, t));
    EACH(i, n)
    {
        real gi = (g[i] + (real)wd * p[i]) * scale;
        real mi = (real)beta1 * am[i] + (real)(1 - beta1) * gi;
        real vi = (real)beta2 * av[i] + (real)(1 - beta2) * gi * gi;
        am[i] = mi;
        av[i] = vi;
        p[i] = (real)keep * p[i] - (real)lr * (mi / c1) / (sqrt(vi / c2) + (real)eps);
    }
}
