/* Philox fills; element i is draw (offset + i) of stream `stream` under key `seed`, exactly as
   FastAD.Kernels.Random.Philox4x32 defines it. */

KERNEL void philox_uint32(GLOBAL u32* out, i64 n, u64 seed, u64 stream, i64 offset)
{
    i64 i = GLOBAL_ID(0);
    if (i >= n) return;
    i64 j = offset + i;
    u32 w[4];
    philox_block(seed, stream, (u64)(j >> 2), w);
    out[i] = w[j & 3];
}

KERNEL void philox_uniform_f32(GLOBAL float* out, i64 n, u64 seed, u64 stream, i64 offset)
{
    i64 i = GLOBAL_ID(0);
    if (i >= n) return;
    i64 j = offset + i;
    u32 w[4];
    philox_block(seed, stream, (u64)(j >> 2), w);
    out[i] = philox_u01_f32(w[j & 3]);
}

KERNEL void philox_uniform_f64(GLOBAL double* out, i64 n, u64 seed, u64 stream, i64 offset)
{
    i64 i = GLOBAL_ID(0);
    if (i >= n) return;
    i64 j = offset + i;
    u32 w[4];
    philox_block(seed, stream, (u64)(j >> 1), w);
    out[i] = (j & 1) == 0 ? philox_u01_f64(w[0], w[1]) : philox_u01_f64(w[2], w[3]);
}

KERNEL void philox_normal_f32(GLOBAL float* out, i64 n, u64 seed, u64 stream, i64 offset)
{
    i64 i = GLOBAL_ID(0);
    if (i >= n) return;
    i64 j = offset + i;
    u32 w[4];
    philox_block(seed, stream, (u64)(j >> 2), w);
    int p = (j & 2) ? 2 : 0;
    double r = sqrt(-2.0 * log(philox_u01_open_f64_24(w[p])));
    double t = FASTAD_TWO_PI * (double)philox_u01_f32(w[p + 1]);
    out[i] = (float)((j & 1) == 0 ? r * cos(t) : r * sin(t));
}

KERNEL void philox_normal_f64(GLOBAL double* out, i64 n, u64 seed, u64 stream, i64 offset)
{
    i64 i = GLOBAL_ID(0);
    if (i >= n) return;
    i64 j = offset + i;
    u32 w[4];
    philox_block(seed, stream, (u64)(j >> 1), w);
    double r = sqrt(-2.0 * log(philox_u01_open_f64(w[0], w[1])));
    double t = FASTAD_TWO_PI * philox_u01_f64(w[2], w[3]);
    out[i] = (j & 1) == 0 ? r * cos(t) : r * sin(t);
}
