/* Double-precision partial sums of (x - shift) or (x - shift)^2, one partial per work-group.
   The host adds the partials in group order, so the result is deterministic for a given launch shape. */
#ifndef WG
#define WG 256
#endif

KERNEL void sum_partials_f32(GLOBAL const float* x, i64 n, double shift, int squared, GLOBAL double* partials)
{
    LOCAL double scratch[WG];
    int lid = LOCAL_ID(0);
    i64 stride = NUM_GROUPS(0) * WG;
    double acc = 0.0;
    for (i64 i = GROUP_ID(0) * WG + lid; i < n; i += stride)
    {
        double d = (double)x[i] - shift;
        acc += squared ? d * d : d;
    }
    scratch[lid] = acc;
    BARRIER();
    for (int s = WG / 2; s > 0; s >>= 1)
    {
        if (lid < s) scratch[lid] += scratch[lid + s];
        BARRIER();
    }
    if (lid == 0) partials[GROUP_ID(0)] = scratch[0];
}
