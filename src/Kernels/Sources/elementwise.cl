/* Fused elementwise maps. OP selects the function (FastAD.Kernels.Primitives.UnaryOp):
   0 identity, 1 exp, 2 log, 3 tanh, 4 sigmoid, 5 relu, 6 softplus, 7 square. */
#ifndef OP
#define OP 0
#endif

DEVFN float apply_op(float t)
{
#if OP == 0
    return t;
#elif OP == 1
    return exp(t);
#elif OP == 2
    return log(t);
#elif OP == 3
    return tanh(t);
#elif OP == 4
    return 1.0f / (1.0f + exp(-t));
#elif OP == 5
    return fmax(t, 0.0f);
#elif OP == 6
    return (float)(fmax((double)t, 0.0) + log1p(exp(-fabs((double)t))));
#elif OP == 7
    return t * t;
#else
#error unknown OP
#endif
}

/* y[i] = op(alpha * x[i] + beta) */
KERNEL void map_f32(GLOBAL const float* x, GLOBAL float* y, i64 n, float alpha, float beta)
{
    i64 i = GLOBAL_ID(0);
    if (i < n) y[i] = apply_op(alpha * x[i] + beta);
}

/* z[i] = op(a * x[i] + b * y[i] + c), same operation order as the managed path */
KERNEL void combine_f32(GLOBAL const float* x, GLOBAL const float* y, GLOBAL float* z, i64 n, float a, float b, float c)
{
    i64 i = GLOBAL_ID(0);
    if (i < n) z[i] = apply_op((a * x[i] + b * y[i]) + c);
}
