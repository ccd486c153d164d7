/* Philox fills; element i is draw (offset + i) of stream `stream` under key `seed`, exactly as
   FastAD.Kernels.Random.Philox4x32 defines it. One work-item per Philox block: PER draws come from
   one block (4 for 32-bit draws and float normals, 2 for doubles), so a block is computed once. */

#define BLOCK_RANGE(PER)                                              \
    i64 first = offset / PER;                                         \
    i64 b = first + GLOBAL_ID(0);                                     \
    i64 j0 = b * PER, j1 = j0 + PER;                                  \
    if (j0 < offset) j0 = offset;                                     \
    if (j1 > offset + n) j1 = offset + n;                             \
    if (j0 >= j1) return;                                             \
    u32 w[4];                                                         \
    philox_block(seed, stream, (u64)b, w);

KERNEL void philox_uint32(GLOBAL u32* out, i64 n, u64 seed, u64 stream, i64 offset)
{
    BLOCK_RANGE(4)
    for (i64 j = j0; j < j1; ++j) out[j - offset] = w[j & 3];
}

KERNEL void philox_uniform_f32(GLOBAL float* out, i64 n, u64 seed, u64 stream, i64 offset)
{
    BLOCK_RANGE(4)
    for (i64 j = j0; j < j1; ++j) out[j - offset] = philox_u01_f32(w[j & 3]);
}

KERNEL void philox_uniform_f64(GLOBAL double* out, i64 n, u64 seed, u64 stream, i64 offset)
{
    BLOCK_RANGE(2)
    for (i64 j = j0; j < j1; ++j)
        out[j - offset] = (j & 1) == 0 ? philox_u01_f64(w[0], w[1]) : philox_u01_f64(w[2], w[3]);
}

KERNEL void philox_normal_f32(GLOBAL float* out, i64 n, u64 seed, u64 stream, i64 offset)
{
    BLOCK_RANGE(4)
    for (int p = 0; p < 4; p += 2)
    {
        i64 j = b * 4 + p;
        if (j + 1 < j0 || j >= j1) continue;
        double r = sqrt(-2.0 * log(philox_u01_open_f64_24(w[p])));
        double t = FASTAD_TWO_PI * (double)philox_u01_f32(w[p + 1]);
        if (j >= j0) out[j - offset] = (float)(r * cos(t));
        if (j + 1 < j1) out[j + 1 - offset] = (float)(r * sin(t));
    }
}

KERNEL void philox_normal_f64(GLOBAL double* out, i64 n, u64 seed, u64 stream, i64 offset)
{
    BLOCK_RANGE(2)
    double r = sqrt(-2.0 * log(philox_u01_open_f64(w[0], w[1])));
    double t = FASTAD_TWO_PI * philox_u01_f64(w[2], w[3]);
    i64 j = b * 2;
    if (j >= j0) out[j - offset] = r * cos(t);
    if (j + 1 < j1) out[j + 1 - offset] = r * sin(t);
}

/* out[i] ~ Poisson(means[i]) from stream firstStream + i. */
KERNEL void philox_poisson_fill(GLOBAL int* out, GLOBAL const double* means, i64 n, u64 seed, u64 firstStream)
{
    i64 i = GLOBAL_ID(0);
    if (i < n) out[i] = philox_poisson(means[i], seed, firstStream + (u64)i);
}
